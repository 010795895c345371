"""The independent cascade as a plain Mesa 3 agent model: the baseline for sweeps.

Written the way a Mesa user would write it: one :class:`mesa.Agent` per node,
each holding a list of its neighbouring agents, and a model whose ``step``
calls ``self.agents.shuffle_do("step")``. It is deliberately not optimised;
it is what our numba engine is compared with.

Rule (Kempe, Kleinberg & Tardos 2003): an agent activated at step ``t`` gets
one chance, at step ``t + 1``, to activate each inactive neighbour, with
probability ``p``. Agents remember the step they were activated at, so the
shuffled order of ``shuffle_do`` cannot let a newly activated agent pass the
word on in the same step. The cascade dies when a step activates nobody;
``running`` then turns False (which is what ``mesa.batch_run`` waits for).

Examples
--------
>>> import networkx as nx
>>> m = ICModel(graph=nx.path_graph(5), p=1.0, n_seeds=1, seed=3, seed_nodes=[0])
>>> while m.running:
...     m.step()
>>> m.n_active, m.steps
(5, 5)

With ``mesa.batch_run`` (a networkx graph must be wrapped in a list, because
``batch_run`` iterates over every parameter value it is given and a graph
iterates over its nodes)::

    mesa.batch_run(ICModel, {"graph": [G], "p": [0.05, 0.1], "n_seeds": 10},
                   iterations=20, max_steps=1000, number_processes=1)

``batch_run`` reports the collection of step ``model.steps - 1``; the last step
of a cascade activates nobody, so that row holds the final size (``active``).
Or let the model draw its own Erdos-Renyi graph::

    mesa.batch_run(ICModel, {"n": 2000, "mean_degree": [4, 8], "p": 0.1,
                             "graph_seed": 1}, iterations=20)
"""

from __future__ import annotations

from collections.abc import Iterable

import mesa
import networkx as nx


class Person(mesa.Agent):
    """One node of the graph: inactive until word reaches it, then active for good."""

    def __init__(self, model: ICModel, node) -> None:
        super().__init__(model)
        self.node = node
        self.active = False
        self.activated_at = -1  # the model step it was activated in (-1: never)
        self.neighbors: list[Person] = []

    def activate(self) -> None:
        self.active = True
        self.activated_at = self.model.steps
        self.model.n_active += 1
        self.model.n_new += 1

    def step(self) -> None:
        # One chance per edge: only agents activated in the previous step talk.
        if self.activated_at != self.model.steps - 1:
            return
        p = self.model.p
        for other in self.neighbors:
            if not other.active and self.random.random() < p:
                other.activate()


class ICModel(mesa.Model):
    """Independent cascade with transmission probability ``p`` on a networkx graph.

    Parameters
    ----------
    graph : networkx.Graph, optional
        The network (undirected). If omitted, an Erdos-Renyi graph
        ``G(n, mean_degree / (n - 1))`` is drawn with ``graph_seed``.
    p : float
        Probability that an activated agent activates a given inactive neighbour.
    n_seeds : int
        Number of agents active at step 0, drawn at random from the model's
        generator (ignored when ``seed_nodes`` is given).
    seed : int, optional
        Seed of the model's random generators (Mesa's ``seed``).
    seed_nodes : iterable of nodes, optional
        Start from exactly these nodes (the peer benchmark uses this so every
        tool starts from the same agents).
    n, mean_degree, graph_seed : optional
        The Erdos-Renyi graph to draw when ``graph`` is None.

    Attributes
    ----------
    n_active : int
        Agents ever activated (the cascade's size so far).
    n_new : int
        Agents activated in the last step.
    datacollector : mesa.DataCollector
        Model reporters ``active`` and ``new``, collected at step 0 and after
        every step.
    """

    def __init__(
        self,
        graph: nx.Graph | None = None,
        p: float = 0.1,
        n_seeds: int = 1,
        seed: int | None = None,
        seed_nodes: Iterable | None = None,
        n: int = 1000,
        mean_degree: float = 10.0,
        graph_seed: int | None = None,
    ) -> None:
        super().__init__(seed=seed)
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p = {p} is out of range; allowed: 0 <= p <= 1")
        if graph is None:
            graph = nx.fast_gnp_random_graph(n, mean_degree / max(n - 1, 1), seed=graph_seed)
        self.graph = graph
        self.p = float(p)
        self.n_active = 0
        self.n_new = 0
        people = {node: Person(self, node) for node in graph.nodes}
        for node, person in people.items():
            person.neighbors = [people[other] for other in graph.neighbors(node)]
        if seed_nodes is None:
            k = int(n_seeds)
            if not 0 <= k <= len(people):
                raise ValueError(f"n_seeds = {k} is out of range; allowed: 0 <= n_seeds <= {len(people)}")
            seed_nodes = self.random.sample(list(people), k)
        for node in seed_nodes:
            if not people[node].active:
                people[node].activate()
        self.datacollector = mesa.DataCollector(model_reporters={"active": "n_active", "new": "n_new"})
        self.datacollector.collect(self)
        self.running = self.n_new > 0

    def step(self) -> None:
        self.n_new = 0
        self.agents.shuffle_do("step")
        self.datacollector.collect(self)
        if self.n_new == 0:
            self.running = False
