"""Parameters of the platform layers: feed, followers, brand, paid promotion.

Every layer is off by default (``feed.policy = "all"``, followers disabled,
``brand.strategy = "ignore"``, no paid promotion), so a scenario without these
sections is plain word of mouth and the independent-cascade reduction stays
exact. Calibrated defaults and their sources:

* attention 15 items per step: SimSoM's feed of alpha = 15 (Truong et al. 2024);
* recency factor exp(-0.4 age^0.4): SimSoM, after Wu & Huberman 2007;
* background items: with 15 seen of about 126 candidates a brand post reaches
  about 11% of followers, inside the published 2-16% band of organic page
  reach (Facebook 2012: 16%; Ogilvy 2014: 6-12%, 2-4% for big pages);
* unfollow hazard 0.0025 per step (a step ~ a day): 1 - (1 - 0.0025)^51 = 0.12,
  the share of one-way Twitter edges broken in 51 days (Kwak et al. 2011);
* follows much rarer than likes (document 002): p_follow 0.01 vs p_like 0.05.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulator.errors import ConfigError
from simulator.params.base import Section, param

POLICIES = ("all", "chronological", "random", "engagement")
STRATEGIES = ("spontaneous", "late", "ignore", "abandon")


@dataclass(frozen=True)
class FeedParams(Section):
    """``[feed]``: limited attention and the ranking that picks what is seen."""

    SECTION = "feed"
    policy: str = param(
        "all", choices=POLICIES,
        doc="all (layer off: everything is seen), chronological (newest first), random, or "
        "engagement (likes x quality x recency, SimSoM)",
    )
    attention: int = param(15, low=1, high=10_000, doc="items an agent sees per step (SimSoM alpha = 15)",
                           source="Truong, Lou, Flammini & Menczer 2024 (SimSoM)")
    attention_sigma: float = param(
        0.0, low=0.0, high=3.0, doc="heterogeneity: attention x lognormal(0, sigma) per agent"
    )
    background_items: float = param(
        125.0, low=0.0, high=100_000.0,
        doc="unrelated items (other friends' posts, other pages) competing per agent per step",
    )
    background_score_sigma: float = param(
        1.0, low=0.0, high=5.0, doc="spread (log-sd) of the background items' engagement scores"
    )
    recency_decay: float = param(
        0.4, low=0.0, high=10.0, doc="rank factor exp(-decay * age^0.4); 0 turns decay off",
        source="SimSoM, after Wu & Huberman 2007"
    )
    max_age: int = param(7, low=0, high=100_000, doc="steps after which an item leaves the feed")
    amplification: float = param(
        0.0, low=0.0, high=1_000.0,
        doc="impressions per like per step the platform gives an item beyond the author's friends "
        "(0 = off)",
    )
    p_like: float = param(0.05, low=0.0, high=1.0, doc="probability a seen item is liked (x its quality)")
    p_share: float = param(0.2, low=0.0, high=1.0, doc="probability a like is also a share")
    ad_tolerance: float = param(
        0.3, low=0.0, high=1.0, doc="share of paid items in what an agent sees that it tolerates"
    )
    ad_fatigue: float = param(
        0.5, low=0.0, high=1.0, doc="engagement multiplier for an agent over its ad tolerance"
    )
    p_leave: float = param(
        0.0, low=0.0, high=1.0,
        doc="per-step probability an agent over its ad tolerance leaves the platform",
    )

    @property
    def active(self) -> bool:
        return self.policy != "all"


@dataclass(frozen=True)
class FollowerParams(Section):
    """``[followers]``: follows, the bell, and churn."""

    SECTION = "followers"
    enabled: bool = param(False, doc="turn the follower / bell layer on")
    initial_followers: float = param(
        0.0, low=0.0, high=1.0,
        doc="share of agents who follow the page when it opens: the audience it built before "
        "the run (a page that opens after step 0 starts with late_start_share of it; never "
        "for ignore)",
    )
    late_start_share: float = param(
        1.0, low=0.0, high=1.0,
        doc="a page that opens after step 0 (late, abandon) starts with this share of "
        "initial_followers (below 1: a late-comer starts behind; at 0 a late page has no "
        "audience, and without paid reach nobody sees its posts)",
        source="document 002: an audience is built over time; a late-comer starts behind",
    )
    initial_bell: float = param(0.0, low=0.0, high=1.0, doc="share of initial followers with the bell on")
    p_follow: float = param(
        0.01, low=0.0, high=1.0, doc="probability seeing brand content makes a non-detractor follow (x quality)"
    )
    p_follow_from_shares: float = param(
        0.0, low=0.0, high=1.0,
        doc="probability that seeing a friend's share of a brand post makes a non-follower who "
        "is not a detractor follow (0 = off: a share then carries only the friend's word)",
        source="document 002: followers' shares carry the brand's posts to their friends, and "
        "win follows there",
    )
    p_bell: float = param(
        0.002, low=0.0, high=1.0, doc="probability a follower seeing a post turns the bell on"
    )
    p_unfollow: float = param(
        0.0025, low=0.0, high=1.0, doc="base per-step unfollow hazard (Kwak et al. 2011: 0.12 in 51 days)",
        source="Kwak, Moon & Lee 2011"
    )
    expected_quality: float = param(
        0.6, low=0.0, high=1.0, doc="the content quality followers are used to (from other pages)"
    )
    quality_sensitivity: float = param(
        3.0, low=0.0, high=100.0, doc="hazard x exp(s * (expected_quality - quality)) when quality is lower"
    )
    volume_tolerance: float = param(2.0, low=0.0, high=1_000.0, doc="posts per step followers tolerate")
    volume_sensitivity: float = param(
        0.7, low=0.0, high=100.0, doc="hazard x exp(s * posts above tolerance)"
    )
    promo_sensitivity: float = param(
        2.0, low=0.0, high=100.0, doc="hazard x exp(s * promotional share of the step's posts)"
    )
    silence_unfollow: float = param(
        0.01, low=0.0, high=1.0,
        doc="extra per-step unfollow hazard while a brand that once posted stays silent",
    )
    p_unbell: float = param(0.001, low=0.0, high=1.0, doc="per-notification probability of turning the bell off")


@dataclass(frozen=True)
class BrandParams(Section):
    """``[brand]``: when the brand is on the platform and what it posts."""

    SECTION = "brand"
    strategy: str = param(
        "ignore", choices=STRATEGIES,
        doc="spontaneous (active from step 0), late (from enter_step), ignore (never), "
        "abandon (from enter_step until exit_step)",
    )
    enter_step: int = param(0, low=0, high=1_000_000, doc="first active step for late and abandon")
    exit_step: int = param(1_000_000, low=0, high=1_000_000, doc="last active step for abandon")
    posts_per_step: float = param(1.0, low=0.0, high=1_000.0, doc="mean posts per active step (Poisson)")
    quality: float = param(0.6, low=0.0, high=1.0, doc="content quality: drives likes, follows, persuasion")
    promo_share: float = param(
        0.0, low=0.0, high=1.0,
        doc="share of posts that push promotions (people hide such brands); 0 keeps the "
        "followers' churn at its calibrated base rate",
    )
    cost_per_post: float = param(
        100.0, low=0.0, high=1e12,
        doc="effort cost of one post (content, community management), in currency units",
    )
    cost_per_step: float = param(
        0.0, low=0.0, high=1e12,
        doc="the time a presence costs: paid every step the page is up, posts or not "
        "(monitoring, community management), in currency units",
        source="document 003: social media is not cheap, it costs time",
    )
    annoyance: float = param(
        0.0, low=0.0, high=1.0,
        doc="chance that one brand post seen puts its viewer off: a promotional post counts "
        "fully, a plain one by its quality's shortfall below followers.expected_quality; "
        "a viewer put off turns detractor and, if a follower, hides the page (0 = off)",
        source="document 003: a half-hearted presence does more harm than good; people hide "
        "brands that push promotions",
    )
    value_per_customer: float = param(
        50.0, low=0.0, high=1e12, doc="value of one new customer, in currency units (for ROI)"
    )
    discount_rate: float = param(
        0.0, low=0.0, high=10.0, unit="per step",
        doc="discount rate of npv, per step, compounded; or a rate such as '0.1 per year' "
        "(converted at run.step)",
        source="net present value of word of mouth: Goldenberg, Libai, Moldovan & Muller 2007",
    )

    def irritation(self, promo: float, expected_quality: float) -> float:
        """The chance one post seen this step puts its viewer off (:attr:`annoyance`),
        for a step whose posts are ``promo`` promotional.

        >>> BrandParams(annoyance=0.1, quality=0.3).irritation(0.5, 0.6)
        0.075
        """
        if self.annoyance <= 0.0:
            return 0.0
        shortfall = max(0.0, expected_quality - self.quality) / expected_quality if expected_quality > 0 else 0.0
        return self.annoyance * (promo + (1.0 - promo) * shortfall)

    def check(self) -> None:
        if self.strategy == "abandon" and self.exit_step < self.enter_step:
            raise ConfigError(
                f"brand.exit_step = {self.exit_step} is out of range; allowed: exit_step >= "
                f"enter_step ({self.enter_step})"
            )

    def active_at(self, step: int) -> bool:
        """Whether the brand posts at ``step``."""
        if self.strategy == "spontaneous":
            return True
        if self.strategy == "late":
            return step >= self.enter_step
        if self.strategy == "abandon":
            return self.enter_step <= step <= self.exit_step
        return False


@dataclass(frozen=True)
class PaidParams(Section):
    """``[paid]``: sponsored impressions, influencer seeding, bought likes."""

    SECTION = "paid"
    sponsored_per_step: int = param(0, low=0, high=10**9, doc="sponsored impressions per step")
    target_community: int = param(
        -1, low=-1, high=10**9, doc="community the sponsored impressions target (-1: everyone)"
    )
    influencers: int = param(
        0, low=0, high=10**9, doc="top-degree agents who get the brand's message first (at start_step)"
    )
    bought_likes_per_step: int = param(
        0, low=0, high=10**9, doc="fake likes added to the brand's posts per step (rank, not persuade)"
    )
    start_step: int = param(0, low=0, high=1_000_000, doc="first step of paid promotion")
    stop_step: int = param(1_000_000, low=0, high=1_000_000, doc="last step of paid promotion")
    cost_per_impression: float = param(
        0.01, low=0.0, high=1e12, doc="price of one sponsored impression (0.01 = 10 per thousand)"
    )
    cost_per_influencer: float = param(
        500.0, low=0.0, high=1e12, doc="price of seeding one influencer (paid once)"
    )
    cost_per_like: float = param(0.02, low=0.0, high=1e12, doc="price of one bought like")

    @property
    def active(self) -> bool:
        return self.sponsored_per_step > 0 or self.influencers > 0 or self.bought_likes_per_step > 0

    def active_at(self, step: int) -> bool:
        return self.start_step <= step <= self.stop_step


RESPONSES = ("silent", "respond", "take_down")


@dataclass(frozen=True)
class CrisisParams(Section):
    """``[crisis]``: a service failure, the brand's monitoring, and its response.

    Defaults from the crisis literature (docs/references.md, section 6):
    69% of answered complainers feel more favourable (Huang et al. 2018, HBR),
    so ``p_win_back`` = 0.5 is an answer that wins back about half of them;
    taking a page down backfires (the Streisand effect, Nestle 2010), so
    ``takedown_boost`` makes the spilled complaints louder.
    """

    SECTION = "crisis"
    step: int = param(
        -1, low=-1, high=1_000_000, doc="step of the service failure (-1: no crisis)"
    )
    share: float = param(
        0.3, low=0.0, high=1.0, doc="share of customers the failure turns into negative talkers"
    )
    duration: int = param(
        7, low=1, high=1_000_000,
        doc="steps the failure's complainers keep talking (while the outage lasts)",
    )
    detection_threshold: float = param(
        0.002, low=0.0, high=1.0,
        doc="monitoring: share of agents talking negatively that an active brand notices",
    )
    detection_delay: int = param(
        1, low=0, high=1_000_000, doc="steps from noticing the complaints to responding"
    )
    response: str = param(
        "silent", choices=RESPONSES,
        doc="silent (nothing), respond (answer complaints), take_down (the page goes down)",
    )
    capacity: int = param(
        200, low=0, high=10**9, doc="complaints the brand can answer per step (respond)"
    )
    capacity_share: float | None = param(
        None, low=0.0, high=1.0, optional=True,
        doc="answering capacity per step as a share of the population (replaces capacity: "
        "round(share x n) answers a step), so a story means the same at any size",
    )
    p_win_back: float = param(
        0.5, low=0.0, high=1.0,
        doc="probability an answered complainer turns positive (else stays negative, silent)",
    )
    takedown_boost: float = param(
        1.0, low=0.0, high=100.0,
        doc="take_down: negative word spreads with p_negative x (1 + boost): complainers move "
        "to louder channels (Streisand effect)",
    )
    takedown_outrage: float = param(
        0.0, low=0.0, high=1.0,
        doc="take_down: share of the page's followers who, finding it gone, turn detractor "
        "and complain (new voices the censorship recruits; 0 = off)",
        source="Streisand effect (Jansen & Martin 2015); Nestle's flooded page (2010)",
    )
    answer_exposure: float = param(
        0.0, low=0.0, high=10_000.0,
        doc="respond: mean number of the page's followers who see each public answer's thread: "
        "the complaint (negative word) and, if the answer won the complainer back, the happy "
        "ending (positive word); 0 = answers are private, a channel change",
        source="complaint publicization (J. Marketing 2021); Herhausen et al. 2019",
    )
    compensation: float = param(
        0.0, low=0.0, high=1e12,
        doc="respond: money offered with each answer (0 = an apology only); a compensated "
        "complainer is won back with p_win_back_compensated",
    )
    p_win_back_compensated: float = param(
        0.8, low=0.0, high=1.0,
        doc="probability a compensated complainer turns positive (with compensation > 0)",
    )
    p_copycat: float = param(
        0.0, low=0.0, high=1.0,
        doc="probability a customer who sees a compensated thread (answer_exposure) complains "
        "the next step to get the same: compensation invites complaints (0 = off)",
        source="the squeaky wheel (Ma, Sun & Kekre 2015); compensation fuels the fire "
        "(Herhausen et al. 2019)",
    )
    cost_per_response: float = param(5.0, low=0.0, high=1e12, doc="cost of answering one complaint")

    @property
    def win_back(self) -> float:
        """The chance an answered complainer turns positive (compensated or not)."""
        return self.p_win_back_compensated if self.compensation > 0 else self.p_win_back

    @property
    def active(self) -> bool:
        """Whether the crisis layer can change the dynamics."""
        return self.step >= 0 or self.response != "silent"

    def answers_per_step(self, n: int) -> int:
        """Complaints answered per step in a population of ``n``: ``capacity``, or
        ``round(capacity_share x n)`` when the share is set.

        >>> CrisisParams(capacity_share=0.006).answers_per_step(50_000)
        300
        """
        if self.capacity_share is None:
            return self.capacity
        return int(round(self.capacity_share * n))
