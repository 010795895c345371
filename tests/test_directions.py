"""Directions the model must get right (common random numbers, many replicates)."""

from __future__ import annotations

import simulator
from simulator.graphs import erdos_renyi

G = None


def graph():
    global G
    if G is None:
        G = erdos_renyi(5000, 20, seed=4)
    return G


def final(over, metric, replicates=12, seed=2):
    base = {"graph": {"kind": "erdos_renyi", "n": 5000, "mean_degree": 20},
            "run": {"steps": 60}, "wom": {"p_positive": 0.06, "p_negative": 0.03}}
    sc = simulator.Scenario.from_dict(base).with_overrides(over)
    res = simulator.run(sc, seed=seed, replicates=replicates, graph=graph())
    return res.finals[metric].mean(), res


def test_more_negative_word_more_negative_agents():
    low, _ = final({"wom.p_negative": 0.01}, "negative")
    high, _ = final({"wom.p_negative": 0.06}, "negative")
    assert high > low + 0.01


def test_lower_satisfaction_more_negative_agents():
    happy, _ = final({"market.satisfaction": 0.95, "market.p_purchase": 0.2}, "negative")
    unhappy, _ = final({"market.satisfaction": 0.5, "market.p_purchase": 0.2}, "negative")
    # Same graph and draws (common random numbers): the difference is the effect.
    assert unhappy > 2 * happy and unhappy - happy > 0.005


def test_more_seeds_faster_reach():
    _, few = final({"seeding.n_seeds": 2}, "reach")
    _, many = final({"seeding.n_seeds": 100}, "reach")
    at10 = lambda r: r.timeseries[r.timeseries.step == 10].cum_reach.mean()  # noqa: E731
    assert at10(many) > 2 * at10(few)
    assert many.finals.t_half_reach.mean() < few.finals.t_half_reach.mean()


def test_aggregate_word_ratio_in_east_band_for_quickstart_defaults():
    """Quickstart defaults give positive:negative word about 3:1 (East et al. 2007: 3 +- 1)."""
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "scenarios" / "quickstart.toml"
    sc = simulator.Scenario.load(path, overrides={"graph.n": 20000})
    res = simulator.run(sc, replicates=8)
    last = res.timeseries[res.timeseries.step == sc.run.steps]
    # Aggregate over the replicates (single runs vary from about 2 to 5).
    ratio = last.cum_word_positive.sum() / last.cum_word_negative.sum()
    assert 2.0 <= ratio <= 4.0
