"""What a small run costs besides its kernel, and the pieces made faster to cut it.

Four measurements, each against the obvious way of doing the same thing:

* **replicate keys**: :func:`simulator.rng.replicate_keys` (the compiled SeedSequence
  hash) against ``stream_keys(np.random.SeedSequence(seed, spawn_key=(1, r)))``,
  NumPy's own; they give the same keys (``tests/test_rng.py``).
* **one sweep run** at 10^4 agents (the independent cascade of
  ``experiments/bench_sweep.py``, p = 0.1, on one Erdős–Rényi graph of mean degree
  20): :func:`simulator.sweep.worker.run_one` against the compiled step loop alone.
* **stub shuffle** of 4.5e7 stubs (the weak ties of a 10^6 x 130 ``social`` graph):
  :func:`simulator.graphs.degrees.shuffle_stubs` (places drawn a block ahead and
  prefetched) against the plain Fisher-Yates loop, compiled here; the same shuffle.
* **an idle local Dask cluster** of 2 workers for 8 s: CPU seconds of the client and
  of each worker with Dask's default settings and with the sweep's
  ``LOCAL_CLUSTER_CONFIG``.

Timings are the best of ``--repeats``; the load average is recorded because the
machine may be shared. Usage::

    python experiments/bench_run_setup.py [--repeats 5]

Writes ``experiments/results/bench_run_setup.md`` and ``.json``.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

import numpy as np
from numba import njit

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "experiments" / "results"
sys.path.insert(0, str(ROOT))

from simulator.rng import randint  # noqa: E402


@njit(cache=True)
def plain_shuffle(stubs, state):
    """The Fisher-Yates loop ``shuffle_stubs`` replaced: one random read per swap."""
    for i in range(stubs.size - 1, 0, -1):
        j, state = randint(state, i + 1)
        tmp = stubs[i]
        stubs[i] = stubs[j]
        stubs[j] = tmp
    return state


def best(f, repeats: int, calls: int = 1) -> float:
    """Best seconds per call of ``f`` over ``repeats`` rounds of ``calls`` calls."""
    f()
    out = float("inf")
    for _ in range(repeats):
        t0 = time.perf_counter()
        for _ in range(calls):
            f()
        out = min(out, (time.perf_counter() - t0) / calls)
    return out


def keys(repeats: int) -> dict:
    from simulator.rng import REPLICATE_SPAWN_KEY, replicate_keys, stream_keys

    seeds = iter(range(10**9))
    ours = best(lambda: replicate_keys(next(seeds), 0), repeats, 2000)
    numpy = best(lambda: stream_keys(np.random.SeedSequence(next(seeds),
                                                            spawn_key=(REPLICATE_SPAWN_KEY, 0))),
                 repeats, 2000)
    return {"ours_us": ours * 1e6, "numpy_us": numpy * 1e6}


def sweep_run(repeats: int) -> dict:
    from experiments.bench_sweep import ic_experiment
    from simulator.engine.simulation import Simulation
    from simulator.rng import graph_seed, replicate_keys
    from simulator.sweep.worker import cached_graph, run_one

    exp = ic_experiment(1)
    scenario = exp.scenario.with_overrides({"wom.p_positive": 0.1})
    graph = cached_graph(scenario, graph_seed(exp.seed))
    seeds = iter(range(10**9))
    whole = best(lambda: run_one(scenario, next(seeds), graph), repeats, 1000)
    # The step loop alone: the same runs' set-up made beforehand, then only plan.run.
    model, steps = scenario.model, scenario.run.steps
    kernel = float("inf")
    for _ in range(repeats):
        sims = [Simulation(graph, model, steps, replicate_keys(s, 0)) for s in range(500)]
        t0 = time.perf_counter()
        for sim in sims:
            sim.plan.run(1, steps + 1, sim.series, sim.layers, True)
        kernel = min(kernel, (time.perf_counter() - t0) / len(sims))
    return {"run_one_ms": whole * 1e3, "kernel_ms": kernel * 1e3,
            "overhead_ms": (whole - kernel) * 1e3}


def shuffle(repeats: int, size: int = 45_000_000) -> dict:
    from simulator.graphs.degrees import shuffle_stubs

    base = np.arange(size, dtype=np.int32)
    out = {}
    for name, kernel in (("blocked", shuffle_stubs), ("plain", plain_shuffle)):
        kernel(base[:1000].copy(), np.uint64(1))  # compile
        seconds = float("inf")
        for _ in range(repeats):
            stubs = base.copy()
            t0 = time.perf_counter()
            state = kernel(stubs, np.uint64(7))
            seconds = min(seconds, time.perf_counter() - t0)
        out[name] = {"seconds": seconds, "state": int(state), "head": stubs[:5].tolist()}
    assert out["blocked"]["state"] == out["plain"]["state"]
    assert out["blocked"]["head"] == out["plain"]["head"]
    return {"stubs": size, "blocked_s": out["blocked"]["seconds"],
            "plain_s": out["plain"]["seconds"]}


def idle_cluster(seconds: float = 8.0) -> dict:
    import dask
    import psutil
    from distributed import Client, LocalCluster

    from simulator.sweep.execute import LOCAL_CLUSTER_CONFIG, QUIET_SCHEDULER

    out = {}
    for name, config in (("dask_defaults", {}), ("sweep_settings", LOCAL_CLUSTER_CONFIG)):
        with (
            dask.config.set(config),
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                         dashboard_address=None, silence_logs=logging.ERROR,
                         scheduler_kwargs=QUIET_SCHEDULER) as cluster,
            Client(cluster),
        ):
            me = psutil.Process(os.getpid())
            workers = [psutil.Process(w.process.pid) for w in cluster.workers.values()]

            def cpu(p):
                t = p.cpu_times()
                return t.user + t.system

            before = [cpu(p) for p in (me, *workers)]
            time.sleep(seconds)
            after = [cpu(p) for p in (me, *workers)]
            used = [a - b for a, b in zip(after, before, strict=True)]
            out[name] = {"client_s": used[0], "worker_s": sum(used[1:]) / len(workers)}
    out["seconds"] = seconds
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    result = {
        "keys": keys(args.repeats),
        "sweep_run": sweep_run(args.repeats),
        "shuffle": shuffle(min(args.repeats, 3)),
        "idle_cluster": idle_cluster(),
        "load_average": [load, os.getloadavg()[0]],
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "bench_run_setup.json").write_text(json.dumps(result, indent=1) + "\n")
    k, r, s, d = result["keys"], result["sweep_run"], result["shuffle"], result["idle_cluster"]
    lines = [
        "# A small run's cost besides its kernel, and the pieces made faster",
        "",
        f"Command: `python experiments/bench_run_setup.py --repeats {args.repeats}`; "
        f"load average {load:.2f} at start, {result['load_average'][1]:.2f} at end.",
        "",
        "| what | ours | the obvious way | ratio |",
        "|---|---:|---:|---:|",
        f"| replicate stream keys | {k['ours_us']:.1f} µs | {k['numpy_us']:.1f} µs "
        f"(NumPy's SeedSequence) | {k['numpy_us'] / k['ours_us']:.0f}x |",
        f"| shuffle of {s['stubs']:,} stubs | {s['blocked_s']:.2f} s | {s['plain_s']:.2f} s "
        f"(plain Fisher-Yates; same shuffle) | {s['plain_s'] / s['blocked_s']:.1f}x |",
        f"| idle 2-worker Dask cluster, {d['seconds']:.0f} s: client CPU | "
        f"{d['sweep_settings']['client_s']:.2f} s | {d['dask_defaults']['client_s']:.2f} s "
        "(Dask's defaults) | |",
        f"| the same: CPU of each worker | {d['sweep_settings']['worker_s']:.2f} s | "
        f"{d['dask_defaults']['worker_s']:.2f} s | |",
        "",
        f"One sweep run at 10^4 agents (independent cascade, p = 0.1): "
        f"{r['run_one_ms']:.2f} ms through `run_one`, of which the compiled step loop "
        f"{r['kernel_ms']:.2f} ms and set-up and results {r['overhead_ms']:.2f} ms.",
    ]
    (RESULTS / "bench_run_setup.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
