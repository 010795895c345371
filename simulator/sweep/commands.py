"""``virality sweep``: registered by :mod:`simulator.cli`; imports nothing heavy until run."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` command to the ``virality`` parser."""
    p = sub.add_parser(
        "sweep",
        help="run a parameter sweep (Dask)",
        description="Run every design point x replicate of an experiment file; write "
        "DIR/results.parquet (one row per run), DIR/metadata.json and, with --series, "
        "DIR/series.parquet.",
        epilog='examples:\n  virality sweep experiments/smoke_sweep.toml --out results/smoke\n  virality sweep EXP.toml --out DIR --resume          # after Ctrl+C or a crash\n  virality sweep EXP.toml --scheduler tcp://HOST:8786 # a running Dask cluster\nexperiment files: experiments/README.md',
    )
    p.add_argument("experiment", help="experiment TOML file")
    p.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="worker processes of a local Dask cluster (default: number of cores; 1: in-process)",
    )
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="submit to a running Dask scheduler instead"
    )
    p.add_argument(
        "--out", metavar="DIR", help="output folder (default: results/<experiment name>)"
    )
    p.add_argument("--resume", action="store_true", help="continue an interrupted sweep in --out")
    p.add_argument(
        "--series", action="store_true", help="also keep per-step series (series.parquet)"
    )
    p.add_argument("--chunk", type=int, metavar="RUNS", help="runs per task (default: automatic)")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no summary line")
    p.set_defaults(func=cmd_sweep)


def cmd_sweep(args: argparse.Namespace) -> int:
    from simulator.engine.results import default_out_dir
    from simulator.sweep.execute import run_sweep
    from simulator.sweep.experiment import Experiment

    exp = Experiment.load(args.experiment)
    out = Path(args.out) if args.out else default_out_dir(exp.name)
    t0 = time.perf_counter()
    meta = run_sweep(
        exp,
        out,
        workers=args.workers,
        scheduler=args.scheduler,
        resume=args.resume,
        series=args.series,
        chunk=args.chunk,
        progress=not args.quiet,
    )
    summary = None
    if meta.get("status") == "complete":
        import pandas as pd

        from simulator.sweep.summary import format_summary, write_summary

        results = pd.read_parquet(out / "results.parquet")
        params, metrics = [p.name for p in exp.params], list(exp.metrics)
        table, written = write_summary(out, results, params, metrics)
        summary = (table, params, metrics[0], written)
    if not args.quiet:
        if summary is not None:
            table, params, main, written = summary
            print(format_summary(table, params, main))
            print(f"wrote {written['summary']} and {written['figure']}")
        session = meta["sessions"][-1]
        ran = meta["runs_done"] - session["runs_at_start"]
        print(
            f"{exp.name}: {meta['runs_done']} runs ({exp.n_points} points x {exp.replicates} "
            f"replicates; {ran} of them run now {_where(session)}) "
            f"in {time.perf_counter() - t0:.1f} s -> {out / 'results.parquet'}",
            file=sys.stdout,
        )
    return 0


def _where(session: dict) -> str:
    """Where the runs ran, in words: "this process", "a local cluster of 2 workers" ..."""
    workers = session["workers"]
    plural = "worker" if workers == 1 else "workers"
    if session["mode"] == "local":
        return f"on a local Dask cluster of {workers} {plural}"
    if session["mode"].startswith("scheduler"):
        return f"on {workers} {plural} of the Dask {session['mode']}"
    return "in this process"
