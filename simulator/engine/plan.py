"""The step plan: the one place that says what happens in a step, and in what order.

Row 0 of every series is the starting state: the initial customers are
satisfied fans, the seeds talk, a spontaneous brand's page has its first
followers. Each step ``t = 1 .. steps`` then runs these phases, in this order
(component: phase):

 1. **crisis: strike** — at ``crisis.step`` the service failure turns a share
    of customers into complainers;
 2. **crisis: respond** — the brand's monitoring looks at the last step's
    negative talk; from the detection step on it answers complaints (an
    answered complainer is silent this step, or won back; compensated, and
    the last step's copycats join the complainers in phase 1) or takes its
    page down (its followers lose the channel, some of them in outrage);
 3. **followers: open** — a page has its first followers the step it opens;
 4. **brand: publish** — an active brand publishes Poisson(``posts_per_step``)
    posts, a share of them promotional, and pays for the step of presence;
 5. **paid: promote** — sponsored impressions are bought, bought likes added,
    and at ``paid.start_step`` the influencers start talking;
 6. **wom: talk** — agents talking at ``t`` pass their word (their current
    opinion) to each friend with ``wom.p_positive`` / ``wom.p_negative``
    (:func:`simulator.kernels.wom.spread_word`); run phase by phase, this is
    **feed: gather**, which draws the same words and collects them with
    amplified items, brand posts and sponsored items as candidates;
 7. **feed: show** — each agent sees at most ``attention`` candidates against
    the background items; seen items may be liked, shared, and win a follow;
 8. **crisis: expose**, then **market: advertise** — the page's followers see
    the threads of this step's public answers (the complaint, and the happy
    ending of a complainer won back); outside advertising reaches each unaware
    or undecided agent with ``market.p_advertising`` (the Bass model's p);
 9. **wom: listen** — each listener weighs all the word, brand posts and
    advertising of step ``t`` at once (brand posts may first put it off:
    ``brand.annoyance``); whoever changes opinion starts talking for
    ``wom.talk_steps`` steps (from ``t + 1``);
10. **feed: share** — sharers start talking again;
11. **market: buy** — fans buy with ``market.p_purchase``; a new customer is
    disappointed with ``1 - market.satisfaction`` and starts complaining;
12. **followers: churn** — followers unfollow with a hazard raised by low
    quality, over-posting, promotion and silence;
13. **wom: retire** — talk older than ``wom.talk_steps`` stops;
14. **record** — counts at the end of step ``t`` go to row ``t``, with the
    layers' series and the step's money (:mod:`simulator.components.ledger`).

The plain model is this plan with the platform components (crisis, followers,
brand, paid, feed) off: phases 6, 8, 9, 11, 13 and 14. Two exact shortcuts
run it faster, and :class:`StepPlan` picks them when they apply:

* :func:`simulator.kernels.wom.advance` runs those phases for many steps in
  one compiled call, and stops when nothing more can happen (no talk, no
  advertising, no fan left to buy), the last row carried forward. A
  return to Python per step would triple a small sweep run (measured: 0.56 ms
  for 100 steps at 10^4 agents in one call; each kernel call from Python
  costs about a microsecond, and a step makes six). ``tests/test_engine.py``
  checks that it gives the same counts, series and agent state as the plan
  run phase by phase with every platform component neutral
  (``stepwise=True``); only the layers' own bookkeeping differs, which the
  shortcut does not keep (the feed's impression and like counts, and the
  ledger's value of customers, which a run without any platform layer
  reports as 0).
* Within it, once nothing but fans' word can change anyone, the independent
  cascade runs to its end in one call
  (:func:`simulator.kernels.cascade.run_cascade`, checked in
  ``tests/test_kernels_cascade.py``).

Exact reductions the tests rely on: with ``wom.p_negative = 0``,
``wom.talk_steps = 1``, ``wom.impact_positive = 1`` and no purchases, the run
is the independent cascade with transmissibility ``wom.p_positive``; with
``market.p_advertising = p`` on a complete graph with ``p_positive = q/n`` and
talk that never stops, it is the discrete-time stochastic Bass model.

Adding a mechanism: its section in :mod:`simulator.params` (in ``SECTIONS``,
``ModelParams`` and ``Scenario``), its component
module in :mod:`simulator.components`, its series in
:data:`simulator.state.metrics.SERIES`, and one call of its phase in
:meth:`StepPlan.step`, at the point of the list above where it acts.
"""

from __future__ import annotations

import numpy as np

from simulator.components.brand import Brand
from simulator.components.crisis import Crisis
from simulator.components.feed import Feed
from simulator.components.followers import Followers
from simulator.components.ledger import Ledger
from simulator.components.market import Market
from simulator.components.paid import Paid
from simulator.components.wom import WordOfMouth
from simulator.graphs import Graph
from simulator.kernels.cascade import keep_skip_table, skip_table_for
from simulator.kernels.feed import BrandReach
from simulator.kernels.wom import advance
from simulator.params import ModelParams
from simulator.rng import StreamKeys
from simulator.state import metrics as M
from simulator.state.agents import AgentState, Heard


class StepPlan:
    """The components of one replicate and the order of their phases (see the module).

    Built at step 0: it seeds the state (``agents`` and ``counts`` are filled
    in place) and makes the talker list (:attr:`talkers`).

    Parameters
    ----------
    graph : Graph
    model : ModelParams
    agents : AgentState
        Everyone unaware (:meth:`AgentState.empty`).
    counts : int64 array, (N_COUNTS,)
        The running counts, zero.
    keys : StreamKeys
    stepwise : bool
        Run every step phase by phase even when no platform layer is on (the
        compiled shortcut's reference).
    """

    def __init__(self, graph: Graph, model: ModelParams, agents: AgentState, counts: np.ndarray,
                 keys: StreamKeys, stepwise: bool = False) -> None:
        self.graph, self.model, self.agents, self.counts, self.keys = graph, model, agents, counts, keys
        n = graph.n
        self.wom = WordOfMouth(model.wom, keys, graph)
        self.market = Market(model.market, n, keys)
        self.market.seed(model.seeding, agents)
        self.talkers = self.wom.seed(graph, model.seeding, agents, counts)
        #: Whether the plan runs as one compiled call (no platform layer on).
        self.compiled = not model.platform_on and not stepwise
        # The money is counted in every run: without the platform nothing costs, and the
        # value of the customers won is read from the counts after the compiled steps.
        self.ledger = Ledger(model.brand.value_per_customer, int(agents.customer.sum()),
                             model.brand.discount_rate)
        if self.compiled:
            return
        self.crisis = Crisis(model.crisis, model.brand, n, keys.crisis)
        self.brand = Brand(model.brand, keys.brand)
        self.followers = Followers(model.followers, model.brand, self.brand.page_opens,
                                   keys.followers)
        self.paid = Paid(model.paid, graph)
        self.feed = Feed(model.feed, model.followers, agents, keys)
        # listening's scratch, left zeroed each step, and what outlasts a step
        self.heard = Heard.zeros(n, brand=True, memory=self.wom.memory)
        self.followers.open(0, agents)

    def initial_layers(self) -> np.ndarray:
        """The layers row at step 0."""
        m = M.layers_start(self.graph.n)
        if not self.compiled:
            agents = self.agents
            m[M.P_FOLLOWERS] = agents.follower.sum()
            m[M.P_BELL] = agents.bell.sum()
            m[M.P_ON_PLATFORM] = agents.on_platform.sum()
        return m

    def run(self, t_start: int, t_stop: int, counts_series: np.ndarray, layers_series: np.ndarray,
            fused: bool = True) -> int:
        """Steps ``t_start .. t_stop - 1`` into rows of the series; returns the last step run.

        The compiled plan may stop early (nothing more can happen); the caller
        then carries the last row forward.
        """
        if self.compiled:
            p = self.wom.rule.p_positive
            skips = skip_table_for(p)
            last = advance(self.graph.indptr, self.graph.indices, self.agents, self.talkers,
                           self.counts, self.wom.rule, self.market.rule, self.keys,
                           self.wom.memory, t_start, t_stop, counts_series, skips, fused)
            keep_skip_table(p, skips)
            return last
        for t in range(t_start, t_stop):
            layers_series[t] = self.step(t)
            counts_series[t] = self.counts
        return t_stop - 1

    def count_money(self, counts_series: np.ndarray, layers_series: np.ndarray,
                    t_start: int, t_stop: int) -> None:
        """The compiled plan's money rows ``t_start .. t_stop - 1``: nothing is paid, and the
        value of the customers won comes from each step's counts (as the ledger counts it
        in step 14 of the plan run phase by phase)."""
        self.ledger.record_unpaid(counts_series[t_start:t_stop], layers_series[t_start:t_stop])

    def step(self, t: int) -> np.ndarray:
        """Step ``t``, phase by phase, as the module docstring lists them; returns its layers row."""
        agents, talkers, c, heard = self.agents, self.talkers, self.counts, self.heard
        wom, market, feed, brand, crisis = self.wom, self.market, self.feed, self.brand, self.crisis
        ledger = self.ledger
        talk_steps = wom.rule.talk_steps
        m = np.zeros(M.N_LAYERS)
        c[M.FLOWS_START : M.FLOWS_STOP] = 0
        ledger.open_step()
        # 1-2. crisis
        crisis.strike(t, talk_steps, agents, talkers, feed.item_likes, c)
        answered = crisis.respond(t, talk_steps, agents, talkers, feed.item_likes, ledger, c)
        # 3. followers: open
        self.followers.open(t, agents)
        followers_before = int(agents.follower.sum())
        # 4. brand: publish
        posts, promo = brand.publish(t, crisis.page_down, ledger)
        # 5. paid: promote
        n_sponsored, bought_likes = self.paid.promote(t, talk_steps, agents, talkers,
                                                      feed.item_likes, ledger, c)
        brand.add_likes(bought_likes)
        # 6. wom: talk, gathered by the feed with the brand's and the paid items
        word = feed.word_reach(wom.rule.p_positive, crisis.p_negative(wom.rule.p_negative),
                               talk_steps)
        reach = BrandReach(posts, brand.quality,
                           brand.visible_likes(t, posts, crisis.page_down, feed.params.max_age),
                           n_sponsored, self.paid.pool)
        feed.gather(t, self.graph, agents, talkers, word, reach, c)
        # 7. feed: show
        n_touched, likes_gained, brand_views, sharers = feed.show(t, agents, brand.likes, heard, m)
        brand.add_likes(likes_gained)
        # 8. crisis: expose (public answers' threads), then market: advertise
        n_touched = crisis.expose(t, agents, heard, n_touched)
        n_touched = market.advertise(t, agents, heard, n_touched, c)
        # 9. wom: listen (a brand post seen persuades like positive word of impact x quality)
        first_new = talkers.n
        hid = wom.listen(t, heard, n_touched, brand.impact(wom.rule.impact_positive), agents,
                         talkers, c, brand.irritation(self.model.followers.expected_quality))
        feed.new_talk(talkers, first_new)
        # 10. feed: share
        feed.share(t, sharers, talk_steps, agents, talkers, c)
        # 11. market: buy
        market.buy(t, talk_steps, agents, talkers, c)
        # 12. followers: churn
        self.followers.churn(t, posts, promo, brand.silent(t, crisis.page_down), agents, m)
        m[M.P_UNFOLLOWS] += hid  # the followers the posts put off hid the page
        # 13. wom: retire
        wom.retire(t, agents, talkers, c)
        wom.close_step(c)
        # 14. record
        self.followers.record(agents, m)
        brand.record(posts, brand_views, followers_before, m)
        feed.record(agents, m)
        crisis.record(t, answered, m)
        ledger.record(c, m)
        return m
