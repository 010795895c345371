"""Sweeps: designs, seeds, 1 vs 2 workers, kill and resume, bad experiment files, the CLI."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

# The sweep extra (`pip install virality-simulator[sweep]`): skip, not fail, without it.
for _name in ("distributed", "pyarrow", "SALib"):
    pytest.importorskip(_name)

import simulator  # noqa: E402
from simulator.cli import main  # noqa: E402
from simulator.engine.run import make_graph  # noqa: E402
from simulator.errors import ConfigError  # noqa: E402
from simulator.rng import graph_seed  # noqa: E402
from simulator.sweep import worker  # noqa: E402
from simulator.sweep.design import ParamSpec, latin_hypercube  # noqa: E402
from simulator.sweep.execute import QUIET_SCHEDULER, Chunker, run_sweep  # noqa: E402
from simulator.sweep.experiment import FINAL_METRICS, Experiment, run_seed  # noqa: E402
from simulator.sweep.store import Store  # noqa: E402
from simulator.sweep.worker import Chunk, cached_graph, run_chunk  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SMOKE = ROOT / "experiments" / "smoke_sweep.toml"
SMOKE_RUNS = 18  # 3 x 2 grid points x 3 replicates

TINY = {
    "graph": {"kind": "erdos_renyi", "n": 400, "mean_degree": 8},
    "wom": {"p_positive": 0.2},
    "run": {"steps": 20},
}


def tiny(**extra) -> Experiment:
    data = {
        "scenario": TINY,
        "replicates": 2,
        "seed": 5,
        "parameters": {"wom": {"p_negative": [0.0, 0.1]}},
    }
    data.update(extra)
    return Experiment.from_dict(data)


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    """The smoke sweep run in-process, once."""
    out = tmp_path_factory.mktemp("ref")
    run_sweep(Experiment.load(SMOKE), out, workers=1, progress=False)
    return pd.read_parquet(out / "results.parquet")


# ------------------------------------------------------------------- designs
def test_final_metrics_are_the_engine_finals():
    sc = simulator.Scenario.from_dict(TINY)
    finals = simulator.run(sc, seed=1, replicates=1).finals
    assert set(FINAL_METRICS) <= set(finals.columns)
    assert set(finals.columns) - set(FINAL_METRICS) <= {"replicate", "detection_step"}


def test_grid_is_every_combination_last_fastest():
    exp = Experiment.from_dict(
        {
            "scenario": TINY,
            "parameters": {
                "wom.p_positive": [0.1, 0.2],
                "wom": {"talk_steps": {"start": 1, "stop": 3, "num": 3}},
            },
        }
    )
    pts = exp.design.points
    assert len(pts) == 6 and exp.swept == ["wom.p_positive", "wom.talk_steps"]
    assert [p["wom.talk_steps"] for p in pts[:3]] == [1, 2, 3]
    assert {p["wom.p_positive"] for p in pts[:3]} == {0.1}


def test_latin_hypercube_has_one_point_per_stratum():
    u = latin_hypercube(50, 3, np.random.default_rng(0))
    for j in range(3):
        assert sorted((u[:, j] * 50).astype(int)) == list(range(50))


def test_integer_range_covers_each_integer_equally():
    spec = ParamSpec("wom.talk_steps", low=1, high=4, integer=True)
    values = spec.from_unit(np.random.default_rng(1).random(40_000))
    counts = np.bincount(values)[1:]
    # 10,000 expected each; binomial sd ~87, so 5 sd is 435.
    assert len(counts) == 4 and np.all(np.abs(counts - 10_000) < 435)


@pytest.mark.parametrize(
    "kind, samples, points",
    [
        ("random", 7, 7),
        ("lhs", 7, 7),
        ("sobol", 8, 8 * (2 + 2)),
        ("morris", 3, 3 * (2 + 1)),
    ],
)
def test_sampled_designs_size_and_bounds(kind, samples, points):
    exp = tiny(
        design={"kind": kind, "samples": samples},
        parameters={
            "wom.p_positive": {"low": 0.05, "high": 0.3},
            "wom.talk_steps": {"low": 1, "high": 3},
        },
    )
    df = exp.design.table()
    assert len(df) == points == exp.n_points
    assert df["wom.p_positive"].between(0.05, 0.3).all()
    assert set(df["wom.talk_steps"]) <= {1, 2, 3} and df["wom.talk_steps"].dtype.kind == "i"
    assert df["u:wom.p_positive"].between(0, 1).all()


def test_run_seeds_depend_only_on_the_run_index():
    a, b = tiny(), tiny(replicates=5)
    assert a.run_seed(3) == b.run_seed(3) and len({a.run_seed(r) for r in range(4)}) == 4
    crn = tiny(common_random_numbers=True)
    assert crn.run_seed(0) == crn.run_seed(2) != crn.run_seed(1)  # replicate 0 of points 0, 1


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {
            "wom.p_positive": 0.05,
            "wom.p_negative": 0.1,
            "market.p_purchase": 0.2,
            "market.satisfaction": 0.5,
        },
        {"wom.p_positive": 0.01},  # dies out early: carried-forward rows, t_half_reach near 0
        {"run.resample_graph": True, "market.p_advertising": 0.01},
        {"feed.policy": "engagement", "followers.enabled": True, "brand.strategy": "spontaneous"},
    ],
)
def test_worker_run_equals_simulator_run(overrides):
    """A sweep worker's run is ``simulator.run``'s replicate 0, finals and series alike."""
    sc = simulator.Scenario.from_dict(TINY).with_overrides(overrides)
    graph = None if sc.run.resample_graph else make_graph(sc, 9)
    finals, series = worker.run_one(sc, 123, graph)
    assert finals.keys() == set(FINAL_METRICS)
    res = simulator.run(sc, seed=123, replicates=1, graph=graph)
    public = res.finals.drop(columns="replicate").iloc[0]
    pd.testing.assert_series_equal(
        pd.Series(finals)[public.index], public, check_dtype=False, check_names=False
    )
    table = worker.series_table(series, 3)
    ref = res.timeseries.drop(columns=["replicate"]).assign(run=np.int64(3))
    pd.testing.assert_frame_equal(table, ref[table.columns])


def test_worker_rows(tmp_path):
    sc = simulator.Scenario.from_dict(TINY)
    chunk = Chunk(
        sc,
        runs=(6, 7),
        points={3: {"wom.p_negative": 0.1}},
        replicates=2,
        seed=5,
        common_random_numbers=False,
        metrics=("reach", "net_sentiment"),
        graph_seed=graph_seed(9),
        series=True,
    )
    rows, series, seconds = run_chunk(chunk)
    assert rows.to_dict("list") | {"reach": None, "net_sentiment": None} == {
        "run": [6, 7],
        "point": [3, 3],
        "wom.p_negative": [0.1, 0.1],
        "replicate": [0, 1],
        "seed": [run_seed(5, 6, 2), run_seed(5, 7, 2)],
        "reach": None,
        "net_sentiment": None,
    }
    assert len(series) == 2 * 21 and seconds > 0


def test_graph_is_built_once_per_process():
    sc = simulator.Scenario.from_dict(TINY)
    g1, g2 = cached_graph(sc, 11), cached_graph(sc.with_overrides({"wom.p_positive": 0.3}), 11)
    assert g1 is g2
    assert cached_graph(sc.with_overrides({"graph.mean_degree": 4}), 11) is not g1
    assert cached_graph(sc, 12) is not g1


# ------------------------------------------------------------------- running
def test_smoke_table_shape(reference):
    df = reference
    assert len(df) == SMOKE_RUNS and df["run"].tolist() == list(range(SMOKE_RUNS))
    assert list(df.columns) == [
        "run",
        "point",
        "wom.p_positive",
        "wom.p_negative",
        "replicate",
        "seed",
        "reach",
        "positive",
        "negative",
        "net_sentiment",
        "customers",
    ]
    assert df["seed"].is_unique
    assert np.allclose(df["net_sentiment"], df["positive"] - df["negative"])
    # More positive word -> more reach (direction, averaged over negatives and replicates).
    reach = df.groupby("wom.p_positive")["reach"].mean()
    assert reach.is_monotonic_increasing


def test_two_workers_give_the_same_table(reference, tmp_path):
    meta = run_sweep(Experiment.load(SMOKE), tmp_path, workers=2, chunk=2, progress=False)
    assert meta["status"] == "complete" and meta["runs_done"] == SMOKE_RUNS
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "results.parquet"), reference)


def test_interrupted_and_resumed_has_every_run_once(reference, tmp_path):
    def stop_after_three_parts(done, total):
        if done >= 6:
            raise KeyboardInterrupt

    exp = Experiment.load(SMOKE)
    with pytest.raises(KeyboardInterrupt):
        run_sweep(exp, tmp_path, workers=1, chunk=2, progress=False, on_part=stop_after_three_parts)
    store = Store(tmp_path)
    assert store.done_runs() == set(range(6)) and not store.results_path.exists()
    assert store.read_metadata()["status"] == "interrupted"
    with pytest.raises(ConfigError, match="--resume"):
        run_sweep(exp, tmp_path, workers=1, progress=False)
    meta = run_sweep(exp, tmp_path, workers=1, chunk=5, resume=True, progress=False)
    assert meta["runs_done"] == SMOKE_RUNS and len(meta["sessions"]) == 2
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "results.parquet"), reference)


def test_killed_process_resumes_without_duplicates(tmp_path):
    # The smoke sweep with 30 replicates (180 runs, a few seconds), so the kill lands mid-way.
    path = tmp_path / "long.toml"
    path.write_text(
        SMOKE.read_text()
        .replace("replicates = 3 ", "replicates = 30 ")
        .replace('"../scenarios/', f'"{ROOT}/scenarios/')
    )
    exp = Experiment.load(path)
    assert exp.n_runs == 180
    out = tmp_path / "killed"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator.cli",
            "sweep",
            str(path),
            "--workers",
            "1",
            "--chunk",
            "1",
            "--out",
            str(out),
            "--quiet",
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while (
            len(Store(out).part_files()) < 5 and time.monotonic() < deadline and proc.poll() is None
        ):
            time.sleep(0.01)
        os.kill(proc.pid, signal.SIGKILL)  # no cleanup at all: the harshest interruption
    finally:
        proc.wait()
    before = pd.concat([pd.read_parquet(p) for _, p in Store(out).part_files()])
    assert 5 <= len(before) < exp.n_runs
    run_sweep(exp, out, workers=1, resume=True, progress=False)
    parts = pd.concat([pd.read_parquet(p) for _, p in Store(out).part_files()])
    assert sorted(parts["run"]) == list(range(exp.n_runs))  # each run in exactly one part
    res = pd.read_parquet(out / "results.parquet")
    assert res["run"].tolist() == list(range(exp.n_runs))
    assert res["seed"].tolist() == [exp.run_seed(r) for r in range(exp.n_runs)]
    # Rows written before the kill equal the same runs computed afresh in this process.
    again = run_chunk(next(Chunker(exp, before["run"].tolist()[:3], False, size=3)))[0]
    pd.testing.assert_frame_equal(
        again, res.iloc[before["run"].tolist()[:3]].reset_index(drop=True)
    )
    assert Store(out).read_metadata()["status"] == "complete"


def test_resume_refuses_a_different_experiment(tmp_path):
    run_sweep(tiny(), tmp_path, workers=1, progress=False)
    with pytest.raises(ConfigError, match="different sweep"):
        run_sweep(tiny(seed=6), tmp_path, workers=1, resume=True, progress=False)
    meta = run_sweep(
        tiny(), tmp_path, workers=1, resume=True, progress=False
    )  # nothing left to run
    assert meta["runs_done"] == 4 and len(pd.read_parquet(tmp_path / "results.parquet")) == 4


def test_series_and_metadata(tmp_path):
    exp = tiny(metrics=["reach"])
    run_sweep(exp, tmp_path, workers=1, series=True, progress=False)
    ts = pd.read_parquet(tmp_path / "series.parquet")
    assert len(ts) == 4 * 21 and list(ts.columns[:2]) == ["run", "step"]
    res = pd.read_parquet(tmp_path / "results.parquet")
    final = ts[ts["step"] == 20].set_index("run")["cum_reach"] / 400
    assert np.allclose(final.to_numpy(), res["reach"].to_numpy())
    meta = Store(tmp_path).read_metadata()
    assert meta["runs_total"] == meta["runs_done"] == 4 and meta["version"] == simulator.__version__
    assert meta["started"] and meta["finished"] and meta["status"] == "complete"
    design = pd.read_parquet(tmp_path / "design.parquet")
    assert design["wom.p_negative"].tolist() == [0.0, 0.1]


def test_swept_graph_parameter_changes_the_graph(tmp_path):
    exp = tiny(replicates=1, parameters={"graph.mean_degree": [2, 16]})
    run_sweep(exp, tmp_path, workers=1, progress=False)
    reach = pd.read_parquet(tmp_path / "results.parquet")["reach"].tolist()
    assert reach[0] < reach[1]  # T = 0.2: subcritical at degree 2, supercritical at 16


# ------------------------------------------------------------------ bad input
BAD = [
    ({"replicate": 2}, "unknown key 'replicate' (did you mean 'replicates'?)"),
    ({"design": {"knd": "grid"}}, "unknown key 'design.knd' (did you mean 'design.kind'?)"),
    (
        {"design": {"kind": "sobl", "samples": 8}},
        "design.kind = 'sobl' is not allowed (did you mean 'sobol'?)",
    ),
    (
        {"parameters": {"wom.p_postive": [0.1]}},
        "unknown parameter 'wom.p_postive' in [parameters] (did you mean 'p_positive'?)",
    ),
    (
        {"parameters": {"wom.p_positive": [0.1, 1.5]}},
        "wom.p_positive = 1.5 is out of range; allowed: 0.0 <= p_positive <= 1.0",
    ),
    (
        {"parameters": {"wom.p_positive": {"start": 0.5, "stop": 2, "num": 3}}},
        "wom.p_positive = 2 is out of range",
    ),
    (
        {"parameters": {"wom.talk_steps": {"start": 1, "stop": 4, "num": 3}}},
        "wom.talk_steps is an integer",
    ),
    (
        {
            "design": {"kind": "lhs", "samples": 4},
            "parameters": {"wom.p_positive": {"low": 0.1, "hgh": 0.2}},
        },
        "unknown key 'parameters.wom.p_positive.hgh' (did you mean 'parameters.wom.p_positive.high'?)",
    ),
    (
        {"parameters": {"wom.p_positive": {"low": 0.1, "high": 0.2}}},
        "a grid takes a list or { start, stop, num }",
    ),
    (
        {"parameters": {"wom.p_positive": 0.1}},
        "parameters.wom.p_positive = 0.1 is not allowed; expected a list",
    ),
    ({"parameters": {"run.seed": [1, 2]}}, "'run.seed' is not allowed; the sweep sets it"),
    (
        {"fixed": {"graph": {"mean_degre": 3}}},
        "unknown parameter 'graph.mean_degre' in [fixed] (did you mean 'mean_degree'?)",
    ),
    (
        {"metrics": ["reach", "net_sentimen"]},
        "unknown metric 'net_sentimen' in metrics (did you mean 'net_sentiment'?)",
    ),
    ({"replicates": 0}, "replicates = 0 is out of range; allowed: replicates >= 1"),
    (
        {
            "design": {"kind": "sobol", "samples": 10},
            "parameters": {"wom.p_positive": {"low": 0.1, "high": 0.2}},
        },
        "design.samples = 10 is not allowed; sobol needs a power of two",
    ),
    ({"design": {"kind": "lhs"}}, "design.samples is missing"),
]


@pytest.mark.parametrize("change, fragment", BAD)
def test_bad_experiment_one_line_error(change, fragment):
    data = {"scenario": TINY, "parameters": {"wom.p_negative": [0.0]}}
    data.update(change)
    with pytest.raises(ConfigError) as err:
        Experiment.from_dict(data)
    msg = str(err.value)
    assert fragment in msg and "\n" not in msg


def write_experiment(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "exp.toml"
    path.write_text(
        f'scenario = "{SMOKE.parent.parent / "scenarios" / "quickstart.toml"}"\n' + body
    )
    return path


@pytest.mark.parametrize(
    "body, args, fragment",
    [
        ("[parameters]\nwom.p_positive = [0.1, 2]\n", [], "wom.p_positive = 2 is out of range"),
        ("[paramters]\n", [], "unknown key 'paramters' (did you mean 'parameters'?)"),
        ("[parameters]\nwom.p_positive = { start = 0.0, stop = 0.5, num = 100_000_000 }\n", [],
         "parameters.wom.p_positive.num = 100,000,000 is out of range"),
        (
            "replicates = 2\n[parameters]\nwom.p_positive = [0.1]\n",
            ["--workers", "0"],
            "--workers = 0",
        ),
        ("seed = \n", [], "is not valid TOML"),
    ],
)
def test_cli_bad_input_one_line_exit_2(tmp_path, capsys, body, args, fragment):
    path = write_experiment(tmp_path, body)
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--quiet", *args]) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err and len(err.splitlines()) == 1 and err.startswith("virality: error:")
    assert not out.exists()  # nothing written for bad input


def test_cli_missing_file_and_occupied_out(tmp_path, capsys):
    assert main(["sweep", str(tmp_path / "nope.toml")]) == 2
    assert "experiment file" in capsys.readouterr().err
    path = write_experiment(
        tmp_path,
        "[fixed]\ngraph.kind = 'erdos_renyi'\ngraph.n = 300\n"
        "graph.mean_degree = 6\nrun.steps = 5\n[parameters]\nwom.p_positive = [0.1]\n",
    )
    out = tmp_path / "out"
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    before = pd.read_parquet(out / "results.parquet")
    assert main(["sweep", str(path), "--out", str(out), "--workers", "1", "--quiet"]) == 2
    assert "already holds a sweep" in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), before)


def test_a_scheduler_address_that_is_not_one_is_a_one_line_error(tmp_path, capsys):
    path = write_experiment(
        tmp_path,
        "[fixed]\ngraph.kind = 'erdos_renyi'\ngraph.n = 300\n"
        "graph.mean_degree = 6\nrun.steps = 5\n[parameters]\nwom.p_positive = [0.1]\n",
    )
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--scheduler", "not a url",
                 "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--scheduler = 'not a url': cannot connect" in err[0]


def test_running_scheduler_gives_the_same_table(reference, tmp_path):
    from distributed import LocalCluster

    # An in-process cluster (threads) keeps this quick; the path is the same as a remote one.
    with LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        dashboard_address=None,
        scheduler_kwargs=QUIET_SCHEDULER,
    ) as cluster:
        meta = run_sweep(
            Experiment.load(SMOKE), tmp_path, scheduler=cluster.scheduler_address, progress=False
        )
    assert meta["sessions"][0]["mode"].startswith("scheduler")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "results.parquet"), reference)


# ------------------------------------------------------------------ one owner, nothing lost
SMALL = ("replicates = 2\n[fixed]\ngraph.kind = 'erdos_renyi'\ngraph.n = 300\n"
         "graph.mean_degree = 6\nrun.steps = 5\n[parameters]\nwom.p_positive = [0.05, 0.1, 0.2]\n")


def small_sweep(tmp_path, *args):
    """Six runs, one per part, into ``tmp_path / "out"``."""
    path = write_experiment(tmp_path, SMALL)
    return main(["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1",
                 "--chunk", "1", "--quiet", *args])


def test_a_folder_in_use_by_another_sweep_is_refused(tmp_path, capsys):
    with Store(tmp_path / "out").lock():  # as a second process holding the folder would
        assert small_sweep(tmp_path) == 2
    assert "is in use by another sweep" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
    assert small_sweep(tmp_path) == 0  # released: the next sweep runs


def test_a_damaged_part_is_set_aside_and_its_runs_run_again(tmp_path, capsys):
    assert small_sweep(tmp_path) == 0
    out = tmp_path / "out"
    clean = pd.read_parquet(out / "results.parquet")
    (out / "parts" / "part-00002.parquet").write_bytes(b"PAR1 not a parquet file")
    assert small_sweep(tmp_path, "--resume") == 0
    assert "set aside damaged part-00002.parquet" in capsys.readouterr().err
    assert (out / "parts" / "damaged" / "part-00002.parquet").exists()
    pd.testing.assert_frame_equal(pd.read_parquet(out / "results.parquet"), clean)


def test_consolidation_refuses_missing_runs(tmp_path):
    store = Store(tmp_path / "out")
    store.prepare()
    store.write_part(pd.DataFrame({"run": [0, 1], "reach": [0.1, 0.2]}))
    with pytest.raises(ConfigError, match="1 of 3 runs are missing"):
        store.consolidate(3)
    assert not store.results_path.exists()


def test_resume_refuses_parts_without_their_metadata(tmp_path, capsys):
    assert small_sweep(tmp_path) == 0
    (tmp_path / "out" / "metadata.json").unlink()
    assert small_sweep(tmp_path, "--resume") == 2
    assert "holds parts but no metadata.json" in capsys.readouterr().err


def test_resume_refuses_a_changed_edge_list(tmp_path, capsys):
    edges = tmp_path / "edges.txt"
    edges.write_text("".join(f"{i} {(i + 1) % 40}\n{i} {(i + 7) % 40}\n" for i in range(40)))
    path = tmp_path / "exp.toml"
    path.write_text(
        f'scenario = "{SMOKE.parent.parent / "scenarios" / "quickstart.toml"}"\nreplicates = 2\n'
        f"[fixed]\ngraph.kind = 'edgelist'\ngraph.path = '{edges}'\ngraph.n = 10000\n"
        "graph.mean_degree = 130\nrun.steps = 5\nseeding.n_seeds = 2\n"
        "[parameters]\nwom.p_positive = [0.1, 0.2]\n"
    )
    args = ["sweep", str(path), "--out", str(tmp_path / "out"), "--workers", "1", "--quiet"]
    assert main(args) == 0
    edges.write_text(edges.read_text() + "0 20\n")
    assert main([*args, "--resume"]) == 2
    assert "holds a different sweep" in capsys.readouterr().err


@pytest.mark.slow
def test_soak_kills_interrupts_and_a_second_process_lose_nothing(tmp_path):
    """Random kill -9 and Ctrl+C cycles, with a second process trying the same folder: in the
    end every run is there exactly once, with the numbers of a sweep that ran undisturbed."""
    import signal
    import subprocess
    import time

    rng = np.random.default_rng(12)
    path = tmp_path / "soak.toml"
    path.write_text(
        f'scenario = "{SMOKE.parent.parent / "scenarios" / "quickstart.toml"}"\nreplicates = 200\n'
        "[fixed]\ngraph.kind = 'erdos_renyi'\ngraph.n = 20000\ngraph.mean_degree = 20\n"
        "run.steps = 60\n[parameters]\nwom.p_positive = [0.05, 0.1, 0.2]\n"
    )

    def sweep(out, *extra):
        return [sys.executable, "-m", "simulator.cli", "sweep", str(path), "--out", str(out),
                "--workers", "1", "--chunk", "3", "--quiet", *extra]

    subprocess.run(sweep(tmp_path / "clean"), check=True, timeout=300)
    out = tmp_path / "faulty"
    refused = killed = 0
    for _ in range(12):
        first = subprocess.Popen(sweep(out, "--resume"), stderr=subprocess.DEVNULL)
        time.sleep(float(rng.uniform(1.0, 3.0)))
        second = subprocess.run(sweep(out, "--resume"), capture_output=True, text=True,
                                timeout=300)
        if second.returncode == 2:
            assert "in use by another sweep" in second.stderr
            refused += 1
        else:
            assert second.returncode == 0, second.stderr
        first.send_signal(signal.SIGKILL if rng.random() < 0.5 else signal.SIGINT)
        if first.wait(timeout=60) in (-signal.SIGKILL, 130):  # killed or interrupted mid-way
            killed += 1
        meta = json.loads((out / "metadata.json").read_text()) if (out / "metadata.json").exists() else {}
        if meta.get("status") == "complete":
            break
    assert subprocess.run(sweep(out, "--resume"), timeout=300).returncode == 0
    clean = pd.read_parquet(tmp_path / "clean" / "results.parquet")
    got = pd.read_parquet(out / "results.parquet")
    assert got["run"].is_unique and len(got) == 600
    pd.testing.assert_frame_equal(got, clean)
    # A running sweep was met by the second process, or stopped mid-way (how often each
    # happens depends on the machine's speed, so the test asks for one of them).
    assert refused + killed > 0


def test_a_local_cluster_that_loses_every_worker_stops_with_one_line(tmp_path, monkeypatch):
    """Every worker gone for good (here the cluster scaled to none, as when its restarts
    keep failing): the sweep must end with a one-line error that keeps the finished runs,
    not wait for ever."""
    import simulator.sweep.execute as execute

    monkeypatch.setattr(execute, "WORKER_CHECK_SECONDS", 0.5)
    monkeypatch.setattr(execute, "NO_WORKERS_GRACE", 3.0)
    made = []
    real_init = execute._Dask.__init__

    def keep(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(execute._Dask, "__init__", keep)

    def lose_every_worker(done, total):
        if done == 2:
            made[0].cluster.scale(0)

    exp = Experiment.load(SMOKE)
    with pytest.raises(ConfigError, match="lost all its workers") as err:
        run_sweep(exp, tmp_path, workers=2, chunk=1, progress=False, on_part=lose_every_worker)
    assert "\n" not in str(err.value) and "--resume" in str(err.value)
    assert Store(tmp_path).done_runs()  # what finished is kept
    meta = run_sweep(exp, tmp_path, workers=1, resume=True, progress=False)
    assert meta["status"] == "complete" and meta["runs_done"] == SMOKE_RUNS


def test_a_finished_sweep_ends_with_a_summary_table_and_figure(reference, tmp_path, capsys):
    """summary.csv: one row per design point, the mean and 95% interval of every metric
    over its replicates; summary.png: the first metric over the first parameter."""
    from simulator.cli import main

    out = tmp_path / "out"
    assert main(["sweep", str(SMOKE), "--out", str(out), "--workers", "1"]) == 0
    printed = capsys.readouterr().out
    table = pd.read_csv(out / "summary.csv")
    assert len(table) == 6 and set(table["reach_n"]) == {3}
    by_point = reference.groupby("point")["reach"].mean().to_numpy()
    assert np.allclose(table["reach"], by_point)
    assert (table["reach_low"] <= table["reach"]).all() and (table["reach"] <= table["reach_high"]).all()
    assert (out / "summary.png").stat().st_size > 10_000
    assert "reach_low" in printed and "summary.png" in printed
    assert max(len(line) for line in printed.splitlines() if str(out) not in line) <= 100
