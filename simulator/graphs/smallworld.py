"""Watts–Strogatz kernel: a ring lattice whose far ends are rewired.

Node ``i`` owns the lattice edges ``(i, i + d mod n)`` for ``d = 1..half`` and
decides alone, from ``key_for(key, i, 0)``, whether to rewire each far end to a
uniform node other than ``i``. Rewired edges that land on an existing edge are
*dropped* later by the CSR builder (networkx redraws them instead); at
``n = 10^5``, mean degree 20 and ``rewire = 0.1`` that loses about
``rewire * k / n`` of the edges, i.e. 2 in 10^5.
"""

from __future__ import annotations

from numba import njit, prange

from simulator.rng import key_for, randint, uniform


@njit(cache=True, parallel=True)
def draw_ring_edges(n, half, rewire, key, src, dst):
    """Write the (possibly rewired) lattice edges of every node.

    Parameters
    ----------
    n : int
        Number of nodes.
    half : int
        Lattice neighbours on each side (mean degree / 2).
    rewire : float
        Probability of rewiring each edge's far end.
    key : uint64
        Stream key.
    src, dst : ndarray of int32, shape (n * half,)
        Output; edge ``i * half + d - 1`` belongs to node ``i``.
    """
    for i in prange(n):
        state = key_for(key, i, 0)
        for d in range(1, half + 1):
            e = i * half + d - 1
            far = (i + d) % n
            u, state = uniform(state)
            if u < rewire:
                w, state = randint(state, n - 1)
                if w >= i:  # skip i itself: uniform over the other n - 1 nodes
                    w += 1
                far = w
            src[e] = i
            dst[e] = far
