"""Counter-based random numbers for kernels, and named streams from one seed.

Why counter-based: numba's global ``np.random`` inside ``prange`` is not
reproducible across thread counts (numba issues 4452 and 5290). Instead every
kernel derives a private generator from ``(stream key, step, agent)`` with the
SplitMix64 mixer, so a draw depends only on *what* is being decided, never on
which thread decides it or in what order.

This module is also the one registry of seeds and streams: the spawn keys of
a run's :class:`numpy.random.SeedSequence` (the graph, each replicate, a
sweep's common random numbers and design), the named streams of a replicate
(:class:`StreamKeys`: seeding, word of mouth, listening, ...) and the salted
sub-streams of the feed. The same name gives the same draws across
strategies, which is what makes common random numbers work.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit, uint64
from numpy.random.bit_generator import ISeedSequence

GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)
_TO_UNIT = 1.0 / 9007199254740992.0  # 2**-53

#: Slots of a replicate's seed sequence, in spawn order: the order fixes every key,
#: so a new stream is appended, never inserted. Two slots are reserved because
#: earlier versions spawned them: the graph is seeded by its own spawn key
#: (:data:`GRAPH_SPAWN_KEY`) and paid promotion draws from feed sub-streams.
_SPAWNED = (
    "graph",  # reserved
    "seeding",
    "external",
    "wom",
    "listen",
    "purchase",
    "feed",
    "followers",
    "brand",
    "paid",  # reserved
    "crisis",
    "threshold",  # appended last: the streams before it keep their keys
)
_RESERVED = frozenset({"graph", "paid"})

#: Sub-streams of the ``feed`` stream, made by XOR with a salt: the platform's
#: amplification of liked items, sponsored impressions, and feed-slot selection.
FEED_SALTS = {"amplify": 0xA5A5A5A5, "sponsor": 0x5A5A5A5A, "slots": 0x3C3C3C3C}

#: Spawn keys of one run's :class:`numpy.random.SeedSequence`, by what they seed.
GRAPH_SPAWN_KEY = 0  # (0,): the shared graph; (0, r): replicate r's own graph
REPLICATE_SPAWN_KEY = 1  # (1, r): replicate r's streams (a sweep's run r without CRN)
CRN_SPAWN_KEY = 2  # (2, r): a sweep's replicate r under common random numbers
DESIGN_SPAWN_KEY = 3  # (3,): a sweep's random design
FIT_CANDIDATE_SPAWN_KEY = 4  # (4, t, j, 0 | 1): a fit's candidate j of generation t (proposal, run)
FIT_DRAW_SPAWN_KEY = 5  # (5, k): a fit's k-th posterior draw (predictive band, what-if)


class StreamKeys(NamedTuple):
    """The 64-bit keys of one replicate's named streams (numba reads them as fields).

    Every random decision of a replicate draws from one of these, keyed further
    by step and agent (:func:`key_for`): the same name gives the same draws in
    every variant, which is what makes common random numbers work.
    """

    seeding: np.uint64  #: who the seeds are
    external: np.uint64  #: advertising outside the platform (the Bass p)
    wom: np.uint64  #: who passes word to whom
    listen: np.uint64  #: whether a listener is persuaded
    purchase: np.uint64  #: initial customers, who buys, who is disappointed
    feed: np.uint64  #: attention, ranking and engagement
    followers: np.uint64  #: first followers, churn
    brand: np.uint64  #: the brand's posts
    crisis: np.uint64  #: the failure's victims, answered complainers won back
    threshold: np.uint64  #: each agent's threshold (threshold contagion)
    amplify: np.uint64  #: feed sub-stream: impressions beyond the author's friends
    sponsor: np.uint64  #: feed sub-stream: who sees sponsored impressions
    slots: np.uint64  #: feed sub-stream: background items against candidates




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


def stream_keys(seed_seq: np.random.SeedSequence) -> StreamKeys:
    """The named stream keys derived from one seed sequence.

    >>> keys = stream_keys(np.random.SeedSequence(1))
    >>> keys == stream_keys(np.random.SeedSequence(1)), keys.wom.dtype
    (True, dtype('uint64'))
    """
    children = seed_seq.spawn(len(_SPAWNED))
    return _keys_of([child.generate_state(1, dtype=np.uint64)[0] for child in children])


def _keys_of(states) -> StreamKeys:
    """The named keys from the states of a sequence's children, in :data:`_SPAWNED` order."""
    spawned = {name: state for name, state in zip(_SPAWNED, states, strict=True)
               if name not in _RESERVED}
    salted = {name: spawned["feed"] ^ np.uint64(salt) for name, salt in FEED_SALTS.items()}
    return StreamKeys(**spawned, **salted)


# NumPy's SeedSequence (O'Neill's seed_seq hash with a pool of four 32-bit words), as
# numpy.random.bit_generator defines it; only what replicate_keys needs.
_M32 = uint64(0xFFFFFFFF)
_SHIFT16 = uint64(16)
_SHIFT32 = uint64(32)
_INIT_A, _MULT_A = uint64(0x43B0D7E5), uint64(0x931E8875)
_INIT_B, _MULT_B = uint64(0x8B51F9DD), uint64(0x58F38DED)
_MIX_L, _MIX_R = uint64(0xCA01F9DD), uint64(0x4973F715)
_POOL = 4


def _uint32_words(value: int) -> list[int]:
    """A non-negative integer as SeedSequence reads it: 32-bit words, lowest first."""
    words = [value & 0xFFFFFFFF]
    value >>= 32
    while value:
        words.append(value & 0xFFFFFFFF)
        value >>= 32
    return words


@njit(cache=True)
def _hashmix(value, h, mult):
    """SeedSequence's ``hashmix``: ``value`` hashed with the running constant ``h``,
    which advances by ``mult``; returns both. 32-bit arithmetic, done in 64 bits and
    masked."""
    value ^= h
    h = (h * mult) & _M32
    value = (value * h) & _M32
    return value ^ (value >> _SHIFT16), h


@njit(cache=True)
def _mix(x, y):
    """SeedSequence's ``mix`` of two 32-bit words."""
    r = (_MIX_L * x - _MIX_R * y) & _M32
    return r ^ (r >> _SHIFT16)


@njit(cache=True)
def _mix_entropy(words, pool):
    """SeedSequence's ``mix_entropy``: ``pool`` (four words) from the assembled entropy
    ``words`` (uint64 array of 32-bit words); returns nothing, fills ``pool``."""
    m = words.size
    h = _INIT_A
    for i in range(_POOL):  # the pool starts as the first words, hashed
        pool[i], h = _hashmix(words[i] if i < m else uint64(0), h, _MULT_A)
    for src in range(_POOL):  # every pool word mixed into every other
        for dst in range(_POOL):
            if src != dst:
                v, h = _hashmix(pool[src], h, _MULT_A)
                pool[dst] = _mix(pool[dst], v)
    for src in range(_POOL, m):  # then the words beyond the pool, in order
        for dst in range(_POOL):
            v, h = _hashmix(words[src], h, _MULT_A)
            pool[dst] = _mix(pool[dst], v)


@njit(cache=True)
def _hash_state(words, pool):
    """``SeedSequence.generate_state(1, np.uint64)[0]`` of the sequence whose assembled
    entropy is ``words`` (uint64 array of 32-bit words: the entropy padded to the pool,
    then the spawn key); ``pool`` is scratch of four words."""
    _mix_entropy(words, pool)
    h = _INIT_B  # generate_state: two 32-bit words, low then high
    state = uint64(0)
    for i in range(2):
        v, h = _hashmix(pool[i], h, _MULT_B)
        state |= v << (_SHIFT32 * uint64(i))
    return state


@njit(cache=True)
def _generated_state(words, out):
    """``SeedSequence.generate_state(out.size, np.uint64)`` into ``out``, for the sequence
    whose assembled entropy is ``words``: 32-bit words drawn round the pool, paired low
    then high."""
    pool = np.empty(_POOL, np.uint64)
    _mix_entropy(words, pool)
    h = _INIT_B
    for k in range(out.size):
        state = uint64(0)
        for half in range(2):
            v, h = _hashmix(pool[(2 * k + half) % _POOL], h, _MULT_B)
            state |= v << (_SHIFT32 * uint64(half))
        out[k] = state


@njit(cache=True)
def _children_states(words, n_children):
    """:func:`_hash_state` of children ``0 .. n_children - 1`` of the sequence of ``words``
    (what ``SeedSequence.spawn`` makes): child ``i``'s entropy is ``words``, then ``i``."""
    child_words = np.empty(words.size + 1, np.uint64)
    for i in range(words.size):  # a loop, not a slice: numba compiles slice copies slowly
        child_words[i] = words[i]
    pool = np.empty(_POOL, np.uint64)
    out = np.empty(n_children, np.uint64)
    for child in range(n_children):
        child_words[words.size] = child
        out[child] = _hash_state(child_words, pool)
    return out


def _assembled_words(entropy: int, spawn_key: tuple[int, ...]) -> np.ndarray:
    """SeedSequence's assembled entropy: the entropy's words padded to the pool (as a
    sequence with a spawn key has them), then each spawn key element's words."""
    words = _uint32_words(entropy)
    words += [0] * (_POOL - len(words))
    for k in spawn_key:
        words += _uint32_words(k)
    return np.array(words, np.uint64)


def _seed_state(entropy: int, spawn_key: tuple[int, ...]) -> int:
    """``SeedSequence(entropy, spawn_key=spawn_key).generate_state(1, np.uint64)[0]``,
    to the bit, without NumPy's per-object cost (a sweep asks for one per run)."""
    entropy = int(entropy)
    if entropy < 0 or any(int(k) < 0 for k in spawn_key):  # NumPy's own error
        ss = np.random.SeedSequence(entropy, spawn_key=spawn_key)
        return int(ss.generate_state(1, dtype=np.uint64)[0])
    words = _assembled_words(entropy, tuple(int(k) for k in spawn_key))
    return int(_hash_state(words, np.empty(_POOL, np.uint64)))


def replicate_keys(seed: int, replicate: int) -> StreamKeys:
    """Named stream keys for replicate ``replicate`` of a run seeded with ``seed``.

    The keys of ``stream_keys(SeedSequence(seed, spawn_key=(REPLICATE_SPAWN_KEY,
    replicate)))``, to the bit, computed in one compiled call: NumPy's
    SeedSequence costs about 0.2 ms for the streams of a replicate, a fifth of a
    small sweep run (``tests/test_rng.py`` checks the two agree).

    >>> replicate_keys(5, 2) == stream_keys(np.random.SeedSequence(5, spawn_key=(1, 2)))
    True
    """
    seed, replicate = int(seed), int(replicate)
    if seed < 0 or replicate < 0:  # NumPy's own error for negative entropy
        return stream_keys(np.random.SeedSequence(seed, spawn_key=(REPLICATE_SPAWN_KEY, replicate)))
    return _keys_of(_children_states(_assembled_words(seed, (REPLICATE_SPAWN_KEY, replicate)),
                                     len(_SPAWNED)))


def replicate_record(seed: int, replicate: int) -> dict:
    """How results record replicate ``replicate``'s seed (enough to rebuild its keys)."""
    return {"entropy": seed, "spawn_key": [REPLICATE_SPAWN_KEY, replicate]}


def graph_seed(seed: int, replicate: int | None = None) -> int:
    """The integer seed the graph generator gets (per replicate if resampling)."""
    spawn_key = (GRAPH_SPAWN_KEY,) if replicate is None else (GRAPH_SPAWN_KEY, replicate)
    ss = np.random.SeedSequence(seed, spawn_key=spawn_key)
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def run_seed(master_seed: int, run: int, replicates: int, common_random_numbers: bool = False) -> int:
    """The integer seed of run ``run`` of a sweep seeded with ``master_seed``.

    ``SeedSequence(master_seed, spawn_key=(1, run))``; with common random
    numbers ``spawn_key=(2, replicate)``, so replicate ``r`` of every design
    point sees the same draws. A run's seed depends on nothing else: not on
    workers, chunks or order.

    >>> run_seed(7, 0, 3) == run_seed(7, 0, 5), run_seed(7, 1, 3) == run_seed(7, 0, 3)
    (True, False)
    """
    key = (CRN_SPAWN_KEY, run % replicates) if common_random_numbers else (REPLICATE_SPAWN_KEY, run)
    return _seed_state(master_seed, key) >> 1


def design_seed(master_seed: int) -> int:
    """The seed of a sweep's random design (Latin hypercube, Sobol, ...)."""
    return int(np.random.SeedSequence(master_seed, spawn_key=(DESIGN_SPAWN_KEY,)).generate_state(1)[0])


class _SeedState:
    """What PCG64 asks of its seed, computed already: the words ``SeedSequence(entropy)``
    would generate (a :class:`numpy.random.bit_generator.ISeedSequence`)."""

    __slots__ = ("entropy",)

    def __init__(self, entropy: list[int]) -> None:
        self.entropy = entropy

    def generate_state(self, n_words: int, dtype=np.uint32) -> np.ndarray:
        words = np.array([w for v in self.entropy for w in _uint32_words(v)], np.uint64)
        if np.dtype(dtype) == np.uint64:
            out = np.empty(n_words, np.uint64)
            _generated_state(words, out)
            return out
        # 32-bit words (MT19937 asks for them; the package seeds only PCG64): NumPy's own.
        entropy = self.entropy[0] if len(self.entropy) == 1 else self.entropy
        return np.random.SeedSequence(entropy).generate_state(n_words, dtype)


ISeedSequence.register(_SeedState)


def numpy_generator(key, *more: int) -> np.random.Generator:
    """A NumPy generator for draws made outside the kernels (a stream key, then e.g. a step).

    ``numpy_generator(k)`` seeds PCG64 with the key itself and
    ``numpy_generator(k, t)`` with the list ``[k, t]``: two different streams. The
    generator is ``Generator(PCG64(seed))`` to the bit, seeded without NumPy's
    SeedSequence object, which costs more than a small sweep run's seeding
    (``tests/test_rng.py`` checks the two agree).
    """
    entropy = [int(key), *map(int, more)]
    if min(entropy) < 0:  # NumPy's own error
        return np.random.Generator(np.random.PCG64(entropy if more else entropy[0]))
    return np.random.Generator(np.random.PCG64(_SeedState(entropy)))


def seed_key(seed: int) -> int:
    """A single 64-bit key from an integer seed (for graph generators)."""
    if seed is None:
        raise ValueError("seed must be an integer")
    return int(np.random.SeedSequence(int(seed)).generate_state(1, dtype=np.uint64)[0])
