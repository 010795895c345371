"""Benchmark: this checkout side by side with another one (a change must not slow the engine).

Runs, interleaved round by round, in both checkouts:

* ``experiments/bench_peers.py --tools ours,ours_run``: the independent cascade
  (ER 100,000 agents, mean degree 20, T = 0.1, 10 replicates) through the
  engine and through ``simulator.run``;
* the full-scale platform configurations of ``experiments/bench_platform.py``
  (1,000,000 agents, mean degree 130, 100 steps: word of mouth alone and each
  layer added, on Erdos-Renyi; word of mouth and the full model on ``social``),
  each in a fresh process that first warms the kernels on a tiny graph.

Each figure is the median over rounds; the order of the two checkouts
alternates between rounds so that neither always runs on a warmer machine.
The ratio is this checkout's time over the other's (below 1: faster).

Usage::

    git worktree add /tmp/before <commit>     # the checkout to compare against
    python experiments/bench_against.py --against /tmp/before --rounds 3

Writes ``experiments/results/bench_against.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "experiments" / "results"
sys.path.insert(0, str(ROOT))

from experiments.bench_platform import CHILD, LAYERS  # noqa: E402

PLATFORM_CONFIGS = [("erdos_renyi", layer) for layer in LAYERS] + [
    ("social", "wom"), ("social", "+paid")]


def git_head(checkout: Path) -> str:
    out = subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%h %s"],
                         capture_output=True, text=True)
    return out.stdout.strip()[:80] or "?"


def peers(checkout: Path, replicates: int) -> dict[str, float]:
    """Seconds per replicate of ``ours`` and ``ours_run`` (median of the timed replicates)."""
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, str(checkout / "experiments" / "bench_peers.py"),
                        "--tools", "ours,ours_run", "--replicates", str(replicates), "--out", tmp],
                       check=True, cwd=checkout, capture_output=True, text=True)
        rows = json.loads(next(Path(tmp).glob("*.json")).read_text())["rows"]
    return {f"peers/{r['tool']}": statistics.median(r["times_s"]) for r in rows}


def platform_run(checkout: Path, kind: str, layer: str, n: int, steps: int) -> dict[str, float]:
    """Run and graph seconds and peak RSS of one configuration in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(n), "130", str(steps),
         str(checkout / "scenarios" / "quickstart.toml"), json.dumps(LAYERS[layer])],
        capture_output=True, text=True, check=True, cwd=checkout, env=dict(os.environ),
    )
    r = json.loads(out.stdout.strip().splitlines()[-1])
    key = f"platform/{kind}/{layer}"
    return {f"{key}/run_s": r["run_seconds"], f"{key}/graph_s": r["graph_seconds"],
            f"{key}/peak_rss_gib": r["peak_rss_bytes"] / 2**30, f"{key}/reach": r["reach"]}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--against", type=Path, required=True, help="the other checkout")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--n", type=int, default=1_000_000, help="platform agents (default 10^6)")
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--replicates", type=int, default=10, help="cascade replicates per round")
    args = ap.parse_args(argv)
    other = args.against.resolve()
    if not (other / "experiments" / "bench_peers.py").is_file():
        ap.error(f"--against {other}: not a checkout of this project")
    sides = {"this": ROOT, "other": other}
    samples: dict[str, dict[str, list[float]]] = {name: {} for name in sides}
    for rnd in range(args.rounds):
        order = list(sides) if rnd % 2 == 0 else list(reversed(sides))
        for name in order:
            checkout = sides[name]
            figures = peers(checkout, args.replicates)
            for kind, layer in PLATFORM_CONFIGS:
                figures.update(platform_run(checkout, kind, layer, args.n, args.steps))
            for key, value in figures.items():
                samples[name].setdefault(key, []).append(value)
            print(f"round {rnd + 1}/{args.rounds}: {name} done", file=sys.stderr, flush=True)
    rows = []
    for key in samples["this"]:
        a, b = statistics.median(samples["this"][key]), statistics.median(samples["other"][key])
        rows.append({"figure": key, "this": a, "other": b, "ratio": a / b if b else float("nan"),
                     "this_all": samples["this"][key], "other_all": samples["other"][key]})
    record = {"this": git_head(ROOT), "other": git_head(other), "rounds": args.rounds,
              "n": args.n, "steps": args.steps, "cpus": os.cpu_count(), "rows": rows,
              "command": "python experiments/bench_against.py --against OTHER "
                         + " ".join(a for a in (argv or sys.argv[1:]) if not a.startswith("/"))}
    lines = ["# This checkout against another, side by side", "",
             f"This: `{record['this']}`; other: `{record['other']}`; median of {args.rounds} "
             f"interleaved rounds on {os.cpu_count()} CPUs. Ratio = this / other.", "",
             "| figure | this | other | ratio |", "|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['figure']} | {r['this']:.4g} | {r['other']:.4g} | {r['ratio']:.3f} |")
    print("\n".join(lines))
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_against.json").write_text(json.dumps(record, indent=2) + "\n")
    (RESULTS / "bench_against.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
