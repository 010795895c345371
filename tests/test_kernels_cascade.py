"""The one-call cascade (``simulator.kernels.cascade``) against the general step and the twin.

The fast path must give the same numbers as the general step, draw for draw:
the same series, final state and talker order (the next call's draws follow
the list order), whether a run takes one call or one call per step.
"""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from numba import njit, uint64

from simulator.engine.simulation import Simulation, recount
from simulator.graphs import complete, erdos_renyi
from simulator.kernels.cascade import (
    SKIP_TABLE_BITS,
    SKIP_TABLES_KEPT,
    SkipTable,
    build_skip_table,
    forget_skip_tables,
    keep_skip_table,
    lookup_skip,
    skip_from_bits,
    skip_table_for,
    table_skip,
)
from simulator.kernels.wom import SIMPLE, MarketRule, WomRule, advance
from simulator.params import MarketParams, ModelParams, SeedingParams, WomParams
from simulator.rng import StreamKeys, geometric_skip, replicate_keys
from simulator.state import metrics as M
from simulator.state.agents import AgentState, Memory, Opinion, TalkerList
from tests.twins_wom import twin_run

NO_MARKET = MarketParams(p_advertising=0.0, p_purchase=0.0)


def ic_wom(p: float, talk_steps: int = 1) -> WomParams:
    """The independent cascade's word-of-mouth section (the fast path's domain)."""
    return WomParams(p_positive=p, p_negative=0.0, talk_steps=talk_steps, impact_positive=1.0)


def skip_table(p: float):
    base = np.empty(1 << SKIP_TABLE_BITS, np.int64)
    cut = np.empty(1 << SKIP_TABLE_BITS, np.uint64)
    build_skip_table(math.log1p(-p), base, cut)
    return base, cut


@njit
def count_table_mismatches(log_q, base, cut, n_draws, seed):
    """Draws where the table's skip or next state differs from geometric_skip's."""
    bad = 0
    state = uint64(seed)
    for _ in range(n_draws):
        want, want_state = geometric_skip(state, log_q)
        got, got_state = table_skip(state, log_q, base, cut)
        if got != want or got_state != want_state:
            bad += 1
        state = want_state * uint64(3) + uint64(1)  # wander over the state space
    return bad


@pytest.mark.parametrize("p", [0.001, 0.01, 0.1, 0.2, 0.5, 0.9, 0.999])
def test_skip_table_gives_the_logarithms_skip(p):
    """Random draws, and the draws on both sides of every cut and bucket edge."""
    log_q = math.log1p(-p)
    base, cut = skip_table(p)
    assert count_table_mismatches(log_q, base, cut, 200_000, 17) == 0
    shift = 53 - SKIP_TABLE_BITS
    for b in np.flatnonzero(base >= 0):
        lo, hi = b << shift, ((b + 1) << shift) - 1
        for r in {lo, lo + 1, hi - 1, hi, *range(int(cut[b]) - 3, int(cut[b]) + 3)}:
            if lo <= r <= hi:
                r = np.uint64(r)
                assert lookup_skip(r, log_q, base, cut) == skip_from_bits(r, log_q), (b, int(r))


def test_skip_table_resolves_most_draws_at_the_benchmark_t():
    """At T = 0.1 (bench_peers) the table, not the logarithm, serves >= 99% of draws."""
    base, _ = skip_table(0.1)
    assert (base >= 0).mean() >= 0.99


@pytest.mark.parametrize("talk_steps, p", [(1, 0.2), (3, 0.07)])
def test_cascade_matches_slow_twin(talk_steps, p):
    """Step counts, words and the end state (talker order included) match the twin."""
    g = erdos_renyi(3000, 10, seed=5)
    wom = ic_wom(p, talk_steps)
    seeding = SeedingParams(n_seeds=4, initial_customers=0.02)
    keys = replicate_keys(3, 1)
    steps = 30
    sim = Simulation(g, ModelParams(seeding=seeding, wom=wom, market=NO_MARKET), steps=steps,
                     keys=keys, validate=True)
    state = sim.state.copy()
    final = {}
    rows = twin_run(g, state.opinion, state.talk_until, state.customer,
                    sim.talkers.listed().copy(), wom, NO_MARKET, keys, steps, final=final)
    rep = sim.run_to_end()
    for t, row in enumerate(rows, start=1):
        for name in ("n_positive", "n_negative", "n_neutral", "n_talking_positive"):
            assert rep.series[t, M.COUNT_NAMES.index(name)] == row[name], (t, name)
        assert rep.series[t, M.NEW_WORD_POSITIVE] == row["words"], t
    assert rep.series[-1, M.CUM_POSITIVE] > 100  # a real outbreak, long enough to build the table
    assert np.array_equal(rep.state.opinion, final["opinion"])
    # The twin leaves talk_until of the silent as it was; the kernels reset it to -1.
    talking = final["talk_until"] >= steps + 1
    assert np.array_equal(rep.state.talk_until, np.where(talking, final["talk_until"], -1))
    assert sim.talkers.listed().tolist() == final["talkers"]


def state_of(sim: Simulation) -> dict:
    s = sim.state
    return {**{k: getattr(s, k) for k in ("opinion", "talk_until", "customer", "ever_aware",
                                            "ever_positive", "ever_negative")},
            "series": sim.series, "talkers": sim.talkers.listed(), "in_list": sim.talkers.in_list}


@pytest.mark.parametrize("talk_steps, p", [(1, 0.12), (2, 0.06), (4, 1.0), (1, 0.0)])
def test_one_call_or_one_step_per_call_equals_general_path(talk_steps, p):
    """Fast path in one call, fast path one step per call, general path: same everything."""
    g = erdos_renyi(5000, 12, seed=8)
    args = (g, ModelParams(seeding=SeedingParams(n_seeds=6, initial_customers=0.01),
                           wom=ic_wom(p, talk_steps), market=NO_MARKET))
    keys = replicate_keys(9, 2)
    whole = Simulation(*args, steps=40, keys=keys)
    whole.run_to_end()
    stepped = Simulation(*args, steps=40, keys=keys)
    while not stepped.done:
        stepped.step()
    general = Simulation(*args, steps=40, keys=keys, fused=False)
    general.run_to_end()
    want = state_of(general)
    for sim in (whole, stepped):
        got = state_of(sim)
        for name, arr in want.items():
            assert np.array_equal(got[name], arr), name



@pytest.mark.parametrize("p", [0.06, 0.12, 0.3])
def test_a_kept_skip_table_changes_no_number(p):
    """A run that finds its skip table kept from an earlier run (and so uses it from the first
    draw) gives what it gives building its own mid-run, or with none, and what the general
    path gives: a sweep's runs do not depend on which runs a process did before."""
    small, big = erdos_renyi(400, 10, seed=3), erdos_renyi(20_000, 30, seed=4)

    def run(g, fused=True):
        model = ModelParams(seeding=SeedingParams(n_seeds=5), wom=ic_wom(p), market=NO_MARKET)
        sim = Simulation(g, model, steps=60, keys=replicate_keys(6, 1), fused=fused)
        sim.run_to_end()
        return state_of(sim)

    forget_skip_tables()
    alone = run(small)  # too few draws to build a table
    assert not skip_table_for(p).built[0]
    built_mid_run = run(big)
    assert built_mid_run["series"][-1, M.CUM_POSITIVE] > 2_000  # far past the build's threshold
    assert skip_table_for(p).built[0]  # kept for the next run
    runs = {"small, kept table": (run(small), alone), "big, kept table": (run(big), built_mid_run),
            "big, general path": (run(big, fused=False), built_mid_run)}
    for label, (got, want) in runs.items():
        for name, arr in want.items():
            assert np.array_equal(got[name], arr), (label, name)


def test_skip_tables_kept_are_bounded_and_only_built_ones():
    forget_skip_tables()
    unbuilt = SkipTable.unbuilt()
    keep_skip_table(0.5, unbuilt)
    assert not skip_table_for(0.5).built[0] and skip_table_for(0.5) is not unbuilt
    for k in range(SKIP_TABLES_KEPT + 5):
        table = SkipTable.unbuilt()
        table.built[0] = 1
        keep_skip_table(k / 1000, table)
    assert skip_table_for(SKIP_TABLES_KEPT / 1000).built[0]  # the newest are kept
    assert not skip_table_for(0.0).built[0]  # the oldest went first
    forget_skip_tables()

def test_entry_talkers_in_any_order():
    """A talker list not sorted by talk_until (as a detractor turned fan leaves it) works too."""
    g = erdos_renyi(2000, 10, seed=1)
    rng = np.random.default_rng(4)
    talk_steps, t0 = 4, 3
    state = AgentState.empty(g.n)
    fans = rng.choice(g.n, size=200, replace=False)
    state.opinion[fans] = Opinion.POSITIVE
    state.ever_aware[fans] = state.ever_positive[fans] = 1
    listed = rng.permutation(fans)[:150]
    state.talk_until[listed] = t0 + 1 + rng.integers(0, talk_steps, size=listed.size)
    c0 = np.zeros(M.N_COUNTS, np.int64)
    recount(state, c0)
    c0[M.CUM_REACH] = c0[M.CUM_POSITIVE] = fans.size

    def run(fused):
        s = state.copy()
        talkers = TalkerList.of(g.n, listed.astype(np.int32))
        c = c0.copy()
        series = np.zeros((30, M.N_COUNTS), np.int64)
        keys = StreamKeys(*(np.uint64(k) for k in range(10, 10 + len(StreamKeys._fields))))
        last = advance(
            g.indptr, g.indices, s, talkers, c,
            WomRule(0.15, 0.0, talk_steps, 1.0, 0.0, 0.0, 0.0, SIMPLE), MarketRule(0.0, 0.0, 1.0),
            keys, Memory.none(), t0 + 1, 30, series, SkipTable.unbuilt(), fused,
        )
        return s, talkers.listed(), talkers.in_list, series, last

    a, b = run(True), run(False)
    assert a[4] == b[4] and a[3][a[4], M.CUM_POSITIVE] > 400
    for name in ("opinion", "talk_until", "ever_aware", "ever_positive"):
        assert np.array_equal(getattr(a[0], name), getattr(b[0], name)), name
    for x, y in zip(a[1:4], b[1:4], strict=True):
        assert np.array_equal(x, y)


def test_everyone_reached_fills_the_talker_list():
    """p = 1 on a complete graph: the list holds every agent; nothing is written past it."""
    g = complete(60)
    args = (g, ModelParams(seeding=SeedingParams(n_seeds=1), wom=ic_wom(1.0, talk_steps=3),
                           market=NO_MARKET))
    keys = replicate_keys(1, 0)
    fast = Simulation(*args, steps=6, keys=keys)
    fast.step()
    assert fast.talkers.n == g.n and fast.series[1, M.N_POSITIVE] == g.n
    fast.run_to_end()
    general = Simulation(*args, steps=6, keys=keys, fused=False)
    general.run_to_end()
    for name, arr in state_of(general).items():
        assert np.array_equal(state_of(fast)[name], arr), name


def test_cascade_same_numbers_on_one_and_two_threads():
    g = erdos_renyi(4000, 10, seed=2)
    args = (g, ModelParams(seeding=SeedingParams(n_seeds=3), wom=ic_wom(0.2), market=NO_MARKET), 40,
            replicate_keys(4, 0))
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = Simulation(*args).run_to_end().series
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = Simulation(*args).run_to_end().series
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(a, b) and a[-1, M.CUM_POSITIVE] > 1000
