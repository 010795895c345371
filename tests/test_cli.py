"""The `virality` command: run, validate, and one-line errors with exit code 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simulator.cli import main

ROOT = Path(__file__).resolve().parent.parent
IC = ROOT / "scenarios" / "reference" / "independent_cascade.toml"


def test_run_writes_contract_files(tmp_path, capsys):
    out = tmp_path / "out"
    code = main(["run", str(IC), "--seed", "4", "--replicates", "3", "--steps", "30",
                 "--set", "graph.n=3000", "--set", "seeding.n_seeds=5", "--out", str(out), "--quiet"])
    assert code == 0
    ts = pd.read_csv(out / "timeseries.csv")
    assert list(ts.columns[:2]) == ["replicate", "step"]
    assert {"n_aware", "n_positive", "n_negative"} <= set(ts.columns)
    assert len(ts) == 3 * 31
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 4 and len(summary["replicates"]) == 3
    assert {"reach", "positive", "negative"} <= set(summary["mean"]) and "ci95" in summary
    assert (out / "curves.png").stat().st_size > 10_000
    assert summary["parameters"]["graph"]["n"] == 3000


def test_run_prints_table(tmp_path, capsys):
    assert main(["run", str(IC), "--replicates", "2", "--set", "graph.n=2000",
                 "--out", str(tmp_path), "--no-plots"]) == 0
    out = capsys.readouterr().out
    assert "reach" in out and "95% interval" in out


@pytest.mark.parametrize(
    "args, fragment",
    [
        (["run", "missing.toml"], "scenario file 'missing.toml' not found"),
        (["run", str(IC), "--set", "wom.p_postive=0.1"], "did you mean 'p_positive'"),
        (["run", str(IC), "--set", "wom.p_positive=2"], "wom.p_positive = 2 is out of range"),
        (["run", str(IC), "--set", "nonsense"], "expected section.key=value"),
        (["run", str(IC), "--replicates", "0"], "--replicates = 0 is out of range"),
        (["run", str(IC), "--set", "graph.n=1000000000000", "--set", "graph.mean_degree=130"], "graph"),
        (["validate", str(IC), "--set", "run.steps=0"], "run.steps = 0 is out of range"),
        (["bogus"], "invalid choice"),
    ],
)
def test_bad_input_one_line_exit_2(tmp_path, capsys, args, fragment):
    if "--out" not in args and args[0] == "run":
        args = [*args, "--out", str(tmp_path / "o")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip()
    assert fragment in err
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_bad_input_does_not_touch_existing_results(tmp_path):
    out = tmp_path / "keep"
    assert main(["run", str(IC), "--replicates", "1", "--set", "graph.n=1000", "--out", str(out),
                 "--quiet", "--no-plots"]) == 0
    before = (out / "timeseries.csv").read_bytes()
    assert main(["run", str(IC), "--set", "wom.p_positive=-1", "--out", str(out)]) == 2
    assert (out / "timeseries.csv").read_bytes() == before


def test_validate_ok(capsys):
    assert main(["validate", str(IC)]) == 0
    assert "ok" in capsys.readouterr().out


def test_console_script_entry_point_no_traceback(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "simulator.cli", "run", str(tmp_path / "x.toml")],
                          capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip().startswith("virality: error:") and "Traceback" not in proc.stderr


@pytest.mark.parametrize("name, folder", [
    ("../../escaped", "escaped"),
    ("/tmp/absolute", "tmp_absolute"),
    ("nul\x00byte", "nul_byte"),
    ("x" * 300, "x" * 100),
    ("..", "scenario"),
])
def test_scenario_name_is_a_label_never_a_path(tmp_path, monkeypatch, name, folder):
    """Without --out, results go to results/<name> with the name made a plain folder name."""
    scenario = tmp_path / "s.toml"
    text = "\n".join(line for line in IC.read_text().splitlines() if not line.startswith("name"))
    scenario.write_text(f"name = {json.dumps(name)}\n" + text)
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    assert main(["run", str(scenario), "--replicates", "1", "--steps", "5", "--set", "graph.n=500",
                 "--quiet", "--no-plots"]) == 0
    written = [p.relative_to(work).as_posix() for p in work.rglob("summary.json")]
    assert written == [f"results/{folder}/summary.json"]
    assert not (tmp_path / "escaped").exists() and not list(tmp_path.glob("*/summary.json"))
