"""Summaries of a friend graph: degrees, clustering, components, assortativity.

Clustering counts triangles exactly by degree-ordered intersection of sorted
rows (:func:`count_triangles`) for graphs up to :data:`EXACT_LIMIT` nodes; above that a seeded uniform sample of nodes
(:data:`DEFAULT_SAMPLE`) estimates the mean, with standard error about
``0.2 / sqrt(sample)`` for social graphs (local clustering has sd < 0.2 there).
"""

from __future__ import annotations

import numba
import numpy as np
from numba import njit, prange

from simulator.graphs.graph import Graph

EXACT_LIMIT = 200_000
DEFAULT_SAMPLE = 10_000


@njit(cache=True, inline="always")
def _shared(indices, a, b, c, e):
    """``|row[a:b] & row[c:e]|`` for two sorted rows: merge when their sizes are
    close, else binary-search the short row in the long one (hubs would make
    a merge cost their whole degree for every friend)."""
    if b - a > e - c:
        a, b, c, e = c, e, a, b
    short = b - a
    long = e - c
    if short == 0:
        return 0
    found = 0
    if short * 8 < long:
        lo = c
        for x in range(a, b):
            v = indices[x]
            hi = e
            while lo < hi:
                mid = (lo + hi) // 2
                if indices[mid] < v:
                    lo = mid + 1
                else:
                    hi = mid
            if lo == e:
                break
            if indices[lo] == v:
                found += 1
        return found
    x = a
    y = c
    while x < b and y < e:
        u = indices[x]
        v = indices[y]
        if u < v:
            x += 1
        elif u > v:
            y += 1
        else:
            found += 1
            x += 1
            y += 1
    return found


@njit(cache=True, parallel=True)
def count_local_clustering(indptr, indices, nodes, out):
    """Local clustering coefficient of each listed node (for node samples).

    ``C_i = 2 T_i / (d_i (d_i - 1))`` with ``T_i`` the triangles through ``i``
    (0 when ``d_i < 2``, as networkx does). ``T_i`` is half the sum over
    neighbours ``j`` of ``|N(i) & N(j)|``.

    Parameters
    ----------
    indptr : ndarray of int64, shape (n + 1,)
    indices : ndarray of int32
        Sorted rows.
    nodes : ndarray of int64, shape (k,)
    out : ndarray of float64, shape (k,)
        Output.
    """
    for t in prange(nodes.size):
        i = nodes[t]
        a = indptr[i]
        b = indptr[i + 1]
        d = b - a
        if d < 2:
            out[t] = 0.0
            continue
        shared = 0
        for k in range(a, b):
            j = indices[k]
            shared += _shared(indices, a, b, indptr[j], indptr[j + 1])
        out[t] = shared / (d * (d - 1.0))


@njit(cache=True, parallel=True)
def orient_by_degree(indptr, indices, fptr, findices):
    """Keep, of each row ``u``, the friends ranked above ``u`` by (degree, id).

    Parameters
    ----------
    indptr, indices
        The CSR arrays (sorted rows).
    fptr : ndarray of int64, shape (n + 1,)
        Row pointers of the oriented graph (computed from the counts beforehand).
    findices : ndarray of int32, shape (m,)
        Output: forward friends of each row, still sorted by id.
    """
    n = indptr.size - 1
    for u in prange(n):
        du = indptr[u + 1] - indptr[u]
        w = fptr[u]
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            dv = indptr[v + 1] - indptr[v]
            if dv > du or (dv == du and v > u):
                findices[w] = v
                w += 1


@njit(cache=True, parallel=True)
def count_forward_degrees(indptr, indices, out):
    """Number of friends ranked above each node by (degree, id); see :func:`orient_by_degree`."""
    n = indptr.size - 1
    for u in prange(n):
        du = indptr[u + 1] - indptr[u]
        cnt = 0
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            dv = indptr[v + 1] - indptr[v]
            if dv > du or (dv == du and v > u):
                cnt += 1
        out[u] = cnt


@njit(cache=True, parallel=True)
def count_triangles(fptr, findices, tri_by_chunk, mark_by_chunk):
    """Triangles through every node, each found once from its lowest-ranked corner.

    Orienting edges from low to high (degree, id) rank leaves every node at
    most ``sqrt(2 m)`` forward friends, so hubs stop dominating the cost; the
    forward friends of ``u`` are marked once, then each forward friend's own
    forward list is scanned against the marks (about 2x fewer steps than
    merging, and no unpredictable merge branches). Measured on a social graph
    with n = 5*10^4, mean degree 130: 4 s intersecting full rows per node
    versus 1.2 s here (2 cores, shared with other jobs).

    Parameters
    ----------
    fptr, findices
        The oriented graph from :func:`orient_by_degree`.
    tri_by_chunk : ndarray of int64, shape (C, n), zeroed
        Output: triangles found by chunk ``c`` (rows ``c, c + C, ...``); sum
        over axis 0 (exact integers: any chunking gives the same sums).
    mark_by_chunk : ndarray of bool, shape (C, n), all False
        Scratch, one row per chunk; left all False again.
    """
    n = fptr.size - 1
    n_chunks = tri_by_chunk.shape[0]
    for c in prange(n_chunks):
        tri = tri_by_chunk[c]
        mark = mark_by_chunk[c]
        for u in range(c, n, n_chunks):
            a = fptr[u]
            b = fptr[u + 1]
            if b - a < 2:
                continue
            for k in range(a, b):
                mark[findices[k]] = True
            for k in range(a, b):
                v = findices[k]
                for y in range(fptr[v], fptr[v + 1]):
                    w = findices[y]
                    if mark[w]:
                        tri[u] += 1
                        tri[v] += 1
                        tri[w] += 1
            for k in range(a, b):
                mark[findices[k]] = False


@njit(cache=True)
def label_components(indptr, indices, labels):
    """Connected-component label of every node by breadth-first search.

    Parameters
    ----------
    indptr, indices
        The CSR arrays.
    labels : ndarray of int32, shape (n,)
        Output labels ``0..C-1``.

    Returns
    -------
    int
        The number of components ``C``.
    """
    n = indptr.size - 1
    labels[:] = -1
    queue = np.empty(n, dtype=np.int32)
    n_comp = 0
    for s in range(n):
        if labels[s] >= 0:
            continue
        labels[s] = n_comp
        head = 0
        tail = 1
        queue[0] = s
        while head < tail:
            i = queue[head]
            head += 1
            for k in range(indptr[i], indptr[i + 1]):
                j = indices[k]
                if labels[j] < 0:
                    labels[j] = n_comp
                    queue[tail] = j
                    tail += 1
        n_comp += 1
    return n_comp


@njit(cache=True)
def sum_degree_products(indptr, indices):
    """Sums over directed edges of ``d_i``, ``d_i^2`` and ``d_i d_j`` (assortativity)."""
    n = indptr.size - 1
    s1 = 0.0
    s2 = 0.0
    s12 = 0.0
    for i in range(n):
        di = indptr[i + 1] - indptr[i]
        for k in range(indptr[i], indptr[i + 1]):
            j = indices[k]
            dj = indptr[j + 1] - indptr[j]
            s1 += di
            s2 += di * di
            s12 += di * dj
    return s1, s2, s12


def degree_summary(g: Graph) -> dict[str, float]:
    """Mean, median, min, max, standard deviation and quantiles of the degrees.

    >>> from simulator.graphs.generators import complete
    >>> s = degree_summary(complete(5))
    >>> s["mean"], s["median"], s["max"], s["q99"]
    (4.0, 4.0, 4, 4.0)
    """
    d = g.degrees()
    if d.size == 0:
        return {}
    qs = np.quantile(d, [0.01, 0.1, 0.25, 0.75, 0.9, 0.99])
    out = {
        "mean": float(d.mean()),
        "median": float(np.median(d)),
        "min": int(d.min()),
        "max": int(d.max()),
        "std": float(d.std()),
        "isolated": int(np.count_nonzero(d == 0)),
    }
    for name, q in zip(("q01", "q10", "q25", "q75", "q90", "q99"), qs, strict=True):
        out[name] = float(q)
    return out


def _nodes(g: Graph, sample: int | None, seed: int) -> np.ndarray:
    if sample is None:
        sample = g.n if g.n <= EXACT_LIMIT else DEFAULT_SAMPLE
    if sample >= g.n:
        return np.arange(g.n, dtype=np.int64)
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(g.n, size=int(sample), replace=False)).astype(np.int64)


def triangles(g: Graph) -> np.ndarray:
    """Number of triangles through every node (int64), by degree-ordered counting.

    >>> from simulator.graphs.generators import complete
    >>> triangles(complete(4)).tolist()
    [3, 3, 3, 3]
    """
    n = g.n
    fdeg = np.empty(n, dtype=np.int64)
    count_forward_degrees(g.indptr, g.indices, fdeg)
    fptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(fdeg, out=fptr[1:])
    del fdeg
    findices = np.empty(int(fptr[-1]), dtype=np.int32)
    orient_by_degree(g.indptr, g.indices, fptr, findices)
    chunks = numba.get_num_threads()
    tri_by_chunk = np.zeros((chunks, n), dtype=np.int64)
    count_triangles(fptr, findices, tri_by_chunk, np.zeros((chunks, n), dtype=np.bool_))
    return tri_by_chunk.sum(axis=0)


def local_clustering(g: Graph, nodes=None) -> np.ndarray:
    """Local clustering coefficient of the given nodes (default: all), float64.

    All nodes: from :func:`triangles`; a subset: row intersections per node.

    >>> from simulator.graphs.generators import complete
    >>> local_clustering(complete(4)).tolist()
    [1.0, 1.0, 1.0, 1.0]
    """
    if nodes is None:
        d = g.degrees().astype(np.float64)
        pairs = d * (d - 1.0) / 2.0
        out = np.zeros(g.n, dtype=np.float64)
        np.divide(triangles(g), pairs, out=out, where=pairs > 0)
        return out
    nodes = np.asarray(nodes, dtype=np.int64)
    out = np.empty(nodes.size, dtype=np.float64)
    count_local_clustering(g.indptr, g.indices, nodes, out)
    return out


def clustering(g: Graph, sample: int | None = None, seed: int = 0) -> float:
    """Mean local clustering (networkx ``average_clustering``), exact or on a node sample.

    Exact when ``g.n <= EXACT_LIMIT`` and ``sample`` is None; otherwise the
    mean over ``sample`` (default :data:`DEFAULT_SAMPLE`) nodes drawn without
    replacement with ``seed``.

    >>> from simulator.graphs.generators import watts_strogatz
    >>> round(clustering(watts_strogatz(100, 4, 0.0)), 3)
    0.5
    """
    if g.n == 0:
        return 0.0
    if sample is None and g.n <= EXACT_LIMIT:
        return float(local_clustering(g).mean())
    return float(local_clustering(g, _nodes(g, sample, seed)).mean())


def clustering_by_degree(
    g: Graph, bins=None, sample: int | None = None, seed: int = 0
) -> list[dict[str, float]]:
    """Mean local clustering per degree bin (Facebook's falls with degree).

    Parameters
    ----------
    bins : sequence of int, optional
        Bin edges ``[lo, hi)``; default powers of two from 2.

    Returns
    -------
    list of dict
        ``{"lo", "hi", "nodes", "clustering"}`` for each non-empty bin.

    >>> from simulator.graphs.generators import complete
    >>> clustering_by_degree(complete(6), bins=[2, 8])
    [{'lo': 2, 'hi': 8, 'nodes': 6, 'clustering': 1.0}]
    """
    if sample is None and g.n <= EXACT_LIMIT:
        nodes, c = np.arange(g.n), local_clustering(g)
    else:
        nodes = _nodes(g, sample, seed)
        c = local_clustering(g, nodes)
    d = g.degrees()[nodes]
    if bins is None:
        top = max(int(d.max(initial=2)), 2)
        bins = [2**e for e in range(1, int(np.log2(top)) + 2)]
    rows = []
    for lo, hi in zip(bins[:-1], bins[1:], strict=True):
        mask = (d >= lo) & (d < hi)
        if mask.any():
            rows.append(
                {"lo": int(lo), "hi": int(hi), "nodes": int(mask.sum()), "clustering": float(c[mask].mean())}
            )
    return rows


def giant_component_fraction(g: Graph) -> float:
    """Share of nodes in the largest connected component.

    >>> from simulator.graphs.csr import from_csr_validated
    >>> g = from_csr_validated(np.array([0, 1, 2, 2]), np.array([1, 0]))
    >>> round(giant_component_fraction(g), 3)
    0.667
    """
    if g.n == 0:
        return 0.0
    labels = np.empty(g.n, dtype=np.int32)
    n_comp = label_components(g.indptr, g.indices, labels)
    return float(np.bincount(labels, minlength=n_comp).max() / g.n)


def degree_assortativity(g: Graph) -> float:
    """Pearson correlation of the degrees at either end of an edge (Newman's r).

    >>> from simulator.graphs.generators import erdos_renyi
    >>> abs(degree_assortativity(erdos_renyi(3000, 10, seed=0))) < 0.05
    True
    """
    if g.indices.size == 0:
        return float("nan")
    s1, s2, s12 = sum_degree_products(g.indptr, g.indices)
    m = g.indices.size
    mean = s1 / m
    var = s2 / m - mean * mean
    if var <= 0:
        return float("nan")
    return float((s12 / m - mean * mean) / var)
