"""Word of mouth: who talks, what listeners make of what they hear, when talk ends.

Parameters: ``[wom]`` (:class:`simulator.params.WomParams`) and the seeding
(``[seeding]``), which decides who talks at step 0. State: the talker list
(:class:`~simulator.state.TalkerList`) and the agents' opinions. Kernels:
:mod:`simulator.kernels.wom`. Series: the opinion and word counts of the
``counts`` block.

Contagion (``wom.contagion``): *simple*, each word persuades with its own
chance; or *threshold*, each listener remembers its friends' latest word
(:class:`~simulator.state.Memory`) and is persuaded once the friends saying
one thing outnumber those saying the other by its threshold (Watts 2002's
fraction of friends, or a number of friends as in complex contagion).

Phases of a step: *talk* (talkers pass their word to friends:
:func:`simulator.kernels.wom.spread_word` in the plain model's compiled steps;
run phase by phase, the feed's *gather* draws the same words,
:mod:`simulator.components.feed`), *listen* (each listener weighs everything
it took in at once, order-free), *retire* (talk older than ``talk_steps``
stops).
"""

from __future__ import annotations

import numpy as np

from simulator.graphs import Graph
from simulator.graphs.memory import check_threshold_memory
from simulator.kernels.agents import retire_talkers
from simulator.kernels.wom import WomRule, decide
from simulator.params import SeedingParams, WomParams
from simulator.rng import StreamKeys, numpy_generator
from simulator.state import metrics as M
from simulator.state.agents import AgentState, Heard, Memory, Opinion, TalkerList


def choose_seeds(graph: Graph, seeding: SeedingParams, key) -> np.ndarray:
    """The agents who talk at step 0 (int32, sorted).

    ``influencers`` takes the highest-degree agents (ties to the lower id, so the
    choice is deterministic); ``random`` draws without replacement from the
    seeding stream.
    """
    n = graph.n
    k = min(seeding.n_seeds, n)
    if k == 0:
        return np.empty(0, np.int32)
    if seeding.method == "influencers":
        order = np.argsort(-graph.degrees(), kind="stable")
        return np.sort(order[:k]).astype(np.int32)
    return np.sort(numpy_generator(key).choice(n, size=k, replace=False)).astype(np.int32)


def thresholds(graph: Graph, wom: WomParams, key) -> np.ndarray:
    """Each agent's bar: the net number of friends whose word persuades it (float64, (n,)).

    A fraction threshold ``phi`` of an agent with ``k`` friends is the bar
    ``phi * k`` (Watts 2002: persuaded once the share of friends saying so is at
    least ``phi``), less a hair so that a share exactly at ``phi`` passes despite
    rounding; a count threshold is the bar itself. ``uniform`` and ``normal``
    draw each agent's threshold from the ``threshold`` stream (by agent id), then
    clip it at 0 (and at 1 for fractions).

    >>> from simulator.graphs import erdos_renyi
    >>> from simulator.params import WomParams
    >>> g = erdos_renyi(5, 2, seed=1)
    >>> bars = thresholds(g, WomParams(contagion="threshold", threshold=0.5), np.uint64(1))
    >>> bool(np.allclose(bars, 0.5 * g.degrees()))
    True
    """
    n = graph.n
    phi = np.full(n, float(wom.threshold))
    spread = float(wom.threshold_spread)
    if wom.threshold_distribution != "fixed" and spread > 0:
        rng = numpy_generator(key)
        if wom.threshold_distribution == "uniform":
            phi = rng.uniform(phi - spread, phi + spread)
        else:
            phi = rng.normal(phi, spread)
    phi = np.clip(phi, 0.0, 1.0 if wom.threshold_kind == "fraction" else None)
    if wom.threshold_kind == "count":
        return phi
    return phi * graph.degrees() - 1e-9


# Plain ints: an IntEnum member lookup costs microseconds, and seeding runs once per replicate.
_POSITIVE, _NEGATIVE = int(Opinion.POSITIVE), int(Opinion.NEGATIVE)


class WordOfMouth:
    """The word-of-mouth component of one replicate."""

    def __init__(self, wom: WomParams, keys: StreamKeys, graph: Graph) -> None:
        self.params = wom
        self.rule = WomRule.of(wom)
        self.keys = keys
        #: What listeners remember of their friends' word (threshold contagion only).
        self.memory = Memory.none()
        if wom.contagion == "threshold":
            check_threshold_memory(graph.n, graph.indices.size)
            self.memory = Memory.of(graph.indptr, graph.indices,
                                    thresholds(graph, wom, keys.threshold))

    def seed(self, graph: Graph, seeding: SeedingParams, agents: AgentState,
             c: np.ndarray) -> TalkerList:
        """Step 0: the seeds take their opinion and talk; returns the talker list."""
        seeds = choose_seeds(graph, seeding, self.keys.seeding)
        positive = seeding.sentiment == "positive"
        agents.opinion[seeds] = _POSITIVE if positive else _NEGATIVE
        agents.ever_aware[seeds] = 1
        (agents.ever_positive if positive else agents.ever_negative)[seeds] = 1
        agents.talk_until[seeds] = self.rule.talk_steps
        # The seeds are distinct and all of one sentiment now, so they all talk with it.
        c[M.N_TALKING_POSITIVE] = seeds.size if positive else 0
        c[M.N_TALKING_NEGATIVE] = 0 if positive else seeds.size
        return TalkerList.of(agents.n, seeds)

    def listen(self, t: int, heard: Heard, n_touched: int, brand_impact: float, agents: AgentState,
               talkers: TalkerList, c: np.ndarray, brand_irritation: float = 0.0) -> int:
        """Each listener in ``heard`` decides; new fans and detractors join ``talkers``.

        Returns how many followers the brand's posts put off (they hid the page)."""
        return int(decide(n_touched, heard, brand_impact, brand_irritation, agents, talkers,
                          self.rule, self.keys.listen, t, c))

    def retire(self, t: int, agents: AgentState, talkers: TalkerList, c: np.ndarray) -> None:
        """Talk that is over before step ``t + 1`` stops; count who still talks."""
        retire_talkers(agents, talkers, t + 1, c)

    @staticmethod
    def close_step(c: np.ndarray) -> None:
        """The step's word joins the running totals."""
        c[M.CUM_WORD_POSITIVE] += c[M.NEW_WORD_POSITIVE]
        c[M.CUM_WORD_NEGATIVE] += c[M.NEW_WORD_NEGATIVE]
