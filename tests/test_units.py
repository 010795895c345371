"""Time in real units: ``run.step``, rates per unit of time, durations."""

from __future__ import annotations

import math

import pytest

import simulator
from simulator.cli import main
from simulator.errors import ConfigError
from simulator.params.units import convert, duration_to_steps, rate_to_chance

YEAR = 365.25


def test_a_rate_is_a_constant_hazard_over_one_step():
    # The chance of at least one event in a step of dt is 1 - exp(-rate dt), exactly.
    assert rate_to_chance(0.38, "year", "week") == pytest.approx(1 - math.exp(-0.38 * 7 / YEAR),
                                                                 rel=1e-15)
    assert rate_to_chance(2.0, "day", "hour") == pytest.approx(1 - math.exp(-2 / 24), rel=1e-15)
    assert rate_to_chance(0.03, "month", "year") == pytest.approx(1 - math.exp(-0.36), rel=1e-15)
    # Chances per step compose: two half-steps give the chance of one step.
    half = rate_to_chance(1.0, "year", "day")
    assert 1 - (1 - half) ** 2 == pytest.approx(-math.expm1(-2 / YEAR), rel=1e-12)
    # A tiny rate keeps its precision (expm1, not 1 - exp).
    assert rate_to_chance(1e-12, "year", "day") == pytest.approx(1e-12 / YEAR, rel=1e-9)


def test_durations_round_to_whole_steps():
    assert duration_to_steps(10, "year", "week") == 522  # 521.8 weeks
    assert duration_to_steps(1, "month", "day") == 30  # 30.44 days
    assert duration_to_steps(36, "hour", "day") == 2  # 1.5 days rounds up
    assert duration_to_steps(3, "week", "week") == 3


def test_a_scenario_written_in_units():
    sc = simulator.Scenario.from_dict({
        "run": {"step": "week", "steps": "2 years"},
        "wom": {"p_positive": "0.38 per year", "talk_steps": "3 weeks"},
        "market": {"p_advertising": "0.03/year", "p_purchase": "1 per MONTH"},
    })
    assert sc.run.steps == 104 and sc.wom.talk_steps == 3
    assert sc.wom.p_positive == rate_to_chance(0.38, "year", "week")
    assert sc.market.p_advertising == rate_to_chance(0.03, "year", "week")
    assert sc.market.p_purchase == rate_to_chance(1, "month", "week")
    # Bare numbers stay chances per step, whatever the step.
    assert simulator.Scenario.from_dict({"run": {"step": "year"},
                                         "wom": {"p_positive": 0.2}}).wom.p_positive == 0.2


def test_changing_the_step_converts_the_written_rates_again():
    sc = simulator.Scenario.from_dict({"run": {"steps": "1 year"},
                                       "market": {"p_advertising": "0.03 per year"}})
    assert sc.run.step == "day" and sc.run.steps == 365
    weekly = sc.with_overrides({"run.step": "week"})
    assert weekly.run.steps == 52
    assert weekly.market.p_advertising == rate_to_chance(0.03, "year", "week")
    # A value given as a number replaces the written rate, which is then forgotten.
    fixed = weekly.with_overrides({"market.p_advertising": 0.1}).with_overrides({"run.step": "day"})
    assert fixed.market.p_advertising == 0.1 and fixed.run.steps == 365
    # Variants see the same conversion.
    sc = simulator.Scenario.from_dict({
        "run": {"step": "month"}, "market": {"p_advertising": "0.03 per year"},
        "variants": {"daily": {"run.step": "day"}, "fast": {"market.p_advertising": "0.3 per year"}},
    })
    assert sc.variant("daily").market.p_advertising == rate_to_chance(0.03, "year", "day")
    assert sc.variant("fast").market.p_advertising == rate_to_chance(0.3, "year", "month")


@pytest.mark.parametrize("table, fragment", [
    ({"market": {"p_advertising": "0.03 per fortnight"}},
     "market.p_advertising = '0.03 per fortnight' is not allowed; expected a number (a chance "
     "per step) or a rate such as '0.03 per year' (units: hour, day, week, month, year)"),
    ({"market": {"p_advertising": "-0.1 per year"}}, "allowed: a rate >= 0"),
    ({"market": {"p_advertising": "lots"}}, "market.p_advertising = 'lots' is not allowed"),
    ({"wom": {"impact_positive": "0.5 per day"}},
     "wom.impact_positive = '0.5 per day' is not allowed; expected a number (rates with a unit"),
    ({"wom": {"p_turn_negative": "2 weeks"}}, "durations with a unit are allowed for run.steps"),
    ({"run": {"step": "fortnight"}},
     "run.step = 'fortnight' is not allowed; allowed: hour, day, week, month, year"),
    ({"run": {"steps": "3 hours"}}, "run.steps = '3 hours' is shorter than one step (day)"),
    ({"run": {"steps": "0 years"}}, "allowed: a duration > 0"),
    ({"run": {"steps": "1000 years"}}, "run.steps = 365250 is out of range"),
    ({"run": {"steps": "10 per year"}}, "run.steps = '10 per year' is not allowed"),
    ({"run": {"step": ["week"]}}, "run.step = ['week'] is not allowed"),
    ({"run": {"steps": "1e307 years"}}, "allowed: a duration of at most 10^12 units"),
])
def test_bad_units_are_one_line_errors(table, fragment):
    with pytest.raises(ConfigError) as err:
        simulator.Scenario.from_dict(table)
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_units_on_the_command_line(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text('[graph]\nkind = "erdos_renyi"\nn = 500\nmean_degree = 6\n'
                    '[run]\nstep = "week"\nsteps = "1 year"\nreplicates = 1\n')
    out = tmp_path / "out"
    assert main(["run", str(path), "--set", "market.p_advertising=0.5 per year", "--out",
                 str(out), "--quiet", "--no-plots"]) == 0
    import json

    summary = json.loads((out / "summary.json").read_text())
    assert summary["parameters"]["run"]["step"] == "week"
    assert summary["parameters"]["market"]["p_advertising"] == rate_to_chance(0.5, "year", "week")
    assert summary["steps"] == 52
    assert main(["validate", str(path), "--set", "market.p_advertising=0.5 per eon"]) == 2
    assert "0.5 per eon" in capsys.readouterr().err


def test_convert_passes_everything_else_through():
    assert convert("feed.policy", "engagement", "day") == "engagement"
    assert convert("wom.p_positive", 0.2, "year") == 0.2
    assert convert("graph.path", "edges.txt", "day") == "edges.txt"


def test_validate_checks_the_variants_under_the_command_line_overrides(tmp_path, capsys):
    """A variant that is only invalid with --set (a duration shorter than the new step)
    is refused by validate, as compare would refuse it."""
    path = tmp_path / "s.toml"
    path.write_text('[graph]\nkind = "erdos_renyi"\nn = 100\nmean_degree = 4\n'
                    '[variants.fine]\nwom.talk_steps = "3 days"\n')
    assert main(["validate", str(path)]) == 0
    capsys.readouterr()
    assert main(["validate", str(path), "--set", "run.step=week"]) == 2
    err = capsys.readouterr().err
    assert "variants.fine: wom.talk_steps = '3 days' is shorter than one step (week)" in err
