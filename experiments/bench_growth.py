"""How time and memory grow with the population, up to ten million agents, full model.

The full model (word of mouth, engagement feed with amplification, followers and a
brand, paid promotion, and a crisis the brand answers) on the ``social`` graph at mean
degree 130, 100 steps, one replicate, at 10^5, 3x10^5, 10^6, 3x10^6 and 10^7 agents.
Each configuration runs in a fresh subprocess that first warms the kernels on a tiny
graph (:func:`bench_platform.measure`), so its times are compiled speed and its peak
RSS is its own. At 10^6 and 10^7 the layers are also added one at a time, which gives
each component's cost (the run time a layer adds to the one before it).

The memory column beside the measured peak is the estimate
:func:`simulator.graphs.memory.estimate_run_bytes` gives before anything is built
(``tests/test_graphs_scale.py`` checks it against a measured peak at 10^6).

Usage::

    python experiments/bench_growth.py              # up to 10^7 (about 15 minutes)
    python experiments/bench_growth.py --max-n 1000000

Writes ``experiments/results/bench_growth.json``, ``.md`` and ``bench_growth.png``
(log-log: time and peak memory against the number of agents).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
from pathlib import Path

import numba

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "experiments"))

from bench_platform import LAYERS, measure  # noqa: E402

from simulator.graphs.memory import estimate_run_bytes  # noqa: E402

RESULTS = ROOT / "experiments" / "results"
CRISIS = {"crisis.step": 30, "crisis.response": "respond", "crisis.capacity_share": 0.006,
          "market.p_purchase": 0.05}
#: The layers, each adding one to the one before; "+crisis" (an outage the brand answers,
#: and purchases: the failure strikes customers) is the full model.
GROWTH_LAYERS = {**LAYERS, "+crisis": {**LAYERS["+paid"], **CRISIS}}
FULL = "+crisis"
SIZES = (100_000, 300_000, 1_000_000, 3_000_000, 10_000_000)
LAYERED = (1_000_000, 10_000_000)  # sizes at which every layer is measured
MEAN_DEGREE = 130
STEPS = 100
TARGET = {"n": 10_000_000, "peak_gib": 12.0, "total_seconds": 200.0}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--max-n", type=int, default=SIZES[-1], help="largest population measured")
    ap.add_argument("--kind", default="social", help="graph kind (default social)")
    args = ap.parse_args()
    rows = []
    for n in (s for s in SIZES if s <= args.max_n):
        layers = list(GROWTH_LAYERS) if n in LAYERED else ["wom", FULL]
        for layer in layers:
            r = measure(args.kind, n, MEAN_DEGREE, STEPS, GROWTH_LAYERS[layer])
            r["layer"] = layer
            r["estimate_bytes"] = estimate_run_bytes(n, MEAN_DEGREE, args.kind,
                                                     platform=layer != "wom")
            rows.append(r)
            print(f"n={n:,} {layer}: graph {r['graph_seconds']:.1f} s, run {r['run_seconds']:.1f} s, "
                  f"peak {r['peak_rss_bytes'] / 2**30:.2f} GiB "
                  f"(estimate {r['estimate_bytes'] / 2**30:.2f})", flush=True)
    record = {
        "command": "python experiments/bench_growth.py" + "".join(f" {a}" for a in sys.argv[1:]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "numba": numba.__version__,
                    "numba_threads": rows[0]["numba_threads"]},
        "layers": GROWTH_LAYERS, "target": TARGET, "rows": rows,
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_growth.json").write_text(json.dumps(record, indent=2) + "\n")
    (RESULTS / "bench_growth.md").write_text(markdown(record))
    figure(record, RESULTS / "bench_growth.png")
    print(markdown(record))


def markdown(record: dict) -> str:
    rows = record["rows"]
    m = record["machine"]
    lines = ["# Growth with the population: the full model up to 10^7 agents", "",
             f"Command: `{record['command']}` ({m['cpus']} CPUs, numba on {m['numba_threads']} "
             f"threads; `social` graph, mean degree {MEAN_DEGREE}, {STEPS} steps, one replicate; "
             "compiled speed; each row a fresh process).", "",
             "| n | layers | graph (s) | run (s) | total (s) | peak RSS (GiB) | estimate (GiB) "
             "| estimate / peak | reach |", "|---" * 9 + "|"]
    for r in rows:
        lines.append(
            f"| {r['n']:,} | {r['layer']} | {r['graph_seconds']:.1f} | {r['run_seconds']:.1f} | "
            f"{r['total_seconds']:.1f} | {r['peak_rss_bytes'] / 2**30:.2f} | "
            f"{r['estimate_bytes'] / 2**30:.2f} | {r['estimate_bytes'] / r['peak_rss_bytes']:.2f} | "
            f"{r['reach']:.3f} |")
    lines += ["", "## The cost of each component", "",
              "Run time a layer adds to the one before it (graph build excluded).", "",
              "| n | " + " | ".join(GROWTH_LAYERS) + " |", "|---" * (len(GROWTH_LAYERS) + 1) + "|"]
    for n in sorted({r["n"] for r in rows}):
        by = {r["layer"]: r["run_seconds"] for r in rows if r["n"] == n}
        if set(by) != set(GROWTH_LAYERS):
            continue
        cells, before = [], 0.0
        for layer in GROWTH_LAYERS:
            cells.append(f"{by[layer] - before:+.1f} s")
            before = by[layer]
        lines.append(f"| {n:,} | " + " | ".join(cells) + " |")
    full = [r for r in rows if r["layer"] == FULL]
    large = [r for r in full if r["n"] >= 1_000_000]  # below, the process itself dominates memory
    if len(large) >= 2:
        import math

        a, b = large[0], large[-1]
        grow = math.log(b["n"] / a["n"])
        lines += ["", f"From {a['n']:,} to {b['n']:,} agents (full model) the run time grows as "
                  f"n^{math.log(b['run_seconds'] / a['run_seconds']) / grow:.2f}, the graph build as "
                  f"n^{math.log(b['graph_seconds'] / a['graph_seconds']) / grow:.2f} and the peak "
                  f"memory as n^{math.log(b['peak_rss_bytes'] / a['peak_rss_bytes']) / grow:.2f}."]
    t = record["target"]
    at = [r for r in full if r["n"] == t["n"]]
    if at:
        r = at[0]
        peak, total = r["peak_rss_bytes"] / 2**30, r["total_seconds"]
        lines += ["", f"Target at {t['n']:,} agents: peak {peak:.2f} GiB (at most {t['peak_gib']:g}: "
                  f"{'met' if peak <= t['peak_gib'] else 'not met'}), total {total:.0f} s including "
                  f"the graph (at most {t['total_seconds']:g}: "
                  f"{'met' if total <= t['total_seconds'] else 'not met'})."]
    return "\n".join(lines) + "\n"


def figure(record: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    full = [r for r in record["rows"] if r["layer"] == FULL]
    wom = [r for r in record["rows"] if r["layer"] == "wom"]
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(12, 5), dpi=120)
    n = [r["n"] for r in full]
    ax1.loglog(n, [r["run_seconds"] for r in full], "o-", label="run, full model")
    ax1.loglog([r["n"] for r in wom], [r["run_seconds"] for r in wom], "s--", label="run, word of mouth only")
    ax1.loglog(n, [r["graph_seconds"] for r in full], "^:", label="graph build")
    ax1.axhline(record["target"]["total_seconds"], color="grey", lw=0.8,
                label=f"target at 10^7: {record['target']['total_seconds']:g} s in all")
    ax1.set(xlabel="agents", ylabel="seconds", title="time (100 steps)")
    ax1.legend()
    ax2.loglog(n, [r["peak_rss_bytes"] / 2**30 for r in full], "o-", label="peak RSS, full model")
    ax2.loglog(n, [r["estimate_bytes"] / 2**30 for r in full], "x--", label="estimate before the run")
    ax2.axhline(record["target"]["peak_gib"], color="grey", lw=0.8,
                label=f"target at 10^7: {record['target']['peak_gib']:g} GiB")
    ax2.set(xlabel="agents", ylabel="GiB", title="peak memory")
    ax2.legend()
    for ax in (ax1, ax2):
        ax.grid(True, which="both", alpha=0.3)
    fig.suptitle(f"social graph, mean degree {MEAN_DEGREE}: growth with the population")
    fig.tight_layout()
    fig.savefig(path)


if __name__ == "__main__":
    main()
