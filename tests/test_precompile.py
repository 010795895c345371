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
