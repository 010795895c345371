"""Benchmark: our graph generators side by side with networkx, then the scale targets.

Usage::

    python experiments/bench_graphs.py          # peers at 10^4 and 10^5, scale at 10^6
    python experiments/bench_graphs.py --big    # also Erdős–Rényi at 10^7 (in a subprocess)

Time is wall-clock after a warm-up call (JIT compiled). Memory is the peak
growth of the process's resident set size (RSS) over its value before the
build, sampled every millisecond by a thread with psutil (so it counts numba
and numpy allocations alike; tracemalloc would miss the kernels' own
buffers). "Bytes per edge" divides by directed edges (2 per friendship).
The 10^7 build runs in a fresh subprocess so its peak (``ru_maxrss``) is its
own. Results: ``experiments/results/bench_graphs.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import threading
import time
from pathlib import Path

import networkx as nx
import numba
import numpy as np
import psutil

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simulator import graphs  # noqa: E402

RESULTS = ROOT / "experiments" / "results"


def measure(build):
    """Run ``build()``; return (result, seconds, peak RSS growth in bytes)."""
    proc = psutil.Process()
    base = proc.memory_info().rss
    peak = [base]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], proc.memory_info().rss)
            time.sleep(0.001)

    watcher = threading.Thread(target=sample, daemon=True)
    watcher.start()
    t0 = time.perf_counter()
    out = build()
    seconds = time.perf_counter() - t0
    done.set()
    watcher.join()
    return out, seconds, max(peak[0] - base, 0)


def nx_directed_edges(G) -> int:
    return 2 * G.number_of_edges()


def peers(sizes, mean_degree):
    rows = []
    for n in sizes:
        # Erdős–Rényi
        graphs.erdos_renyi(1000, 10, seed=0)
        g, t_ours, m_ours = measure(lambda n=n: graphs.erdos_renyi(n, mean_degree, seed=1))
        G, t_nx, m_nx = measure(lambda n=n: nx.fast_gnp_random_graph(n, mean_degree / (n - 1), seed=1))
        rows.append(row("erdos_renyi vs fast_gnp_random_graph", n, mean_degree, g, t_ours, m_ours, G, t_nx, m_nx))
        del G
        # Configuration model on the same degree sequence
        sample = graphs.configuration(n=n, distribution="lognormal", mean_degree=mean_degree, seed=2)
        seq = sample.degrees().copy()
        seq[0] += seq.sum() % 2
        graphs.configuration([2, 2, 2], seed=0)  # warm-up
        g, t_ours, m_ours = measure(lambda seq=seq: graphs.configuration(seq, seed=3))
        G, t_nx, m_nx = measure(lambda seq=seq: nx.Graph(nx.configuration_model(seq.tolist(), seed=3)))
        rows.append(row("configuration vs configuration_model", n, mean_degree, g, t_ours, m_ours, G, t_nx, m_nx))
        del G
        # Holme–Kim
        m = int(mean_degree // 2)
        graphs.holme_kim(200, 3, 0.5, seed=0)
        g, t_ours, m_ours = measure(lambda n=n, m=m: graphs.holme_kim(n, m, 0.5, seed=4))
        G, t_nx, m_nx = measure(lambda n=n, m=m: nx.powerlaw_cluster_graph(n, m, 0.5, seed=4))
        rows.append(row("holme_kim vs powerlaw_cluster_graph", n, mean_degree, g, t_ours, m_ours, G, t_nx, m_nx))
        del G
    return rows


def row(name, n, k, g, t_ours, m_ours, G, t_nx, m_nx):
    r = {
        "comparison": name,
        "n": n,
        "mean_degree": k,
        "ours_s": round(t_ours, 4),
        "networkx_s": round(t_nx, 4),
        "speedup": round(t_nx / t_ours, 1),
        "ours_bytes_per_edge": round(m_ours / max(g.indices.size, 1), 1),
        "ours_final_bytes_per_edge": round(g.nbytes / max(g.indices.size, 1), 2),
        "networkx_bytes_per_edge": round(m_nx / max(nx_directed_edges(G), 1), 1),
    }
    print(json.dumps(r), flush=True)
    return r


def scale(kind, n, k):
    build = {"erdos_renyi": graphs.erdos_renyi, "social": graphs.social}[kind]
    build(2000, 20, seed=0)
    g, seconds, peak = measure(lambda: build(n, k, seed=1))
    r = {
        "kind": kind,
        "n": n,
        "mean_degree": k,
        "seconds": round(seconds, 2),
        "realised_mean_degree": round(g.mean_degree, 3),
        "final_bytes": g.nbytes,
        "bytes_per_edge": round(g.nbytes / g.indices.size, 3),
        "peak_growth_bytes": peak,
        "peak_over_final": round(peak / g.nbytes, 2),
        "threads": numba.get_num_threads(),
    }
    print(json.dumps(r), flush=True)
    return r


def big_child(n, k):
    """Run in a subprocess: build ER(n, k) and report time and its own peak RSS."""
    graphs.erdos_renyi(2000, 20, seed=0)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    t0 = time.perf_counter()
    g = graphs.erdos_renyi(n, k, seed=1)
    seconds = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({
        "kind": "erdos_renyi", "n": n, "mean_degree": k, "seconds": round(seconds, 2),
        "final_bytes": g.nbytes, "bytes_per_edge": round(g.nbytes / g.indices.size, 3),
        "peak_rss_bytes": peak, "peak_rss_gib": round(peak / 2**30, 2),
        # ru_maxrss survives fork+exec (Linux), so `before` may be the parent's
        # RSS; the peak itself is the child's whenever it exceeds that.
        "rss_before_build_bytes": before,
        "peak_over_final": round(peak / g.nbytes, 2),  # includes the interpreter (~0.2 GiB)
    }))  # fmt: skip


def write_markdown(res, path):
    lines = [
        "# Graph generators: ours vs networkx, and scale",
        "",
        f"Machine: {res['machine']['cores']} cores, {res['machine']['ram_gib']} GiB RAM, "
        f"numba {res['machine']['numba']}, networkx {res['machine']['networkx']}, "
        f"{res['machine']['threads']} numba threads. Command: `{res['command']}`.",
        "",
        "Time after JIT warm-up. Memory: peak RSS growth during the build (psutil, sampled every ms),",
        "per directed edge. Timings were taken while other jobs shared the 2 cores, so they are",
        "upper bounds.",
        "",
        "## Side by side with networkx",
        "",
        "| comparison | n | mean degree | ours (s) | networkx (s) | speed-up | ours peak B/edge | ours final B/edge | networkx peak B/edge |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in res["peers"]:
        lines.append(
            f"| {r['comparison']} | {r['n']:,} | {r['mean_degree']} | {r['ours_s']} | {r['networkx_s']} | "
            f"{r['speedup']}x | {r['ours_bytes_per_edge']} | {r['ours_final_bytes_per_edge']} | {r['networkx_bytes_per_edge']} |"
        )
    lines += [
        "",
        "## Scale targets",
        "",
        "| generator | n | mean degree | seconds | bytes / directed edge | peak / final |",
        "|---|---|---|---|---|---|",
    ]
    for r in res["scale"]:
        lines.append(
            f"| {r['kind']} | {r['n']:,} | {r['mean_degree']} | {r['seconds']} | {r['bytes_per_edge']} | {r['peak_over_final']} |"
        )
    if res.get("big"):
        b = res["big"]
        lines += [
            "",
            f"ER n={b['n']:,}, mean degree {b['mean_degree']} (own subprocess): {b['seconds']} s, "
            f"peak RSS {b['peak_rss_gib']} GiB (final arrays {b['final_bytes'] / 2**30:.2f} GiB, "
            f"{b['bytes_per_edge']} B/edge).",
        ]
    lines.append("")
    path.write_text("\n".join(lines))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", action="store_true", help="also ER n=10^7, mean degree 130, in a subprocess")
    ap.add_argument("--big-child", nargs=2, type=float, metavar=("N", "K"), help=argparse.SUPPRESS)
    ap.add_argument("--quick", action="store_true", help="peers at 10^4 only, scale at 10^5")
    args = ap.parse_args(argv)
    if args.big_child:
        big_child(int(args.big_child[0]), args.big_child[1])
        return
    res = {
        "command": "python experiments/bench_graphs.py" + (" --big" if args.big else "") + (" --quick" if args.quick else ""),
        "machine": {
            "cores": os.cpu_count(),
            "ram_gib": round(psutil.virtual_memory().total / 2**30, 1),
            "numba": numba.__version__,
            "networkx": nx.__version__,
            "numpy": np.__version__,
            "python": platform.python_version(),
            "threads": numba.get_num_threads(),
        },
        "memory_method": "peak RSS growth over the pre-build RSS, psutil sampled every 1 ms in a thread",
    }
    sizes = [10_000] if args.quick else [10_000, 100_000]
    res["peers"] = peers(sizes, 20)
    n = 100_000 if args.quick else 1_000_000
    res["scale"] = [scale("erdos_renyi", n, 130), scale("social", n, 130), scale("social", 100_000, 130)]
    if args.big:
        out = subprocess.run(
            [sys.executable, __file__, "--big-child", "10000000", "130"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        res["big"] = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps(res["big"]), flush=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_graphs.json").write_text(json.dumps(res, indent=2))
    write_markdown(res, RESULTS / "bench_graphs.md")


if __name__ == "__main__":
    main()
