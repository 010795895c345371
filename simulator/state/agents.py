"""The state a run keeps: agent arrays, the talker list, the scratch of listening.

Each is a :class:`typing.NamedTuple` of arrays, so the kernels take it as one
argument (numba compiles attribute access on a named tuple as fast as
separate arguments) and a call site names what it passes. One array per
attribute, one slot per agent, small dtypes: no Python object per agent on the
hot path. Status codes are ``IntEnum`` members so kernels can compare
``opinion[i] == Opinion.POSITIVE`` directly (numba types IntEnum members as
integer constants).
"""

from __future__ import annotations

from enum import IntEnum
from typing import NamedTuple

import numpy as np


class Opinion(IntEnum):
    """What an agent thinks of the brand (stored as int8)."""

    UNAWARE = 0  #: never heard of the brand
    POSITIVE = 1  #: a fan: talks well of the brand when talking
    NEGATIVE = 2  #: a detractor: talks badly of the brand when talking
    NEUTRAL = 3  #: aware but undecided: heard the word, was not persuaded


class Source(IntEnum):
    """Where an item an agent sees came from (stored as int8)."""

    FRIEND = 0  #: word of mouth from a friend (organic)
    EXTERNAL = 1  #: the brand's advertising outside the platform (the Bass p)
    FOLLOWER = 2  #: a brand post in a follower's feed
    NOTIFICATION = 3  #: a brand post pushed to a bell subscriber
    AMPLIFIED = 4  #: shown by the platform beyond the author's friends
    PAID = 5  #: a sponsored impression


NOT_TALKING = np.int32(-1)


class AgentState(NamedTuple):
    """Per-agent arrays; index ``i`` is agent ``i`` of the friend graph.

    Attributes
    ----------
    opinion : int8, (n,)
        An :class:`Opinion` code.
    talk_until : int32, (n,)
        Last step in which the agent still talks (``-1``: silent). Talk lasts
        ``wom.talk_steps`` steps after it starts, then stops: relevance decays.
    customer : uint8, (n,)
        1 if the agent has bought.
    ever_aware, ever_positive, ever_negative : uint8, (n,)
        Whether the agent was ever in that state (for ``cum_`` metrics).
    follower, bell : uint8, (n,)
        Follows the brand page / subscribed to its notifications.
    attention : int16, (n,)
        Items the agent can see per step (the feed layer's budget).
    on_platform : uint8, (n,)
        0 once an agent has left the platform (ad-load intolerance).
    """

    opinion: np.ndarray
    talk_until: np.ndarray
    customer: np.ndarray
    ever_aware: np.ndarray
    ever_positive: np.ndarray
    ever_negative: np.ndarray
    follower: np.ndarray
    bell: np.ndarray
    attention: np.ndarray
    on_platform: np.ndarray

    @classmethod
    def empty(cls, n: int, attention: int = 0) -> AgentState:
        """Everyone unaware, silent, not a customer, not a follower.

        >>> s = AgentState.empty(3)
        >>> s.opinion.dtype, s.talk_until.tolist(), int(s.nbytes_per_agent())
        (dtype('int8'), [-1, -1, -1], 14)
        """
        return cls(
            opinion=np.zeros(n, np.int8),
            talk_until=np.full(n, NOT_TALKING, np.int32),
            customer=np.zeros(n, np.uint8),
            ever_aware=np.zeros(n, np.uint8),
            ever_positive=np.zeros(n, np.uint8),
            ever_negative=np.zeros(n, np.uint8),
            follower=np.zeros(n, np.uint8),
            bell=np.zeros(n, np.uint8),
            attention=np.full(n, attention, np.int16),
            on_platform=np.ones(n, np.uint8),
        )

    @property
    def n(self) -> int:
        return int(self.opinion.size)

    def nbytes_per_agent(self) -> int:
        return sum(a.itemsize for a in self)

    def copy(self) -> AgentState:
        return AgentState(*(a.copy() for a in self))


class TalkerList(NamedTuple):
    """Who talks: ``ids[:count[0]]`` in the order they started, flagged in ``in_list``.

    The order matters: a talker's draws are keyed by its id, but the order of
    the list decides who is answered first in a crisis and is kept stable
    when talk ends (:func:`simulator.kernels.agents.retire_talkers`).

    Attributes
    ----------
    ids : int32, (n,)
    in_list : uint8, (n,)
        1 while the agent is in the list.
    count : int64, (1,)
        How many are listed (an array, so kernels update it in place).
    """

    ids: np.ndarray
    in_list: np.ndarray
    count: np.ndarray

    @classmethod
    def of(cls, n: int, first: np.ndarray) -> TalkerList:
        """A list of ``n`` slots holding ``first`` (int32 ids, in order)."""
        ids = np.zeros(n, np.int32)
        ids[: first.size] = first
        in_list = np.zeros(n, np.uint8)
        in_list[first] = 1
        return cls(ids, in_list, np.array([first.size], np.int64))

    @property
    def n(self) -> int:
        """How many are listed."""
        return int(self.count[0])

    def listed(self) -> np.ndarray:
        """The listed ids, in order (a view)."""
        return self.ids[: self.n]


class Memory(NamedTuple):
    """What each agent remembers of its friends' word: threshold contagion's state.

    Slot ``p`` of ``word`` belongs to the listener whose row of the friend graph
    holds ``p`` (``indptr[j] <= p < indptr[j + 1]``) and to the friend
    ``indices[p]``: it keeps the latest word the listener heard from that
    friend (0 none, ``Opinion.POSITIVE``, ``Opinion.NEGATIVE``), so a friend
    counts once however often it talks, and changes sides when its word does.
    ``pos`` / ``neg`` count, per listener, the friends whose latest word was
    positive / negative; ``bar`` is the net number of friends (``pos - neg``,
    or ``neg - pos``) that persuades it. All empty (size 0) under simple
    contagion, where nothing is remembered.
    """

    indptr: np.ndarray  # int64 (n+1,): the friend graph, to find a friend's slot
    indices: np.ndarray  # int32 (2m,)
    word: np.ndarray  # uint8 (2m,)
    pos: np.ndarray  # int32 (n,)
    neg: np.ndarray  # int32 (n,)
    bar: np.ndarray  # float64 (n,)

    @classmethod
    def none(cls) -> Memory:
        """No memory (simple contagion)."""
        indptr, indices = np.zeros(1, np.int64), np.empty(0, np.int32)
        # Read-only like a graph's arrays, so both contagions share one compiled kernel type.
        indptr.flags.writeable = indices.flags.writeable = False
        return cls(indptr, indices, np.empty(0, np.uint8), np.empty(0, np.int32),
                   np.empty(0, np.int32), np.empty(0, np.float64))

    @classmethod
    def of(cls, indptr: np.ndarray, indices: np.ndarray, bar: np.ndarray) -> Memory:
        """Nothing heard yet; ``bar`` (float64, (n,)) is each agent's threshold in friends."""
        n = indptr.size - 1
        return cls(indptr, indices, np.zeros(indices.size, np.uint8), np.zeros(n, np.int32),
                   np.zeros(n, np.int32), np.ascontiguousarray(bar, np.float64))


class Heard(NamedTuple):
    """What each listener took in this step, for the listening kernel (zeroed scratch).

    ``pos``/``neg`` count positive and negative word seen, ``brand`` brand
    posts seen (empty without platform layers), ``ad`` outside advertising
    hits; ``touched`` lists the agents with anything. The listening kernel
    leaves every entry it read at zero again. ``memory`` is what outlasts the
    step under threshold contagion (:class:`Memory`; empty otherwise): word is
    written into it as it is taken in.
    """

    pos: np.ndarray  # int32 (n,)
    neg: np.ndarray  # int32 (n,)
    brand: np.ndarray  # int32 (n,) or (0,)
    ad: np.ndarray  # uint8 (n,)
    touched: np.ndarray  # int32 (n,)
    memory: Memory

    @classmethod
    def zeros(cls, n: int, brand: bool, memory: Memory | None = None) -> Heard:
        return cls(np.zeros(n, np.int32), np.zeros(n, np.int32),
                   np.zeros(n if brand else 0, np.int32), np.zeros(n, np.uint8),
                   np.empty(n, np.int32), Memory.none() if memory is None else memory)
