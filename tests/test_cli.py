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
        (["run", str(IC), "--out", "/proc/virality-out"], "cannot be written"),
        (["validate", str(IC), "--set", "graph.n=1000000000", "--set", "graph.mean_degree=100"],
         "lower graph.n to at most"),
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


def _run_into(out, *extra):
    return main(["run", str(IC), "--replicates", "1", "--steps", "5", "--set", "graph.n=500",
                 "--out", str(out), "--quiet", *extra])


def test_earlier_results_are_not_overwritten_without_the_flag(tmp_path, capsys):
    out = tmp_path / "out"
    assert _run_into(out) == 0
    before = (out / "summary.json").read_bytes()
    assert main(["run", str(IC), "--seed", "9", "--replicates", "1", "--steps", "5", "--set",
                 "graph.n=500", "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "already holds results" in err[0] and "--overwrite" in err[0]
    assert (out / "summary.json").read_bytes() == before
    # With the flag the folder is replaced as a whole: no stale curves.png beside new data.
    assert main(["run", str(IC), "--seed", "9", "--replicates", "1", "--steps", "5", "--set",
                 "graph.n=500", "--out", str(out), "--quiet", "--no-plots", "--overwrite"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["summary.json", "timeseries.csv"]
    assert json.loads((out / "summary.json").read_text())["seed"] == 9
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_overwrite_never_removes_files_that_are_not_results(tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "notes.txt").write_text("a user's own file")
    assert _run_into(out, "--overwrite") == 2
    assert "'notes.txt', which is not a result" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "a user's own file"


def test_an_interrupted_write_leaves_the_earlier_results_whole(tmp_path, monkeypatch):
    out = tmp_path / "out"
    assert _run_into(out) == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    import simulator.plots

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt  # Ctrl+C while the new files are being written

    monkeypatch.setattr(simulator.plots, "plot_curves", interrupted)
    assert _run_into(out, "--overwrite") == 130  # the CLI's exit code for Ctrl+C
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_two_runs_into_one_new_folder_keep_both_results(tmp_path, monkeypatch, capsys):
    """Two processes start on the same new --out: the one that finishes second must not
    replace the first one's results (neither asked to overwrite), nor lose its own."""
    out = tmp_path / "out"
    import simulator.plots

    real_plot = simulator.plots.plot_curves

    def other_process_finishes_first(*args, **kwargs):
        # The other process's run lands in `out` while this one is writing.
        out.mkdir()
        (out / "summary.json").write_text('{"seed": 1}')
        return real_plot(*args, **kwargs)

    monkeypatch.setattr(simulator.plots, "plot_curves", other_process_finishes_first)
    assert _run_into(out) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "by another process" in err[0] and "both are kept" in err[0]
    assert (out / "summary.json").read_text() == '{"seed": 1}'
    kept = Path(err[0].rsplit("'", 2)[-2])
    assert kept.parent == tmp_path and (kept / "timeseries.csv").exists()


@pytest.mark.parametrize("text, fragment", [
    ("[run]\nreplicates = 1000000\nsteps = 100000\n",
     "run.replicates = 1000000 with run.steps = 100000 records about"),
    ("[paid]\nsponsored_per_step = 1000000000\n[run]\nreplicates = 1\nsteps = 5\n",
     "paid.sponsored_per_step = 1000000000 needs about"),
])
@pytest.mark.parametrize("command", ["validate", "run"])
def test_runs_too_big_for_memory_are_refused_before_they_start(tmp_path, capsys, text, fragment,
                                                               command):
    scenario = tmp_path / "big.toml"
    scenario.write_text("[graph]\nkind = 'erdos_renyi'\nn = 100\nmean_degree = 4\n" + text)
    extra = ["--out", str(tmp_path / "out")] if command == "run" else []
    assert main([command, str(scenario), *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and fragment in err[0] and "lower " in err[0]
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("command", ["run", "validate", "compare", "sweep", "viz", "animate",
                                     "keys"])
def test_every_command_has_a_description_and_an_example(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    out = capsys.readouterr().out
    usage, _, rest = out.partition("\n\n")
    assert rest.strip() and not rest.startswith("positional")  # a description paragraph
    assert "example" in out and f"virality {command}" in out.split("example", 1)[1]
    assert max(len(line) for line in out.splitlines()) <= 100


def test_without_a_terminal_progress_is_plain_lines_with_phases(tmp_path):
    """A log or CI job sees what is happening: the phase, replicates done, the writing."""
    out = tmp_path / "out"
    proc = subprocess.run(
        [sys.executable, "-m", "simulator", "run", str(IC), "--replicates", "3", "--set",
         "graph.n=1000", "--out", str(out), "--no-plots"],
        capture_output=True, text=True, check=True)
    lines = proc.stderr.strip().splitlines()
    assert lines[0].endswith("building the graph (the first run also compiles)")
    assert any(line.endswith(("replicate 3/3 (0 s)", "replicate 3/3 (1 s)")) or
               "replicate 3/3" in line for line in lines)
    assert lines[-1] == f"virality: independent_cascade: writing {out}"
    assert "\r" not in proc.stderr  # no bar redraws in a log


def test_a_reader_that_goes_away_is_not_a_traceback():
    """``virality keys | head -n 1``: stdout closed before the first write."""
    import os

    read_end, write_end = os.pipe()
    os.close(read_end)  # the reader is gone before anything is written
    try:
        proc = subprocess.run([sys.executable, "-m", "simulator.cli", "keys"], stdout=write_end,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    finally:
        os.close(write_end)
    assert proc.returncode == 141
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr
