"""Time in real units: how long a step is, and rates and durations written with a unit.

A scenario says how long one step is (``[run] step = "day"``, the default; or
``"hour"``, ``"week"``, ``"month"``, ``"year"``). The per-step chances of the core
model may then be written as the rates the literature gives, and lengths of
time as durations::

    [market]
    p_advertising = "0.03 per year"     # Bass's p, as published
    [run]
    step = "week"
    steps = "10 years"                  # 522 steps

A rate ``r`` per unit ``U`` is a constant hazard, so the chance of the event
within one step of length ``dt`` is exactly ``1 - exp(-r * dt / U)``. A
duration becomes the nearest whole number of steps. A month is a twelfth of a
year of 365.25 days.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any

from simulator.errors import ConfigError

#: Length of each unit in days.
UNIT_DAYS = {"hour": 1 / 24, "day": 1.0, "week": 7.0, "month": 365.25 / 12, "year": 365.25}
STEP_UNITS = tuple(UNIT_DAYS)

#: Per-step chances that may be written as a rate ("0.38 per year").
RATE_KEYS = frozenset({"wom.p_positive", "wom.p_negative", "market.p_advertising",
                       "market.p_purchase"})
#: Interest-like rates, compounded rather than a hazard: "0.1 per year" is 10% a year,
#: so a step of length ``dt`` discounts by ``(1 + 0.1) ** (dt / year) - 1``.
COMPOUND_KEYS = frozenset({"brand.discount_rate"})
#: Numbers of steps that may be written as a duration ("10 years").
DURATION_KEYS = frozenset({"run.steps", "wom.talk_steps"})

_NUMBER = r"([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)"
_UNIT = r"(hour|day|week|month|year)s?"
_RATE = re.compile(rf"^\s*{_NUMBER}\s*(?:per|/)\s*{_UNIT}\s*$", re.IGNORECASE)
_DURATION = re.compile(rf"^\s*{_NUMBER}\s*{_UNIT}\s*$", re.IGNORECASE)


def rate_to_chance(rate: float, unit: str, step: str) -> float:
    """The chance per step of an event with constant ``rate`` per ``unit``.

    >>> round(rate_to_chance(0.03, "year", "year"), 6)
    0.029554
    >>> rate_to_chance(0.0, "day", "week")
    0.0
    """
    return -math.expm1(-rate * UNIT_DAYS[step] / UNIT_DAYS[unit])


def compound_rate(rate: float, unit: str, step: str) -> float:
    """The per-step rate equal to ``rate`` per ``unit``, compounded: a discount rate.

    >>> round(compound_rate(0.1, "year", "year"), 12), round(compound_rate(0.1, "year", "day"), 8)
    (0.1, 0.00026098)
    """
    return math.expm1(math.log1p(rate) * UNIT_DAYS[step] / UNIT_DAYS[unit])


def duration_to_steps(amount: float, unit: str, step: str) -> int:
    """The nearest whole number of steps to ``amount`` ``unit``s.

    >>> duration_to_steps(10, "year", "week"), duration_to_steps(3, "day", "day")
    (522, 3)
    """
    return int(math.floor(amount * UNIT_DAYS[unit] / UNIT_DAYS[step] + 0.5))


def convert(key: str, value: Any, step: str) -> Any:
    """``value`` of ``key`` (``section.key``) in per-step terms; numbers pass unchanged.

    >>> convert("market.p_advertising", "0.03 per year", "year") == rate_to_chance(0.03, "year", "year")
    True
    >>> convert("wom.impact_positive", "0.5 per day", "day")
    Traceback (most recent call last):
    ...
    simulator.errors.ConfigError: wom.impact_positive = '0.5 per day' is not allowed; expected a number (rates with a unit are allowed for brand.discount_rate, market.p_advertising, market.p_purchase, wom.p_negative, wom.p_positive)
    """
    if not isinstance(value, str):
        return value
    if key not in RATE_KEYS and key not in DURATION_KEYS and key not in COMPOUND_KEYS:
        if _RATE.match(value):
            raise ConfigError(
                f"{key} = {value!r} is not allowed; expected a number (rates with a unit are "
                f"allowed for {', '.join(sorted(RATE_KEYS | COMPOUND_KEYS))})"
            )
        if _DURATION.match(value):
            raise ConfigError(
                f"{key} = {value!r} is not allowed; expected a number (durations with a unit "
                f"are allowed for {', '.join(sorted(DURATION_KEYS))})"
            )
        return value
    if key in COMPOUND_KEYS:
        rate, unit = _rate_of(key, value, "a rate per step", "0.1 per year")
        if not math.isfinite(rate) or not 0 <= rate <= 10:
            raise ConfigError(f"{key} = {value!r} is out of range; allowed: 0 <= rate <= 10 "
                              "(1000% per unit)")
        return compound_rate(rate, unit, step)
    if key in RATE_KEYS:
        rate, unit = _rate_of(key, value, "a chance per step", "0.03 per year")
        if not math.isfinite(rate) or rate < 0:
            raise ConfigError(f"{key} = {value!r} is out of range; allowed: a rate >= 0")
        return rate_to_chance(rate, unit, step)
    m = _DURATION.match(value)
    if not m:
        raise ConfigError(
            f"{key} = {value!r} is not allowed; expected a whole number of steps or a duration "
            f"such as '10 years' (units: {', '.join(STEP_UNITS)})"
        )
    amount = float(m.group(1))
    if not math.isfinite(amount) or amount <= 0:
        raise ConfigError(f"{key} = {value!r} is out of range; allowed: a duration > 0")
    if not math.isfinite(amount * UNIT_DAYS[m.group(2).lower()]) or amount > 1e12:
        raise ConfigError(f"{key} = {value!r} is out of range; allowed: a duration of at most "
                          "10^12 units")
    steps = duration_to_steps(amount, m.group(2).lower(), step)
    if steps < 1:
        raise ConfigError(
            f"{key} = {value!r} is shorter than one step ({step}); allowed: at least one {step}"
        )
    return steps


def _rate_of(key: str, value: str, number: str, example: str) -> tuple[float, str]:
    """``(rate, unit)`` of a rate written like ``example``; a one-line error otherwise."""
    m = _RATE.match(value)
    if not m:
        raise ConfigError(
            f"{key} = {value!r} is not allowed; expected a number ({number}) or a rate such as "
            f"'{example}' (units: {', '.join(STEP_UNITS)})"
        )
    return float(m.group(1)), m.group(2).lower()


def step_of(run_table: Any) -> str:
    """The step length a ``[run]`` table names (checked), ``"day"`` if none."""
    step = run_table.get("step", "day") if isinstance(run_table, Mapping) else "day"
    if not isinstance(step, str) or step not in UNIT_DAYS:
        raise ConfigError(f"run.step = {step!r} is not allowed; allowed: {', '.join(STEP_UNITS)}")
    return step


def written_with_units(data: Mapping[str, Any]) -> dict[str, str]:
    """``{"section.key": text}`` of every value written with a unit in a scenario's sections."""
    found = {}
    for section, table in data.items():
        if isinstance(table, Mapping):
            for key, value in table.items():
                dotted = f"{section}.{key}"
                if isinstance(value, str) and (dotted in RATE_KEYS or dotted in DURATION_KEYS
                                               or dotted in COMPOUND_KEYS):
                    found[dotted] = value
    return found
