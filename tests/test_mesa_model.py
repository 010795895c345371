"""ViralityModel: the engine as a Mesa model (same numbers as ``simulator.run``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

mesa = pytest.importorskip("mesa", reason="the Mesa model needs the viz extra (mesa)")

import simulator  # noqa: E402
from simulator import ConfigError, Scenario, ViralityModel, mesa_model  # noqa: E402
from simulator.mesa_model import (  # noqa: E402
    DEFAULT_SCENARIO,
    OPINION_NAMES,
    PARAMETERS,
    REPORTED,
    Person,
)

ROOT = Path(__file__).resolve().parents[1]
CLASSROOM = ROOT / "scenarios" / "classroom.toml"
CRISIS = ROOT / "scenarios" / "crisis.toml"

# Small and fast, with negative word and purchases so every mechanism runs.
SMALL = {
    "graph": {"kind": "erdos_renyi", "n": 400, "mean_degree": 8},
    "seeding": {"n_seeds": 4},
    "wom": {"p_positive": 0.12, "p_negative": 0.15, "talk_steps": 3},
    "market": {"p_purchase": 0.2, "satisfaction": 0.7},
    "run": {"steps": 30, "replicates": 1, "seed": 11},
}


# The crisis story made small, with every platform layer on: the engagement feed
# with amplification, followers with the bell, the brand's posts, sponsored
# impressions beyond the agents' ad tolerance (some of whom leave the platform),
# outside advertising, and an outage the brand answers. Seeds start the word, so talk, likes and shares happen early.
PLATFORM_OVERRIDES = {
    "graph.n": 1500, "graph.mean_degree": 20,
    "seeding.n_seeds": 5,
    "market.p_advertising": 0.005,
    "feed.ad_tolerance": 0.05, "feed.p_leave": 0.05,
    "paid.sponsored_per_step": 1500, "paid.start_step": 1, "paid.stop_step": 10,
    "crisis.step": 8, "crisis.response": "respond", "crisis.capacity": 20,
    "run.steps": 25, "run.replicates": 2,
}

#: Platform series the scenario above must move, or the comparison would check zeros.
PLATFORM_SERIES_THAT_MOVE = (
    "new_impressions_organic", "new_impressions_follower", "new_impressions_notification",
    "new_impressions_amplified", "new_impressions_paid", "new_likes", "new_shares",
    "n_followers", "n_bell", "new_follows", "new_unfollows", "new_brand_posts",
    "organic_reach", "n_on_platform", "new_ad_overloaded", "new_responses", "cum_responses",
    "detection_step", "cum_cost", "cum_value", "new_advertising",
)


@pytest.fixture(scope="module")
def platform_scenario() -> Scenario:
    return Scenario.load(CRISIS).with_overrides(PLATFORM_OVERRIDES)


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


def test_datacollector_equals_the_run_with_the_platform_on(platform_scenario):
    seed = 5
    model = ViralityModel(scenario=platform_scenario, seed=seed)
    frame = run_to_end(model)
    ts = simulator.run(platform_scenario, seed=seed).timeseries
    first = ts[ts["replicate"] == 0].drop(columns=["replicate", "step"]).reset_index(drop=True)
    # Every column of timeseries.csv, under its name, in its order, with its dtype.
    assert list(frame.columns) == list(first.columns) == list(REPORTED)
    assert len(frame) == platform_scenario.run.steps + 1  # the platform never stops early
    pd.testing.assert_frame_equal(frame, first, check_exact=True)
    for name in PLATFORM_SERIES_THAT_MOVE:
        assert frame[name].nunique() > 1, f"{name} never moves: the test would check constants"


def test_one_person_agent_per_node():
    model = ViralityModel(n=120, mean_degree=6, graph_kind="erdos_renyi", n_seeds=3, seed=4)
    assert len(model.agents) == len(model.people) == model.graph.n == 120
    assert set(model.agents) == set(model.people)
    assert len(model.agents_by_type[Person]) == 120
    assert [p.node for p in model.people] == list(range(120))
    # Mesa numbers agents from 1: the AgentID of agent reporters is node + 1.
    assert [p.unique_id for p in model.people] == list(range(1, 121))
    assert {p.opinion for p in model.agents if p.talking} == {"positive"}
    assert sum(p.talking for p in model.agents) == 3


def test_person_properties_equal_agent_info(platform_scenario):
    model = ViralityModel(scenario=platform_scenario, seed=2)
    for _ in range(12):  # past the outage and the brand's answers
        model.step()
    # Someone of every kind: a talker, a customer, a follower, a bell subscriber,
    # someone who left the platform, anyone.
    s = model.state
    talking = np.flatnonzero(model.talking())
    picks = {int(talking[0]), int(np.flatnonzero(s.customer)[0]),
             int(np.flatnonzero(s.follower)[0]), int(np.flatnonzero(s.bell)[0]),
             int(np.flatnonzero(s.on_platform == 0)[0]), 0, 1499}
    for i in picks:
        person, info = model.people[i], model.agent_info(i)
        assert person.node == info["agent"] == i
        for key, value in info.items():
            if key != "agent":
                assert getattr(person, key) == value, (i, key)
        assert person.info() == info
        assert [f.node for f in person.friend_agents] == info["friends"]
    assert model.people[int(talking[0])].talking_until == int(s.talk_until[talking[0]])


def test_agent_reporters_equal_the_engine_arrays(platform_scenario):
    reporters = {"node": "node", "opinion": "opinion", "talking": "talking",
                 "customer": "customer", "follower": "follower", "bell": "bell",
                 "on_platform": "on_platform",
                 "friends_positive": lambda p: p.friends_by_opinion["positive"]}
    model = ViralityModel(scenario=platform_scenario, seed=3, agent_reporters=reporters)
    n = model.graph.n
    expected = []
    for step in range(6):
        if step:
            model.step()
        s, g = model.state, model.graph
        positive = (s.opinion == 1).astype(np.int64)
        expected.append(pd.DataFrame({
            "node": np.arange(n),
            "opinion": [OPINION_NAMES[int(o)] for o in s.opinion],
            "talking": model.talking(),
            "customer": s.customer.astype(bool),
            "follower": s.follower.astype(bool),
            "bell": s.bell.astype(bool),
            "on_platform": s.on_platform.astype(bool),
            "friends_positive": np.add.reduceat(positive[g.indices], g.indptr[:-1]),
        }, index=pd.Index(np.arange(1, n + 1), name="AgentID")))
    people = model.datacollector.get_agent_vars_dataframe()
    assert sorted(people.index.unique("Step")) == list(range(6))
    for step, arrays in enumerate(expected):
        pd.testing.assert_frame_equal(people.xs(step, level="Step"), arrays, check_dtype=False)
    # The arrays moved over these steps: the reporter followed them, not a copy.
    assert not expected[0]["opinion"].equals(expected[-1]["opinion"])
    assert not expected[0]["follower"].equals(expected[-1]["follower"])
    assert not expected[0]["on_platform"].equals(expected[-1]["on_platform"])


def test_agents_read_the_state_and_change_no_number(platform_scenario):
    with_agents = ViralityModel(scenario=platform_scenario, seed=7, agent_reporters={"o": "opinion"})
    without = ViralityModel(scenario=platform_scenario, seed=7, agents=False)
    assert len(without.agents) == 0 and without.people == ()
    with_agents.agents.do("step")  # Mesa's call: a Person has no step of its own
    assert with_agents.steps == 0 and (with_agents.state.opinion == without.state.opinion).all()
    pd.testing.assert_frame_equal(run_to_end(with_agents), run_to_end(without))


def test_agents_are_made_up_to_the_size_limit(monkeypatch):
    monkeypatch.setattr(mesa_model, "AGENT_LIMIT", 80)
    small = {"mean_degree": 4, "graph_kind": "erdos_renyi", "n_seeds": 2, "seed": 1}
    assert len(ViralityModel(n=80, **small).agents) == 80
    assert len(ViralityModel(n=81, **small).agents) == 0  # above the limit: off by default
    assert len(ViralityModel(n=81, agents=True, **small).agents) == 81
    assert len(ViralityModel(n=81, agent_reporters={"o": "opinion"}, **small).agents) == 81
    assert len(ViralityModel(n=80, agents=False, **small).agents) == 0
    # Without agents the model still reports everything and steps as before.
    model = ViralityModel(n=81, **small)
    model.step()
    assert len(model.datacollector.get_model_vars_dataframe().columns) == len(REPORTED)


def test_a_model_with_agents_is_freed():
    """Mesa 3.3.1 keeps every model that made agents alive; a ViralityModel is not kept."""
    import gc
    import weakref

    model = ViralityModel(n=200, mean_degree=4, graph_kind="erdos_renyi", seed=1)
    assert len(model.agents) == 200
    ref = weakref.ref(model)
    del model
    gc.collect()
    assert ref() is None


def test_batch_run_rows_stay_one_per_model_without_agent_reporters(batch_run):
    rows = batch_run(ViralityModel, parameters={"n": 150, "mean_degree": 4,
                                                "graph_kind": "erdos_renyi", "seed": 2},
                     iterations=1, max_steps=3, number_processes=1, display_progress=False)
    assert len(rows) == 1 and "AgentID" not in rows[0]
    assert set(REPORTED) <= set(rows[0])


@pytest.mark.parametrize(
    ("kwargs", "words"),
    [
        ({"agents": "yes"}, ["agents", "'yes'", "True, False or None"]),
        ({"agent_reporters": ["opinion"]}, ["agent_reporters", "mapping"]),
        ({"agents": False, "agent_reporters": {"o": "opinion"}}, ["agent_reporters", "agents=True"]),
        ({"agent_reporters": {"o": "opinon"}}, ["'opinon'", "not a Person attribute", "opinion"]),
    ],
)
def test_bad_agent_keywords_raise_one_line_config_errors(kwargs, words):
    with pytest.raises(ConfigError) as err:
        ViralityModel(n=50, mean_degree=4, graph_kind="erdos_renyi", seed=1, **kwargs)
    message = str(err.value)
    assert "\n" not in message
    for word in words:
        assert word in message


def test_agent_info_rejects_an_agent_outside_the_graph():
    model = ViralityModel(n=30, mean_degree=4, graph_kind="erdos_renyi", n_seeds=1, seed=1)
    with pytest.raises(ConfigError, match="0 <= agent < 30"):
        model.agent_info(30)
