"""The studies in ``experiments/``: their experiment files load, and what they rely on holds.

Loading an experiment file checks every key and applies every design point
(:meth:`Experiment.load`), so a renamed parameter or an out-of-range value in
a study fails here, not after minutes of sweeping. The two equivalences the
studies' figures rest on are checked on a small graph: a brand whose entry
step is beyond the horizon is a brand that ignores the platform
(``late_entry``), and answering zero complaints a day is staying silent
(``response_speed``).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import simulator
from simulator.sweep.experiment import Experiment

ROOT = Path(__file__).resolve().parent.parent
STUDIES = ROOT / "experiments"

#: (file, design points, replicates) as each file's comments state them.
FILES = [
    ("late_entry/experiment.toml", 50, 20),
    ("late_entry/no_answers.toml", 15, 20),
    ("response_speed/experiment.toml", 30, 30),
    ("response_speed/references.toml", 24, 30),
]


@pytest.mark.parametrize(("path", "points", "replicates"), FILES)
def test_study_experiment_files_load(path, points, replicates):
    exp = Experiment.load(STUDIES / path)
    assert (exp.n_points, exp.replicates) == (points, replicates)
    # The studies compare points run by run: that needs common random numbers.
    assert exp.common_random_numbers
    assert {"net_sentiment", "customers", "negative_talk"} <= set(exp.metrics)


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("late_entry/experiment.toml", "late_entry/no_answers.toml"),
        ("response_speed/experiment.toml", "response_speed/references.toml"),
    ],
)
def test_companion_files_share_their_draws(first, second):
    # Each study pairs runs across its two files replicate by replicate.
    a = Experiment.load(STUDIES / first)
    b = Experiment.load(STUDIES / second)
    assert (a.seed, a.replicates) == (b.seed, b.replicates)
    assert a.scenario.graph == b.scenario.graph
    assert [a.run_seed(r) for r in range(a.replicates)] == [
        b.run_seed(r) for r in range(b.replicates)
    ]


def test_late_entry_covers_never_entering():
    exp = Experiment.load(STUDIES / "late_entry/experiment.toml")
    enters = {pt["brand.enter_step"] for pt in exp.design.points}
    assert 0 in enters and max(enters) > exp.scenario.run.steps


def _small(path: str, **overrides) -> pd.DataFrame:
    """The study's base scenario on 3,000 agents (degree 30), 3 seeded replicates: finals."""
    sc = simulator.Scenario.load(ROOT / "scenarios" / path).with_overrides(
        {"graph.n": 3000, "graph.mean_degree": 30, "run.steps": 60, **overrides}
    )
    return simulator.run(sc, seed=5, replicates=3, validate=True).finals


def test_entering_after_the_horizon_is_ignoring():
    never = _small(
        "adoption_strategies.toml", **{"brand.strategy": "late", "brand.enter_step": 1000}
    )
    ignore = _small("adoption_strategies.toml", **{"brand.strategy": "ignore"})
    pd.testing.assert_frame_equal(never, ignore)
    assert (never["cost"] == 0).all()


def test_answering_nothing_is_silence():
    nothing = _small("crisis.toml", **{"crisis.response": "respond", "crisis.capacity_share": 0.0})
    silent = _small("crisis.toml", **{"crisis.response": "silent"})
    pd.testing.assert_frame_equal(nothing, silent)
    # ... and the comparison is not vacuous: answering does change the run.
    some = _small("crisis.toml", **{"crisis.response": "respond", "crisis.capacity_share": 0.03})
    assert some["responses"].gt(0).all()
    assert some["negative_talk"].mean() < silent["negative_talk"].mean()


MONEY_MAP = ("invest", "burst", "always_on")


def _money_map(arm: str) -> Experiment:
    return Experiment.load(STUDIES / "money_map" / f"{arm}.toml")


def test_money_map_arms_share_grid_and_draws():
    # Point p, replicate r of every arm is the same market on the same streams.
    invest = _money_map("invest")
    for arm in MONEY_MAP:
        exp = _money_map(arm)
        assert (exp.n_points, exp.replicates, exp.seed) == (24, 6, invest.seed)
        assert exp.common_random_numbers
        assert [exp.run_seed(r) for r in range(exp.replicates)] == [
            invest.run_seed(r) for r in range(invest.replicates)]
        for mine, theirs in zip(exp.design.points, invest.design.points, strict=True):
            assert {k: v for k, v in mine.items() if k != "paid.sponsored_per_step"} == {
                k: v for k, v in theirs.items() if k != "paid.sponsored_per_step"}


@pytest.mark.parametrize("point", [0, 5])
def test_money_map_arms_spend_the_same_money(point):
    """The map compares ways to spend one budget: every arm's cost must be the same."""
    costs, followers = {}, {}
    for arm in MONEY_MAP:
        exp = _money_map(arm)
        sc = exp.scenario.with_overrides(
            {**exp.design.points[point], "graph.n": 3000, "graph.mean_degree": 30})
        finals = simulator.run(sc, seed=5, replicates=1).finals
        costs[arm] = float(finals["cost"].iloc[0])
        followers[arm] = float(finals["followers"].iloc[0])
    assert costs["burst"] == pytest.approx(costs["invest"], rel=1e-9)
    assert costs["always_on"] == pytest.approx(costs["invest"], rel=1e-9)
    # ... and only the invest arm builds an audience.
    assert followers["invest"] > 0 and followers["burst"] == followers["always_on"] == 0
