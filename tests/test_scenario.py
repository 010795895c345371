"""Scenario files: validation, overrides, variants, one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

import simulator
from simulator.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
ALL_SCENARIOS = sorted((ROOT / "scenarios").rglob("*.toml"))


def write(tmp_path, text):
    p = tmp_path / "s.toml"
    p.write_text(text)
    return p


def test_every_shipped_scenario_validates():
    assert ALL_SCENARIOS, "no scenarios shipped"
    for path in ALL_SCENARIOS:
        sc = simulator.Scenario.load(path)
        assert sc.graph.n > 0
        for name in sc.variants:
            sc.variant(name)


def test_overrides_apply_and_validate():
    sc = simulator.Scenario.load(ROOT / "scenarios" / "quickstart.toml",
                                 overrides={"wom.p_positive": 0.1, "run.steps": 7})
    assert sc.wom.p_positive == 0.1 and sc.run.steps == 7
    assert sc.flat()["wom.p_positive"] == 0.1


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("[wom]\np_postive = 0.1\n", "unknown key 'wom.p_postive' (did you mean 'p_positive'?)"),
        ("[wom]\np_positive = 1.5\n", "wom.p_positive = 1.5 is out of range; allowed: 0.0 <= p_positive <= 1.0"),
        ("[wom]\ntalk_steps = 0\n", "wom.talk_steps = 0 is out of range"),
        ("[wom]\np_positive = 'a lot'\n", "wom.p_positive = 'a lot' is not allowed; expected a number"),
        ("[womm]\np_positive = 0.1\n", "unknown section '[womm]' (did you mean 'wom'?)"),
        ("[seeding]\nmethod = 'influencer'\n", "seeding.method = 'influencer' is not allowed (did you mean 'influencers'?)"),
        ("[run]\nsteps = -3\n", "run.steps = -3 is out of range"),
        ("[graph]\nn = 10\nmean_degree = 4\n[seeding]\nn_seeds = 50\n", "seeding.n_seeds = 50 is out of range"),
        ("[wom\np = 1\n", "is not valid TOML"),
        ("[variants.late]\nwom.p_postive = 0.2\n", "variants.late: unknown key 'wom.p_postive'"),
        ("", "has no section; expected at least one of [graph]"),
        ("variants = 5\n[wom]\n", "variants = 5 is not allowed; expected tables of overrides"),
        ("variants = 'late'\n[wom]\n", "variants = 'late' is not allowed"),
        ("[graph]\nn = " + "[" * 5000 + "]" * 5000 + "\n", "nests arrays or tables too deeply"),
        ("name = 'only a name'\n", "has no section"),
        ("name = 5\n[wom]\n", "name = 5 is not allowed; expected text in quotes"),
        ("description = [1]\n[wom]\n", "description = [1] is not allowed"),
        ("variants = []\n[wom]\n", "variants = [] is not allowed"),
    ],
)
def test_bad_input_gives_one_line_naming_key_and_allowed(tmp_path, text, fragment):
    with pytest.raises(ConfigError) as err:
        simulator.Scenario.load(write(tmp_path, text))
    message = str(err.value)
    assert fragment in message
    assert "\n" not in message


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        simulator.Scenario.load(tmp_path / "nope.toml")


@pytest.mark.parametrize("path, fragment", [
    ("DIR", "is not a regular file"), ("/dev/zero", "is not a regular file"),
    ("/proc/self/mem", "cannot be read"),
])
def test_files_that_are_not_scenarios_say_why(tmp_path, path, fragment):
    with pytest.raises(ConfigError, match=fragment):
        simulator.Scenario.load(tmp_path if path == "DIR" else path)


def test_a_byte_order_mark_is_not_part_of_the_file(tmp_path):
    p = tmp_path / "bom.toml"
    p.write_bytes(b"\xef\xbb\xbf[graph]\nkind = 'erdos_renyi'\nn = 100\nmean_degree = 4\n")
    assert simulator.Scenario.load(p).graph.n == 100


def test_run_settings_must_be_whole_numbers_within_run_bounds():
    sc = simulator.Scenario.from_dict({"graph": {"kind": "erdos_renyi", "n": 100, "mean_degree": 4}})
    for kw, fragment in (({"seed": 1.7}, "run.seed = 1.7 is not allowed; expected an integer"),
                         ({"replicates": 2.9}, "run.replicates = 2.9 is not allowed"),
                         ({"seed": 2**70}, "allowed: 0 <= seed <= 9223372036854775807")):
        with pytest.raises(ConfigError, match=fragment.replace(".", r"\.").replace("*", r"\*")):
            simulator.run(sc, **kw)


def test_bad_override_key():
    sc = simulator.Scenario.load(ROOT / "scenarios" / "quickstart.toml")
    with pytest.raises(ConfigError, match="did you mean 'satisfaction'"):
        sc.with_overrides({"market.satisfacton": 0.5})
    with pytest.raises(ConfigError, match="section one of"):
        sc.with_overrides({"nosection": 1})
    with pytest.raises(ConfigError, match="a whole section cannot be set; expected section.key, e.g. wom"):
        sc.with_overrides({"wom": 1})


def test_variants_are_overrides_of_the_base(tmp_path):
    p = write(tmp_path, "[wom]\np_positive = 0.05\n[variants.loud]\nwom.p_positive = 0.2\n"
                        "[variants.quiet.wom]\np_positive = 0.01\n")
    sc = simulator.Scenario.load(p)
    assert sc.variant("loud").wom.p_positive == 0.2
    assert sc.variant("quiet").wom.p_positive == 0.01
    assert sc.wom.p_positive == 0.05
    with pytest.raises(ConfigError, match="did you mean 'loud'"):
        sc.variant("lou")


def test_sections_registry_model_params_and_scenario_agree():
    """A section is registered once (SECTIONS) and must be a field of both containers."""
    import dataclasses

    from simulator.params import SECTIONS, ModelParams
    from simulator.scenario import Scenario

    scenario_sections = [f.name for f in dataclasses.fields(Scenario) if f.name in SECTIONS]
    assert scenario_sections == list(SECTIONS)
    assert [f.name for f in dataclasses.fields(Scenario)][: len(SECTIONS)] == list(SECTIONS)
    model = [f.name for f in dataclasses.fields(ModelParams)]
    assert model == [s for s in SECTIONS if s not in ("graph", "run")]
    for f in dataclasses.fields(ModelParams):
        assert f.type in (SECTIONS[f.name], SECTIONS[f.name].__name__), f.name
