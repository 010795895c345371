"""The classroom web page, the network picture and the animation (the ``viz`` extra).

Layers: this package reads the engine and the Mesa model; nothing below it
imports matplotlib, Mesa or Solara.

- :mod:`simulator.viz.drawing`: the network picture (layout cached per graph)
  and the opinion chart, shared by the page and the animation;
- :mod:`simulator.viz.app`: the Mesa ``SolaraViz`` page (``virality viz``);
- :mod:`simulator.viz.animate`: the GIF/MP4 writer (``virality animate``);
- :mod:`simulator.viz.commands`: the two CLI commands (light to import).
"""
