"""Choices that can fail as well as succeed: a presence, a public answer, compensation, a
take-down (``brand.annoyance``, ``brand.cost_per_step``, ``crisis.answer_exposure``,
``crisis.compensation`` / ``p_copycat``, ``crisis.takedown_outrage``).

Each direction is tested both ways where the mechanism allows: the setting that makes
the choice fail, and the one that makes it succeed, with common random numbers.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator.kernels.crisis import add_word
from simulator.kernels.wom import WomRule, decide
from simulator.params import WomParams
from simulator.params.effects import without_effect
from simulator.state.agents import AgentState, Heard, Opinion, TalkerList
from tests.test_brand import run_on

ROOT = Path(__file__).resolve().parent.parent

#: A market with customers, a brand on an engagement feed, many followers, and a crisis
#: (run on test_brand's graph, which matches its [graph]).
CRISIS = {
    "graph": {"kind": "erdos_renyi", "n": 4000, "mean_degree": 20},
    "run": {"steps": 40, "replicates": 6, "seed": 7},
    "seeding": {"n_seeds": 20, "initial_customers": 0.2},
    "feed": {"policy": "engagement"},
    "followers": {"enabled": True, "initial_followers": 0.3, "initial_bell": 0.2},
    "brand": {"strategy": "spontaneous", "posts_per_step": 1.0},
    "crisis": {"step": 10, "share": 0.3, "detection_delay": 2, "capacity": 40, "response": "respond"},
}


def crisis_run(**sections):
    return run_on(CRISIS, **sections)


def after_detection(ts, column):
    """Per replicate, the sum of ``column`` from the detection step on."""
    out = []
    for _, g in ts.groupby("replicate"):
        det = int(g.detection_step.max())
        out.append(g[g.step >= det][column].sum())
    return np.array(out, float)


# ------------------------------------------------------------- a presence
def presence(variant: str, n: int, annoyance: float):
    sc = simulator.Scenario.load(ROOT / "scenarios" / "presence.toml").variant(variant)
    sc = sc.with_overrides({"graph.n": n, "run.replicates": 8, "brand.annoyance": annoyance})
    return simulator.run(sc).finals


@pytest.mark.parametrize("n", [12_000])
def test_a_pushy_presence_can_end_worse_than_none_and_a_well_run_one_better(n):
    """scenarios/presence.toml: the same cost and no answers; only the content differs."""
    ignore = presence("ignore", n, 0.1)
    pushy = presence("pushy", n, 0.1)
    well_run = presence("well_run", n, 0.1)
    # Paired replicate by replicate (common random numbers).
    assert (pushy.net_sentiment - ignore.net_sentiment).mean() < -0.01
    assert (pushy.profit - ignore.profit).mean() < 0
    assert ((well_run.net_sentiment - ignore.net_sentiment) > 0).all()
    assert ((well_run.profit - ignore.profit) > 0).all()
    # Without annoyance the same pushy page beats having none: the mechanism is what fails it.
    harmless = presence("pushy", n, 0.0)
    assert (harmless.net_sentiment - ignore.net_sentiment).mean() > 0.005
    assert (harmless.net_sentiment > pushy.net_sentiment).all()


def test_irritation_follows_the_shortfall_and_the_promotional_share():
    b = simulator.Scenario.from_dict({"brand": {"annoyance": 0.2, "quality": 0.9}}).brand
    assert b.irritation(0.0, 0.6) == 0.0  # good plain posts put nobody off
    assert b.irritation(1.0, 0.6) == pytest.approx(0.2)
    poor = simulator.Scenario.from_dict({"brand": {"annoyance": 0.2, "quality": 0.3}}).brand
    assert poor.irritation(0.0, 0.6) == pytest.approx(0.1)  # half below expectation
    assert poor.irritation(0.5, 0.6) == pytest.approx(0.15)


@pytest.mark.parametrize("posts,irritation", [(1, 0.1), (3, 0.1), (2, 0.5)])
def test_put_off_share_matches_theory_and_followers_hide(posts, irritation):
    """Listeners who saw ``posts`` brand posts and nothing else: 1 - (1 - x)^posts turn
    detractor (binomial bounds), whatever they thought before; every follower among
    them hides the page; the rest are only made aware."""
    n = 40_000
    agents = AgentState.empty(n)
    agents.opinion[n // 2:] = Opinion.POSITIVE  # half unaware, half fans
    agents.follower[::2] = 1
    agents.bell[::4] = 1
    heard = Heard.zeros(n, brand=True)
    heard.brand[:] = posts
    heard.touched[:] = np.arange(n, dtype=np.int32)
    talkers = TalkerList.of(n, np.empty(0, np.int32))
    c = np.zeros(23, np.int64)
    c[0] = n // 2  # unaware
    rule = WomRule.of(WomParams(p_turn_negative=0.0))
    hidden = decide(n, heard, 0.0, irritation, agents, talkers, rule, np.uint64(99), 5, c)
    off = agents.opinion == Opinion.NEGATIVE
    p = 1 - (1 - irritation) ** posts
    for part in (slice(0, n // 2), slice(n // 2, n)):
        share = off[part].mean()
        assert abs(share - p) < 4 * np.sqrt(p * (1 - p) / (n // 2))
    follows = np.zeros(n, bool)
    follows[::2] = True
    assert hidden == np.count_nonzero(off & follows)
    assert not agents.follower[off].any() and not agents.bell[off].any()
    assert agents.follower[~off & follows].all()
    assert (agents.opinion[: n // 2][~off[: n // 2]] == Opinion.NEUTRAL).all()  # aware, undecided
    assert talkers.count[0] == off.sum()  # detractors talk
    assert not heard.brand.any()  # scratch left zeroed


def test_no_annoyance_takes_no_draw():
    """At annoyance 0 the listening draws are those of a run without the mechanism."""
    base = {"graph": {"kind": "erdos_renyi", "n": 3000, "mean_degree": 12},
            "run": {"steps": 30, "seed": 3},
            "feed": {"policy": "engagement"}, "followers": {"enabled": True, "initial_followers": 0.2},
            "brand": {"strategy": "spontaneous", "quality": 0.2, "promo_share": 0.5}}
    a = simulator.run(simulator.Scenario.from_dict(base)).timeseries
    base["brand"]["annoyance"] = 0.0
    b = simulator.run(simulator.Scenario.from_dict(base)).timeseries
    np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
    base["brand"]["annoyance"] = 0.3
    c = simulator.run(simulator.Scenario.from_dict(base)).timeseries
    assert c.n_negative.iloc[-1] > a.n_negative.iloc[-1]


def add_word_twin(viewers, positive, pos, neg, touched, n_touched):
    """Slow obvious version of :func:`add_word`."""
    pos, neg, touched = pos.copy(), neg.copy(), list(touched[:n_touched])
    for j, good in zip(viewers, positive, strict=True):
        if j not in touched:
            touched.append(int(j))
        if good:
            pos[j] += 1
        else:
            neg[j] += 1
    return pos, neg, touched


def test_add_word_matches_twin():
    rng = np.random.default_rng(5)
    n = 500
    heard = Heard.zeros(n, brand=True)
    heard.pos[:] = rng.integers(0, 2, n)
    heard.brand[:] = rng.integers(0, 2, n) * (heard.pos == 0)
    # Listed: who heard something, and some who had feed candidates but saw none of them.
    saw_none = rng.random(n) < 0.2
    already = np.flatnonzero((heard.pos > 0) | (heard.brand > 0) | saw_none).astype(np.int32)
    heard.touched[: already.size] = already
    viewers = rng.integers(0, n, 800).astype(np.int32)
    positive = rng.integers(0, 2, 800).astype(np.uint8)
    want = add_word_twin(viewers, positive, heard.pos, heard.neg, heard.touched, already.size)
    got_n = add_word(viewers, positive, heard, already.size)
    np.testing.assert_array_equal(heard.pos, want[0])
    np.testing.assert_array_equal(heard.neg, want[1])
    assert heard.touched[:got_n].tolist() == want[2]
    assert len(set(want[2])) == len(want[2]) <= n  # nobody twice: the list cannot overflow


# ------------------------------------------------------------- answers in public
def test_a_public_answer_exposes_the_complaint_and_helps_only_if_it_wins_back():
    """Answered in the open, a complaint reaches the page's followers: with no complainer
    won back that spreads the bad news (worse than answering privately); with every
    complainer won back the happy ending travels too (better than privately)."""
    for p_win_back, worse in ((0.0, True), (1.0, False)):
        private, fp = crisis_run(crisis={"p_win_back": p_win_back})
        public, fq = crisis_run(crisis={"p_win_back": p_win_back, "answer_exposure": 30})
        gap = (fq.net_sentiment - fp.net_sentiment).to_numpy()
        if worse:
            assert gap.mean() < -0.01 and (gap < 0).mean() >= 5 / 6
        else:
            assert gap.mean() > 0.01 and (gap > 0).mean() >= 5 / 6
    # Until the first answer the runs are the same (common random numbers).
    det = int(public.detection_step.max())
    np.testing.assert_array_equal(private[private.step < det].to_numpy(), public[public.step < det].to_numpy())


def test_compensation_invites_complaints_and_fuels_the_fire():
    """K6/K7 (Ma et al. 2015; Herhausen et al. 2019), directional. Follow-on negative word:
    compensation seen in public >= no response > a private apology (empathy). Compensated
    threads bring copycat complaints (more complaints answered, at a price); without
    copycats compensation wins more complainers back than an apology."""
    empathy, fe = crisis_run()
    silent, _ = crisis_run(crisis={"response": "silent"})
    apology, fa = crisis_run(crisis={"answer_exposure": 20})
    paid, fc = crisis_run(crisis={"answer_exposure": 20, "compensation": 20.0, "p_copycat": 0.1})
    kind, fk = crisis_run(crisis={"answer_exposure": 20, "compensation": 20.0})
    word = {name: after_detection(ts, "new_word_negative")
            for name, ts in (("empathy", empathy), ("silent", silent), ("paid", paid))}
    assert (word["paid"] >= word["silent"]).all() and (word["silent"] > word["empathy"]).all()
    assert (fc.responses > 2 * fa.responses).all()  # the squeaky wheel
    assert (fc.profit < fe.profit).all()
    assert (fk.net_sentiment > fa.net_sentiment).mean() >= 5 / 6  # 0.8 won back against 0.5
    assert (fk.cost > fa.cost).all()


def test_take_down_outrage_comes_from_the_followers_who_lose_the_page():
    """With takedown_boost = 0 a take-down differs from silence only by mechanisms: the
    followers' lost channel and, with takedown_outrage, the followers who complain."""
    silent, fs = crisis_run(crisis={"response": "silent", "share": 0.6})
    quiet, fq = crisis_run(crisis={"response": "take_down", "share": 0.6, "takedown_boost": 0.0})
    loud, fl = crisis_run(crisis={"response": "take_down", "share": 0.6, "takedown_boost": 0.0,
                                  "takedown_outrage": 0.3})
    det = int(loud.detection_step.max())
    for _, g in loud.groupby("replicate"):
        before = g[g.step == det - 1].iloc[0]
        at = g[g.step == det].iloc[0]
        # About 30% of the followers start complaining at the detection step.
        assert at.new_negative >= 0.2 * before.n_followers
    assert (fl.negative > fq.negative).all()
    assert fl.net_sentiment.mean() < fs.net_sentiment.mean()


def test_costs_of_presence_and_compensation_add_up():
    ts, _ = crisis_run(brand={"cost_per_post": 10.0, "cost_per_step": 7.0, "strategy": "abandon",
                              "enter_step": 3, "exit_step": 30},
                       crisis={"cost_per_response": 2.0, "compensation": 4.0})
    for _, g in ts.groupby("replicate"):
        on = 30 - 3 + 1  # steps the page is up
        expected = 10.0 * g.new_brand_posts.sum() + 7.0 * on + (2.0 + 4.0) * g.new_responses.sum()
        assert g.cum_cost.iloc[-1] == pytest.approx(expected)


def test_settings_without_effect_are_named():
    def warn(data):
        return without_effect(simulator.Scenario.from_dict(data))

    crisis = {"step": 5, "response": "silent", "compensation": 3.0}
    assert any("crisis.compensation has no effect" in w for w in warn({"crisis": crisis}))
    crisis = {"step": 5, "response": "respond", "answer_exposure": 5.0}
    assert any("without followers" in w for w in warn({"crisis": crisis}))
    crisis = {"step": 5, "response": "respond", "p_copycat": 0.1}
    assert any("crisis.p_copycat" in w for w in warn({"crisis": crisis, "followers": {"enabled": True}}))
    assert any("takedown_outrage" in w for w in warn({"crisis": {"step": 5, "takedown_outrage": 0.2}}))


def test_a_flood_of_public_threads_seen_by_every_follower_runs():
    """Hostile settings: everyone follows, each thread is shown to the whole page, every
    viewer copies; the listener list must not overflow (the feed also lists agents that
    saw none of their candidates)."""
    ts, _ = crisis_run(followers={"initial_followers": 1.0},
                       crisis={"answer_exposure": 10_000, "compensation": 5.0, "p_copycat": 1.0,
                               "capacity": 4000})
    assert ts.new_responses.sum() > 0 and (ts.n_unaware + ts.n_aware == 4000).all()


def test_advertising_after_the_feed_lists_nobody_twice():
    """The feed's list may hold agents with all counts zero (candidates, none seen):
    advertising them must not list them again (it would overrun the list)."""
    from simulator.kernels.wom import add_ads_after_feed

    n = 1000
    heard = Heard.zeros(n, brand=True)
    heard.touched[:n] = np.arange(n, dtype=np.int32)  # everyone listed, nothing counted
    hits = np.arange(0, n, 3, dtype=np.int32)
    assert add_ads_after_feed(hits.size, hits, heard, n) == n
    assert heard.ad[hits].all() and heard.ad.sum() == hits.size
    fresh = Heard.zeros(n, brand=True)
    assert add_ads_after_feed(hits.size, hits, fresh, 0) == hits.size
    assert fresh.touched[: hits.size].tolist() == hits.tolist()
