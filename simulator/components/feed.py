"""The feed: what reaches each agent, what its feed shows, what that does.

Parameters: ``[feed]`` (:class:`simulator.params.FeedParams`) and the
engagement part of ``[followers]`` (follows and the bell are won in the feed).
State: the candidate-item buffers, each talker's item likes, each agent's
attention (``agents.attention``), who is still on the platform. Series: the
``new_impressions_*`` by source, ``new_likes``, ``new_shares``,
``new_follows``, ``n_on_platform``, ``new_ad_overloaded``. Kernels:
:mod:`simulator.kernels.feed`.

Phases of a step:

* *gather*: every candidate item that reaches an agent: friends' word (the
  same draws as plain word of mouth, so the feed changes what is *seen*, not
  what is *said*), items amplified on their likes, brand posts to followers
  (notifications to bell subscribers), sponsored impressions;
* *show*: each agent sees at most ``attention`` of its candidates plus the
  background items, by the ranking policy (notifications and bought
  impressions are always seen); seen items may be liked (x quality, x ad
  fatigue), shared, and brand content may win a follow or a bell; an agent
  over its ad tolerance engages less and may leave. What is seen goes to
  listening (:mod:`simulator.components.wom`);
* *share*: a sharer who agrees with what it shared starts talking again.

With ``policy = "all"`` the feed shows everything (no limited attention, no
likes' amplification, no shares): the layer is off, and the step plan uses it
only to deliver brand and paid items when those layers are on.
"""

from __future__ import annotations

import numpy as np

from simulator.graphs import Graph
from simulator.kernels.agents import start_talk_many
from simulator.kernels.feed import (
    POLICY_CODES,
    BrandReach,
    FeedRule,
    Items,
    WordReach,
    gather_candidates,
    select_and_act,
)
from simulator.params import FeedParams, FollowerParams
from simulator.rng import StreamKeys, numpy_generator
from simulator.state import metrics as M
from simulator.state.agents import AgentState, Heard, TalkerList


class Feed:
    """The feed component of one replicate."""

    def __init__(self, feed: FeedParams, followers: FollowerParams, agents: AgentState,
                 keys: StreamKeys) -> None:
        self.params = feed
        self.keys = keys
        n = agents.n
        self.rule = FeedRule(
            policy=POLICY_CODES[feed.policy], background=feed.background_items,
            max_age=feed.max_age, decay=feed.recency_decay, sigma=feed.background_score_sigma,
            p_like=feed.p_like,
            # A share restarts talk: only a feed does that (off, the run stays plain word of mouth).
            p_share=feed.p_share if feed.active else 0.0,
            ad_tolerance=feed.ad_tolerance, ad_fatigue=feed.ad_fatigue, p_leave=feed.p_leave,
            p_follow=followers.p_follow if followers.enabled else 0.0,
            p_bell=followers.p_bell if followers.enabled else 0.0, p_unbell=followers.p_unbell,
            p_follow_shared=followers.p_follow_from_shares if followers.enabled else 0.0,
        )
        # Follows won from shares: the talk episode each share of the brand's post started
        # (its talk_until; -1: none), and which of the step's sharers shared the brand's post.
        from_shares = self.rule.p_follow_shared > 0.0
        self.brand_share_until = np.full(n if from_shares else 0, -1, np.int32)
        self.share_brand = np.zeros(n if from_shares else 0, np.uint8)
        self.amplification = feed.amplification if feed.active else 0.0
        self.item_likes = np.zeros(n, np.int32)  # likes of each talker's current item
        self.cap = 1024 + 4 * n
        self.items = Items.empty(self.cap)
        self.order = np.empty(self.cap, np.int64)
        self.n_candidates = 0
        rng = numpy_generator(keys.feed)
        if feed.attention_sigma > 0:
            att = np.rint(feed.attention * rng.lognormal(0.0, feed.attention_sigma, n))
            agents.attention[:] = np.clip(att, 1, np.iinfo(np.int16).max).astype(np.int16)
        else:
            agents.attention[:] = min(feed.attention, np.iinfo(np.int16).max)

    def word_reach(self, p_positive: float, p_negative: float, talk_steps: int) -> WordReach:
        """How friends' word becomes candidates this step."""
        return WordReach(p_positive, p_negative, talk_steps, self.params.max_age, self.amplification)

    def gather(self, t: int, graph: Graph, agents: AgentState, talkers: TalkerList, word: WordReach,
               brand: BrandReach, c: np.ndarray) -> None:
        """Every candidate item of step ``t``; the words spoken go to ``c``."""
        args = (graph.indptr, graph.indices, talkers, agents, self.item_likes, word, brand,
                self.keys, t)
        n_cand, n_pos, n_neg = gather_candidates(*args, self.items)
        # Too many for the buffers: the count returned is then only a lower bound (more
        # than the room), so grow and draw again until everything fits. The draws are
        # deterministic: a retry gives the same items.
        while n_cand > self.cap:
            self.cap = max(n_cand, 2 * self.cap)
            self.items = Items.empty(self.cap)
            self.order = np.empty(self.cap, np.int64)
            n_cand, n_pos, n_neg = gather_candidates(*args, self.items)
        self.n_candidates = n_cand
        c[M.NEW_WORD_POSITIVE] = n_pos
        c[M.NEW_WORD_NEGATIVE] = n_neg

    def show(self, t: int, agents: AgentState, brand_likes: int, heard: Heard,
             m: np.ndarray) -> tuple[int, int, int, np.ndarray]:
        """Rank, show and engage; returns ``(n_touched, likes_on_brand, brand_views, sharers)``.

        ``heard`` receives what each agent saw (for listening).
        """
        return select_and_act(self.n_candidates, self.items, agents, self.item_likes, self.rule,
                              brand_likes, self.keys, t, heard, self.order, m,
                              self.brand_share_until, self.share_brand)

    def new_talk(self, talkers: TalkerList, first: int) -> None:
        """Talkers listed from position ``first`` on start a new item, with no likes yet."""
        self.item_likes[talkers.ids[first : talkers.n]] = 0

    def share(self, t: int, sharers: np.ndarray, talk_steps: int, agents: AgentState,
              talkers: TalkerList, c: np.ndarray) -> None:
        """Sharers talk again (they repeat what they think); a share of the brand's post
        carries it to the sharer's friends for that talk episode."""
        if sharers.size:
            start_talk_many(sharers, -1, agents, talkers, self.item_likes, talk_steps, t, c)
            if self.brand_share_until.size:
                brand = self.share_brand[sharers] == 1
                self.brand_share_until[sharers] = np.where(brand, agents.talk_until[sharers], -1)

    @staticmethod
    def record(agents: AgentState, m: np.ndarray) -> None:
        m[M.P_ON_PLATFORM] = agents.on_platform.sum()
