"""The NPV of bad news (Goldenberg, Libai, Moldovan & Muller 2007): checks N2 and the
mechanism behind it, on ``scenarios/reference/goldenberg_2007.toml`` shrunk to test size.

N2: the NPV falls as the disappointed share d grows, and the loss is more than
proportional (above 2% at d = 2%). It is so because rejecters pass their word on:
when each rejecter makes more than one new rejecter (R- > 1) the negative word is an
epidemic of its own, and a few disappointed adopters cost many adopters; when its
word dies out (R- < 1) the loss is less than proportional.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import simulator

SCENARIO = Path(__file__).resolve().parents[1] / "scenarios" / "reference" / "goldenberg_2007.toml"
SMALL = {"graph.n": 3000, "run.replicates": 6}


def loss(d: float, seed: int = 5, **over) -> float:
    """``1 - NPV(d) / NPV(0)``, paired: the same seed, graph and streams."""
    base = simulator.Scenario.load(SCENARIO).with_overrides({**SMALL, **over})

    def npv(share):
        sc = base.with_overrides({"market.satisfaction": 1.0 - share})
        return simulator.run(sc, seed=seed).finals["npv"].mean()

    return 1.0 - npv(d) / npv(0.0)


def test_npv_loss_is_more_than_proportional_when_rejecters_talk():
    small, larger = loss(0.02), loss(0.1)
    assert 0.02 < small < larger  # N2: rises with d, and more than d at d = 2%
    assert larger > 0.1


@pytest.mark.parametrize(("r_negative", "more_than_proportional"), [(0.25, False), (4.0, True)])
def test_the_loss_is_super_proportional_only_when_negative_word_is_epidemic(
        r_negative, more_than_proportional):
    """Short-lived word (3 steps): R- = p_negative x degree x talk_steps decides."""
    over = {"wom.talk_steps": 3, "wom.p_positive": 0.05, "wom.p_negative": r_negative / (20 * 3)}
    got = loss(0.1, **over)
    assert got > 0
    assert (got > 0.1) == more_than_proportional
