"""What each outcome of a comparison means, in which unit, and how its numbers are written.

One table (:data:`OUTCOME_INFO`) gives the console, the report and the figures
the same titles, units and definitions, so a number pasted into a deck carries
its meaning with it.
"""

from __future__ import annotations

import math
from typing import NamedTuple


class Outcome(NamedTuple):
    """Title, unit and definition of one outcome."""

    title: str
    unit: str
    definition: str


SHARE = "share of people"
MONEY = "money units"

#: Every outcome a comparison reports (the final metrics of ``summary.json``).
OUTCOME_INFO = {
    "reach": Outcome("reach", SHARE, "heard of the brand at least once by the last step"),
    "net_sentiment": Outcome(
        "net sentiment", "difference of shares",
        "share of the population positive minus share negative at the last step (-1 to 1)"),
    "positive": Outcome("positive", SHARE, "hold a positive opinion at the last step"),
    "negative": Outcome("negative", SHARE, "hold a negative opinion at the last step"),
    "customers": Outcome("customers", SHARE, "are customers at the last step"),
    "followers": Outcome("followers", SHARE, "follow the brand's page at the last step"),
    "negative_talk": Outcome(
        "negative word", "words per person",
        "negative messages spoken over the whole run, divided by the population"),
    "cost": Outcome(
        "cost", MONEY,
        "the brand's spending over the run (posts, answers, sponsored impressions, bought likes, "
        "influencers), at the scenario's prices"),
    "profit": Outcome(
        "profit", MONEY,
        "value of the customers won (brand.value_per_customer each) minus cost"),
    "npv": Outcome(
        "NPV", MONEY,
        "profit discounted to step 0: each step's value won minus cost, times "
        "(1 + brand.discount_rate) ** -step"),
    "roi": Outcome(
        "ROI", "profit per money unit spent",
        "profit / cost; a small cost makes it large, so read it beside profit"),
}


def info(name: str) -> Outcome:
    """The :class:`Outcome` of ``name`` (an unknown metric is its own title, unit unknown)."""
    return OUTCOME_INFO.get(name, Outcome(name, "", ""))


def format_number(x: float, scale: float) -> str:
    """``x`` with thousands separators when ``scale`` >= 100, else three decimals.

    >>> format_number(12345.6, 20000), format_number(0.51234, 0.6), format_number(-3.2, 500)
    ('12,346', '0.512', '-3')
    >>> format_number(-0.0001, 0.5)
    '0.000'
    """
    if x is None or not math.isfinite(x):
        return "n/a"
    text = f"{x:,.0f}" if scale >= 100 else f"{x:.3f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text  # no "-0.000"


def format_interval(mean: float, low: float, high: float, scale: float | None = None,
                    signed: bool = False) -> str:
    """``mean (low to high)``: 3 decimals, or whole numbers with thousands separators when
    ``scale`` >= 100; ``signed`` writes a ``+`` on positive values (differences).

    ``scale`` (default: the largest of the three) lets a column share one
    precision. The interval is written with "to", not a comma, so that
    ``1,419 (1,170 to 2,030)`` cannot be read as a list.

    >>> format_interval(0.51234, 0.5, 0.52), format_interval(1800.0, 717.1, 2883.0)
    ('0.512 (0.500 to 0.520)', '1,800 (717 to 2,883)')
    >>> format_interval(0.02, -0.01, 0.05, signed=True)
    '+0.020 (-0.010 to +0.050)'
    >>> format_interval(float("nan"), float("nan"), float("nan"))
    'n/a'
    """
    if mean is None or not math.isfinite(mean):
        return "n/a"
    if scale is None:
        scale = magnitude((mean, low, high))

    def text(x):
        out = format_number(x, scale)
        return "+" + out if signed and out != "n/a" and x > 0 and out.strip("0.,") else out

    return f"{text(mean)} ({text(low)} to {text(high)})"


def magnitude(values) -> float:
    """The largest finite absolute value (0 when there is none)."""
    finite = [abs(float(x)) for x in values if x is not None and math.isfinite(x)]
    return max(finite, default=0.0)


def events(comparison) -> list:
    """The steps worth marking on a comparison's curves, as :class:`simulator.plots.Event`.

    The outage (``crisis.step``), the brand's entry and exit (late and abandon
    strategies) and the brand's detection of the crisis (its mean step over the
    replicates that noticed). An event every variant shares is drawn once, in grey.
    """
    from simulator.plots import Event

    found: dict[tuple[float, str], list[str]] = {}
    for name, res in comparison.results.items():
        sc = res.scenario
        marks = []
        if 0 <= sc.crisis.step <= comparison.steps:
            marks.append((sc.crisis.step, "outage"))
        if sc.brand.strategy in ("late", "abandon") and sc.brand.enter_step <= comparison.steps:
            marks.append((sc.brand.enter_step, "brand enters"))
        if sc.brand.strategy == "abandon" and sc.brand.exit_step <= comparison.steps:
            marks.append((sc.brand.exit_step, "brand leaves"))
        if "detection_step" in res.finals:
            detected = res.finals["detection_step"].dropna()
            if detected.size:
                marks.append((round(float(detected.mean()), 1), "detection, mean"))
        for mark in marks:
            found.setdefault(mark, []).append(name)
    every = len(comparison.results)
    out = []
    for (step, label), names in found.items():
        if len(names) == every:
            out.append(Event(step, label))
        else:
            out += [Event(step, f"{label}: {name}", name) for name in names]
    return sorted(out)
