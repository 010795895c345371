"""The market: advertising outside the platform, purchases, satisfaction.

Parameters: ``[market]`` (:class:`simulator.params.MarketParams`) and the
initial customers of ``[seeding]``. Kernels: :func:`simulator.kernels.wom.advertise`
and :func:`simulator.kernels.wom.buy`. Series: ``n_customers``,
``new_customers``, ``new_disappointed``, ``new_advertising``.

Phases: *advertise* (each unaware or undecided agent is won over with
``p_advertising``, the Bass model's p), *buy* (each fan who is not a customer
buys with ``p_purchase``; a new customer is disappointed with ``1 -
satisfaction``, turns detractor and complains).
"""

from __future__ import annotations

import numpy as np

from simulator.kernels.agents import sample_agents
from simulator.kernels.wom import MarketRule, add_ads_after_feed, advertise, buy
from simulator.params import MarketParams, SeedingParams
from simulator.rng import StreamKeys, numpy_generator
from simulator.state import metrics as M
from simulator.state.agents import AgentState, Heard, Opinion, TalkerList


class Market:
    """The market component of one replicate."""

    def __init__(self, market: MarketParams, n: int, keys: StreamKeys) -> None:
        self.params = market
        self.rule = MarketRule.of(market)
        self.keys = keys
        self.hits = np.empty(n, np.int32)  # who a population-wide chance hits this step

    def seed(self, seeding: SeedingParams, agents: AgentState) -> None:
        """Step 0: a share of agents are already (satisfied, silent) customers."""
        if seeding.initial_customers > 0:
            rng = numpy_generator(self.keys.purchase)
            k = int(round(seeding.initial_customers * agents.n))
            customers = rng.choice(agents.n, size=k, replace=False)
            agents.opinion[customers] = Opinion.POSITIVE
            agents.customer[customers] = 1
            agents.ever_aware[customers] = 1
            agents.ever_positive[customers] = 1

    def advertise(self, t: int, agents: AgentState, heard: Heard, n_touched: int,
                  c: np.ndarray) -> int:
        """Advertising hits join what listeners took in (after the feed); returns the new
        number touched."""
        kept = advertise(agents.n, self.rule.p_advertising, self.keys.external, t, agents.opinion,
                         self.hits)
        c[M.NEW_ADVERTISING] = kept
        return add_ads_after_feed(kept, self.hits, heard, n_touched)

    def buy(self, t: int, talk_steps: int, agents: AgentState, talkers: TalkerList,
            c: np.ndarray) -> None:
        """Fans buy; disappointed buyers complain (join ``talkers``)."""
        rule = self.rule
        if rule.p_purchase > 0.0 and c[M.N_BUYERS_LEFT] > 0:
            n_hits = sample_agents(agents.n, rule.p_purchase, self.keys.purchase, t, self.hits)
            buy(n_hits, self.hits, agents, talkers, rule.satisfaction, talk_steps,
                self.keys.purchase, t, c)
