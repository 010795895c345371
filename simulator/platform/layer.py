"""The platform step: word of mouth seen through feeds, followers, the brand, paid.

When any platform layer is on, a step runs in this order (the word-of-mouth
step plan of :mod:`simulator.engine.simulation`, with the feed in between
talking and listening):

0. **crisis**: at ``crisis.step`` the service failure turns a share of
   customers into negative talkers; the brand's monitoring looks at the last
   step's negative talk; from the detection step on it answers complaints or
   takes its page down (:mod:`simulator.platform.crisis`);
1. **brand**: an active brand publishes Poisson(``posts_per_step``) posts, a
   share of them promotional; bought likes are added to its posts; at
   ``paid.start_step`` the top-degree influencers get the brand's message and
   start talking;
2. **candidates**: friends' word (same draws as without the platform), items
   amplified on their likes, brand posts to followers (notifications to bell
   subscribers), sponsored impressions;
3. **feed**: each agent sees at most ``attention`` of its candidates plus the
   background items, by the ranking policy; notifications are always seen;
4. **engage**: seen items may be liked (x quality, x ad fatigue), shared (a
   sharer who agrees starts talking again), and brand content may win a follow
   or a bell; an agent over its ad tolerance engages less and may leave;
5. **listen**, **advertise**, **buy** as in word of mouth, with each brand post
   seen persuading like positive word of impact ``impact_positive x quality``;
6. **churn**: followers unfollow with a hazard raised by quality below what
   they got used to, by posting above their tolerance, by promotion, and by
   silence after a brand stopped posting;
7. **retire** and **record**, with the step's costs (posts, responses, paid
   promotion) and the value of the customers won since step 0.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulator.core import metrics as M
from simulator.core.state import Opinion
from simulator.core.wom import (
    _set_opinion,
    _start_talking,
    add_ads,
    buy,
    decide,
    retire_talkers,
    sample_agents,
)
from simulator.errors import ConfigError
from simulator.platform import kernels as K
from simulator.platform.crisis import CrisisDesk
from simulator.platform.sections import (
    BrandParams,
    CrisisParams,
    FeedParams,
    FollowerParams,
    PaidParams,
)

_POS = np.int8(Opinion.POSITIVE)
_NEG = np.int8(Opinion.NEGATIVE)

#: What the brand's side adds to the layers' series: crisis response and money.
BRAND_METRICS = ("new_responses", "cum_responses", "detection_step", "cum_cost", "cum_value")
#: Every per-step series beside word of mouth's, in column order.
SERIES_METRICS = K.PLATFORM_METRICS + BRAND_METRICS
#: Series that are not counts (the rest are written as integers).
FLOAT_METRICS = frozenset({"organic_reach", "cum_cost", "cum_value"})
_BASE = len(K.PLATFORM_METRICS)
B_NEW_RESPONSES, B_CUM_RESPONSES, B_DETECTION, B_COST, B_VALUE = range(_BASE, _BASE + 5)


def platform_active(feed: FeedParams, followers: FollowerParams, brand: BrandParams,
                    paid: PaidParams, crisis: CrisisParams | None = None) -> bool:
    """Whether any platform layer changes the dynamics."""
    return (feed.active or followers.enabled or brand.strategy != "ignore" or paid.active
            or (crisis is not None and crisis.active))


def page_opening_step(brand: BrandParams) -> int:
    """The step the brand's page opens (-1: never)."""
    if brand.strategy == "spontaneous":
        return 0
    if brand.strategy in ("late", "abandon"):
        return brand.enter_step
    return -1


def idle_row(n: int) -> np.ndarray:
    """The series row of a step without platform layers: everyone on it, nothing detected."""
    row = np.zeros(len(SERIES_METRICS))
    row[K.P_ON_PLATFORM] = n
    row[B_DETECTION] = -1
    return row


@njit(cache=True)
def start_talk(agents, sentiment, opinion, talk_until, customer, ever_aware, ever_positive,
               ever_negative, talkers, n_talkers, in_list, item_likes, talk_steps, step, c):
    """Agents start (or restart) talking; ``sentiment`` < 0 keeps their opinion.

    Used for influencer seeding (the brand's message, positive) and for sharers
    (who repeat what they already think). A new talk episode is a new item with
    no likes yet.
    """
    for k in range(agents.size):
        j = agents[k]
        new = opinion[j] if sentiment < 0 else np.int8(sentiment)
        if new != _POS and new != _NEG:
            continue
        if new != opinion[j]:
            _set_opinion(j, new, opinion, customer, ever_aware, ever_positive, ever_negative, c)
        item_likes[j] = 0
        n_talkers = _start_talking(j, step, talk_steps, talk_until, talkers, n_talkers, in_list)
    return n_talkers


class Platform:
    """State and step of the platform layers for one replicate."""

    def __init__(self, graph, state, feed: FeedParams, followers: FollowerParams,
                 brand: BrandParams, paid: PaidParams, crisis: CrisisParams | None,
                 keys: dict[str, int]) -> None:
        self.graph, self.feed, self.followers, self.brand, self.paid = graph, feed, followers, brand, paid
        self.keys = keys
        n = graph.n
        self.desk = CrisisDesk(crisis if crisis is not None else CrisisParams(), brand, n, keys["crisis"])
        self.cum_cost = 0.0
        self.cum_responses = 0
        self.customers_at_start = int(state.customer.sum())
        self.item_likes = np.zeros(n, np.int32)
        self.brand_likes = 0
        self.has_posted = False
        self.last_post_step = -1
        self.cap = 1024 + 4 * n
        self._alloc(self.cap)
        self.heard_brand = np.zeros(n, np.int32)
        self.hits = np.empty(n, np.int32)
        rng = np.random.Generator(np.random.PCG64(keys["feed"]))
        if feed.attention_sigma > 0:
            att = np.rint(feed.attention * rng.lognormal(0.0, feed.attention_sigma, n))
            state.attention[:] = np.clip(att, 1, np.iinfo(np.int16).max).astype(np.int16)
        else:
            state.attention[:] = min(feed.attention, np.iinfo(np.int16).max)
        # A page has followers only once it exists: at step 0 for a spontaneous
        # brand, at its entry step for a late one, never for one that ignores.
        self.page_opens = page_opening_step(brand)
        if self.page_opens == 0:
            self._first_followers(state)
        if paid.target_community >= 0:
            if graph.community is None:
                raise ConfigError(
                    f"paid.target_community = {paid.target_community} is not allowed; the graph "
                    f"(kind = {graph.meta.get('kind', '?')!r}) has no communities (use -1)"
                )
            self.pool = np.flatnonzero(graph.community == paid.target_community).astype(np.int32)
            if self.pool.size == 0:
                raise ConfigError(
                    f"paid.target_community = {paid.target_community} is out of range; allowed: "
                    f"-1 or 0..{int(graph.community.max())}"
                )
        else:
            self.pool = np.arange(n, dtype=np.int32)
        self.influencers = np.empty(0, np.int32)
        if paid.influencers > 0:
            k = min(paid.influencers, n)
            self.influencers = np.sort(np.argsort(-graph.degrees(), kind="stable")[:k]).astype(np.int32)

    def _first_followers(self, state) -> None:
        """The page's first followers (and bell subscribers), when it opens."""
        fol = self.followers
        if fol.enabled and fol.initial_followers > 0:
            frng = np.random.Generator(np.random.PCG64(self.keys["followers"]))
            chosen = frng.random(state.n) < fol.initial_followers
            state.follower[chosen] = 1
            state.bell[chosen & (frng.random(state.n) < fol.initial_bell)] = 1

    def _alloc(self, cap: int) -> None:
        self.buf = (
            np.empty(cap, np.int32), np.empty(cap, np.int32), np.empty(cap, np.int8),
            np.empty(cap, np.int8), np.empty(cap, np.float64), np.empty(cap, np.int64),
        )
        self.order = np.empty(cap, np.int64)

    def brand_on(self, t: int) -> bool:
        """Whether the brand's page is up and in use at step ``t``."""
        return self.brand.active_at(t) and not self.desk.page_down

    def _posts(self, t: int) -> tuple[int, float]:
        if not self.brand_on(t) or self.brand.posts_per_step <= 0:
            return 0, 0.0
        rng = np.random.Generator(np.random.PCG64([self.keys["brand"], t]))
        posts = int(rng.poisson(self.brand.posts_per_step))
        promo = float(rng.binomial(posts, self.brand.promo_share)) / posts if posts else 0.0
        return posts, promo

    def step(self, sim, t: int, pseries: np.ndarray) -> None:
        """Run step ``t`` of the simulation ``sim`` with the platform layers."""
        s, wom, market, keys, c = sim.state, sim.wom, sim.market, sim.keys, sim.counts
        feed, fol, brand, paid = self.feed, self.followers, self.brand, self.paid
        n = sim.graph.n
        m = np.zeros(len(SERIES_METRICS))
        c[M.NEW_AWARE : M.CUM_REACH] = 0
        cost = 0.0
        # The crisis, the brand's monitoring and its response come first: an
        # answered complainer is silent this step, a page taken down posts nothing.
        desk = self.desk
        victims = desk.victims(s.customer, t)
        if victims.size:
            sim.n_talkers = start_talk(
                victims, int(Opinion.NEGATIVE), s.opinion, s.talk_until, s.customer,
                s.ever_aware, s.ever_positive, s.ever_negative, sim.talkers, sim.n_talkers,
                sim.in_list, self.item_likes, desk.crisis.duration, t - 1, c,
            )
        desk.monitor(t, int(c[M.N_TALKING_NEGATIVE]))
        desk.take_down(s, t)
        answered = desk.respond(sim, t)
        if answered:
            sim.n_talkers = retire_talkers(sim.talkers, sim.n_talkers, sim.in_list, s.talk_until,
                                           s.opinion, t, c)
            cost += answered * self.desk.crisis.cost_per_response
        if t == self.page_opens:
            self._first_followers(s)
        followers_before = int(s.follower.sum())
        posts, promo = self._posts(t)
        cost += posts * brand.cost_per_post
        if posts:
            self.has_posted = True
            self.last_post_step = t
            self.brand_likes = 0  # a new post starts with no likes
        paid_now = paid.active_at(t)
        if paid_now:
            cost += paid.sponsored_per_step * paid.cost_per_impression
        if paid_now and paid.bought_likes_per_step:
            self.brand_likes += paid.bought_likes_per_step
            cost += paid.bought_likes_per_step * paid.cost_per_like
        if self.influencers.size and t == max(paid.start_step, 1):
            cost += self.influencers.size * paid.cost_per_influencer
            sim.n_talkers = start_talk(
                self.influencers, int(Opinion.POSITIVE), s.opinion, s.talk_until, s.customer,
                s.ever_aware, s.ever_positive, s.ever_negative, sim.talkers, sim.n_talkers,
                sim.in_list, self.item_likes, wom.talk_steps, t - 1, c,
            )
        # Between posts the latest one stays visible; before the first there is nothing to show.
        # and once it is older than feed.max_age it leaves the feed, like any item.
        brand_visible = posts > 0 or (
            self.has_posted and self.brand_likes > 0 and self.brand_on(t)
            and t - self.last_post_step <= feed.max_age
        )
        gather_args = (
            sim.graph.indptr, sim.graph.indices, sim.talkers, sim.n_talkers, s.opinion,
            s.talk_until, s.on_platform, self.item_likes, s.follower, s.bell,
            wom.p_positive, desk.p_negative(wom.p_negative), wom.talk_steps, feed.max_age,
            feed.amplification if feed.active else 0.0,
            posts, brand.quality, self.brand_likes if brand_visible else 0,
            paid.sponsored_per_step if paid_now else 0, self.pool, self.pool.size,
            np.uint64(keys["wom"]), np.uint64(keys["feed"]), t,
        )
        n_cand, n_pos, n_neg = K.gather_candidates(*gather_args, *self.buf)
        if n_cand > self.cap:
            self.cap = max(n_cand, 2 * self.cap)
            self._alloc(self.cap)
            n_cand, n_pos, n_neg = K.gather_candidates(*gather_args, *self.buf)
        c[M.NEW_WORD_POSITIVE] = n_pos
        c[M.NEW_WORD_NEGATIVE] = n_neg
        heard_pos, heard_neg, heard_ad, touched = sim.scratch()
        n_touched, likes_gained, brand_views, sharers = K.select_and_act(
            n_cand, *self.buf, s.opinion, s.talk_until, s.follower, s.bell, s.on_platform,
            s.attention, self.item_likes,
            K.POLICY_CODES[feed.policy], feed.background_items, feed.max_age, feed.recency_decay,
            feed.background_score_sigma, feed.p_like,
            # A share restarts talk: only a feed does that (off, the run stays plain word of mouth).
            feed.p_share if feed.active else 0.0, feed.ad_tolerance,
            feed.ad_fatigue, feed.p_leave,
            fol.p_follow if fol.enabled else 0.0, fol.p_bell if fol.enabled else 0.0,
            fol.p_unbell, self.brand_likes, wom.talk_steps,
            np.uint64(keys["feed"]), t, heard_pos, heard_neg, self.heard_brand, touched, self.order, m,
        )
        self.brand_likes += likes_gained
        # Advertising outside the platform, as in plain word of mouth.
        n_ads = sample_agents(n, market.p_advertising, np.uint64(keys["external"]), t, self.hits)
        ads = self.hits[:n_ads]
        ads = ads[(s.opinion[ads] == Opinion.UNAWARE) | (s.opinion[ads] == Opinion.NEUTRAL)]
        c[M.NEW_ADVERTISING] = ads.size
        n_touched = add_ads(ads.size, ads, heard_pos, heard_neg, heard_ad, touched, n_touched)
        before = sim.n_talkers
        sim.n_talkers = decide(
            n_touched, touched, heard_pos, heard_neg, self.heard_brand,
            wom.impact_positive * brand.quality, heard_ad,
            s.opinion, s.talk_until, s.customer, s.ever_aware, s.ever_positive, s.ever_negative,
            sim.talkers, sim.n_talkers, sim.in_list,
            wom.impact_positive, wom.impact_negative, wom.p_turn_negative, wom.p_turn_positive,
            wom.talk_steps, np.uint64(keys["listen"]), t, c,
        )
        self.item_likes[sim.talkers[before : sim.n_talkers]] = 0  # new talk, new item
        if sharers.size:
            sim.n_talkers = start_talk(
                sharers, -1, s.opinion, s.talk_until, s.customer, s.ever_aware, s.ever_positive,
                s.ever_negative, sim.talkers, sim.n_talkers, sim.in_list, self.item_likes,
                wom.talk_steps, t, c,
            )
        if market.p_purchase > 0.0 and c[M.N_BUYERS_LEFT] > 0:
            n_hits = sample_agents(n, market.p_purchase, np.uint64(keys["purchase"]), t, self.hits)
            sim.n_talkers = buy(
                n_hits, self.hits, s.opinion, s.talk_until, s.customer, s.ever_aware,
                s.ever_positive, s.ever_negative, sim.talkers, sim.n_talkers, sim.in_list,
                market.satisfaction, wom.talk_steps, np.uint64(keys["purchase"]), t, c,
            )
        if fol.enabled:
            K.churn_followers(s.follower, s.bell, self.unfollow_hazard(posts, promo, t),
                              np.uint64(keys["followers"]), t, m)
        sim.n_talkers = retire_talkers(sim.talkers, sim.n_talkers, sim.in_list, s.talk_until,
                                       s.opinion, t + 1, c)
        c[M.CUM_WORD_POSITIVE] += c[M.NEW_WORD_POSITIVE]
        c[M.CUM_WORD_NEGATIVE] += c[M.NEW_WORD_NEGATIVE]
        m[K.P_FOLLOWERS] = s.follower.sum()
        m[K.P_BELL] = s.bell.sum()
        m[K.P_BRAND_POSTS] = posts
        m[K.P_ON_PLATFORM] = s.on_platform.sum()
        m[K.P_ORGANIC_REACH] = brand_views / (posts * followers_before) if posts and followers_before else 0.0
        self.cum_responses += answered
        self.cum_cost += cost
        m[B_NEW_RESPONSES] = answered
        m[B_CUM_RESPONSES] = self.cum_responses
        m[B_DETECTION] = desk.detection_metric(t)
        m[B_COST] = self.cum_cost
        m[B_VALUE] = self.brand.value_per_customer * (c[M.CUM_CUSTOMERS] - self.customers_at_start)
        pseries[t] = m

    def unfollow_hazard(self, posts: int, promo: float, t: int) -> float:
        """Per-follower unfollow probability this step."""
        f, b = self.followers, self.brand
        if posts:
            drop = max(0.0, f.expected_quality - b.quality)
            over = max(0.0, posts - f.volume_tolerance)
            x = f.quality_sensitivity * drop + f.volume_sensitivity * over + f.promo_sensitivity * promo
            return min(1.0, f.p_unfollow * math.exp(x))
        if self.has_posted and not self.brand_on(t):
            return min(1.0, f.p_unfollow + f.silence_unfollow)
        return f.p_unfollow

    def initial_metrics(self, state) -> np.ndarray:
        m = np.zeros(len(SERIES_METRICS))
        m[B_DETECTION] = -1
        m[K.P_FOLLOWERS] = state.follower.sum()
        m[K.P_BELL] = state.bell.sum()
        m[K.P_ON_PLATFORM] = state.on_platform.sum()
        return m
