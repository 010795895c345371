"""Word-of-mouth kernels: talking, listening, advertising and purchases.

All kernels are serial on purpose: the work per step follows the word actually
passed (skip-sampling), not the edges, so 100 steps over 10^6 agents at mean
degree 130 cost about a second (``experiments/bench_scale.py``), and a sweep
gets its parallelism from running replicates on separate workers
(``experiments/bench_sweep.py``), which needs no synchronisation at all. Every
random decision draws from a counter-based generator keyed by ``(stream, step,
agent)``, so results are the same for any thread count and the same draws recur
across strategies that coincide (common random numbers).

What each kernel does is one phase of the step plan
(:mod:`simulator.engine.plan`): :func:`spread_word` is word of mouth's *talk*,
:func:`listen` / :func:`decide` its *listen*, :func:`buy` the market's *buy*.
:func:`advance` runs the plan's phases for many steps in one call when only
word of mouth and the market are on (the plain model): the same kernels in the
same order, without a return to Python per step.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from simulator.kernels.agents import (
    remember,
    retire_talkers,
    sample_agents,
    set_opinion,
    start_talking,
)
from simulator.kernels.cascade import run_cascade
from simulator.rng import key_for, next_success, uniform
from simulator.state import metrics as M
from simulator.state.agents import Heard, Opinion

_POS = np.int8(Opinion.POSITIVE)
_NEG = np.int8(Opinion.NEGATIVE)
_UNAWARE = np.int8(Opinion.UNAWARE)
_NEUTRAL = np.int8(Opinion.NEUTRAL)


class WomRule(NamedTuple):
    """``[wom]`` as the kernels read it (see :class:`simulator.params.WomParams`)."""

    p_positive: float
    p_negative: float
    talk_steps: int
    impact_positive: float
    impact_negative: float
    p_turn_negative: float
    p_turn_positive: float
    contagion: int  #: SIMPLE or THRESHOLD

    @classmethod
    def of(cls, wom) -> WomRule:
        return cls(float(wom.p_positive), float(wom.p_negative), int(wom.talk_steps),
                   float(wom.impact_positive), float(wom.impact_negative),
                   float(wom.p_turn_negative), float(wom.p_turn_positive),
                   THRESHOLD if wom.contagion == "threshold" else SIMPLE)


#: ``wom.contagion``: each word persuades by its own chance / friends' word is
#: remembered and persuades at a threshold (:class:`~simulator.state.Memory`).
SIMPLE = 0
THRESHOLD = 1


class MarketRule(NamedTuple):
    """``[market]`` as the kernels read it (see :class:`simulator.params.MarketParams`)."""

    p_advertising: float
    p_purchase: float
    satisfaction: float

    @classmethod
    def of(cls, market) -> MarketRule:
        return cls(float(market.p_advertising), float(market.p_purchase), float(market.satisfaction))


class Messages(NamedTuple):
    """Word passed in one step: listener, sentiment and speaker of each message (buffers).

    ``sender`` is empty under simple contagion; under threshold contagion it is
    filled, and every word is kept (a listener remembers word it agrees with too).
    """

    target: np.ndarray  # int32 (cap,)
    sentiment: np.ndarray  # int8 (cap,)
    sender: np.ndarray  # int32 (cap,) or (0,)

    @staticmethod
    def empty(cap: int, threshold: bool) -> Messages:
        return Messages(np.empty(cap, np.int32), np.empty(cap, np.int8),
                        np.empty(cap if threshold else 0, np.int32))


@njit(cache=True)
def spread_word(indptr, indices, talker_list, opinion, p_positive, p_negative, wom_key, step, msgs):
    """Sample the word the talkers pass to their friends in one step.

    Parameters
    ----------
    indptr : int64 (n+1,), indices : int32 (2m,)
        The friend graph (CSR).
    talker_list : TalkerList
        The agents talking at ``step``.
    opinion : int8 (n,)
        A talker passes its current opinion (positive or negative word).
    p_positive, p_negative : float
        Per-friend, per-step probability of passing each kind of word.
    wom_key : uint64
        Stream key; talker ``i`` at ``step`` draws from ``key_for(wom_key, step, i)``.
    msgs : Messages
        Output buffers (``target`` int32 (cap,), ``sentiment`` int8 (cap,)).

    Returns
    -------
    (int, int, int)
        Messages written, positive words passed, negative words passed. Under
        simple contagion a word that cannot change its listener (positive word
        to a fan, negative word to a detractor: the listener's opinion is the
        one at the start of the step, which is what listening sees) is counted
        but not written; late in a cascade that is about half of all words.
        When ``msgs.sender`` is allocated (threshold contagion) every word is
        written, with its speaker, since a listener remembers word it agrees
        with as well. If the written messages
        exceed the buffers' capacity, only the first ``cap`` were stored and
        the caller must retry with larger buffers (the draws are deterministic,
        so a retry gives the same messages).
    """
    msg_target, msg_sentiment, msg_sender = msgs.target, msgs.sentiment, msgs.sender
    keep_all = msg_sender.size > 0
    n_talkers = talker_list.count[0]
    talkers = talker_list.ids
    cap = msg_target.size
    count = 0
    n_pos = 0
    n_neg = 0
    lq_pos = np.log1p(-p_positive) if p_positive < 1.0 else -np.inf
    lq_neg = np.log1p(-p_negative) if p_negative < 1.0 else -np.inf
    for k in range(n_talkers):
        i = talkers[k]
        s = opinion[i]
        if s == _POS:
            p = p_positive
            lq = lq_pos
        elif s == _NEG:
            p = p_negative
            lq = lq_neg
        else:
            continue
        if p <= 0.0:
            continue
        end = indptr[i + 1]
        passed = 0
        state = key_for(wom_key, step, i)
        pos = indptr[i] - 1
        while True:
            pos, state = next_success(state, pos, p, lq)
            if pos >= end:
                break
            passed += 1
            j = indices[pos]
            if keep_all:
                if count < cap:
                    msg_target[count] = j
                    msg_sentiment[count] = s
                    msg_sender[count] = i
                count += 1
            elif opinion[j] != s:
                if count < cap:
                    msg_target[count] = j
                    msg_sentiment[count] = s
                count += 1
        if s == _POS:
            n_pos += passed
        else:
            n_neg += passed
    return count, n_pos, n_neg


@njit(cache=True)
def advertise(n, p_advertising, external_key, step, opinion, hits):
    """Who outside advertising wins over this step: ids in ``hits[:returned]``, increasing.

    Each agent is reached with ``p_advertising`` (the Bass model's p); only the
    unaware and the undecided are open to it.
    """
    n_ads = sample_agents(n, p_advertising, external_key, step, hits)
    kept = 0
    for k in range(n_ads):
        j = hits[k]
        if opinion[j] == _UNAWARE or opinion[j] == _NEUTRAL:
            hits[kept] = j
            kept += 1
    return kept


@njit(cache=True)
def listen(n_msgs, msgs, n_ads, ad_target, agents, talkers, rule, listen_key, step, heard, c):
    """Apply one step's word and advertising to the listeners (order-free).

    Each listener ``j`` decides from the *numbers* of positive and negative
    words and advertising hits it received, with its own draws
    ``key_for(listen_key, step, j)``: the outcome does not depend on the order
    of the messages. ``heard`` is zeroed scratch (:class:`Heard`, its ``brand``
    empty) and is left zeroed. New talkers are appended to ``talkers``.
    """
    msg_target, msg_sentiment, msg_sender = msgs.target, msgs.sentiment, msgs.sender
    heard_pos, heard_neg, heard_ad, touched = heard.pos, heard.neg, heard.ad, heard.touched
    memory = heard.memory
    remembers = memory.bar.size > 0
    n_touched = 0
    for m in range(n_msgs):
        j = msg_target[m]
        if heard_pos[j] == 0 and heard_neg[j] == 0 and heard_ad[j] == 0:
            touched[n_touched] = j
            n_touched += 1
        if msg_sentiment[m] == _POS:
            heard_pos[j] += 1
        else:
            heard_neg[j] += 1
        if remembers:
            remember(memory, j, msg_sender[m], msg_sentiment[m])
    n_touched = add_ads(n_ads, ad_target, heard, n_touched)
    decide(n_touched, heard, 0.0, 0.0, agents, talkers, rule, listen_key, step, c)


@njit(cache=True)
def add_ads(n_ads, ad_target, heard, n_touched):
    """Mark advertising hits; agents not yet listed are appended to ``heard.touched``."""
    heard_pos, heard_neg, heard_ad, touched = heard.pos, heard.neg, heard.ad, heard.touched
    for m in range(n_ads):
        j = ad_target[m]
        if heard_pos[j] == 0 and heard_neg[j] == 0 and heard_ad[j] == 0:
            touched[n_touched] = j
            n_touched += 1
        heard_ad[j] = 1
    return n_touched


@njit(cache=True)
def listed_mask(heard, n_touched):
    """uint8 (n,): 1 for the agents in ``heard.touched[:n_touched]``.

    The feed lists every agent that had candidates, also those who saw none of them
    (all their counts zero), so whether an agent is listed cannot be read off its
    counts once the feed has run.
    """
    listed = np.zeros(heard.pos.size, np.uint8)
    touched = heard.touched
    for k in range(n_touched):
        listed[touched[k]] = 1
    return listed


@njit(cache=True)
def add_ads_after_feed(n_ads, ad_target, heard, n_touched):
    """:func:`add_ads` for a listener list the feed made: agents already listed are not
    listed again, whatever their counts (the list cannot overflow)."""
    if n_ads == 0:
        return n_touched
    listed = listed_mask(heard, n_touched)
    heard_ad, touched = heard.ad, heard.touched
    for m in range(n_ads):
        j = ad_target[m]
        if listed[j] == 0:
            listed[j] = 1
            touched[n_touched] = j
            n_touched += 1
        heard_ad[j] = 1
    return n_touched


@njit(cache=True, inline="always")
def _take_heard(heard, j):
    """What listener ``j`` took in this step, ``(positive, negative, advertising, brand)``;
    its entries are reset to zero for the next step (``brand`` is empty without a platform)."""
    a = heard.pos[j]
    b = heard.neg[j]
    ad = heard.ad[j]
    nb = 0
    if heard.brand.size > 0:
        nb = heard.brand[j]
        heard.brand[j] = 0
    heard.pos[j] = 0
    heard.neg[j] = 0
    heard.ad[j] = 0
    return a, b, ad, nb


@njit(cache=True)
def decide(n_touched, heard, brand_impact, brand_irritation, agents, talkers, rule, listen_key,
           step, c):
    """Each touched listener weighs what it heard and may change opinion; returns how many
    followers hid the brand's page.

    ``heard.brand`` (empty when there is no platform layer) counts brand posts
    seen; each persuades an unaware or undecided listener with
    ``brand_impact`` and counts as positive word for a detractor. Before that,
    the posts may put the listener off: with ``1 - (1 - brand_irritation) **
    posts`` (one draw, taken only when ``brand_irritation > 0``) the listener
    turns detractor whatever else it heard, and a follower hides the page
    (``agents.follower`` and ``agents.bell`` cleared). Resets the
    ``heard`` entries it reads; whoever changes to fan or detractor starts
    talking (appended to ``talkers``).

    Under threshold contagion friends' word persuades through memory instead
    of by chance: with ``P`` / ``N`` the friends whose latest word was positive
    / negative, a listener is persuaded positive when ``P - N`` is positive and
    at least its bar, negative when ``N - P`` is; this holds for the unaware,
    the undecided, fans and detractors alike. Advertising and brand posts keep
    their chances (they are not friends).
    """
    touched = heard.touched
    opinion, talk_until, customer = agents.opinion, agents.talk_until, agents.customer
    ever_aware, ever_positive, ever_negative = agents.ever_aware, agents.ever_positive, agents.ever_negative
    ids, in_list = talkers.ids, talkers.in_list
    n_talkers = talkers.count[0]
    impact_positive, impact_negative = rule.impact_positive, rule.impact_negative
    p_turn_negative, p_turn_positive, talk_steps = rule.p_turn_negative, rule.p_turn_positive, rule.talk_steps
    if rule.contagion == THRESHOLD:
        return _decide_by_threshold(n_touched, heard, brand_impact, brand_irritation, agents,
                                    talkers, rule, listen_key, step, c)
    hidden = 0
    for k in range(n_touched):
        j = touched[k]
        a, b, ad, nb = _take_heard(heard, j)
        op = opinion[j]
        state = key_for(listen_key, step, j)
        new = op
        put_off, state = _put_off(nb, brand_irritation, state)
        if put_off:
            new = _NEG
            hidden += _hide_page(j, agents)
        elif op == _UNAWARE or op == _NEUTRAL:
            # Draws are taken only when needed, in a fixed order (positive,
            # negative, tie-break), so the outcome is the same on any schedule.
            pos_ok = False
            neg_ok = False
            if ad:
                pos_ok = True
            elif a > 0 or nb > 0:
                if impact_positive >= 1.0 and a > 0:
                    pos_ok = True
                else:
                    u1, state = uniform(state)
                    fail = (1.0 - impact_positive) ** a
                    if nb > 0:
                        fail *= (1.0 - brand_impact) ** nb
                    pos_ok = u1 >= fail
            if b > 0:
                if impact_negative >= 1.0:
                    neg_ok = True
                else:
                    u2, state = uniform(state)
                    neg_ok = u2 >= (1.0 - impact_negative) ** b
            if pos_ok and neg_ok:
                # Both kinds persuaded: side with each in proportion to how much was heard.
                u3, state = uniform(state)
                new = _POS if u3 * (a + nb + ad + b) < (a + nb + ad) else _NEG
            elif pos_ok:
                new = _POS
            elif neg_ok:
                new = _NEG
            elif a + b + ad + nb > 0:  # heard or saw something: aware, undecided
                new = _NEUTRAL
        elif op == _POS and b > 0:
            u1, state = uniform(state)
            if u1 >= (1.0 - p_turn_negative) ** b:
                new = _NEG
        elif op == _NEG and a + nb > 0:
            u1, state = uniform(state)
            if u1 >= (1.0 - p_turn_positive) ** (a + nb):
                new = _POS
        if new != op:
            set_opinion(j, new, opinion, customer, ever_aware, ever_positive, ever_negative, c)
            if new == _POS or new == _NEG:
                n_talkers = start_talking(j, step, talk_steps, talk_until, ids, n_talkers, in_list)
    talkers.count[0] = n_talkers
    return hidden


@njit(cache=True, inline="always")
def _put_off(nb, irritation, state):
    """Whether ``nb`` brand posts seen put a listener off (no draw when they cannot)."""
    if nb == 0 or irritation <= 0.0:
        return False, state
    u, state = uniform(state)
    return u >= (1.0 - irritation) ** nb, state


@njit(cache=True, inline="always")
def _hide_page(j, agents):
    """A listener put off by the brand hides its page: 1 if it was following."""
    if agents.follower.size == 0 or agents.follower[j] == 0:
        return 0
    agents.follower[j] = 0
    agents.bell[j] = 0
    return 1


@njit(cache=True)
def _decide_by_threshold(n_touched, heard, brand_impact, brand_irritation, agents, talkers, rule,
                         listen_key, step, c):
    """:func:`decide` under threshold contagion (see there)."""
    touched = heard.touched
    mem_pos, mem_neg, bar = heard.memory.pos, heard.memory.neg, heard.memory.bar
    opinion, talk_until, customer = agents.opinion, agents.talk_until, agents.customer
    ever_aware, ever_positive, ever_negative = agents.ever_aware, agents.ever_positive, agents.ever_negative
    ids, in_list = talkers.ids, talkers.in_list
    n_talkers = talkers.count[0]
    p_turn_positive, talk_steps = rule.p_turn_positive, rule.talk_steps
    hidden = 0
    for k in range(n_touched):
        j = touched[k]
        a, b, ad, nb = _take_heard(heard, j)
        net = mem_pos[j] - mem_neg[j]
        pos_met = net > 0 and net >= bar[j]
        neg_met = net < 0 and -net >= bar[j]
        op = opinion[j]
        state = key_for(listen_key, step, j)
        new = op
        put_off, state = _put_off(nb, brand_irritation, state)
        if put_off:
            new = _NEG
            hidden += _hide_page(j, agents)
        elif op == _UNAWARE or op == _NEUTRAL:
            pos_ok = ad != 0 or pos_met
            if not pos_ok and nb > 0:
                u1, state = uniform(state)
                pos_ok = u1 >= (1.0 - brand_impact) ** nb
            if pos_ok and neg_met:
                # Advertising or the brand against friends' net negative word: side with
                # each in proportion to how much was heard.
                u3, state = uniform(state)
                new = _POS if u3 * (mem_pos[j] + nb + ad + mem_neg[j]) < (mem_pos[j] + nb + ad) else _NEG
            elif pos_ok:
                new = _POS
            elif neg_met:
                new = _NEG
            elif a + b + ad + nb > 0:
                new = _NEUTRAL
        elif op == _POS and neg_met:
            new = _NEG
        elif op == _NEG:
            if pos_met:
                new = _POS
            elif nb > 0:
                u1, state = uniform(state)
                if u1 >= (1.0 - p_turn_positive) ** nb:
                    new = _POS
        if new != op:
            set_opinion(j, new, opinion, customer, ever_aware, ever_positive, ever_negative, c)
            if new == _POS or new == _NEG:
                n_talkers = start_talking(j, step, talk_steps, talk_until, ids, n_talkers, in_list)
    talkers.count[0] = n_talkers
    return hidden


@njit(cache=True)
def buy(n_hits, hits, agents, talkers, satisfaction, talk_steps, purchase_key, step, c):
    """Fans among ``hits`` buy; a new customer is disappointed with ``1 - satisfaction``.

    A disappointed customer turns detractor and complains (talks) for
    ``talk_steps`` steps (Goldenberg et al. 2007, "The NPV of bad news").
    """
    opinion, talk_until, customer = agents.opinion, agents.talk_until, agents.customer
    ever_aware, ever_positive, ever_negative = agents.ever_aware, agents.ever_positive, agents.ever_negative
    ids, in_list = talkers.ids, talkers.in_list
    n_talkers = talkers.count[0]
    for k in range(n_hits):
        j = hits[k]
        if opinion[j] != _POS or customer[j] != 0:
            continue
        customer[j] = 1
        c[M.N_CUSTOMERS] += 1
        c[M.CUM_CUSTOMERS] += 1
        c[M.NEW_CUSTOMERS] += 1
        c[M.N_BUYERS_LEFT] -= 1
        u, _ = uniform(key_for(purchase_key, step, j))
        if u >= satisfaction:
            c[M.NEW_DISAPPOINTED] += 1
            set_opinion(j, _NEG, opinion, customer, ever_aware, ever_positive, ever_negative, c)
            n_talkers = start_talking(j, step, talk_steps, talk_until, ids, n_talkers, in_list)
    talkers.count[0] = n_talkers


@njit(cache=True)
def advance(indptr, indices, agents, talkers, c, rule, market, keys, memory, t_start, t_stop,
            series, skips, fused=True):
    """Run the plain model's steps ``t_start .. t_stop-1`` (1-based step numbers).

    The step plan with only word of mouth and the market on: *talk*
    (:func:`spread_word`), *advertise*, *listen* (:func:`listen`), *buy*
    (:func:`buy`), *retire*, *record*. ``c`` (int64, (N_COUNTS,)) holds the
    running counts and is updated in place; row ``t`` of ``series`` (int64,
    (steps+1, N_COUNTS)) receives the counts at the end of step ``t``. Stops
    early when nothing more can happen (no talkers, no advertising, no fan
    left to buy); the caller then carries the last row forward.

    ``rule`` is a :class:`WomRule`, ``market`` a :class:`MarketRule`, ``keys``
    the replicate's :class:`~simulator.rng.StreamKeys`, ``memory`` the
    friends' word remembered (:class:`~simulator.state.Memory`, empty under
    simple contagion), ``skips`` the cascade's
    :class:`~simulator.kernels.cascade.SkipTable` for ``rule.p_positive``. ``fused`` allows
    :func:`simulator.kernels.cascade.run_cascade` from the first step where it
    is exact (tests turn it off to check both paths agree).

    Returns the last step recorded.
    """
    opinion = agents.opinion
    n = opinion.size
    # The buffers of the general step, made at its first use: a pure cascade
    # never needs them (they are ~2 MB at 10^5 agents, half of it zeroed).
    cap = 0
    threshold = rule.contagion == THRESHOLD
    msgs = Messages(np.empty(0, np.int32), np.empty(0, np.int8), np.empty(0, np.int32))
    hits = np.empty(0, np.int32)
    heard = Heard(np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0, np.int32),
                  np.empty(0, np.uint8), np.empty(0, np.int32), memory)
    p_advertising, p_purchase = market.p_advertising, market.p_purchase
    last = t_start - 1
    for t in range(t_start, t_stop):
        nobody_buys = p_purchase <= 0.0 or c[M.N_BUYERS_LEFT] == 0
        if talkers.count[0] == 0 and p_advertising <= 0.0 and nobody_buys:
            break
        if (fused and not threshold and rule.impact_positive >= 1.0 and p_advertising <= 0.0
                and p_purchase <= 0.0 and c[M.N_NEGATIVE] == 0 and c[M.N_NEUTRAL] == 0):
            # Only word reaches the unaware, every word persuades and nobody is a
            # detractor or undecided: steps can only make fans, so this holds
            # until the end and one call runs the rest of the cascade.
            return run_cascade(indptr, indices, agents, talkers, c, rule.p_positive,
                               rule.talk_steps, keys.wom, t, t_stop, series, skips)
        for f in range(M.FLOWS_START, M.FLOWS_STOP):
            c[f] = 0
        if cap == 0:
            # Big enough for most steps so the retry below is rare.
            cap = 1024 + n // 4
            msgs = Messages(np.empty(cap, np.int32), np.empty(cap, np.int8),
                            np.empty(cap if threshold else 0, np.int32))
            hits = np.empty(n, np.int32)
            heard = Heard(np.zeros(n, np.int32), np.zeros(n, np.int32), np.empty(0, np.int32),
                          np.zeros(n, np.uint8), np.empty(n, np.int32), memory)
        n_msgs, n_pos_words, n_neg_words = spread_word(
            indptr, indices, talkers, opinion, rule.p_positive, rule.p_negative, keys.wom, t, msgs
        )
        if n_msgs > cap:
            cap = max(n_msgs, 2 * cap)
            msgs = Messages(np.empty(cap, np.int32), np.empty(cap, np.int8),
                            np.empty(cap if threshold else 0, np.int32))
            n_msgs, n_pos_words, n_neg_words = spread_word(
                indptr, indices, talkers, opinion, rule.p_positive, rule.p_negative, keys.wom, t,
                msgs
            )
        c[M.NEW_WORD_POSITIVE] = n_pos_words
        c[M.NEW_WORD_NEGATIVE] = n_neg_words
        kept = advertise(n, p_advertising, keys.external, t, opinion, hits)
        c[M.NEW_ADVERTISING] = kept
        listen(n_msgs, msgs, kept, hits, agents, talkers, rule, keys.listen, t, heard, c)
        if p_purchase > 0.0 and c[M.N_BUYERS_LEFT] > 0:
            n_hits = sample_agents(n, p_purchase, keys.purchase, t, hits)
            buy(n_hits, hits, agents, talkers, market.satisfaction, rule.talk_steps, keys.purchase,
                t, c)
        retire_talkers(agents, talkers, t + 1, c)
        c[M.CUM_WORD_POSITIVE] += c[M.NEW_WORD_POSITIVE]
        c[M.CUM_WORD_NEGATIVE] += c[M.NEW_WORD_NEGATIVE]
        for k in range(c.size):  # not series[t, :] = c: numba compiles a slice copy's
            series[t, k] = c[k]  # shape check slowly (about 2.5 s of a first run)
        last = t
    return last
