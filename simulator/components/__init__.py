"""The model's mechanisms, one module each: its parameters, its state, its phases.

A component is a small class. It is built from its ``[section]`` (and what
else it needs: the graph, the replicate's stream keys), keeps its own state,
and offers *phases*: methods the step plan (:mod:`simulator.engine.plan`)
calls at fixed points of a step. A phase is handed the named state it may
read and write (the agent arrays, the talker list, the running counts, the
step's layers row) and returns what later phases need; it never sees the
simulation object. Its numba kernels live in :mod:`simulator.kernels`, its
series in :mod:`simulator.state.metrics`.

* :mod:`~simulator.components.wom`: word of mouth: talk, listen, retire;
* :mod:`~simulator.components.market`: outside advertising and purchases;
* :mod:`~simulator.components.crisis`: the failure, monitoring, the response;
* :mod:`~simulator.components.brand`: the brand page's posts and its likes;
* :mod:`~simulator.components.followers`: first followers and churn;
* :mod:`~simulator.components.paid`: sponsored impressions, influencers, bought likes;
* :mod:`~simulator.components.feed`: what reaches each agent, ranking, engagement, shares;
* :mod:`~simulator.components.ledger`: what the brand spends and gains.

Adding a mechanism: write its section in :mod:`simulator.params` (in
``SECTIONS``, ``ModelParams`` and ``Scenario``), its module here, its series in :data:`simulator.state.metrics.SERIES`, and call its
phase from :meth:`simulator.engine.plan.StepPlan.step` at the point of the
step it belongs to.
"""
