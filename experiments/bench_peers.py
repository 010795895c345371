"""Benchmark: our independent cascade side by side with its peers on one graph.

Tools: ours (``simulate``, the numba engine without result tables), ours through
``simulator.run`` (with the pandas tables), CyNetDiff, EoN ``basic_discrete_SIR``,
NDlib ``IndependentCascadesModel`` and a plain Mesa 3 agent model
(:mod:`experiments.peers.mesa_ic`). All run the independent cascade with
transmissibility ``T`` on the same Erdos-Renyi graph, and in replicate ``r``
every tool starts from the same seed agents (:mod:`experiments.peers.common`).

Method
------
- The graph is drawn once and written to a temporary ``.npz``; each tool then
  runs in a fresh subprocess of this script (one after the other, never two at
  once) that loads that file, so every tool sees the same graph and none
  inherits another's heap. ``--in-process`` runs them all in this process
  instead (memory figures are then less clean).
- Per tool: import the package (for ours: compile or load the numba kernels on
  a 100-agent graph), build the input graph (networkx for the peers), then
  *setup* (the tool's own graph format and configuration), one *warm-up*
  replicate (not counted), then the timed replicates.
- Time: ``time.perf_counter`` around each replicate, seeds given to final count.
- Numba compile time: a separate subprocess with an empty ``NUMBA_CACHE_DIR``
  times the first call (cold compile), next to the first call with the
  on-disk cache the repository already has.
- Memory: peak resident set size (Linux ``VmHWM``, reset through
  ``/proc/self/clear_refs`` once imports and the input graph are loaded) minus
  the resident set at that moment, covering setup, warm-up and every run.
  Sampled by the kernel, so it sees numba's and C++ allocations that
  ``tracemalloc`` would miss. ``input MB`` is what the tool's input graph adds
  (the networkx twin for the peers).
- Agreement: each tool's mean final size must lie within two combined standard
  errors of ours, ``|m_peer - m_ours| <= 2 sqrt(se_peer^2 + se_ours^2)``. The
  tools share seed sets, which correlates their runs, so this test is if
  anything lenient on no one: the real SE of the difference is smaller only
  for the part of the spread the seeds explain, which is tiny once every run is
  a large outbreak.
- Slow tools run fewer replicates when their warm-up run says the full number
  would exceed ``--tool-budget`` seconds (at least ``--min-replicates``); the
  table says so.

Usage
-----
``python experiments/bench_peers.py`` (ER n = 100,000, mean degree 20, T = 0.1,
10 replicates of 10 random seed agents), ``--quick`` for a small smoke run,
``--help`` for the flags. Writes ``experiments/results/bench_peers.json`` and
``.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: make `experiments` and `simulator` importable
    sys.path.insert(0, str(ROOT))

from experiments.peers.common import (  # noqa: E402
    er_giant_fraction,
    erdos_renyi_graph,
    ic_scenario,
    mean_se,
    networkx_graph,
    replicate_specs,
)
from simulator.graphs.graph import Graph  # noqa: E402

TOOLS = ("ours", "ours_run", "cynetdiff", "eon", "ndlib", "mesa")
LABELS = {
    "ours": "ours (simulate)",
    "ours_run": "ours (simulator.run, with tables)",
    "cynetdiff": "CyNetDiff",
    "eon": "EoN basic_discrete_SIR",
    "ndlib": "NDlib IndependentCascadesModel",
    "mesa": "Mesa 3 plain agent model",
}
#: Speed-ups over each peer the project must show (ours at least this many times faster).
TARGETS = {"cynetdiff": 2.0, "eon": 100.0, "ndlib": 500.0}
WARMUP_INDEX = 1_000_000  # the warm-up replicate's index: never one of the timed ones


# ---------------------------------------------------------------- memory probes
def _status_kb(field: str) -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    raise KeyError(field)


def reset_peak() -> bool:
    """Reset the kernel's peak-RSS mark (VmHWM); False where that is not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def rss_mb() -> float:
    return _status_kb("VmRSS") / 1024.0


def peak_mb() -> float:
    return _status_kb("VmHWM") / 1024.0


# ---------------------------------------------------------------- one tool
def preload(tool: str) -> None:
    """Import what the tool needs (and, for ours, compile or load the kernels)."""
    if tool in ("ours", "ours_run"):
        import simulator
        from experiments.peers.adapters import make_ours
        from experiments.peers.common import gnp_csr

        tiny = gnp_csr(100, 4, seed=0)
        sc = ic_scenario(0.5, 2)
        run = make_ours(tiny, None, 0.5, n_seeds=2)
        run(replicate_specs(tiny, sc, 0, 1)[0])
        simulator.run(sc, seed=0, replicates=1, graph=tiny)
    elif tool == "cynetdiff":
        import cynetdiff.utils  # noqa: F401
    elif tool == "eon":
        from experiments.peers.adapters import import_eon

        import_eon()
    elif tool == "ndlib":
        import ndlib.models.epidemics  # noqa: F401
        import ndlib.models.ModelConfig  # noqa: F401
    elif tool == "mesa":
        import experiments.peers.mesa_ic  # noqa: F401


def run_tool(tool: str, graph: Graph, args: argparse.Namespace) -> dict:
    """Setup, warm-up and timed replicates of one tool in this process."""
    from experiments.peers import adapters

    load_start = os.getloadavg()[0]
    t0 = time.perf_counter()
    preload(tool)
    preload_s = time.perf_counter() - t0
    rss_start = rss_mb()
    nx_graph = None
    if tool not in ("ours", "ours_run"):
        nx_graph = networkx_graph(graph)
    rss_base = rss_mb()
    peak_ok = reset_peak()
    sc = ic_scenario(args.T, args.n_seeds, args.steps)
    warm = replicate_specs(graph, sc, args.seed, 1, start=WARMUP_INDEX)[0]

    t0 = time.perf_counter()
    if tool == "ours_run":
        import simulator

        run = None
    elif tool == "ours":
        run = adapters.make_ours(graph, None, args.T, n_seeds=args.n_seeds, steps=args.steps)
    else:
        run = adapters.MAKERS[tool](graph, nx_graph, args.T)
    setup_s = time.perf_counter() - t0

    t0 = time.perf_counter()
    if run is None:
        simulator.run(sc, seed=args.seed, replicates=1, graph=graph, steps=args.steps)
    else:
        run(warm)
    warmup_s = time.perf_counter() - t0

    k = args.replicates
    if warmup_s * k > args.tool_budget:
        k = max(args.min_replicates, int(args.tool_budget // max(warmup_s, 1e-9)))
        k = min(k, args.replicates)
    specs = replicate_specs(graph, sc, args.seed, k)
    sizes, times = [], []
    if run is None:
        t0 = time.perf_counter()
        res = simulator.run(sc, seed=args.seed, replicates=k, graph=graph, steps=args.steps)
        total = time.perf_counter() - t0
        sizes = [int(round(x * graph.n)) for x in res.finals["positive"]]
        times = [total / k] * k
    else:
        for spec in specs:
            t0 = time.perf_counter()
            sizes.append(run(spec))
            times.append(time.perf_counter() - t0)
    return {
        "tool": tool,
        "replicates": k,
        "sizes": sizes,
        "times_s": times,
        "setup_s": setup_s,
        "warmup_s": warmup_s,
        "preload_s": preload_s,
        "input_graph_mb": rss_base - rss_start,
        "peak_rss_increment_mb": (peak_mb() - rss_base) if peak_ok else None,
        "ru_maxrss_mb": _ru_maxrss_mb(),
        "seeds_first_replicate": [int(s) for s in specs[0].seeds] if specs else [],
        # Other jobs on the machine slow every tool; the 1-minute load average
        # before and after this tool's runs says how much was going on.
        "load_average_1min": [load_start, os.getloadavg()[0]],
    }


def _ru_maxrss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


# ---------------------------------------------------------------- orchestration
def save_graph(graph: Graph, path: Path) -> None:
    np.savez(path, indptr=graph.indptr, indices=graph.indices)


def load_graph(path: Path) -> Graph:
    with np.load(path) as z:
        return Graph(z["indptr"], z["indices"], meta={"kind": "erdos_renyi"})


def worker_args(args: argparse.Namespace) -> list[str]:
    return [
        "--n", str(args.n), "--mean-degree", str(args.mean_degree), "--T", str(args.T),
        "--replicates", str(args.replicates), "--n-seeds", str(args.n_seeds),
        "--seed", str(args.seed), "--steps", str(args.steps),
        "--tool-budget", str(args.tool_budget), "--min-replicates", str(args.min_replicates),
    ]


def run_in_subprocess(tool: str, graph_file: Path, args: argparse.Namespace,
                      env: dict | None = None) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", tool,
           "--graph-file", str(graph_file), "--worker-out", str(out), *worker_args(args)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        out.unlink(missing_ok=True)
        raise RuntimeError(f"{tool} worker failed:\n{proc.stderr[-4000:]}")
    result = json.loads(out.read_text())
    out.unlink()
    return result


def compile_times(graph_file: Path, args: argparse.Namespace) -> dict:
    """First call of our kernels: with an empty numba cache (compile) and with the on-disk cache."""
    probe = argparse.Namespace(**{**vars(args), "replicates": 1})
    with tempfile.TemporaryDirectory() as cache:
        cold = run_in_subprocess("ours", graph_file, probe, env={**os.environ, "NUMBA_CACHE_DIR": cache})
    warm = run_in_subprocess("ours", graph_file, probe)
    return {"compile_cold_cache_s": cold["preload_s"], "load_from_cache_s": warm["preload_s"]}


def summarise(results: dict, args: argparse.Namespace, n: int, compile_info: dict | None) -> dict:
    ours = results["ours"]
    ours_mean, ours_se = mean_se(ours["sizes"])
    ours_t = float(np.mean(ours["times_s"]))
    ours_tmin = float(np.min(ours["times_s"]))
    rows = []
    for tool, r in results.items():
        m, se = mean_se(r["sizes"])
        t = float(np.mean(r["times_s"]))
        ratio = t / ours_t
        z = abs(m - ours_mean) / math.sqrt(se**2 + ours_se**2) if tool != "ours" else 0.0
        row = {
            "tool": tool,
            "label": LABELS[tool],
            "replicates": r["replicates"],
            "s_per_replicate": t,
            "s_per_replicate_min": float(np.min(r["times_s"])),
            "ratio_to_ours": ratio,
            "ratio_to_ours_min": float(np.min(r["times_s"])) / ours_tmin,
            "mean_final_size": m,
            "se_final_size": se,
            "mean_final_fraction": m / n,
            "z_vs_ours": z,
            "agrees_with_ours": bool(z <= 2.0) if tool != "ours" else True,
            "setup_s": r["setup_s"],
            "warmup_s": r["warmup_s"],
            "load_average_1min": r.get("load_average_1min"),
            "input_graph_mb": r["input_graph_mb"],
            "peak_rss_increment_mb": r["peak_rss_increment_mb"],
            "sizes": r["sizes"],
            "times_s": r["times_s"],
        }
        if tool in TARGETS:
            row["target_speedup"] = TARGETS[tool]
            row["meets_target"] = bool(ratio >= TARGETS[tool])
        rows.append(row)
    same_seeds = len({tuple(r["seeds_first_replicate"]) for r in results.values()}) == 1
    return {
        "config": {
            "graph": "erdos_renyi", "n": n, "mean_degree": args.mean_degree, "T": args.T,
            "n_seeds": args.n_seeds, "replicates": args.replicates, "seed": args.seed,
            "graph_seed": args.graph_seed, "steps": args.steps, "in_process": args.in_process,
            "tool_budget_s": args.tool_budget,
        },
        "theory_large_outbreak_fraction": er_giant_fraction(args.mean_degree * args.T),
        "same_seed_sets_checked": same_seeds,
        "numba": compile_info,
        "machine": {"python": platform.python_version(), "platform": platform.platform(),
                    "cpus": os.cpu_count(), "load_average_at_end": list(os.getloadavg())},
        "memory_method": "peak RSS (VmHWM, reset via /proc/self/clear_refs) minus RSS after "
                         "imports and input graph; covers setup, warm-up and all runs",
        "rows": rows,
    }


def markdown(summary: dict, command: str) -> str:
    c = summary["config"]
    lines = [
        "# Independent cascade: ours vs peers",
        "",
        f"Command: `{command}`",
        "",
        f"Erdos-Renyi n = {c['n']:,}, mean degree {c['mean_degree']}, T = {c['T']}, "
        f"{c['n_seeds']} random seed agents per replicate (the same agents for every tool), "
        f"seed {c['seed']}. Theory (bond percolation, Newman 2002): large outbreak "
        f"S = {summary['theory_large_outbreak_fraction']:.4f} of n.",
        "",
        "| tool | replicates | s / replicate | ratio to ours | ratio of fastest runs | "
        "mean final size ± SE | fraction of n | z vs ours | setup s | peak RSS increment MB "
        "| input graph MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in summary["rows"]:
        mem = r["peak_rss_increment_mb"]
        lines.append(
            f"| {r['label']} | {r['replicates']} | {r['s_per_replicate']:.4g} | "
            f"{r['ratio_to_ours']:.3g} | {r['ratio_to_ours_min']:.3g} | {r['mean_final_size']:.1f} ± {r['se_final_size']:.1f} | "
            f"{r['mean_final_fraction']:.4f} | {r['z_vs_ours']:.2f} | {r['setup_s']:.3g} | "
            f"{'n/a' if mem is None else f'{mem:.1f}'} | {r['input_graph_mb']:.0f} |"
        )
    lines += ["", "Targets (ours at least this many times faster):", ""]
    for r in summary["rows"]:
        if "target_speedup" in r:
            verdict = "met" if r["meets_target"] else "MISSED"
            lines.append(f"- {r['label']}: {r['ratio_to_ours']:.3g}x (target {r['target_speedup']:g}x): {verdict}")
    lines += ["", "Agreement (|mean - ours| <= 2 combined SE):", ""]
    for r in summary["rows"]:
        if r["tool"] != "ours":
            lines.append(f"- {r['label']}: z = {r['z_vs_ours']:.2f}: "
                         f"{'agrees' if r['agrees_with_ours'] else 'DISAGREES'}")
    fewer = [r for r in summary["rows"] if r["replicates"] < c["replicates"]]
    if fewer:
        lines += ["", "Fewer replicates (their warm-up run said the full number would exceed "
                  f"{c['tool_budget_s']:g} s): "
                  + ", ".join(f"{r['label']} {r['replicates']}" for r in fewer) + "."]
    nb = summary.get("numba")
    if nb:
        lines += ["", f"Numba: first call with an empty cache (compile) {nb['compile_cold_cache_s']:.2f} s; "
                  f"with the on-disk cache {nb['load_from_cache_s']:.2f} s (not in the times above)."]
    lines += [
        "",
        "s / replicate: mean wall time from seed set to final count, one warm-up run "
        "excluded; ratio of fastest runs: the tool's fastest replicate over ours (less "
        "sensitive to other load on the machine); `simulator.run` is its total over all replicates divided by their "
        "number. Setup (building each tool's graph format and configuration) is not in "
        "it. Memory: " + summary["memory_method"] + ". Input graph MB: what building "
        "the tool's input graph added (the networkx twin for the peers).",
        "",
        f"Machine: {summary['machine']['platform']}, Python {summary['machine']['python']}, "
        f"{summary['machine']['cpus']} CPUs; load average at the end "
        f"{', '.join(f'{x:.1f}' for x in summary['machine']['load_average_at_end'])} "
        "(other jobs shared the machine: compare ratios, and the ratio of fastest runs, "
        "rather than absolute times).",
    ]
    loads = [(r["label"], r["load_average_1min"]) for r in summary["rows"] if r.get("load_average_1min")]
    if loads:
        lines += ["", "1-minute load average before and after each tool's runs (above 1, other "
                  f"jobs competed for the {summary['machine']['cpus']} CPUs): "
                  + "; ".join(f"{label} {a:.1f} -> {b:.1f}" for label, (a, b) in loads) + "."]
    lines.append("")
    return "\n".join(lines)


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--n", type=int, default=100_000, help="agents (default 100000)")
    p.add_argument("--mean-degree", type=float, default=20.0, help="mean degree (default 20)")
    p.add_argument("--T", type=float, default=0.1, help="transmissibility (default 0.1)")
    p.add_argument("--replicates", type=int, default=10, help="timed replicates per tool (default 10)")
    p.add_argument("--n-seeds", type=int, default=10, help="random seed agents per replicate (default 10)")
    p.add_argument("--seed", type=int, default=1, help="replicate seed (default 1)")
    p.add_argument("--graph-seed", type=int, default=2024, help="graph seed (default 2024)")
    p.add_argument("--steps", type=int, default=500, help="our step limit (default 500)")
    p.add_argument("--tools", default=",".join(TOOLS), help="comma-separated subset of " + ",".join(TOOLS))
    p.add_argument("--tool-budget", type=float, default=300.0,
                   help="seconds of timed runs per tool before it gets fewer replicates (default 300)")
    p.add_argument("--min-replicates", type=int, default=3, help="floor for slow tools (default 3)")
    p.add_argument("--in-process", action="store_true", help="run every tool in this process")
    p.add_argument("--quick", action="store_true",
                   help="smoke run: n=5000, mean degree 10, T=0.2, 4 replicates; writes bench_peers.quick.*")
    p.add_argument("--out", type=Path, default=ROOT / "experiments" / "results")
    p.add_argument("--worker", choices=TOOLS, help=argparse.SUPPRESS)
    p.add_argument("--graph-file", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--worker-out", type=Path, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.quick:
        args.n, args.mean_degree, args.T, args.replicates = 5000, 10.0, 0.2, 4
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.worker:
        graph = load_graph(args.graph_file)
        args.worker_out.write_text(json.dumps(run_tool(args.worker, graph, args)))
        return 0
    tools = [t.strip() for t in args.tools.split(",") if t.strip()]
    unknown = sorted(set(tools) - set(TOOLS))
    if unknown or "ours" not in tools:
        print(f"--tools must include 'ours' and only {', '.join(TOOLS)}; got {args.tools}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    graph = erdos_renyi_graph(args.n, args.mean_degree, args.graph_seed)
    print(f"graph: {graph!r} in {time.perf_counter() - t0:.1f} s", flush=True)
    results, compile_info = {}, None
    with tempfile.TemporaryDirectory() as tmp:
        graph_file = Path(tmp) / "graph.npz"
        save_graph(graph, graph_file)
        if not args.in_process:
            compile_info = compile_times(graph_file, args)
            print(f"numba: {compile_info}", flush=True)
        for tool in tools:
            t0 = time.perf_counter()
            if args.in_process:
                results[tool] = run_tool(tool, graph, args)
            else:
                results[tool] = run_in_subprocess(tool, graph_file, args)
            r = results[tool]
            print(f"{tool:10s} {r['replicates']:3d} reps  {np.mean(r['times_s']):.4g} s/rep  "
                  f"mean size {np.mean(r['sizes']):.1f}  ({time.perf_counter() - t0:.0f} s)", flush=True)
    summary = summarise(results, args, graph.n, compile_info)
    command = "python experiments/bench_peers.py " + " ".join(argv if argv is not None else sys.argv[1:])
    summary["command"] = command.strip()
    args.out.mkdir(parents=True, exist_ok=True)
    stem = "bench_peers.quick" if args.quick else "bench_peers"
    (args.out / f"{stem}.json").write_text(json.dumps(summary, indent=2) + "\n")
    md = markdown(summary, summary["command"])
    (args.out / f"{stem}.md").write_text(md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
