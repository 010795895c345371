"""``virality fit``: ABC-SMC recovers known parameters, reproducibly, and refuses bad input.

The "observed" data here are made by the simulator itself from known values
(a run with another seed than the fit's), so each test knows the truth. The
coverage of the 90% intervals over many synthetic data sets is measured in
``experiments/fit_coverage.py`` (too slow for the suite); a Bass fit against
the analytic curve is in ``experiments/fit_bass.py`` and, smaller, below.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import simulator
from simulator.errors import ConfigError
from simulator.fit.data import read_observed, write_observed
from simulator.fit.inference import run_fit
from simulator.fit.spec import FitSpec

SMALL = """\
name = "small"
[graph]
kind = "erdos_renyi"
n = 2000
mean_degree = 10
[seeding]
n_seeds = 10
[wom]
p_positive = 0.02
p_negative = 0.02
[market]
p_advertising = 0.0
[run]
steps = 30
replicates = 1
seed = 5
"""
#: The values the synthetic data are made with (what each fit should find).
TRUTH = {"wom.p_positive": 0.05, "wom.p_negative": 0.04, "market.p_advertising": 0.005}
PRIORS = {"wom.p_positive": (0.001, 0.2), "wom.p_negative": (0.001, 0.2),
          "market.p_advertising": (0.0, 0.03)}
SERIES = ("n_aware", "n_positive", "n_negative")
OBSERVED_STEPS = np.arange(0, 31, 2)


def fit_command(argv: list[str]) -> int:
    """``virality fit ARGV`` as ``simulator.cli`` runs a command: a ConfigError is one
    line on stderr and exit code 2."""
    from simulator.cli import _Parser
    from simulator.fit.commands import register

    parser = _Parser(prog="virality")
    register(parser.add_subparsers(dest="command", parser_class=_Parser))
    try:
        args = parser.parse_args(["fit", *argv])
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"virality: error: {exc}", file=sys.stderr)
        return 2


@pytest.fixture(scope="module")
def case(tmp_path_factory):
    """A small scenario file and a synthetic observed series made from :data:`TRUTH`."""
    folder = tmp_path_factory.mktemp("fit")
    scenario_path = folder / "small.toml"
    scenario_path.write_text(SMALL, encoding="utf-8")
    truth = simulator.Scenario.load(scenario_path, overrides=TRUTH)
    ts = simulator.run(truth, seed=99, replicates=1).timeseries
    data = write_observed(folder / "observed.csv", OBSERVED_STEPS,
                          {c: ts[c].to_numpy()[OBSERVED_STEPS] for c in SERIES})
    return folder, scenario_path, data


@pytest.fixture(scope="module")
def recovery(case):
    """The three-key fit of the synthetic data, with every output written."""
    folder, scenario, data = case
    spec = FitSpec.create(scenario, data, PRIORS, population=200, generations=7, seed=11,
                          predictive_draws=60)
    return run_fit(spec, folder / "recovery", progress=False, truth=TRUTH)


def test_recovery_finds_each_true_value_inside_its_90_interval(recovery):
    for key, true in TRUTH.items():
        s = recovery.summary[key]
        lo, hi = s["ci90"]
        assert lo <= true <= hi, (key, true, s)
        # ... and the data taught something: the interval is well inside the prior's range.
        prior_low, prior_high = PRIORS[key]
        assert hi - lo < 0.7 * (prior_high - prior_low), (key, s)
    assert recovery.diagnostics["generations"] == 7
    assert recovery.diagnostics["stopped_by"] == "generations"


def test_outputs_posterior_fit_json_and_slide_sized_figures(recovery):
    import matplotlib.image as mpimg

    out = recovery.out
    posterior = pd.read_csv(out / "posterior.csv")
    assert list(posterior.columns) == [*PRIORS, "weight"]
    assert len(posterior) == 200 and posterior["weight"].sum() == pytest.approx(1.0)
    record = json.loads((out / "fit.json").read_text())
    for key in PRIORS:
        entry = record[key]
        assert entry["mean"] > 0 and len(entry["ci90"]) == 2
        assert entry["ci90"][0] <= entry["median"] <= entry["ci90"][1]
        assert entry["prior"]["prior"] == "uniform"
    d = record["diagnostics"]
    assert d["generations"] == 7 and len(d["epsilon"]) == 7
    assert d["epsilon"][0] is None  # the prior sample: infinite tolerance
    assert all(a > b for a, b in zip(d["epsilon"][1:], d["epsilon"][2:], strict=False))
    assert 0 < d["acceptance_rate"] <= 1 and 0 < d["effective_sample_size"] <= 200
    assert d["simulations"] == sum(d["per_generation"]["simulations"])
    band = pd.read_csv(out / "predictive.csv")
    assert set(band["column"]) == set(SERIES) and (band["low"] <= band["high"]).all()
    for name in ("posterior_marginals", "posterior_pairs", "posterior_predictive"):
        assert mpimg.imread(out / f"{name}.png").shape[:2] == (1080, 1920), name
        assert (out / f"{name}.svg").exists()


def test_same_posterior_when_rerun_resumed_or_on_two_dask_workers(case, tmp_path):
    """Bit for bit: every candidate's draws come from (seed, generation, index)."""
    pytest.importorskip("distributed")
    _, scenario, data = case

    def spec(generations):
        return FitSpec.create(scenario, data, PRIORS, population=60, generations=generations,
                              seed=3, predictive_draws=10)

    run_fit(spec(3), tmp_path / "once", progress=False, plots=False)
    run_fit(spec(3), tmp_path / "again", progress=False, plots=False)
    run_fit(spec(1), tmp_path / "stopped", progress=False, plots=False)
    run_fit(spec(3), tmp_path / "stopped", progress=False, plots=False, resume=True)
    run_fit(spec(3), tmp_path / "dask", progress=False, plots=False, workers=2)
    reference = (tmp_path / "once" / "posterior.csv").read_bytes()
    for other in ("again", "stopped", "dask"):
        assert (tmp_path / other / "posterior.csv").read_bytes() == reference, other
    assert ((tmp_path / "dask" / "predictive.csv").read_bytes()
            == (tmp_path / "once" / "predictive.csv").read_bytes())


def test_command_line_fit_then_refuses_to_overwrite(case, tmp_path, capsys):
    _, scenario, data = case
    out = tmp_path / "cli"
    argv = [str(scenario), "--data", str(data), "--param", "wom.p_positive=0.001:0.2",
            "--param", "market.p_advertising=1e-4:0.03:log", "--population", "40",
            "--generations", "2", "--no-plots", "--out", str(out)]
    assert fit_command(argv) == 0
    captured = capsys.readouterr()
    assert "generation 2/2" in captured.err  # progress lines on stderr, as sweeps
    assert "90% interval" in captured.out and "market.p_advertising" in captured.out
    record = json.loads((out / "fit.json").read_text())
    assert record["market.p_advertising"]["prior"]["prior"] == "loguniform"
    before = (out / "posterior.csv").read_bytes()
    assert fit_command(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already holds a fit" in err and "--overwrite" in err
    assert (out / "posterior.csv").read_bytes() == before
    assert fit_command([*argv, "--overwrite", "--seed", "8", "--quiet"]) == 0
    assert (out / "posterior.csv").read_bytes() != before
    assert not [*tmp_path.glob(".cli.fitting-*"), *tmp_path.glob(".cli.replaced-*")]
    # Resuming with other settings is refused: it would mix two fits.
    assert fit_command([*argv, "--resume", "--seed", "9"]) == 2
    assert "holds a different fit" in capsys.readouterr().err


BAD_DATA = {
    "unknown column": ("step,n_awere\n0,1\n", [], "unknown column 'n_awere' (did you mean "
                                                 "'n_aware'?)"),
    "step beyond the run": ("step,n_aware\n0,1\n45,300\n", [],
                            "step = 45 is beyond the run; allowed: 0 <= step <= 30"),
    "shares without --shares": ("step,n_aware\n0,0.01\n10,0.2\n", [], "look like shares"),
    "share above 1": ("step,n_aware\n0,10\n10,200\n", ["--shares"],
                      "n_aware = 200 is out of range with --shares"),
    "count above the population": ("step,n_aware\n0,1\n10,5000\n", [],
                                   "n_aware = 5000 is out of range; allowed: 0 <= n_aware <= 2000"),
    "no step column": ("day,n_aware\n0,1\n", [], "has no step column"),
    "repeated step": ("step,n_aware\n0,1\n0,2\n", [], "step = 0 appears twice"),
    "not a number": ("step,n_aware\n0,1\n5,many\n", [], "n_aware = 'many' is not allowed"),
    "a float series": ("step,cum_cost\n0,1\n", [], "'cum_cost' cannot be fitted"),
}


@pytest.mark.parametrize("name", list(BAD_DATA))
def test_bad_data_is_one_line_naming_what_is_allowed(case, tmp_path, capsys, name):
    _, scenario, _ = case
    text, extra, expected = BAD_DATA[name]
    data = tmp_path / "bad.csv"
    data.write_text(text)
    out = tmp_path / "out"
    code = fit_command([str(scenario), "--data", str(data), "--param",
                        "wom.p_positive=0.001:0.2", "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
    assert expected in err, err
    assert not out.exists()


BAD_PARAMS = {
    "range outside the allowed values": (["wom.p_positive=0:1.5"],
                                         "wom.p_positive = 1.5 is out of range; allowed: "
                                         "0.0 <= p_positive <= 1.0"),
    "unknown key": (["wom.p_postive=0:0.1"], "unknown key 'wom.p_postive' (did you mean "
                                              "'p_positive'?)"),
    "LOW >= HIGH": (["wom.p_positive=0.2:0.1"], "expected LOW < HIGH"),
    "LOW == HIGH": (["wom.p_positive=0.1:0.1"], "expected LOW < HIGH"),
    "not numbers": (["wom.p_positive=a:b"], "LOW and HIGH must be numbers"),
    "no range": (["wom.p_positive"], "expected KEY=LOW:HIGH"),
    "an integer key": (["wom.talk_steps=1:5"], "'wom.talk_steps' is not allowed: it takes int"),
    "a graph key": (["graph.mean_degree=5:20"], "shares one friend graph"),
    "a choice key": (["crisis.response=0:1"], "'crisis.response' is not allowed: it takes str"),
    "log with LOW = 0": (["market.p_advertising=0:0.1:log"], "log-uniform prior needs LOW > 0"),
    "the same key twice": (["wom.p_positive=0:0.1", "wom.p_positive=0:0.2"], "given twice"),
}


@pytest.mark.parametrize("name", list(BAD_PARAMS))
def test_bad_params_are_one_line_naming_key_value_and_allowed(case, tmp_path, capsys, name):
    _, scenario, data = case
    params, expected = BAD_PARAMS[name]
    argv = [str(scenario), "--data", str(data), "--out", str(tmp_path / "out")]
    for p in params:
        argv += ["--param", p]
    assert fit_command(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and expected in err, err
    assert not (tmp_path / "out").exists()


def test_other_refusals(case, tmp_path, capsys):
    _, scenario, data = case
    base = [str(scenario), "--data", str(data), "--param", "wom.p_positive=0.001:0.2"]
    cases = [
        ([*base, "--steps", "20"], "step = 30 is beyond the run; allowed: 0 <= step <= 20"),
        ([*base, "--set", "wom.p_positive=0.1"], "is both fixed"),
        ([*base, "--columns", "n_customers"], "'n_customers' is not a column"),
        ([*base, "--resume", "--out", str(tmp_path / "none")], "holds no fit to continue"),
        ([*base, "--resume", "--overwrite"], "cannot be used together"),
        ([*base, "--population", "1"], "abc.population = 1 is out of range"),
        ([str(scenario), "--param", "wom.p_positive=0:1"], "--data is missing"),
        ([str(scenario), "--data", str(data)], "--param is missing"),
        ([*base, "--data", str(tmp_path / "missing.csv")], "not found"),
    ]
    for argv, expected in cases:
        assert fit_command(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and expected in err, (argv, err)
    # A folder holding a user's own file is never written into.
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("mine")
    assert fit_command([*base, "--out", str(mine), "--overwrite"]) == 2
    assert "holds 'notes.txt'" in capsys.readouterr().err
    assert sorted(p.name for p in mine.iterdir()) == ["notes.txt"]


def test_an_empty_posterior_is_one_line_and_leaves_no_folder(case, tmp_path, capsys):
    folder, _, data = case
    fit_file = tmp_path / "tight.toml"
    fit_file.write_text(f"""\
scenario = "{(folder / 'small.toml').as_posix()}"
[data]
file = "{data.as_posix()}"
[parameters]
wom.p_positive = {{ low = 0.001, high = 0.2 }}
[abc]
population = 20
initial_epsilon = 1e-9
max_simulations = 60
""")
    out = tmp_path / "out"
    assert fit_command([str(fit_file), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the posterior is empty" in err
    assert "abc.max_simulations = 60" in err and "allowed:" in err
    assert not out.exists()


def test_fit_file_priors_columns_and_distance(case, tmp_path):
    folder, scenario, data = case
    fit_file = tmp_path / "fit.toml"
    fit_file.write_text(f"""\
name = "from_a_file"
scenario = "{scenario.as_posix()}"
seed = 4
[fixed]
market.p_advertising = 0.005
[data]
file = "{data.as_posix()}"
columns = ["n_aware", "n_negative"]
[parameters]
wom.p_positive = {{ low = 0.001, high = 0.2, scale = "log" }}
wom.p_negative = {{ prior = "normal", mean = 0.05, sd = 0.03 }}
[distance]
kind = "mae"
weights = {{ n_negative = 2.0 }}
[abc]
population = 40
generations = 2
predictive_draws = 5
""")
    spec = FitSpec.load(fit_file)
    assert spec.observed.columns == ("n_aware", "n_negative")
    assert spec.scenario.market.p_advertising == 0.005
    normal = spec.priors[1]
    assert (normal.kind, normal.low, normal.high) == ("normal", 0.0, 1.0)  # the allowed range
    result = run_fit(spec, tmp_path / "out", progress=False, plots=False)
    record = json.loads((tmp_path / "out" / "fit.json").read_text())
    assert record["wom.p_negative"]["prior"] == {
        "prior": "normal", "low": 0.0, "high": 1.0, "mean": 0.05, "sd": 0.03}
    assert record["settings"]["distance"] == {"kind": "mae",
                                              "weights": {"n_aware": 1.0, "n_negative": 2.0}}
    assert (result.posterior["wom.p_negative"] >= 0).all()
    # The command line overrides the file (here: more particles, another seed).
    spec2 = FitSpec.load(fit_file, population=50, seed=5)
    assert (spec2.population, spec2.seed) == (50, 5)


@pytest.mark.parametrize("table, expected", [
    ("[distance]\nkind = \"normal\"\n", "distance.sd is missing"),
    ("[distance]\nkind = \"l2\"\n", "distance.kind = 'l2' is not allowed"),
    ("[distance]\nsd = 0.1\n", "distance.sd is only allowed with distance.kind = 'normal'"),
    ("[abc]\npopulaton = 10\n", "unknown key 'abc.populaton' (did you mean 'population'?)"),
    ("[abc]\nquantile = 1.5\n", "abc.quantile = 1.5 is out of range"),
    ("[data]\nfile = \"x.csv\"\nshares = \"yes\"\n", "data.shares = 'yes' is not allowed"),
])
def test_fit_file_errors_are_one_line(case, tmp_path, table, expected):
    _, scenario, data = case
    text = (f'scenario = "{scenario.as_posix()}"\n[parameters]\n'
            'wom.p_positive = { low = 0.001, high = 0.2 }\n' + table)
    if "[data]" not in table:
        text += f'[data]\nfile = "{data.as_posix()}"\n'
    path = tmp_path / "bad.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=None) as info:
        FitSpec.load(path)
    assert expected in str(info.value) and "\n" not in str(info.value)


def test_the_normal_likelihood_runs_to_temperature_one(case, tmp_path):
    _, scenario, data = case
    spec = FitSpec.create(scenario, data, {"wom.p_positive": (0.001, 0.2)},
                          fixed={"wom.p_negative": 0.04, "market.p_advertising": 0.005},
                          distance="normal", sd=0.05, population=40, generations=3, seed=2,
                          predictive_draws=5)
    result = run_fit(spec, tmp_path / "out", progress=False, plots=False)
    assert result.diagnostics["epsilon"][-1] == 1.0  # the exact posterior under the noise model
    lo, hi = result.summary["wom.p_positive"]["ci90"]
    assert lo <= TRUTH["wom.p_positive"] <= hi


def test_shares_and_partial_observations(tmp_path):
    """Shares with --shares; rows on some steps only; empty cells are not observed."""
    path = tmp_path / "obs.csv"
    path.write_text("step,n_aware,n_negative\n0,0.0,\n5,0.1,0.01\n20,0.6,\n")
    obs = read_observed(path, n=1000, steps=30, shares=True)
    assert obs.steps.tolist() == [0, 5, 20]
    assert obs.statistics()["n_negative"].tolist() == [0.01]
    assert obs.in_file_units(obs.values["n_aware"]).tolist() == [0.0, 0.1, 0.6]
    # Counts, and a replicate column holding one replicate (a 'virality run' table).
    counts = tmp_path / "counts.csv"
    counts.write_text("step,n_aware,replicate\n0,0,0\n5,100,0\n20,600,0\n")
    assert read_observed(counts, n=1000, steps=30).values["n_aware"].tolist() == [0.0, 0.1, 0.6]


def continuous_bass(p: float, q: float, t: np.ndarray) -> np.ndarray:
    """Bass (1969): F(t) = (1 - e^-(p+q)t) / (1 + (q/p) e^-(p+q)t)."""
    e = np.exp(-(p + q) * t)
    return (1 - e) / (1 + q / p * e)


def test_bass_fit_recovers_p_and_q_from_the_analytic_curve(tmp_path):
    """The complete graph in monthly steps against Bass's closed form with p = 0.03,
    q = 0.38 per year, observed quarterly as shares for 10 years: both inside their 90%
    intervals and within 15% (the monthly steps' discretisation and n = 1000 are the rest;
    experiments/fit_bass.py does it in weekly steps at n = 2000)."""
    p, q, n, per_year = 0.03, 0.38, 1000, 12
    years = np.arange(0, 10.01, 0.25)
    data = write_observed(tmp_path / "bass.csv", np.round(years * per_year).astype(int),
                          {"n_positive": continuous_bass(p, q, years)})
    scenario = simulator.Scenario.load(
        Path(__file__).resolve().parent.parent / "scenarios" / "reference" / "bass_per_year.toml",
        overrides={"graph.n": n, "run.step": "month", "run.steps": "10 years"})

    def per_step(rate):  # a rate per year as the chance per month the key holds
        return 1 - np.exp(-rate / per_year)

    priors = {"market.p_advertising": {"low": per_step(0.003), "high": per_step(0.3),
                                       "scale": "log"},
              "wom.p_positive": {"low": per_step(0.038 / n), "high": per_step(3.8 / n),
                                 "scale": "log"}}
    spec = FitSpec.create(scenario, data, priors, shares=True, population=150, generations=8,
                          seed=1, predictive_draws=20)
    result = run_fit(spec, tmp_path / "out", progress=False, plots=False)

    def per_year_rate(x):
        return -np.log1p(-np.asarray(x)) * per_year

    found = {"p": result.summary["market.p_advertising"], "q": result.summary["wom.p_positive"]}
    for name, true, scale in (("p", p, 1), ("q", q, n)):
        lo, hi = (per_year_rate(v) * scale for v in found[name]["ci90"])
        median = per_year_rate(found[name]["median"]) * scale
        assert lo <= true <= hi, (name, lo, hi)
        assert median == pytest.approx(true, rel=0.15), (name, median)
