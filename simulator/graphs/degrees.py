"""Degree distributions, degree sampling and stub shuffling (configuration model).

A named distribution is turned into a discrete table ``cdf[k - k_min]`` once, in
Python; :func:`draw_from_cdf` then samples every node from its own generator
(``key_for(key, i, 0)``), so the degrees do not depend on the thread count.

The lognormal default is the Facebook fit of Ugander et al. (2011): median 99,
mean 190, so ``mu = ln 99`` and ``sigma = sqrt(2 ln(190/99)) = 1.142``, with
degrees truncated to ``1..max_degree`` (5000, Facebook's friend cap).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit, prange

from simulator.errors import ConfigError
from simulator.graphs.prefetch import prefetch
from simulator.params.graph import DISTRIBUTIONS
from simulator.rng import key_for, randint, uniform

#: Facebook 2011 (Ugander et al.): mean 190, median 99 friends.
FACEBOOK_MEAN, FACEBOOK_MEDIAN = 190.0, 99.0


@njit(cache=True, parallel=True)
def draw_from_cdf(cdf, k_min, key, out):
    """Sample one degree per node by inverting a discrete CDF.

    Parameters
    ----------
    cdf : ndarray of float64, shape (K,)
        ``cdf[t] = P(degree <= k_min + t)``, ending at 1.
    k_min : int
        Smallest degree.
    key : uint64
        Stream key; node ``i`` draws from ``key_for(key, i, 0)``.
    out : ndarray of int64, shape (n,)
        Output degrees.
    """
    last = cdf.size - 1
    for i in prange(out.size):
        u, _ = uniform(key_for(key, i, 0))
        t = np.searchsorted(cdf, u, side="right")
        if t > last:  # u above the rounded top of the table
            t = last
        out[i] = k_min + t


@njit(cache=True, parallel=True)
def fill_stubs(degrees, stubs):
    """Write node ``i`` ``degrees[i]`` times, in node order.

    Parameters
    ----------
    degrees : ndarray of int64, shape (n,)
    stubs : ndarray of int32, shape (degrees.sum(),)
    """
    start = np.empty(degrees.size, np.int64)
    pos = 0
    for i in range(degrees.size):
        start[i] = pos
        pos += degrees[i]
    for i in prange(degrees.size):
        for k in range(degrees[i]):
            stubs[start[i] + k] = i


#: Swaps whose random places are drawn together, then prefetched ahead of the swap.
SHUFFLE_BLOCK = 4096
#: How many swaps ahead a place is prefetched (enough misses in flight to hide memory latency).
PREFETCH_DISTANCE = 32


@njit(cache=True, nogil=True)
def shuffle_stubs(stubs, state):
    """Fisher–Yates shuffle in place from one generator state; returns the new state.

    Serial: each swap depends on the previous ones. Position ``i`` (from the
    top down) swaps with ``randint(state, i + 1)``. It lets go of the GIL, so
    a builder can run it beside other work.

    Why blocks: the swaps of a large array wait on memory, one random read at a
    time. The places of a block of swaps are drawn first (the same draws, in the
    same order, so the same shuffle), then each swap prefetches the place
    :data:`PREFETCH_DISTANCE` swaps ahead: about twice as fast at 4.5e7 stubs.
    """
    places = np.empty(SHUFFLE_BLOCK, np.int64)
    top = stubs.size - 1
    while top > 0:
        count = min(SHUFFLE_BLOCK, top)
        for s in range(count):
            places[s], state = randint(state, top - s + 1)
        for s in range(count):
            if s + PREFETCH_DISTANCE < count:
                prefetch(stubs, places[s + PREFETCH_DISTANCE])
            i = top - s
            j = places[s]
            tmp = stubs[i]
            stubs[i] = stubs[j]
            stubs[j] = tmp
        top -= count
    return state


def lognormal_params(mean: float, median: float) -> tuple[float, float]:
    """``(mu, sigma)`` of the lognormal with this mean and median.

    >>> mu, sigma = lognormal_params(190, 99)
    >>> round(mu, 3), round(sigma, 3)
    (4.595, 1.142)
    """
    if not (mean > median > 0):
        raise ConfigError(
            f"graph.median = {median} is not allowed; a lognormal needs 0 < median < mean ({mean})"
        )
    return math.log(median), math.sqrt(2.0 * math.log(mean / median))


def degree_table(
    distribution: str,
    *,
    mean_degree: float | None = None,
    median: float | None = None,
    exponent: float = 2.5,
    k_min: int = 1,
    cutoff: float | None = None,
    max_degree: int = 5000,
) -> tuple[int, np.ndarray]:
    """The discrete distribution as ``(k_min, cdf)`` for :func:`draw_from_cdf`.

    - ``lognormal``: ``P(k) = P(k - 1/2 < X <= k + 1/2)`` for ``X`` lognormal with
      the given mean and median, on ``1..max_degree`` (renormalised: truncated).
      Without ``mean_degree`` and ``median``: Facebook's 190 and 99; with only
      ``mean_degree``: the median keeps Facebook's ratio 99/190.
    - ``powerlaw``: ``P(k) ~ k**-exponent * exp(-k / cutoff)`` on ``k_min..max_degree``.
    - ``poisson``: Poisson(``mean_degree``) truncated at ``max_degree``.
    - ``regular``: every node ``round(mean_degree)``.

    Examples
    --------
    >>> k0, cdf = degree_table("regular", mean_degree=4)
    >>> k0, cdf.tolist()
    (4, [1.0])
    >>> k0, cdf = degree_table("lognormal")
    >>> k0, cdf.size, bool(abs(np.searchsorted(cdf, 0.5) + 1 - 99) <= 1)
    (1, 5000, True)
    """
    if distribution == "regular":
        if mean_degree is None:
            raise ConfigError("graph.mean_degree is required for distribution 'regular'")
        return int(round(mean_degree)), np.ones(1)
    if distribution == "lognormal":
        if mean_degree is None and median is None:
            mean_degree, median = FACEBOOK_MEAN, FACEBOOK_MEDIAN
        elif median is None:
            median = mean_degree * FACEBOOK_MEDIAN / FACEBOOK_MEAN
        elif mean_degree is None:
            mean_degree = median * FACEBOOK_MEAN / FACEBOOK_MEDIAN
        mu, sigma = lognormal_params(mean_degree, median)
        k = np.arange(1, max_degree + 1, dtype=np.float64)
        upper = np.array([_normal_cdf((math.log(x + 0.5) - mu) / sigma) for x in k])
        pmf = np.diff(np.concatenate(([0.0], upper)))
        return 1, _to_cdf(pmf)
    if distribution == "powerlaw":
        if k_min < 1 or k_min > max_degree:
            raise ConfigError(f"graph.k_min = {k_min} is out of range; allowed: 1 <= k_min <= {max_degree}")
        k = np.arange(k_min, max_degree + 1, dtype=np.float64)
        log_p = -exponent * np.log(k)
        if cutoff is not None:
            log_p -= k / cutoff
        return k_min, _to_cdf(np.exp(log_p - log_p.max()))
    if distribution == "poisson":
        if mean_degree is None:
            raise ConfigError("graph.mean_degree is required for distribution 'poisson'")
        top = min(max_degree, int(mean_degree + 12 * math.sqrt(mean_degree) + 20))
        k = np.arange(0, top + 1)
        log_p = k * math.log(max(mean_degree, 1e-300)) - mean_degree - np.array(
            [math.lgamma(x + 1) for x in k]
        )
        return 0, _to_cdf(np.exp(log_p))
    raise ConfigError(
        f"graph.distribution = {distribution!r} is not allowed; allowed: {', '.join(DISTRIBUTIONS)}"
    )


def _normal_cdf(z: float) -> float:
    return 0.5 * math.erfc(-z / math.sqrt(2.0))


def _to_cdf(pmf: np.ndarray) -> np.ndarray:
    cdf = np.cumsum(pmf)
    cdf /= cdf[-1]
    cdf[-1] = 1.0
    return cdf


def pmf_from_cdf(cdf: np.ndarray) -> np.ndarray:
    """Probabilities of ``k_min, k_min + 1, ...`` from a table (for tests and docs)."""
    return np.diff(np.concatenate(([0.0], cdf)))


def sample_degrees(n: int, k_min: int, cdf: np.ndarray, key: int) -> np.ndarray:
    """``n`` degrees (int64) drawn from the table, one generator per node.

    >>> from simulator.rng import seed_key
    >>> sample_degrees(3, 5, np.ones(1), seed_key(0)).tolist()
    [5, 5, 5]
    """
    out = np.empty(n, dtype=np.int64)
    draw_from_cdf(np.ascontiguousarray(cdf, dtype=np.float64), int(k_min), np.uint64(key), out)
    return out


def make_sum_even(degrees: np.ndarray, key: int, max_degree: int) -> bool:
    """If the degree sum is odd, move one random node by one (up, or down at the cap).

    Returns whether a node was changed.
    """
    if int(degrees.sum()) % 2 == 0 or degrees.size == 0:
        return False
    # key_for returns a Python int from Python; keep it unsigned for numba.
    u, _ = uniform(np.uint64(key_for(np.uint64(key), np.int64(degrees.size), np.int64(1))))
    i = min(int(u * degrees.size), degrees.size - 1)
    degrees[i] += 1 if degrees[i] < max_degree else -1
    return True
