"""The writes every mechanism shares: opinions with their running counts, and the talker list.

A component changes an agent's opinion only through :func:`set_opinion` (so
the ``n_``/``new_``/``cum_`` counts stay exact) and makes an agent talk only
through :func:`start_talking` / :func:`start_talk_many`; talk ends in
:func:`retire_talkers`. :func:`sample_agents` draws who a population-wide
chance hits (advertising, purchases).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from simulator.rng import key_for, next_success
from simulator.state import metrics as M
from simulator.state.agents import Opinion

_POS = np.int8(Opinion.POSITIVE)
_NEG = np.int8(Opinion.NEGATIVE)
_UNAWARE = np.int8(Opinion.UNAWARE)
_NEUTRAL = np.int8(Opinion.NEUTRAL)


@njit(cache=True)
def count_opinions(opinion, customer, c):
    """Set the ``n_`` counts in ``c`` from the opinions and customers, in one pass.

    What :func:`simulator.engine.simulation.recount` means; seven NumPy counts
    over the arrays cost a tenth of a small sweep run.
    """
    unaware = neutral = positive = negative = customers = buyers_left = 0
    for i in range(opinion.size):
        o = opinion[i]
        bought = customer[i] != 0
        customers += bought
        if o == _UNAWARE:
            unaware += 1
        elif o == _NEUTRAL:
            neutral += 1
        elif o == _POS:
            positive += 1
            buyers_left += not bought
        elif o == _NEG:
            negative += 1
    c[M.N_UNAWARE] = unaware
    c[M.N_AWARE] = opinion.size - unaware
    c[M.N_NEUTRAL] = neutral
    c[M.N_POSITIVE] = positive
    c[M.N_NEGATIVE] = negative
    c[M.N_CUSTOMERS] = customers
    c[M.N_BUYERS_LEFT] = buyers_left


@njit(cache=True)
def start_talking(j, step, talk_steps, talk_until, ids, n_talkers, in_list):
    """Agent ``j`` talks from ``step + 1`` for ``talk_steps`` steps; returns the new list length.

    Takes the list's arrays and length rather than a :class:`TalkerList`: it
    runs once per new talker inside other kernels, where passing the tuple
    would cost reference-count updates per call.
    """
    talk_until[j] = step + talk_steps
    if in_list[j] == 0:
        in_list[j] = 1
        ids[n_talkers] = j
        n_talkers += 1
    return n_talkers


@njit(cache=True)
def set_opinion(j, new, opinion, customer, ever_aware, ever_positive, ever_negative, c):
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
def start_talk_many(who, sentiment, agents, talkers, item_likes, talk_steps, step, c):
    """Agents ``who`` (int32) start (or restart) talking; ``sentiment`` < 0 keeps their opinion.

    Used for the crisis's complainers and influencer seeding (a set opinion)
    and for sharers (who repeat what they already think). A new talk episode
    is a new item with no likes yet (``item_likes``, int32 (n,)).
    """
    opinion = agents.opinion
    n_talkers = talkers.count[0]
    for k in range(who.size):
        j = who[k]
        new = opinion[j] if sentiment < 0 else np.int8(sentiment)
        if new != _POS and new != _NEG:
            continue
        if new != opinion[j]:
            set_opinion(j, new, opinion, agents.customer, agents.ever_aware, agents.ever_positive,
                        agents.ever_negative, c)
        item_likes[j] = 0
        n_talkers = start_talking(j, step, talk_steps, agents.talk_until, talkers.ids, n_talkers,
                                  talkers.in_list)
    talkers.count[0] = n_talkers


@njit(cache=True)
def retire_talkers(agents, talkers, next_step, c):
    """Drop agents whose talk is over before ``next_step``; count who still talks.

    Keeps the list's order (so the next step's draws are order-stable) and
    writes ``n_talking_positive`` / ``n_talking_negative`` into ``c``.
    """
    ids, in_list, talk_until, opinion = talkers.ids, talkers.in_list, agents.talk_until, agents.opinion
    kept = 0
    n_pos = 0
    n_neg = 0
    for k in range(talkers.count[0]):
        i = ids[k]
        if talk_until[i] >= next_step and (opinion[i] == _POS or opinion[i] == _NEG):
            ids[kept] = i
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
    talkers.count[0] = kept


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


@njit(cache=True, inline="always")
def remember(memory, j, i, sentiment):
    """Listener ``j`` heard friend ``i`` say ``sentiment``: keep it as ``i``'s latest word.

    ``i``'s slot is found by bisection in ``j``'s sorted row; word from someone
    who is not a friend (the feed's amplified word) is not remembered.
    """
    indices = memory.indices
    lo = memory.indptr[j]
    hi = memory.indptr[j + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if indices[mid] < i:
            lo = mid + 1
        else:
            hi = mid
    if lo == memory.indptr[j + 1] or indices[lo] != i:
        return
    old = memory.word[lo]
    if old == sentiment:
        return
    if old == _POS:
        memory.pos[j] -= 1
    elif old == _NEG:
        memory.neg[j] -= 1
    memory.word[lo] = sentiment
    if sentiment == _POS:
        memory.pos[j] += 1
    else:
        memory.neg[j] += 1
