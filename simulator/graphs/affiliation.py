"""Kernels of the clustered (affiliation) generator: groups as cliques, weak ties.

Each node splits its target degree ``d`` into a strong part, spent in groups
of ``s`` members drawn from its own community (each group a clique: ``s - 1``
friends per membership), and a weak part of random ties across the whole
graph (Granovetter/Goldenberg: strong ties inside groups, weak ties across).
A node in ``g`` groups of size ``s`` has about ``g (s-1)(s-2)/2`` linked friend
pairs, so its local clustering is about ``(1 - w)^2 (s - 2) / (d - 1)`` (``w`` the
weak share): it falls with degree, as Facebook's does.

Communities are contiguous node ranges, so a task per community writes only
its own rows (race-free); weak ties cross communities and are scattered
serially.
"""

from __future__ import annotations

import numpy as np
from numba import njit, prange

from simulator.graphs.csr import squeeze_repeats
from simulator.rng import key_for, randint, uniform


@njit(cache=True, parallel=True)
def split_ties(degrees, sizes, weak_share, key, n_groups, n_weak):
    """Split each target degree into group memberships and weak-tie stubs.

    Both parts are rounded stochastically so their means are exact:
    ``E[g (s - 1)] = (1 - w) d`` and ``E[weak] = w d``. A node left with no tie
    at all gets one weak stub (isolated agents would never hear anything).

    Parameters
    ----------
    degrees : ndarray of int64, shape (n,)
        Target degrees.
    sizes : ndarray of int64, shape (n,)
        ``s``, the size of the groups each node joins (>= 2).
    weak_share : float
        ``w``, share of each degree spent on weak ties.
    key : uint64
        Stream key; node ``i`` uses ``key_for(key, i, 1)``.
    n_groups, n_weak : ndarray of int64, shape (n,)
        Outputs.
    """
    for i in prange(degrees.size):
        state = key_for(key, i, 1)
        strong = degrees[i] * (1.0 - weak_share) / (sizes[i] - 1)
        g = np.int64(np.floor(strong))
        u, state = uniform(state)
        if u < strong - g:
            g += 1
        weak = degrees[i] * weak_share
        k = np.int64(np.floor(weak))
        u, state = uniform(state)
        if u < weak - k:
            k += 1
        if g == 0 and k == 0 and degrees[i] > 0:
            k = 1
        n_groups[i] = g
        n_weak[i] = k


@njit(cache=True, parallel=True)
def shuffle_segments(stubs, seg, key):
    """Fisher–Yates shuffle each segment ``stubs[seg[c]:seg[c+1]]`` on its own.

    Segment ``c`` uses ``key_for(key, c, 2)``, so the result does not depend on
    which thread shuffles which segment.
    """
    for c in prange(seg.size - 1):
        state = key_for(key, c, 2)
        a = seg[c]
        for i in range(seg[c + 1] - 1, a, -1):
            j, state = randint(state, i - a + 1)
            tmp = stubs[i]
            stubs[i] = stubs[a + j]
            stubs[a + j] = tmp


@njit(cache=True, inline="always")
def _group_end(members, sizes, g0, end):
    """Where the group starting at ``g0`` ends: its first member's size, shortened to the
    smallest size among the members it would take (so nobody gets more strong ties
    than planned; the weak ties make up what is missing). With one size for all, the
    groups are the consecutive runs of ``s``."""
    s = sizes[members[g0]]
    g1 = min(g0 + s, end)
    for x in range(g0 + 1, g1):
        s = min(s, sizes[members[x]])
    return min(g0 + max(s, 2), end)


@njit(cache=True, parallel=True)
def count_group_ends(members, seg, sizes, counts):
    """Add each member's clique friends to ``counts`` (repeats of itself skipped).

    Parameters
    ----------
    members : ndarray of int32
        Ordered memberships; community ``c`` owns ``members[seg[c]:seg[c+1]]``,
        cut into consecutive groups, each of the size its first member joins
        (``sizes[members[g0]]``; the last may be smaller).
    seg : ndarray of int64, shape (C + 1,)
    sizes : ndarray of int64, shape (n,)
    counts : ndarray of int64, shape (n,)
        Accumulated in place (each community touches only its own nodes).
    """
    for c in prange(seg.size - 1):
        g0 = seg[c]
        while g0 < seg[c + 1]:
            g1 = _group_end(members, sizes, g0, seg[c + 1])
            for x in range(g0, g1):
                a = members[x]
                for y in range(g0, g1):
                    if members[y] != a:
                        counts[a] += 1
            g0 = g1


@njit(cache=True, parallel=True)
def draw_weighted_pairs(cum_weight, key, salt, src, dst):
    """Draw random pairs whose ends are chosen with probability proportional to a weight.

    Parameters
    ----------
    cum_weight : ndarray of float64, shape (n,)
        Cumulative weights (``cum_weight[-1]`` the total).
    key : uint64
    salt : int
        Distinguishes successive top-up rounds; pair ``e`` uses ``key_for(key, e, salt)``.
    src, dst : ndarray of int32, shape (m,)
        Output.
    """
    total = cum_weight[cum_weight.size - 1]
    last = cum_weight.size - 1
    for e in prange(src.size):
        state = key_for(key, e, salt)
        u, state = uniform(state)
        a = np.searchsorted(cum_weight, u * total, side="right")
        u, state = uniform(state)
        b = np.searchsorted(cum_weight, u * total, side="right")
        src[e] = min(a, last)
        dst[e] = min(b, last)


@njit(cache=True, parallel=True)
def order_by_noisy_degree(stubs, seg, log_degree, sigma, key, buckets, out):
    """Order each segment's memberships into rounds, each round by noisy degree, into ``out``.

    Groups are consecutive runs of memberships, so ordering them by degree puts
    people with many friends in groups with others who have many: degree
    assortativity, as in Facebook's graph (Ugander et al. 2011). A person's
    ``r``-th membership goes to round ``r``, so a round holds each person at
    most once (no one joins a group twice); within a round memberships are
    ordered by ``log degree + sigma * N(0, 1)`` (one draw per membership,
    from ``key_for(key, c, 3)``), the noise setting how strong the mixing
    by degree is. A counting sort over (round, ``buckets`` levels) keeps it
    linear; within a level the earlier, shuffled order stays.
    """
    n = log_degree.size
    seen = np.zeros(n, np.int64)  # memberships met so far; communities own disjoint nodes
    for c in prange(seg.size - 1):
        a = seg[c]
        b = seg[c + 1]
        if b - a < 2:
            for p in range(a, b):
                out[p] = stubs[p]
            continue
        state = key_for(key, c, 3)
        score = np.empty(b - a)
        rnd = np.empty(b - a, np.int64)
        lo = np.inf
        hi = -np.inf
        rounds = 0
        for p in range(a, b):
            u1, state = uniform(state)
            u2, state = uniform(state)
            z = np.sqrt(-2.0 * np.log(max(u1, 1e-300))) * np.cos(2.0 * np.pi * u2)
            v = log_degree[stubs[p]] + sigma * z
            score[p - a] = v
            lo = min(lo, v)
            hi = max(hi, v)
            r = seen[stubs[p]]
            seen[stubs[p]] = r + 1
            rnd[p - a] = r
            rounds = max(rounds, r + 1)
        width = (hi - lo) / buckets if hi > lo else 1.0
        counts = np.zeros(rounds * buckets + 1, np.int64)
        level = np.empty(b - a, np.int64)
        for q in range(b - a):
            k = rnd[q] * buckets + min(np.int64((score[q] - lo) / width), buckets - 1)
            level[q] = k
            counts[k + 1] += 1
        for k in range(rounds * buckets):
            counts[k + 1] += counts[k]
        for q in range(b - a):
            k = level[q]
            out[a + counts[k]] = stubs[a + q]
            counts[k] += 1


@njit(cache=True, parallel=True)
def strong_rows(members, seg, sizes, starts, row_start, rows, row_len):
    """Every community's group cliques as sorted rows without repeats (one task per community).

    Task ``c`` writes its groups' cliques into a scratch buffer of its own
    (each group a clique: a friend for every other member), then transposes the buffer into its
    nodes' rows of ``rows``: the cliques hold every tie both ways, so row ``j``
    of the transpose is row ``j`` itself, and scanning the scratch rows in
    increasing node order writes it sorted. Repeats (two people sharing two
    groups) are then squeezed to each row's front. All of it stays inside one
    community's few megabytes, where the whole-graph passes it replaces each
    went through main memory.

    Parameters
    ----------
    members, seg, sizes
        As for :func:`count_group_ends`.
    starts : ndarray of int64, shape (C + 1,)
        The communities' node ranges (community ``c`` owns the memberships
        ``seg[c]:seg[c+1]``, all of nodes ``starts[c]..starts[c+1]-1``).
    row_start : ndarray of int64, shape (n + 1,)
        Where each node's row starts in ``rows``: the running sum of
        :func:`count_group_ends`'s counts (repeats included).
    rows : ndarray of int32, shape (row_start[-1],)
        Output; row ``i`` is ``rows[row_start[i] : row_start[i] + row_len[i]]``.
    row_len : ndarray of int64, shape (n,)
        Output: each row's distinct friends.
    """
    for c in prange(starts.size - 1):
        lo = starts[c]
        hi = starts[c + 1]
        base = row_start[lo]
        scratch = np.empty(row_start[hi] - base, np.int32)
        cursor = np.empty(hi - lo, np.int64)
        for i in range(lo, hi):
            cursor[i - lo] = row_start[i] - base
        g0 = seg[c]
        while g0 < seg[c + 1]:
            g1 = _group_end(members, sizes, g0, seg[c + 1])
            for x in range(g0, g1):
                a = members[x]
                for y in range(g0, g1):
                    b = members[y]
                    if b != a:
                        scratch[cursor[a - lo]] = b
                        cursor[a - lo] += 1
            g0 = g1
        for i in range(lo, hi):
            cursor[i - lo] = row_start[i]
        for i in range(lo, hi):
            for p in range(row_start[i] - base, row_start[i + 1] - base):
                j = scratch[p] - lo
                rows[cursor[j]] = i
                cursor[j] += 1
        for i in range(lo, hi):
            a = row_start[i]
            b = row_start[i + 1]
            row_len[i] = b - a if b - a < 2 else squeeze_repeats(rows, a, b)


# Sets of rows are passed as ``(row_start, row_len, indices)`` tuples: row ``i`` of a set is
# ``indices[row_start[i] : row_start[i] + row_len[i]]``, sorted, without repeats.


@njit(cache=True, inline="always")
def _merge_row(a_idx, a, a_end, b_idx, b, b_end, out, w):
    """Merge two sorted rows without repeats into ``out`` from ``w`` (``out`` may be a
    0-size array, to count only); returns the merged length."""
    start = w
    last = -1
    while a < a_end or b < b_end:
        if b >= b_end or (a < a_end and a_idx[a] <= b_idx[b]):
            v = a_idx[a]
            a += 1
        else:
            v = b_idx[b]
            b += 1
        if v != last:
            if out.size:
                out[w] = v
            w += 1
            last = v
    return w - start


@njit(cache=True, parallel=True)
def merged_lengths(a, b, out_len):
    """``out_len[i]``: friends in row ``i`` of either set of rows."""
    nothing = np.empty(0, np.int32)
    for i in prange(out_len.size):
        out_len[i] = _merge_row(a[2], a[0][i], a[0][i] + a[1][i],
                                b[2], b[0][i], b[0][i] + b[1][i], nothing, 0)


@njit(cache=True, inline="always")
def _holds(rows, i, v):
    """Whether row ``i`` of a set of rows holds ``v`` (binary search)."""
    idx = rows[2]
    lo = rows[0][i]
    hi = lo + rows[1][i]
    end = hi
    while lo < hi:
        mid = (lo + hi) // 2
        if idx[mid] < v:
            lo = mid + 1
        else:
            hi = mid
    return lo < end and idx[lo] == v


@njit(cache=True, parallel=True)
def merge_new_rows(strong, weak, old, new, out_start, out_len, out_idx, degree):
    """Merge the ``new`` rows into the ``old`` ones, into ``out_idx`` from ``out_start[i]``
    (room for both; ``out_len`` gets the lengths), and add to ``degree`` the friends
    of ``new`` found in none of ``strong``, ``weak`` and ``old``.

    So a top-up round updates each person's degree from its new ties alone (a
    binary search each), and only the small top-up rows are copied, never the
    graph's. (The outputs are separate arrays, not a tuple unpacked here: numba
    0.6x loses a parallel loop's writes into arrays unpacked from a tuple.)
    """
    for i in prange(degree.size):
        a = old[0][i]
        a_end = a + old[1][i]
        b = new[0][i]
        b_end = b + new[1][i]
        w = out_start[i]
        start = w
        last = -1
        gained = 0
        while a < a_end or b < b_end:
            from_new = not (b >= b_end or (a < a_end and old[2][a] <= new[2][b]))
            if from_new:
                v = new[2][b]
                b += 1
            else:
                v = old[2][a]
                a += 1
            if v != last:
                out_idx[w] = v
                w += 1
                last = v
                if from_new and not _holds(strong, i, v) and not _holds(weak, i, v):
                    gained += 1
        out_len[i] = w - start
        degree[i] += gained


@njit(cache=True, parallel=True)
def merge_three(a, b, c, out_start, out_idx):
    """Row ``i`` of three sets of rows merged into ``out_idx`` from ``out_start[i]``,
    each friend once (the rows' union must fit: ``out_start`` from its lengths).

    Rows are independent (race-free, the same on any number of threads). Each
    task takes a block of rows and merges two sets into a scratch row of its own
    (allocated once per block), then the scratch with the third set.
    """
    n = out_start.size - 1
    blocks = min(n, 1024)
    for k in prange(blocks):
        lo = n * k // blocks
        hi = n * (k + 1) // blocks
        longest = 0
        for i in range(lo, hi):
            longest = max(longest, a[1][i] + b[1][i])
        scratch = np.empty(longest, np.int32)
        for i in range(lo, hi):
            a0 = a[0][i]
            b0 = b[0][i]
            m = _merge_row(a[2], a0, a0 + a[1][i], b[2], b0, b0 + b[1][i], scratch, 0)
            c0 = c[0][i]
            _merge_row(scratch, 0, m, c[2], c0, c0 + c[1][i], out_idx, out_start[i])
