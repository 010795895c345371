"""Compiled kernels (numba): module-level functions of arrays and numbers only.

* :mod:`~simulator.kernels.agents`: the writes every mechanism shares (opinion
  changes with their counts, the talker list);
* :mod:`~simulator.kernels.wom`: talking, listening, advertising, purchases, and
  the plain model's compiled steps;
* :mod:`~simulator.kernels.cascade`: the independent cascade's fast path;
* :mod:`~simulator.kernels.feed`: candidates, ranking and engagement of the feed;
* :mod:`~simulator.kernels.crisis`: answering complaints.

Kernels take the state's named tuples (:mod:`simulator.state`) and their
rules as named tuples of numbers; they never see a component or the simulation.
"""
