"""Declarative, validated parameter sections.

Each scenario section (``[graph]``, ``[wom]``, ...) is a frozen dataclass whose
fields are declared with :func:`param`: a default, the allowed range or
choices, and a one-line doc. Construction validates every value; reading a
TOML table rejects unknown keys and suggests the nearest valid one. Every error
is a one-line :class:`~simulator.errors.ConfigError` naming the key, the value
and what is allowed.

>>> from dataclasses import dataclass
>>> @dataclass(frozen=True)
... class Demo(Section):
...     SECTION = "demo"
...     p: float = param(0.5, low=0.0, high=1.0, doc="a probability")
>>> Demo.from_dict({"p": 0.2}).p
0.2
>>> Demo.from_dict({"p": 2})
Traceback (most recent call last):
...
simulator.errors.ConfigError: demo.p = 2 is out of range; allowed: 0.0 <= p <= 1.0
>>> Demo.from_dict({"q": 1})
Traceback (most recent call last):
...
simulator.errors.ConfigError: unknown key 'demo.q'; allowed: demo.p
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any, ClassVar

import numpy as np

from simulator.errors import ConfigError, suggest

_MISSING = object()


def param(
    default: Any,
    *,
    low: float | None = None,
    high: float | None = None,
    low_open: bool = False,
    choices: tuple | None = None,
    doc: str = "",
    optional: bool = False,
    unit: str | None = None,
    source: str = "",
) -> Any:
    """Declare a validated parameter field (use as a dataclass field default).

    ``optional=True`` allows ``None`` besides the declared type. ``unit`` names
    what the number counts (the key reference infers the common ones from the
    key's name, see :func:`simulator.params.reference.unit_of`); ``source`` is
    the published anchor of the default, if it has one.
    """
    meta = {
        "unit": unit,
        "source": source,
        "low": low,
        "high": high,
        "low_open": low_open,
        "choices": choices,
        "doc": doc,
        "optional": optional,
    }
    if isinstance(default, (list, dict)):
        return dataclasses.field(default_factory=lambda: type(default)(default), metadata=meta)
    return dataclasses.field(default=default, metadata=meta)


def _type_name(t: Any) -> str:
    return getattr(t, "__name__", str(t))


def _coerce(section: str, f: dataclasses.Field, value: Any) -> Any:
    key = f"{section}.{f.name}"
    meta = f.metadata
    raw = value  # errors quote what the user wrote, not the coerced value
    if isinstance(value, np.generic):  # a number read from an array (a sweep's design, say)
        value = raw = value.item()
    if value is None:
        if meta.get("optional"):
            return None
        raise ConfigError(f"{key} = None is not allowed; expected a value")
    target = f.type if not isinstance(f.type, str) else _resolve(f.type)
    if target is bool:
        if isinstance(value, bool):
            return value
        raise ConfigError(f"{key} = {value!r} is not allowed; expected true or false")
    if target is int:
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        ):
            raise ConfigError(f"{key} = {value!r} is not allowed; expected an integer")
        value = int(value)
    elif target is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ConfigError(f"{key} = {value!r} is not allowed; expected a number")
        value = float(value)
        if not math.isfinite(value):
            raise ConfigError(f"{key} = {value!r} is not allowed; expected a finite number")
    elif target is str:
        if not isinstance(value, str):
            raise ConfigError(f"{key} = {value!r} is not allowed; expected a string")
    elif target in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{key} = {value!r} is not allowed; expected a list")
        value = tuple(value)
    choices = meta.get("choices")
    if choices is not None and value not in choices:
        hint = suggest(value, choices) if isinstance(value, str) else ""
        raise ConfigError(
            f"{key} = {value!r} is not allowed{hint}; allowed: {', '.join(map(str, choices))}"
        )
    low, high = meta.get("low"), meta.get("high")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        too_low = low is not None and (value <= low if meta.get("low_open") else value < low)
        too_high = high is not None and value > high
        if too_low or too_high:
            lo = "" if low is None else f"{low} {'<' if meta.get('low_open') else '<='} "
            hi = "" if high is None else f" <= {high}"
            raise ConfigError(f"{key} = {raw!r} is out of range; allowed: {lo}{f.name}{hi}")
    return value


def _resolve(name: str) -> Any:
    base = name.split("|")[0].strip()
    return {"int": int, "float": float, "str": str, "bool": bool, "tuple": tuple, "list": list}.get(
        base, object
    )


@dataclasses.dataclass(frozen=True)
class Section:
    """Base of every parameter section; subclasses set ``SECTION``."""

    SECTION: ClassVar[str] = ""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            object.__setattr__(self, f.name, _coerce(self.SECTION, f, getattr(self, f.name)))
        self.check()

    def check(self) -> None:
        """Cross-field checks; subclasses raise :class:`ConfigError` here."""

    @classmethod
    def keys(cls) -> list[str]:
        return [f.name for f in dataclasses.fields(cls)]

    @classmethod
    def from_dict(cls, table: dict[str, Any] | None) -> Section:
        table = dict(table or {})
        allowed = cls.keys()
        for key in table:
            if key not in allowed:
                raise ConfigError(
                    f"unknown key '{cls.SECTION}.{key}'{suggest(key, allowed)}; "
                    f"allowed: {', '.join(f'{cls.SECTION}.{k}' for k in allowed)}"
                )
        return cls(**table)

    def to_dict(self) -> dict[str, Any]:
        out = {}
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            out[f.name] = list(v) if isinstance(v, tuple) else v
        return out

    def replace(self, **changes: Any) -> Section:
        return dataclasses.replace(self, **changes)

    @classmethod
    def describe(cls) -> list[tuple[str, Any, str, str]]:
        """(key, default, allowed, doc) rows, for docs and ``virality validate``."""
        rows = []
        for f in dataclasses.fields(cls):
            m = f.metadata
            if m.get("choices"):
                allowed = " | ".join(map(str, m["choices"]))
            elif m.get("low") is not None or m.get("high") is not None:
                allowed = f"[{m.get('low', '')}, {m.get('high', '')}]"
            else:
                allowed = _type_name(f.type)
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            rows.append((f"{cls.SECTION}.{f.name}", default, allowed, m.get("doc", "")))
        return rows
