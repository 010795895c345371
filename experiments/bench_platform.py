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

Writes ``experiments/results/bench_platform.json`` and ``.md`` (the command
line is recorded, so a ``--quick`` table says so).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

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
import json, resource, sys, time
import simulator
from simulator.engine.run import make_graph
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
    "peak_rss_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
}))
"""


def measure(kind: str, n: int, k: float, steps: int, over: dict) -> dict:
    scenario = ROOT / "scenarios" / "quickstart.toml"
    out = subprocess.run(
        [sys.executable, "-c", CHILD, kind, str(n), str(k), str(steps), str(scenario), json.dumps(over)],
        capture_output=True, text=True, check=True, cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="100,000 agents")
    ap.add_argument("--n", type=int, default=1_000_000)
    ap.add_argument("--mean-degree", type=float, default=130)
    ap.add_argument("--steps", type=int, default=100)
    ap.add_argument("--kinds", default="erdos_renyi,social",
                    help="graphs, comma-separated (the layer ratios are measured on the first)")
    args = ap.parse_args()
    n = 100_000 if args.quick else args.n
    kinds = args.kinds.split(",")
    rows = []
    for layer, over in LAYERS.items():
        rows.append({"layer": layer, **measure(kinds[0], n, args.mean_degree, args.steps, over)})
    for kind in kinds[1:]:  # the full model and its baseline on the other graphs
        for layer in ("wom", "+paid"):
            rows.append({"layer": layer, **measure(kind, n, args.mean_degree, args.steps, LAYERS[layer])})
    base = {r["kind"]: r["run_seconds"] for r in rows if r["layer"] == "wom"}
    for r in rows:
        r["run_ratio"] = r["run_seconds"] / base[r["kind"]]
    record = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "layers": LAYERS, "target_total_seconds": 15.0, "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    stem = "bench_platform"
    (RESULTS / f"{stem}.json").write_text(json.dumps(record, indent=2) + "\n")
    lines = ["# Platform layers at scale", "",
             "Command: `python experiments/bench_platform.py`" + (" --quick" if args.quick else ""),
             f"({os.cpu_count()} CPUs; one replicate; graph build included in the total; "
             "target: full model <= 15 s)", "",
             "| graph | layers | n | mean degree | steps | graph (s) | run (s) | total (s) "
             "| run / wom | peak RSS (GiB) | impressions | reach |",
             "|---|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(
            f"| {r['kind']} | {r['layer']} | {r['n']:,} | {r['mean_degree']:.1f} | {r['steps']} | "
            f"{r['graph_seconds']:.2f} | {r['run_seconds']:.2f} | {r['total_seconds']:.2f} | "
            f"{r['run_ratio']:.1f}x | {r['peak_rss_bytes'] / 2**30:.2f} | {r['impressions']:.3g} | "
            f"{r['reach']:.3f} |")
    (RESULTS / f"{stem}.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
