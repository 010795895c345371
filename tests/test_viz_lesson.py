"""The ``[lesson]`` table, and what the classroom page computes (without a browser).

The page's texts, its live settings, its Reset settings, its comparison and
its network scene are plain functions of the model; the browser test
(``tests/test_viz_browser.py``) checks that the page shows them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator.errors import ConfigError
from simulator.scenario import Scenario

pytestmark = [pytest.mark.filterwarnings("ignore::UserWarning:solara.*")]

ROOT = Path(__file__).resolve().parents[1]
CLASSROOM = ROOT / "scenarios" / "classroom.toml"
SMALL = {"graph": {"kind": "erdos_renyi", "n": 200, "mean_degree": 6},
         "seeding": {"n_seeds": 3}, "wom": {"p_positive": 0.2, "p_negative": 0.2},
         "market": {"p_purchase": 0.1, "satisfaction": 0.7}, "run": {"steps": 30, "seed": 3}}


def write(tmp_path, text: str) -> Path:
    path = tmp_path / "lesson.toml"
    path.write_text(text)
    return path


# ------------------------------------------------------------------ [lesson]
def test_the_classroom_scenario_carries_a_real_lesson():
    lesson = Scenario.load(CLASSROOM).lesson
    assert lesson.intro and len(lesson.watch) >= 3 and len(lesson.ask) >= 3 and lesson.explore
    assert lesson.compare in Scenario.load(CLASSROOM).variants
    assert not lesson.empty


def test_a_lesson_is_read_and_ignored_by_the_engine(tmp_path):
    plain = write(tmp_path, '[graph]\nkind = "erdos_renyi"\nn = 300\nmean_degree = 6\n'
                            '[wom]\np_positive = 0.2\n[run]\nsteps = 10\n')
    with_lesson = tmp_path / "with.toml"
    with_lesson.write_text(plain.read_text() + '[lesson]\nwatch = ["Blue spreads."]\n'
                           'ask = ["Why?"]\nexplore = ["Raise p_positive."]\n')
    a, b = Scenario.load(plain), Scenario.load(with_lesson)
    assert b.lesson.watch == ("Blue spreads.",) and a.lesson.empty
    assert a.to_dict() | {"name": ""} == b.to_dict() | {"name": ""}  # results never record it
    assert not any(key.startswith("lesson") for key in b.flat())
    ra, rb = simulator.run(a, seed=2, replicates=2), simulator.run(b, seed=2, replicates=2)
    assert ra.timeseries.equals(rb.timeseries)


@pytest.mark.parametrize("text, fragment", [
    ('[lesson]\nwach = ["x"]\n', "unknown key 'lesson.wach' (did you mean 'watch'?)"),
    ('[lesson]\nask = "Why?"\n', 'lesson.ask = \'Why?\' is not allowed; expected a list of texts'),
    ('[lesson]\nwatch = [1, 2]\n', "lesson.watch has 1; expected texts in quotes"),
    ('[lesson]\nwatch = [""]\n', "none empty"),
    ('[lesson]\ncompare = "late"\n', "lesson.compare = 'late' is not a variant"),
    ('[lesson]\ncompare = "lod"\n[variants.loud]\nwom.p_positive = 0.2\n',
     "is not a variant (did you mean 'loud'?); allowed: loud"),
    ('lesson = 5\n[wom]\n', "'lesson' must be a [lesson] table"),
    ('[lessons]\nwatch = ["x"]\n', "unknown section '[lessons]' (did you mean 'lesson'?)"),
])
def test_a_bad_lesson_gets_one_line_naming_the_key(tmp_path, text, fragment):
    with pytest.raises(ConfigError) as err:
        Scenario.load(write(tmp_path, text + "[graph]\nkind = 'erdos_renyi'\n"))
    assert fragment in str(err.value) and "\n" not in str(err.value)


def test_a_lesson_survives_overrides_and_variants():
    scenario = Scenario.load(CLASSROOM)
    assert scenario.with_overrides({"wom.p_positive": 0.3}).lesson == scenario.lesson
    assert scenario.variant("influencers").lesson == scenario.lesson
    with pytest.raises(ConfigError, match="unknown key 'lesson.watch'"):
        scenario.with_overrides({"lesson.watch": ["x"]})


# ---------------------------------------------------------------- page texts
@pytest.fixture(scope="module")
def app():
    pytest.importorskip("solara", reason="the page needs the viz extra (solara)")
    from simulator.viz import app

    return app


def model_of(app, data=None, **kw):
    from simulator import ViralityModel

    return ViralityModel(scenario=Scenario.from_dict(data or SMALL), agents=False, **kw)


def test_the_lesson_tab_shows_the_file_s_texts(app):
    scenario = Scenario.load(CLASSROOM)
    text = app.lesson_html(scenario)
    assert scenario.lesson.intro[:40] in text
    for item in (*scenario.lesson.watch, *scenario.lesson.ask, *scenario.lesson.explore):
        assert item.replace("'", "&#x27;") in text
    for heading in ("What to watch", "Ask the class", "Try this"):
        assert heading in text
    assert "not in the engine" not in text  # no developer note
    bare = app.lesson_html(Scenario.from_dict(SMALL))
    assert "Press <b>Play</b>" in bare  # a scenario without a lesson still gets a start


def test_the_end_of_a_run_is_told_truthfully(app):
    model = model_of(app, steps=3)
    assert app.run_status(model) == ("Step 0 of 3", "ready: press Step or Play")
    model.step()
    assert app.run_status(model, playing=True)[1] == "playing"
    assert app.run_status(model)[1] == "paused"
    model.step()
    model.step()
    head, state = app.run_status(model)
    assert head == "Step 3 of 3" and "the run is over" in state and "Reset" in state
    assert "nothing" not in state  # the run only reached its last step
    quiet = model_of(app, {**SMALL, "wom": {"p_positive": 0.0, "p_negative": 0.0,
                                            "talk_steps": 1},
                           "market": {"p_purchase": 0.0}})
    while quiet.running:
        quiet.step()
    head, state = app.run_status(quiet)
    assert quiet.t < 30 and head == f"Step {quiet.t} of 30"
    assert "the word has died out" in state and "nobody talks" in state


def test_a_person_is_described_with_their_friends(app):
    model = model_of(app)
    talker = int(np.flatnonzero(model.talking())[0])
    text = app.person_html(model, talker)
    info = model.agent_info(talker)
    assert f"Person {talker}" in text and "is a fan" in text and "Talking now" in text
    assert f"<b>{info['degree']} friends</b>" in text
    assert f"{info['friends_by_opinion']['unaware']} unaware" in text


def test_counts_and_parameters_name_what_is_on_screen(app):
    model = model_of(app)
    assert "aware <b>3</b> of 200" in app.counts_html(model)
    text = app.parameters_html(model, [(4, 4, "wom.p_positive", 0.3), (6, 8, "wom.p_negative", 0.1)])
    assert "seed = 3" in text and "p_positive = 0.20" in text
    assert "from step 5: p_positive = 0.30<" in text
    assert "from step 7: p_negative = 0.10 (moved until step 9)" in text


# ------------------------------------------------------------ live settings
def test_a_live_change_applies_from_the_next_step_and_not_before(app):
    reference, changed = model_of(app), model_of(app)
    for _ in range(5):
        reference.step()
        changed.step()
    assert app.apply_live(changed, {"wom.p_positive": 0.0, "wom.p_negative": 0.0})
    assert changed.parameters()["p_positive"] == 0.0
    for _ in range(5):
        reference.step()
        changed.step()
    before = reference.datacollector.get_model_vars_dataframe()
    after = changed.datacollector.get_model_vars_dataframe()
    assert before.iloc[:6].equals(after.iloc[:6])  # the steps already run are untouched
    assert (after["new_word_positive"].iloc[6:] == 0).all()
    assert (after["new_word_negative"].iloc[6:] == 0).all()
    assert before["new_word_positive"].iloc[6:].sum() > 0


def test_satisfaction_changed_live_makes_more_complainers(app):
    happy, unhappy = model_of(app), model_of(app)
    happy.step()
    unhappy.step()
    assert app.apply_live(unhappy, {"market.satisfaction": 0.0})
    while happy.running:
        happy.step()
    while unhappy.running:
        unhappy.step()
    assert unhappy.counts()["n_negative"] > happy.counts()["n_negative"]


def test_settings_that_change_the_class_wait_for_reset(app):
    model = model_of(app)
    settings = app.initial_settings(model)
    assert app.pending_changes(settings, model) == {}
    assert not app.apply_live(model, {"graph.n": 100})
    settings.update({"graph.n": 120, "seed": 9, "wom.p_positive": 0.3})
    assert app.pending_changes(settings, model) == {"graph.n": 120, "seed": 9,
                                                    "wom.p_positive": 0.3}
    app.apply_live(model, {"wom.p_positive": 0.3})
    assert set(app.pending_changes(settings, model)) == {"graph.n", "seed"}
    fresh = app.build_model(model.scenario, settings)
    assert fresh.graph.n == 120 and fresh.seed == 9 and fresh.t == 0
    assert app.pending_changes(settings, fresh) == {}


def test_reset_settings_of_the_classroom_rebuild_its_circles(app):
    from simulator import ViralityModel

    base = Scenario.load(CLASSROOM)
    model = ViralityModel(scenario=base, agents=False)
    settings = app.initial_settings(model)
    assert settings["graph.communities"] == 6 and settings["graph.mixing"] == 0.06
    settings.update({"graph.communities": 3, "graph.mixing": 0.2, "graph.mean_degree": 5,
                     "seeding.method": "influencers"})
    fresh = app.build_model(base, settings)
    assert app.circles_of(fresh.graph) == 3 and fresh.scenario.graph.mixing == 0.2
    assert fresh.parameters()["seeding_method"] == "influencers"
    settings.update({"graph.n": 60, "graph.communities": 6, "graph.mean_degree": 20})
    with pytest.raises(ConfigError, match="communities too small"):
        app.build_model(base, settings)


def test_the_controls_cover_the_lesson_s_knobs(app):
    keys = {c.key for c in app.visible_controls(Scenario.load(CLASSROOM))}
    assert {"graph.n", "graph.mean_degree", "graph.mixing", "wom.p_positive",
            "market.satisfaction"} <= keys
    assert "graph.mixing" not in {c.key for c in app.visible_controls(Scenario.from_dict(SMALL))}
    assert all(c.live == (c.key in app.LIVE_KEYS) for c in app.CONTROLS.values())


# ---------------------------------------------------------------- comparing
def test_compare_runs_shows_a_choice_matter(app):
    base = Scenario.load(CLASSROOM)
    choices = app.variant_choices(base)
    assert app.first_choice(base) == "unhappy buyers" and "unhappy buyers" in choices
    result = app.compare_runs(base, base.with_overrides(choices["unhappy buyers"]), seed=7,
                              replicates=8)
    assert result["a"]["spread"]["n_negative"][0] < result["b"]["spread"]["n_negative"][0]
    assert result["a"]["panel"]["series"][0]["values"][0] == 3  # both start from 3 talkers
    table = app.compare_table_html({**result}, "now", "unhappy", 7)
    assert "average of" in table and "seed 7" in table
    assert app.variant_choices(Scenario.from_dict(SMALL)) == app.BUILT_IN_CHANGES


# ------------------------------------------------------------- the network
def test_the_friend_circles_are_drawn_apart_and_labelled(app):
    from matplotlib.path import Path as Polygon

    from simulator import ViralityModel
    from simulator.viz.drawing import circle_outlines, layout, network_scene

    model = ViralityModel(scenario=CLASSROOM, agents=False)
    scene = network_scene(model.graph)
    assert [c["label"] for c in scene["circles"]] == [f"circle {k}" for k in range(1, 7)]
    outlines = [c["outline"] for c in circle_outlines(model.graph, layout(model.graph))]
    for a in range(len(outlines)):
        for b in range(len(outlines)):
            if a != b:  # no corner of one circle inside another: none reads as part of another
                assert not Polygon(outlines[a]).contains_points(outlines[b]).any(), (a, b)
    assert len(scene["nodes"]) == 300 and len(scene["edges"]) == 2 * model.graph.n_edges
    radii = np.array(scene["nodes"])[:, 2]
    assert radii.min() >= 0.007 * scene["size"]  # a person is a few pixels even on a laptop


def test_warm_up_compiles_what_a_step_runs(app):
    """After the warm-up, a new model's steps compile nothing more: every kernel a step
    calls already holds the specialisation it needs (no wall-clock bound: the first
    Step's time is printed by the browser test)."""
    import numba

    from simulator import ViralityModel
    from simulator.kernels import wom

    seconds = app.warm_up(Scenario.load(CLASSROOM), seed=7)
    assert seconds > 0
    assert wom.advance.signatures  # compiled (or loaded from the cache) by the warm-up

    def compiled():
        return {name: len(f.signatures) for name, f in vars(wom).items()
                if isinstance(f, numba.core.registry.CPUDispatcher)}

    before = compiled()
    model = ViralityModel(scenario=CLASSROOM, seed=11)
    for _ in range(3):
        model.step()
    assert model.t == 3 and compiled() == before
