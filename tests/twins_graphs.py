"""Slow, obvious pure-Python twins of the graph kernels (compared on small inputs).

The random twins re-implement the counter-based generator of
:mod:`simulator.rng` with Python integers, draw in the same order as the
kernels, and build the graph with sets, so an exact match means the kernels
do what their docstrings say.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB


def mix64(z: int) -> int:
    z &= MASK
    z = ((z ^ (z >> 30)) * MIX1) & MASK
    z = ((z ^ (z >> 27)) * MIX2) & MASK
    return z ^ (z >> 31)


def key_for(stream: int, a: int, b: int) -> int:
    return mix64((mix64(stream ^ (((a & MASK) * GOLDEN) & MASK)) + ((b & MASK) * MIX1)) & MASK)


def uniform(state: int) -> tuple[float, int]:
    state = (state + GOLDEN) & MASK
    return (mix64(state) >> 11) * 2.0**-53, state


def randint(state: int, n: int) -> tuple[int, int]:
    u, state = uniform(state)
    return min(int(u * n), n - 1), state


def geometric_skip(state: int, log_q: float) -> tuple[int, int]:
    u, state = uniform(state)
    return int(min(math.floor(math.log(1.0 - u) / log_q), 9.0e18)), state


def csr_from_sets(nbrs: list[set]) -> tuple[np.ndarray, np.ndarray]:
    indptr = np.zeros(len(nbrs) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(s) for s in nbrs])
    flat = [j for s in nbrs for j in sorted(s)]
    return indptr, np.array(flat, dtype=np.int32)


def twin_edges_to_csr(src, dst, n: int):
    """Symmetric simple CSR of an edge list, with sets."""
    nbrs = [set() for _ in range(n)]
    for a, b in zip(src, dst, strict=True):
        if a != b:
            nbrs[int(a)].add(int(b))
            nbrs[int(b)].add(int(a))
    return csr_from_sets(nbrs)


def twin_block_graph(starts, probs, key: int):
    """Block model / G(n, p): row i skip-samples j > i per block with key_for(key, i, b)."""
    n = int(starts[-1])
    nbrs = [set() for _ in range(n)]
    n_blocks = len(starts) - 1
    for i in range(n):
        a = max(b for b in range(n_blocks) if starts[b] <= i)
        for b in range(a, n_blocks):
            p = float(probs[a][b])
            lo, hi = max(int(starts[b]), i + 1), int(starts[b + 1])
            if p <= 0 or lo >= hi:
                continue
            if p >= 1:
                drawn = range(lo, hi)
            else:
                drawn, state, j = [], key_for(key, i, b), lo - 1
                while True:
                    skip, state = geometric_skip(state, math.log1p(-p))
                    j += skip + 1
                    if j >= hi:
                        break
                    drawn.append(j)
            for j in drawn:
                nbrs[i].add(j)
                nbrs[j].add(i)
    return csr_from_sets(nbrs)


def twin_watts_strogatz(n: int, half: int, rewire: float, key: int):
    src, dst = [], []
    for i in range(n):
        state = key_for(key, i, 0)
        for d in range(1, half + 1):
            far = (i + d) % n
            u, state = uniform(state)
            if u < rewire:
                w, state = randint(state, n - 1)
                far = w + 1 if w >= i else w
            src.append(i)
            dst.append(far)
    return twin_edges_to_csr(src, dst, n)


def twin_shuffle(items: list, state: int) -> int:
    for i in range(len(items) - 1, 0, -1):
        j, state = randint(state, i + 1)
        items[i], items[j] = items[j], items[i]
    return state


def twin_configuration(degrees, key: int):
    """Stubs in node order, Fisher–Yates with key_for(key, 0, 0), consecutive pairs."""
    stubs = [i for i, d in enumerate(degrees) for _ in range(int(d))]
    twin_shuffle(stubs, key_for(key, 0, 0))
    return twin_edges_to_csr(stubs[0::2], stubs[1::2], len(degrees))


def twin_sample_degrees(n: int, k_min: int, cdf, key: int) -> list[int]:
    out = []
    for i in range(n):
        u, _ = uniform(key_for(key, i, 0))
        out.append(k_min + min(bisect.bisect_right(list(cdf), u), len(cdf) - 1))
    return out


def twin_holme_kim(n: int, m: int, p_triad: float, key: int):
    """Holme–Kim growth with adjacency lists (newest friend first, like the kernel)."""
    adj: list[list[int]] = [[] for _ in range(n)]
    repeated = list(range(m))
    state = key_for(key, 0, 0)
    src, dst = [], []
    for source in range(m, n):
        targets: list[int] = []
        while len(targets) < m:
            k, state = randint(state, len(repeated))
            if repeated[k] not in targets:
                targets.append(repeated[k])
        target = targets.pop()
        mine: list[int] = []
        for step in range(m):
            nbr = -1
            if step == 0:
                nbr = target
            else:
                u, state = uniform(state)
                if u < p_triad:
                    cand = [y for y in adj[target] if y != source and y not in mine]
                    if cand:
                        c, state = randint(state, len(cand))
                        nbr = cand[c]
                if nbr < 0:
                    target = targets.pop()
                    nbr = target
            src.append(source)
            dst.append(nbr)
            adj[source].insert(0, nbr)
            adj[nbr].insert(0, source)
            mine.append(nbr)
            repeated.append(nbr)
        repeated.extend([source] * m)
    return twin_edges_to_csr(src, dst, n)


def twin_groups(members, seg, sizes, n: int):
    """The groups (consecutive chunks of a community's memberships), as lists of members.

    ``sizes`` is one size for all, or each node's: a group then starts at its
    first member's size, shortened to the smallest size among those it takes.
    """
    if isinstance(sizes, int):
        sizes = [sizes] * n
    groups = []
    for c in range(len(seg) - 1):
        g0, end = int(seg[c]), int(seg[c + 1])
        while g0 < end:
            window = [int(x) for x in members[g0 : min(g0 + sizes[members[g0]], end)]]
            size = max(min(sizes[m] for m in window), 2)
            groups.append([int(x) for x in members[g0 : min(g0 + size, end)]])
            g0 += len(groups[-1])
    return groups


def twin_group_edges(members, seg, sizes, n: int):
    """Every group as a clique: each node's set of friends."""
    nbrs = [set() for _ in range(n)]
    for group in twin_groups(members, seg, sizes, n):
        for a in group:
            nbrs[a].update(b for b in group if b != a)
    return nbrs


def twin_group_counts(members, seg, sizes, n: int):
    """Each node's clique friends counted with repeats (a friend met in two groups twice)."""
    counts = [0] * n
    for group in twin_groups(members, seg, sizes, n):
        for a in group:
            counts[a] += sum(1 for b in group if b != a)
    return counts


def twin_local_clustering(indptr, indices) -> list[float]:
    n = len(indptr) - 1
    nbrs = [set(indices[indptr[i] : indptr[i + 1]].tolist()) for i in range(n)]
    out = []
    for i in range(n):
        d = len(nbrs[i])
        if d < 2:
            out.append(0.0)
            continue
        links = sum(len(nbrs[i] & nbrs[j]) for j in nbrs[i]) / 2
        out.append(2 * links / (d * (d - 1)))
    return out


def twin_cap_degrees(indptr, indices, cap: int):
    """The degree cap with sets: agents in id order each drop the friends with the most
    friends (ties: the higher id) until at the cap."""
    n = len(indptr) - 1
    nbrs = [set(int(j) for j in indices[indptr[i]:indptr[i + 1]]) for i in range(n)]
    for i in range(n):
        while len(nbrs[i]) > cap:
            j = max(nbrs[i], key=lambda v: (len(nbrs[v]), v))
            nbrs[i].discard(j)
            nbrs[j].discard(i)
    return csr_from_sets(nbrs)
