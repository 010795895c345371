"""Holme–Kim growth kernel (networkx ``powerlaw_cluster_graph``), serial.

Growth is sequential by nature (each node attaches to the graph built so far),
so the kernel is one serial loop; adjacency grows as linked lists so adding an
edge is O(1) and a triad step scans only the chosen target's friends.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulator.rng import key_for, randint, uniform


@njit(cache=True)
def grow_holme_kim(n, m, p_triad, key, src, dst):
    """Grow a Holme–Kim graph; write its edges (repeats possible, none are loops).

    Node ``source = m .. n-1`` picks ``m`` distinct targets with probability
    proportional to degree (uniform among the ``m`` seed nodes at first), links
    to the last picked; then for each further edge, with probability
    ``p_triad`` links to a uniform friend of that target it is not yet linked
    to (triad formation), otherwise to the next picked target.

    Parameters
    ----------
    n, m : int
        Nodes and edges per new node (``1 <= m < n``).
    p_triad : float
        Probability of a triad step.
    key : uint64
        Stream key (one serial generator ``key_for(key, 0, 0)``).
    src, dst : ndarray of int32, shape (m * (n - m),)
        Output edges, in order of creation.

    Returns
    -------
    int
        Number of edges written (always ``m * (n - m)``).
    """
    n_edges = m * (n - m)
    head = np.full(n, -1, dtype=np.int64)
    nxt = np.empty(2 * n_edges, dtype=np.int64)
    to = np.empty(2 * n_edges, dtype=np.int32)
    repeated = np.empty(2 * n_edges + m, dtype=np.int32)
    for i in range(m):
        repeated[i] = i
    n_rep = m
    targets = np.empty(m, dtype=np.int32)
    mine = np.empty(m, dtype=np.int32)  # friends of the current source
    state = key_for(key, 0, 0)
    e = 0
    for source in range(m, n):
        # m distinct nodes, degree-proportional (networkx _random_subset).
        count = 0
        while count < m:
            k, state = randint(state, n_rep)
            x = repeated[k]
            fresh = True
            for t in range(count):
                if targets[t] == x:
                    fresh = False
                    break
            if fresh:
                targets[count] = x
                count += 1
        pick = m - 1
        target = targets[pick]
        pick -= 1
        n_mine = 0
        for step in range(m):
            nbr = -1
            if step > 0:
                u, state = uniform(state)
                if u < p_triad:
                    n_cand = 0
                    h = head[target]
                    while h >= 0:
                        y = to[h]
                        ok = y != source
                        for t in range(n_mine):
                            if mine[t] == y:
                                ok = False
                        if ok:
                            n_cand += 1
                        h = nxt[h]
                    if n_cand > 0:
                        c, state = randint(state, n_cand)
                        h = head[target]
                        while h >= 0:
                            y = to[h]
                            ok = y != source
                            for t in range(n_mine):
                                if mine[t] == y:
                                    ok = False
                            if ok:
                                if c == 0:
                                    nbr = y
                                    break
                                c -= 1
                            h = nxt[h]
                if nbr < 0:
                    target = targets[pick]
                    pick -= 1
                    nbr = target
            else:
                nbr = target
            # add edge (source, nbr) to both adjacency lists
            src[e] = source
            dst[e] = nbr
            to[2 * e] = nbr
            nxt[2 * e] = head[source]
            head[source] = 2 * e
            to[2 * e + 1] = source
            nxt[2 * e + 1] = head[nbr]
            head[nbr] = 2 * e + 1
            e += 1
            mine[n_mine] = nbr
            n_mine += 1
            repeated[n_rep] = nbr
            n_rep += 1
        for _ in range(m):
            repeated[n_rep] = source
            n_rep += 1
    return e
