"""The engine: series shape, reproducibility, invariants, results files."""

from __future__ import annotations

import json

import numpy as np
import pytest

import simulator
from simulator.core import metrics as M
from simulator.engine.simulation import check_invariants
from simulator.errors import InvariantError
from simulator.graphs import erdos_renyi


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


def test_invariant_violation_is_a_named_error():
    sim = simulator.run(scenario(), replicates=1)
    series = np.zeros((3, M.N_WOM_METRICS), np.int64)
    series[:, M.N_UNAWARE] = 5  # counts sum to 5, not n
    from simulator.core.state import AgentState

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
    from simulator.engine.simulation import choose_seeds

    seeds = choose_seeds(g, sc.seeding, 0)
    assert g.degrees()[seeds].min() >= np.sort(g.degrees())[-5]
