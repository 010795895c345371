"""The crisis desk's kernel: answering complaints (:mod:`simulator.components.crisis`)."""

from __future__ import annotations

import numpy as np
from numba import njit

from simulator.kernels.agents import set_opinion
from simulator.rng import key_for, uniform
from simulator.state.agents import Opinion

_POS = np.int8(Opinion.POSITIVE)
_NEG = np.int8(Opinion.NEGATIVE)


@njit(cache=True)
def answer_complaints(agents, talkers, capacity, p_win_back, talk_steps, key, step, c):
    """Answer up to ``capacity`` negative talkers, in talker-list order; return how many.

    With ``p_win_back`` an answered agent turns positive (running counts kept
    in ``c``) and talks from step ``step`` for ``talk_steps`` steps; otherwise
    its talk ends before ``step`` (the caller retires it).
    """
    opinion, talk_until = agents.opinion, agents.talk_until
    ids = talkers.ids
    answered = 0
    for k in range(talkers.count[0]):
        if answered >= capacity:
            break
        j = ids[k]
        if opinion[j] != _NEG or talk_until[j] < step:
            continue
        answered += 1
        u, _ = uniform(key_for(key, step, j))
        if u < p_win_back:
            set_opinion(j, _POS, opinion, agents.customer, agents.ever_aware, agents.ever_positive,
                        agents.ever_negative, c)
            talk_until[j] = step - 1 + talk_steps  # already in the talker list
        else:
            talk_until[j] = step - 1
    return answered
