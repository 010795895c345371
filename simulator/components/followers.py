"""Followers of the brand page and the bell: who follows, and who leaves.

Parameters: ``[followers]`` (:class:`simulator.params.FollowerParams`). State:
``agents.follower`` and ``agents.bell``. Series: ``n_followers``, ``n_bell``,
``new_follows`` (won in the feed, :mod:`simulator.components.feed`),
``new_unfollows``. Kernel: :func:`simulator.kernels.feed.churn_followers`.

Phases: *open* (a page has followers only once it exists: at step 0 for a
spontaneous brand, at its entry step for a late one, never for one that
ignores the platform) and *churn* (each follower unfollows with a hazard
raised by quality below what followers got used to, by posting above their
tolerance, by promotion, and by silence after the brand stopped posting).
"""

from __future__ import annotations

import math

import numpy as np

from simulator.kernels.feed import churn_followers
from simulator.params import BrandParams, FollowerParams
from simulator.rng import numpy_generator
from simulator.state import metrics as M
from simulator.state.agents import AgentState


class Followers:
    """The followers component of one replicate."""

    def __init__(self, followers: FollowerParams, brand: BrandParams, page_opens: int, key) -> None:
        self.params, self.brand, self.page_opens, self.key = followers, brand, page_opens, key

    def open(self, t: int, agents: AgentState) -> None:
        """The page's first followers (and bell subscribers), at the step it opens: the
        audience built before the run for a page open at step 0, ``late_start_share`` of it
        for a page that opens later (it was not there to build one)."""
        fol = self.params
        share = fol.initial_followers * (1.0 if self.page_opens == 0 else fol.late_start_share)
        if t == self.page_opens and fol.enabled and share > 0:
            rng = numpy_generator(self.key)
            chosen = rng.random(agents.n) < share
            agents.follower[chosen] = 1
            agents.bell[chosen & (rng.random(agents.n) < fol.initial_bell)] = 1

    def churn(self, t: int, posts: int, promo: float, silent_page: bool, agents: AgentState,
              m: np.ndarray) -> None:
        """Followers unfollow (``silent_page``: the brand has posted before but is off now)."""
        if self.params.enabled:
            churn_followers(agents.follower, agents.bell, self.unfollow_hazard(posts, promo, silent_page),
                            np.uint64(self.key), t, m)

    def unfollow_hazard(self, posts: int, promo: float, silent_page: bool) -> float:
        """Per-follower unfollow probability this step."""
        f, b = self.params, self.brand
        if posts:
            drop = max(0.0, f.expected_quality - b.quality)
            over = max(0.0, posts - f.volume_tolerance)
            x = f.quality_sensitivity * drop + f.volume_sensitivity * over + f.promo_sensitivity * promo
            return min(1.0, f.p_unfollow * math.exp(x))
        if silent_page:
            return min(1.0, f.p_unfollow + f.silence_unfollow)
        return f.p_unfollow

    @staticmethod
    def record(agents: AgentState, m: np.ndarray) -> None:
        m[M.P_FOLLOWERS] = agents.follower.sum()
        m[M.P_BELL] = agents.bell.sum()
