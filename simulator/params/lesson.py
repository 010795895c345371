"""The ``[lesson]`` table: what a teacher says and asks while the classroom page runs.

A scenario may carry the lesson it was written for: a short introduction, what
to watch on the page, questions to ask the class and things to change. The
classroom page (``virality viz``) shows it beside the network; the engine never
reads it, so it is not one of the mechanism sections of
:data:`simulator.params.SECTIONS` (results do not record it, ``--set`` cannot
change it, and a run with or without a lesson gives the same numbers).

>>> lesson = LessonParams.from_dict({"watch": ["Blue spreads inside a circle first."],
...                                  "ask": ["Why does word jump between circles?"]})
>>> lesson.watch, lesson.empty
(('Blue spreads inside a circle first.',), False)
>>> LessonParams.from_dict({"wach": ["..."]})
Traceback (most recent call last):
...
simulator.errors.ConfigError: unknown key 'lesson.wach' (did you mean 'watch'?); allowed: ...
>>> LessonParams.from_dict({"ask": "Why?"})
Traceback (most recent call last):
...
simulator.errors.ConfigError: lesson.ask = 'Why?' is not allowed; expected a list of texts, e.g. ask = ["Why?"]
"""

from __future__ import annotations

import dataclasses
import json

from simulator.errors import ConfigError
from simulator.params.base import Section, param

#: The keys holding lists of texts, in the order the page shows them.
LIST_KEYS = ("watch", "ask", "explore")


@dataclasses.dataclass(frozen=True)
class LessonParams(Section):
    """Lesson: what the classroom page tells the class (the engine ignores it)."""

    SECTION = "lesson"

    intro: str = param("", doc="what to say first (the page shows the scenario's description "
                       "when empty)")
    watch: tuple = param((), doc="what to watch on the page, one text per item")
    ask: tuple = param((), doc="questions to ask the class, one text per item")
    explore: tuple = param((), doc="things to change on the page and see, one text per item")
    compare: str | None = param(None, optional=True,
                                doc="the variant the page's 'compare two runs' view starts "
                                "with (a name of [variants])")

    @classmethod
    def from_dict(cls, table) -> LessonParams:
        # A bare string where a list is expected is the usual slip; say so before the
        # generic type check turns "Why?" into a tuple of letters.
        for key in LIST_KEYS:
            value = (table or {}).get(key)
            if isinstance(value, str):
                raise ConfigError(f"lesson.{key} = {value!r} is not allowed; expected a list of "
                                  f"texts, e.g. {key} = [{json.dumps(value)}]")
        return super().from_dict(table)

    def check(self) -> None:
        for key in LIST_KEYS:
            for item in getattr(self, key):
                if not isinstance(item, str) or not item.strip():
                    raise ConfigError(f"lesson.{key} has {item!r}; expected texts in quotes, "
                                      "none empty")

    @property
    def empty(self) -> bool:
        """Whether the scenario carries no lesson at all."""
        return not (self.intro or any(getattr(self, key) for key in LIST_KEYS) or self.compare)
