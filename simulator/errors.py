"""Errors the simulator raises on purpose.

Every error a user can cause is a :class:`ConfigError` (or a subclass) whose
message is one line naming the key, the value and what is allowed. The CLI
prints that line and exits with code 2; it never shows a traceback for them.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ConfigError(ValueError):
    """Bad input from a user: a scenario key, a value, a file, a graph size."""


class MemoryGuardError(ConfigError):
    """A graph (or run) would need more memory than the machine has available."""


class GraphWarning(UserWarning):
    """A graph came out far from what its section asked (say, its mean degree)."""


class InvariantError(RuntimeError):
    """A model invariant failed (checked when ``validate=True``); a bug, not bad input."""


def suggest(name: str, allowed: Iterable[str]) -> str:
    """Return ``" (did you mean 'x'?)"`` for the closest allowed name, or ``""``.

    >>> suggest("mean_degre", ["n", "mean_degree", "kind"])
    " (did you mean 'mean_degree'?)"
    >>> suggest("zzz", ["n", "kind"])
    ''
    """
    close = difflib.get_close_matches(name, list(allowed), n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def unknown_key(key: str, allowed: Iterable[str]) -> ConfigError:
    """The error for a key that is not in the schema, with the nearest valid key."""
    allowed = sorted(allowed)
    return ConfigError(
        f"unknown key '{key}'{suggest(key.rsplit('.', 1)[-1], allowed)}; "
        f"allowed: {', '.join(allowed)}"
    )
