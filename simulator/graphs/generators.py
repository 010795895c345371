"""Friend-graph generators: each takes a ``seed`` and returns a CSR :class:`Graph`.

Every generator checks the size (:func:`~simulator.graphs.memory.check_size`)
and the memory (:func:`~simulator.graphs.memory.check_memory`) before it
allocates, draws from counter-based generators keyed by the seed (same seed,
same arrays, on any number of threads), and records in ``meta`` its kind, its
parameters, the seed and what was lost making the graph simple.
"""

from __future__ import annotations

import threading
from typing import Any

import numba
import numpy as np

from simulator.errors import ConfigError
from simulator.graphs import affiliation as aff
from simulator.graphs.csr import (
    cap_degrees,
    edges_to_csr,
    edges_to_rows,
    finish_rows,
    scatter_both_ways,
)
from simulator.graphs.degrees import (
    DISTRIBUTIONS,
    degree_table,
    fill_stubs,
    make_sum_even,
    sample_degrees,
    shuffle_stubs,
)
from simulator.graphs.graph import Graph
from simulator.graphs.growth import grow_holme_kim
from simulator.graphs.memory import check_memory, check_size
from simulator.graphs.pairs import build_block_csr
from simulator.graphs.smallworld import draw_ring_edges
from simulator.rng import key_for, seed_key

# Sub-streams of one graph seed (index passed to key_for).
_DEGREES, _TIES, _MEMBERS, _WEAK, _PAIRS, _EVEN, _ORDER = 1, 2, 3, 4, 5, 6, 7


def _subkey(key: int, which: int) -> int:
    return int(key_for(np.uint64(key), np.int64(-1), np.int64(which)))


def _key(seed: Any) -> int:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ConfigError(f"run.seed = {seed!r} is not allowed; expected an integer")
    return seed_key(int(seed))


def _graph(indptr, indices, kind, params, seed, community=None, **extra) -> Graph:
    meta = {"kind": kind, "params": params, "seed": int(seed), **extra}
    return Graph(indptr, indices, community=community, meta=meta)


def erdos_renyi(n: int, mean_degree: float, seed: int = 0) -> Graph:
    """G(n, p) with ``p = mean_degree / (n - 1)``, sampled straight into CSR.

    Row ``i`` skip-samples its neighbours ``j > i`` from its own generator
    ``key_for(key, i, 0)``; see :mod:`simulator.graphs.pairs` for the
    count / draw / mirror plan (peak memory about 1.05x the final arrays).

    Parameters
    ----------
    n : int
        Number of nodes.
    mean_degree : float
        Expected mean degree, ``0 <= mean_degree < n``.
    seed : int
        Seed of the graph stream.

    Examples
    --------
    >>> g = erdos_renyi(1000, 10, seed=1)
    >>> g.n, abs(g.mean_degree - 10) < 0.5, g.meta["kind"]
    (1000, True, 'erdos_renyi')
    """
    check_size(n, mean_degree)
    check_memory(n, mean_degree, "erdos_renyi")
    key = _key(seed)
    p = mean_degree / (n - 1) if n > 1 else 0.0
    indptr, indices = build_block_csr(np.array([0, n]), np.array([[p]]), key)
    return _graph(indptr, indices, "erdos_renyi", {"n": n, "mean_degree": mean_degree, "p": p}, seed)


def complete(n: int, seed: int = 0) -> Graph:
    """The complete graph on ``n`` nodes (the well-mixed limit; ``n`` up to a few thousand).

    >>> complete(4).degrees().tolist()
    [3, 3, 3, 3]
    """
    check_size(n, complete=True)
    check_memory(n, n - 1, "complete")
    indptr, indices = build_block_csr(np.array([0, n]), np.array([[1.0]]), _key(seed))
    return _graph(indptr, indices, "complete", {"n": n}, seed)


def stochastic_block(
    sizes,
    p_in: float | None = None,
    p_out: float | None = None,
    seed: int = 0,
    *,
    probs=None,
) -> Graph:
    """A stochastic block model: communities (audience segments) of given sizes.

    Nodes of block ``b`` are the contiguous range after blocks ``0..b-1``, and
    ``graph.community`` holds each node's block. Pairs are skip-sampled per
    row and block pair, as in :func:`erdos_renyi`.

    Parameters
    ----------
    sizes : sequence of int
        Block sizes.
    p_in, p_out : float
        Edge probability inside a block and between blocks.
    seed : int
    probs : array_like, shape (B, B), optional
        A full symmetric probability matrix instead of ``p_in``/``p_out``.

    Examples
    --------
    >>> g = stochastic_block([50, 50], 0.2, 0.01, seed=3)
    >>> g.n, g.community[[0, 99]].tolist()
    (100, [0, 1])
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    if sizes.ndim != 1 or sizes.size < 1 or np.any(sizes < 1):
        raise ConfigError(f"graph.sizes = {sizes.tolist()} is not allowed; expected positive sizes")
    n_blocks = sizes.size
    if probs is None:
        if p_in is None or p_out is None:
            raise ConfigError("stochastic_block needs p_in and p_out, or probs")
        probs = np.full((n_blocks, n_blocks), float(p_out))
        np.fill_diagonal(probs, float(p_in))
    probs = np.asarray(probs, dtype=np.float64)
    if probs.shape != (n_blocks, n_blocks) or not np.allclose(probs, probs.T):
        raise ConfigError("graph.probs must be a symmetric matrix with one row per block")
    if np.any(probs < 0) or np.any(probs > 1):
        raise ConfigError("graph.probs are probabilities; allowed: 0 <= p <= 1")
    n = int(sizes.sum())
    check_size(n)
    expected = float(sizes @ probs @ sizes - sizes @ np.diag(probs)) / n
    check_memory(n, expected, "stochastic_block")
    starts = np.concatenate(([0], np.cumsum(sizes)))
    indptr, indices = build_block_csr(starts, probs, _key(seed))
    community = np.repeat(np.arange(n_blocks, dtype=np.int32), sizes)
    params = {"sizes": sizes.tolist(), "probs": probs.tolist()}
    return _graph(indptr, indices, "stochastic_block", params, seed, community=community)


def planted_partition(
    n: int, communities: int, mean_degree: float, mixing: float, seed: int = 0
) -> Graph:
    """Equal communities with a given mean degree and share of edges between them.

    ``mixing`` is the expected share of a node's friends outside its community.

    >>> g = planted_partition(400, 4, 8.0, 0.1, seed=0)
    >>> g.meta["kind"], int(g.community.max())
    ('stochastic_block', 3)
    """
    check_size(n, mean_degree)
    if not 1 <= communities <= n:
        raise ConfigError(f"graph.communities = {communities} is out of range; allowed: 1 <= communities <= n")
    if not 0.0 <= mixing <= 1.0:
        raise ConfigError(f"graph.mixing = {mixing} is out of range; allowed: 0 <= mixing <= 1")
    starts = np.linspace(0, n, communities + 1).astype(np.int64)
    sizes = np.diff(starts)
    size = n / communities
    p_in = mean_degree * (1.0 - mixing) / max(size - 1.0, 1.0)
    p_out = mean_degree * mixing / (n - size) if communities > 1 else 0.0
    if p_in > 1.0 or p_out > 1.0:
        raise ConfigError(
            f"graph.mean_degree = {mean_degree} is not allowed with {communities} communities "
            f"of {size:.0f} and mixing {mixing}: communities too small (raise n or lower communities)"
        )
    g = stochastic_block(sizes, p_in, p_out, seed)
    g.meta["params"].update({"n": n, "communities": communities, "mean_degree": mean_degree, "mixing": mixing})
    return g


def configuration(
    degrees=None,
    *,
    n: int | None = None,
    distribution: str | None = None,
    seed: int,
    **dist_params: Any,
) -> Graph:
    """Configuration model: stubs matched by one shuffle, then made simple.

    Give either ``degrees`` or ``n`` with a ``distribution`` in
    ``lognormal`` (``mean_degree``, ``median``; default Facebook's 190 / 99,
    or Facebook's ratio at a given ``mean_degree``), ``powerlaw``
    (``exponent``, ``k_min``, ``cutoff``), ``poisson`` (``mean_degree``) or
    ``regular`` (``mean_degree``), all truncated at ``max_degree`` (5000).
    If the degree sum is odd one random node gets one more stub (one fewer at
    the cap).

    Self-loops and repeated edges are erased, so hubs lose a few friends: for
    the Facebook lognormal at ``n = 10^5`` about 1% of the edges; ``meta``
    reports ``self_loops``, ``multi_edges`` and ``lost_edge_fraction``.

    Examples
    --------
    >>> g = configuration([2, 2, 2, 2], seed=0)
    >>> g.meta["kind"], g.indices.size + 2 * (g.meta["self_loops"] + g.meta["multi_edges"])
    ('configuration', 8)
    >>> g = configuration(n=2000, distribution="poisson", mean_degree=6, seed=1)
    >>> 5.5 < g.mean_degree < 6.5
    True
    """
    key = _key(seed)
    allowed = {"mean_degree", "median", "exponent", "k_min", "cutoff", "max_degree"}
    unknown = sorted(set(dist_params) - allowed)
    if unknown:
        raise ConfigError(f"unknown configuration parameter {unknown[0]!r}; allowed: {', '.join(sorted(allowed))}")
    max_degree = int(dist_params.get("max_degree", 5000))
    if degrees is not None:
        if distribution is not None:
            raise ConfigError("configuration takes either degrees or a distribution, not both")
        degrees = np.array(degrees, dtype=np.int64)
        if degrees.ndim != 1 or np.any(degrees < 0):
            raise ConfigError("configuration degrees must be a 1-d sequence of non-negative integers")
        n = degrees.size
        check_size(n)
        params: dict[str, Any] = {"n": n, "degrees": "given"}
    else:
        if n is None or distribution is None:
            raise ConfigError("configuration needs degrees, or n and a distribution")
        if distribution not in DISTRIBUTIONS:
            raise ConfigError(
                f"graph.distribution = {distribution!r} is not allowed; allowed: {', '.join(DISTRIBUTIONS)}"
            )
        check_size(n, dist_params.get("mean_degree"))
        k_min, cdf = degree_table(distribution, **dist_params)
        degrees = sample_degrees(n, k_min, cdf, _subkey(key, _DEGREES))
        params = {"n": n, "distribution": distribution, **dist_params}
    if n > 1 and degrees.max(initial=0) >= n:
        raise ConfigError(f"graph.max_degree must be below graph.n = {n} (a degree of {degrees.max()} was asked)")
    make_sum_even(degrees, _subkey(key, _EVEN), max_degree)
    n_stubs = int(degrees.sum())
    check_memory(n, n_stubs / max(n, 1), "configuration")
    stubs = np.empty(n_stubs, dtype=np.int32)
    fill_stubs(degrees, stubs)
    shuffle_stubs(stubs, np.uint64(key_for(np.uint64(key), np.int64(0), np.int64(0))))
    indptr, indices, loops = scatter_both_ways(stubs[0::2], stubs[1::2], n)
    del stubs
    indptr, indices, dropped = finish_rows(indptr, indices)
    lost = (loops + dropped // 2) / max(n_stubs // 2, 1)
    return _graph(
        indptr, indices, "configuration", params, seed,
        self_loops=int(loops), multi_edges=dropped // 2, lost_edge_fraction=lost,
    )  # fmt: skip


def watts_strogatz(n: int, mean_degree: int, rewire: float, seed: int = 0) -> Graph:
    """Ring lattice of even ``mean_degree`` with each edge's far end rewired.

    Each far end moves with probability ``rewire`` to a uniform node other
    than the near end (no self-loops). A rewired edge that lands on an existing
    one is *dropped*, not redrawn (networkx redraws); ``meta["multi_edges"]``
    counts them (about ``rewire * mean_degree / n`` of the edges).

    Examples
    --------
    >>> g = watts_strogatz(10, 4, 0.0, seed=0)
    >>> g.neighbors(0).tolist()
    [1, 2, 8, 9]
    """
    check_size(n, mean_degree)
    if mean_degree != int(mean_degree) or int(mean_degree) % 2:
        raise ConfigError(f"graph.mean_degree = {mean_degree} is not allowed; watts_strogatz needs an even integer")
    if not 0.0 <= rewire <= 1.0:
        raise ConfigError(f"graph.rewire = {rewire} is out of range; allowed: 0 <= rewire <= 1")
    check_memory(n, mean_degree, "watts_strogatz")
    half = int(mean_degree) // 2
    src = np.empty(n * half, dtype=np.int32)
    dst = np.empty(n * half, dtype=np.int32)
    if n > 1:
        draw_ring_edges(n, half, float(rewire), np.uint64(_key(seed)), src, dst)
    indptr, indices, info = edges_to_csr(src, dst, n)
    params = {"n": n, "mean_degree": int(mean_degree), "rewire": float(rewire)}
    return _graph(indptr, indices, "watts_strogatz", params, seed, multi_edges=info["multi_edges"])


def holme_kim(n: int, m: int, p_triad: float, seed: int = 0) -> Graph:
    """Holme–Kim power-law graph with tunable clustering (networkx ``powerlaw_cluster_graph``).

    Each new node makes ``m`` edges: preferential attachment, each further
    edge closing a triangle with probability ``p_triad``. Mean degree is about
    ``2 m``. Repeated picks are merged (``meta["multi_edges"]``).

    Examples
    --------
    >>> g = holme_kim(200, 3, 0.5, seed=0)
    >>> g.n_edges <= 3 * 197
    True
    """
    check_size(n)
    if not isinstance(m, (int, np.integer)) or not 1 <= m < n:
        raise ConfigError(f"graph.m = {m} is out of range; allowed: 1 <= m < n = {n}")
    if not 0.0 <= p_triad <= 1.0:
        raise ConfigError(f"graph.p_triad = {p_triad} is out of range; allowed: 0 <= p_triad <= 1")
    check_memory(n, 2 * m, "holme_kim")
    n_edges = m * (n - m)
    src = np.empty(n_edges, dtype=np.int32)
    dst = np.empty(n_edges, dtype=np.int32)
    grow_holme_kim(n, int(m), float(p_triad), np.uint64(_key(seed)), src, dst)
    indptr, indices, info = edges_to_csr(src, dst, n)
    params = {"n": n, "m": int(m), "p_triad": float(p_triad)}
    return _graph(indptr, indices, "holme_kim", params, seed, multi_edges=info["multi_edges"])


def default_communities(n: int) -> int:
    """One community per 10,000 agents (at least one): big enough to hold a hub's groups."""
    return max(1, n // 10_000)


def clustered(
    n: int,
    mean_degree: float = 130.0,
    seed: int = 0,
    *,
    median: float | None = None,
    max_degree: int = 5000,
    group_size: int = 8,
    weak_share: float = 0.25,
    communities: int | None = None,
    degree_mixing: float | None = None,
    group_clustering: float | None = None,
) -> Graph:
    """Clustered, heavy-tailed graph with communities (random cliques plus weak ties).

    1. Target degrees are lognormal with mean ``mean_degree`` and median
       ``median`` (default: Facebook's ratio 99/190), truncated at ``max_degree``.
    2. Each node spends ``1 - weak_share`` of its degree in groups of
       ``group_size`` members of its own community (each group a clique) and
       ``weak_share`` in random ties across the graph
       (:mod:`simulator.graphs.affiliation`).
    3. Repeated and self edges are dropped; the deficit is topped up with
       random edges whose ends are drawn in proportion to the target degree,
       until the mean degree is within 0.1% of ``mean_degree``.
    4. Nobody keeps more than ``max_degree`` friends: groups and top-ups can
       overshoot a target near the cap, and :func:`~simulator.graphs.csr.cap_degrees`
       drops the excess (``meta["capped_edges"]`` counts them; none with the
       default cap of 5,000 at 10^5 and 10^6 agents, mean degree 130).

    Local clustering is about ``(1 - w)^2 (s - 2) / (k - 1)`` at degree ``k``;
    the defaults (``s = 8``, ``w = 0.25``) give a mean local clustering of
    0.18 at n = 20,000, mean degree 100, and 0.155 at n = 50,000, mean degree
    130 (about 0.1 for degrees 64-127; see the tests).

    Parameters
    ----------
    n : int
    mean_degree : float
    seed : int
    median : float, optional
    max_degree : int
        The most friends anyone has (capped at ``n - 1``).
    group_size : int
        Members per group, ``>= 3`` (the clique size ``s``).
    weak_share : float
        Share of each degree spent on weak ties, in [0, 1].
    communities : int, optional
        Number of contiguous communities (default one per 10,000 agents).
    degree_mixing : float, optional
        Order each community's memberships into rounds by degree (a person's
        ``r``-th membership in round ``r``, each round by log degree plus
        normal noise of this standard deviation), so that people with many
        friends share groups: positive degree assortativity, as on Facebook
        (:func:`simulator.graphs.affiliation.order_by_noisy_degree`).
        Default: memberships shuffled at random (no mixing by degree).
    group_clustering : float, optional
        Let group sizes grow with degree (:func:`group_sizes`) so that clustering
        falls with degree, instead of one ``group_size`` for all; groups then
        take the smallest size among their members and weak ties make up each
        target degree, and what repeats cost is topped up from each person's own
        shortfall (so every target degree is met, not only the mean). With
        ``degree_mixing = 0.3``, ``group_clustering = 0.22`` and ``weak_share =
        0.15`` the graph at 10^5 and 10^6 agents, mean degree 130, has degree
        assortativity about 0.27 and clustering about 0.15 at degree 100,
        falling with degree (Ugander et al. 2011: about 0.23 and 0.14), a
        friendship paradox near Facebook's, and no dip in the degree
        distribution below ``group_size`` (``experiments/facebook_graph.py``).

    Examples
    --------
    >>> g = clustered(3000, 30, seed=1)
    >>> abs(g.mean_degree - 30) < 0.3, int(g.community.max()) + 1
    (True, 1)
    """
    check_size(n, mean_degree)
    if not isinstance(group_size, (int, np.integer)) or group_size < 3:
        raise ConfigError(f"graph.group_size = {group_size} is out of range; allowed: group_size >= 3")
    if not 0.0 <= weak_share <= 1.0:
        raise ConfigError(f"graph.weak_share = {weak_share} is out of range; allowed: 0 <= weak_share <= 1")
    max_degree = min(int(max_degree), n - 1)
    communities = default_communities(n) if communities is None else int(communities)
    if not 1 <= communities <= n:
        raise ConfigError(f"graph.communities = {communities} is out of range; allowed: 1 <= communities <= n")
    check_memory(n, mean_degree, "clustered")
    key = _key(seed)
    if mean_degree <= 0 or n < 2:  # nobody to befriend
        return _graph(np.zeros(n + 1, np.int64), np.empty(0, np.int32), "clustered", {"n": n}, seed,
                      community=np.zeros(n, np.int32))  # fmt: skip
    k_min, cdf = degree_table("lognormal", mean_degree=mean_degree, median=median, max_degree=max_degree)
    target = sample_degrees(n, k_min, cdf, _subkey(key, _DEGREES))

    n_groups = np.empty(n, dtype=np.int64)
    n_weak = np.empty(n, dtype=np.int64)
    if group_clustering is None:
        sizes = np.full(n, int(group_size), np.int64)
    else:
        sizes = group_sizes(target, float(group_clustering), float(weak_share), max_degree)
    aff.split_ties(target, sizes, float(weak_share), np.uint64(_subkey(key, _TIES)), n_groups, n_weak)
    starts = np.linspace(0, n, communities + 1).astype(np.int64)
    cum_groups = np.concatenate(([0], np.cumsum(n_groups)))
    seg = cum_groups[starts]
    del cum_groups
    members = np.empty(int(seg[-1]), dtype=np.int32)
    fill_stubs(n_groups, members)
    del n_groups
    aff.shuffle_segments(members, seg, np.uint64(_subkey(key, _MEMBERS)))
    if degree_mixing is not None:
        ordered = np.empty_like(members)
        aff.order_by_noisy_degree(members, seg, np.log(np.maximum(target, 1)).astype(np.float64),
                                  float(degree_mixing), np.uint64(_subkey(key, _ORDER)), 1024,
                                  ordered)
        members = ordered
        del ordered
    group_ends = np.zeros(n, dtype=np.int64)
    aff.count_group_ends(members, seg, sizes, group_ends)
    if group_clustering is not None:
        # Groups of sizes set by their members give some people more or fewer
        # strong ties than planned: weak ties make up each target degree instead.
        n_weak = np.maximum(target - group_ends, 0)
    make_sum_even(n_weak, _subkey(key, _EVEN), max_degree)
    weak = np.empty(int(n_weak.sum()), dtype=np.int32)
    fill_stubs(n_weak, weak)
    del n_weak
    # The weak stubs' shuffle is serial: it runs beside the parallel clique rows.
    shuffling = _beside(shuffle_stubs, weak, np.uint64(_subkey(key, _WEAK)))

    # The graph is kept as two sets of sorted rows until the end: the groups'
    # cliques (each community's rows built in its own task) and the extra ties
    # (weak, then top-up). Rows merge in one pass at the end, at their final
    # places, so no pass sorts or compacts the whole graph.
    strong_start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(group_ends, out=strong_start[1:])
    del group_ends
    strong = np.empty(int(strong_start[-1]), dtype=np.int32)
    strong_len = np.empty(n, dtype=np.int64)
    aff.strong_rows(members, seg, sizes, starts, strong_start, strong, strong_len)
    del members
    want = 2 * int(round(n * mean_degree / 2))
    shuffling.join()
    weak_rows = edges_to_rows(weak[0::2], weak[1::2], n, trusted=True)
    del weak
    strong_rows = (strong_start, strong_len, strong)
    degree = np.empty(n, dtype=np.int64)
    aff.merged_lengths(strong_rows, weak_rows, degree)
    before_top_up = total = int(degree.sum())

    # Top up what repeats and self-pairs cost, drawing ends in proportion to the
    # target degree so the tail stays heavy. Each round loses a few new edges
    # to repeats again, hence the loop (2 rounds suffice in practice).
    cum_weight = np.cumsum(target, dtype=np.float64)
    top_up_rows = _no_rows(n)
    rounds = 0
    while total < want * 0.999 and rounds < 8:
        deficit = (want - total) // 2
        if group_clustering is not None and rounds < 2:
            # Each person's own shortfall, as stubs paired at random: every target
            # degree is met again, not only the mean (a configuration-model step).
            # What still repeats after two rounds (hubs short of friends meeting
            # each other again) is drawn in proportion to degree, as below.
            short = np.maximum(target - degree, 0)
            make_sum_even(short, _subkey(key, _PAIRS) + rounds, max_degree)
            stubs = np.empty(int(short.sum()), dtype=np.int32)
            fill_stubs(short, stubs)
            del short
            shuffle_stubs(stubs, np.uint64(_subkey(key, _PAIRS) + 100 + rounds))
            src, dst = stubs[0::2], stubs[1::2]
        else:
            src = np.empty(deficit, dtype=np.int32)
            dst = np.empty(deficit, dtype=np.int32)
            aff.draw_weighted_pairs(cum_weight, np.uint64(_subkey(key, _PAIRS)), 100 + rounds,
                                    src, dst)
        new_rows = edges_to_rows(src, dst, n, trusted=True)
        del src, dst
        top_up_rows = _add_top_ups(strong_rows, weak_rows, top_up_rows, new_rows, degree)
        total = int(degree.sum())
        rounds += 1
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(degree, out=indptr[1:])
    indices = np.empty(total, dtype=np.int32)
    aff.merge_three(strong_rows, weak_rows, top_up_rows, indptr, indices)
    del strong, strong_rows, weak_rows, top_up_rows
    params = {
        "n": n, "mean_degree": mean_degree, "median": median, "max_degree": max_degree,
        "group_size": int(group_size), "weak_share": float(weak_share), "communities": communities,
    }  # fmt: skip
    community = np.repeat(np.arange(communities, dtype=np.int32), np.diff(starts))
    top_up_edges = int(indices.size - before_top_up) // 2
    # Groups and top-ups can give someone near the cap more friends than it allows.
    entries = indices.size
    if entries and int(np.diff(indptr).max()) > max_degree:
        entries = int(cap_degrees(indptr, indices, max_degree))
        indices = indices[:entries]  # a view: a copy would double the peak at 10^7 agents
    return _graph(
        indptr, indices, "clustered", params, seed, community=community,
        top_up_edges=top_up_edges, top_up_rounds=rounds,
        capped_edges=(total - entries) // 2,
    )  # fmt: skip


#: How local clustering falls with degree (C ~ k^-CLUSTERING_SLOPE) when group sizes follow
#: the degree: Facebook's clustering falls steeply with degree (Ugander et al. 2011).
CLUSTERING_SLOPE = 0.55


def group_sizes(target: np.ndarray, clustering: float, weak_share: float,
                max_degree: int) -> np.ndarray:
    """The size of the groups each node joins, growing with its degree so that local
    clustering is about ``clustering * (k / 100) ** -CLUSTERING_SLOPE`` at degree ``k``.

    A node in groups of size ``s`` has clustering about ``(1 - w)(s - 2)/(k - 1)``
    (see :mod:`simulator.graphs.affiliation`), so ``s = 2 + C(k)(k - 1)/(1 - w)``,
    at least 3 and at most what its strong ties can fill.

    >>> group_sizes(np.array([5, 15, 100, 500]), 0.14, 0.25, 5000).tolist()
    [4, 9, 20, 40]
    """
    k = np.maximum(target.astype(np.float64), 1.0)
    c_k = clustering * (k / 100.0) ** -CLUSTERING_SLOPE
    s = 2.0 + c_k * (k - 1.0) / max(1.0 - weak_share, 1e-9)
    most = np.maximum(3.0, (1.0 - weak_share) * k + 1.0)
    return np.clip(np.rint(s), 3, np.minimum(most, max_degree + 1)).astype(np.int64)


class _beside:
    """Run a ``nogil`` kernel in a thread while the caller goes on; :meth:`join` waits for it.

    Only where numba's threading layer takes calls from two threads at once (OpenMP,
    TBB); with the default work queue the kernel simply runs here, first. The
    result is the same either way: the kernel writes only its own arguments.
    """

    def __init__(self, kernel, *args):
        self._error: BaseException | None = None
        self._thread = None
        if _layer_takes_threads():
            self._thread = threading.Thread(target=self._run, args=(kernel, args), daemon=True)
            self._thread.start()
        else:
            kernel(*args)

    def _run(self, kernel, args):
        try:
            kernel(*args)
        except BaseException as error:  # handed to join(), in the caller's thread
            self._error = error

    def join(self) -> None:
        if self._thread is not None:
            self._thread.join()
            if self._error is not None:
                raise self._error


def _layer_takes_threads() -> bool:
    try:
        return numba.threading_layer() in ("omp", "tbb")
    except ValueError:  # no parallel kernel has run yet, so no layer is chosen
        return False


def _no_rows(n: int):
    """A set of ``n`` empty rows, ``(row_start, row_len, indices)``."""
    return np.zeros(n + 1, dtype=np.int64), np.zeros(n, dtype=np.int64), np.empty(0, np.int32)


def _add_top_ups(strong, weak, old, new, degree):
    """The top-up rows ``old`` and ``new`` as one set (repeats dropped); ``degree`` gains
    the friends ``new`` adds to the graph (:func:`~simulator.graphs.affiliation.merge_new_rows`).

    Each merged row gets the room of both (the gaps repeats leave are kept:
    the rows are merged once more, into the graph, at the end).
    """
    n = degree.size
    start = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(old[1] + new[1], out=start[1:])
    out = (start, np.empty(n, dtype=np.int64), np.empty(int(start[-1]), dtype=np.int32))
    aff.merge_new_rows(strong, weak, old, new, *out, degree)
    return out


#: What makes :func:`social` Facebook-like beyond :func:`clustered`'s defaults (measured
#: against Ugander et al. 2011 in ``experiments/facebook_graph.py``).
SOCIAL_MIXING = {"degree_mixing": 0.3, "group_clustering": 0.22, "weak_share": 0.15}


def social(n: int, mean_degree: float = 130.0, seed: int = 0, **kwargs: Any) -> Graph:
    """The project's default friend graph: :func:`clustered`, mixed the way Facebook's is.

    Mean degree 130 (Facebook's "average user has 130 friends"), lognormal
    degrees with Facebook's mean/median ratio 190/99 capped at 5,000,
    communities of 10,000 agents, and :data:`SOCIAL_MIXING`: people with many
    friends befriend people with many friends (degree assortativity about
    0.27; Ugander et al. 2011: 0.23), local clustering about 0.15 at degree 100
    falling with degree (Facebook: 0.14), everyone in one component, and no
    dip in the degree distribution. Keyword arguments override
    :func:`clustered`'s (``group_size`` with ``group_clustering = None`` gives
    the groups of one size of earlier versions).

    Examples
    --------
    >>> g = social(2000, 40, seed=0)
    >>> g.meta["kind"], abs(g.mean_degree - 40) < 0.4
    ('social', True)
    """
    g = clustered(n, mean_degree, seed, **{**SOCIAL_MIXING, **kwargs})
    g.meta["kind"] = "social"
    return g


__all__ = [
    "clustered",
    "complete",
    "configuration",
    "erdos_renyi",
    "holme_kim",
    "planted_partition",
    "social",
    "stochastic_block",
    "watts_strogatz",
]
