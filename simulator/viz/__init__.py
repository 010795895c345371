"""The classroom web page, the network picture and the animation (the ``viz`` extra).

Layers: this package reads the engine and the Mesa model; nothing below it
imports matplotlib, Mesa or Solara.

- :mod:`simulator.viz.drawing`: the colour-blind-safe look (palette, shapes,
  line styles, and the colour-vision check), the network layout (cached per
  graph, friend circles apart), the matplotlib picture and chart of the
  animation, and the data the page draws;
- :mod:`simulator.viz.app`: the Mesa SolaraViz page (``virality viz``): the network
  and chart drawn in the browser, the scenario's ``[lesson]``, live and Reset
  settings, one person, two runs compared;
- :mod:`simulator.viz.animate`: the GIF/MP4 writer (``virality animate``);
- :mod:`simulator.viz.commands`: the two CLI commands (light to import).
"""
