"""The [graph] section: validation messages, dispatch, paths and the memory guard."""

from __future__ import annotations

import pytest

from simulator.errors import ConfigError, MemoryGuardError
from simulator.graphs import GraphParams, build_graph, check_memory, erdos_renyi, social
from simulator.graphs.memory import estimate_bytes


@pytest.mark.parametrize(
    "table",
    [
        {"kind": "social", "n": 2000, "mean_degree": 30},
        {"kind": "clustered", "n": 2000, "mean_degree": 30, "group_size": 6, "weak_share": 0.3},
        {"kind": "erdos_renyi", "n": 2000, "mean_degree": 8},
        {"kind": "configuration", "n": 2000, "mean_degree": 8, "distribution": "poisson"},
        {"kind": "configuration", "n": 2000, "distribution": "powerlaw", "exponent": 2.2, "cutoff": 100},
        {"kind": "configuration", "n": 2000, "mean_degree": 20, "median": 10},
        {"kind": "configuration", "n": 2000, "mean_degree": 6, "distribution": "regular"},
        {"kind": "watts_strogatz", "n": 2000, "mean_degree": 8, "rewire": 0.2},
        {"kind": "holme_kim", "n": 2000, "mean_degree": 8, "p_triad": 0.3},
        {"kind": "stochastic_block", "n": 2000, "mean_degree": 8, "communities": 4, "mixing": 0.2},
        {"kind": "complete", "n": 50},
    ],
)
def test_every_kind_builds_from_its_table(table):
    g = build_graph(GraphParams.from_dict(table), seed=3)
    kind = table["kind"]
    assert g.meta["kind"] == kind and g.n == table["n"]
    if kind in ("social", "clustered", "erdos_renyi", "stochastic_block"):
        assert abs(g.mean_degree - table["mean_degree"]) / table["mean_degree"] < 0.1
    if kind == "stochastic_block":
        assert int(g.community.max()) == 3


@pytest.mark.parametrize(
    ("table", "message"),
    [
        ({"kind": "socail"}, "did you mean 'social'"),
        ({"mean_degre": 10}, "unknown key 'graph.mean_degre' (did you mean 'mean_degree'?)"),
        ({"n": 0}, "graph.n = 0 is out of range; allowed: 1 <= n"),
        ({"rewire": 1.5, "kind": "watts_strogatz"}, "graph.rewire = 1.5 is out of range"),
        ({"n": 100, "mean_degree": 100}, "graph.mean_degree = 100 is not allowed; it must be below graph.n = 100"),
        ({"kind": "erdos_renyi", "rewire": 0.2}, "graph.rewire = 0.2 applies only to kind = 'watts_strogatz'"),
        ({"kind": "social", "mixing": 0.3}, "applies only to kind = 'stochastic_block'"),
        ({"kind": "erdos_renyi", "group_size": 5}, "applies only to kind = 'clustered'"),
        ({"kind": "edgelist"}, "graph.path is required when graph.kind = 'edgelist'"),
        ({"kind": "social", "path": "g.txt"}, "graph.path = 'g.txt' applies only to kind = 'edgelist'"),
        ({"kind": "edgelist", "path": "g.txt", "n": 5}, "graph.n = 5 does not apply to kind = 'edgelist'"),
        ({"kind": "complete", "n": 50, "mean_degree": 10}, "does not apply to kind = 'complete'"),
        ({"kind": "watts_strogatz", "mean_degree": 7}, "needs an even whole number"),
        ({"kind": "configuration", "exponent": 3.0}, "applies only to distribution = 'powerlaw'"),
        ({"kind": "configuration", "distribution": "powerlaw", "mean_degree": 20}, "does not apply to distribution"),
        ({"kind": "social", "median": 200}, "needs median < mean_degree"),
        ({"kind": "holme_kim", "m": 3, "mean_degree": 20}, "contradicts graph.mean_degree"),
        ({"kind": "stochastic_block", "n": 10, "mean_degree": 2, "communities": 11}, "at most graph.n"),
    ],
)
def test_bad_tables_give_one_line_errors(table, message):
    with pytest.raises(ConfigError) as err:
        GraphParams.from_dict(table)
    assert message in str(err.value)
    assert "\n" not in str(err.value)


def test_relative_edgelist_path_resolves_against_the_scenario_folder(tmp_path):
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "g.txt").write_text("a b\nb c\n")
    params = GraphParams.from_dict({"kind": "edgelist", "path": "data/g.txt"})
    g = build_graph(params, seed=0, base_dir=tmp_path)
    assert g.n == 3 and g.labels.tolist() == ["a", "b", "c"]
    with pytest.raises(ConfigError, match="no such file"):
        build_graph(params, seed=0, base_dir=tmp_path / "elsewhere")


def test_build_graph_same_seed_same_graph():
    params = GraphParams.from_dict({"kind": "social", "n": 3000, "mean_degree": 20})
    a, b = build_graph(params, seed=9), build_graph(params, seed=9)
    assert (a.indices == b.indices).all() and a.meta["seed"] == 9


def test_memory_guard_refuses_a_billion_agents_in_one_line():
    with pytest.raises(MemoryGuardError) as err:
        social(10**9, 130, seed=0)
    msg = str(err.value)
    assert "\n" not in msg
    assert msg.startswith("graph n=1000000000, mean_degree=130 needs about ")
    assert "GiB available (lower graph.n to at most " in msg
    with pytest.raises(MemoryGuardError, match="n=1000000000"):
        erdos_renyi(10**9, 130, seed=0)


@pytest.mark.parametrize("kind", ["erdos_renyi", "social", "holme_kim", "complete"])
def test_memory_refusal_names_limits_that_fit(kind):
    """The refusal says how far to lower each key, and the limits it names do fit."""
    import re

    from simulator.graphs.memory import USABLE_SHARE, check_memory, estimate_bytes

    have = 2 * 2**30
    n, degree = (300_000, 299_999) if kind == "complete" else (5_000_000, 130)
    with pytest.raises(MemoryGuardError) as err:
        check_memory(n, degree, kind, available=have)
    msg = str(err.value)
    n_max = int(re.search(r"graph.n to at most ([\d,]+)", msg).group(1).replace(",", ""))
    fits = USABLE_SHARE * have
    assert estimate_bytes(n_max, min(degree, n_max - 1), kind) <= fits
    assert estimate_bytes(n_max + 1, min(degree, n_max), kind) > fits
    if kind != "complete":
        d_max = int(re.search(r"graph.mean_degree to at most (\d+)", msg).group(1))
        assert estimate_bytes(n, d_max, kind) <= fits < estimate_bytes(n, d_max + 1, kind)


def test_memory_guard_uses_the_given_available_memory():
    need = estimate_bytes(10**6, 130, "erdos_renyi")
    assert check_memory(10**6, 130, "erdos_renyi", available=4 * need) == need
    with pytest.raises(MemoryGuardError, match="needs about 0.5 GiB to build; 0.5 GiB available"):
        check_memory(10**6, 130, "erdos_renyi", available=need)
    # Estimates grow with n and mean degree, and clustered builds need more than ER.
    assert estimate_bytes(10**6, 130, "social") > 2 * need


@pytest.mark.parametrize("n", [5, 100, 130])
def test_a_small_power_law_graph_can_be_made(n):
    """A power law's mean degree comes from exponent, k_min and cutoff, not from mean_degree."""
    g = build_graph(GraphParams.from_dict({"kind": "configuration", "distribution": "powerlaw",
                                           "n": n}), seed=1)
    assert g.n == n and 0 < g.mean_degree < n


@pytest.mark.parametrize("section", [
    {"kind": "stochastic_block", "n": 2000, "mean_degree": 10, "communities": 1, "mixing": 1.0},
    {"kind": "configuration", "n": 2000, "mean_degree": 10, "median": 1e-300},
])
def test_a_graph_far_from_the_asked_degree_warns(section):
    from simulator.errors import GraphWarning

    with pytest.warns(GraphWarning, match="graph.mean_degree = 10 was asked"):
        build_graph(GraphParams.from_dict(section), seed=1)


@pytest.mark.filterwarnings("default::simulator.errors.GraphWarning")
def test_the_command_line_shows_the_warning_in_one_line(tmp_path, capsys):
    from simulator.cli import main

    path = tmp_path / "sb.toml"
    path.write_text("[graph]\nkind = 'stochastic_block'\nn = 2000\nmean_degree = 10\n"
                    "communities = 1\nmixing = 1.0\n[run]\nreplicates = 1\nsteps = 3\n")
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet", "--no-plots"]) == 0
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ["virality: warning: graph.mean_degree = 10 was asked, but the stochastic_block "
                   "graph built has mean degree 0 (100% off); check the graph's other keys"]
