"""One replicate: initial state, the step loop, invariants.

The step plan
-------------
Row 0 of every series is the starting state: the seeds talk, the initial
customers are satisfied fans. Each step ``t = 1 .. steps`` then runs, in this
order (the kernels are in :mod:`simulator.core.wom`):

1. **talk**: agents talking at ``t`` pass their word (their current opinion)
   to each friend with ``wom.p_positive`` / ``wom.p_negative``;
2. **advertise**: outside advertising reaches each unaware or undecided agent
   with ``market.p_advertising`` (the Bass model's p);
3. **listen**: listeners weigh all the word and advertising of step ``t`` at
   once; whoever changes opinion starts talking for ``wom.talk_steps`` steps
   (from ``t + 1``);
4. **buy**: fans buy with ``market.p_purchase``; a new customer is
   disappointed with ``1 - market.satisfaction`` and starts complaining;
5. **retire**: talk older than ``wom.talk_steps`` stops (relevance decays);
6. **record**: counts at the end of step ``t`` go to row ``t``.

When nothing more can happen (no talk, no advertising, no fan left to buy) the
loop stops and the last row is carried forward, flows set to zero.

When a platform layer is on (``[feed]``, ``[followers]``, ``[brand]``,
``[paid]``, ``[crisis]``), steps run through :class:`simulator.platform.layer.Platform`,
whose docstring gives the extended plan: the feed sits between talking and
listening and decides which of the candidate items each agent sees.

Exact reductions the tests rely on: with ``wom.p_negative = 0``,
``wom.talk_steps = 1``, ``wom.impact_positive = 1`` and no purchases, the run
is the independent cascade with transmissibility ``wom.p_positive``; with
``market.p_advertising = p`` on a complete graph with ``p_positive = q/n`` and
talk that never stops, it is the discrete-time stochastic Bass model.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.core import metrics as M
from simulator.core.state import AgentState, Opinion
from simulator.core.wom import advance
from simulator.errors import InvariantError
from simulator.graphs.graph import Graph
from simulator.platform.layer import SERIES_METRICS, Platform, idle_row, platform_active
from simulator.sections import MarketParams, SeedingParams, WomParams


@dataclass
class Replicate:
    """The outcome of one replicate: its metric series and final state."""

    series: np.ndarray  # int64, (steps + 1, N_WOM_METRICS)
    state: AgentState
    keys: dict[str, int]
    pseries: np.ndarray | None = None  # float64, (steps + 1, len(SERIES_METRICS))


def choose_seeds(graph: Graph, seeding: SeedingParams, key: int) -> np.ndarray:
    """The agents who talk at step 0 (int32, sorted).

    ``influencers`` takes the highest-degree agents (ties to the lower id, so the
    choice is deterministic); ``random`` draws without replacement from the
    seeding stream.
    """
    k = min(seeding.n_seeds, graph.n)
    if k == 0:
        return np.empty(0, np.int32)
    if seeding.method == "influencers":
        order = np.argsort(-graph.degrees(), kind="stable")
        return np.sort(order[:k]).astype(np.int32)
    rng = np.random.Generator(np.random.PCG64(key))
    return np.sort(rng.choice(graph.n, size=k, replace=False)).astype(np.int32)


def initial_state(graph: Graph, seeding: SeedingParams, wom: WomParams, keys: dict[str, int]):
    """State, talker list and running counts at step 0."""
    n = graph.n
    state = AgentState.empty(n)
    c = np.zeros(M.N_WOM_METRICS, np.int64)
    c[M.N_UNAWARE] = n
    customers = np.empty(0, np.int64)
    if seeding.initial_customers > 0:
        rng = np.random.Generator(np.random.PCG64(keys["purchase"]))
        k = int(round(seeding.initial_customers * n))
        customers = rng.choice(n, size=k, replace=False)
        state.opinion[customers] = Opinion.POSITIVE
        state.customer[customers] = 1
        state.ever_aware[customers] = 1
        state.ever_positive[customers] = 1
    seeds = choose_seeds(graph, seeding, keys["seeding"])
    sentiment = Opinion.POSITIVE if seeding.sentiment == "positive" else Opinion.NEGATIVE
    state.opinion[seeds] = sentiment
    state.ever_aware[seeds] = 1
    if sentiment == Opinion.POSITIVE:
        state.ever_positive[seeds] = 1
    else:
        state.ever_negative[seeds] = 1
    state.talk_until[seeds] = wom.talk_steps
    talkers = np.zeros(n, np.int32)
    talkers[: seeds.size] = seeds
    in_list = np.zeros(n, np.uint8)
    in_list[seeds] = 1
    recount(state, c)
    c[M.CUM_REACH] = np.count_nonzero(state.ever_aware)
    c[M.CUM_POSITIVE] = np.count_nonzero(state.ever_positive)
    c[M.CUM_NEGATIVE] = np.count_nonzero(state.ever_negative)
    c[M.CUM_CUSTOMERS] = c[M.N_CUSTOMERS]
    c[M.N_TALKING_POSITIVE] = int((state.opinion[seeds] == Opinion.POSITIVE).sum())
    c[M.N_TALKING_NEGATIVE] = int((state.opinion[seeds] == Opinion.NEGATIVE).sum())
    return state, talkers, int(seeds.size), in_list, c


def recount(state: AgentState, c: np.ndarray) -> None:
    """Set the ``n_`` counts in ``c`` from the arrays (O(n); start and checks only)."""
    # count_nonzero on int8 comparisons: bincount would widen the opinions to int64 first.
    op = state.opinion
    unaware = np.count_nonzero(op == Opinion.UNAWARE)
    c[M.N_UNAWARE] = unaware
    c[M.N_AWARE] = state.n - unaware
    c[M.N_NEUTRAL] = np.count_nonzero(op == Opinion.NEUTRAL)
    c[M.N_POSITIVE] = np.count_nonzero(op == Opinion.POSITIVE)
    c[M.N_NEGATIVE] = np.count_nonzero(op == Opinion.NEGATIVE)
    c[M.N_CUSTOMERS] = np.count_nonzero(state.customer)
    c[M.N_BUYERS_LEFT] = np.count_nonzero((op == Opinion.POSITIVE) & (state.customer == 0))


class Simulation:
    """One replicate that can be advanced step by step (the Mesa model's engine).

    >>> import numpy as np
    >>> from simulator.graphs import erdos_renyi
    >>> from simulator.engine.run import replicate_keys
    >>> from simulator.sections import SeedingParams, WomParams, MarketParams
    >>> sim = Simulation(erdos_renyi(500, 8, seed=1), SeedingParams(n_seeds=5), WomParams(),
    ...                  MarketParams(), steps=10, keys=replicate_keys(0, 0))
    >>> sim.step(); sim.t
    1
    >>> sim.run_to_end().series.shape
    (11, 23)
    """

    def __init__(
        self,
        graph: Graph,
        seeding: SeedingParams,
        wom: WomParams,
        market: MarketParams,
        steps: int,
        keys: dict[str, int],
        validate: bool = False,
        fused: bool = True,
        platform: tuple | None = None,
    ) -> None:
        self.graph = graph
        self.fused = fused
        self.wom = wom
        self.market = market
        self.steps = int(steps)
        self.keys = keys
        self.validate = validate
        self.state, self.talkers, self.n_talkers, self.in_list, self.counts = initial_state(
            graph, seeding, wom, keys
        )
        self.series = np.zeros((self.steps + 1, M.N_WOM_METRICS), np.int64)
        self.series[0] = self.counts
        self.t = 0
        self.quiet = False  # True once nothing more can happen
        # The platform layers (feed, followers, brand, paid, crisis), when any is on.
        self.platform = None
        self.pseries = np.zeros((self.steps + 1, len(SERIES_METRICS)))
        self._scratch = None  # listening buffers of the platform path, made on first use
        if platform is not None and platform_active(*platform):
            self.platform = Platform(graph, self.state, *platform, keys)
            self.pseries[0] = self.platform.initial_metrics(self.state)
        else:
            self.pseries[:] = idle_row(graph.n)  # every row, whenever the run stops

    def scratch(self):
        """Zeroed per-agent scratch arrays the listening step leaves zeroed."""
        if self._scratch is None:
            n = self.graph.n
            self._scratch = (np.zeros(n, np.int32), np.zeros(n, np.int32), np.zeros(n, np.uint8),
                             np.empty(n, np.int32))
        return self._scratch

    @property
    def done(self) -> bool:
        return self.t >= self.steps or self.quiet

    def _advance(self, t_stop: int) -> None:
        if self.platform is not None:
            for t in range(self.t + 1, t_stop + 1):
                self.platform.step(self, t, self.pseries)
                self.series[t] = self.counts
            self.t = t_stop
            return
        s, wom, market, keys = self.state, self.wom, self.market, self.keys
        self.n_talkers, last = advance(
            self.graph.indptr, self.graph.indices,
            s.opinion, s.talk_until, s.customer, s.ever_aware, s.ever_positive, s.ever_negative,
            self.talkers, self.n_talkers, self.in_list, self.counts,
            wom.p_positive, wom.p_negative, wom.talk_steps, wom.impact_positive,
            wom.impact_negative, wom.p_turn_negative, wom.p_turn_positive,
            market.p_advertising, market.p_purchase, market.satisfaction,
            np.uint64(keys["wom"]), np.uint64(keys["listen"]), np.uint64(keys["external"]),
            np.uint64(keys["purchase"]),
            self.t + 1, t_stop + 1, self.series, self.fused,
        )
        if last < t_stop:  # stopped early: nothing more can happen
            carry_forward(self.series, last)
            self.quiet = True
        self.t = t_stop

    def step(self) -> None:
        """Advance one step (a no-op once the run is over)."""
        if self.t < self.steps:
            self._advance(self.t + 1)

    def run_to_end(self) -> Replicate:
        """Advance to the last step and return the replicate."""
        if self.t < self.steps:
            self._advance(self.steps)
        if self.validate:
            check_invariants(self.series, self.state, self.graph.n)
        return Replicate(series=self.series, state=self.state, keys=self.keys, pseries=self.pseries)


def simulate(
    graph: Graph,
    seeding: SeedingParams,
    wom: WomParams,
    market: MarketParams,
    steps: int,
    keys: dict[str, int],
    validate: bool = False,
    platform: tuple | None = None,
) -> Replicate:
    """Run one replicate for ``steps`` steps (``platform``: feed, followers, brand, paid, crisis)."""
    return Simulation(graph, seeding, wom, market, steps, keys, validate,
                      platform=platform).run_to_end()


def carry_forward(series: np.ndarray, last: int) -> None:
    """After an early stop at row ``last``, later rows repeat it with zero flows."""
    if last + 1 < series.shape[0]:
        series[last + 1 :] = series[last]
        series[last + 1 :, M.NEW_AWARE : M.CUM_REACH] = 0
        series[last + 1 :, M.N_TALKING_POSITIVE] = 0
        series[last + 1 :, M.N_TALKING_NEGATIVE] = 0


def check_invariants(series: np.ndarray, state: AgentState, n: int) -> None:
    """Raise :class:`InvariantError` if a model invariant fails."""
    states = series[:, [M.N_UNAWARE, M.N_NEUTRAL, M.N_POSITIVE, M.N_NEGATIVE]].sum(axis=1)
    if not np.all(states == n):
        bad = int(np.argmax(states != n))
        raise InvariantError(f"opinion counts sum to {states[bad]} != n={n} at step {bad}")
    if not np.all(series[:, M.N_AWARE] + series[:, M.N_UNAWARE] == n):
        raise InvariantError("n_aware + n_unaware != n")
    for col in (M.CUM_REACH, M.CUM_POSITIVE, M.CUM_NEGATIVE, M.CUM_CUSTOMERS,
                M.CUM_WORD_POSITIVE, M.CUM_WORD_NEGATIVE, M.N_CUSTOMERS):
        if np.any(np.diff(series[:, col]) < 0):
            raise InvariantError(f"{M.WOM_METRICS[col]} decreased")
    if np.any(series < 0):
        raise InvariantError("a count went negative")
    final = np.zeros(M.N_WOM_METRICS, np.int64)
    recount(state, final)
    for col in (M.N_UNAWARE, M.N_NEUTRAL, M.N_POSITIVE, M.N_NEGATIVE, M.N_CUSTOMERS, M.N_BUYERS_LEFT):
        if final[col] != series[-1, col]:
            raise InvariantError(
                f"{M.WOM_METRICS[col]}: running count {series[-1, col]} != recount {final[col]}"
            )
    if int(state.ever_aware.sum()) != series[-1, M.CUM_REACH]:
        raise InvariantError("cum_reach does not match the agents ever aware")
