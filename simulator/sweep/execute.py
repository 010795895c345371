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
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from simulator.engine.precompile import compile_once
from simulator.errors import ConfigError
from simulator.machine import usable_cores
from simulator.sweep.experiment import Experiment
from simulator.sweep.store import Store
from simulator.sweep.worker import Chunk, run_chunk

#: Chunks in flight per worker: enough to keep every worker busy while the
#: client writes parts, few enough that a kill loses little.
IN_FLIGHT_PER_WORKER = 2
#: How often a sweep waiting on its futures checks that the cluster still has
#: workers, and how long a local cluster may have none before the sweep stops.
WORKER_CHECK_SECONDS = 5.0
NO_WORKERS_GRACE = 30.0
#: Work per task when chunks are sized automatically: Dask's per-task cost
#: (a few ms) and a part file's stay under ~2% of it, and a kill loses at most
#: about this much per worker.
TARGET_TASK_SECONDS = 0.5
#: Upper bound on runs per chunk (parts stay small).
MAX_CHUNK = 2000
#: Chunks per worker the remaining runs are at least cut into (load balance at the end)...
TAIL_CHUNKS = 4
#: ... but no chunk under this much work: cutting the tail ever finer made a sweep of
#: 10,000 half-millisecond runs 65 chunks, whose part files and tasks took a quarter of
#: the client's core from two workers; a worker now idles at most about this long.
MIN_TASK_SECONDS = 0.1

PartHook = Callable[[int, int], None]

#: No dashboard, and the scheduler's small HTTP server (health, metrics) on a
#: free port: with the default 8787 a second cluster on the machine warns.
QUIET_SCHEDULER = {"dashboard": False, "dashboard_address": ":0"}

#: Dask settings of the local cluster. Dask's statistical profiler samples every
#: worker's stack each 10 ms and competes for the GIL: with it on, 2 workers ran
#: 1.5x one; off, 1.85x (experiments/bench_sweep.py, runs of ~1 ms). Nothing here
#: reads it. Its background sampling (CPU and memory every 0.5 s, the nanny's memory
#: check every 0.1 s, the event-loop watchdog every 20 ms) cost a 2-worker cluster
#: idling 8 s 0.40 s of the client's CPU and 0.22 s of each worker's, about 5% of a
#: 2-core machine that the runs need; sampled as below, 0.11 s and 0.04 s. A worker
#: over its memory limit is still stopped, within a second.
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.tick.interval": "200ms",
}


def default_workers() -> int:
    """Workers of a local cluster by default: one per core this process may use."""
    return usable_cores()


def _files_read(exp: Experiment) -> dict[str, str]:
    """SHA-256 of every file the runs read (edge lists: the base's and any swept path)."""
    paths = {exp.scenario.graph.path} if exp.scenario.graph.kind == "edgelist" else set()
    paths |= {str(v) for point in exp.design.points for k, v in point.items() if k == "graph.path"}
    out = {}
    for rel in sorted(p for p in paths if p):
        path = Path(rel) if exp.scenario.base_dir is None else Path(exp.scenario.base_dir) / rel
        try:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            out[rel] = "unreadable"  # the run itself will say why
    return out


def fingerprint(exp: Experiment) -> str:
    """What makes two sweeps the same: every parameter of every run, seeds, metrics, the
    content of every file the runs read, and the package version.

    Comments or layout of the file do not count; a changed base scenario, a changed
    edge-list file or another version of the simulator does.
    """
    from simulator import __version__

    blob = json.dumps(
        {
            "scenario": exp.scenario.flat(),
            "points": exp.design.points,
            "replicates": exp.replicates,
            "seed": exp.seed,
            "crn": exp.common_random_numbers,
            "metrics": list(exp.metrics),
            "files": _files_read(exp),
            "version": __version__,
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode()).hexdigest()


class Chunker:
    """Cut the runs to do into chunks of consecutive runs, sized as the sweep goes.

    With ``size`` given every chunk has that many runs. Otherwise chunks start
    at one run and grow to about :data:`TARGET_TASK_SECONDS` of work each, from
    the run times the workers report: cheap runs (milliseconds) are batched so
    the per-task cost of Dask and of a part file stays small, expensive ones go
    one by one so a kill loses little. The size never changes a result.
    """

    def __init__(
        self,
        exp: Experiment,
        todo: list[int],
        series: bool,
        size: int | None = None,
        workers: int = 1,
    ) -> None:
        from simulator.engine.run import graph_seed

        self.exp, self.todo, self.series, self.workers = exp, todo, series, workers
        self.fixed = size is not None
        self.size = size or 1
        self.pos = 0
        self.per_run: float | None = None
        self.graph_seed = graph_seed(exp.seed)

    def __iter__(self) -> Iterator[Chunk]:
        return self

    def __next__(self) -> Chunk:
        if self.pos >= len(self.todo):
            raise StopIteration
        exp = self.exp
        runs = tuple(self.todo[self.pos : self.pos + self.size])
        self.pos += len(runs)
        points = {p: exp.design.points[p] for p in sorted({r // exp.replicates for r in runs})}
        return Chunk(
            exp.scenario,
            runs,
            points,
            exp.replicates,
            exp.seed,
            exp.common_random_numbers,
            tuple(exp.metrics),
            self.graph_seed,
            self.series,
        )

    def observe(self, runs: int, seconds: float) -> None:
        """Learn the time per run from a finished chunk; resize the next chunks."""
        if self.fixed or runs == 0:
            return
        per = max(seconds / runs, 1e-6)
        self.per_run = per if self.per_run is None else 0.7 * self.per_run + 0.3 * per
        # ... but keep >= TAIL_CHUNKS chunks per worker for the rest, so no worker idles at the end.
        left = len(self.todo) - self.pos
        tail = -(-left // (TAIL_CHUNKS * self.workers))
        floor = MIN_TASK_SECONDS / self.per_run
        self.size = int(max(1, min(MAX_CHUNK, TARGET_TASK_SECONDS / self.per_run,
                                   max(tail, floor))))


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
        Runs per task (default: sized automatically, :class:`Chunker`).
        Results do not depend on it.
    on_part : callable, optional
        Called as ``on_part(runs_done, runs_total)`` after each part is written.
    """

    if workers is not None and workers < 1:
        raise ConfigError(f"--workers = {workers} is out of range; allowed: workers >= 1")
    if workers is not None and scheduler:
        raise ConfigError(
            "--workers and --scheduler cannot be used together; the cluster has its workers"
        )
    if chunk is not None and chunk < 1:
        raise ConfigError(f"--chunk = {chunk} is out of range; allowed: chunk >= 1")
    store = Store(out)
    with store.lock():
        return _run_locked(exp, store, resume=resume, series=series, progress=progress,
                           on_part=on_part, chunk=chunk, workers=workers, scheduler=scheduler)


def _run_locked(exp, store, *, resume, series, progress, on_part, chunk, workers, scheduler):
    """:func:`run_sweep` once this process owns the folder."""
    fp = fingerprint(exp)
    old = store.read_metadata()
    if resume and old is None and store.part_files():
        raise ConfigError(
            f"--resume: '{store.out}' holds parts but no metadata.json, so which sweep they "
            "belong to cannot be told; use another --out"
        )
    if resume:
        if old is not None and old.get("fingerprint") != fp:
            raise ConfigError(
                f"--resume: '{store.out}' holds a different sweep ({old.get('name')!r}: other "
                "parameters, seed, metrics, base scenario, input files or version); use another "
                "--out"
            )
        if old is not None and bool(old.get("series")) != series:
            flag = "with" if old.get("series") else "without"
            raise ConfigError(
                f"--resume: this sweep was started {flag} --series; resume it the same way"
            )
    elif store.has_output():
        raise ConfigError(
            f"--out '{store.out}' already holds a sweep; pass --resume to continue it "
            "or choose another folder (nothing was changed)"
        )
    done = store.done_runs()
    total = exp.n_runs
    todo = [r for r in range(total) if r not in done]
    if done - set(range(total)):
        raise ConfigError(f"--resume: '{store.out}' holds runs this experiment does not have")

    n_workers = 1 if scheduler is None and workers == 1 else (workers or default_workers())
    mode = f"scheduler {scheduler}" if scheduler else ("in-process" if n_workers == 1 else "local")
    # Connect before writing anything: an unreachable scheduler leaves no folder behind.
    dask = _Dask(n_workers, scheduler) if todo and mode != "in-process" else None
    if dask is not None:
        n_workers = dask.n_workers
    try:
        if todo and scheduler is None:  # workers on this machine share its numba cache
            compile_once(exp.scenario, exp.scenario.run.steps)
        return _sweep(
            exp,
            store,
            old=old,
            fp=fp,
            todo=todo,
            done=done,
            series=series,
            progress=progress,
            on_part=on_part,
            chunk=chunk,
            dask=dask,
            n_workers=n_workers,
            mode=mode,
            resume=resume,
        )
    finally:
        if dask is not None:
            dask.close()


def _sweep(
    exp: Experiment,
    store: Store,
    *,
    old: dict[str, Any] | None,
    fp: str,
    todo: list[int],
    done: set[int],
    series: bool,
    progress: bool,
    on_part: PartHook | None,
    chunk: int | None,
    dask: _Dask | None,
    n_workers: int,
    mode: str,
    resume: bool,
) -> dict[str, Any]:
    """The part of :func:`run_sweep` that writes: metadata, parts, consolidation."""
    from simulator import __version__

    total = exp.n_runs
    store.prepare()
    session = {"started": _now(), "finished": None, "runs_at_start": len(done), "mode": mode}
    meta = (
        dict(old)
        if (resume and old)
        else {
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
    )
    meta.update(
        {"runs_total": total, "runs_done": len(done), "status": "running", "finished": None}
    )
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

            with tqdm(
                total=total,
                initial=len(done),
                desc=exp.name,
                unit="run",
                file=sys.stderr,
                disable=(not progress) or None,
                dynamic_ncols=True,
            ) as bar:
                chunks = Chunker(exp, todo, series, chunk, workers=n_workers)

                def finished(rows: pd.DataFrame, ser: pd.DataFrame | None, seconds: float) -> None:
                    store.write_part(rows, ser)
                    chunks.observe(len(rows), seconds)
                    state["done"] += len(rows)
                    bar.update(len(rows))
                    if on_part is not None:
                        on_part(state["done"], total)

                if dask is None:
                    for c in chunks:
                        finished(*run_chunk(c))
                else:
                    dask.run(chunks, finished)
        store.consolidate(total, series=series)
        status = "complete"
    except BaseException as exc:
        status = "failed" if isinstance(exc, Exception) else "interrupted"
        raise
    finally:
        session.update(
            finished=_now(),
            runs_at_end=state["done"],
            workers=n_workers,
            seconds=round(time.perf_counter() - t0, 3),
        )
        meta.update(
            runs_done=state["done"],
            status=status,
            finished=session["finished"] if status == "complete" else None,
        )
        store.write_metadata(meta)
    return meta


def _worker_version() -> str:
    from simulator import __version__

    return __version__


def _check_workers(client: Any) -> None:
    """Every worker of a remote cluster must import the same simulator version as this client."""
    from simulator import __version__

    try:
        versions = client.run(_worker_version)
    except ImportError as exc:
        client.close()
        raise ConfigError(
            f"--scheduler: a worker cannot import the simulator ({exc}); install it there"
        ) from None
    other = {addr: v for addr, v in versions.items() if v != __version__}
    if other:
        client.close()
        addr, v = next(iter(other.items()))
        raise ConfigError(
            f"--scheduler: worker {addr} runs simulator {v}, this client {__version__}; "
            "install the same version on every worker"
        )


class _Dask:
    """A Dask client: on a new local cluster, or connected to a running scheduler."""

    def __init__(self, n_workers: int, scheduler: str | None) -> None:
        import dask
        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler is None:
            with dask.config.set(LOCAL_CLUSTER_CONFIG):
                self.cluster = LocalCluster(
                    n_workers=n_workers,
                    threads_per_worker=1,
                    processes=True,
                    dashboard_address=None,
                    # CRITICAL: a restarted worker's heartbeat errors are noise (the
                    # task is retried); a task's own error reaches its future.
                    silence_logs=logging.CRITICAL,
                    scheduler_kwargs=QUIET_SCHEDULER,
                )
            self.client = Client(self.cluster)
            self.n_workers = n_workers
        else:
            try:
                self.client = Client(scheduler, timeout="5s")
            except (OSError, ValueError, TypeError) as exc:  # unreachable, or not an address
                raise ConfigError(
                    f"--scheduler = {scheduler!r}: cannot connect ({exc}); allowed: a running "
                    "Dask scheduler's address, e.g. tcp://10.0.0.5:8786"
                ) from None
            self.n_workers = max(1, len(self.client.scheduler_info().get("workers", {})))
            _check_workers(self.client)

    def run(
        self,
        chunks: Iterator[Chunk],
        finished: Callable[[pd.DataFrame, pd.DataFrame | None, float], None],
    ) -> None:
        """Submit chunks in bounded batches; call ``finished`` as each completes.

        A cluster that has lost every worker would leave the futures waiting for
        ever: a local cluster whose workers are all gone for
        :data:`NO_WORKERS_GRACE` seconds (its nanny processes killed, say by the
        out-of-memory killer) ends the sweep with a one-line error instead, the
        finished runs kept for ``--resume``. A remote cluster may be scaling, so
        it is waited for, with a notice.
        """
        from distributed import wait

        limit = IN_FLIGHT_PER_WORKER * self.n_workers + 1
        pending = {
            self.client.submit(run_chunk, c, pure=False) for c in itertools.islice(chunks, limit)
        }
        since = None  # when the cluster was first seen without workers
        while pending:
            try:
                done, pending = wait(pending, timeout=WORKER_CHECK_SECONDS,
                                     return_when="FIRST_COMPLETED")
            except TimeoutError:  # nothing finished in WORKER_CHECK_SECONDS
                since = self._check_served(since)
                continue
            for future in done:
                while True:
                    # A finished chunk's result lives on its worker: if that worker is
                    # gone, the result must be computed again, which needs a worker.
                    try:
                        result = future.result(timeout=WORKER_CHECK_SECONDS)
                        break
                    except TimeoutError:
                        since = self._check_served(since)
                since = None
                future.release()
                finished(*result)
                nxt = next(chunks, None)
                if nxt is not None:
                    pending.add(self.client.submit(run_chunk, nxt, pure=False))

    def _check_served(self, since: float | None) -> float | None:
        """While waiting: ``None`` if the cluster has workers, else since when it has had none.

        Raises the one-line error once a local cluster has had none for
        :data:`NO_WORKERS_GRACE` seconds.
        """
        if self.client.scheduler_info().get("workers"):
            return None
        now = time.monotonic()
        if since is None:
            if self.cluster is None:
                print("virality sweep: the scheduler has no workers; waiting for some",
                      file=sys.stderr)
            return now
        if self.cluster is not None and now - since > NO_WORKERS_GRACE:
            raise ConfigError(
                "the local Dask cluster lost all its workers (killed, perhaps for memory); "
                "the finished runs are kept: run again with --resume, with fewer --workers "
                "or a smaller graph"
            )
        return since

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()
