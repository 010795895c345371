"""Refuse impossible graphs and graphs too large for this machine, before allocating.

The estimate is the final CSR size (8 bytes per node for ``indptr``, 4 per
directed edge for ``indices``) times the peak-to-final ratio of each builder,
plus its per-node scratch. The ratios are upper bounds read off the code and
checked in ``experiments/bench_graphs.py`` (measured peak/final: Erdős–Rényi
about 1.1, social about 2).
"""

from __future__ import annotations

import math

import psutil

from simulator.errors import ConfigError, MemoryGuardError

GIB = 1024**3
#: Share of the available memory a build may use (the rest is headroom for
#: the interpreter, the agent arrays and the OS page cache).
USABLE_SHARE = 0.85

# (peak / final bytes of the edge arrays, extra bytes per node) for each builder.
_PEAK = {
    # counts per row + per-thread lower counts; indices written once
    "erdos_renyi": (1.0, 48),
    "stochastic_block": (1.0, 48),
    "complete": (1.0, 48),
    # int32 edge list (= final size) + CSR before trimming
    "configuration": (2.0, 48),
    "watts_strogatz": (2.0, 32),
    "edgelist": (2.0, 64),
    # linked adjacency lists (12 bytes per end) + degree-weighted list + edges
    "holme_kim": (6.0, 32),
    # memberships + weak stubs + CSR, then a top-up merge (old + new CSR)
    "clustered": (2.3, 96),
    "social": (2.3, 96),
}
KINDS = tuple(_PEAK)
INT32_MAX = 2**31 - 1


def check_size(n: int, mean_degree: float | None = None, *, complete: bool = False) -> None:
    """Reject an impossible graph with a :class:`ConfigError` naming the key.

    >>> check_size(100, 130)
    Traceback (most recent call last):
    ...
    simulator.errors.ConfigError: graph.mean_degree = 130 is not allowed; it must be below graph.n = 100
    """
    if isinstance(n, bool) or not isinstance(n, int) and not (
        isinstance(n, float) and n.is_integer()
    ):
        raise ConfigError(f"graph.n = {n!r} is not allowed; expected a whole number of agents")
    if not 1 <= n <= INT32_MAX:
        raise ConfigError(f"graph.n = {n} is out of range; allowed: 1 <= n <= {INT32_MAX}")
    if mean_degree is None or complete:
        return
    if not (isinstance(mean_degree, (int, float)) and math.isfinite(mean_degree)) or isinstance(
        mean_degree, bool
    ):
        raise ConfigError(f"graph.mean_degree = {mean_degree!r} is not allowed; expected a number")
    if mean_degree < 0:
        raise ConfigError(
            f"graph.mean_degree = {mean_degree} is out of range; allowed: 0 <= mean_degree < n"
        )
    if mean_degree >= max(n, 1) and not (n == 1 and mean_degree == 0):
        raise ConfigError(
            f"graph.mean_degree = {mean_degree} is not allowed; it must be below graph.n = {n}"
        )


def estimate_bytes(n: int, mean_degree: float, kind: str) -> int:
    """Estimated peak bytes of building a graph of this kind.

    >>> round(estimate_bytes(10**6, 130, "erdos_renyi") / 2**20)
    549
    """
    if kind not in _PEAK:
        raise ConfigError(f"graph.kind = {kind!r} is not allowed; allowed: {', '.join(KINDS)}")
    ratio, per_node = _PEAK[kind]
    if kind == "complete":
        mean_degree = n - 1
    edge_bytes = 4.0 * n * mean_degree
    return int(ratio * edge_bytes + 8 * (n + 1) + per_node * n)


def available_bytes() -> int:
    """Memory the OS says is available now (psutil ``virtual_memory().available``)."""
    return int(psutil.virtual_memory().available)


def check_memory(n: int, mean_degree: float, kind: str, *, available: int | None = None) -> int:
    """Raise :class:`MemoryGuardError` if building the graph would not fit; return the estimate.

    The build may use :data:`USABLE_SHARE` of the available memory.

    Examples
    --------
    >>> check_memory(1000, 10, "erdos_renyi") < 10**6
    True
    >>> check_memory(50_000_000, 130, "social", available=22 * 2**30)
    Traceback (most recent call last):
    ...
    simulator.errors.MemoryGuardError: graph n=50000000, mean_degree=130 needs about 60.5 GiB to build; 22.0 GiB available (lower graph.n to at most 15,445,363 or graph.mean_degree to at most 32)
    """
    need = estimate_bytes(n, mean_degree, kind)
    have = available_bytes() if available is None else int(available)
    usable = USABLE_SHARE * have
    if need > usable:
        n_max = _largest(lambda m: estimate_bytes(m, min(mean_degree, m - 1), kind) <= usable, n)
        lower = f"lower graph.n to at most {n_max:,}"
        if kind != "complete":
            d_max = _largest(lambda d: estimate_bytes(n, d, kind) <= usable, int(mean_degree))
            if d_max >= 1:
                lower += f" or graph.mean_degree to at most {d_max}"
        raise MemoryGuardError(
            f"graph n={n}, mean_degree={mean_degree:g} needs about {need / GIB:.1f} GiB "
            f"to build; {have / GIB:.1f} GiB available ({lower})"
        )
    return need


def _largest(fits, upper: int) -> int:
    """The largest whole number in [0, upper] for which ``fits`` holds (``fits`` falls once)."""
    lo, hi = 0, max(int(upper), 0)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


def usable_bytes(available: int | None = None) -> int:
    """What a run may take: :data:`USABLE_SHARE` of the available (or the given) memory."""
    return int((available_bytes() if available is None else int(available)) * USABLE_SHARE)


#: Resident bytes of the interpreter with the simulator, numba, NumPy and pandas loaded
#: and the kernels compiled (measured: 0.45 to 0.55 GiB at 10^5 agents, where the graph
#: is small; experiments/bench_growth.py).
PROCESS_BYTES = 500 * 2**20
#: Bytes per agent a replicate holds while it runs, read off the allocations: the agent
#: state (14), the talker list (5), the listening scratch (13; 17 with a brand), the
#: market's hits (4) and, plain, the word buffers (about 5/4); with any platform layer
#: also each talker's likes (4), the paid pool (4), the feed's candidate buffers
#: (1024 + 4n slots of 34 bytes: 136) and the ranking's scratch (about 30).
RUN_BYTES_PER_AGENT = {"plain": 40, "platform": 240}


def estimate_run_bytes(n: int, mean_degree: float, kind: str, *, platform: bool = True) -> int:
    """Estimated peak resident bytes of one replicate: the process, then the larger of the
    graph's build and the run (the final graph plus the replicate's state).

    >>> round(estimate_run_bytes(10**6, 130, "social") / 2**30, 2)
    1.7
    """
    build = estimate_bytes(n, mean_degree, kind)
    graph = 4.0 * n * (n - 1 if kind == "complete" else mean_degree) + 12 * n
    state = RUN_BYTES_PER_AGENT["platform" if platform else "plain"] * n
    return int(PROCESS_BYTES + max(build, graph + state))


#: Bytes a run holds per recorded value at its peak: the float64 series of every
#: replicate, their stacking into one array, the typed table, and its CSV text.
RUN_BYTES_PER_VALUE = 4 * 8


def check_run_memory(replicates: int, steps: int, columns: int, *,
                     available: int | None = None) -> int:
    """Refuse, before anything runs, a run whose series would not fit in memory.

    >>> check_run_memory(1_000_000, 100_000, 37, available=22 * 2**30)
    Traceback (most recent call last):
    ...
    simulator.errors.MemoryGuardError: run.replicates = 1000000 with run.steps = 100000 records about 110269.7 GiB of series; 18.7 GiB available (lower run.replicates to at most 169, or run.steps)
    """
    per_replicate = (steps + 1) * columns * RUN_BYTES_PER_VALUE
    need = replicates * per_replicate
    have = usable_bytes(available)
    if need > have:
        raise MemoryGuardError(
            f"run.replicates = {replicates} with run.steps = {steps} records about "
            f"{need / GIB:.1f} GiB of series; {have / GIB:.1f} GiB available (lower "
            f"run.replicates to at most {max(1, have // per_replicate)}, or run.steps)"
        )
    return need


#: Bytes per candidate item in the feed's buffers (six fields, the sort's word),
#: twice over: the buffers grow by doubling.
CANDIDATE_BYTES = 2 * (4 + 4 + 1 + 1 + 8 + 8 + 8)


def check_sponsored_memory(sponsored_per_step: int, *, available: int | None = None) -> int:
    """Refuse sponsored impressions whose per-step buffers would not fit in memory.

    >>> check_sponsored_memory(1_000_000_000, available=22 * 2**30)
    Traceback (most recent call last):
    ...
    simulator.errors.MemoryGuardError: paid.sponsored_per_step = 1000000000 needs about 63.3 GiB of feed buffers each step; 18.7 GiB available (lower paid.sponsored_per_step to at most 295279001)
    """
    need = sponsored_per_step * CANDIDATE_BYTES
    have = usable_bytes(available)
    if need > have:
        raise MemoryGuardError(
            f"paid.sponsored_per_step = {sponsored_per_step} needs about {need / GIB:.1f} GiB of "
            f"feed buffers each step; {have / GIB:.1f} GiB available (lower "
            f"paid.sponsored_per_step to at most {have // CANDIDATE_BYTES})"
        )
    return need


#: Bytes threshold contagion's memory holds: one per directed edge (each friend's
#: latest word), and per agent two counts and a bar.
MEMORY_BYTES_PER_EDGE = 1
MEMORY_BYTES_PER_AGENT = 4 + 4 + 8


def check_threshold_memory(n: int, directed_edges: int, *, available: int | None = None) -> int:
    """Refuse threshold contagion's memory when it would not fit.

    >>> check_threshold_memory(10**9, 10**11, available=22 * 2**30)
    Traceback (most recent call last):
    ...
    simulator.errors.MemoryGuardError: wom.contagion = 'threshold' remembers every friend's word: about 108.0 GiB for 1000000000 agents and 100000000000 friendships' ends; 18.7 GiB available (lower graph.n or graph.mean_degree, or wom.contagion = 'simple')
    """
    need = directed_edges * MEMORY_BYTES_PER_EDGE + n * MEMORY_BYTES_PER_AGENT
    have = usable_bytes(available)
    if need > have:
        raise MemoryGuardError(
            f"wom.contagion = 'threshold' remembers every friend's word: about {need / GIB:.1f} "
            f"GiB for {n} agents and {directed_edges} friendships' ends; {have / GIB:.1f} GiB "
            "available (lower graph.n or graph.mean_degree, or wom.contagion = 'simple')"
        )
    return need
