"""The model's own sections: run, seeding, word of mouth, market.

Defaults are calibrated from the literature (``docs/calibration.md`` gives
each source).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from simulator.errors import ConfigError
from simulator.params.base import Section, _coerce, param
from simulator.params.units import STEP_UNITS


@dataclass(frozen=True)
class RunParams(Section):
    """``[run]``: how long, how many replicates, which seed."""

    SECTION = "run"
    steps: int = param(
        100, low=1, high=100_000,
        doc="steps to simulate; or a duration such as '10 years' (see run.step)",
    )
    step: str = param(
        "day", choices=STEP_UNITS,
        doc="how long one step is; rates such as wom.p_positive = '0.38 per year' are "
        "converted to chances per step",
    )
    replicates: int = param(10, low=1, high=1_000_000, doc="independent replicates on the same graph")
    seed: int = param(0, low=0, high=2**63 - 1, doc="master seed; every result records it")
    validate: bool = param(False, doc="check invariants every run (slower); raises InvariantError")
    resample_graph: bool = param(
        False, doc="draw a new graph per replicate (default: one graph, replicates differ in dynamics)"
    )


@dataclass(frozen=True)
class SeedingParams(Section):
    """``[seeding]``: who starts talking at step 0, and who is already a customer."""

    SECTION = "seeding"
    method: str = param(
        "random", choices=("random", "influencers"),
        doc="random agents, or the highest-degree agents (influencers)",
    )
    n_seeds: int = param(10, low=0, high=10**9, doc="agents talking at step 0")
    sentiment: str = param("positive", choices=("positive", "negative"), doc="what the seeds say")
    initial_customers: float = param(
        0.0, low=0.0, high=1.0,
        doc="share of agents who are (satisfied, silent) customers at step 0",
    )


@dataclass(frozen=True)
class WomParams(Section):
    """``[wom]``: how often word is spoken, and how much one word moves a listener.

    Frequency and impact are separate knobs (``docs/references.md`` §2.2): positive word is
    about three times as frequent as negative in aggregate (East, Hammond &
    Wright 2007), while the impact of one message is roughly symmetric (East
    et al. 2008). "Unhappy customers tell ten people" is folklore. A dissatisfied
    person talks more than a satisfied one (Anderson 1998's asymmetric U), so
    ``p_negative`` per talker is above ``p_positive``; the aggregate 3:1 ratio
    comes from there being far more fans than detractors. One negative word
    moves an unaware listener less than one positive word (East et al. 2008:
    most listeners' prior purchase probability is below 0.5, leaving more room
    to rise than to fall). With these defaults the quickstart scenario gives a
    positive:negative word ratio of about 3 (checked in
    ``tests/test_directions.py``).
    """

    SECTION = "wom"
    p_positive: float = param(
        0.01, low=0.0, high=1.0, doc="per-friend, per-step probability a fan passes positive word",
        source="East, Hammond & Wright 2007: positive word about 3x as frequent as negative"
    )
    p_negative: float = param(
        0.015, low=0.0, high=1.0,
        doc="per-friend, per-step probability a detractor passes negative word",
        source="Anderson 1998: the dissatisfied talk more than the satisfied",
    )
    talk_steps: int = param(
        3, low=1, high=1_000_000, doc="steps an agent keeps talking after it starts (then falls silent)"
    )
    impact_positive: float = param(
        0.5, low=0.0, high=1.0,
        doc="probability one positive word persuades an unaware or undecided listener",
        source="East, Hammond & Lomax 2008",
    )
    impact_negative: float = param(
        0.25, low=0.0, high=1.0,
        doc="probability one negative word persuades an unaware or undecided listener",
        source="East, Hammond & Lomax 2008: bad word moves a listener less",
    )
    p_turn_negative: float = param(
        0.02, low=0.0, high=1.0, doc="probability one negative word turns a fan into a detractor"
    )
    p_turn_positive: float = param(
        0.05, low=0.0, high=1.0, doc="probability one positive word turns a detractor into a fan"
    )
    # Threshold contagion (Granovetter 1978, Watts 2002, Centola & Macy 2007): a listener
    # remembers the latest word of each friend and changes opinion once the friends saying
    # one thing outnumber those saying the other by its threshold.
    contagion: str = param(
        "simple", choices=("simple", "threshold"),
        doc="simple: each word persuades by its own chance (impact_*, p_turn_*); threshold: "
        "friends' word is remembered and persuades once the net count reaches a threshold",
    )
    threshold_kind: str = param(
        "fraction", choices=("fraction", "count"),
        doc="threshold: a share of one's friends (Watts 2002) or a number of friends "
        "(complex contagion, Centola & Macy 2007)",
    )
    threshold: float = param(
        0.18, low=0.0, high=10**6,
        doc="threshold: mean share (fraction, <= 1) or number (count) of friends whose net "
        "word persuades (Watts 2002's example: 0.18)",
        source="Watts 2002",
    )
    threshold_distribution: str = param(
        "fixed", choices=("fixed", "uniform", "normal"),
        doc="threshold: everyone's is `threshold`, or drawn uniform on threshold +- "
        "threshold_spread, or normal with sd threshold_spread (clipped at 0, and at 1 "
        "for fractions)",
    )
    threshold_spread: float = param(
        0.0, low=0.0, high=10**6,
        doc="threshold: half-width (uniform) or standard deviation (normal) of the thresholds",
    )

    def check(self) -> None:
        if self.contagion == "threshold" and self.threshold_kind == "fraction" and self.threshold > 1:
            raise ConfigError(
                f"wom.threshold = {self.threshold:g} is out of range for threshold_kind = "
                "'fraction'; allowed: 0 <= threshold <= 1 (or threshold_kind = 'count')"
            )
        if self.threshold_distribution == "fixed" and self.threshold_spread != 0:
            raise ConfigError(
                f"wom.threshold_spread = {self.threshold_spread:g} does not apply to "
                "threshold_distribution = 'fixed'; allowed: 'uniform' or 'normal'"
            )


@dataclass(frozen=True)
class MarketParams(Section):
    """``[market]``: advertising outside the platform, purchases and satisfaction."""

    SECTION = "market"
    p_advertising: float = param(
        0.0, low=0.0, high=1.0,
        doc="per-step chance the brand's outside advertising wins an unaware agent (Bass p)",
        source="Bass 1969; mean p = 0.03 per year (Sultan, Farley & Lehmann 1990)",
    )
    p_purchase: float = param(
        0.05, low=0.0, high=1.0, doc="per-step probability a fan who is not a customer buys"
    )
    satisfaction: float = param(
        0.9, low=0.0, high=1.0,
        doc="probability a new customer is satisfied; otherwise disappointed, turns negative "
        "and complains (Goldenberg et al. 2007)",
        source="Goldenberg, Libai, Moldovan & Muller 2007",
    )


def check_seeds_fit(seeding: SeedingParams, n: int, limit: str = "number of agents") -> None:
    """The seeds must fit in the population of ``n`` agents (the one place this is checked).

    ``limit`` names what sets ``n`` in the error (``graph.n`` for a scenario file).
    """
    if seeding.n_seeds > n:
        raise ConfigError(
            f"seeding.n_seeds = {seeding.n_seeds} is out of range; "
            f"allowed: 0 <= n_seeds <= {limit} ({n})"
        )


_RUN_FIELDS = {f.name: f for f in dataclasses.fields(RunParams)}


def check_run_value(key: str, value, label: str | None = None):
    """A ``seed``, ``replicates`` or ``steps`` given outside the file, checked against ``[run]``'s bounds.

    ``label`` names it in the error as the user gave it (``--steps``).

    >>> check_run_value("steps", 10)
    10
    >>> check_run_value("replicates", 0, "--replicates")
    Traceback (most recent call last):
    ...
    simulator.errors.ConfigError: --replicates = 0 is out of range; allowed: 1 <= replicates <= 1000000
    """
    try:
        return _coerce("run", _RUN_FIELDS[key], value)
    except ConfigError as exc:
        if label is None:
            raise
        raise ConfigError(str(exc).replace(f"run.{key}", label, 1)) from None
