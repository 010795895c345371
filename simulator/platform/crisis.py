"""A crisis, the brand's monitoring, and its response (``[crisis]``).

The documents' two stories (``../shared/seeds/DIGEST.md``): a bus company
that monitored, found a passenger's complaint and answered within hours, and
the crisis ended; a phone operator whose network went down and that took its
page down, and the complaints went elsewhere, louder. In the model:

* **the failure**: at ``crisis.step`` each customer independently, with
  ``crisis.share``, turns negative and starts talking for ``crisis.duration``
  steps (an outage: they complain while it lasts);
* **monitoring**: at the start of each step an active brand looks at how
  many agents talked negatively in the last step; the first time that share
  reaches ``detection_threshold`` it notices, and it acts ``detection_delay``
  steps later (the *detection step*). A brand that ignores the platform never
  notices. Monitoring watches all negative talk, whatever its cause, so a
  brand with many disappointed customers can notice without a crisis;
* **respond**: from the detection step, while the brand is active, it answers
  up to ``capacity`` complainers per step, first come first served (the order
  in which they started talking). An answered complainer stops complaining;
  with ``p_win_back`` it turns positive and tells its friends for
  ``wom.talk_steps`` steps (Huang et al. 2018: 69% of answered complainers
  feel more favourable, 82% of them shared the good experience), else it
  stays negative but silent;
* **take_down**: at the detection step the page goes down for good: the
  brand posts no more, its followers and bell subscribers lose the channel
  (their counts drop to zero), and complaints spill into friends' feeds with
  more force: ``p_negative x (1 + takedown_boost)`` (the Streisand effect);
* **silent**: nothing; detection is still recorded.

All draws are counter-based on the ``crisis`` stream, keyed by step and agent,
so two variants that differ only in their response share every draw until the
detection step (common random numbers).
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulator.core.state import Opinion
from simulator.core.wom import _set_opinion
from simulator.platform.sections import BrandParams, CrisisParams
from simulator.rng import key_for, uniform

_POS = np.int8(Opinion.POSITIVE)
_NEG = np.int8(Opinion.NEGATIVE)


@njit(cache=True)
def answer_complaints(talkers, n_talkers, capacity, p_win_back, opinion, talk_until, customer,
                      ever_aware, ever_positive, ever_negative, talk_steps, key, step, c):
    """Answer up to ``capacity`` negative talkers, in talker-list order; return how many.

    With ``p_win_back`` an answered agent turns positive (running counts kept
    in ``c``) and talks from step ``step`` for ``talk_steps`` steps; otherwise
    its talk ends before ``step`` (the caller retires it).
    """
    answered = 0
    for k in range(n_talkers):
        if answered >= capacity:
            break
        j = talkers[k]
        if opinion[j] != _NEG or talk_until[j] < step:
            continue
        answered += 1
        u, _ = uniform(key_for(key, step, j))
        if u < p_win_back:
            _set_opinion(j, _POS, opinion, customer, ever_aware, ever_positive, ever_negative, c)
            talk_until[j] = step - 1 + talk_steps  # already in the talker list
        else:
            talk_until[j] = step - 1
    return answered


class CrisisDesk:
    """The crisis event, monitoring and response of one replicate.

    ``detection_step`` is -1 until the brand has noticed; after that it is the
    step from which the brand acts (noticed + ``detection_delay``).
    """

    def __init__(self, crisis: CrisisParams, brand: BrandParams, n: int, key: int) -> None:
        self.crisis, self.brand, self.n, self.key = crisis, brand, n, np.uint64(key)
        self.detection_step = -1
        self.page_down = False
        # At least one complainer: a zero threshold must not "notice" silence.
        self.threshold = max(1, math.ceil(crisis.detection_threshold * n))

    def victims(self, customer: np.ndarray, t: int) -> np.ndarray:
        """The customers the failure at step ``t`` turns into complainers (int32, sorted)."""
        if t != self.crisis.step or self.crisis.share <= 0.0:
            return np.empty(0, np.int32)
        rng = np.random.Generator(np.random.PCG64([int(self.key), t]))
        hit = (rng.random(customer.size) < self.crisis.share) & (customer == 1)
        return np.flatnonzero(hit).astype(np.int32)

    def monitor(self, t: int, talking_negative: int) -> None:
        """Look at the last step's negative talk; notice it once it reaches the threshold."""
        if self.detection_step < 0 and self.brand.active_at(t) and talking_negative >= self.threshold:
            self.detection_step = t + self.crisis.detection_delay

    def acting(self, t: int) -> bool:
        """Whether the response runs at step ``t``."""
        return 0 <= self.detection_step <= t

    def detection_metric(self, t: int) -> int:
        """The ``detection_step`` series value at ``t``: the step, once reached; else -1."""
        return self.detection_step if self.acting(t) else -1

    def respond(self, sim, t: int) -> int:
        """Answer complaints at step ``t`` (policy ``respond``); return how many."""
        crisis = self.crisis
        if crisis.response != "respond" or not self.acting(t) or not self.brand.active_at(t):
            return 0
        s = sim.state
        answered = answer_complaints(
            sim.talkers, sim.n_talkers, crisis.capacity, crisis.p_win_back, s.opinion,
            s.talk_until, s.customer, s.ever_aware, s.ever_positive, s.ever_negative,
            sim.wom.talk_steps, self.key, t, sim.counts,
        )
        return int(answered)

    def take_down(self, state, t: int) -> None:
        """Take the page down at the detection step (policy ``take_down``)."""
        if self.crisis.response == "take_down" and not self.page_down and self.acting(t):
            self.page_down = True
            state.follower[:] = 0
            state.bell[:] = 0

    def p_negative(self, p_negative: float) -> float:
        """Negative word's per-friend probability, louder once the page is down."""
        if self.page_down:
            return min(1.0, p_negative * (1.0 + self.crisis.takedown_boost))
        return p_negative

