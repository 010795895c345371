"""The compile helper of a first run (simulator/engine/precompile.py).

The helper runs each scenario in miniature in a second process; whatever goes wrong
there is silent (the run then compiles for itself), so these tests check what silence
would hide: that every shipped scenario and variant runs in miniature, that the helper
starts only when it can help, and that it changes no number.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulator import Scenario, run
from simulator.engine import precompile
from simulator.engine.precompile import compile_beside, miniature
from simulator.engine.run import run_replicates

ROOT = Path(__file__).resolve().parent.parent
SHIPPED = sorted((ROOT / "scenarios").rglob("*.toml"))


def _cases():
    for path in SHIPPED:
        sc = Scenario.load(path)
        yield pytest.param(sc, id=str(path.relative_to(ROOT / "scenarios")))
        for name in sc.variants:
            yield pytest.param(sc.variant(name), id=f"{path.relative_to(ROOT / 'scenarios')}/{name}")


@pytest.mark.parametrize("scenario", list(_cases()))
def test_every_shipped_scenario_runs_in_miniature(scenario):
    small = miniature(scenario)
    assert small.graph.kind == "erdos_renyi" and small.graph.n == precompile.MINIATURE["n"]
    assert small.model.platform_on == scenario.model.platform_on
    assert small.crisis == scenario.crisis and small.brand == scenario.brand
    reps = run_replicates(small, seed=1, replicates=1, steps=min(scenario.run.steps, 40))
    assert len(reps.series) == 1


def test_no_helper_when_switched_off_or_warm(monkeypatch):
    sc = Scenario.load(ROOT / "scenarios" / "quickstart.toml").with_overrides({"graph.n": 2_000})
    run(sc, replicates=1, steps=3)  # the kernels are compiled and cached now
    assert compile_beside([sc], 3) is None  # warm cache: nothing to gain
    monkeypatch.setattr(precompile, "_cached", lambda dispatcher: False)
    monkeypatch.setenv("VIRALITY_PRECOMPILE", "0")
    assert compile_beside([sc], 3) is None
    monkeypatch.setenv("VIRALITY_PRECOMPILE", "1")
    monkeypatch.setattr(precompile, "usable_cores", lambda: 1)
    assert compile_beside([sc], 3) is None


def test_the_helper_runs_and_changes_no_number(monkeypatch):
    sc = Scenario.load(ROOT / "scenarios" / "crisis.toml").with_overrides({"graph.n": 3_000})
    before = run(sc, replicates=2, steps=30)
    monkeypatch.setattr(precompile, "_cached", lambda dispatcher: False)  # pretend a cold cache
    helper = compile_beside([sc], 30)
    assert helper is not None
    helper.wait()
    assert helper.process.returncode == 0
    after = run(sc, replicates=2, steps=30)  # with a helper beside it again
    np.testing.assert_array_equal(before.timeseries.to_numpy(), after.timeseries.to_numpy())


def test_a_failed_run_stops_its_helper(monkeypatch):
    sc = Scenario.load(ROOT / "scenarios" / "quickstart.toml").with_overrides({"graph.n": 2_000})
    monkeypatch.setattr(precompile, "_cached", lambda dispatcher: False)
    started = []
    real = precompile.compile_beside

    def spy(scenarios, steps):
        helper = real(scenarios, steps)
        started.append(helper)
        return helper

    monkeypatch.setattr(precompile, "compile_beside", spy)
    with pytest.raises(RuntimeError), precompile.compiling_beside([sc], 3):
        raise RuntimeError("the graph could not be built")
    assert started and started[0].process.poll() is not None  # stopped, not left running


def test_the_helper_reads_a_script_without_a_main_guard(tmp_path):
    """A user's script with no ``if __name__ == "__main__"`` must not run twice."""
    script = tmp_path / "user.py"
    out = tmp_path / "count.txt"
    script.write_text(
        f"open({str(out)!r}, 'a').write('x')\n"
        "from simulator import Scenario, run\n"
        "from simulator.engine import precompile\n"
        "precompile._cached = lambda dispatcher: False  # a helper starts, as on a cold cache\n"
        f"sc = Scenario.load({str(ROOT / 'scenarios' / 'quickstart.toml')!r})\n"
        "run(sc.with_overrides({'graph.n': 2000}), replicates=1, steps=3)\n"
    )
    subprocess.run([sys.executable, str(script)], check=True, timeout=600, capture_output=True)
    assert out.read_text() == "x"


def test_the_helper_caps_its_steps(monkeypatch):
    """A run of millions of steps must not wait for a miniature of millions of steps."""
    seen = []
    monkeypatch.setattr("simulator.engine.run.run_replicates",
                        lambda sc, seed, replicates, steps: seen.append(steps))
    sc = Scenario.load(ROOT / "scenarios" / "quickstart.toml")
    precompile._compile([sc, sc], 10_000_000)
    assert seen == [precompile.MAX_STEPS] * 2
    precompile._compile([sc], 30)
    assert seen[-1] == 30


def test_a_sweep_compiles_once_before_its_workers_and_changes_no_number(monkeypatch, tmp_path):
    """On a cold cache a local sweep first compiles here (the graph) and in the helper (the
    simulation), so its workers load the kernels instead of each compiling all of them."""
    from simulator.sweep.execute import run_sweep
    from simulator.sweep.experiment import Experiment

    data = {"scenario": {"graph": {"kind": "social", "n": 3_000, "mean_degree": 20},
                         "run": {"steps": 20}},
            "replicates": 2, "seed": 5, "parameters": {"wom": {"p_negative": [0.0, 0.1]}}}
    run_sweep(Experiment.from_dict(data), tmp_path / "warm", workers=1, progress=False)
    monkeypatch.setattr(precompile, "_cached", lambda dispatcher: False)  # pretend a cold cache
    helpers, graphs = [], []
    real_beside, real_build = precompile.compile_beside, precompile.build_graph_for_compile

    def beside(scenarios, steps):
        helpers.append(real_beside(scenarios, steps))
        return helpers[-1]

    def build(params, base_dir):
        graphs.append(params)
        return real_build(params, base_dir)

    monkeypatch.setattr(precompile, "compile_beside", beside)
    monkeypatch.setattr(precompile, "build_graph_for_compile", build)
    run_sweep(Experiment.from_dict(data), tmp_path / "cold", workers=1, progress=False)
    assert helpers and helpers[0] is not None and helpers[0].process.returncode == 0
    assert [(g.kind, g.n, g.mean_degree) for g in graphs] == [("social", 2_000, 20)]
    warm, cold = (pd.read_parquet(tmp_path / d / "results.parquet") for d in ("warm", "cold"))
    pd.testing.assert_frame_equal(warm, cold)


def test_compile_once_reads_no_edge_list_and_survives_a_graph_it_cannot_build(monkeypatch,
                                                                            tmp_path):
    """An edge list is not read twice; a miniature that fails is left to the workers, and the
    helper is still waited for."""
    edges = tmp_path / "edges.txt"
    edges.write_text("0 1\n1 2\n")
    from_file = Scenario.from_dict({"graph": {"kind": "edgelist", "path": str(edges)}})
    waited, built = [], []

    class Helper:
        def wait(self):
            waited.append(True)

        def stop(self):
            raise AssertionError("not interrupted")

    monkeypatch.setattr(precompile, "compile_beside", lambda scenarios, steps: Helper())
    monkeypatch.setattr(precompile, "build_graph_for_compile",
                        lambda params, base_dir: built.append(params.kind))
    precompile.compile_once(from_file, 10)
    assert built == [] and waited == [True]

    def fails(params, base_dir):
        raise ValueError("cannot build this in miniature")

    monkeypatch.setattr(precompile, "build_graph_for_compile", fails)
    precompile.compile_once(Scenario.load(ROOT / "scenarios" / "quickstart.toml"), 10)
    assert waited == [True, True]
