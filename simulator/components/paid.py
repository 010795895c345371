"""Paid promotion: sponsored impressions, influencer seeding, bought likes.

Parameters: ``[paid]`` (:class:`simulator.params.PaidParams`) and their prices.
State: who sponsored impressions may reach (everyone, or one community) and
the influencers (the top-degree agents). Series: ``new_impressions_paid``
(counted where they are seen, :mod:`simulator.components.feed`).

Phase *promote*, while the campaign runs (``start_step .. stop_step``): the
sponsored impressions of the step are bought (the feed places them), bought
likes are added to the brand's visible post; at ``start_step`` (at least 1)
the influencers get the brand's message and start talking.
Prices are paid to the ledger (:mod:`simulator.components.ledger`).
"""

from __future__ import annotations

import numpy as np

from simulator.components.ledger import Ledger
from simulator.errors import ConfigError
from simulator.graphs import Graph
from simulator.graphs.memory import check_sponsored_memory
from simulator.kernels.agents import start_talk_many
from simulator.params import PaidParams
from simulator.state.agents import AgentState, Opinion, TalkerList


class Paid:
    """The paid-promotion component of one replicate."""

    def __init__(self, paid: PaidParams, graph: Graph) -> None:
        self.params = paid
        if paid.active:
            check_sponsored_memory(paid.sponsored_per_step)
        n = graph.n
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

    def promote(self, t: int, talk_steps: int, agents: AgentState, talkers: TalkerList,
                item_likes: np.ndarray, ledger: Ledger, c: np.ndarray) -> tuple[int, int]:
        """This step's campaign: ``(sponsored impressions to place, likes bought for the brand's post)``."""
        paid = self.params
        running = paid.active_at(t)
        bought = 0
        if running:
            ledger.spend(paid.sponsored_per_step * paid.cost_per_impression)
        if running and paid.bought_likes_per_step:
            bought = paid.bought_likes_per_step
            ledger.spend(bought * paid.cost_per_like)
        if self.influencers.size and t == max(paid.start_step, 1):
            ledger.spend(self.influencers.size * paid.cost_per_influencer)
            start_talk_many(self.influencers, int(Opinion.POSITIVE), agents, talkers, item_likes,
                            talk_steps, t - 1, c)
        return (paid.sponsored_per_step if running else 0), bought
