"""One independent-cascade replicate per tool, on the same graph and seed set.

Each ``make_<tool>(graph, nx_graph, T)`` does the tool's one-off setup (its
graph format, its model configuration) and returns a runner
``run(spec) -> int``: one replicate started from ``spec.seeds``, returning the
final number of activated agents (seeds included). Setup is timed apart from
the runs by the benchmark.

How each tool is made to be exactly the independent cascade with
transmissibility ``T`` (KKT 2003; Newman 2002: IC = bond percolation):

- **ours**: ``scenarios/reference/independent_cascade.toml`` with
  ``wom.p_positive = T`` (talk lasts one step, every word persuades, no
  negative word, no purchases), through
  :func:`simulator.engine.simulation.simulate`;
- **CyNetDiff**: ``networkx_to_ic_model(G, activation_prob=T)``, which tries
  each edge out of a newly activated node once;
- **EoN**: ``basic_discrete_SIR(G, T)``: each infected node transmits to each
  susceptible neighbour with probability ``T`` during one step, then recovers;
- **NDlib**: ``IndependentCascadesModel`` with the edge ``threshold`` set to
  ``T`` on every edge (left unset, NDlib would use 1/degree), iterated until no
  node is infected;
- **Mesa**: :class:`experiments.peers.mesa_ic.ICModel`, stepped until
  ``running`` is False.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import networkx as nx
import numpy as np

from experiments.peers.common import ReplicateSpec, ic_scenario
from simulator.components.wom import choose_seeds
from simulator.engine.simulation import simulate
from simulator.graphs.graph import Graph
from simulator.state import metrics as M

Runner = Callable[[ReplicateSpec], int]


class CascadeNotFinished(RuntimeError):
    """Our run hit its step limit while agents were still talking."""


def make_ours(graph: Graph, nx_graph: nx.Graph | None, T: float, n_seeds: int = 10,
              steps: int = 500) -> Runner:
    """Our numba engine (``simulate``: no pandas, no result tables).

    Our engine draws its own seeds from the replicate's ``seeding`` stream; the
    runner checks that they are ``spec.seeds``.
    """
    sc = ic_scenario(T, n_seeds, steps)
    model = sc.model

    def run(spec: ReplicateSpec) -> int:
        if spec.seeds.size != sc.seeding.n_seeds or not np.array_equal(
            choose_seeds(graph, sc.seeding, spec.keys.seeding), spec.seeds
        ):
            raise ValueError("spec.seeds are not the seeds our engine draws for spec.keys")
        rep = simulate(graph, model, steps, spec.keys)
        last = rep.series[-1]
        if last[M.N_TALKING_POSITIVE] or last[M.N_TALKING_NEGATIVE]:
            raise CascadeNotFinished(f"still talking after {steps} steps; raise steps")
        return int(last[M.CUM_POSITIVE])

    return run


def make_cynetdiff(graph: Graph, nx_graph: nx.Graph, T: float) -> Runner:
    """CyNetDiff's ``IndependentCascadeModel`` built from the networkx graph."""
    from cynetdiff.utils import networkx_to_ic_model

    model, mapping = networkx_to_ic_model(nx_graph, activation_prob=T)

    def run(spec: ReplicateSpec) -> int:
        model.set_rng(spec.rng_seed)
        model.set_seeds([mapping[int(s)] for s in spec.seeds])  # also resets the model
        model.advance_until_completion()
        return int(model.get_num_activated_nodes())

    return run


def import_eon():
    """Import EoN, silencing the DeprecationWarning its ``EoN.analytic`` triggers in SciPy.

    (EoN 2.0 imports ``scipy.ndimage.interpolation.shift``, deprecated in SciPy.)
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        import EoN
    return EoN


def make_eon(graph: Graph, nx_graph: nx.Graph, T: float) -> Runner:
    """EoN's ``basic_discrete_SIR`` with transmission probability ``T`` (= IC)."""
    EoN = import_eon()
    n = nx_graph.number_of_nodes()

    def run(spec: ReplicateSpec) -> int:
        _, susceptible, _, _ = EoN.basic_discrete_SIR(
            nx_graph, T, initial_infecteds=[int(s) for s in spec.seeds],
            rng=np.random.default_rng(spec.rng_seed),
        )
        return int(n - susceptible[-1])

    return run


def make_ndlib(graph: Graph, nx_graph: nx.Graph, T: float) -> Runner:
    """NDlib's ``IndependentCascadesModel``, edge threshold ``T`` on every edge.

    NDlib draws from NumPy's global generator, so each run reseeds it.
    """
    import ndlib.models.epidemics as ep
    import ndlib.models.ModelConfig as mc

    model = ep.IndependentCascadesModel(nx_graph, seed=0)
    config = mc.Configuration()
    for edge in nx_graph.edges():
        config.add_edge_configuration("threshold", edge, T)
    config.add_model_initial_configuration("Infected", [0])  # replaced by each run's seeds
    model.set_initial_status(config)
    infected = model.available_statuses["Infected"]
    removed = model.available_statuses["Removed"]

    def run(spec: ReplicateSpec) -> int:
        np.random.seed(spec.rng_seed)  # noqa: NPY002 (NDlib draws from the legacy global generator)
        model.reset(infected_nodes=[int(s) for s in spec.seeds])
        while True:
            counts = model.iteration(node_status=False)["node_count"]
            if counts[infected] == 0:  # nobody left to pass the word: nothing changes any more
                return int(counts[removed])

    return run


def make_mesa(graph: Graph, nx_graph: nx.Graph, T: float) -> Runner:
    """The plain Mesa model; a new model (agents included) per replicate, as ``batch_run`` does."""
    from experiments.peers.mesa_ic import ICModel

    def run(spec: ReplicateSpec) -> int:
        model = ICModel(graph=nx_graph, p=T, n_seeds=spec.seeds.size, seed=spec.rng_seed,
                        seed_nodes=[int(s) for s in spec.seeds])
        while model.running:
            model.step()
        return int(model.n_active)

    return run


MAKERS: dict[str, Callable[..., Runner]] = {
    "ours": make_ours,
    "cynetdiff": make_cynetdiff,
    "eon": make_eon,
    "ndlib": make_ndlib,
    "mesa": make_mesa,
}
