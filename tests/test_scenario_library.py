"""Every shipped scenario runs, every variant of it, and the stories hold.

The fast test shrinks each scenario (2,000 agents, 12 steps) so a broken
file fails in seconds. The slow one runs the stories at their shipped size
with two replicates and checks the direction each file's comments promise;
the README's tables come from the full runs (``docs/stories/make_stories.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import simulator
from simulator.compare import compare

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").rglob("*.toml"))


def shrunk(path: Path) -> simulator.Scenario:
    sc = simulator.Scenario.load(path)
    over = {"run.steps": min(sc.run.steps, 12), "run.replicates": 1}
    if sc.graph.kind != "edgelist":
        over["graph.n"] = min(sc.graph.n, 2000)
    return sc.with_overrides(over)


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: str(p.relative_to(ROOT / "scenarios")))
def test_every_shipped_scenario_and_variant_runs(path):
    sc = shrunk(path)
    if sc.variants:
        result = compare(sc)
        assert list(result.table["variant"]) == list(sc.variants)
        frames = [r.finals for r in result.results.values()]
    else:
        frames = [simulator.run(sc, validate=True).finals]
    for finals in frames:
        assert 0.0 <= finals.reach.min() <= finals.reach.max() <= 1.0


def story(name: str, replicates: int = 2):
    sc = simulator.Scenario.load(ROOT / "scenarios" / f"{name}.toml")
    table = compare(sc, replicates=replicates).table.set_index("variant")
    return table


@pytest.mark.slow
def test_story_crisis_fast_answers_beat_silence_and_take_down_backfires():
    t = story("crisis")
    assert t.loc["respond", "negative_talk"] < t.loc["silent", "negative_talk"]
    assert t.loc["take_down", "negative_talk"] > t.loc["silent", "negative_talk"]
    assert t.loc["take_down", "followers"] == 0


@pytest.mark.slow
def test_story_adoption_presence_pays():
    t = story("adoption_strategies")
    assert t.loc["spontaneous", "net_sentiment"] > t.loc["ignore", "net_sentiment"]
    assert t.loc["spontaneous", "customers"] > t.loc["ignore", "customers"]


@pytest.mark.slow
def test_story_half_hearted_presence_backfires():
    t = story("half_hearted")
    assert t.loc["committed", "net_sentiment"] > t.loc["abandon", "net_sentiment"]
    assert t.loc["committed", "followers"] > t.loc["abandon", "followers"]
