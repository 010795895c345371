"""The key reference and the warnings about settings that do nothing."""

from __future__ import annotations

import pytest

import simulator
from simulator.cli import main
from simulator.params import SECTIONS
from simulator.params.effects import without_effect
from simulator.params.reference import KEYS_PAGE, markdown, rows, text


def test_the_keys_page_is_the_one_the_declarations_generate():
    """docs/keys.md cannot drift: regenerate it with `python -m simulator.params.reference`."""
    assert KEYS_PAGE.read_text(encoding="utf-8") == markdown()


def test_every_key_is_listed_with_a_meaning_and_every_number_with_a_unit():
    listed = {r["key"] for r in rows()}
    declared = {f"{s}.{k}" for s, klass in SECTIONS.items() for k in klass.keys()}
    assert listed == declared
    for r in rows():
        assert r["meaning"], r["key"]
        numeric = r["allowed"][:1].isdigit() or r["allowed"].startswith("-")
        assert r["unit"] or not numeric, f"{r['key']} has no unit"


def test_keys_command_prints_a_section_within_100_columns(capsys):
    assert main(["keys", "wom"]) == 0
    out = capsys.readouterr().out
    assert "wom.p_positive = 0.01 (chance per friend per step)" in out and "[feed]" not in out
    assert max(len(line) for line in text().splitlines()) <= 100
    assert main(["keys", "wrm"]) == 2
    assert "did you mean 'wom'" in capsys.readouterr().err


@pytest.mark.parametrize("over, fragment", [
    ({"crisis.step": 500}, "crisis.step = 500 is after the last step"),
    ({"crisis.response": "respond"}, "crisis.response has no effect without a crisis"),
    ({"crisis.step": 5, "market.p_purchase": 0.0}, "there are none"),
    ({"brand.strategy": "late", "brand.enter_step": 90}, "the late brand never enters"),
    ({"brand.strategy": "abandon", "brand.exit_step": 80}, "the brand never abandons"),
    ({"paid.sponsored_per_step": 10, "paid.start_step": 9, "paid.stop_step": 3},
     "no paid promotion runs"),
    ({"paid.influencers": 3, "paid.start_step": 70}, "paid.start_step = 70 is after the last step"),
    ({"wom.threshold": 0.3}, "wom.threshold has no effect with wom.contagion = 'simple'"),
    ({"wom.contagion": "threshold", "wom.impact_positive": 0.9},
     "wom.impact_positive has no effect with wom.contagion = 'threshold'"),
])
def test_settings_without_effect_are_named(over, fragment):
    sc = simulator.Scenario.from_dict({"run": {"steps": 60}}).with_overrides(over)
    found = without_effect(sc)
    assert len(found) == 1 and fragment in found[0]


def test_shipped_scenarios_have_no_setting_without_effect():
    from tests.test_scenario import ALL_SCENARIOS

    for path in ALL_SCENARIOS:
        sc = simulator.Scenario.load(path)
        assert without_effect(sc) == [], path
        for name in sc.variants:
            assert without_effect(sc.variant(name)) == [], (path, name)


def test_validate_warns_and_shows_the_resolved_values(tmp_path, capsys):
    path = tmp_path / "s.toml"
    path.write_text('[run]\nsteps = "4 weeks"\n[crisis]\nstep = 100\n')
    assert main(["validate", str(path), "--resolved"]) == 0
    captured = capsys.readouterr()
    assert "warning: crisis.step = 100 is after the last step (run.steps = 28)" in captured.err
    assert "steps = 28   # written '4 weeks'" in captured.out
    assert "p_positive = 0.01   # default" in captured.out


def test_take_down_keys_act_in_a_take_down_variant():
    """Set once in a file's base, a take-down key acts in its take_down variant: no warning
    there, a warning when nothing in the file takes the page down."""
    base = {"run": {"steps": 60}, "crisis": {"step": 10, "response": "silent",
                                              "takedown_outrage": 0.1}}
    alone = simulator.Scenario.from_dict(base)
    assert any("takedown_outrage has no effect" in w for w in without_effect(alone))
    with_variant = simulator.Scenario.from_dict(
        {**base, "variants": {"take_down": {"crisis": {"response": "take_down"}}}})
    assert without_effect(with_variant) == []
    assert without_effect(with_variant.variant("take_down")) == []
