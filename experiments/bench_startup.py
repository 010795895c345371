"""First run against second run of every command, with an empty numba cache.

A new user's first impression is the compile: numba compiles each kernel the first time
a process calls it and keeps it in its on-disk cache. This script points
``NUMBA_CACHE_DIR`` at an empty folder, then runs each command twice, in fresh
processes: the first run compiles what it uses (and whatever an earlier command left
uncompiled), the second loads it from the cache. Commands run in the order below, so a
later command's first run profits from what the earlier ones compiled, as on a new
user's machine; ``--each-cold`` empties the cache before every command instead.

Usage::

    python experiments/bench_startup.py
    python experiments/bench_startup.py --each-cold
    python experiments/bench_startup.py --no-helper   # without the compile helper

A first ``run`` or ``compare`` compiles the simulation's kernels in a helper process
while it builds the graph (``simulator/engine/precompile.py``); ``--no-helper`` sets
``VIRALITY_PRECOMPILE=0`` to measure what that helper is worth.

Targets (the README's main job within 2.5x its compiled time, every other command's
first run within 3x its second) are checked in the table. Writes
``experiments/results/bench_startup.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "experiments" / "results"
VIRALITY = [sys.executable, "-m", "simulator"]

#: (name, arguments after ``virality``, target ratio first/second). ``{out}`` is a scratch folder.
COMMANDS = [
    ("main job: run quickstart", ["run", "scenarios/quickstart.toml", "--out", "{out}/run"], 2.5),
    ("validate", ["validate", "scenarios/crisis.toml"], 3.0),
    ("compare crisis", ["compare", "scenarios/crisis.toml", "--set", "graph.n=10000",
                        "--out", "{out}/compare"], 3.0),
    ("sweep smoke (2 workers)", ["sweep", "experiments/smoke_sweep.toml", "--workers", "2",
                                 "--quiet", "--out", "{out}/sweep"], 3.0),
    ("sweep on the social graph (2 workers)", ["sweep", "experiments/social_sweep.toml",
                                               "--workers", "2", "--quiet", "--out",
                                               "{out}/sweep"], 3.0),
    ("animate classroom", ["animate", "scenarios/classroom.toml", "--out", "{out}/spread.gif"], 3.0),
]


def timed(args: list[str], env: dict, out: Path) -> float:
    """Seconds of one command in a fresh process (its outputs removed first)."""
    for name in ("run", "compare", "sweep", "spread.gif"):
        target = out / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    argv = [a.replace("{out}", str(out)) for a in args]
    t0 = time.perf_counter()
    subprocess.run([*VIRALITY, *argv], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--each-cold", action="store_true", help="empty the cache before every command")
    ap.add_argument("--no-helper", action="store_true", help="VIRALITY_PRECOMPILE=0: no compile helper")
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as cache, tempfile.TemporaryDirectory() as scratch:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache,
               "VIRALITY_PRECOMPILE": "0" if args.no_helper else "1"}
        out = Path(scratch)
        for name, argv, target in COMMANDS:
            if args.each_cold:
                shutil.rmtree(cache, ignore_errors=True)
                os.makedirs(cache, exist_ok=True)
            first = timed(argv, env, out)
            second = timed(argv, env, out)
            rows.append({"command": name, "argv": argv, "first_seconds": first,
                         "second_seconds": second, "ratio": first / second, "target": target})
            print(f"{name}: first {first:.1f} s, second {second:.1f} s ({first / second:.1f}x)",
                  flush=True)
    command = ("python experiments/bench_startup.py" + (" --each-cold" if args.each_cold else "")
               + (" --no-helper" if args.no_helper else ""))
    record = {"command": command, "each_cold": args.each_cold, "helper": not args.no_helper,
              "rows": rows,
              "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                          "platform": platform.platform()}}
    lines = ["# Start-up: first run against second, with an empty numba cache", "",
             f"Command: `{command}` ({os.cpu_count()} CPUs). "
             + ("The cache is emptied before every command." if args.each_cold else
                "One empty cache for the whole sequence, in this order, as on a new machine.")
             + (" Without the compile helper (`VIRALITY_PRECOMPILE=0`)." if args.no_helper else
                " With the compile helper (the default)."),
             "", "| command | first run (s) | second run (s) | first / second | target | met |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['command']} | {r['first_seconds']:.1f} | {r['second_seconds']:.1f} | "
                     f"{r['ratio']:.1f}x | {r['target']:g}x | {'yes' if r['ratio'] <= r['target'] else 'no'} |")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = ("bench_startup" + ("_each_cold" if args.each_cold else "")
            + ("_no_helper" if args.no_helper else ""))
    (RESULTS / f"{stem}.json").write_text(json.dumps(record, indent=2) + "\n")
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
