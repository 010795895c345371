"""Word-of-mouth kernels: talking, listening, advertising and purchases.

All kernels are serial on purpose: the work per step follows the word actually
passed (skip-sampling), not the edges, so 100 steps over 10^6 agents at mean
degree 130 cost about a second (``experiments/bench_scale.py``), and a sweep
gets its parallelism from running replicates on separate workers
(``experiments/bench_sweep.py``), which needs no synchronisation at all. Every random decision draws from a
counter-based generator keyed by ``(stream, step, agent)``, so results are the
same for any thread count and the same draws recur across strategies that
coincide (common random numbers).

Order inside one step ``t`` (the engine's docstring gives the full plan):

1. **talk**: every agent talking at ``t`` passes its word (its current opinion)
   to each friend independently with ``p_positive`` or ``p_negative``;
2. **advertise**: each agent is reached by the brand's outside advertising
   with ``p_advertising``;
3. **listen**: each listener weighs everything it received at ``t`` at once
   (order-free): an unaware or undecided listener is persuaded by one positive
   (negative) word with ``impact_positive`` (``impact_negative``) and by
   advertising for sure; a fan turns detractor with ``p_turn_negative`` per
   negative word, a detractor turns fan with ``p_turn_positive`` per positive
   word. Anyone whose opinion changes starts talking for ``talk_steps`` steps;
4. **buy**: each fan who is not yet a customer buys with ``p_purchase``; a new
   customer is disappointed with ``1 - satisfaction`` and turns detractor,
   complaining (talking) for ``talk_steps`` steps;
5. **record**: counts at the end of the step.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulator.core import metrics as M
from simulator.core.cascade import run_cascade
from simulator.core.state import Opinion
from simulator.rng import key_for, next_success, uniform

_POS = np.int8(Opinion.POSITIVE)
_NEG = np.int8(Opinion.NEGATIVE)
_UNAWARE = np.int8(Opinion.UNAWARE)
_NEUTRAL = np.int8(Opinion.NEUTRAL)


@njit(cache=True)
def spread_word(
    indptr, indices, talkers, n_talkers, opinion, p_positive, p_negative, wom_key, step,
    msg_target, msg_sentiment,
):
    """Sample the word the talkers pass to their friends in one step.

    Parameters
    ----------
    indptr : int64 (n+1,), indices : int32 (2m,)
        The friend graph (CSR).
    talkers : int32 (n,)
        The first ``n_talkers`` entries are the agents talking at ``step``.
    opinion : int8 (n,)
        A talker passes its current opinion (positive or negative word).
    p_positive, p_negative : float
        Per-friend, per-step probability of passing each kind of word.
    wom_key : uint64
        Stream key; talker ``i`` at ``step`` draws from ``key_for(wom_key, step, i)``.
    msg_target : int32 (cap,), msg_sentiment : int8 (cap,)
        Output buffers.

    Returns
    -------
    (int, int, int)
        Messages written, positive words passed, negative words passed. A word
        that cannot change its listener (positive word to a fan, negative word
        to a detractor: the listener's opinion is the one at the start of the
        step, which is what listening sees) is counted but not written; late in
        a cascade that is about half of all words. If the written messages
        exceed the buffers' capacity, only the first ``cap`` were stored and
        the caller must retry with larger buffers (the draws are deterministic,
        so a retry gives the same messages).
    """
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
            if opinion[j] != s:
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
def _start_talking(j, step, talk_steps, talk_until, talkers, n_talkers, in_list):
    talk_until[j] = step + talk_steps
    if in_list[j] == 0:
        in_list[j] = 1
        talkers[n_talkers] = j
        n_talkers += 1
    return n_talkers


@njit(cache=True)
def _set_opinion(j, new, opinion, customer, ever_aware, ever_positive, ever_negative, c):
    """Move agent ``j`` to opinion ``new`` and keep the running counts in ``c``."""
    old = opinion[j]
    if old == new:
        return
    opinion[j] = new
    # leave the old state
    if old == _UNAWARE:
        c[M.N_UNAWARE] -= 1
        c[M.N_AWARE] += 1
        c[M.NEW_AWARE] += 1
    elif old == _NEUTRAL:
        c[M.N_NEUTRAL] -= 1
    elif old == _POS:
        c[M.N_POSITIVE] -= 1
        if customer[j] == 0:
            c[M.N_BUYERS_LEFT] -= 1
    elif old == _NEG:
        c[M.N_NEGATIVE] -= 1
    # enter the new one
    if new == _NEUTRAL:
        c[M.N_NEUTRAL] += 1
    elif new == _POS:
        c[M.N_POSITIVE] += 1
        c[M.NEW_POSITIVE] += 1
        if customer[j] == 0:
            c[M.N_BUYERS_LEFT] += 1
        if ever_positive[j] == 0:
            ever_positive[j] = 1
            c[M.CUM_POSITIVE] += 1
    elif new == _NEG:
        c[M.N_NEGATIVE] += 1
        c[M.NEW_NEGATIVE] += 1
        if ever_negative[j] == 0:
            ever_negative[j] = 1
            c[M.CUM_NEGATIVE] += 1
    if ever_aware[j] == 0:
        ever_aware[j] = 1
        c[M.CUM_REACH] += 1


@njit(cache=True)
def listen(
    n_msgs, msg_target, msg_sentiment, n_ads, ad_target,
    opinion, talk_until, customer, ever_aware, ever_positive, ever_negative,
    talkers, n_talkers, in_list,
    impact_positive, impact_negative, p_turn_negative, p_turn_positive, talk_steps,
    listen_key, step,
    heard_pos, heard_neg, heard_ad, touched, c,
):
    """Apply one step's word and advertising to the listeners (order-free).

    Each listener ``j`` decides from the *numbers* of positive and negative
    words and advertising hits it received, with its own draws
    ``key_for(listen_key, step, j)``: the outcome does not depend on the order
    of the messages. ``heard_*`` (int32/uint8, (n,)) and ``touched`` (int32,
    (n,)) are zeroed scratch arrays and are left zeroed.

    Returns the new number of talkers (new talkers are appended).
    """
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
    n_touched = add_ads(n_ads, ad_target, heard_pos, heard_neg, heard_ad, touched, n_touched)
    return decide(
        n_touched, touched, heard_pos, heard_neg, heard_pos[:0], 0.0, heard_ad,
        opinion, talk_until, customer, ever_aware, ever_positive, ever_negative,
        talkers, n_talkers, in_list,
        impact_positive, impact_negative, p_turn_negative, p_turn_positive, talk_steps,
        listen_key, step, c,
    )


@njit(cache=True)
def add_ads(n_ads, ad_target, heard_pos, heard_neg, heard_ad, touched, n_touched):
    """Mark advertising hits; agents not yet listed are appended to ``touched``."""
    for m in range(n_ads):
        j = ad_target[m]
        if heard_pos[j] == 0 and heard_neg[j] == 0 and heard_ad[j] == 0:
            touched[n_touched] = j
            n_touched += 1
        heard_ad[j] = 1
    return n_touched


@njit(cache=True)
def decide(
    n_touched, touched, heard_pos, heard_neg, heard_brand, brand_impact, heard_ad,
    opinion, talk_until, customer, ever_aware, ever_positive, ever_negative,
    talkers, n_talkers, in_list,
    impact_positive, impact_negative, p_turn_negative, p_turn_positive, talk_steps,
    listen_key, step, c,
):
    """Each touched listener weighs what it heard and may change opinion.

    ``heard_brand`` (empty when there is no platform layer) counts brand posts
    seen; each persuades an unaware or undecided listener with
    ``brand_impact`` and counts as positive word for a detractor. Resets the
    ``heard_*`` entries it reads.
    """
    has_brand = heard_brand.size > 0
    for k in range(n_touched):
        j = touched[k]
        a = heard_pos[j]
        b = heard_neg[j]
        ad = heard_ad[j]
        nb = 0
        if has_brand:
            nb = heard_brand[j]
            heard_brand[j] = 0
        heard_pos[j] = 0
        heard_neg[j] = 0
        heard_ad[j] = 0
        op = opinion[j]
        state = key_for(listen_key, step, j)
        new = op
        if op == _UNAWARE or op == _NEUTRAL:
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
            _set_opinion(j, new, opinion, customer, ever_aware, ever_positive, ever_negative, c)
            if new == _POS or new == _NEG:
                n_talkers = _start_talking(j, step, talk_steps, talk_until, talkers, n_talkers, in_list)
    return n_talkers


@njit(cache=True)
def sample_agents(n, p, key, step, out):
    """Agents hit by an independent per-agent chance ``p`` this step (skip-sampling).

    Writes ids in increasing order into ``out`` (int32, (n,)) and returns how many.
    """
    if p <= 0.0:
        return 0
    count = 0
    lq = np.log1p(-p) if p < 1.0 else -np.inf
    # Slot n (no agent has that id) keys the population-wide sequence, so it
    # never coincides with an agent's own draws keyed by (step, j).
    state = key_for(key, step, n)
    j = -1
    while True:
        j, state = next_success(state, j, p, lq)
        if j >= n:
            break
        out[count] = j
        count += 1
    return count


@njit(cache=True)
def buy(
    n_hits, hits, opinion, talk_until, customer, ever_aware, ever_positive, ever_negative,
    talkers, n_talkers, in_list, satisfaction, talk_steps, purchase_key, step, c,
):
    """Fans among ``hits`` buy; a new customer is disappointed with ``1 - satisfaction``.

    A disappointed customer turns detractor and complains (talks) for
    ``talk_steps`` steps (Goldenberg et al. 2007, "The NPV of bad news").
    """
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
            _set_opinion(j, _NEG, opinion, customer, ever_aware, ever_positive, ever_negative, c)
            n_talkers = _start_talking(j, step, talk_steps, talk_until, talkers, n_talkers, in_list)
    return n_talkers


@njit(cache=True)
def retire_talkers(talkers, n_talkers, in_list, talk_until, opinion, next_step, c):
    """Drop agents whose talk is over before ``next_step``; count who still talks.

    Keeps the list's order (so the next step's draws are order-stable) and
    writes ``n_talking_positive`` / ``n_talking_negative`` into ``c``.
    """
    kept = 0
    n_pos = 0
    n_neg = 0
    for k in range(n_talkers):
        i = talkers[k]
        if talk_until[i] >= next_step and (opinion[i] == _POS or opinion[i] == _NEG):
            talkers[kept] = i
            kept += 1
            if opinion[i] == _POS:
                n_pos += 1
            else:
                n_neg += 1
        else:
            in_list[i] = 0
            if talk_until[i] < next_step:
                talk_until[i] = -1
    c[M.N_TALKING_POSITIVE] = n_pos
    c[M.N_TALKING_NEGATIVE] = n_neg
    return kept


@njit(cache=True)
def advance(
    indptr, indices,
    opinion, talk_until, customer, ever_aware, ever_positive, ever_negative,
    talkers, n_talkers, in_list, c,
    p_positive, p_negative, talk_steps, impact_positive, impact_negative,
    p_turn_negative, p_turn_positive, p_advertising, p_purchase, satisfaction,
    wom_key, listen_key, external_key, purchase_key,
    t_start, t_stop, series, fused=True,
):
    """Run word-of-mouth steps ``t_start .. t_stop-1`` (1-based step numbers).

    ``c`` (int64, (N_WOM_METRICS,)) holds the running counts and is updated in
    place; row ``t`` of ``series`` (int64, (steps+1, N_WOM_METRICS)) receives
    the counts at the end of step ``t``. Stops early when nothing more can
    happen (no talkers, no advertising, no fan left to buy); the caller then
    carries the last row forward.

    ``fused`` allows :func:`simulator.core.cascade.run_cascade` from the first
    step where it is exact (tests turn it off to check both paths agree).

    Returns ``(n_talkers, last_step_recorded)``.
    """
    n = opinion.size
    # The buffers of the general step, made at its first use: a pure cascade
    # never needs them (they are ~2 MB at 10^5 agents, half of it zeroed).
    cap = 0
    msg_target = np.empty(0, np.int32)
    msg_sentiment = np.empty(0, np.int8)
    hits = np.empty(0, np.int32)
    heard_pos = np.empty(0, np.int32)
    heard_neg = np.empty(0, np.int32)
    heard_ad = np.empty(0, np.uint8)
    touched = np.empty(0, np.int32)
    last = t_start - 1
    for t in range(t_start, t_stop):
        if n_talkers == 0 and p_advertising <= 0.0 and (p_purchase <= 0.0 or c[M.N_BUYERS_LEFT] == 0):
            break
        if (fused and impact_positive >= 1.0 and p_advertising <= 0.0 and p_purchase <= 0.0
                and c[M.N_NEGATIVE] == 0 and c[M.N_NEUTRAL] == 0):
            # Only word reaches the unaware, every word persuades and nobody is a
            # detractor or undecided: steps can only make fans, so this holds
            # until the end and one call runs the rest of the cascade.
            return run_cascade(
                indptr, indices,
                opinion, talk_until, ever_aware, ever_positive, talkers, n_talkers, in_list, c,
                p_positive, talk_steps, wom_key, t, t_stop, series,
            )
        for f in range(M.NEW_AWARE, M.CUM_REACH):
            c[f] = 0
        if cap == 0:
            # Big enough for most steps so the retry below is rare.
            cap = 1024 + n // 4
            msg_target = np.empty(cap, np.int32)
            msg_sentiment = np.empty(cap, np.int8)
            hits = np.empty(n, np.int32)
            heard_pos = np.zeros(n, np.int32)
            heard_neg = np.zeros(n, np.int32)
            heard_ad = np.zeros(n, np.uint8)
            touched = np.empty(n, np.int32)
        n_msgs, n_pos_words, n_neg_words = spread_word(
            indptr, indices, talkers, n_talkers, opinion, p_positive, p_negative, wom_key, t,
            msg_target, msg_sentiment,
        )
        if n_msgs > cap:
            cap = max(n_msgs, 2 * cap)
            msg_target = np.empty(cap, np.int32)
            msg_sentiment = np.empty(cap, np.int8)
            n_msgs, n_pos_words, n_neg_words = spread_word(
                indptr, indices, talkers, n_talkers, opinion, p_positive, p_negative, wom_key,
                t, msg_target, msg_sentiment,
            )
        c[M.NEW_WORD_POSITIVE] = n_pos_words
        c[M.NEW_WORD_NEGATIVE] = n_neg_words
        n_ads = sample_agents(n, p_advertising, external_key, t, hits)
        # Only the unaware and undecided are open to advertising.
        kept = 0
        for k in range(n_ads):
            j = hits[k]
            if opinion[j] == _UNAWARE or opinion[j] == _NEUTRAL:
                hits[kept] = j
                kept += 1
        c[M.NEW_ADVERTISING] = kept
        n_talkers = listen(
            n_msgs, msg_target, msg_sentiment, kept, hits,
            opinion, talk_until, customer, ever_aware, ever_positive, ever_negative,
            talkers, n_talkers, in_list,
            impact_positive, impact_negative, p_turn_negative, p_turn_positive, talk_steps,
            listen_key, t, heard_pos, heard_neg, heard_ad, touched, c,
        )
        if p_purchase > 0.0 and c[M.N_BUYERS_LEFT] > 0:
            n_hits = sample_agents(n, p_purchase, purchase_key, t, hits)
            n_talkers = buy(
                n_hits, hits, opinion, talk_until, customer, ever_aware, ever_positive,
                ever_negative, talkers, n_talkers, in_list, satisfaction, talk_steps,
                purchase_key, t, c,
            )
        n_talkers = retire_talkers(talkers, n_talkers, in_list, talk_until, opinion, t + 1, c)
        c[M.CUM_WORD_POSITIVE] += c[M.NEW_WORD_POSITIVE]
        c[M.CUM_WORD_NEGATIVE] += c[M.NEW_WORD_NEGATIVE]
        series[t, :] = c
        last = t
    return n_talkers, last
