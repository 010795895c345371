"""The default `social` graph's build time against Erdős–Rényi's at 10^6 agents, mean degree
130, each build in a fresh process (its first large allocation included), alternating.

Usage::

    python experiments/bench_social_build.py [--pairs 3]

Each process warms the kernels on a small graph first, so compile time is left out;
what is measured is one build at 10^6 x 130 and its peak RSS growth (``ru_maxrss``).
Results: ``experiments/results/bench_social_build.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "experiments" / "results"

CHILD = """
import json, resource, sys, time
sys.path.insert(0, {root!r})
from simulator import graphs
build = graphs.social if {kind!r} == "social" else graphs.erdos_renyi
build(20_000, 130, seed=0)
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
g = build(10**6, 130, seed=1)
seconds = time.perf_counter() - t0
peak = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024
print(json.dumps({{"seconds": seconds, "peak_bytes": peak,
                   "final_bytes": int(g.indices.nbytes + g.indptr.nbytes)}}))
"""


def build_once(kind: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD.format(root=str(ROOT), kind=kind)],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pairs", type=int, default=3)
    args = parser.parse_args()
    runs = {"erdos_renyi": [], "social": []}
    for _ in range(args.pairs):
        for kind in runs:
            runs[kind].append(build_once(kind))
            print(kind, f"{runs[kind][-1]['seconds']:.2f} s", flush=True)
    er = [r["seconds"] for r in runs["erdos_renyi"]]
    so = [r["seconds"] for r in runs["social"]]
    ratios = [s / e for s, e in zip(so, er, strict=True)]
    summary = {
        "erdos_renyi_s": er, "social_s": so, "ratios": ratios,
        "median_ratio": statistics.median(ratios),
        "social_peak_over_final": max(r["peak_bytes"] / r["final_bytes"] for r in runs["social"]),
    }
    (RESULTS / "bench_social_build.json").write_text(json.dumps(summary, indent=1) + "\n")
    lines = [
        "# `social` against Erdős–Rényi at 10^6 agents, mean degree 130, fresh processes", "",
        "Command: `python experiments/bench_social_build.py`. One build per process, after a "
        "small warm-up build (no compile time); pairs alternate.", "",
        "| pair | Erdős–Rényi (s) | social (s) | ratio |", "|---|---|---|---|",
    ]
    for k, (e, s) in enumerate(zip(er, so, strict=True)):
        lines.append(f"| {k + 1} | {e:.2f} | {s:.2f} | {s / e:.2f} |")
    lines += ["", f"Median ratio {summary['median_ratio']:.2f}; social's peak RSS growth "
              f"{summary['social_peak_over_final']:.2f}x its final arrays."]
    (RESULTS / "bench_social_build.md").write_text("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
