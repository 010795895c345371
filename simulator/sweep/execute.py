"""Run a sweep: in this process, on a local Dask cluster, or on a remote one.

Runs are cut into chunks of consecutive runs (one task each). At most a few
chunks per worker are in flight (``as_completed`` with a bounded queue), so a
sweep of a million runs never holds a million futures. Each finished chunk is
written as a part at once (:mod:`simulator.sweep.store`); the table at the
end does not depend on which worker ran what, in which order, or how many
times the sweep was interrupted and resumed.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.errors import ConfigError
from simulator.sweep.experiment import Experiment
from simulator.sweep.store import Store
from simulator.sweep.worker import Chunk, RunSpec, run_chunk

#: Chunks in flight per worker: enough to keep every worker busy while the
#: client writes parts, few enough that a kill loses little.
IN_FLIGHT_PER_WORKER = 2
#: Upper bound on runs per chunk when sized automatically (parts stay small).
MAX_CHUNK = 16

PartHook = Callable[[int, int], None]


def default_workers() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def fingerprint(exp: Experiment) -> str:
    """What makes two sweeps the same: every parameter of every run, seeds, metrics.

    Comments or layout of the file do not count; a changed base scenario does.
    """
    blob = json.dumps(
        {
            "scenario": exp.scenario.flat(),
            "points": exp.design.points,
            "replicates": exp.replicates,
            "seed": exp.seed,
            "crn": exp.common_random_numbers,
            "metrics": list(exp.metrics),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


def auto_chunk(n_todo: int, workers: int) -> int:
    """Runs per task: about 8 tasks per worker, at most :data:`MAX_CHUNK` runs each."""
    return max(1, min(MAX_CHUNK, n_todo // max(1, 8 * workers)))


def make_chunks(exp: Experiment, todo: list[int], size: int, series: bool) -> Iterator[Chunk]:
    """Chunks of consecutive runs (``todo`` sorted), built lazily."""
    from simulator.engine.run import graph_seed

    gseed = graph_seed(exp.seed)
    points = exp.design.points
    for i in range(0, len(todo), size):
        specs = []
        for run in todo[i:i + size]:
            point, rep = exp.point_of(run)
            specs.append(RunSpec(run, point, rep, exp.run_seed(run), points[point]))
        yield Chunk(exp.scenario, tuple(specs), tuple(exp.metrics), gseed, series)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def run_sweep(
    exp: Experiment,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    series: bool = False,
    chunk: int | None = None,
    progress: bool = True,
    on_part: PartHook | None = None,
) -> dict[str, Any]:
    """Run every run of ``exp`` not yet in ``out``; consolidate; return the metadata.

    Parameters
    ----------
    workers : int, optional
        Worker processes of a local Dask cluster (default: the number of
        cores); ``1`` runs in this process without Dask.
    scheduler : str, optional
        Address of a running Dask scheduler to submit to instead.
    resume : bool
        Continue a sweep in ``out`` (same experiment): skip the runs written.
    series : bool
        Also keep every run's per-step series (``series.parquet``).
    chunk : int, optional
        Runs per task (default: :func:`auto_chunk`). Results do not depend on it.
    on_part : callable, optional
        Called as ``on_part(runs_done, runs_total)`` after each part is written.
    """
    from simulator import __version__

    if workers is not None and workers < 1:
        raise ConfigError(f"--workers = {workers} is out of range; allowed: workers >= 1")
    if workers is not None and scheduler:
        raise ConfigError("--workers and --scheduler cannot be used together; the cluster has its workers")
    if chunk is not None and chunk < 1:
        raise ConfigError(f"--chunk = {chunk} is out of range; allowed: chunk >= 1")
    store = Store(out)
    fp = fingerprint(exp)
    old = store.read_metadata()
    if resume:
        if old is not None and old.get("fingerprint") != fp:
            raise ConfigError(
                f"--resume: '{store.out}' holds a different sweep ({old.get('name')!r}: other "
                "parameters, seed, metrics or base scenario); use another --out"
            )
        if old is not None and bool(old.get("series")) != series:
            flag = "with" if old.get("series") else "without"
            raise ConfigError(f"--resume: this sweep was started {flag} --series; resume it the same way")
    elif store.has_output():
        raise ConfigError(
            f"--out '{store.out}' already holds a sweep; pass --resume to continue it "
            "or choose another folder (nothing was changed)"
        )
    store.prepare()
    done = store.done_runs()
    total = exp.n_runs
    todo = [r for r in range(total) if r not in done]
    if done - set(range(total)):
        raise ConfigError(f"--resume: '{store.out}' holds runs this experiment does not have")

    n_workers = 1 if scheduler is None and workers == 1 else (workers or default_workers())
    mode = f"scheduler {scheduler}" if scheduler else ("in-process" if n_workers == 1 else "local")
    session = {"started": _now(), "finished": None, "runs_at_start": len(done), "mode": mode}
    meta = dict(old) if (resume and old) else {
        "name": exp.name,
        "description": exp.description,
        "experiment_file": str(exp.source) if exp.source else None,
        "experiment": exp.text,
        "fingerprint": fp,
        "version": __version__,
        "design": exp.kind,
        "swept": exp.swept,
        "metrics": list(exp.metrics),
        "points": exp.n_points,
        "replicates": exp.replicates,
        "seed": exp.seed,
        "common_random_numbers": exp.common_random_numbers,
        "series": series,
        "started": session["started"],
        "sessions": [],
    }
    meta.update({"runs_total": total, "runs_done": len(done), "status": "running", "finished": None})
    meta["sessions"] = [*meta.get("sessions", []), session]
    store.write_metadata(meta)
    if not store.design_path.exists():
        store.write_design(exp.design.table())

    state = {"done": len(done)}
    status = "interrupted"
    t0 = time.perf_counter()
    try:
        if todo:
            from tqdm import tqdm

            with tqdm(total=total, initial=len(done), desc=exp.name, unit="run", file=sys.stderr,
                      disable=(not progress) or None, dynamic_ncols=True) as bar:

                def finished(rows: pd.DataFrame, ser: pd.DataFrame | None) -> None:
                    store.write_part(rows, ser)
                    state["done"] += len(rows)
                    bar.update(len(rows))
                    if on_part is not None:
                        on_part(state["done"], total)

                size = chunk or auto_chunk(len(todo), n_workers)
                chunks = make_chunks(exp, todo, size, series)
                if scheduler is None and n_workers == 1:
                    for c in chunks:
                        finished(*run_chunk(c))
                else:
                    n_workers = _run_dask(chunks, finished, n_workers, scheduler)
        store.consolidate(series=series)
        status = "complete"
    except BaseException as exc:
        status = "failed" if isinstance(exc, Exception) else "interrupted"
        raise
    finally:
        session.update(finished=_now(), runs_at_end=state["done"], workers=n_workers,
                       seconds=round(time.perf_counter() - t0, 3))
        meta.update(runs_done=state["done"], status=status,
                    finished=session["finished"] if status == "complete" else None)
        store.write_metadata(meta)
    return meta


def _run_dask(
    chunks: Iterator[Chunk],
    finished: Callable[[pd.DataFrame, pd.DataFrame | None], None],
    n_workers: int,
    scheduler: str | None,
) -> int:
    """Submit chunks in bounded batches; call ``finished`` as each completes."""
    from distributed import Client, LocalCluster, as_completed

    cluster = None
    if scheduler is None:
        cluster = LocalCluster(
            n_workers=n_workers, threads_per_worker=1, processes=True,
            dashboard_address=None, silence_logs=logging.ERROR,
        )
        client = Client(cluster)
    else:
        try:
            client = Client(scheduler, timeout="10s")
        except OSError as exc:
            raise ConfigError(f"--scheduler {scheduler!r}: cannot connect ({exc})") from None
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))
    try:
        limit = IN_FLIGHT_PER_WORKER * n_workers + 1
        first = [client.submit(run_chunk, c, pure=False) for c in itertools.islice(chunks, limit)]
        queue = as_completed(first)
        for future in queue:
            rows, ser = future.result()
            future.release()
            finished(rows, ser)
            nxt = next(chunks, None)
            if nxt is not None:
                queue.add(client.submit(run_chunk, nxt, pure=False))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    return n_workers
