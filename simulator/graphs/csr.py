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
Steps 1 and 2 run with the rows cut into one block per thread
(:func:`count_ends_by_block`, :func:`scatter_edges_by_block`: the same arrays).

:func:`edges_to_rows` is the path for rows that are merged into others next (the
clustered generator's weak and top-up ties): rows sorted in cache-sized blocks
by a radix sort, and left with their gaps.
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


@njit(cache=True, parallel=True)
def count_ends_by_block(src, dst, bounds, counts):
    """:func:`count_ends` with the rows cut into blocks, one task each (every task reads
    all edges and counts only the ends in its own rows). Returns the self-loops skipped."""
    loops = 0
    for t in prange(bounds.size - 1):
        lo = bounds[t]
        hi = bounds[t + 1]
        for e in range(src.size):
            a = src[e]
            b = dst[e]
            if a == b:
                if t == 0:
                    loops += 1
                continue
            if lo <= a < hi:
                counts[a] += 1
            if lo <= b < hi:
                counts[b] += 1
    return loops


@njit(cache=True, parallel=True)
def scatter_edges_by_block(src, dst, bounds, cursor, indices):
    """:func:`scatter_edges` with the rows cut into blocks, one task each.

    Every task reads all edges in order and writes only into its own rows, so
    each row gets its entries in edge order: the same array as the serial scatter,
    on any number of threads, with the random writes shared between them.
    """
    for t in prange(bounds.size - 1):
        lo = bounds[t]
        hi = bounds[t + 1]
        for e in range(src.size):
            a = src[e]
            b = dst[e]
            if a == b:
                continue
            if lo <= a < hi:
                indices[cursor[a]] = b
                cursor[a] += 1
            if lo <= b < hi:
                indices[cursor[b]] = a
                cursor[b] += 1


def row_blocks(n: int) -> np.ndarray:
    """Row ranges for the by-block kernels: one per thread (at most 64)."""
    return np.linspace(0, n, max(1, min(numba.get_num_threads(), 64)) + 1).astype(np.int64)


@njit(cache=True, inline="always")
def squeeze_repeats(indices, a, b):
    """Move the distinct entries of the sorted run ``indices[a:b]`` to its front; their count."""
    w = a + 1
    for r in range(a + 1, b):
        if indices[r] != indices[w - 1]:
            indices[w] = indices[r]
            w += 1
    return w - a


#: Rows this short are sorted by insertion: numba's quicksort costs more to set up
#: than it saves on them (a third of the time on rows of about 20 friends).
_SHORT_ROW = 32


@njit(cache=True, inline="always")
def _insertion_sort(indices, a, b):
    for r in range(a + 1, b):
        v = indices[r]
        w = r - 1
        while w >= a and indices[w] > v:
            indices[w + 1] = indices[w]
            w -= 1
        indices[w + 1] = v


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
        if b - a <= _SHORT_ROW:
            _insertion_sort(indices, a, b)
        else:
            indices[a:b].sort()
        kept[i] = squeeze_repeats(indices, a, b)


@njit(cache=True)
def _find_in_row(indices, a, b, value):
    """Position of ``value`` in the sorted row ``indices[a:b]``, whose dropped entries
    are stored as ``-(j + 1)`` (see :func:`cap_degrees`)."""
    while a < b:
        mid = (a + b) // 2
        v = indices[mid]
        if v < 0:
            v = -v - 1
        if v < value:
            a = mid + 1
        else:
            b = mid
    return a


@njit(cache=True)
def cap_degrees(indptr, indices, cap):
    """Drop friendships until nobody has more than ``cap``; rewrites the CSR in place.

    A generator that builds degrees from groups and top-ups can overshoot a
    degree cap (Facebook's 5,000 friends); this is the cap. Agents are visited
    in id order; an agent over the cap drops its friendships with the friends
    who have the most friends at that moment (ties: the higher id), both
    directions at once, so a friend over the cap too comes down with it.
    Deterministic and serial (a drop changes the next choice). Rows must be
    sorted and symmetric. No array of the graph's size is allocated: a dropped
    entry ``j`` is marked ``-(j + 1)`` until the rows are closed up.

    Returns
    -------
    int
        The new number of entries, ``indptr[-1]``; ``indices[:result]`` is the graph.
    """
    n = indptr.size - 1
    degree = indptr[1:] - indptr[:-1]
    for i in range(n):
        excess = degree[i] - cap
        if excess <= 0:
            continue
        a, b = indptr[i], indptr[i + 1]
        place = np.empty(b - a, np.int64)
        rank = np.empty(b - a, np.int64)  # most friends first, then the higher id
        m = 0
        for p in range(a, b):
            j = indices[p]
            if j >= 0:
                place[m] = p
                rank[m] = -(degree[j] * (n + 1) + j)
                m += 1
        order = np.argsort(rank[:m])
        for r in range(excess):
            p = place[order[r]]
            j = indices[p]
            q = _find_in_row(indices, indptr[j], indptr[j + 1], i)  # the same friendship in j's row
            indices[p] = -j - 1
            indices[q] = -i - 1
            degree[i] -= 1
            degree[j] -= 1
    w = 0
    for i in range(n):
        a, b = indptr[i], indptr[i + 1]
        indptr[i] = w
        for p in range(a, b):
            if indices[p] >= 0:
                indices[w] = indices[p]
                w += 1
    indptr[n] = w
    return w


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
    src, dst = _checked_ends(src, dst, n)
    indptr, indices, loops = scatter_both_ways(src, dst, n)
    indptr, indices, dropped = finish_rows(indptr, indices)
    return indptr, indices, {"self_loops": int(loops), "multi_edges": dropped // 2}


def _checked_ends(src, dst, n):
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
    return src, dst


def scatter_both_ways(src, dst, n):
    """Each edge written into both its ends' rows, in edge order: ``(indptr, indices, loops)``
    (unsorted rows, repeats kept; the first two steps of the module's plan)."""
    bounds = row_blocks(n)
    counts = np.zeros(n, dtype=np.int64)
    loops = count_ends_by_block(src, dst, bounds, counts)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    del counts
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    cursor = indptr[:-1].copy()
    scatter_edges_by_block(src, dst, bounds, cursor, indices)
    return indptr, indices, loops


#: Rows per block of :func:`edges_to_rows`: a block's rows (about 8,000 people, a few
#: hundred kilobytes of ties) stay in a core's cache while they are filled and sorted.
_BLOCK_ROWS = 8192
#: Edge chunks of :func:`edges_to_rows`'s first pass (fixed, so the layout does not
#: depend on the thread count; it would not change the rows anyway: they are sorted).
_EDGE_CHUNKS = 64


@njit(cache=True, parallel=True)
def _count_by_row_block(src, dst, chunk, counts):
    """``counts[c, k]``: directed entries of edge chunk ``c`` whose row is in block ``k``."""
    for c in prange(chunk.size - 1):
        for e in range(chunk[c], chunk[c + 1]):
            a = src[e]
            b = dst[e]
            if a != b:
                counts[c, a // _BLOCK_ROWS] += 1
                counts[c, b // _BLOCK_ROWS] += 1


@njit(cache=True, parallel=True)
def _bucket_by_row_block(src, dst, chunk, cursor, row, friend):
    """Write every directed entry ``(row, friend)`` into its row block's bucket."""
    for c in prange(chunk.size - 1):
        cur = cursor[c]
        for e in range(chunk[c], chunk[c + 1]):
            a = src[e]
            b = dst[e]
            if a != b:
                k = a // _BLOCK_ROWS
                row[cur[k]] = a
                friend[cur[k]] = b
                cur[k] += 1
                k = b // _BLOCK_ROWS
                row[cur[k]] = b
                friend[cur[k]] = a
                cur[k] += 1


#: Bits per pass of :func:`_rows_of_blocks`' radix sort (2,048 counters: a core's L1).
_RADIX_BITS = 11


@njit(cache=True, parallel=True)
def _rows_of_blocks(bucket, row, friend, n, start, length, indices):
    """One task per row block: sort its entries by friend, then by row, into its own
    slice of ``indices`` (the bucket's; ``indices`` may be ``row`` itself: a task copies
    its slice before writing), and squeeze out repeats.

    The sort is a least-significant-digit radix sort (friend ids in passes of
    :data:`_RADIX_BITS` bits, then the row as a counting sort, each pass stable),
    so rows come out sorted without a comparison sort per row; everything a task
    touches stays in cache.
    """
    passes = 0
    while (1 << (passes * _RADIX_BITS)) < n:
        passes += 1
    radix = 1 << _RADIX_BITS
    for k in prange(bucket.size - 1):
        lo = k * _BLOCK_ROWS
        hi = min(lo + _BLOCK_ROWS, n)
        a0 = bucket[k]
        m = bucket[k + 1] - a0
        key = friend[a0:a0 + m].copy()
        own = row[a0:a0 + m].copy()
        key2 = np.empty(m, np.int32)
        own2 = np.empty(m, np.int32)
        counts = np.empty(radix, np.int64)
        for d in range(passes):
            shift = d * _RADIX_BITS
            counts[:] = 0
            for p in range(m):
                counts[(key[p] >> shift) & (radix - 1)] += 1
            total = 0
            for r in range(radix):
                c = counts[r]
                counts[r] = total
                total += c
            for p in range(m):
                r = (key[p] >> shift) & (radix - 1)
                key2[counts[r]] = key[p]
                own2[counts[r]] = own[p]
                counts[r] += 1
            key, key2 = key2, key
            own, own2 = own2, own
        # Last, a stable counting sort by row, straight into place.
        rows = np.zeros(hi - lo + 1, np.int64)
        for p in range(m):
            rows[own[p] - lo + 1] += 1
        rows[0] = a0
        for i in range(hi - lo):
            rows[i + 1] += rows[i]
        for i in range(lo, hi):
            start[i] = rows[i - lo]
        for p in range(m):
            r = own[p] - lo
            indices[rows[r]] = key[p]
            rows[r] += 1
        for i in range(lo, hi):
            a = start[i]
            b = rows[i - lo]
            length[i] = b - a if b - a < 2 else squeeze_repeats(indices, a, b)


def edges_to_rows(src: np.ndarray, dst: np.ndarray, n: int, trusted: bool = False
                  ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`edges_to_csr` without the final compaction: ``(row_start, row_len, indices)``.

    Row ``i`` is ``indices[row_start[i] : row_start[i] + row_len[i]]``, sorted and
    without repeats; the gaps repeats left stay. For rows that are merged into
    others next (:func:`simulator.graphs.affiliation.merge_rows`), where the
    compaction pass would be wasted.

    The entries are first bucketed by blocks of :data:`_BLOCK_ROWS` rows (a few
    hundred write streams, which caches take well), then each block sorts its
    entries on its own (:func:`_rows_of_blocks`), in cache, for twice the edges'
    memory while it runs. ``trusted``: the ends are int32 arrays known to lie in
    ``0..n-1`` (a generator's own), so the checks are skipped.

    >>> start, length, idx = edges_to_rows(np.array([0, 1, 2]), np.array([1, 0, 2]), 3)
    >>> [idx[start[i]:start[i] + length[i]].tolist() for i in range(3)]
    [[1], [0], []]
    """
    if not trusted:  # a generator's own int32 ends in range skip the two passes of checks
        src, dst = _checked_ends(src, dst, n)
    blocks = max(1, -(-n // _BLOCK_ROWS))
    chunk = np.linspace(0, src.size, _EDGE_CHUNKS + 1).astype(np.int64)
    counts = np.zeros((_EDGE_CHUNKS, blocks), dtype=np.int64)
    _count_by_row_block(src, dst, chunk, counts)
    # Bucket k holds block k's entries, chunk after chunk.
    sizes = counts.sum(axis=0)
    bucket = np.zeros(blocks + 1, dtype=np.int64)
    np.cumsum(sizes, out=bucket[1:])
    cursor = bucket[:-1] + np.cumsum(counts, axis=0) - counts
    del counts
    total = int(bucket[-1])
    row = np.empty(total, dtype=np.int32)
    friend = np.empty(total, dtype=np.int32)
    _bucket_by_row_block(src, dst, chunk, cursor, row, friend)
    del cursor
    start = np.empty(n + 1, dtype=np.int64)
    start[n] = total
    length = np.empty(n, dtype=np.int64)
    # The rows go into ``row`` itself: each block copies its bucket before writing its
    # rows over it (fresh memory is slow to touch, on some machines a second per GiB).
    _rows_of_blocks(bucket, row, friend, n, start, length, row)
    return start, length, row


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
