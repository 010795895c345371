"""The platform layers: exact reductions, directions, twins, calibration, reproducibility.

Runs compare strategies on the same seed and graph (common random numbers), so
most directions are decided by the coupled draws, not by chance; where a
tolerance is needed it is written and explained next to the number.
"""

from __future__ import annotations

import math
from functools import cache

import numba
import numpy as np
import pandas as pd
import pytest
from scipy import stats

import simulator
from simulator.engine.run import make_graph
from simulator.engine.simulation import Simulation
from simulator.graphs import erdos_renyi, social
from simulator.kernels import feed as K
from simulator.params import ModelParams
from simulator.rng import FEED_SALTS, StreamKeys, key_for, replicate_keys
from simulator.state import metrics as M
from simulator.state.agents import AgentState, Heard, Opinion, Source, TalkerList
from tests.twins_platform import (
    engagement_seen,
    gather_candidates_twin,
    item_quantile_twin,
    ranked_seen,
    select_and_act_twin,
    shortcut_background,
    top_k_background,
)

QUICKSTART = "scenarios/quickstart.toml"
IC = "scenarios/reference/independent_cascade.toml"
ON = {"feed.policy": "engagement", "followers.enabled": True, "brand.strategy": "spontaneous"}


@cache
def er_graph():
    return erdos_renyi(5000, 40, seed=11)


@cache
def social_graph():
    return social(20_000, 130, seed=3)


def run(over, *, steps=20, replicates=2, seed=5, graph=None):
    sc = simulator.Scenario.load(QUICKSTART, overrides={**ON, **over})
    res = simulator.run(sc, seed=seed, replicates=replicates, graph=graph or er_graph(), steps=steps)
    return res.timeseries


# ------------------------------------------------------------------ reductions
@pytest.mark.parametrize("extra", [{}, {"followers.enabled": True, "followers.initial_followers": 0.3}])
def test_feed_off_keeps_the_independent_cascade_exact(extra):
    """Feed off, no brand, no paid: identical series, also through the platform phases.

    The second case switches the platform components on (followers enabled, so
    the step plan runs phase by phase with the feed gathering the word) while
    nothing can reach anyone through them: the word-of-mouth series must still
    equal the plain kernels' number for number.
    """
    sc = simulator.Scenario.load(IC, overrides=extra)
    g = make_graph(sc, 1)
    for r in range(3):
        keys = replicate_keys(1, r)
        plain = Simulation(g, ModelParams(seeding=sc.seeding, wom=sc.wom, market=sc.market),
                           60, keys).run_to_end()
        with_platform = Simulation(g, sc.model, 60, keys, stepwise=True).run_to_end()
        np.testing.assert_array_equal(with_platform.series, plain.series)
        assert plain.series[-1, 3] > 1  # n_positive: the cascade went somewhere


# ------------------------------------------------------------------ directions
@pytest.mark.parametrize("policy", ["engagement", "random"])
def test_less_attention_less_reach(policy):
    over = {"feed.policy": policy, "followers.initial_followers": 0.3, "wom.p_positive": 0.05,
            "seeding.n_seeds": 50}
    wide = run({**over, "feed.attention": 15})
    narrow = run({**over, "feed.attention": 3})
    last = wide.step == wide.step.max()
    assert narrow[last].cum_reach.sum() < wide[last].cum_reach.sum()
    assert narrow.new_impressions_organic.sum() < wide.new_impressions_organic.sum()
    assert narrow.new_impressions_follower.sum() < wide.new_impressions_follower.sum()


def test_engagement_favours_quality_more_than_chronological():
    """Engagement ranking (with amplification) spreads good content further than bad.

    Chronological ranking ignores quality (only likes and follows do not), so
    the good/bad ratio of brand impressions stays near 1; engagement ranks on
    quality and likes, so the same ratio is several times larger. (In absolute
    numbers a chronological feed shows a fresh post more: a fresh item beats
    7/8 of the background's ages.)
    """
    def brand_impressions(policy, quality):
        ts = run({"feed.policy": policy, "feed.amplification": 2.0, "brand.quality": quality,
                  "brand.posts_per_step": 0.5, "followers.initial_followers": 0.3})
        return (ts.new_impressions_follower + ts.new_impressions_amplified).sum()

    ratio_eng = brand_impressions("engagement", 1.0) / brand_impressions("engagement", 0.3)
    ratio_chrono = brand_impressions("chronological", 1.0) / brand_impressions("chronological", 0.3)
    # Engagement: P(seen) ~ Phi(log q + z) tail: about 3-10x between q = 1 and 0.3.
    assert ratio_eng > 2.0 * ratio_chrono
    assert 0.9 < ratio_chrono < 1.5  # only likes (x quality) feed amplification


def test_amplification_spreads_word_further_under_engagement():
    # p_positive 0.2 on degree 40: near critical once the feed hides most word, so
    # amplified word (shown to strangers) visibly adds reach (measured ~+50%).
    over = {"followers.enabled": False, "brand.strategy": "ignore", "wom.p_positive": 0.2,
            "seeding.n_seeds": 30}
    off = run({**over, "feed.amplification": 0.0})
    on = run({**over, "feed.amplification": 5.0})
    last = off.step == off.step.max()
    assert on.new_impressions_amplified.sum() > 0 == off.new_impressions_amplified.sum()
    assert on[last].cum_reach.sum() > off[last].cum_reach.sum()


def test_bell_subscribers_see_every_post():
    """Notifications bypass ranking: impressions = posts x subscribers at the step start.

    Attention 1 and sponsored posts crowd the feed, so only a bypass gives this.
    """
    ts = run({"followers.initial_followers": 0.3, "followers.initial_bell": 0.5,
              "followers.p_unbell": 0.0, "followers.p_unfollow": 0.0, "feed.attention": 1,
              "brand.posts_per_step": 2.0, "paid.sponsored_per_step": 2000}, steps=15)
    for _, d in ts.groupby("replicate"):
        posts = d.new_brand_posts.to_numpy()[1:]
        bell_before = d.n_bell.to_numpy()[:-1]
        notif = d.new_impressions_notification.to_numpy()[1:]
        assert posts.sum() > 0 and bell_before.min() > 500
        np.testing.assert_array_equal(notif, posts * bell_before)
        assert (np.diff(d.n_bell.to_numpy()) >= 0).all()  # nobody unsubscribed


def unfollows(over):
    base = {"followers.initial_followers": 0.4, "followers.p_follow": 0.0, "brand.promo_share": 0.0,
            "brand.quality": 0.6, "brand.posts_per_step": 1.0}
    return run({**base, **over}, steps=20).new_unfollows.sum()


def test_unfollow_directions():
    """Same followers, same churn draws: a higher hazard can only add unfollows."""
    neutral = unfollows({})
    assert neutral > 0
    assert unfollows({"brand.quality": 0.3}) > 1.5 * neutral  # hazard x exp(3 x 0.3) = 2.5
    assert unfollows({"brand.posts_per_step": 5.0}) > 1.5 * neutral  # exp(0.7 x ~3) = 8
    assert unfollows({"brand.promo_share": 0.8}) > 1.5 * neutral  # exp(2 x ~0.8) = 5
    assert unfollows({"brand.promo_share": 0.8}) > unfollows({"brand.promo_share": 0.3})


# ------------------------------------------------------------------ bought likes
def test_bought_likes_raise_brand_impressions():
    over = {"followers.initial_followers": 0.3, "feed.amplification": 1.0,
            "brand.posts_per_step": 0.5}
    none = run(over)
    bought = run({**over, "paid.bought_likes_per_step": 20})
    assert bought.new_impressions_amplified.sum() > 2 * none.new_impressions_amplified.sum()
    # On a post's first step its likes are only the bought ones: it ranks higher.
    assert bought.new_impressions_follower.sum() > none.new_impressions_follower.sum()


def test_bought_likes_alone_persuade_no_one():
    """No followers, no posts, no word: bought likes have nothing to show."""
    ts = run({"seeding.n_seeds": 0, "brand.posts_per_step": 0.0, "feed.amplification": 5.0,
              "paid.bought_likes_per_step": 1000})
    assert ts.n_aware.max() == 0 and ts.n_positive.max() == 0
    brand = ts.new_impressions_follower + ts.new_impressions_amplified + ts.new_impressions_notification
    assert brand.sum() == 0


def test_bought_likes_rank_but_do_not_persuade():
    """Every follower has the bell (ranking bypassed), no amplification: likes change nothing.

    Persuasion counts brand posts seen, not their likes, and notifications take
    no ranking draws, so the two runs share every draw: the tables are equal.
    """
    over = {"followers.initial_followers": 0.3, "followers.initial_bell": 1.0,
            "followers.p_unbell": 0.0, "feed.amplification": 0.0, "wom.p_positive": 0.03}
    none = run(over)
    bought = run({**over, "paid.bought_likes_per_step": 500})
    assert none.new_impressions_notification.sum() > 0
    # Only the bill differs: bought likes cost money (so the discounted profit differs too).
    assert (bought.cum_cost > none.cum_cost).iloc[-1]
    money = ["cum_cost", "cum_npv"]
    pd.testing.assert_frame_equal(bought.drop(columns=money), none.drop(columns=money))


# ------------------------------------------------------------------ twins
def test_item_quantile_matches_twin():
    rng = np.random.default_rng(0)
    for _ in range(3000):
        args = (int(rng.integers(1, 4)), int(rng.integers(0, 50)), rng.uniform(0, 1),
                int(rng.integers(0, 9)), 7, rng.choice([0.0, 0.4, 2.0]),
                rng.choice([0.0, 0.5, 1.0, 3.0]), rng.uniform(0, 1), rng.uniform(0, 1))
        got = K.item_quantile(*args)
        assert 0.0 <= got <= 1.0
        assert got == pytest.approx(item_quantile_twin(*args), abs=1e-12)


def select(policy, likes_pos, likes_neg, r_pos, r_neg, attention, background, n=4000,
           age=0, quality=1.0, sigma=1.0, key=123):
    """Call select_and_act on ``n`` agents, each with ``r_pos`` + ``r_neg`` friend items.

    Positive items have ``likes_pos`` likes, negative ``likes_neg`` (authors 0 and
    1); listeners are unaware, nothing is liked, so only seen counts come out:
    ``heard_pos`` / ``heard_neg`` per agent.
    """
    r = r_pos + r_neg
    total = n * r
    target = np.repeat(np.arange(n, dtype=np.int32), r)
    is_pos = np.tile(np.r_[np.ones(r_pos, bool), np.zeros(r_neg, bool)], n)
    author = np.where(is_pos, 0, 1).astype(np.int32)
    source = np.full(total, np.int8(Source.FRIEND))
    sent = np.where(is_pos, np.int8(Opinion.POSITIVE), np.int8(Opinion.NEGATIVE)).astype(np.int8)
    qual = np.full(total, quality)
    ages = np.full(total, age, np.int64)
    item_likes = np.zeros(n, np.int32)
    item_likes[0], item_likes[1] = likes_pos, likes_neg
    heard = Heard.zeros(n, brand=True)
    heard_pos, heard_neg = heard.pos, heard.neg
    m = np.zeros(M.N_LAYERS)
    agents = AgentState.empty(n, attention)
    rule = K.FeedRule(K.POLICY_CODES[policy], background, 7, 0.4, sigma, 0.0, 0.0, 0.3, 0.5, 0.0,
                      0.0, 0.0, 0.0)
    K.select_and_act(
        total, K.Items(target, author, source, sent, qual, ages), agents, item_likes, rule, 0,
        stream_keys(feed=key), 1, heard, np.empty(total, np.int64), m, np.empty(0, np.int32),
        np.empty(0, np.uint8),
    )
    assert m[M.P_IMPRESSIONS_ORGANIC] == heard_pos.sum() + heard_neg.sum()
    return heard_pos, heard_neg


def test_random_policy_seen_share_is_attention_over_items():
    """Random ranking: each candidate is seen with E[a / (R + nb)], nb ~ Poisson(B)."""
    r, a, b, n = 10, 15, 125.0, 6000
    pos, _ = select("random", 0, 0, r, 0, a, b, n=n)
    nb = np.arange(0, 400)
    expected = float(np.sum(stats.poisson.pmf(nb, b) * np.minimum(1.0, a / (r + nb))))
    assert expected == pytest.approx(a / (r + b), rel=0.02)  # Jensen: about 1% above
    share = pos.mean() / r
    # Per-agent counts are hypergeometric-like, sd about 1; the mean of 6000 has sd ~0.0015
    # of a share: 4 sd is 0.006 in count, 0.0006 in share.
    sd = pos.std() / math.sqrt(n) / r
    assert abs(share - expected) < 4 * sd + 1e-4
    # Fewer items than slots: everything is seen.
    few, _ = select("random", 0, 0, 3, 0, 15, 0.0, n=200)
    assert (few == 3).all()


def test_order_statistics_shortcut_matches_explicit_sort():
    """The O(k) recursion gives the same top-k as sorting nb explicit uniforms (KS)."""
    rng = np.random.default_rng(1)
    nb, k, reps = 125, 15, 4000
    fast = np.array([shortcut_background(nb, k, rng) for _ in range(reps)])
    slow = np.array([top_k_background(nb, k, rng) for _ in range(reps)])
    for col in (0, 7, 14):  # the max, a middle one, the k-th (the attention threshold)
        assert stats.ks_2samp(fast[:, col], slow[:, col]).pvalue > 1e-3
        # and the exact law: the (col+1)-th largest of nb uniforms is Beta(nb - col, col + 1)
        assert stats.kstest(fast[:, col], stats.beta(nb - col, col + 1).cdf).pvalue > 1e-3


def test_binomial_walk_matches_explicit_background():
    """The kernel's selection for fixed quantiles vs ranking materialised uniforms.

    Per candidate, the seen rate over 20,000 agents (independent streams) must
    match the twin's within 5 binomial standard errors (both sides' noise).
    """
    from simulator.kernels.feed import _select_ranked

    quant = np.array([0.995, 0.98, 2.0, 0.96, 0.5, 0.97])  # 2.0: a notification (seen, no slot)
    nb, a, reps = 125, 5, 20_000
    kern = np.zeros(quant.size)
    seen, order = np.zeros(quant.size, np.uint8), np.empty(quant.size, np.int64)
    for rep in range(reps):
        seen[:] = 0
        seen[2] = 1
        _select_ranked(quant, seen, quant.size, nb, a, order, np.uint64(key_for(np.uint64(99), 1, rep)))
        kern += seen
    rng = np.random.default_rng(3)
    ranked = np.delete(np.arange(quant.size), 2)
    twin = np.zeros(quant.size)
    for _ in range(reps):
        twin[ranked] += ranked_seen(quant[ranked], nb, a, rng)
    twin[2] = reps
    p_k, p_t = kern / reps, twin / reps
    se = np.sqrt((p_k * (1 - p_k) + p_t * (1 - p_t)) / reps)
    assert np.all(np.abs(p_k - p_t) <= 5 * se + 1e-12)
    assert p_k[0] > p_k[1] > p_k[5] > p_k[3] > p_k[4]  # better rank, seen more often
    assert p_k[4] < 1e-3 and p_k[3] > 0.01 and p_k[2] == 1.0


@pytest.mark.parametrize("likes", [(0, 0), (9, 0), (3, 1)])
def test_engagement_selection_matches_brute_force(likes):
    """Kernel (quantiles + O(k) background) vs materialised background: same seen counts.

    Two classes of candidates (positive items with ``likes[0]`` likes, negative
    with ``likes[1]``) and a real attention limit; per-agent seen counts are
    compared by a two-sample KS test (conservative on integers) and by means
    within 5 standard errors.
    """
    n, r_pos, r_neg, a, b, sigma = 3000, 6, 6, 5, 40.0, 1.0
    pos, neg = select("engagement", likes[0], likes[1], r_pos, r_neg, a, b, n=n, sigma=sigma)
    rng = np.random.default_rng(7)
    scores = [1.0 + likes[0]] * r_pos + [1.0 + likes[1]] * r_neg
    twin = np.array([engagement_seen(scores, a, b, sigma, rng) for _ in range(n)])
    t_pos, t_neg = twin[:, :r_pos].sum(axis=1), twin[:, r_pos:].sum(axis=1)
    for kern, brute in ((pos, t_pos), (neg, t_neg)):
        assert stats.ks_2samp(kern, brute).pvalue > 1e-3
        se = math.sqrt(kern.var() / n + brute.var() / n)
        assert abs(kern.mean() - brute.mean()) < 5 * se + 1e-9
    assert (pos + neg <= a).all()  # never more than the attention
    if likes[0] > likes[1]:
        assert pos.mean() > neg.mean()


def step_inputs(n, degree, n_talkers, p, seed=0):
    """One step's platform inputs with every kind of candidate and both signs of word.

    Talkers of both opinions and of all ages (some past ``max_age``), agents off
    the platform, items and a brand post with likes, followers with and without
    the bell, sponsored posts and amplification; returns the kernels' arguments
    as a dict.
    """
    rng = np.random.default_rng(seed)
    g = erdos_renyi(n, degree, seed=seed + 1)
    talkers = rng.choice(n, n_talkers, replace=False).astype(np.int32)
    opinion = np.zeros(n, np.int8)
    opinion[talkers] = np.where(rng.random(n_talkers) < 0.8, Opinion.POSITIVE, Opinion.NEGATIVE)
    talk_until = np.full(n, -1, np.int32)
    talk_until[talkers] = rng.integers(2, 13, n_talkers)  # step 10, talk_steps 3: ages 0..10
    on_platform = (rng.random(n) > 0.02).astype(np.uint8)
    item_likes = np.zeros(n, np.int32)
    item_likes[talkers] = rng.poisson(0.3, n_talkers)
    follower = (rng.random(n) < 0.2).astype(np.uint8)
    bell = (follower & (rng.random(n) < 0.3)).astype(np.uint8)
    return dict(
        indptr=g.indptr, indices=g.indices, talkers=talkers, n_talkers=n_talkers, opinion=opinion,
        talk_until=talk_until, on_platform=on_platform, item_likes=item_likes, follower=follower,
        bell=bell, p_positive=p, p_negative=p / 2, talk_steps=3, max_age=7, amplification=1.5,
        n_posts=2, brand_quality=0.8, brand_likes=7, n_sponsored=n // 10,
        sponsor_pool=np.arange(n, dtype=np.int32), n_pool=n, wom_key=np.uint64(11),
        feed_key=np.uint64(12), step=10,
        attention=rng.integers(3, 16, n).astype(np.int16),
    )


GATHER_ARGS = ("indptr", "indices", "talkers", "n_talkers", "opinion", "talk_until", "on_platform",
               "item_likes", "follower", "bell", "p_positive", "p_negative", "talk_steps",
               "max_age", "amplification", "n_posts", "brand_quality", "brand_likes",
               "n_sponsored", "sponsor_pool", "n_pool", "wom_key", "feed_key", "step")


def stream_keys(wom=0, feed=0) -> StreamKeys:
    """Stream keys with the given ``wom`` and ``feed`` keys, the feed's salted sub-streams
    derived as :func:`simulator.rng.stream_keys` derives them (the twins salt on their own)."""
    keys = dict.fromkeys(StreamKeys._fields, np.uint64(0))
    keys.update(wom=np.uint64(wom), feed=np.uint64(feed))
    keys.update({name: np.uint64(feed) ^ np.uint64(salt) for name, salt in FEED_SALTS.items()})
    return StreamKeys(**keys)


def agents_of(inp, **arrays) -> AgentState:
    """The agent arrays of a step's inputs (``arrays`` replaces some, e.g. copies)."""
    agents = AgentState.empty(inp["opinion"].size)
    fields = {k: inp[k] for k in ("opinion", "talk_until", "on_platform", "follower", "bell",
                                  "attention")}
    return agents._replace(**{**fields, **arrays})


def gather(inp, cap):
    """Call gather_candidates with buffers of ``cap`` slots: ``(count, words, buffers)``."""
    items = K.Items.empty(cap)
    word = K.WordReach(inp["p_positive"], inp["p_negative"], inp["talk_steps"], inp["max_age"],
                       inp["amplification"])
    brand = K.BrandReach(inp["n_posts"], inp["brand_quality"], inp["brand_likes"],
                         inp["n_sponsored"], inp["sponsor_pool"])
    assert inp["n_pool"] == inp["sponsor_pool"].size
    talkers = TalkerList.of(inp["opinion"].size, inp["talkers"][: inp["n_talkers"]])
    count, n_pos, n_neg = K.gather_candidates(
        inp["indptr"], inp["indices"], talkers, agents_of(inp), inp["item_likes"], word, brand,
        stream_keys(inp["wom_key"], inp["feed_key"]), inp["step"], items,
    )
    return count, (n_pos, n_neg), tuple(items)


def as_table(cands):
    """The twin's candidate list as the six buffer columns."""
    cols = list(zip(*cands, strict=True))
    return [np.array(c, dtype) for c, dtype in
            zip(cols, (np.int32, np.int32, np.int8, np.int8, np.float64, np.int64), strict=True)]


FEED = dict(background=125.0, max_age=7, decay=0.4, p_like=0.3, p_share=0.3, ad_tolerance=0.1,
            ad_fatigue=0.5, p_leave=0.2, p_follow=0.2, p_bell=0.3, p_unbell=0.1)


def act(inp, cands, policy, sigma=1.0, p_follow_shared=0.0):
    """select_and_act and its twin on the same candidates; both outputs as dicts.

    ``p_like`` is high, so many items are liked during the step and the
    kernel's rankings drawn with the likes of the step's start are often redone.
    With ``p_follow_shared`` a third of the talkers' items are shares of the brand's
    post (their episode stamped), and follows are won from them.
    """
    n = inp["opinion"].size
    state = {k: inp[k].copy() for k in ("follower", "bell", "on_platform", "item_likes")}
    twin_state = {k: v.copy() for k, v in state.items()}
    bufs = as_table(cands)
    total = len(cands)
    heard = Heard.zeros(n, brand=True)
    m = np.zeros(M.N_LAYERS)
    f = FEED
    rule = K.FeedRule(policy, f["background"], f["max_age"], f["decay"], sigma, f["p_like"],
                      f["p_share"], f["ad_tolerance"], f["ad_fatigue"], f["p_leave"], f["p_follow"],
                      f["p_bell"], f["p_unbell"], p_follow_shared)
    stamp = np.empty(0, np.int32)
    share_brand = np.empty(0, np.uint8)
    if p_follow_shared > 0:
        talk_until = inp["talk_until"]
        stamp = np.where(np.arange(n) % 3 == 0, talk_until, -1).astype(np.int32)
        share_brand = np.full(n, 7, np.uint8)  # 7: not a sharer this step
    agents = agents_of(inp, follower=state["follower"], bell=state["bell"],
                       on_platform=state["on_platform"])
    n_touched, brand_likes, brand_views, sharers = K.select_and_act(
        total, K.Items(*bufs), agents, state["item_likes"], rule, inp["brand_likes"],
        stream_keys(feed=inp["feed_key"]), inp["step"], heard, np.empty(total, np.int64), m,
        stamp, share_brand,
    )
    kernel = {"heard_pos": heard.pos, "heard_neg": heard.neg, "heard_brand": heard.brand,
              "touched": heard.touched[:n_touched], "m": m, "brand_likes": brand_likes,
              "brand_views": brand_views, "sharers": sharers, **state}
    twin = select_and_act_twin(
        cands, inp["opinion"], twin_state["follower"], twin_state["bell"],
        twin_state["on_platform"], inp["attention"], twin_state["item_likes"], policy,
        f["background"], f["max_age"], f["decay"], sigma, f["p_like"], f["p_share"],
        f["ad_tolerance"], f["ad_fatigue"], f["p_leave"], f["p_follow"], f["p_bell"],
        f["p_unbell"], inp["brand_likes"], inp["feed_key"], inp["step"],
        p_follow_shared=p_follow_shared, brand_share_until=stamp, talk_until=inp["talk_until"],
    )
    if p_follow_shared > 0:
        kernel["share_brand"] = share_brand[kernel["sharers"]]
    else:  # off, the kernel records nothing of it
        twin.pop("share_brand")
    return kernel, {**twin, **twin_state}


def assert_same(kernel, twin):
    for key, value in twin.items():
        np.testing.assert_array_equal(kernel[key], value, err_msg=key)


@pytest.mark.parametrize("n_talkers", [300, 2500])  # one block, and one block per thread
def test_gather_candidates_matches_twin(n_talkers):
    inp = step_inputs(4000, 30, n_talkers, 0.3)
    cands, n_pos, n_neg = gather_candidates_twin(*(inp[a] for a in GATHER_ARGS))
    count, words, bufs = gather(inp, 4 * len(cands))
    assert count == len(cands) and words == (n_pos, n_neg)
    for got, want in zip(bufs, as_table(cands), strict=True):
        np.testing.assert_array_equal(got[:count], want)
    sources = set(bufs[2][:count].tolist())
    assert sources == {Source.FRIEND, Source.AMPLIFIED, Source.FOLLOWER, Source.NOTIFICATION,
                       Source.PAID}


def test_gather_candidates_asks_for_room():
    """Buffers too small: a count above their size (retry), else every candidate, exactly.

    With a block of talkers per thread each block has its own part of the
    buffers, so a total that fits may still ask for room; twice the total
    always fits.
    """
    inp = step_inputs(4000, 30, 2500, 0.3)
    cands, _, _ = gather_candidates_twin(*(inp[a] for a in GATHER_ARGS))
    want = as_table(cands)
    total = len(cands)
    for cap in (total // 3, total - 1, total, total + 7, 2 * total):
        count, _, bufs = gather(inp, cap)
        if count > cap:
            assert cap < 2 * total
            continue
        assert count == total
        for got, col in zip(bufs, want, strict=True):
            np.testing.assert_array_equal(got[:count], col)


@pytest.mark.parametrize("policy, sigma", [(3, 1.0), (3, 0.0), (1, 1.0), (2, 1.0), (0, 1.0)])
def test_select_and_act_matches_twin(policy, sigma):
    """Same seen items, likes, shares, follows, bell, leavers and counts as one agent at a time."""
    inp = step_inputs(3000, 20, 600, 0.3, seed=policy)
    cands, _, _ = gather_candidates_twin(*(inp[a] for a in GATHER_ARGS))
    kernel, twin = act(inp, cands, policy, sigma)
    assert_same(kernel, twin)
    m = twin["m"]
    assert m[M.P_LIKES] > 100 and m[M.P_FOLLOWS] > 0 and m[M.P_OVERLOADED] > 0
    assert (twin["on_platform"] == 0).sum() > (inp["on_platform"] == 0).sum()  # some left


def test_follows_won_from_shares_match_twin():
    """A friend's share of the brand's post wins follows (document 002), as the twin does it,
    and which sharers shared the brand's post is recorded."""
    inp = step_inputs(3000, 20, 600, 0.3, seed=5)
    cands, _, _ = gather_candidates_twin(*(inp[a] for a in GATHER_ARGS))
    plain, _ = act(inp, cands, 3)
    kernel, twin = act(inp, cands, 3, p_follow_shared=0.3)
    assert_same(kernel, twin)
    np.testing.assert_array_equal(kernel["share_brand"], twin["share_brand"])
    assert kernel["m"][M.P_FOLLOWS] > plain["m"][M.P_FOLLOWS]
    assert 0 < kernel["share_brand"].sum() < kernel["sharers"].size


def test_select_and_act_wide_ages_match_twin():
    """Ages too wide for the packed record (a long-memory chronological feed) take another path."""
    inp = step_inputs(3000, 20, 600, 0.3)
    cands, _, _ = gather_candidates_twin(*(inp[a] for a in GATHER_ARGS))
    cands = [(*c[:5], c[5] + 40_000 * (k % 2)) for k, c in enumerate(cands)]
    kernel, twin = act(inp, cands, 1)
    assert_same(kernel, twin)


def test_kernels_match_twins_on_any_thread_count():
    """Large enough for every parallel path (blocks of talkers, of candidates, ranking).

    On 1 thread and on 2 the kernels give the twins' numbers exactly: the
    parallel ranking uses the likes of the step's start and redoes what an
    earlier like changed, which many do here.
    """
    inp = step_inputs(60_000, 30, 7000, 0.6)
    cands, n_pos, n_neg = gather_candidates_twin(*(inp[a] for a in GATHER_ARGS))
    assert len(cands) > 100_000  # above the kernels' thresholds for going parallel
    before = numba.get_num_threads()
    try:
        for threads in sorted({1, min(2, numba.config.NUMBA_NUM_THREADS)}):
            numba.set_num_threads(threads)
            count, words, bufs = gather(inp, 4 * len(cands))
            assert count == len(cands) and words == (n_pos, n_neg)
            for got, want in zip(bufs, as_table(cands), strict=True):
                np.testing.assert_array_equal(got[:count], want)
            kernel, twin = act(inp, cands, 3)
            assert_same(kernel, twin)
            assert len(twin["touched"]) > 20_000
    finally:
        numba.set_num_threads(before)


# ------------------------------------------------------------------ reproducibility
def test_same_seed_same_table_on_1_and_2_threads():
    over = {"followers.initial_followers": 0.2, "followers.initial_bell": 0.1,
            "feed.amplification": 1.0, "paid.sponsored_per_step": 300,
            "paid.bought_likes_per_step": 10, "paid.influencers": 5, "wom.p_positive": 0.03}
    before = numba.get_num_threads()
    try:
        numba.set_num_threads(1)
        one = run(over, steps=15)
        numba.set_num_threads(min(2, numba.config.NUMBA_NUM_THREADS))
        two = run(over, steps=15)
        again = run(over, steps=15)
    finally:
        numba.set_num_threads(before)
    pd.testing.assert_frame_equal(one, two)
    pd.testing.assert_frame_equal(two, again)
    assert one.new_impressions_paid.sum() > 0 and one.new_likes.sum() > 0
    other = run(over, steps=15, seed=6)
    assert not one.equals(other)


# ------------------------------------------------------------------ calibration
def test_organic_reach_in_published_band():
    """Defaults, engagement feed: a brand post reaches 2-16% of followers (Facebook/Ogilvy).

    Measured about 5% on this graph (random ranking gives the docstring's 11-12%).
    Averaged over the posting steps of 2 replicates, the sampling noise is a
    fraction of a point, far from either edge of the band.
    """
    ts = run({"followers.initial_followers": 0.1}, steps=20, graph=social_graph())
    posting = ts[(ts.step > 0) & (ts.new_brand_posts > 0)]
    assert len(posting) > 10
    assert 0.02 <= posting.organic_reach.mean() <= 0.16


def test_kwak_churn_of_a_neutral_brand():
    """Defaults: a neutral brand loses about 12% of its followers in 51 steps (Kwak et al. 2011).

    Neutral: quality = expected_quality, promo_share = 0, and 0.2 posts a step
    so a Poisson burst over the tolerance of 2 is rare (P(>= 3) = 0.1%; it
    raises the mean hazard by 0.1%). No new follows, so the step-0 followers
    are the cohort. Expected 1 - (1 - 0.0025)^51 = 0.1197; binomial sd of the
    pooled share (4 x ~8,000 followers) is 0.002; tolerance 0.01 (5 sd).
    """
    ts = run({"followers.initial_followers": 0.4, "followers.p_follow": 0.0,
              "brand.promo_share": 0.0, "brand.posts_per_step": 0.2}, steps=51, replicates=4,
             graph=social_graph())
    f = ts.pivot(index="step", columns="replicate", values="n_followers")
    lost = 1.0 - f.iloc[-1].sum() / f.iloc[0].sum()
    expected = 1.0 - (1.0 - 0.0025) ** 51
    assert expected == pytest.approx(0.12, abs=0.001)
    assert abs(lost - expected) < 0.01


def test_a_flood_of_word_beyond_twice_the_feed_buffers_fits_at_once():
    """A step whose candidates outnumber twice the feed's buffers grows them until all fit
    (a regression: one retry at double size left the last candidate past the end, and the
    ranking read out of bounds). Everyone complains at once on an engagement feed."""
    from simulator.engine.simulation import Simulation
    from simulator.rng import replicate_keys

    sc = simulator.Scenario.from_dict({
        "graph": {"kind": "erdos_renyi", "n": 2000, "mean_degree": 40},
        "seeding": {"n_seeds": 0, "initial_customers": 1.0},
        "wom": {"p_negative": 0.9, "talk_steps": 3},
        "feed": {"policy": "engagement"},
        "crisis": {"step": 1, "share": 1.0, "duration": 3},
        "run": {"steps": 4, "replicates": 1},
    })
    g = erdos_renyi(2000, 40, seed=1)
    sim = Simulation(g, sc.model, 4, replicate_keys(1, 0), validate=True)
    first_cap = sim.plan.feed.cap
    rep = sim.run_to_end()
    assert sim.plan.feed.cap > 2 * first_cap  # the flood needed more than one doubling
    assert rep.series[:, M.NEW_WORD_NEGATIVE].max() > 2 * first_cap
