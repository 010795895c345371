"""Threshold contagion (``wom.contagion = "threshold"``): twins, reductions and references.

* a slow twin: the plain-Python step plan with a dict of who said what to whom;
* exact reduction: with every fan telling every friend and no negative word it
  is Watts' (2002) model, checked against a plain breadth-first Watts cascade;
* Watts' cascade window (checks P6 and P7 of the literature, in
  ``docs/references.md``): global cascades are frequent at mean degree 3 and
  absent at 8 for phi = 0.18, absent at every degree for phi = 0.3;
* the linear threshold model with thresholds uniform on [0, 1] and weights
  1/degree against CyNetDiff's ``LinearThresholdModel`` on the same graph;
* complex contagion: with a count threshold of 2, one seed never spreads on a
  ring lattice and two neighbouring seeds take it all (Centola & Macy 2007);
* the compiled plan equals the plan run phase by phase through the feed.
"""

from __future__ import annotations

from collections import deque
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import simulator
from simulator.components.wom import thresholds
from simulator.engine.simulation import Simulation
from simulator.graphs import erdos_renyi, watts_strogatz
from simulator.graphs.io import to_networkx
from simulator.params import MarketParams, ModelParams, SeedingParams, WomParams
from simulator.rng import replicate_keys
from simulator.state import metrics as M
from simulator.state.agents import Opinion
from tests.twins_wom import twin_run

ROOT = Path(__file__).resolve().parent.parent
WATTS = ROOT / "scenarios" / "reference" / "watts_2002.toml"


def watts_cascade(graph, seeds, phi):
    """Watts' rule, the obvious way: adopt once the share of adopted friends is >= phi."""
    active = np.zeros(graph.n, bool)
    active[list(seeds)] = True
    count = np.zeros(graph.n, int)
    queue = deque(int(s) for s in seeds)
    while queue:
        i = queue.popleft()
        for j in graph.neighbors(i):
            j = int(j)
            if active[j]:
                continue
            count[j] += 1
            if count[j] >= phi[j] * len(graph.neighbors(j)) - 1e-9:
                active[j] = True
                queue.append(j)
    return active


def threshold_wom(**kw) -> WomParams:
    base = dict(contagion="threshold", p_positive=1.0, p_negative=0.0, talk_steps=1)
    return WomParams(**{**base, **kw})


NO_MARKET = MarketParams(p_advertising=0.0, p_purchase=0.0, satisfaction=1.0)


@pytest.mark.parametrize("z, wom", [
    (3, threshold_wom(threshold=0.18)),
    (5, threshold_wom(threshold=0.18)),
    (4, threshold_wom(threshold=0.2, threshold_distribution="normal", threshold_spread=0.1)),
    (6, threshold_wom(threshold=0.25, threshold_distribution="uniform", threshold_spread=0.2)),
])
def test_with_every_word_spoken_it_is_watts_model(z, wom):
    """Same graph, same seeds, same thresholds: the same set of adopters as a plain cascade."""
    for seed in range(4):
        g = erdos_renyi(3000, z, seed=seed)
        keys = replicate_keys(seed, 0)
        model = ModelParams(seeding=SeedingParams(n_seeds=3), wom=wom, market=NO_MARKET)
        sim = Simulation(g, model, steps=3000, keys=keys, validate=True)
        seeds = np.flatnonzero(sim.state.opinion == Opinion.POSITIVE)
        bars = thresholds(g, wom, keys.threshold)
        deg = g.degrees()
        phi = np.where(deg > 0, (bars + 1e-9) / np.maximum(deg, 1), 0.0)
        sim.run_to_end()
        expected = watts_cascade(g, seeds, phi)
        assert np.array_equal(sim.state.opinion == Opinion.POSITIVE, expected), seed


@pytest.mark.parametrize("wom, market", [
    (WomParams(contagion="threshold", threshold=0.2, p_positive=0.3, p_negative=0.4,
               talk_steps=2), MarketParams(p_advertising=0.005, p_purchase=0.2, satisfaction=0.5)),
    (WomParams(contagion="threshold", threshold_kind="count", threshold=2, p_positive=0.5,
               p_negative=0.5, talk_steps=3, threshold_distribution="uniform",
               threshold_spread=1.5), MarketParams(p_advertising=0.0, p_purchase=0.3,
                                                   satisfaction=0.3)),
])
def test_threshold_kernels_agree_with_slow_twin(wom, market):
    """Negative word, changes of side, advertising and purchases: every step's counts
    match the plain-Python twin, which keeps a dict of each friend's latest word."""
    g = erdos_renyi(400, 10, seed=5)
    keys = replicate_keys(13, 0)
    seeding = SeedingParams(n_seeds=8, initial_customers=0.05)
    sim = Simulation(g, ModelParams(seeding=seeding, wom=wom, market=market), steps=25,
                     keys=keys, validate=True)
    state = sim.state.copy()
    twin = twin_run(g, state.opinion, state.talk_until, state.customer,
                    sim.talkers.listed().copy(), wom, market, keys, steps=25,
                    bars=thresholds(g, wom, keys.threshold))
    series = sim.run_to_end().series
    assert series[-1, M.COUNT_NAMES.index("n_negative")] > 0  # both sides took part
    for t, row in enumerate(twin, start=1):
        for name in ("n_positive", "n_negative", "n_neutral", "n_customers",
                     "n_talking_positive", "n_talking_negative"):
            assert series[t, M.COUNT_NAMES.index(name)] == row[name], (t, name)


def test_compiled_plan_equals_the_plan_through_the_feed():
    """The memory is written by two kernels (plain listening, and the feed's selection):
    with every platform component neutral both give the same run."""
    sc = simulator.Scenario.from_dict({
        "graph": {"kind": "erdos_renyi", "n": 3000, "mean_degree": 12},
        "wom": {"contagion": "threshold", "threshold": 0.15, "p_positive": 0.4,
                "p_negative": 0.3, "talk_steps": 2, "threshold_distribution": "normal",
                "threshold_spread": 0.05},
        "market": {"p_purchase": 0.1, "satisfaction": 0.6, "p_advertising": 0.002},
        "seeding": {"n_seeds": 20},
    })
    keys = replicate_keys(3, 0)
    g = erdos_renyi(3000, 12, seed=1)
    compiled = Simulation(g, sc.model, 60, keys, validate=True)
    stepwise = Simulation(g, sc.model, 60, keys, validate=True, stepwise=True)
    assert compiled.plan.compiled and not stepwise.plan.compiled
    a, b = compiled.run_to_end(), stepwise.run_to_end()
    assert np.array_equal(a.series, b.series)
    assert np.array_equal(compiled.state.opinion, stepwise.state.opinion)
    assert np.array_equal(compiled.plan.wom.memory.word, stepwise.plan.wom.memory.word)


def _p_global(z: float, phi: float, runs: int) -> float:
    sc = simulator.Scenario.load(WATTS, overrides={"graph.mean_degree": z, "wom.threshold": phi})
    adopted = simulator.run(sc, replicates=runs).finals["positive"].to_numpy()
    return float((adopted > 0.1).mean())


@pytest.mark.slow
def test_watts_cascade_window_p6_p7():
    """P6: ER N = 10^4, phi = 0.18, one seed: P(global) >= 0.7 at z = 3, none in 300 runs
    at z = 8. P7: phi = 0.3 gives no global cascade at any mean degree."""
    assert _p_global(3, 0.18, 300) >= 0.7
    assert _p_global(8, 0.18, 300) == 0.0
    for z in (1.5, 3, 5, 8):
        assert _p_global(z, 0.3, 100) == 0.0


def test_linear_threshold_matches_cynetdiff():
    """LT with thresholds U[0, 1] and weights 1/degree is the fraction rule with phi ~ U[0, 1]:
    final sizes from one seed have the same distribution as CyNetDiff's LT model."""
    import networkx as nx
    from cynetdiff.utils import networkx_to_lt_model

    g = erdos_renyi(2000, 8, seed=21)
    nxg = to_networkx(g).to_directed()
    model, mapping = networkx_to_lt_model(nxg, rng=np.random.default_rng(5))
    rng = np.random.default_rng(6)
    runs = 400
    seeds = rng.integers(0, g.n, size=runs)
    theirs = []
    for s in seeds:
        model.set_seeds([mapping[int(s)]])
        model.reset_model()
        model.advance_until_completion()
        theirs.append(model.get_num_activated_nodes())
    assert isinstance(nxg, nx.DiGraph)
    sc = simulator.Scenario.from_dict({
        "graph": {"kind": "erdos_renyi", "n": 2000, "mean_degree": 8},
        "seeding": {"n_seeds": 1},
        "wom": {"contagion": "threshold", "threshold": 0.5, "threshold_distribution": "uniform",
                "threshold_spread": 0.5, "p_positive": 1.0, "p_negative": 0.0, "talk_steps": 1},
        "market": {"p_purchase": 0.0},
        "run": {"steps": 2000, "seed": 8},
    })
    ours = simulator.run(sc, replicates=runs, graph=g).finals["positive"].to_numpy() * g.n
    result = stats.ks_2samp(ours, theirs)
    assert result.pvalue > 0.01, (np.mean(ours), np.mean(theirs))
    assert abs(np.mean(ours) - np.mean(theirs)) < 0.15 * np.mean(theirs)


def test_complex_contagion_needs_two_friends():
    """Count threshold 2 on a ring lattice: a lone seed convinces nobody; two neighbouring
    seeds give every listener two adopting friends in turn, and the word goes round."""
    g = watts_strogatz(200, 4, 0.0, seed=1)
    wom = threshold_wom(threshold_kind="count", threshold=2)
    model = ModelParams(seeding=SeedingParams(n_seeds=0), wom=wom, market=NO_MARKET)
    keys = replicate_keys(1, 0)
    for seeds, adopted in (([0], 1), ([0, 1], 200)):
        sim = Simulation(g, model, steps=500, keys=keys)
        sim.state.opinion[seeds] = Opinion.POSITIVE
        sim.state.talk_until[seeds] = 1
        sim.talkers.ids[: len(seeds)] = seeds
        sim.talkers.in_list[seeds] = 1
        sim.talkers.count[0] = len(seeds)
        sim.run_to_end()
        assert int((sim.state.opinion == Opinion.POSITIVE).sum()) == adopted
    # The same lattice under simple contagion spreads from one seed.
    simple = ModelParams(seeding=SeedingParams(n_seeds=1),
                         wom=WomParams(p_positive=1.0, p_negative=0.0, talk_steps=1,
                                       impact_positive=1.0), market=NO_MARKET)
    sim = Simulation(g, simple, steps=500, keys=keys)
    sim.run_to_end()
    assert int((sim.state.opinion == Opinion.POSITIVE).sum()) == 200


def test_negative_word_counts_against_positive():
    """A listener with two fans and two detractors among its friends is not persuaded at a
    bar of one friend; one more fan persuades it."""
    from simulator.graphs import Graph
    from simulator.graphs.csr import edges_to_csr

    # Agent 0 is friends with 1..5 (a star); some are fans, 3 and 4 detractors.
    indptr, indices, _ = edges_to_csr(np.zeros(5, np.int32), np.arange(1, 6, dtype=np.int32), 6)
    g = Graph(indptr, indices)
    wom = threshold_wom(threshold_kind="count", threshold=1, p_negative=1.0)
    model = ModelParams(seeding=SeedingParams(n_seeds=0), wom=wom, market=NO_MARKET)
    for fans, expected in (([1, 2], Opinion.NEUTRAL), ([1, 2, 5], Opinion.POSITIVE)):
        sim = Simulation(g, model, steps=3, keys=replicate_keys(0, 0))
        talkers = fans + [3, 4]
        sim.state.opinion[fans] = Opinion.POSITIVE
        sim.state.opinion[[3, 4]] = Opinion.NEGATIVE
        sim.state.talk_until[talkers] = 1
        sim.talkers.ids[: len(talkers)] = talkers
        sim.talkers.in_list[talkers] = 1
        sim.talkers.count[0] = len(talkers)
        sim.run_to_end()
        assert sim.state.opinion[0] == expected


def test_bad_threshold_settings_are_one_line_errors():
    from simulator.errors import ConfigError

    with pytest.raises(ConfigError, match="wom.threshold = 1.5 is out of range for threshold_kind"):
        simulator.Scenario.from_dict({"wom": {"contagion": "threshold", "threshold": 1.5}})
    with pytest.raises(ConfigError, match="threshold_spread = 0.1 does not apply"):
        simulator.Scenario.from_dict({"wom": {"threshold_spread": 0.1}})
    with pytest.raises(ConfigError, match="wom.contagion = 'complex' is not allowed"):
        simulator.Scenario.from_dict({"wom": {"contagion": "complex"}})
