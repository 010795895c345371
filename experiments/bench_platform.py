"""Benchmark of the platform layers at scale, layer by layer.

The full model (word of mouth + engagement feed with amplification + followers
and a brand + paid promotion) on 1,000,000 agents at mean degree 130, 100
steps, one replicate. Each configuration runs in a fresh subprocess (its peak
RSS is its own) that first warms the kernels on a tiny graph, so the figures
are compiled speed. Layers are added one at a time and timed as a ratio to
word of mouth alone:

* ``wom``: no platform layer (the plain kernels), quickstart's word of mouth
  with ``p_positive = 0.1`` and 100 seeds so that word also spreads through a feed;
* ``+feed``: engagement ranking, attention 15, 125 background items, amplification 1;
* ``+followers/brand``: 10% initial followers (2% of them with the bell), a
  spontaneous brand posting Poisson(1) a step;
* ``+paid``: 10,000 sponsored impressions a step, 100 influencers, 100 bought
  likes a step (the full model).

Usage::

    python experiments/bench_platform.py            # 1,000,000 agents
    python experiments/bench_platform.py --quick    # 100,000 agents
    python experiments/bench_platform.py --layers +paid --kinds erdos_renyi --repeat 3
    python experiments/bench_platform.py --layers +paid --threads 1   # numba on one thread

Writes ``experiments/results/bench_platform.json`` and ``.md`` (the command
line is recorded, so a ``--quick`` table says so); a run of some layers only
(``--layers``) prints its table and writes nothing. ``--repeat`` runs each
configuration that many times, one after another, and keeps the fastest run
(the machine is shared: the fastest is the least disturbed).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numba

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "experiments" / "results"

FEED = {"feed.policy": "engagement", "feed.amplification": 1.0}
BRAND = {"followers.enabled": True, "followers.initial_followers": 0.1,
         "followers.initial_bell": 0.02, "brand.strategy": "spontaneous"}
PAID = {"paid.sponsored_per_step": 10_000, "paid.influencers": 100,
        "paid.bought_likes_per_step": 100}
# Word strong enough to spread through a feed that shows ~5% of it (with quickstart's
# p_positive = 0.01 and 10 seeds the word dies under the feed and +feed costs nothing).
WOM = {"wom.p_positive": 0.1, "seeding.n_seeds": 100}
LAYERS = {
    "wom": WOM,
    "+feed": {**WOM, **FEED},
    "+followers/brand": {**WOM, **FEED, **BRAND},
    "+paid": {**WOM, **FEED, **BRAND, **PAID},
}

CHILD = r"""
import json, sys, time
import simulator
from simulator.engine.run import make_graph
import numba
kind, n, k, steps, path = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
over = json.loads(sys.argv[6])
sc = simulator.Scenario.load(path, overrides={
    **over, "graph.kind": kind, "graph.n": n, "graph.mean_degree": k, "run.steps": steps})
# Warm (compile or load) every kernel of this configuration on a tiny graph.
simulator.run(sc.with_overrides({"graph.n": 2000, "graph.mean_degree": 20, "run.steps": 5}),
              replicates=1)
t1 = time.perf_counter()
g = make_graph(sc, sc.run.seed)
t_graph = time.perf_counter() - t1
t2 = time.perf_counter()
res = simulator.run(sc, replicates=1, graph=g)
t_run = time.perf_counter() - t2
ts = res.timeseries
print(json.dumps({
    "kind": kind, "n": n, "mean_degree": g.mean_degree, "steps": steps,
    "graph_seconds": t_graph, "run_seconds": t_run, "total_seconds": t_graph + t_run,
    "reach": float(res.finals["reach"].iloc[0]), "positive": float(res.finals["positive"].iloc[0]),
    "impressions": float(ts[[c for c in ts.columns if c.startswith("new_impressions")]].sum().sum()),
    "brand_posts": int(ts.new_brand_posts.sum()),
    # VmHWM, this process's own peak (ru_maxrss survives exec: it would report a big parent's).
    "peak_rss_bytes": next(int(line.split()[1]) * 1024 for line in open("/proc/self/status")
                           if line.startswith("VmHWM:")),
    "numba_threads": numba.get_num_threads(),
}))
"""


def measure(kind: str, n: int, k: float, steps: int, over: dict, threads: int | None = None,
            repeat: int = 1) -> dict:
    """One configuration in a fresh process (the fastest of ``repeat`` runs)."""
    scenario = ROOT / "scenarios" / "quickstart.toml"
    env = dict(os.environ)
    if threads:
        env["NUMBA_NUM_THREADS"] = str(threads)
    runs = []
    for _ in range(repeat):
        out = subprocess.run(
            [sys.executable, "-c", CHILD, kind, str(n), str(k), str(steps), str(scenario),
             json.dumps(over)],
            capture_output=True, text=True, check=True, cwd=ROOT, env=env,
        )
        runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
    best = min(runs, key=lambda r: r["total_seconds"])
    return {**best, "repeats": repeat, "total_seconds_all": [r["total_seconds"] for r in runs]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="100,000 agents")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--mean-degree", type=float, default=130)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--kinds", default="erdos_renyi,social",
                    help="graphs, comma-separated (the layer ratios are measured on the first)")
    ap.add_argument("--layers", default=None,
                    help=f"only these layers, comma-separated, of {', '.join(LAYERS)} "
                    "(prints the table, writes no results)")
    ap.add_argument("--threads", type=int, default=None,
                    help="numba threads (NUMBA_NUM_THREADS) in the runs; default: all cores")
    ap.add_argument("--repeat", type=int, default=1,
                    help="runs per configuration, the fastest kept (default 1)")
    args = ap.parse_args()
    n = 100_000 if args.quick else args.n
    kinds = args.kinds.split(",")
    layers = list(LAYERS) if args.layers is None else args.layers.split(",")
    unknown = [name for name in layers if name not in LAYERS]
    if unknown:
        ap.error(f"--layers: unknown {', '.join(unknown)}; allowed: {', '.join(LAYERS)}")
    rows = []

    def run(kind: str, layer: str) -> None:
        rows.append({"layer": layer, **measure(kind, n, args.mean_degree, args.steps, LAYERS[layer],
                                               args.threads, args.repeat)})

    for layer in layers:
        run(kinds[0], layer)
    for kind in kinds[1:]:  # the full model and its baseline on the other graphs
        for layer in ("wom", "+paid"):
            if layer in layers:
                run(kind, layer)
    base = {r["kind"]: r["run_seconds"] for r in rows if r["layer"] == "wom"}
    for r in rows:
        r["run_ratio"] = r["run_seconds"] / base[r["kind"]] if r["kind"] in base else float("nan")
    record = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "numba": numba.__version__,
                    "numba_threads": rows[0]["numba_threads"]},
        "layers": LAYERS, "target_total_seconds": 15.0, "rows": rows,
    }
    command = "python experiments/bench_platform.py" + "".join(
        f" {a}" for a in sys.argv[1:])
    lines = ["# Platform layers at scale", "",
             f"Command: `{command}`",
             f"({os.cpu_count()} CPUs, numba on {record['machine']['numba_threads']} threads; "
             f"one replicate; graph build included in the total; fastest of {args.repeat} "
             f"run{'s' if args.repeat > 1 else ''} per row; target: full model <= 15 s)", "",
             "| graph | layers | n | mean degree | steps | graph (s) | run (s) | total (s) "
             "| run / wom | peak RSS (GiB) | impressions | reach |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    def ratio(r: dict) -> str:
        return "-" if r["run_ratio"] != r["run_ratio"] else f"{r['run_ratio']:.1f}x"  # NaN: no wom row

    for r in rows:
        lines.append(
            f"| {r['kind']} | {r['layer']} | {r['n']:,} | {r['mean_degree']:.1f} | {r['steps']} | "
            f"{r['graph_seconds']:.2f} | {r['run_seconds']:.2f} | {r['total_seconds']:.2f} | "
            f"{ratio(r)} | {r['peak_rss_bytes'] / 2**30:.2f} | {r['impressions']:.3g} | "
            f"{r['reach']:.3f} |")
    print("\n".join(lines))
    if args.layers is not None:
        return
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "bench_platform"
    (RESULTS / f"{stem}.json").write_text(json.dumps(record, indent=2) + "\n")
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
