"""One replicate: its state, its step plan, its series, and the invariants it keeps.

What a step does, and in what order, is written once, in
:mod:`simulator.engine.plan`. :class:`Simulation` holds one replicate's state
(:mod:`simulator.state`) and its two series, the ``counts`` block (int64) and
the ``layers`` block (float64) of :mod:`simulator.state.metrics`, advances the
plan step by step or to the end, and checks the model's invariants.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulator.engine.plan import StepPlan
from simulator.errors import InvariantError
from simulator.graphs.graph import Graph
from simulator.kernels.agents import count_opinions
from simulator.params import ModelParams
from simulator.rng import StreamKeys
from simulator.state import metrics as M
from simulator.state.agents import AgentState, TalkerList

#: The counts result tables hold, as an index array (made once, not at every replicate).
_PUBLIC_COUNTS = np.array(M.PUBLIC_COUNT_POSITIONS, np.intp)


@dataclass
class Replicate:
    """The outcome of one replicate: its two series and its final state."""

    series: np.ndarray  # int64, (steps + 1, N_COUNTS): the counts block
    layers: np.ndarray  # float64, (steps + 1, N_LAYERS): the layers block
    state: AgentState
    keys: StreamKeys

    def public_series(self) -> np.ndarray:
        """float64 ``(steps + 1, len(PUBLIC_COLUMNS))``: the columns result tables hold."""
        return np.concatenate((self.series[:, _PUBLIC_COUNTS], self.layers), axis=1)


def recount(state: AgentState, c: np.ndarray) -> None:
    """Set the ``n_`` counts in ``c`` from the arrays (O(n); start and checks only)."""
    count_opinions(state.opinion, state.customer, c)


class Simulation:
    """One replicate that can be advanced step by step (the Mesa model's engine).

    >>> from simulator.graphs import erdos_renyi
    >>> from simulator.params import ModelParams, SeedingParams
    >>> from simulator.rng import replicate_keys
    >>> sim = Simulation(erdos_renyi(500, 8, seed=1), ModelParams(seeding=SeedingParams(n_seeds=5)),
    ...                  steps=10, keys=replicate_keys(0, 0))
    >>> sim.step(); sim.t
    1
    >>> sim.run_to_end().series.shape
    (11, 23)

    Parameters
    ----------
    graph : Graph
    model : ModelParams
        Every section the step plan reads.
    steps : int
    keys : StreamKeys
        The replicate's streams (:func:`simulator.rng.replicate_keys`).
    validate : bool
        Check the invariants at the end (:func:`check_invariants`).
    fused, stepwise : bool
        Allow the independent cascade's fast path; run the plan phase by phase
        even without platform layers. Both shortcuts are exact; the tests turn
        them off to check so.
    """

    def __init__(self, graph: Graph, model: ModelParams, steps: int, keys: StreamKeys, *,
                 validate: bool = False, fused: bool = True, stepwise: bool = False) -> None:
        self.graph, self.model, self.keys = graph, model, keys
        self.steps = int(steps)
        self.validate, self.fused = validate, fused
        n = graph.n
        self.state = AgentState.empty(n)
        self.counts = M.new_counts()
        self.counts[M.N_UNAWARE] = n
        self.plan = StepPlan(graph, model, self.state, self.counts, keys, stepwise=stepwise)
        c, state = self.counts, self.state
        recount(state, c)
        c[M.CUM_REACH] = np.count_nonzero(state.ever_aware)
        c[M.CUM_POSITIVE] = np.count_nonzero(state.ever_positive)
        c[M.CUM_NEGATIVE] = np.count_nonzero(state.ever_negative)
        c[M.CUM_CUSTOMERS] = c[M.N_CUSTOMERS]
        self.series = np.zeros((self.steps + 1, M.N_COUNTS), np.int64)
        self.series[0] = c
        # Without platform layers every row is the starting row: nothing there moves.
        self.layers = np.empty((self.steps + 1, M.N_LAYERS))
        self.layers[:] = self.plan.initial_layers()
        self.t = 0
        self.quiet = False  # True once nothing more can happen

    @property
    def talkers(self) -> TalkerList:
        """Who talks in the next step, in the order they started."""
        return self.plan.talkers

    @property
    def done(self) -> bool:
        return self.t >= self.steps or self.quiet

    def _advance(self, t_stop: int) -> None:
        last = self.plan.run(self.t + 1, t_stop + 1, self.series, self.layers, self.fused)
        if last < t_stop:  # stopped early: nothing more can happen
            M.carry_forward(self.series, last)
            self.quiet = True
        if self.plan.compiled:  # every row the counts now hold (all of them once quiet)
            end = self.steps + 1 if self.quiet else t_stop + 1
            self.plan.count_money(self.series, self.layers, self.t + 1, end)
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
        return Replicate(series=self.series, layers=self.layers, state=self.state, keys=self.keys)


def simulate(graph: Graph, model: ModelParams, steps: int, keys: StreamKeys,
             validate: bool = False) -> Replicate:
    """Run one replicate for ``steps`` steps."""
    return Simulation(graph, model, steps, keys, validate=validate).run_to_end()


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
            raise InvariantError(f"{M.COUNT_NAMES[col]} decreased")
    if np.any(series < 0):
        raise InvariantError("a count went negative")
    final = M.new_counts()
    recount(state, final)
    for col in (M.N_UNAWARE, M.N_NEUTRAL, M.N_POSITIVE, M.N_NEGATIVE, M.N_CUSTOMERS, M.N_BUYERS_LEFT):
        if final[col] != series[-1, col]:
            raise InvariantError(
                f"{M.COUNT_NAMES[col]}: running count {series[-1, col]} != recount {final[col]}"
            )
    if int(state.ever_aware.sum()) != series[-1, M.CUM_REACH]:
        raise InvariantError("cum_reach does not match the agents ever aware")
