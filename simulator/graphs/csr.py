"""Edge lists to symmetric, simple, row-sorted CSR, and the checks that prove it.

The path every generator that produces an edge list takes (configuration,
Watts–Strogatz, Holme–Kim, edge-list files):

1. :func:`count_ends` counts both ends of every edge that is not a self-loop;
2. :func:`scatter_edges` writes each edge into both rows (a counting sort, so
   no ``(2m, 2)`` int64 pair array and no ``argsort``);
3. :func:`sort_unique_rows` sorts every row in place and squeezes out repeats;
4. :func:`compact_rows` slides the rows left over the gaps, in place.

Peak memory is the input edges plus one int32 slot per edge end: the only
copy is the final trim when multi-edges were dropped (see :func:`edges_to_csr`).
"""

from __future__ import annotations

from typing import Any

import numba
import numpy as np
from numba import njit, prange

from simulator.graphs.graph import Graph

#: Codes returned per row by :func:`check_rows`.
ROW_OK, ROW_OUT_OF_RANGE, ROW_UNSORTED, ROW_SELF_LOOP, ROW_ASYMMETRIC = 0, 1, 2, 3, 4
_PROBLEMS = {
    ROW_OUT_OF_RANGE: "a neighbour id outside 0..n-1",
    ROW_UNSORTED: "a row that is not strictly increasing (unsorted or a repeated edge)",
    ROW_SELF_LOOP: "a self-loop",
    ROW_ASYMMETRIC: "an edge without its reverse (not symmetric)",
}


@njit(cache=True)
def count_ends(src, dst, counts):
    """Add one to ``counts`` at both ends of every edge that is not a self-loop.

    Parameters
    ----------
    src, dst : ndarray of int32, shape (m,)
        Edge ends (any layout, e.g. the strided views ``stubs[0::2]``).
    counts : ndarray of int64, shape (n,)
        Accumulated in place.

    Returns
    -------
    int
        Number of self-loops skipped.
    """
    loops = 0
    for e in range(src.size):
        a = src[e]
        b = dst[e]
        if a == b:
            loops += 1
        else:
            counts[a] += 1
            counts[b] += 1
    return loops


@njit(cache=True)
def scatter_edges(src, dst, cursor, indices):
    """Write each non-loop edge into the rows of both its ends.

    Parameters
    ----------
    src, dst : ndarray of int32, shape (m,)
    cursor : ndarray of int64, shape (n,)
        Next free slot of every row (starts as ``indptr[:-1]``); advanced in place.
    indices : ndarray of int32, shape (indptr[-1],)
        Output slots.
    """
    for e in range(src.size):
        a = src[e]
        b = dst[e]
        if a != b:
            indices[cursor[a]] = b
            cursor[a] += 1
            indices[cursor[b]] = a
            cursor[b] += 1


@njit(cache=True, inline="always")
def _squeeze_repeats(indices, a, b):
    """Move the distinct entries of the sorted run ``indices[a:b]`` to its front; their count."""
    w = a + 1
    for r in range(a + 1, b):
        if indices[r] != indices[w - 1]:
            indices[w] = indices[r]
            w += 1
    return w - a


@njit(cache=True, parallel=True)
def sort_unique_rows(indptr, indices, kept):
    """Sort every row in place and move its distinct entries to the front.

    Rows are independent, so the parallel loop is race-free and its result
    does not depend on the thread count.

    Parameters
    ----------
    indptr : ndarray of int64, shape (n + 1,)
    indices : ndarray of int32, shape (indptr[-1],)
        Sorted and de-duplicated row by row, in place.
    kept : ndarray of int64, shape (n,)
        Output: number of distinct entries of each row.
    """
    n = indptr.size - 1
    for i in prange(n):
        a = indptr[i]
        b = indptr[i + 1]
        if b - a < 2:
            kept[i] = b - a
            continue
        indices[a:b].sort()
        kept[i] = _squeeze_repeats(indices, a, b)


@njit(cache=True)
def compact_rows(indptr, indices, kept):
    """Slide rows left so they are contiguous again; rewrite ``indptr`` in place.

    Serial on purpose: row ``i`` may move into the gap left by row ``i-1``, so
    the order matters. It is a single streaming pass (memmove speed).

    Returns
    -------
    int
        The new number of entries, ``indptr[-1]``.
    """
    n = indptr.size - 1
    w = 0
    for i in range(n):
        a = indptr[i]
        k = kept[i]
        if w != a:
            for r in range(k):
                indices[w + r] = indices[a + r]
        indptr[i] = w
        w += k
    indptr[n] = w
    return w


@njit(cache=True, parallel=True)
def check_rows(indptr, indices, codes, up):
    """Check every row on its own; write a problem code and the upper count per row.

    Codes: 0 fine, 1 neighbour out of range, 2 not strictly increasing,
    3 self-loop.

    Parameters
    ----------
    indptr : ndarray of int64, shape (n + 1,)
    indices : ndarray of int32, shape (indptr[-1],)
    codes : ndarray of int8, shape (n,)
        Output.
    up : ndarray of int64, shape (n,)
        Output: number of entries ``j > i`` in row ``i`` (used by
        :func:`check_symmetry`).
    """
    n = indptr.size - 1
    for i in prange(n):
        code = 0
        a = indptr[i]
        b = indptr[i + 1]
        cnt = 0
        for k in range(a, b):
            j = indices[k]
            if j < 0 or j >= n:
                code = 1
                break
            if k > a and indices[k - 1] >= j:
                code = 2
                break
            if j == i:
                code = 3
                break
            if j > i:
                cnt += 1
        codes[i] = code
        up[i] = cnt


@njit(cache=True, parallel=True)
def check_symmetry(indptr, indices, up, bounds, codes):
    """Mark rows whose lower part is not the mirror of the upper parts (code 4).

    Rows must already pass :func:`check_rows`. Row ``j``'s entries below ``j``
    must be exactly the sources ``r < j`` whose upper parts hold ``j``, in
    increasing order: the same scan as
    :func:`simulator.graphs.pairs.mirror_upper_rows`, comparing instead of
    writing. One streaming pass, where a binary search per entry was 20x
    slower (cache misses at n=10^6).

    Parameters
    ----------
    indptr, indices
        The CSR arrays.
    up : ndarray of int64, shape (n,)
        From :func:`check_rows`.
    bounds : ndarray of int64, shape (T + 1,)
        Row blocks, one task each.
    codes : ndarray of int8, shape (n,)
        Set to 4 for rows that fail.
    """
    n_tasks = bounds.size - 1
    for t in prange(n_tasks):
        a = bounds[t]
        b = bounds[t + 1]
        if a >= b:
            continue
        cur = indptr[a:b].copy()
        for r in range(b - 1):
            s = indptr[r + 1] - up[r]
            e = indptr[r + 1]
            if s == e or indices[e - 1] < a:
                continue
            lo = s
            hi = e
            while lo < hi:
                mid = (lo + hi) // 2
                if indices[mid] < a:
                    lo = mid + 1
                else:
                    hi = mid
            for k in range(lo, e):
                j = indices[k]
                if j >= b:
                    break
                c = cur[j - a]
                if c >= indptr[j + 1] - up[j] or indices[c] != r:
                    codes[j] = 4
                cur[j - a] = c + 1
        for j in range(a, b):
            if cur[j - a] != indptr[j + 1] - up[j]:
                codes[j] = 4


def finish_rows(indptr: np.ndarray, indices: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """Sort, de-duplicate and compact filled rows; return the trimmed arrays.

    ``indptr`` is rewritten in place. When repeats were dropped the tail is cut
    off by shrinking the buffer in place (``ndarray.resize`` reallocates, which
    for large buffers gives the tail back without copying), so the result owns
    exactly its bytes; a slice would keep the whole buffer alive and a copy
    would double the peak. Returns ``(indptr, indices, n_repeats)`` where
    ``n_repeats`` counts dropped directed entries.
    """
    kept = np.empty(indptr.size - 1, dtype=np.int64)
    sort_unique_rows(indptr, indices, kept)
    total = compact_rows(indptr, indices, kept)
    del kept
    dropped = int(indices.size - total)
    if dropped:
        try:
            indices.resize(total, refcheck=False)
        except ValueError:  # not the owner of its buffer (a view): copy instead
            indices = indices[:total].copy()
    return indptr, indices, dropped


@njit(cache=True, parallel=True)
def _count_by_block(indptr, indices, counts):
    """``counts[b, j]``: entries ``j`` in the rows of block ``b`` (blocks of contiguous rows)."""
    blocks, n = counts.shape
    for b in prange(blocks):
        for i in range(n * b // blocks, n * (b + 1) // blocks):
            for p in range(indptr[i], indptr[i + 1]):
                counts[b, indices[p]] += 1


@njit(cache=True, parallel=True)
def _scatter_transposed(indptr, indices, cursor, out):
    """Write entry ``i -> j`` as ``j -> i``; each block fills its own slots of every row,
    in increasing ``i``, so every row of ``out`` comes out sorted."""
    blocks, n = cursor.shape
    for b in prange(blocks):
        for i in range(n * b // blocks, n * (b + 1) // blocks):
            for p in range(indptr[i], indptr[i + 1]):
                j = indices[p]
                out[cursor[b, j]] = i
                cursor[b, j] += 1


@njit(cache=True, parallel=True)
def _unique_sorted_rows(indptr, indices, kept):
    """Squeeze repeats out of sorted rows (to each row's front); ``kept`` gets the counts."""
    n = indptr.size - 1
    for i in prange(n):
        a = indptr[i]
        b = indptr[i + 1]
        if b - a < 2:
            kept[i] = b - a
            continue
        kept[i] = _squeeze_repeats(indices, a, b)


def finish_symmetric_rows(indptr: np.ndarray, indices: np.ndarray
                          ) -> tuple[np.ndarray, np.ndarray, int]:
    """:func:`finish_rows` for rows that hold every edge both ways, by transposing.

    Row ``j`` of the transpose lists the rows ``i`` holding ``j`` in increasing
    ``i``: for a symmetric matrix that is row ``j`` itself, sorted, so no row is
    sorted at all (two linear passes instead of a sort per row: about twice as
    fast at 10^6 agents and mean degree 130). The result is the same as
    :func:`finish_rows`'s, entry for entry; the price is a second index buffer
    while it runs.
    """
    n = indptr.size - 1
    blocks = max(1, min(numba.get_num_threads(), 64))
    counts = np.zeros((blocks, n), dtype=np.int64)
    _count_by_block(indptr, indices, counts)
    cursor = np.empty_like(counts)
    cursor[0] = indptr[:-1]
    for b in range(1, blocks):
        cursor[b] = cursor[b - 1] + counts[b - 1]
    del counts
    out = np.empty_like(indices)
    _scatter_transposed(indptr, indices, cursor, out)
    del cursor, indices
    kept = np.empty(n, dtype=np.int64)
    _unique_sorted_rows(indptr, out, kept)
    total = compact_rows(indptr, out, kept)
    del kept
    dropped = int(out.size - total)
    if dropped:
        out.resize(total, refcheck=False)
    return indptr, out, dropped


def edges_to_csr(src: np.ndarray, dst: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray, dict]:
    """Turn an undirected edge list into symmetric, simple, row-sorted CSR arrays.

    Self-loops are dropped and repeated edges (in either direction) kept once.

    Parameters
    ----------
    src, dst : array_like of int, shape (m,)
        Edge ends in ``0..n-1``; int32 arrays (also strided views) are used
        without a copy.
    n : int
        Number of nodes.

    Returns
    -------
    indptr : ndarray of int64, shape (n + 1,)
    indices : ndarray of int32
    info : dict
        ``self_loops`` and ``multi_edges`` (undirected edges dropped).

    Examples
    --------
    >>> src = np.array([0, 1, 2, 2, 1], dtype=np.int32)
    >>> dst = np.array([1, 0, 2, 0, 2], dtype=np.int32)
    >>> indptr, indices, info = edges_to_csr(src, dst, 3)
    >>> indptr.tolist(), indices.tolist(), info
    ([0, 2, 4, 6], [1, 2, 0, 2, 0, 1], {'self_loops': 1, 'multi_edges': 1})
    """
    src = np.asarray(src)
    dst = np.asarray(dst)
    if src.shape != dst.shape or src.ndim != 1:
        raise ValueError("src and dst must be 1-d arrays of the same length")
    if src.dtype != np.int32:
        src = src.astype(np.int32)
    if dst.dtype != np.int32:
        dst = dst.astype(np.int32)
    if src.size and (min(src.min(), dst.min()) < 0 or max(src.max(), dst.max()) >= n):
        raise ValueError(f"edge ends must lie in 0..{n - 1}")
    counts = np.zeros(n, dtype=np.int64)
    loops = count_ends(src, dst, counts)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    del counts
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    cursor = indptr[:-1].copy()
    scatter_edges(src, dst, cursor, indices)
    del cursor
    indptr, indices, dropped = finish_rows(indptr, indices)
    return indptr, indices, {"self_loops": int(loops), "multi_edges": dropped // 2}


def csr_problems(indptr: np.ndarray, indices: np.ndarray) -> list[str]:
    """Describe what is wrong with CSR arrays (empty list when they are a valid graph).

    >>> csr_problems(np.array([0, 1, 1]), np.array([1], dtype=np.int32))
    ['row 1: an edge without its reverse (not symmetric)']
    """
    indptr = np.ascontiguousarray(indptr, dtype=np.int64)
    indices = np.ascontiguousarray(indices, dtype=np.int32)
    if indptr.ndim != 1 or indptr.size < 1 or indptr[0] != 0 or indptr[-1] != indices.size:
        return ["indptr must start at 0 and end at len(indices)"]
    if np.any(np.diff(indptr) < 0):
        return ["indptr must be non-decreasing"]
    n = indptr.size - 1
    codes = np.zeros(n, dtype=np.int8)
    up = np.empty(n, dtype=np.int64)
    check_rows(indptr, indices, codes, up)
    if not codes.any():
        tasks = numba.get_num_threads()
        bounds = np.linspace(0, n, tasks + 1).astype(np.int64)
        check_symmetry(indptr, indices, up, bounds, codes)
    bad = np.flatnonzero(codes)
    return [f"row {i}: {_PROBLEMS[int(codes[i])]}" for i in bad[:5]]


def from_csr_validated(
    indptr: np.ndarray,
    indices: np.ndarray,
    community: np.ndarray | None = None,
    labels: np.ndarray | None = None,
    meta: dict[str, Any] | None = None,
) -> Graph:
    """Build a :class:`Graph` after checking symmetry, sortedness and simplicity.

    Raises
    ------
    ValueError
        Naming the first offending rows and the problem.

    Examples
    --------
    >>> g = from_csr_validated(np.array([0, 1, 2]), np.array([1, 0]))
    >>> g.n_edges
    1
    >>> from_csr_validated(np.array([0, 2, 3]), np.array([1, 1, 0]))
    Traceback (most recent call last):
    ...
    ValueError: not a simple symmetric sorted CSR graph: row 0: a row that is not strictly increasing (unsorted or a repeated edge)
    """
    problems = csr_problems(indptr, indices)
    if problems:
        raise ValueError("not a simple symmetric sorted CSR graph: " + "; ".join(problems))
    return Graph(indptr, indices, community=community, labels=labels, meta=dict(meta or {}))
