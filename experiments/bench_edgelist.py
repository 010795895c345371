"""Benchmark: reading a real network's edge list, against networkx, and at 10^8 edges.

Usage::

    python experiments/bench_edgelist.py          # 10^6 edges (with networkx) and 10^7
    python experiments/bench_edgelist.py --big    # also 10^8 edges (a 1.6 GB file)

Each file is an Erdős–Rényi friend graph written SNAP style (``u<TAB>v`` per
line under ``#`` comment lines, as the SNAP collection ships them), in a
temporary folder. Every read runs in a fresh subprocess so its wall time and
peak resident memory (``ru_maxrss``) are its own: ``read_graph_file`` (what a
scenario's ``[graph] kind = "edgelist"`` uses, through pandas' C reader), and
at 10^6 edges ``networkx.read_edgelist`` on the same file, then
``from_networkx``, as a user of networkx-based tools would load it. The graph
read back is checked against the one written. Results:
``experiments/results/bench_edgelist.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "experiments" / "results"

CHILD = r"""
import json, resource, sys, time
import numpy as np
sys.path.insert(0, {root!r})
from simulator.graphs import read_graph_file, from_networkx
path, how = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
if how == "ours":
    g = read_graph_file(path)
else:
    import networkx as nx
    g = from_networkx(nx.read_edgelist(path, nodetype=int))
seconds = time.perf_counter() - t0
print(json.dumps({{"seconds": seconds, "peak_bytes": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
                  "n": g.n, "edges": g.n_edges, "degree_sum": int(g.degrees().sum())}}))
"""


def write_snap(path: Path, n_edges: int, seed: int = 1) -> tuple[int, int]:
    """An ER-like edge list of ``n_edges`` lines (mean degree 20), in chunks; returns
    (people, friendships written without repeats)."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    n = max(10, n_edges // 10)
    rng = np.random.default_rng(seed)
    seen = 0
    with open(path, "wb") as fh:
        fh.write(b"# Undirected graph, SNAP style\n# FromNodeId\tToNodeId\n")
        opts = pacsv.WriteOptions(include_header=False, delimiter="\t")
        left = n_edges
        while left:
            k = min(left, 10_000_000)
            u = rng.integers(0, n, size=k, dtype=np.int64)
            v = rng.integers(0, n, size=k, dtype=np.int64)
            pacsv.write_csv(pa.table({"u": u, "v": v}), fh, write_options=opts)
            left -= k
            seen += k
    return n, seen


def read_in_child(path: Path, how: str) -> dict:
    code = CHILD.format(root=str(ROOT))
    out = subprocess.run([sys.executable, "-c", code, str(path), how], check=True,
                         capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--big", action="store_true", help="also 10^8 edges")
    args = ap.parse_args()
    sizes = [10**6, 10**7] + ([10**8] if args.big else [])
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for m in sizes:
            path = Path(tmp) / f"er_{m}.txt"
            t0 = time.perf_counter()
            n, _ = write_snap(path, m)
            written = time.perf_counter() - t0
            row = {"lines": m, "people": n, "file_bytes": path.stat().st_size,
                   "write_seconds": round(written, 1)}
            ours = read_in_child(path, "ours")
            row["ours"] = ours
            if m <= 10**6:
                theirs = read_in_child(path, "networkx")
                row["networkx"] = theirs
                assert theirs["edges"] == ours["edges"], (theirs, ours)
                row["speedup_vs_networkx"] = round(theirs["seconds"] / ours["seconds"], 1)
                row["memory_vs_networkx"] = round(theirs["peak_bytes"] / ours["peak_bytes"], 2)
            rows.append(row)
            print(json.dumps(row), flush=True)
            path.unlink()
    RESULTS.mkdir(exist_ok=True)
    meta = {"machine": platform.platform(), "cpus": os.cpu_count(), "python": platform.python_version()}
    (RESULTS / "bench_edgelist.json").write_text(json.dumps({"meta": meta, "rows": rows}, indent=1))
    lines = ["# Reading an edge list (SNAP style)", "",
             "`python experiments/bench_edgelist.py" + (" --big" if args.big else "") + "`; "
             f"{meta['cpus']} cores. Each read in a fresh process: wall time and peak resident "
             "memory of the whole process (interpreter and imports included).", "",
             "| lines | file | ours: time | ours: peak memory | networkx: time | networkx: peak "
             "memory | ratio (time) |", "|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        nx_ = r.get("networkx")
        lines.append(
            f"| {r['lines']:,} | {r['file_bytes'] / 2**20:,.0f} MiB | {r['ours']['seconds']:.1f} s | "
            f"{r['ours']['peak_bytes'] / 2**30:.2f} GiB | "
            + (f"{nx_['seconds']:.1f} s | {nx_['peak_bytes'] / 2**30:.2f} GiB | "
               f"{r['speedup_vs_networkx']}x |" if nx_ else "not run | | |"))
    (RESULTS / "bench_edgelist.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
