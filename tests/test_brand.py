"""The brand's choices: strategies, the crisis, monitoring, responses, costs.

Runs are small (4,000 agents, seeded) and every assertion is on the time
series the engine records, so each checks what a user would read in
``timeseries.csv``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.graphs import erdos_renyi
from simulator.kernels.crisis import answer_complaints
from simulator.params import CrisisParams
from simulator.state.agents import AgentState, Opinion, TalkerList

GRAPH = erdos_renyi(4000, 20, seed=11)

#: A market with customers, a brand on an engagement feed, followers, and a crisis.
BASE = {
    "graph": {"kind": "erdos_renyi", "n": 4000, "mean_degree": 20},
    "run": {"steps": 40, "replicates": 2, "seed": 7},
    "seeding": {"n_seeds": 20, "initial_customers": 0.2},
    "feed": {"policy": "engagement"},
    "followers": {"enabled": True, "initial_followers": 0.2, "initial_bell": 0.2},
    "brand": {"strategy": "spontaneous", "posts_per_step": 1.0},
    "crisis": {"step": 10, "share": 0.3, "detection_delay": 2, "capacity": 40},
}


def run(**sections):
    return run_on(BASE, **sections)


def run_on(base, **sections):
    """``base`` (a dict of sections) with ``sections`` updated, run on :data:`GRAPH` and
    validated: ``(timeseries, finals)``."""
    data = {k: dict(v) for k, v in base.items()}
    for section, values in sections.items():
        data.setdefault(section, {}).update(values)
    sc = simulator.Scenario.from_dict(data)
    res = simulator.run(sc, graph=GRAPH, validate=True)
    return res.timeseries, res.finals


def per_replicate(ts, column):
    return {r: g[column].to_numpy() for r, g in ts.groupby("replicate")}


# ------------------------------------------------------------- strategies
@pytest.mark.parametrize("response", ["silent", "respond", "take_down"])
def test_ignore_never_posts_and_never_responds(response):
    ts, finals = run(brand={"strategy": "ignore"}, crisis={"response": response})
    assert ts.new_brand_posts.sum() == 0
    assert ts.new_responses.sum() == 0
    assert (ts.detection_step == -1).all()
    assert finals.detection_step.isna().all()
    # The conversation still happens, unanswered: the failure's complainers talk.
    assert ts.new_word_negative.sum() > 0


def test_late_posts_nothing_before_entry_and_abandon_nothing_after_exit():
    late, _ = run(brand={"strategy": "late", "enter_step": 15})
    assert late[late.step < 15].new_brand_posts.sum() == 0
    assert late[late.step >= 15].new_brand_posts.sum() > 0
    gone, _ = run(brand={"strategy": "abandon", "enter_step": 5, "exit_step": 20})
    assert gone[(gone.step < 5) | (gone.step > 20)].new_brand_posts.sum() == 0
    assert gone[(gone.step >= 5) & (gone.step <= 20)].new_brand_posts.sum() > 0


def test_a_page_has_followers_only_once_it_opens():
    ignore, _ = run(brand={"strategy": "ignore"})
    assert (ignore.n_followers == 0).all() and (ignore.n_bell == 0).all()
    spontaneous, _ = run()
    assert (spontaneous[spontaneous.step == 0].n_followers > 0.15 * 4000).all()  # built before
    late, _ = run(brand={"strategy": "late", "enter_step": 15})
    assert (late[late.step < 15].n_followers == 0).all()
    assert (late[late.step == 15].n_followers > 0.15 * 4000).all()  # the whole audience
    # A late-comer that starts behind: a share of the audience, or none at all.
    part, _ = run(brand={"strategy": "late", "enter_step": 15},
                  followers={"late_start_share": 0.5})
    opened = part[part.step == 15].n_followers
    assert ((opened > 0.07 * 4000) & (opened < 0.13 * 4000)).all()  # half of 0.2
    none, _ = run(brand={"strategy": "late", "enter_step": 15}, followers={"late_start_share": 0.0})
    assert (none[none.step == 15].n_followers < 0.01 * 4000).all()


def test_late_brand_answers_nothing_before_it_enters():
    ts, _ = run(brand={"strategy": "late", "enter_step": 25}, crisis={"response": "respond"})
    assert ts[ts.step < 25].new_responses.sum() == 0
    assert (ts[ts.step < 25].detection_step == -1).all()


# ------------------------------------------------------------- the crisis
def test_failure_turns_a_share_of_customers_into_complainers():
    ts, _ = run(crisis={"share": 0.5, "step": 10})
    for _r, g in ts.groupby("replicate"):
        before = g[g.step == 9].iloc[0]
        at = g[g.step == 10].iloc[0]
        # Complainers talk from the failure's step: negative talk jumps by about half the customers.
        expected = 0.5 * before.n_customers
        assert at.n_talking_negative - before.n_talking_negative == pytest.approx(expected, rel=0.15)
        assert at.new_negative >= 0.8 * expected


def test_complainers_talk_for_the_outage_duration():
    ts, _ = run(crisis={"duration": 4, "detection_threshold": 1.0})  # nobody notices
    for _, g in ts.groupby("replicate"):
        talk = g.set_index("step").n_talking_negative
        # Row t counts who talks on at t + 1: the failure's complainers talk at
        # steps 10..13, so row 12 still has them and row 13 no longer.
        assert talk[12] > 10 * max(talk[9], 1)
        assert talk[13] < talk[12] / 3


def test_detection_follows_threshold_and_delay():
    """The brand acts ``delay`` steps after the first step that sees the threshold reached."""
    ts, _ = run(crisis={"detection_delay": 3, "detection_threshold": 0.01})
    threshold = int(np.ceil(0.01 * 4000))
    for _, g in ts.groupby("replicate"):
        talk = g.n_talking_negative.to_numpy()
        det = g.detection_step.to_numpy()
        noticed = 1 + int(np.argmax(talk[:-1] >= threshold))  # looks at the previous row
        assert talk[noticed - 1] >= threshold
        expected = noticed + 3
        assert (det[:expected] == -1).all()
        assert (det[expected:] == expected).all()


# ------------------------------------------------------------- responses
def test_response_capacity_bounds_answers_per_step():
    ts, finals = run(crisis={"response": "respond", "capacity": 40})
    assert ts.new_responses.max() == 40  # the failure's complaints exceed capacity
    assert (ts.new_responses <= 40).all()
    assert (finals.responses == ts.groupby("replicate").new_responses.sum().to_numpy()).all()


def test_capacity_share_is_the_same_capacity_at_any_size():
    """crisis.capacity_share answers round(share x n) a step: 40 of 4,000 people is the
    capacity 40, number for number; at twice the people, twice the answers, so a story
    means the same at any size."""
    fixed, _ = run(crisis={"response": "respond", "capacity": 40})
    share, _ = run(crisis={"response": "respond", "capacity_share": 0.01})
    pd.testing.assert_frame_equal(fixed, share)
    sc = simulator.Scenario.from_dict({**BASE, "graph": {**BASE["graph"], "n": 8000},
                                       "crisis": {**BASE["crisis"], "response": "respond",
                                                  "capacity_share": 0.01}})
    assert simulator.run(sc).timeseries.new_responses.max() == 80
    assert CrisisParams(capacity_share=0.0004).answers_per_step(1000) == 0


def test_respond_and_silent_share_every_draw_until_detection():
    """Common random numbers: identical series before the detection step, different after."""
    silent, _ = run(crisis={"response": "silent"})
    respond, _ = run(crisis={"response": "respond"})
    for r, g in respond.groupby("replicate"):
        det = int(g.detection_step.max())
        assert det > 10
        a = silent[(silent.replicate == r) & (silent.step < det)].drop(columns="detection_step")
        b = g[g.step < det].drop(columns="detection_step")
        np.testing.assert_array_equal(a.to_numpy(), b.to_numpy())
        after_s = silent[(silent.replicate == r) & (silent.step == det)].iloc[0]
        after_r = g[g.step == det].iloc[0]
        assert after_r.n_talking_negative < after_s.n_talking_negative


def test_answering_wins_complainers_back():
    silent, fs = run(crisis={"response": "silent"})
    respond, fr = run(crisis={"response": "respond", "capacity": 1000, "p_win_back": 0.8})
    assert fr.negative_talk.mean() < fs.negative_talk.mean()
    assert fr.net_sentiment.mean() > fs.net_sentiment.mean()
    assert fr.peak_talking_negative.mean() <= fs.peak_talking_negative.mean()


def test_take_down_removes_the_follower_channel():
    ts, finals = run(crisis={"response": "take_down"})
    for _, g in ts.groupby("replicate"):
        det = int(g.detection_step.max())
        after = g[g.step >= det]
        assert g[g.step == det - 1].n_followers.iloc[0] > 0
        assert (after.n_followers == 0).all() and (after.n_bell == 0).all()
        assert after.new_brand_posts.sum() == 0
        assert after.new_impressions_follower.sum() == 0
        assert after.new_impressions_notification.sum() == 0
    assert (finals.followers == 0).all()


def test_take_down_makes_complaints_louder():
    """Same draws until the page goes down; then negative word spreads with x (1 + boost)."""
    silent, _ = run(crisis={"response": "silent", "share": 0.6})
    down, _ = run(crisis={"response": "take_down", "share": 0.6, "takedown_boost": 2.0})
    det = int(down.detection_step.max())
    words = lambda ts: ts[ts.step >= det].new_word_negative.sum()  # noqa: E731
    assert words(down) > 1.5 * words(silent)


# ------------------------------------------------------------- money
def test_costs_add_up():
    ts, finals = run(
        brand={"cost_per_post": 10.0, "value_per_customer": 3.0},
        crisis={"response": "respond", "cost_per_response": 2.0},
        paid={"sponsored_per_step": 100, "cost_per_impression": 0.5, "bought_likes_per_step": 7,
              "cost_per_like": 1.0, "influencers": 3, "cost_per_influencer": 100.0},
    )
    for _r, g in ts.groupby("replicate"):
        steps = len(g) - 1
        expected = (10.0 * g.new_brand_posts.sum() + 2.0 * g.new_responses.sum()
                    + steps * (100 * 0.5 + 7 * 1.0) + 3 * 100.0)
        assert g.cum_cost.iloc[-1] == pytest.approx(expected)
        won = g.cum_customers.iloc[-1] - g.cum_customers.iloc[0]
        assert g.cum_value.iloc[-1] == pytest.approx(3.0 * won)
    row = finals.iloc[0]
    assert row.profit == pytest.approx(row.value - row.cost)
    assert row.roi == pytest.approx(row.profit / row.cost)


def test_no_cost_no_roi():
    _, finals = run(brand={"strategy": "ignore"}, crisis={"step": -1})
    assert (finals.cost == 0).all() and finals.roi.isna().all()


def test_no_crisis_and_silence_keep_the_plain_path():
    """``[crisis]`` at its defaults changes nothing: the word-of-mouth reduction stays exact."""
    plain = {"feed": {"policy": "all"}, "followers": {"enabled": False}, "brand": {"strategy": "ignore"}}
    with_defaults, _ = run(**plain, crisis={"step": -1})
    data = {k: dict(v) for k, v in BASE.items() if k != "crisis"}
    data.update(plain)
    reference = simulator.run(simulator.Scenario.from_dict(data), graph=GRAPH).timeseries
    np.testing.assert_array_equal(with_defaults.to_numpy(), reference.to_numpy())


# ------------------------------------------------------------- twin
def answer_complaints_twin(talkers, capacity, p_win_back, opinion, talk_until, key, step):
    """Slow obvious version: the first ``capacity`` negative talkers, in list order;
    returns who was answered and who of them was won back."""
    from tests.twins_graphs import key_for, uniform

    answered, won = [], []
    for j in talkers:
        if len(answered) == capacity:
            break
        if opinion[j] == Opinion.NEGATIVE and talk_until[j] >= step:
            answered.append(int(j))
            if uniform(key_for(key, step, int(j)))[0] < p_win_back:
                won.append(int(j))
    return answered, won


@pytest.mark.parametrize("capacity", [0, 3, 50, 10_000])
def test_answer_complaints_matches_twin(capacity):
    rng = np.random.default_rng(capacity)
    n, step, key = 300, 9, 12345
    opinion = rng.choice(np.array([1, 2, 3], np.int8), n)
    talk_until = rng.integers(5, 15, n).astype(np.int32)
    talkers = rng.permutation(n).astype(np.int32)[:200]
    answered, won = answer_complaints_twin(talkers, capacity, 0.4, opinion, talk_until, key, step)
    agents = AgentState.empty(n)
    agents.opinion[:] = opinion
    agents.talk_until[:] = talk_until
    op, tu = agents.opinion, agents.talk_until
    c = np.zeros(23, np.int64)
    ids, flags = np.empty(n, np.int32), np.empty(n, np.uint8)
    got = answer_complaints(agents, TalkerList.of(n, talkers), capacity, 0.4, 3, np.uint64(key),
                            step, c, ids, flags)
    assert got == len(answered)
    assert ids[:got].tolist() == answered  # the threads, in answering order
    assert ids[:got][flags[:got] == 1].tolist() == won
    assert (op[won] == Opinion.POSITIVE).all() and (tu[won] == step + 2).all()  # they talk on
    lost = sorted(set(answered) - set(won))
    assert (op[lost] == Opinion.NEGATIVE).all() and (tu[lost] == step - 1).all()
    untouched = np.setdiff1d(np.arange(n), answered)
    assert (op[untouched] == opinion[untouched]).all() and (tu[untouched] == talk_until[untouched]).all()


def test_every_bought_impression_is_delivered():
    """A sponsored impression is placed, not ranked: each one bought is seen."""
    ts, _ = run(paid={"sponsored_per_step": 500, "start_step": 3, "stop_step": 12})
    paid = ts[(ts.step >= 3) & (ts.step <= 12)].new_impressions_paid
    assert (paid == 500).all()  # everyone is on the platform (p_leave = 0)
    assert ts[(ts.step < 3) | (ts.step > 12)].new_impressions_paid.sum() == 0


def test_a_brand_post_seen_makes_people_aware():
    """Sponsored posts alone (no word, no seeds): whoever saw one is aware, persuaded or not."""
    ts, _ = run(seeding={"n_seeds": 0, "initial_customers": 0.0}, crisis={"step": -1},
                brand={"posts_per_step": 0.0}, followers={"initial_followers": 0.0},
                wom={"impact_positive": 0.2}, paid={"sponsored_per_step": 300})
    for _, g in ts.groupby("replicate"):
        assert g.new_impressions_paid.sum() > 0
        assert (g.n_neutral > 0).any()  # saw a post, was not persuaded: aware, undecided
        assert g.cum_reach.iloc[-1] == g.n_aware.iloc[-1] > g.n_positive.iloc[-1]


def test_an_old_brand_post_leaves_the_feed():
    """Bought likes keep the latest post amplified only until it is older than feed.max_age.

    200 bought likes a day at one impression per like: a visible post gets
    about 200 amplified impressions a day. What is left on older days is
    people's word (a follower who shares starts talking), a handful at most.
    """
    ts, _ = run(brand={"posts_per_step": 0.1}, paid={"bought_likes_per_step": 200},
                feed={"amplification": 1.0, "max_age": 3}, crisis={"step": -1},
                seeding={"n_seeds": 0}, market={"p_purchase": 0.0})
    for _, g in ts.groupby("replicate"):
        last_post, old_days = -1, 0
        for row in g.itertuples():
            if row.new_brand_posts:
                last_post = row.step
            elif last_post >= 0 and row.step - last_post > 3:
                old_days += 1
                assert row.new_impressions_amplified < 20  # the post has left the feed
            if last_post >= 0 and 0 < row.step - last_post <= 3:
                assert row.new_impressions_amplified > 100  # still in the feed, still amplified
        assert old_days > 0


# ------------------------------------------------------------- money over time
def test_npv_discounts_each_step_s_profit_to_step_zero():
    """cum_npv is sum_t (1 + r)^-t (value gained - cost) of step t (its twin, from the
    series); at rate 0 it is the profit, and a higher rate weighs the late gains less."""
    flat, flat_finals = run()
    np.testing.assert_allclose(flat_finals.npv, flat_finals.profit, rtol=1e-12)
    ts, finals = run(brand={"discount_rate": 0.02})
    for r, g in ts.groupby("replicate"):
        gain = np.diff(g.cum_value.to_numpy() - g.cum_cost.to_numpy())
        twin = np.cumsum(gain * 1.02 ** -np.arange(1, gain.size + 1))
        np.testing.assert_allclose(g.cum_npv.to_numpy()[1:], twin, rtol=1e-9, atol=1e-6)
        assert finals.npv[r] == pytest.approx(twin[-1], rel=1e-9)
    # Same draws (money never feeds back into the dynamics): only the discount differs.
    pd.testing.assert_frame_equal(ts.drop(columns="cum_npv"), flat.drop(columns="cum_npv"))
    assert (finals.npv < flat_finals.profit).all()


def test_a_yearly_discount_rate_is_compounded_to_the_step():
    daily = simulator.Scenario.from_dict({**BASE, "brand": {**BASE["brand"],
                                                            "discount_rate": "0.1 per year"}})
    assert daily.brand.discount_rate == pytest.approx(1.1 ** (1 / 365.25) - 1, rel=1e-12)
    yearly = simulator.Scenario.from_dict({**BASE, "run": {**BASE["run"], "step": "year"},
                                           "brand": {**BASE["brand"], "discount_rate": "0.1 per year"}})
    assert yearly.brand.discount_rate == pytest.approx(0.1, rel=1e-12)
    with pytest.raises(simulator.errors.ConfigError, match="brand.discount_rate"):
        simulator.Scenario.from_dict({**BASE, "brand": {"discount_rate": "-0.1 per year"}})
