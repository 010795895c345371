"""Counter-based random numbers for kernels, and named streams from one seed.

Why counter-based: numba's global ``np.random`` inside ``prange`` is not
reproducible across thread counts (numba issues 4452 and 5290). Instead every
kernel derives a private generator from ``(stream key, step, agent)`` with the
SplitMix64 mixer, so a draw depends only on *what* is being decided, never on
which thread decides it or in what order.

Stream keys come from one :class:`numpy.random.SeedSequence` per run, spawned
once per replicate and then split into named streams (graph, seeding, word of
mouth, ...): the same name gives the same draws across strategies, which is what
makes common random numbers work.
"""

from __future__ import annotations

import numpy as np
from numba import njit, uint64

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53

STREAM_NAMES = (
    "graph",
    "seeding",
    "external",
    "wom",
    "listen",
    "purchase",
    "feed",
    "followers",
    "brand",
    "paid",
    "crisis",
)


@njit(cache=True, inline="always")
def mix64(z):
    """SplitMix64 finaliser: a bijective avalanche of a 64-bit word."""
    z = uint64(z)
    z = (z ^ (z >> uint64(30))) * _MIX1
    z = (z ^ (z >> uint64(27))) * _MIX2
    return z ^ (z >> uint64(31))


@njit(cache=True, inline="always")
def key_for(stream, a, b):
    """A generator state for item ``b`` of group ``a`` (e.g. step, agent) in ``stream``."""
    return mix64(mix64(uint64(stream) ^ (uint64(a) * GOLDEN)) + uint64(b) * _MIX1)


@njit(cache=True, inline="always")
def next_state(state):
    """Advance a SplitMix64 state."""
    return uint64(state) + GOLDEN


@njit(cache=True, inline="always")
def to_unit(state):
    """Map a state to a float in [0, 1) with 53 random bits."""
    return float(mix64(state) >> uint64(11)) * _TO_UNIT


@njit(cache=True, inline="always")
def uniform(state):
    """Return ``(u, new_state)`` with ``u`` uniform on [0, 1)."""
    state = next_state(state)
    return to_unit(state), state


@njit(cache=True, inline="always")
def randint(state, n):
    """Return ``(k, new_state)`` with ``k`` uniform on ``0..n-1`` (n < 2**53)."""
    u, state = uniform(state)
    k = np.int64(u * n)
    if k >= n:  # guard against rounding at the top of the range
        k = n - 1
    return k, state


@njit(cache=True, inline="always")
def geometric_skip(state, log_q):
    """Number of failures before the next success of a Bernoulli(p) sequence.

    ``log_q`` is ``log(1 - p)`` (negative). Skip-sampling makes the cost follow
    the successes, not the trials: scanning ``k`` neighbours at probability
    ``p`` costs about ``k*p + 1`` draws instead of ``k``.
    """
    u, state = uniform(state)
    # 1 - u lies in (0, 1], so the log is finite.
    skip = np.floor(np.log(1.0 - u) / log_q)
    if skip > 9.0e18:
        skip = 9.0e18
    return np.int64(skip), state


@njit(cache=True, inline="always")
def next_success(state, pos, p, log_q):
    """Index of the next success after ``pos`` in a Bernoulli(``p``) sequence.

    Returns ``(next_pos, new_state)``. With ``p >= 1`` every index succeeds and
    no draw is taken; otherwise one geometric skip (``log_q = log(1 - p)``).
    This is how a talker walks its friend list: the caller stops once
    ``next_pos`` passes the end of the row.
    """
    if p >= 1.0:
        return pos + 1, state
    skip, state = geometric_skip(state, log_q)
    return pos + skip + 1, state


def stream_keys(seed_seq: np.random.SeedSequence) -> dict[str, int]:
    """Named 64-bit stream keys derived from one seed sequence.

    >>> keys = stream_keys(np.random.SeedSequence(1))
    >>> keys == stream_keys(np.random.SeedSequence(1)), sorted(keys)[:3]
    (True, ['brand', 'crisis', 'external'])
    """
    children = seed_seq.spawn(len(STREAM_NAMES))
    return {
        name: int(child.generate_state(1, dtype=np.uint64)[0])
        for name, child in zip(STREAM_NAMES, children, strict=True)
    }


def seed_key(seed: int) -> int:
    """A single 64-bit key from an integer seed (for graph generators)."""
    if seed is None:
        raise ValueError("seed must be an integer")
    return int(np.random.SeedSequence(int(seed)).generate_state(1, dtype=np.uint64)[0])
