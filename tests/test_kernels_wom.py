"""The word-of-mouth kernels against their slow twins and against plain probability."""

from __future__ import annotations

import math

import numba
import numpy as np
import pytest
from scipy import stats

from simulator.engine.simulation import Simulation
from simulator.graphs import erdos_renyi
from simulator.kernels.agents import count_opinions, sample_agents
from simulator.kernels.wom import Messages, spread_word
from simulator.params import MarketParams, ModelParams, SeedingParams, WomParams
from simulator.rng import replicate_keys
from simulator.state import metrics as M
from simulator.state.agents import Opinion, TalkerList
from tests.twins_wom import skip_positions, twin_recount, twin_run

NO_SENDER = np.empty(0, np.int32)  # simple contagion: speakers are not recorded


@pytest.fixture(scope="module")
def small_graph():
    return erdos_renyi(300, 12, seed=7)


@pytest.mark.parametrize(
    "wom, market",
    [
        (WomParams(), MarketParams()),
        (
            WomParams(p_positive=0.08, p_negative=0.12, talk_steps=2, impact_positive=0.6,
                      impact_negative=0.7, p_turn_negative=0.3, p_turn_positive=0.2),
            MarketParams(p_advertising=0.01, p_purchase=0.2, satisfaction=0.6),
        ),
        (WomParams(p_positive=1.0, p_negative=1.0, talk_steps=1), MarketParams(p_purchase=1.0)),
    ],
)
def test_kernels_agree_with_slow_twin(small_graph, wom, market):
    """Every step's counts match a plain-Python twin using the same draws."""
    seeding = SeedingParams(n_seeds=6, initial_customers=0.05)
    keys = replicate_keys(11, 0)
    sim = Simulation(small_graph, ModelParams(seeding=seeding, wom=wom, market=market), steps=15,
                     keys=keys, validate=True)
    state = sim.state.copy()
    twin = twin_run(
        small_graph, state.opinion, state.talk_until, state.customer, sim.talkers.listed().copy(),
        wom, market, keys, steps=15,
    )
    series = sim.run_to_end().series
    for t, row in enumerate(twin, start=1):
        for name in ("n_positive", "n_negative", "n_neutral", "n_customers",
                     "n_talking_positive", "n_talking_negative"):
            assert series[t, M.COUNT_NAMES.index(name)] == row[name], (t, name)
        words = series[t, M.NEW_WORD_POSITIVE] + series[t, M.NEW_WORD_NEGATIVE]
        assert words == row["words"], t


def test_skip_sampling_hits_each_friend_with_probability_p():
    """Skip-sampling is a Bernoulli(p) per friend: position counts are uniform, total binomial."""
    p, degree, trials = 0.07, 40, 20_000
    counts = np.zeros(degree)
    key = 12345
    for i in range(trials):
        for pos in skip_positions(key, 1, i, degree, p):
            counts[pos] += 1
    # Each position is hit ~Binomial(trials, p): chi-square of counts vs p*trials.
    expected = p * trials
    chi2 = float(((counts - expected) ** 2 / (expected * (1 - p))).sum())
    assert stats.chi2.sf(chi2, degree) > 0.001


def test_spread_word_matches_twin_positions():
    g = erdos_renyi(200, 20, seed=3)
    opinion = np.full(g.n, Opinion.POSITIVE, np.int8)
    talkers = np.arange(g.n, dtype=np.int32)
    target = np.empty(100_000, np.int32)
    sentiment = np.empty(100_000, np.int8)
    opinion[:50] = Opinion.UNAWARE  # words to fans are counted, not written
    k, n_pos, n_neg = spread_word(g.indptr, g.indices, TalkerList.of(g.n, talkers[50:]), opinion,
                                  0.1, 0.0, np.uint64(99), 4, Messages(target, sentiment, NO_SENDER))
    expected, passed = [], 0
    for i in range(50, g.n):
        friends = g.neighbors(i)
        hit = [int(friends[p]) for p in skip_positions(99, 4, i, len(friends), 0.1)]
        passed += len(hit)
        expected += [j for j in hit if j < 50]
    assert target[:k].tolist() == expected and n_pos == passed and n_neg == 0


def test_spread_word_reports_overflow_and_is_deterministic():
    g = erdos_renyi(200, 20, seed=3)
    opinion = np.full(g.n, Opinion.NEGATIVE, np.int8)
    talkers = np.arange(g.n, dtype=np.int32)
    small = np.empty(10, np.int32), np.empty(10, np.int8), NO_SENDER
    big = np.empty(10_000, np.int32), np.empty(10_000, np.int8), NO_SENDER
    opinion[::2] = Opinion.POSITIVE  # half the listeners can be moved by negative word
    listed = TalkerList.of(g.n, talkers)
    k_small = spread_word(g.indptr, g.indices, listed, opinion, 0.0, 0.3, np.uint64(5), 1,
                          Messages(*small))
    k_big = spread_word(g.indptr, g.indices, listed, opinion, 0.0, 0.3, np.uint64(5), 1,
                        Messages(*big))
    assert k_small == k_big and k_big[0] > 10
    assert big[0][:10].tolist() == small[0].tolist()


def test_sample_agents_rate():
    out = np.empty(100_000, np.int32)
    k = sample_agents(100_000, 0.03, np.uint64(8), 2, out)
    # Binomial(1e5, 0.03): sd = 54; allow 5 sd.
    assert abs(k - 3000) < 5 * math.sqrt(100_000 * 0.03 * 0.97)
    assert np.all(np.diff(out[:k]) > 0)


def test_same_numbers_on_one_and_two_threads():
    g = erdos_renyi(3000, 15, seed=2)
    seeding = SeedingParams(n_seeds=5)
    keys = replicate_keys(4, 0)
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        a = Simulation(g, ModelParams(seeding=seeding, wom=WomParams(), market=MarketParams()), 40, keys).run_to_end().series
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        b = Simulation(g, ModelParams(seeding=seeding, wom=WomParams(), market=MarketParams()), 40, keys).run_to_end().series
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(a, b)


@pytest.mark.parametrize("talk_steps, p", [(1, 0.15), (3, 0.05), (2, 1.0)])
def test_fused_cascade_path_equals_two_phase_path(talk_steps, p):
    """The one-pass independent-cascade loop gives the same series as talk-then-listen."""
    g = erdos_renyi(4000, 12, seed=9)
    wom = WomParams(p_positive=p, p_negative=0.0, talk_steps=talk_steps, impact_positive=1.0)
    market = MarketParams(p_purchase=0.0)
    seeding = SeedingParams(n_seeds=3)
    keys = replicate_keys(21, 0)
    a = Simulation(g, ModelParams(seeding=seeding, wom=wom, market=market), 50, keys, fused=True).run_to_end()
    b = Simulation(g, ModelParams(seeding=seeding, wom=wom, market=market), 50, keys, fused=False).run_to_end()
    assert np.array_equal(a.series, b.series)
    assert np.array_equal(a.state.opinion, b.state.opinion)
    assert a.series[-1, M.CUM_POSITIVE] > 3


@pytest.mark.parametrize("n", [0, 1, 7, 5000])
def test_count_opinions_matches_its_twin(n):
    rng = np.random.default_rng(n)
    opinion = rng.integers(0, 4, n).astype(np.int8)
    customer = (rng.random(n) < 0.3).astype(np.uint8)
    c = M.new_counts()
    count_opinions(opinion, customer, c)
    assert {name: int(c[M.COUNT_NAMES.index(name)]) for name in twin_recount(opinion, customer)} \
        == twin_recount(opinion, customer)
