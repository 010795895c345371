"""The brand's page: when it exists, what it posts, the likes of its latest post.

Parameters: ``[brand]`` (:class:`simulator.params.BrandParams`): the adoption
strategy (``spontaneous``, ``late``, ``ignore``, ``abandon``), posts per step,
quality, promotional share, annoyance, cost per post and per step of presence. State: whether and when it last
posted, the likes of its visible post. Series: ``new_brand_posts``,
``organic_reach``.

Phase *publish*: an active brand (its strategy says it is on the platform at
this step and its page is not down) publishes Poisson(``posts_per_step``)
posts, a share of them promotional. The feed shows them to followers
(:mod:`simulator.components.feed`); between posts the latest one stays
visible until it is older than ``feed.max_age``. An active page pays
``cost_per_step`` every step, posts or not (document 003: a presence costs time).

Posts can put people off (``annoyance``; phase *listen*,
:func:`simulator.kernels.wom.decide`): each post seen does so with
``annoyance x (promo + (1 - promo) x shortfall)``, where ``promo`` is the
promotional share of the latest posts and ``shortfall`` how far the brand's
quality falls below what followers are used to, as a share of it. A viewer put
off turns detractor and talks; a follower also hides the page (unfollows, bell
off). So a pushy, low-quality presence makes detractors where ignoring the
platform makes none, and a good one does not (document 003).
"""

from __future__ import annotations

import numpy as np

from simulator.components.ledger import Ledger
from simulator.params import BrandParams
from simulator.rng import numpy_generator
from simulator.state import metrics as M


def page_opening_step(brand: BrandParams) -> int:
    """The step the brand's page opens (-1: never)."""
    if brand.strategy == "spontaneous":
        return 0
    if brand.strategy in ("late", "abandon"):
        return brand.enter_step
    return -1


class Brand:
    """The brand component of one replicate."""

    def __init__(self, brand: BrandParams, key) -> None:
        self.params = brand
        self.key = key
        self.page_opens = page_opening_step(brand)
        self.has_posted = False
        self.last_post_step = -1
        self.likes = 0  # of the latest post: real and bought
        self.promo = 0.0  # promotional share of the latest posts

    def on(self, t: int, page_down: bool) -> bool:
        """Whether the brand's page is up and in use at step ``t``."""
        return self.params.active_at(t) and not page_down

    def silent(self, t: int, page_down: bool) -> bool:
        """Whether followers are left without posts: the brand posted before and is off now."""
        return self.has_posted and not self.on(t, page_down)

    @property
    def quality(self) -> float:
        """The quality of the brand's posts (1: as good as friends' word)."""
        return self.params.quality

    def impact(self, impact_positive: float) -> float:
        """How strongly one post seen persuades: like positive word, times quality."""
        return impact_positive * self.params.quality

    def irritation(self, expected_quality: float) -> float:
        """The chance one brand post seen now puts its viewer off (``brand.annoyance``),
        judged by the latest posts (the ones in feeds)."""
        return self.params.irritation(self.promo, expected_quality)

    def publish(self, t: int, page_down: bool, ledger: Ledger) -> tuple[int, float]:
        """This step's posts: ``(posts, promotional share)``; their cost, and the cost of a
        step of presence, go to ``ledger``."""
        posts, promo = 0, 0.0
        on = self.on(t, page_down)
        if on and self.params.posts_per_step > 0:
            rng = numpy_generator(self.key, t)
            posts = int(rng.poisson(self.params.posts_per_step))
            promo = float(rng.binomial(posts, self.params.promo_share)) / posts if posts else 0.0
        ledger.spend(posts * self.params.cost_per_post)
        if on:
            ledger.spend(self.params.cost_per_step)
        if posts:
            self.has_posted = True
            self.last_post_step = t
            self.likes = 0  # a new post starts with no likes
            self.promo = promo
        return posts, promo

    def add_likes(self, likes: int) -> None:
        """Likes of the visible post (given in feeds, or bought)."""
        self.likes += likes

    def visible_likes(self, t: int, posts: int, page_down: bool, max_age: int) -> int:
        """The likes the platform may amplify this step: 0 if no brand post is in feeds.

        Between posts the latest one stays visible; before the first there is
        nothing to show, and once it is older than ``feed.max_age`` it leaves
        the feed, like any item.
        """
        visible = posts > 0 or (
            self.has_posted and self.likes > 0 and self.on(t, page_down)
            and t - self.last_post_step <= max_age
        )
        return self.likes if visible else 0

    @staticmethod
    def record(posts: int, brand_views: int, followers_before: int, m: np.ndarray) -> None:
        """Posts, and the share of followers who saw them (organic reach)."""
        m[M.P_BRAND_POSTS] = posts
        m[M.P_ORGANIC_REACH] = (brand_views / (posts * followers_before)
                                if posts and followers_before else 0.0)
