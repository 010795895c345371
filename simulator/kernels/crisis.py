"""The crisis desk's kernel: answering complaints (:mod:`simulator.components.crisis`)."""

from __future__ import annotations

import numpy as np
from numba import njit

from simulator.kernels.agents import set_opinion
from simulator.kernels.wom import listed_mask
from simulator.rng import key_for, uniform
from simulator.state.agents import Opinion

_POS = np.int8(Opinion.POSITIVE)
_NEG = np.int8(Opinion.NEGATIVE)


@njit(cache=True)
def answer_complaints(agents, talkers, capacity, p_win_back, talk_steps, key, step, c,
                      answered_ids, won_back):
    """Answer up to ``capacity`` negative talkers, in talker-list order; return how many.

    With ``p_win_back`` an answered agent turns positive (running counts kept
    in ``c``) and talks from step ``step`` for ``talk_steps`` steps; otherwise
    its talk ends before ``step`` (the caller retires it). When
    ``answered_ids`` (int32) is not empty, the k-th answered agent is written
    to ``answered_ids[k]`` and whether it was won back to ``won_back[k]``
    (uint8): the threads a public answer exposes.
    """
    opinion, talk_until = agents.opinion, agents.talk_until
    ids = talkers.ids
    keep = answered_ids.size > 0
    answered = 0
    for k in range(talkers.count[0]):
        if answered >= capacity:
            break
        j = ids[k]
        if opinion[j] != _NEG or talk_until[j] < step:
            continue
        u, _ = uniform(key_for(key, step, j))
        won = u < p_win_back
        if keep:
            answered_ids[answered] = j
            won_back[answered] = 1 if won else 0
        answered += 1
        if won:
            set_opinion(j, _POS, opinion, agents.customer, agents.ever_aware, agents.ever_positive,
                        agents.ever_negative, c)
            talk_until[j] = step - 1 + talk_steps  # already in the talker list
        else:
            talk_until[j] = step - 1
    return answered


@njit(cache=True)
def add_word(viewers, positive, heard, n_touched):
    """``viewers[k]`` (int32) takes in one word, positive where ``positive[k]`` (uint8) is set,
    else negative, as if from someone who is not a friend (threshold memory is not written);
    agents not yet listed are appended to ``heard.touched``. Returns the new number touched."""
    heard_pos, heard_neg, touched = heard.pos, heard.neg, heard.touched
    listed = listed_mask(heard, n_touched)  # read off the list: the feed's may hold zeros
    for k in range(viewers.size):
        j = viewers[k]
        if listed[j] == 0:
            listed[j] = 1
            touched[n_touched] = j
            n_touched += 1
        if positive[k]:
            heard_pos[j] += 1
        else:
            heard_neg[j] += 1
    return n_touched
