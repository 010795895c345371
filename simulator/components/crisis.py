"""A crisis, the brand's monitoring, and its response (``[crisis]``).

The two stories of the source documents (the README's *Stories*): a bus company that
monitored, found a passenger's complaint and answered within hours, and the
crisis ended; a phone operator whose network went down and that took its page
down, and the complaints went elsewhere, louder. In the model:

* **the failure** (phase *strike*): at ``crisis.step`` each customer
  independently, with ``crisis.share``, turns negative and starts talking for
  ``crisis.duration`` steps (an outage: they complain while it lasts);
* **monitoring** (phase *respond*): at the start of each step an active brand
  looks at how many agents talked negatively in the last step; the first time
  that share reaches ``detection_threshold`` it notices, and it acts
  ``detection_delay`` steps later (the *detection step*). A brand that
  ignores the platform never notices. Monitoring watches all negative talk,
  whatever its cause, so a brand with many disappointed customers can notice
  without a crisis;
* **respond**: from the detection step, while the brand is active, it answers
  up to ``capacity`` complainers per step (or ``capacity_share`` of the
  population), first come first served (the order
  in which they started talking). An answered complainer stops complaining;
  with ``p_win_back`` it turns positive and tells its friends for
  ``wom.talk_steps`` steps (Huang et al. 2018: 69% of answered complainers
  feel more favourable, 82% of them shared the good experience), else it
  stays negative but silent;
* **public answers** (``answer_exposure`` > 0): an answer is given in the open, on
  the page, so its thread is seen by Poisson(``answer_exposure``) of the page's
  followers: each viewer takes in the complaint as one negative word and, if
  the answer won the complainer back, the happy ending as one positive word
  (phase *expose*, after the feed and before listening). Whether answering in
  public helps or harms then turns on ``p_win_back`` (complaint
  publicization, J. Marketing 2021: detailed public exchanges expose the
  complaint to more people; Herhausen et al. 2019: moving to a private channel
  limits virality). At 0 answers are private, as a channel change. Under
  threshold contagion a thread is not a friend's word: it makes its viewers
  aware, and persuades no one;
* **compensation** (``compensation`` > 0): each answer also pays that much and
  wins the complainer back with ``p_win_back_compensated``; a customer who
  sees a compensated thread complains the next step with ``p_copycat``, to get
  the same (the squeaky wheel, Ma, Sun & Kekre 2015; compensation "fuels the
  fire", Herhausen et al. 2019), and the copycats join the queue;
* **take_down**: at the detection step the page goes down for good: the
  brand posts no more, its followers and bell subscribers lose the channel
  (their counts drop to zero), ``takedown_outrage`` of the followers who find
  it gone turn detractor and complain (new voices the censorship recruits:
  the Streisand effect, Jansen & Martin 2015; Nestle's flooded page, 2010),
  and complaints spill into friends' feeds with more force, as complainers
  move to louder channels: ``p_negative x (1 + takedown_boost)``;
* **silent**: nothing; detection is still recorded.

State: the detection step, whether the page is down, answers so far, the
copycats waiting to complain. Series:
``new_responses``, ``cum_responses``, ``detection_step``. Kernel:
:func:`simulator.kernels.crisis.answer_complaints`. All draws are on the
``crisis`` stream, keyed by step and agent, so two variants that differ only
in their response share every draw until the detection step (common random
numbers).
"""

from __future__ import annotations

import math

import numpy as np

from simulator.components.ledger import Ledger
from simulator.kernels.agents import retire_talkers, start_talk_many
from simulator.kernels.crisis import add_word, answer_complaints
from simulator.params import BrandParams, CrisisParams
from simulator.rng import numpy_generator
from simulator.state import metrics as M
from simulator.state.agents import AgentState, Opinion, TalkerList


class Crisis:
    """The crisis event, monitoring and response of one replicate.

    ``detection_step`` is -1 until the brand has noticed; after that it is the
    step from which the brand acts (noticed + ``detection_delay``).
    """

    def __init__(self, crisis: CrisisParams, brand: BrandParams, n: int, key) -> None:
        self.params, self.brand, self.n, self.key = crisis, brand, n, np.uint64(key)
        self.detection_step = -1
        self.page_down = False
        self.cum_responses = 0
        # At least one complainer: a zero threshold must not "notice" silence.
        self.threshold = max(1, math.ceil(crisis.detection_threshold * n))
        self.capacity = crisis.answers_per_step(n)
        # Who was answered this step and who was won back: the threads a public answer shows.
        public = crisis.response == "respond" and crisis.answer_exposure > 0
        size = min(n, self.capacity) if public else 0
        self.answered_ids = np.empty(size, np.int32)
        self.won_back = np.empty(size, np.uint8)
        self.n_answered = 0
        self.copycats = np.empty(0, np.int32)  # complain from the next step

    # ------------------------------------------------------------------ phases
    def strike(self, t: int, talk_steps: int, agents: AgentState, talkers: TalkerList,
               item_likes: np.ndarray, c: np.ndarray) -> None:
        """The failure at ``crisis.step``: hit customers complain from this step on; so do
        the copycats of the last step's compensated threads."""
        victims = self.victims(agents.customer, t)
        if victims.size:
            start_talk_many(victims, int(Opinion.NEGATIVE), agents, talkers, item_likes,
                            self.params.duration, t - 1, c)
        if self.copycats.size:
            start_talk_many(self.copycats, int(Opinion.NEGATIVE), agents, talkers, item_likes,
                            talk_steps, t - 1, c)
            self.copycats = self.copycats[:0]

    def respond(self, t: int, talk_steps: int, agents: AgentState, talkers: TalkerList,
                item_likes: np.ndarray, ledger: Ledger, c: np.ndarray) -> int:
        """Monitoring, then the response of step ``t``; returns the complaints answered.

        Runs before anyone talks: an answered complainer is silent this step, a
        page taken down posts nothing. The answers (and any compensation) are
        paid to ``ledger``.
        """
        self.monitor(t, int(c[M.N_TALKING_NEGATIVE]))
        self.take_down(t, talk_steps, agents, talkers, item_likes, c)
        answered = self.answer(t, talk_steps, agents, talkers, c)
        if answered:
            retire_talkers(agents, talkers, t, c)
        ledger.spend(answered * (self.params.cost_per_response + self.params.compensation))
        self.cum_responses += answered
        return answered

    def expose(self, t: int, agents: AgentState, heard, n_touched: int) -> int:
        """The page's followers see this step's public answers (phase *expose*); returns the
        new number of listeners touched. Picks the copycats of compensated threads."""
        crisis = self.params
        if self.n_answered == 0 or crisis.answer_exposure <= 0:
            return n_touched
        followers = np.flatnonzero(agents.follower).astype(np.int32)
        if followers.size == 0:
            return n_touched
        rng = numpy_generator(self.key, t, 1)  # not the failure's stream (t alone)
        # A thread is seen by at most as many viewers as the page has followers.
        views = np.minimum(rng.poisson(crisis.answer_exposure, self.n_answered), followers.size)
        viewers = followers[rng.integers(0, followers.size, int(views.sum()))]
        # Each viewer takes in the complaint; a thread whose complainer was won back ends well.
        happy = np.repeat(self.won_back[: self.n_answered], views)
        words = np.concatenate([viewers, viewers[happy == 1]])
        positive = np.concatenate([np.zeros(viewers.size, np.uint8), np.ones(int(happy.sum()), np.uint8)])
        n_touched = int(add_word(words, positive, heard, n_touched))
        if crisis.compensation > 0 and crisis.p_copycat > 0 and viewers.size:
            seen = np.unique(viewers)
            willing = (agents.customer[seen] == 1) & (agents.opinion[seen] != Opinion.NEGATIVE)
            copy = rng.random(seen.size) < crisis.p_copycat
            self.copycats = seen[willing & copy]
        return n_touched

    # ------------------------------------------------------------------ parts
    def victims(self, customer: np.ndarray, t: int) -> np.ndarray:
        """The customers the failure at step ``t`` turns into complainers (int32, sorted)."""
        if t != self.params.step or self.params.share <= 0.0:
            return np.empty(0, np.int32)
        rng = numpy_generator(self.key, t)
        hit = (rng.random(customer.size) < self.params.share) & (customer == 1)
        return np.flatnonzero(hit).astype(np.int32)

    def monitor(self, t: int, talking_negative: int) -> None:
        """Look at the last step's negative talk; notice it once it reaches the threshold."""
        if self.detection_step < 0 and self.brand.active_at(t) and talking_negative >= self.threshold:
            self.detection_step = t + self.params.detection_delay

    def acting(self, t: int) -> bool:
        """Whether the response runs at step ``t``."""
        return 0 <= self.detection_step <= t

    def detection_metric(self, t: int) -> int:
        """The ``detection_step`` series value at ``t``: the step, once reached; else -1."""
        return self.detection_step if self.acting(t) else -1

    def answer(self, t: int, talk_steps: int, agents: AgentState, talkers: TalkerList,
               c: np.ndarray) -> int:
        """Answer complaints at step ``t`` (policy ``respond``); return how many."""
        crisis = self.params
        self.n_answered = 0
        if crisis.response != "respond" or not self.acting(t) or not self.brand.active_at(t):
            return 0
        self.n_answered = int(answer_complaints(agents, talkers, self.capacity, crisis.win_back,
                                                talk_steps, self.key, t, c, self.answered_ids,
                                                self.won_back))
        return self.n_answered

    def take_down(self, t: int, talk_steps: int, agents: AgentState, talkers: TalkerList,
                  item_likes: np.ndarray, c: np.ndarray) -> None:
        """Take the page down at the detection step (policy ``take_down``): the followers
        lose the channel, and ``takedown_outrage`` of them complain from this step."""
        crisis = self.params
        if crisis.response == "take_down" and not self.page_down and self.acting(t):
            self.page_down = True
            if crisis.takedown_outrage > 0:
                followers = np.flatnonzero(agents.follower).astype(np.int32)
                rng = numpy_generator(self.key, t, 2)
                outraged = followers[rng.random(followers.size) < crisis.takedown_outrage]
                if outraged.size:
                    start_talk_many(outraged, int(Opinion.NEGATIVE), agents, talkers, item_likes,
                                    talk_steps, t - 1, c)
            agents.follower[:] = 0
            agents.bell[:] = 0

    def p_negative(self, p_negative: float) -> float:
        """Negative word's per-friend probability, louder once the page is down."""
        if self.page_down:
            return min(1.0, p_negative * (1.0 + self.params.takedown_boost))
        return p_negative

    def record(self, t: int, answered: int, m: np.ndarray) -> None:
        """The crisis series of step ``t``."""
        m[M.P_NEW_RESPONSES] = answered
        m[M.P_CUM_RESPONSES] = self.cum_responses
        m[M.P_DETECTION] = self.detection_metric(t)
