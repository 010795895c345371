"""Scale and cold-start benchmark of the word-of-mouth core.

Measures, each in a fresh subprocess so its peak memory is its own:

* **scale**: word of mouth only (no platform layers), 1,000,000 agents at mean
  degree 130, 100 steps, one replicate: graph build + run, on Erdős–Rényi and
  on the default ``social`` graph; peak RSS.
* **cold start**: the README's main job (``virality run
  scenarios/quickstart.toml``) with the numba cache emptied, then again
  compiled.

Usage::

    python experiments/bench_scale.py            # everything
    python experiments/bench_scale.py --quick    # 100,000 agents, no cold start

Writes ``experiments/results/bench_scale.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "experiments" / "results"

CHILD = r"""
import json, resource, sys, time
t0 = time.perf_counter()
import simulator
from simulator.engine.run import make_graph
kind, n, k, steps = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
sc = simulator.Scenario.load(sys.argv[5], overrides={
    "graph.kind": kind, "graph.n": n, "graph.mean_degree": k, "run.steps": steps})
# Warm the kernels on a tiny graph so the figure is the compiled speed.
simulator.run(sc.with_overrides({"graph.n": 2000, "graph.mean_degree": 20}), replicates=1)
t_import = time.perf_counter() - t0
t1 = time.perf_counter()
g = make_graph(sc, sc.run.seed)
t_graph = time.perf_counter() - t1
t2 = time.perf_counter()
res = simulator.run(sc, replicates=1, graph=g)
t_run = time.perf_counter() - t2
print(json.dumps({
    "kind": kind, "n": n, "mean_degree": g.mean_degree, "steps": steps,
    "graph_seconds": t_graph, "run_seconds": t_run, "total_seconds": t_graph + t_run,
    "reach": float(res.finals["reach"].iloc[0]), "positive": float(res.finals["positive"].iloc[0]),
    "negative": float(res.finals["negative"].iloc[0]),
    "graph_bytes": g.nbytes, "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}))
"""


def scale(kind: str, n: int, k: float, steps: int) -> dict:
    scenario = ROOT / "scenarios" / "quickstart.toml"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(n), str(k), str(steps), str(scenario)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def clear_numba_cache() -> int:
    removed = 0
    for pattern in ("*.nbi", "*.nbc"):
        for f in (ROOT / "simulator").rglob(pattern):
            f.unlink()
            removed += 1
    return removed


def main_job(out_dir: Path) -> float:
    exe = shutil.which("virality", path=str(Path(sys.executable).parent)) or "virality"
    t0 = time.perf_counter()
    subprocess.run([exe, "run", "scenarios/quickstart.toml", "--out", str(out_dir), "--quiet"],
                   check=True, cwd=ROOT)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--mean-degree", type=float, default=130)
    ap.add_argument("--steps", type=int, default=100)
    args = ap.parse_args()
    n = 100_000 if args.quick else args.n
    record = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "scale": [scale(kind, n, args.mean_degree, args.steps) for kind in ("erdos_renyi", "social")],
    }
    if not args.quick:
        tmp = ROOT / "results" / "bench_cold_start"
        record["cold_start"] = {"numba_cache_files_removed": clear_numba_cache(),
                                "cold_seconds": main_job(tmp), "warm_seconds": main_job(tmp)}
    record["self_peak_rss_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_scale.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = ["# Scale and cold start of the word-of-mouth core", "",
             "Command: `python experiments/bench_scale.py`" + (" --quick" if args.quick else ""), "",
             "| graph | n | mean degree | steps | graph build (s) | run (s) | total (s) | peak RSS (GiB) | reach |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in record["scale"]:
        lines.append(f"| {r['kind']} | {r['n']:,} | {r['mean_degree']:.1f} | {r['steps']} | "
                     f"{r['graph_seconds']:.2f} | {r['run_seconds']:.2f} | {r['total_seconds']:.2f} | "
                     f"{r['peak_rss_bytes'] / 2**30:.2f} | {r['reach']:.3f} |")
    if "cold_start" in record:
        cs = record["cold_start"]
        lines += ["", f"Main job (`virality run scenarios/quickstart.toml`): cold (numba cache empty) "
                      f"{cs['cold_seconds']:.1f} s, compiled {cs['warm_seconds']:.1f} s."]
    (RESULTS / "bench_scale.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
