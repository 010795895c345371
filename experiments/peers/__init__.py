"""Peers of the simulator's independent cascade, run side by side on the same graph.

- :mod:`experiments.peers.common`: the shared Erdos-Renyi graph, its networkx
  twin and the per-replicate seed sets every tool starts from;
- :mod:`experiments.peers.mesa_ic`: a plain Mesa 3 agent model of the cascade
  (one ``mesa.Agent`` per node), usable with ``mesa.batch_run``;
- :mod:`experiments.peers.adapters`: one runner per tool (ours, CyNetDiff, EoN,
  NDlib, the Mesa model) returning the final activated count of one replicate.

The benchmark is ``experiments/bench_peers.py``; the agreement tests are
``tests/test_peers.py``.
"""
