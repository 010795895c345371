"""A pyabc sampler whose populations depend on the seed alone, on one process or on Dask.

pyabc's own samplers draw from NumPy's global generator, which each Dask job
reseeds from the operating system (``np.random.seed()`` in
``pyabc.sampler.eps_mixin``), and they keep whichever candidates finish
first: a rerun gives another posterior. Here every candidate of a generation
has an index ``j``, and candidate ``(t, j)``

* draws its proposal (the pyabc transition, the prior, the stochastic
  acceptor's uniform) from NumPy's global generator seeded with
  ``SeedSequence(seed, spawn_key=(FIT_SPAWN_KEY, t + 1, j, 0))``;
* runs its simulation with the master seed from
  ``SeedSequence(seed, spawn_key=(FIT_SPAWN_KEY, t + 1, j, 1))``
  (:data:`SIMULATION_SEED` carries it to the model);

and the population is always candidates ``0 .. K``, where ``K`` is the
candidate that brought the ``n``-th acceptance, whatever order the workers
finished in. Later candidates already running are cancelled and not counted.
So the population, and everything pyabc derives from it, is the same on one
process and on N workers (``t + 1``: pyabc's calibration sample is ``t = -1``).

A worker process runs one candidate at a time (:data:`_GLOBAL_RNG`): NumPy's
global generator is shared by the threads of a process, so a worker with
several threads would otherwise mix two candidates' draws.
"""

from __future__ import annotations

import contextvars
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

import numpy as np
from pyabc.sampler import Sampler

from simulator.rng import FIT_CANDIDATE_SPAWN_KEY

#: Spawn key of a fit's seeds (after the registry's 0-3 in :mod:`simulator.rng`).
FIT_SPAWN_KEY = FIT_CANDIDATE_SPAWN_KEY  # the registry in simulator/rng.py
#: Second spawn key of a fit's seeds: a candidate's simulation, or a posterior draw's.
PREDICTIVE_SPAWN_KEY = 0
#: The simulation seed of the candidate being evaluated (read by the model).
SIMULATION_SEED: contextvars.ContextVar[int | None] = contextvars.ContextVar(
    "simulation_seed", default=None)
_GLOBAL_RNG = threading.Lock()

#: Candidates in flight per worker, and work per task, as for sweeps (simulator.sweep.execute).
IN_FLIGHT_PER_WORKER = 2
TARGET_TASK_SECONDS = 0.5
MAX_BATCH = 500


def candidate_seeds(seed: int, t: int, index: int) -> tuple[np.ndarray, int]:
    """``(proposal seed words, simulation seed)`` of candidate ``index`` of generation ``t``.

    >>> a = candidate_seeds(7, 0, 3); b = candidate_seeds(7, 0, 3)
    >>> bool((a[0] == b[0]).all()) and a[1] == b[1], candidate_seeds(7, 1, 3)[1] == a[1]
    (True, False)
    """
    key = (FIT_SPAWN_KEY, t + 1, index)
    proposal = np.random.SeedSequence(seed, spawn_key=(*key, 0)).generate_state(4)
    simulation = np.random.SeedSequence(seed, spawn_key=(*key, 1)).generate_state(
        1, dtype=np.uint64)[0]
    return proposal, int(simulation >> np.uint64(1))


def evaluate(simulate_one: Callable[[], Any], seed: int, t: int, index: int) -> Any:
    """Run pyabc's ``simulate_one`` for candidate ``index`` of generation ``t``, seeded."""
    proposal, simulation = candidate_seeds(seed, t, index)
    with _GLOBAL_RNG:
        # pyabc (and scipy.stats under it) draw from NumPy's legacy global generator.
        np.random.seed(proposal)  # noqa: NPY002
        token = SIMULATION_SEED.set(simulation)
        try:
            return simulate_one()
        finally:
            SIMULATION_SEED.reset(token)


def evaluate_batch(pickled: bytes | Callable, seed: int, t: int, start: int,
                   stop: int) -> tuple[list[Any], float]:
    """Candidates ``start .. stop - 1`` on a worker: their particles, and the seconds spent."""
    import cloudpickle

    simulate_one = cloudpickle.loads(pickled) if isinstance(pickled, bytes) else pickled
    t0 = time.perf_counter()
    particles = [evaluate(simulate_one, seed, t, j) for j in range(start, stop)]
    return particles, time.perf_counter() - t0


class SeededSampler(Sampler):
    """Candidates in index order, each seeded by ``(seed, generation, index)``.

    Parameters
    ----------
    seed : int
        The fit's master seed.
    client : distributed.Client, optional
        Run candidates on this Dask client (default: in this process).
    workers : int
        Workers of the client (sizes the batches in flight).
    budget : int, optional
        Stop sampling once this many simulations ran in the whole fit
        (the generation then fails and pyabc stops with the ones before it).
    report : callable, optional
        Called as ``report(t, accepted, candidates)`` as candidates finish.
    on_generation : callable, optional
        Called as ``on_generation(t, ana_vars, accepted, simulated, seconds)``
        once a generation's sampling ends (pyabc's ``ana_vars`` holds its tolerance).
    """

    def __init__(self, seed: int, client: Any = None, workers: int = 1,
                 budget: int | None = None,
                 report: Callable[[int, int, int], None] | None = None,
                 on_generation: Callable[..., None] | None = None) -> None:
        super().__init__()
        self.seed = int(seed)
        self.client = client
        self.workers = max(1, int(workers))
        self.budget = budget
        self.used = 0  # simulations so far in the whole fit (set on resume)
        self.report = report
        self.on_generation = on_generation
        self.per_candidate: float | None = None

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["client"] = state["report"] = state["on_generation"] = None
        return state

    def sample_until_n_accepted(self, n, simulate_one, t, *, max_eval=np.inf,
                                all_accepted=False, ana_vars=None):
        t0 = time.perf_counter()
        limit = max_eval
        if self.budget is not None:
            limit = min(limit, self.budget - self.used)
        if self.client is None:
            results = self._in_process(n, simulate_one, t, limit)
        else:
            results = self._on_dask(n, simulate_one, t, limit)
        sample = self._create_empty_sample()
        accepted = 0
        for particle in results:
            sample.append(particle)
            accepted += bool(particle.accepted)
        if accepted < n:
            sample.ok = False
        self.nr_evaluations_ = len(results)
        self.used += len(results)
        if self.on_generation is not None:
            self.on_generation(t, ana_vars, accepted, len(results), time.perf_counter() - t0)
        return sample

    def _in_process(self, n: int, simulate_one, t: int, limit: float) -> list[Any]:
        results, accepted = [], 0
        while accepted < n and len(results) < limit:
            particle = evaluate(simulate_one, self.seed, t, len(results))
            results.append(particle)
            accepted += bool(particle.accepted)
            if self.report is not None:
                self.report(t, accepted, len(results))
        return results

    def _batch(self, n: int) -> int:
        """Candidates per task: about :data:`TARGET_TASK_SECONDS` of work, from the last
        generation's time per candidate; one at first. Never changes a result."""
        if self.per_candidate is None:
            return 1
        size = TARGET_TASK_SECONDS / max(self.per_candidate, 1e-6)
        fair = -(-n // (2 * self.workers))  # at least two tasks per worker per population
        return int(max(1, min(MAX_BATCH, size, fair)))

    def _on_dask(self, n: int, simulate_one, t: int, limit: float) -> list[Any]:
        import cloudpickle
        from distributed import wait

        lost_worker = _lost_worker_errors()
        payload = self.client.scatter(cloudpickle.dumps(simulate_one), broadcast=True,
                                      hash=False)
        batch = self._batch(n)
        by_index: dict[int, Any] = {}
        pending: dict[Any, tuple[int, int]] = {}
        next_index = 0
        accepted_total = 0
        scanned = accepted_prefix = 0  # the contiguous prefix 0 .. scanned - 1 is complete
        seconds = candidates = 0.0

        def submit() -> None:
            nonlocal next_index
            stop = int(min(next_index + batch, limit))
            future = self.client.submit(evaluate_batch, payload, self.seed, t, next_index, stop,
                                        pure=False)
            pending[future] = (next_index, stop)
            next_index = stop

        def more() -> bool:
            return accepted_total < n and next_index < limit

        try:
            while more() and len(pending) < IN_FLIGHT_PER_WORKER * self.workers + 1:
                submit()
            while pending:
                try:
                    done, _ = wait(list(pending), return_when="FIRST_COMPLETED")
                except lost_worker as exc:
                    raise _worker_lost(t, exc) from None
                for future in done:
                    start, _stop = pending.pop(future)
                    try:
                        particles, spent = future.result()
                    except lost_worker as exc:
                        raise _worker_lost(t, exc) from None
                    future.release()
                    seconds, candidates = seconds + spent, candidates + len(particles)
                    for k, particle in enumerate(particles):
                        by_index[start + k] = particle
                        accepted_total += bool(particle.accepted)
                while scanned in by_index and accepted_prefix < n:
                    accepted_prefix += bool(by_index[scanned].accepted)
                    scanned += 1
                if self.report is not None:
                    self.report(t, min(accepted_prefix, n), scanned)
                if accepted_prefix >= n:
                    break  # candidates 0 .. scanned - 1 hold the n acceptances
                while more() and len(pending) < IN_FLIGHT_PER_WORKER * self.workers + 1:
                    submit()
        finally:
            for future in pending:
                future.cancel()
        if candidates:
            self.per_candidate = seconds / candidates
        return [by_index[j] for j in range(scanned)]


def _lost_worker_errors() -> tuple[type[BaseException], ...]:
    """What Dask raises when the worker running a task died (a crash, the out-of-memory
    killer): the task is retried elsewhere a few times, then given up."""
    from concurrent.futures import CancelledError

    from distributed.scheduler import KilledWorker

    errors: list[type[BaseException]] = [KilledWorker, CancelledError]
    try:
        from distributed.client import FuturesCancelledError

        errors.append(FuturesCancelledError)
    except ImportError:  # older distributed
        pass
    return tuple(errors)


def _worker_lost(t: int, exc: BaseException):
    """The one-line error for a generation whose worker died; the finished ones are kept."""
    from simulator.errors import ConfigError

    return ConfigError(
        f"a Dask worker died while simulating generation {t + 1} ({type(exc).__name__}: a "
        "simulation crashed its process, or memory ran out); the generations before it are "
        "kept in the fit's history.db: run again with --resume (with fewer --workers or a "
        "smaller graph if memory ran out)")


def progress_reporter(total_generations: int, name: str, population: int,
                      quiet: bool) -> Callable[[int, int, int], None] | None:
    """Within a generation, a bar of accepted particles in a terminal (nothing in a log)."""
    if quiet or not sys.stderr.isatty():
        return None
    from tqdm import tqdm

    state: dict[str, Any] = {"t": None, "bar": None}

    def report(t: int, accepted: int, candidates: int) -> None:
        if state["t"] != t:
            if state["bar"] is not None:
                state["bar"].close()
            label = "calibration" if t < 0 else f"generation {t + 1}/{total_generations}"
            state["bar"] = tqdm(total=population, desc=f"{name}: {label}", unit="particle",
                                file=sys.stderr, leave=False, dynamic_ncols=True)
            state["t"] = t
        bar = state["bar"]
        bar.set_postfix_str(f"{candidates} simulated", refresh=False)
        bar.update(accepted - bar.n)
        if accepted >= population:
            bar.close()
            state["t"] = state["bar"] = None

    return report
