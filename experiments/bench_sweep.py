"""Benchmark: sweep throughput on 1 and 2 workers, against ``mesa.batch_run``.

Workloads (10,000 agents, Erdos-Renyi mean degree 20, 100 steps, 10 random
seed agents; one shared graph, as a sweep has by default):

* **ic**: the independent cascade (the scenario ``reference/independent_cascade``:
  no negative word, one step of talk, every word persuades), transmissibility
  ``wom.p_positive`` in {0.06, 0.08, 0.10, 0.12}. The plain Mesa agent model
  of the same cascade (:mod:`experiments.peers.mesa_ic`) runs the same
  parameters on the networkx twin of the same graph through ``mesa.batch_run``
  with the same number of processes.
* **wom**: the smoke sweep's full word-of-mouth model
  (``experiments/smoke_sweep.toml``: positive and negative word, purchases),
  ours only (Mesa has no such model).

Method
------
- Ours, 1 worker: ``run_sweep(..., workers=1)`` in this process, i.e. exactly
  ``virality sweep --workers 1``, after one warm-up sweep (kernels loaded, graph
  cached), so the figure is steady-state throughput. Timed from the call to
  its return: design, every run, every part file, consolidation, metadata.
- Ours, 2 workers: the ``LocalCluster(2, threads_per_worker=1, processes=True)``
  that ``--workers 2`` starts (with its Dask settings, ``LOCAL_CLUSTER_CONFIG``), started
  and warmed up first (every worker loads the kernels and builds the graph),
  then ``run_sweep(..., scheduler=address)``, timed the same way. The same on
  a 1-worker cluster separates the Dask path's own scaling from its cost. The
  cold figure (``run_sweep(workers=2)`` from nothing: cluster start, kernel
  loads, graph builds) is reported next to it.
- Parallel efficiency = (runs/s on 2 workers) / (2 x runs/s on 1 worker).
- Ceiling: the same runs in two plain Python processes started together (no
  Dask, no part files) against one, which shows what the machine itself
  allows (a shared or throttled VM can be far below 2x).
- Mesa: ``mesa.batch_run(ICModel, {"graph": [G], "p": ps, "n_seeds": 10},
  iterations=k, max_steps=100, data_collection_period=-1,
  number_processes=1 or 2)``, timed around the call (it builds each model,
  i.e. its agents, and runs it: that is what a Mesa sweep costs).
- Agreement: mean final cascade size per ``p`` from both (the same cascade, so
  they must agree within sampling error).
- Every timing is the best of ``--repeats``; the load average is recorded
  because the machine may be shared.

Usage::

    python experiments/bench_sweep.py             # ~3 minutes
    python experiments/bench_sweep.py --quick     # fewer runs, ~40 s

Writes ``experiments/results/bench_sweep.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "experiments" / "results"
sys.path.insert(0, str(ROOT))

import simulator  # noqa: E402
from simulator.sweep.execute import LOCAL_CLUSTER_CONFIG, QUIET_SCHEDULER, run_sweep  # noqa: E402
from simulator.sweep.experiment import Experiment  # noqa: E402

PS = [0.06, 0.08, 0.10, 0.12]
GRAPH = {"graph.kind": "erdos_renyi", "graph.n": 10_000, "graph.mean_degree": 20}


def ic_experiment(replicates: int, seed: int = 11) -> Experiment:
    return Experiment.from_dict(
        {
            "name": "bench_ic",
            "scenario": "reference/independent_cascade.toml",
            "seed": seed,
            "replicates": replicates,
            "metrics": ["reach", "positive"],
            "fixed": {**GRAPH, "run.steps": 100, "seeding.n_seeds": 10},
            "parameters": {"wom.p_positive": PS},
        },
        base_dir=ROOT / "scenarios",
    )


def wom_experiment(replicates: int, seed: int = 11) -> Experiment:
    exp = Experiment.load(ROOT / "experiments" / "smoke_sweep.toml")
    data = {
        "name": "bench_wom",
        "scenario": "../scenarios/quickstart.toml",
        "seed": seed,
        "replicates": replicates,
        "metrics": list(exp.metrics),
        "fixed": dict(exp.fixed),
        "parameters": {p.name: list(p.values) for p in exp.params},
    }
    return Experiment.from_dict(data, base_dir=ROOT / "experiments")


def timed_sweep(exp: Experiment, **kw) -> float:
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        meta = run_sweep(exp, Path(d) / "out", progress=False, **kw)
        dt = time.perf_counter() - t0
    assert meta["runs_done"] == exp.n_runs
    return dt


def warm_worker(scenario, graph_seed: int) -> int:
    """Load the kernels and build (cache) the graph in a worker."""
    from simulator.engine.run import run
    from simulator.sweep.worker import cached_graph

    g = cached_graph(scenario, graph_seed)
    run(scenario, seed=1, replicates=1, graph=g)
    return os.getpid()


def ours(make, replicates: int, repeats: int) -> dict:
    """Time ``make(replicates)`` (an experiment) on 1 and 2 workers."""
    import dask
    from distributed import Client, LocalCluster

    from simulator.rng import graph_seed

    exp = make(replicates)
    out = {"runs": exp.n_runs}
    # 1 worker, in-process: warm up (kernels, this process's graph cache), then time.
    t0 = time.perf_counter()
    timed_sweep(make(1), workers=1)
    out["warmup_1_seconds"] = time.perf_counter() - t0
    t1 = min(timed_sweep(exp, workers=1) for _ in range(repeats))
    out["seconds_1"] = t1
    out["runs_per_s_1"] = exp.n_runs / t1
    # 1 and 2 workers on a warmed-up local cluster: the cluster `virality sweep
    # --workers N` starts (execute._Dask), started here so it can be warmed up first.
    for n in (1, 2):
        with (
            dask.config.set(LOCAL_CLUSTER_CONFIG),
            LocalCluster(
                n_workers=n,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
                silence_logs=logging.ERROR,
                scheduler_kwargs=QUIET_SCHEDULER,
            ) as cluster,
            Client(cluster) as client,
        ):
            pids = client.run(warm_worker, exp.scenario, graph_seed(exp.seed))
            assert len(set(pids.values())) == n
            best = min(
                timed_sweep(exp, scheduler=cluster.scheduler_address) for _ in range(repeats)
            )
        out[f"cluster_seconds_{n}"] = best
    t2 = out["cluster_seconds_2"]
    out["cluster_speedup_2_vs_1"] = out["cluster_seconds_1"] / t2
    out["seconds_2"] = t2
    out["runs_per_s_2"] = exp.n_runs / t2
    out["speedup_2_vs_1"] = t1 / t2
    out["parallel_efficiency"] = t1 / t2 / 2
    # Cold: what `virality sweep --workers 2` costs from nothing (cluster start, loads, graphs).
    out["cold_seconds_2"] = timed_sweep(exp, workers=2)
    return out


CEILING_CHILD = r"""
import sys, time
sys.path.insert(0, sys.argv[2])
from experiments.bench_sweep import ic_experiment
from simulator.rng import graph_seed
from simulator.sweep.worker import cached_graph, run_one
exp = ic_experiment(1)
sc = exp.scenario.with_overrides({"wom.p_positive": 0.1})
g = cached_graph(sc, graph_seed(exp.seed))
run_one(sc, 0, g)
print("ready", flush=True)
sys.stdin.readline()  # start together
t = time.perf_counter()
for s in range(int(sys.argv[1])):
    run_one(sc, s, g)
print(time.perf_counter() - t, flush=True)
"""


def ceiling(runs: int) -> dict:
    """What two plain processes (no Dask, no files) gain over one: the machine's own scaling."""
    import subprocess

    def batch(k: int) -> float:
        procs = [
            subprocess.Popen(
                [sys.executable, "-c", CEILING_CHILD, str(runs), str(ROOT)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(k)
        ]
        for p in procs:
            assert p.stdout.readline().strip() == "ready"
        for p in procs:
            p.stdin.write("go\n")
            p.stdin.flush()
        times = [float(p.communicate()[0].strip()) for p in procs]
        return max(times)

    t1, t2 = batch(1), batch(2)
    return {
        "runs_per_process": runs,
        "seconds_1": t1,
        "seconds_2": t2,
        "speedup_2_vs_1": 2 * t1 / t2,
    }


def our_means(exp: Experiment) -> dict[float, float]:
    with tempfile.TemporaryDirectory() as d:
        run_sweep(exp, Path(d) / "o", workers=1, progress=False)
        import pandas as pd

        df = pd.read_parquet(Path(d) / "o" / "results.parquet")
    return {float(p): float(v) for p, v in df.groupby("wom.p_positive")["positive"].mean().items()}


def mesa_baseline(exp: Experiment, iterations: int, repeats: int) -> dict:
    import mesa

    from experiments.peers.common import networkx_graph
    from experiments.peers.mesa_ic import ICModel
    from simulator.engine.run import make_graph

    G = networkx_graph(make_graph(exp.scenario, exp.seed))
    n = G.number_of_nodes()
    params = {"graph": [G], "p": PS, "n_seeds": 10}
    out = {"runs": iterations * len(PS), "iterations_per_p": iterations}
    for procs in (1, 2):
        best, rows = float("inf"), None
        for _ in range(repeats):
            t0 = time.perf_counter()
            rows = mesa.batch_run(
                ICModel,
                params,
                number_processes=procs,
                iterations=iterations,
                data_collection_period=-1,
                max_steps=100,
                display_progress=False,
            )
            best = min(best, time.perf_counter() - t0)
        out[f"seconds_{procs}"] = best
        out[f"runs_per_s_{procs}"] = out["runs"] / best
    sizes: dict[float, list[float]] = {}
    for row in rows:
        sizes.setdefault(float(row["p"]), []).append(row["active"] / n)
    out["mean_final_size"] = {p: float(np.mean(v)) for p, v in sorted(sizes.items())}
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replicates", type=int, default=2500, help="ours: runs per p (4 p values)")
    ap.add_argument("--mesa-iterations", type=int, default=4, help="Mesa: runs per p")
    ap.add_argument("--repeats", type=int, default=2, help="timings are the best of this many")
    ap.add_argument("--quick", action="store_true", help="fewer runs (a smoke test of the script)")
    args = ap.parse_args(argv)
    if args.quick:
        args.replicates, args.mesa_iterations, args.repeats = 100, 2, 1
    load0 = os.getloadavg()
    ic = ic_experiment(args.replicates)
    print(f"ours, ic: {ic.n_runs} runs ...", flush=True)
    r_ic = ours(ic_experiment, args.replicates, args.repeats)
    wom_reps = max(1, args.replicates * len(PS) // 6)  # the smoke grid has 6 points
    print(f"ours, wom: {wom_reps * 6} runs ...", flush=True)
    r_wom = ours(wom_experiment, wom_reps, args.repeats)
    print("ceiling: two plain processes ...", flush=True)
    r_ceiling = ceiling(args.replicates)
    print(f"mesa.batch_run, ic: {args.mesa_iterations * len(PS)} runs ...", flush=True)
    r_mesa = mesa_baseline(ic, args.mesa_iterations, args.repeats)
    means = our_means(ic_experiment(100, seed=12))
    ratios = {
        f"ours_vs_mesa_{k}": r_ic[f"runs_per_s_{k}"] / r_mesa[f"runs_per_s_{k}"] for k in (1, 2)
    }
    report = {
        "benchmark": "bench_sweep",
        "workload": {**GRAPH, "run.steps": 100, "seeding.n_seeds": 10, "wom.p_positive": PS},
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "loadavg_start": load0,
            "loadavg_end": os.getloadavg(),
        },
        "versions": {
            "simulator": simulator.__version__,
            "mesa": _version("mesa"),
            "distributed": _version("distributed"),
            "numba": _version("numba"),
        },
        "ours_ic": r_ic,
        "ours_wom": r_wom,
        "ceiling_plain_processes": r_ceiling,
        "mesa_ic": r_mesa,
        "ours_mean_final_size": means,
        "ratios": ratios,
        "aims": {
            "speedup_2_vs_1 >= 1.8": r_ic["speedup_2_vs_1"] >= 1.8,
            "ours_vs_mesa >= 100": min(ratios.values()) >= 100,
        },
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_sweep.json").write_text(json.dumps(report, indent=2) + "\n")
    md = markdown(report, " ".join(["python experiments/bench_sweep.py", *(argv or sys.argv[1:])]))
    (RESULTS / "bench_sweep.md").write_text(md)
    print(md)
    return 0


def markdown(r: dict, command: str) -> str:
    ic, wom, me = r["ours_ic"], r["ours_wom"], r["mesa_ic"]
    rows = [
        "| workload | tool | runs | 1 worker: s | runs/s | 2 workers: s | runs/s | speed-up | efficiency |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
        f"| ic | ours (`virality sweep`) | {ic['runs']} | {ic['seconds_1']:.2f} | {ic['runs_per_s_1']:.0f} | "
        f"{ic['seconds_2']:.2f} | {ic['runs_per_s_2']:.0f} | {ic['speedup_2_vs_1']:.2f}x | {ic['parallel_efficiency']:.0%} |",
        f"| ic | Mesa 3 `batch_run` | {me['runs']} | {me['seconds_1']:.2f} | {me['runs_per_s_1']:.2f} | "
        f"{me['seconds_2']:.2f} | {me['runs_per_s_2']:.2f} | {me['seconds_1'] / me['seconds_2']:.2f}x | "
        f"{me['seconds_1'] / me['seconds_2'] / 2:.0%} |",
        f"| wom (smoke) | ours (`virality sweep`) | {wom['runs']} | {wom['seconds_1']:.2f} | {wom['runs_per_s_1']:.0f} | "
        f"{wom['seconds_2']:.2f} | {wom['runs_per_s_2']:.0f} | {wom['speedup_2_vs_1']:.2f}x | {wom['parallel_efficiency']:.0%} |",
    ]
    agree = ["| p | ours: mean final size | Mesa: mean final size |", "|---:|---:|---:|"]
    for p, m in r["mesa_ic"]["mean_final_size"].items():
        agree.append(
            f"| {float(p):.2f} | {r['ours_mean_final_size'].get(float(p), float('nan')):.3f} | {m:.3f} |"
        )
    ra = r["ratios"]
    m = r["machine"]
    return "\n".join(
        [
            "# Sweep throughput: 1 vs 2 workers, and against `mesa.batch_run`",
            "",
            f"Command: `{command}`  ",
            f"Machine: {m['cpus']} CPUs, {m['platform']}, Python {m['python']}; load average "
            f"{m['loadavg_start'][0]:.2f} at start, {m['loadavg_end'][0]:.2f} at end.  ",
            f"Versions: simulator {r['versions']['simulator']}, Mesa {r['versions']['mesa']}, "
            f"distributed {r['versions']['distributed']}, numba {r['versions']['numba']}.",
            "",
            "Workload: 10,000 agents, Erdos-Renyi mean degree 20 (one shared graph), at most 100 steps, "
            "10 random seeds; `wom.p_positive` (= Mesa's `p`) in "
            + ", ".join(f"{p:g}" for p in r["workload"]["wom.p_positive"])
            + ". "
            "`ic` is the independent cascade (both tools); `wom` is the smoke sweep's full model (ours only). "
            "Steady state: workers warmed up (kernels loaded, graph built) before timing; best of the repeats.",
            "",
            *rows,
            "",
            f"- Ours vs Mesa, runs/s: **{ra['ours_vs_mesa_1']:.0f}x** on 1 process, "
            f"**{ra['ours_vs_mesa_2']:.0f}x** on 2.",
            f"- Ours from 1 to 2 workers: **{ic['speedup_2_vs_1']:.2f}x** (ic), {wom['speedup_2_vs_1']:.2f}x (wom). "
            f"Cold `--workers 2` (cluster start, kernel loads, graph builds included): "
            f"{ic['cold_seconds_2']:.1f} s for the {ic['runs']} ic runs.",
            f"- On the Dask path alone (a 1-worker cluster against a 2-worker one): "
            f"{ic['cluster_speedup_2_vs_1']:.2f}x (ic), {wom['cluster_speedup_2_vs_1']:.2f}x (wom); "
            f"a 1-worker cluster is {ic['cluster_seconds_1'] / ic['seconds_1']:.2f}x slower than "
            "in-process: the cost of the Dask path (client, scheduler and worker event loops, "
            "task and result transfer), which `--workers 1` avoids by running in-process.",
            f"- The machine's own ceiling: two plain processes running the same ic runs (no Dask, no files) "
            f"do {r['ceiling_plain_processes']['speedup_2_vs_1']:.2f}x the work of one in the same time.",
            f"- Aims: speed-up >= 1.8x: {'met' if r['aims']['speedup_2_vs_1 >= 1.8'] else 'NOT met'}; "
            f">= 100x Mesa: {'met' if r['aims']['ours_vs_mesa >= 100'] else 'NOT met'}.",
            "",
            "Same cascade, so the same answer (ours: 100 runs per p, seed 12; Mesa: the timed runs):",
            "",
            *agree,
            "",
        ]
    )


def _version(name: str) -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version(name)
    except PackageNotFoundError:
        return "?"


if __name__ == "__main__":
    sys.exit(main())
