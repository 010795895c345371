"""The engine: series shape, reproducibility, invariants, results files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import simulator
from simulator.engine.run import make_graph
from simulator.engine.simulation import Simulation, check_invariants
from simulator.errors import ConfigError, InvariantError
from simulator.graphs import erdos_renyi
from simulator.rng import replicate_keys
from simulator.state import metrics as M

ROOT = Path(__file__).resolve().parents[1]


def scenario(**over):
    base = {"graph": {"kind": "erdos_renyi", "n": 3000, "mean_degree": 12},
            "run": {"steps": 40, "replicates": 4, "seed": 3}}
    sc = simulator.Scenario.from_dict(base)
    return sc.with_overrides(over) if over else sc


def test_series_shape_and_row_zero():
    res = simulator.run(scenario())
    ts = res.timeseries
    assert list(ts.columns[:2]) == ["replicate", "step"]
    assert len(ts) == 4 * 41
    first = ts[ts.step == 0]
    assert (first.n_positive == 10).all() and (first.new_positive == 0).all()
    for col in ("n_aware", "n_positive", "n_negative", "n_talking_positive",
                "n_talking_negative", "n_customers", "new_positive", "new_negative", "cum_reach"):
        assert col in ts


def test_same_seed_same_numbers_and_replicates_independent_of_count():
    a = simulator.run(scenario(), seed=8)
    b = simulator.run(scenario(), seed=8)
    assert a.timeseries.equals(b.timeseries)
    two = simulator.run(scenario(), seed=8, replicates=2)
    assert two.timeseries.equals(a.timeseries[a.timeseries.replicate < 2].reset_index(drop=True))
    c = simulator.run(scenario(), seed=9)
    assert not c.timeseries.equals(a.timeseries)


def test_invariants_hold_under_validate():
    res = simulator.run(scenario(**{"wom.p_negative": 0.2, "market.satisfaction": 0.3,
                                    "market.p_advertising": 0.01}), validate=True)
    ts = res.timeseries
    total = ts.n_unaware + ts.n_neutral + ts.n_positive + ts.n_negative
    assert (total == res.n).all()
    for _, g in ts.groupby("replicate"):
        assert (np.diff(g.cum_reach) >= 0).all()


def quickstart_settings(n: int = 5000) -> simulator.Scenario:
    """The quickstart's word of mouth and market (negative word, purchases, disappointment)
    with outside advertising on, on a smaller graph."""
    sc = simulator.Scenario.load(ROOT / "scenarios" / "quickstart.toml")
    return sc.with_overrides({"graph.n": n, "market.p_advertising": 0.002, "run.steps": 60})


def test_compiled_plan_equals_the_plan_run_phase_by_phase():
    """The plain model's compiled steps (``kernels.wom.advance``) are the step plan with the
    platform components present but neutral, run phase by phase: the same numbers."""
    sc = quickstart_settings()
    g = make_graph(sc, 5)
    for r in range(3):
        keys = replicate_keys(5, r)
        compiled = Simulation(g, sc.model, 60, keys, validate=True)
        stepwise = Simulation(g, sc.model, 60, keys, validate=True, stepwise=True)
        assert compiled.plan.compiled and not stepwise.plan.compiled
        a, b = compiled.run_to_end(), stepwise.run_to_end()
        assert np.array_equal(a.series, b.series)
        # The layers the neutral components keep agree too, money included (the compiled
        # plan counts the value of the customers won from its counts); the feed's
        # impression and like counts are recorded only when the platform phases run.
        for col in (M.P_FOLLOWERS, M.P_BELL, M.P_ON_PLATFORM, M.P_CUM_RESPONSES, M.P_DETECTION,
                    M.P_COST, M.P_SHARES, M.P_VALUE, M.P_NPV):
            assert np.array_equal(a.layers[:, col], b.layers[:, col]), M.LAYER_NAMES[col]
        won = a.series[:, M.CUM_CUSTOMERS] - a.series[0, M.CUM_CUSTOMERS]
        assert np.array_equal(a.layers[:, M.P_VALUE], sc.brand.value_per_customer * won)
        for name in ("opinion", "customer", "ever_aware", "ever_positive", "ever_negative"):
            assert np.array_equal(getattr(a.state, name), getattr(b.state, name)), name
        # Every mechanism of the settings was exercised.
        last = a.series[-1]
        assert last[M.CUM_WORD_NEGATIVE] > 0 and last[M.CUM_CUSTOMERS] > 0
        assert a.series[:, M.NEW_ADVERTISING].sum() > 0 and a.series[:, M.NEW_DISAPPOINTED].sum() > 0


def test_one_step_at_a_time_equals_one_call():
    sc = quickstart_settings(2000)
    g = make_graph(sc, 2)
    keys = replicate_keys(2, 0)
    whole = Simulation(g, sc.model, 60, keys).run_to_end()
    stepped = Simulation(g, sc.model, 60, keys)
    while not stepped.done:
        stepped.step()
    assert np.array_equal(whole.series, stepped.series)


def test_metric_table_derives_positions_and_columns():
    assert M.COUNT_NAMES[M.N_UNAWARE] == "n_unaware" and M.LAYER_NAMES[M.P_VALUE] == "cum_value"
    assert len(set(M.COUNT_NAMES + M.LAYER_NAMES)) == M.N_COUNTS + M.N_LAYERS
    assert "n_buyers_left" not in M.PUBLIC_COLUMNS
    assert M.FLOAT_COLUMNS == {"organic_reach", "cum_cost", "cum_value", "cum_npv"}
    peaks = {s.name for s in M.SERIES if s.aggregate == "max"}
    assert peaks == {"n_talking_positive", "n_talking_negative"}
    for s in M.SERIES:
        if s.kind == "new":
            assert s.aggregate == "sum" and s.idle == "zero", s.name
        elif s.name not in peaks | {"organic_reach"}:
            assert s.aggregate == "last", s.name
    res = simulator.run(scenario(), replicates=1)
    assert list(res.timeseries.columns[2:]) == list(M.PUBLIC_COLUMNS)


def test_invariant_violation_is_a_named_error():
    sim = simulator.run(scenario(), replicates=1)
    series = np.zeros((3, M.N_COUNTS), np.int64)
    series[:, M.N_UNAWARE] = 5  # counts sum to 5, not n
    from simulator.state.agents import AgentState

    with pytest.raises(InvariantError, match="sum to 5"):
        check_invariants(series, AgentState.empty(10), 10)
    assert sim.n == 3000


def test_summary_has_contract_fields_and_file_round_trip(tmp_path):
    res = simulator.run(scenario())
    paths = res.write(tmp_path)
    summary = json.loads(paths["summary"].read_text())
    assert len(summary["replicates"]) == 4
    for key in ("reach", "positive", "negative"):
        assert key in summary["mean"]
        lo, hi = summary["ci95"][key]
        assert lo <= summary["mean"][key] <= hi
        for rep in summary["replicates"]:
            assert 0.0 <= rep[key] <= 1.0
    assert summary["replicates"][0]["seed"] == {"entropy": 3, "spawn_key": [1, 0]}
    assert summary["seed"] == 3 and summary["version"] == simulator.__version__
    # Every printed figure can be reproduced from the written time series.
    import pandas as pd

    ts = pd.read_csv(paths["timeseries"])
    last = ts[ts.step == ts.step.max()]
    assert np.isclose(last.n_positive.mean() / res.n, summary["mean"]["positive"])


def test_given_graph_is_used_and_influencer_seeding_picks_hubs():
    g = erdos_renyi(2000, 10, seed=1)
    sc = scenario(**{"seeding.method": "influencers", "seeding.n_seeds": 5})
    res = simulator.run(sc, graph=g, replicates=1)
    assert res.n == 2000
    from simulator.components.wom import choose_seeds

    seeds = choose_seeds(g, sc.seeding, 0)
    assert g.degrees()[seeds].min() >= np.sort(g.degrees())[-5]


def test_cached_kernels_are_dropped_when_a_source_they_read_changes(tmp_path, monkeypatch):
    """numba checks only a kernel's own file; a changed dependency (say the metrics table)
    must drop the cache rather than run stale column positions."""
    from simulator import _kernel_cache as kc

    pkg = tmp_path / "pkg"
    folders = [pkg, pkg / "state", pkg / "kernels", pkg / "graphs"]
    for f in folders:
        (f / "__pycache__").mkdir(parents=True)
        (f / ("rng.py" if f == pkg else "mod.py")).write_text("x = 1\n")
        (f / "__pycache__" / "mod.f-1.py311.nbi").write_bytes(b"index")
        (f / "__pycache__" / "mod.f-1.py311.1.nbc").write_bytes(b"code")
    monkeypatch.setattr(kc, "_PACKAGE", pkg)
    monkeypatch.setattr(kc, "_FOLDERS", tuple(folders))
    monkeypatch.setattr(kc, "_cache_dir", lambda folder: folder / "__pycache__")
    cached = lambda: sorted(p.name for f in folders for p in (f / "__pycache__").glob("*.nb*"))  # noqa: E731
    assert kc.drop_stale_kernels() and cached() == []  # no record of the sources: dropped
    (pkg / "kernels" / "__pycache__" / "mod.f-1.py311.nbi").write_bytes(b"index")
    assert not kc.drop_stale_kernels() and cached() == ["mod.f-1.py311.nbi"]  # unchanged: kept
    (pkg / "cli.py").write_text("y = 1\n")  # plain Python beside rng.py: no kernel reads it
    assert not kc.drop_stale_kernels() and cached() == ["mod.f-1.py311.nbi"]
    (pkg / "state" / "mod.py").write_text("x = 2\n")  # a dependency changed
    assert kc.drop_stale_kernels() and cached() == []


def test_a_given_graph_is_what_the_summary_records():
    res = simulator.run(scenario(), graph=erdos_renyi(50, 4, seed=1), replicates=1)
    graph = res.summary["parameters"]["graph"]
    assert graph["given"] is True and graph["n"] == 50 == res.summary["n"]
    assert "given" not in simulator.run(scenario(), replicates=1).summary["parameters"]["graph"]


def test_run_takes_a_path_or_a_dict_and_refuses_anything_else(tmp_path):
    """What a new user tries first: ``simulator.run("file.toml")`` and ``run({...})``."""
    sections = {"graph": {"kind": "erdos_renyi", "n": 300, "mean_degree": 5},
                "run": {"steps": 4, "replicates": 1, "seed": 3}}
    path = tmp_path / "s.toml"
    path.write_text('[graph]\nkind = "erdos_renyi"\nn = 300\nmean_degree = 5\n'
                    "[run]\nsteps = 4\nreplicates = 1\nseed = 3\n")
    by_dict, by_path = simulator.run(sections), simulator.run(str(path))
    by_scenario = simulator.run(simulator.Scenario.from_dict(sections))
    assert by_dict.timeseries.equals(by_scenario.timeseries)
    assert by_path.timeseries.equals(simulator.run(path).timeseries)
    assert by_path.timeseries.equals(by_dict.timeseries)
    with pytest.raises(ConfigError, match="scenario = int is not allowed"):
        simulator.run(5)


def test_money_is_carried_to_the_end_when_a_run_falls_quiet():
    """A compiled run that stops early (nobody left to talk or buy) still records the
    value of its customers on every later row."""
    sc = simulator.Scenario.from_dict({
        "graph": {"kind": "erdos_renyi", "n": 300, "mean_degree": 3},
        "seeding": {"n_seeds": 2, "initial_customers": 0.0},
        "market": {"p_purchase": 1.0}, "wom": {"p_positive": 0.05, "talk_steps": 1},
        "run": {"steps": 200, "replicates": 1},
    })
    ts = simulator.run(sc, seed=3).timeseries
    assert ts.n_talking_positive.iloc[-50:].sum() == 0  # quiet long before the end
    won = ts.cum_customers - ts.cum_customers.iloc[0]
    assert won.iloc[-1] > 0
    np.testing.assert_array_equal(ts.cum_value, sc.brand.value_per_customer * won)


@pytest.mark.parametrize("rate", [0.0, 0.003, 0.5])
@pytest.mark.parametrize("value", [7.5, 0.0, -0.0])
@pytest.mark.parametrize("won", [True, False])
def test_ledger_closes_unpaid_steps_at_once_as_step_by_step(rate, value, won):
    """The compiled plan's money (``Ledger.record_unpaid``) is the step-by-step ledger's, to
    the bit (signed zeros too), in several calls as in one; also when no customer is won or
    customers are worth nothing (its shortcut)."""
    from simulator.components.ledger import Ledger
    from simulator.state import metrics as M

    rng = np.random.default_rng(3)
    counts = np.zeros((120, M.N_COUNTS), np.int64)
    counts[:, M.CUM_CUSTOMERS] = 40 + won * np.cumsum(rng.integers(0, 30, 120))
    one, many = Ledger(value, 40, rate), Ledger(value, 40, rate)
    want = np.zeros((120, M.N_LAYERS))
    got = np.zeros((120, M.N_LAYERS))
    for t in range(120):
        one.open_step()
        one.record(counts[t], want[t])
    for rows in (slice(0, 1), slice(1, 50), slice(50, 120)):  # one row, then many
        many.record_unpaid(counts[rows], got[rows])
    np.testing.assert_array_equal(got.view(np.int64), want.view(np.int64))
    ends = [(ledger.npv, ledger.value, ledger.weight) for ledger in (many, one)]
    np.testing.assert_array_equal(*(np.array(e).view(np.int64) for e in ends))
