"""Shared inputs of the peer comparison: one graph, one seed set per replicate.

Every tool runs on the same friend graph (our CSR ``Graph`` and its networkx
twin with nodes ``0 .. n-1``) and, in replicate ``r``, starts from the same seed
agents: the ones our engine draws for replicate ``r`` of a run seeded with
``seed`` (:func:`simulator.components.wom.choose_seeds` on the replicate's
``seeding`` stream). The peers get their own random numbers from
``SeedSequence(seed, spawn_key=(2, r))`` (:data:`simulator.rng.CRN_SPAWN_KEY`:
the engine draws no replicate's streams from it; sweeps derive only run
seeds from it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
import numpy as np

import simulator
from simulator.components.wom import choose_seeds
from simulator.graphs.graph import Graph
from simulator.rng import CRN_SPAWN_KEY, replicate_keys

ROOT = Path(__file__).resolve().parents[2]
IC_SCENARIO = ROOT / "scenarios" / "reference" / "independent_cascade.toml"


def erdos_renyi_graph(n: int, mean_degree: float, seed: int) -> Graph:
    """G(n, p) with ``p = mean_degree / (n - 1)``: the simulator's generator if present.

    Falls back to :func:`gnp_csr` while ``simulator.graphs.erdos_renyi`` is not
    there (it was being written when this module was).
    """
    try:
        from simulator.graphs import erdos_renyi
    except ImportError:
        return gnp_csr(n, mean_degree, seed)
    return erdos_renyi(n, mean_degree, seed=seed)


def gnp_csr(n: int, mean_degree: float, seed: int) -> Graph:
    """G(n, p) in NumPy: draw the edge count ~ Binomial(n(n-1)/2, p), then that many distinct pairs.

    Conditioned on its edge count, G(n, p) is uniform over graphs with that
    many edges, so this is exactly G(n, p).
    """
    rng = np.random.default_rng(seed)
    pairs_total = n * (n - 1) // 2
    m = int(rng.binomial(pairs_total, mean_degree / (n - 1))) if n > 1 else 0
    codes = np.empty(0, np.int64)
    while codes.size < m:
        u = rng.integers(0, n, size=2 * (m - codes.size) + 16)
        v = rng.integers(0, n, size=u.size)
        keep = u != v
        lo, hi = np.minimum(u, v)[keep], np.maximum(u, v)[keep]
        codes = np.unique(np.concatenate([codes, lo * n + hi]))
    if codes.size > m:
        codes = rng.choice(codes, size=m, replace=False)
    lo, hi = codes // n, codes % n
    return csr_from_pairs(n, lo, hi, meta={"kind": "erdos_renyi", "generator": "gnp_csr",
                                           "mean_degree": mean_degree, "seed": seed})


def csr_from_pairs(n: int, u: np.ndarray, v: np.ndarray, meta: dict | None = None) -> Graph:
    """An undirected CSR ``Graph`` from distinct pairs ``u[k] != v[k]`` (each listed once)."""
    rows = np.concatenate([u, v]).astype(np.int64)
    cols = np.concatenate([v, u]).astype(np.int64)
    order = np.lexsort((cols, rows))
    indptr = np.zeros(n + 1, np.int64)
    np.cumsum(np.bincount(rows, minlength=n), out=indptr[1:])
    return Graph(indptr, cols[order].astype(np.int32), meta=meta or {})


def networkx_graph(graph: Graph) -> nx.Graph:
    """The networkx twin of a CSR graph: nodes ``0 .. n-1`` in order, the same edges."""
    g = nx.Graph()
    g.add_nodes_from(range(graph.n))
    rows = np.repeat(np.arange(graph.n), np.diff(graph.indptr))
    upper = rows < graph.indices
    g.add_edges_from(zip(rows[upper].tolist(), graph.indices[upper].tolist(), strict=True))
    return g


def ic_scenario(T: float, n_seeds: int, steps: int = 500):
    """The reference independent cascade with transmissibility ``T`` and ``n_seeds`` random seeds."""
    return simulator.Scenario.load(
        IC_SCENARIO,
        overrides={"wom.p_positive": T, "seeding.n_seeds": n_seeds, "run.steps": steps},
    )


@dataclass(frozen=True)
class ReplicateSpec:
    """What every tool gets for one replicate."""

    index: int  #: replicate number ``r``
    seeds: np.ndarray  #: int32, sorted: the agents active at step 0
    keys: dict  #: our engine's named stream keys for replicate ``r``
    rng_seed: int  #: a 32-bit seed for the peers' own generators


def replicate_specs(graph: Graph, scenario, seed: int, replicates: int, start: int = 0):
    """Specs for replicates ``start .. start + replicates - 1`` of a run seeded with ``seed``."""
    specs = []
    for r in range(start, start + replicates):
        keys = replicate_keys(seed, r)
        seeds = choose_seeds(graph, scenario.seeding, keys.seeding)
        ss = np.random.SeedSequence(seed, spawn_key=(CRN_SPAWN_KEY, r))
        specs.append(ReplicateSpec(r, seeds, keys, int(ss.generate_state(1, dtype=np.uint32)[0])))
    return specs


def mean_se(values) -> tuple[float, float]:
    """Mean and its standard error (sample sd / sqrt(k); NaN for fewer than 2 values)."""
    x = np.asarray(values, dtype=float)
    if x.size == 0:
        return math.nan, math.nan
    se = float(x.std(ddof=1) / math.sqrt(x.size)) if x.size > 1 else math.nan
    return float(x.mean()), se


def er_giant_fraction(cT: float) -> float:
    """Large-outbreak fraction S on Erdos-Renyi: the root of S = 1 - exp(-cT S) (Newman 2002)."""
    if cT <= 1.0:
        return 0.0
    from scipy.optimize import brentq

    return float(brentq(lambda s: s - (1.0 - math.exp(-cT * s)), 1e-12, 1.0))
