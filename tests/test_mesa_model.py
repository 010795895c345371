"""ViralityModel: the engine as a Mesa model (same numbers as ``simulator.run``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

mesa = pytest.importorskip("mesa", reason="the Mesa model needs the viz extra (mesa)")

import simulator  # noqa: E402
from simulator import ConfigError, Scenario, ViralityModel  # noqa: E402
from simulator.mesa_model import DEFAULT_SCENARIO, PARAMETERS, REPORTED  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CLASSROOM = ROOT / "scenarios" / "classroom.toml"

# Small and fast, with negative word and purchases so every mechanism runs.
SMALL = {
    "graph": {"kind": "erdos_renyi", "n": 400, "mean_degree": 8},
    "seeding": {"n_seeds": 4},
    "wom": {"p_positive": 0.12, "p_negative": 0.15, "talk_steps": 3},
    "market": {"p_purchase": 0.2, "satisfaction": 0.7},
    "run": {"steps": 30, "replicates": 1, "seed": 11},
}


@pytest.fixture()
def batch_run():
    """Mesa's batch_run, without its import-time side effect on other tests.

    ``mesa.batchrunner`` forces multiprocessing's start method to "spawn" for the
    whole process when imported; put back what was there.
    """
    import multiprocessing

    before = multiprocessing.get_start_method(allow_none=True)
    from mesa.batchrunner import batch_run

    yield batch_run
    multiprocessing.set_start_method(before, force=True)


def run_to_end(model: ViralityModel) -> pd.DataFrame:
    while model.running:
        model.step()
    return model.datacollector.get_model_vars_dataframe()


def assert_same_as_run(model: ViralityModel, scenario: Scenario, seed: int) -> None:
    frame = run_to_end(model)
    ts = simulator.run(scenario, seed=seed, replicates=1).timeseries
    ts = ts[ts["replicate"] == 0].reset_index(drop=True)
    rows = len(frame)
    assert rows == model.steps + 1
    for name in REPORTED:
        # Step by step, every metric the engine writes, exactly.
        np.testing.assert_array_equal(frame[name].to_numpy(), ts[name].to_numpy()[:rows], err_msg=name)
    # After an early stop the run carries the last row forward: counts stay put.
    for name in ("n_aware", "n_positive", "n_negative", "cum_reach"):
        assert (ts[name].to_numpy()[rows - 1 :] == frame[name].iloc[-1]).all()


@pytest.mark.parametrize("seed", [0, 11])
def test_model_equals_run_step_by_step(seed):
    scenario = Scenario.from_dict(SMALL)
    assert_same_as_run(ViralityModel(scenario=scenario, seed=seed), scenario, seed)


def test_keywords_override_the_scenario_like_run_overrides():
    scenario = Scenario.from_dict(SMALL)
    model = ViralityModel(scenario=scenario, p_positive=0.3, talk_steps=2, satisfaction=0.5,
                          seeding_method="influencers", n_seeds=2, seed=3)
    expected = scenario.with_overrides({
        "wom.p_positive": 0.3, "wom.talk_steps": 2, "market.satisfaction": 0.5,
        "seeding.method": "influencers", "seeding.n_seeds": 2,
    })
    assert model.scenario == expected
    assert_same_as_run(model, expected, 3)


def test_model_from_a_file_uses_its_seed(tmp_path):
    path = tmp_path / "small.toml"
    path.write_text(
        '[graph]\nkind = "erdos_renyi"\nn = 300\nmean_degree = 6\n'
        "[wom]\np_positive = 0.2\n[run]\nsteps = 15\nseed = 5\n"
    )
    model = ViralityModel(scenario=path)
    assert model.seed == 5
    assert_same_as_run(model, Scenario.load(path), 5)


def test_default_model_is_the_classroom_scenario():
    model = ViralityModel(seed=2)
    assert model.graph.n == DEFAULT_SCENARIO["graph"]["n"]
    assert_same_as_run(model, Scenario.from_dict(DEFAULT_SCENARIO), 2)


def test_classroom_file_matches_the_built_in_default():
    from_file = Scenario.load(CLASSROOM).to_dict()
    built_in = Scenario.from_dict(DEFAULT_SCENARIO).to_dict()
    assert {k: v for k, v in from_file.items() if k != "name"} == {
        k: v for k, v in built_in.items() if k != "name"
    }


def test_classroom_validates_and_spreads_visibly():
    scenario = Scenario.load(CLASSROOM)  # validates every key
    res = simulator.run(scenario, replicates=5, steps=30)
    final = res.timeseries[res.timeseries["step"] == 30]
    n = res.n
    # A lesson needs a spread you can see in ~30 steps, with some negative word:
    # most replicates reach a fifth of the class and leave some detractors.
    assert (final["n_aware"] > 0.2 * n).sum() >= 3
    assert final["n_negative"].max() > 0


def test_batch_run_rows_have_parameter_and_metric_columns(batch_run):
    params = {"p_positive": [0.05, 0.3], "n": 200, "mean_degree": 6, "graph_kind": "erdos_renyi",
              "n_seeds": 3, "seed": 4}
    rows = batch_run(ViralityModel, parameters=params, iterations=1, max_steps=5,
                     number_processes=1, display_progress=False)
    assert len(rows) == 2
    table = pd.DataFrame(rows)
    assert sorted(table["p_positive"]) == [0.05, 0.3]
    for col in ("RunId", "iteration", "Step", "n", "seed", "n_aware", "n_positive", "n_negative",
                "n_talking_positive", "n_customers", "cum_reach"):
        assert col in table.columns, col
    # Each row is what the model itself recorded at that step.
    for row in rows:
        kwargs = {k: row[k] for k in params}
        frame = run_to_end_or(ViralityModel(**kwargs), max_steps=5)
        assert row["n_aware"] == frame["n_aware"].iloc[row["Step"]]
    more = table.set_index("p_positive")["cum_reach"]
    assert more[0.3] >= more[0.05]


def run_to_end_or(model: ViralityModel, max_steps: int) -> pd.DataFrame:
    while model.running and model.steps <= max_steps:
        model.step()
    return model.datacollector.get_model_vars_dataframe()


def test_batch_run_iterations_differ_without_a_seed(batch_run):
    params = {"n": 300, "mean_degree": 6, "graph_kind": "erdos_renyi", "p_positive": 0.2}
    rows = batch_run(ViralityModel, parameters=params, iterations=3, max_steps=8,
                     number_processes=1, display_progress=False)
    # Without a seed each model draws fresh entropy, as Mesa models do.
    assert len({r["cum_reach"] for r in rows} | {r["n_positive"] for r in rows}) > 1


def test_running_turns_false_at_the_last_step():
    model = ViralityModel(n=100, mean_degree=6, graph_kind="erdos_renyi", steps=3, seed=1)
    for _ in range(3):
        assert model.running
        model.step()
    assert not model.running and model.t == 3
    model.step()  # past the end: nothing changes
    assert model.t == 3
    assert len(model.datacollector.get_model_vars_dataframe()) == 4


def test_running_turns_false_when_nothing_more_can_happen():
    # Nobody passes word and nobody buys: the seeds fall silent after talk_steps.
    model = ViralityModel(n=100, mean_degree=6, graph_kind="erdos_renyi", p_positive=0.0,
                          p_purchase=0.0, talk_steps=2, steps=100, seed=1)
    frame = run_to_end(model)
    assert not model.running
    assert model.steps < 10
    assert frame["n_talking_positive"].iloc[-1] == 0


def test_agent_info_of_a_seed_and_its_friends():
    model = ViralityModel(n=60, mean_degree=5, graph_kind="erdos_renyi", n_seeds=2,
                          talk_steps=3, p_purchase=0.0, seed=8)
    seeds = np.flatnonzero(model.state.opinion == 1)
    assert seeds.size == 2
    info = model.agent_info(int(seeds[0]))
    assert info["opinion"] == "positive"
    assert info["talking"] is True and info["talking_until"] == 3
    assert info["customer"] is False and info["follower"] is False and info["bell"] is False
    assert info["friends"] == model.graph.neighbors(int(seeds[0])).tolist()
    assert len(info["friends_opinions"]) == info["degree"] == len(info["friends"])
    assert sum(info["friends_by_opinion"].values()) == info["degree"]
    quiet = model.agent_info(int(np.flatnonzero(model.state.opinion == 0)[0]))
    assert quiet["opinion"] == "unaware" and quiet["talking"] is False
    assert quiet["talking_until"] is None


def test_opinions_table_agrees_with_the_counts():
    model = ViralityModel(n=300, mean_degree=6, graph_kind="erdos_renyi", p_positive=0.2, seed=2)
    for _ in range(5):
        model.step()
    table = model.opinions_table()
    c = model.counts()
    assert len(table) == 300
    by = table["opinion"].value_counts()
    assert by["positive"] == c["n_positive"] and by["negative"] == c["n_negative"]
    assert by["neutral"] == c["n_neutral"]
    assert int(table["customer"].sum()) == c["n_customers"]
    talking = table[table["talking"]]
    assert (talking["opinion"] == "positive").sum() == c["n_talking_positive"]
    assert (talking["opinion"] == "negative").sum() == c["n_talking_negative"]


def test_parameters_lists_every_keyword():
    model = ViralityModel(n=80, mean_degree=4, graph_kind="erdos_renyi", p_negative=0.3, seed=6)
    params = model.parameters()
    assert set(params) == set(PARAMETERS) | {"seed"}
    assert params["p_negative"] == 0.3 and params["seed"] == 6 and params["graph_kind"] == "erdos_renyi"


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"p_positive": 1.5}, ["wom.p_positive", "1.5", "1.0"]),
        ({"seeding_method": "loud"}, ["seeding.method", "loud", "random"]),
        ({"graph_kind": "hairball"}, ["graph.kind", "hairball"]),
        ({"n": 50, "n_seeds": 80}, ["seeding.n_seeds", "80"]),
        ({"seed": -1}, ["seed", "-1", ">= 0"]),
        ({"scenario": "no/such/file.toml"}, ["no/such/file.toml", "not found"]),
    ],
)
def test_bad_parameters_raise_one_line_config_errors(kwargs, words):
    with pytest.raises(ConfigError) as err:
        ViralityModel(**kwargs)
    message = str(err.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_agent_info_rejects_an_agent_outside_the_graph():
    model = ViralityModel(n=30, mean_degree=4, graph_kind="erdos_renyi", n_seeds=1, seed=1)
    with pytest.raises(ConfigError, match="0 <= agent < 30"):
        model.agent_info(30)
