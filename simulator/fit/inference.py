"""ABC-SMC with pyabc: the model, the distance, the tolerance, and the fit's folder.

:func:`run_fit` fits a :class:`~simulator.fit.spec.FitSpec` into a folder::

    DIR/setup.json      the fit's settings and fingerprint (written first; --resume checks it)
    DIR/history.db      pyabc's history (SQLite): every generation, written as it ends
    DIR/posterior.csv   the last generation: one row per particle, a column per key, weight
    DIR/fit.json        per key mean, median, ci90; diagnostics
    DIR/predictive.csv  the posterior predictive band per observed column and step
    DIR/posterior_marginals.png, posterior_pairs.png, posterior_predictive.png (+ SVG)

The first generation is a sample of the prior (tolerance infinite); each
later one proposes from the last (pyabc's multivariate normal kernel),
simulates, and keeps the particles whose distance to the data is within the
tolerance, the ``quantile`` of the last generation's distances. With the
``normal`` likelihood, pyabc's stochastic acceptor and temperature schedule
instead; its last generation samples the posterior under that noise model
exactly. Every simulation shares one friend graph, built from the fit's seed
(per worker, once), unless the scenario says ``run.resample_graph``.

Reproducible: see :mod:`simulator.fit.sampler`. Resumable: a generation is
written to ``history.db`` as it ends, so a stopped fit loses at most the
generation it was in, and ``--resume`` continues from the last one written
(pyabc fits each generation's proposal from the history, and the tolerance is
recomputed from the stored generation: a resumed fit with a distance gives
the same posterior as one never stopped).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.errors import ConfigError
from simulator.fit.sampler import SIMULATION_SEED

#: What a fit writes into its folder (anything else there is a user's and is never touched).
FIT_FILES = frozenset({
    "setup.json", "history.db", "history.db-journal", "posterior.csv", "fit.json",
    "predictive.csv", "posterior_marginals.png", "posterior_marginals.svg",
    "posterior_pairs.png", "posterior_pairs.svg", "posterior_predictive.png",
    "posterior_predictive.svg",
})
DB_NAME = "history.db"
SETUP_NAME = "setup.json"


# ---------------------------------------------------------------- the model
class SeriesModel:
    """What pyabc calls: parameters -> the simulated series at the observed cells.

    Picklable (a Dask worker unpickles it with the scenario inside). The seed
    comes from the sampler (:data:`~simulator.fit.sampler.SIMULATION_SEED`);
    called outside a fit, it draws one from NumPy's global generator.

    Parameters
    ----------
    scenario : Scenario
        The scenario (``run.steps`` already the fit's).
    keys : list of str
        The fitted keys, as pyabc names the parameters.
    observed : Observed
        Where (steps, columns, observed cells) to read the simulation.
    graph_seed : int
        The seed of the one friend graph every simulation shares.
    """

    def __init__(self, scenario: Any, keys: list[str], observed: Any, graph_seed: int) -> None:
        from simulator.state.metrics import PUBLIC_COLUMNS

        self.scenario = scenario
        self.keys = list(keys)
        self.steps = observed.steps
        self.positions = {c: PUBLIC_COLUMNS.index(c) for c in observed.columns}
        self.masks = {c: observed.mask(c) for c in observed.columns}
        self.n = observed.n
        self.graph_seed = int(graph_seed)
        self.__name__ = "simulator"  # pyabc names its model after this

    def scenario_for(self, parameters: Mapping[str, float]) -> Any:
        """The scenario with ``parameters`` applied (checked like any override)."""
        return self.scenario.with_overrides({k: float(parameters[k]) for k in self.keys})

    def series(self, parameters: Mapping[str, float], seed: int) -> np.ndarray:
        """One run's public series (steps + 1 rows, every public column), float64."""
        from simulator.sweep.worker import cached_graph, run_one

        scenario = self.scenario_for(parameters)
        graph = None if scenario.run.resample_graph else cached_graph(scenario, self.graph_seed)
        return run_one(scenario, seed, graph)[1]

    def __call__(self, parameters: Mapping[str, float]) -> dict[str, np.ndarray]:
        seed = SIMULATION_SEED.get()
        if seed is None:  # called outside a fit: from the generator pyabc seeds
            seed = int(np.random.randint(0, 2**62))  # noqa: NPY002
        series = self.series(parameters, seed)
        rows = series[self.steps]
        return {c: rows[self.masks[c], j] / self.n for c, j in self.positions.items()}


class SeriesDistance:
    """Root-mean-square (``rmse``) or mean absolute (``mae``) error, column by column.

    Each column's error is divided by its observed peak (at least one agent's
    share), so a column of small counts (``n_negative``) weighs as much as a
    large one (``n_aware``); the columns are then averaged with ``weights``.
    Fixed for the whole fit (not adaptive), so a resumed fit measures as the
    one that was stopped.

    >>> d = SeriesDistance("rmse", {"a": 1.0}, {"a": np.array([0.0, 0.5])}, n=100)
    >>> round(d({"a": np.array([0.0, 0.4])}, {"a": np.array([0.0, 0.5])}), 4)
    0.1414
    """

    def __init__(self, kind: str, weights: Mapping[str, float],
                 observed: Mapping[str, np.ndarray], n: int) -> None:
        self.kind = kind
        total = sum(weights.values())
        self.weights = {c: w / total for c, w in weights.items()}
        self.scale = {c: max(float(np.max(np.abs(v))), 1.0 / n) for c, v in observed.items()}

    def __call__(self, x: Mapping[str, np.ndarray], x_0: Mapping[str, np.ndarray],
                 t: int | None = None, par: Any = None) -> float:
        total = 0.0
        for c, w in self.weights.items():
            err = (np.asarray(x[c]) - np.asarray(x_0[c])) / self.scale[c]
            total += w * (float(np.mean(err**2)) if self.kind == "rmse"
                          else float(np.mean(np.abs(err))))
        return float(np.sqrt(total)) if self.kind == "rmse" else total


def tolerance(initial: float | None, quantile: float):
    """pyabc's quantile tolerance, made resumable.

    The first generation takes ``initial`` (default infinite: the prior
    sample). pyabc's :class:`~pyabc.QuantileEpsilon` with a numeric first
    value would also take it for the first generation *after a resume*; this
    one recomputes the quantile of the stored generation instead, which is
    what the fit would have used had it not stopped.
    """
    import pyabc

    class ResumableQuantileEpsilon(pyabc.QuantileEpsilon):
        def requires_calibration(self) -> bool:
            return False  # no hidden prior sample: the first generation is the prior's

        def initialize(self, t, get_weighted_distances, get_all_records, max_nr_populations,
                       acceptor_config):
            if t == 0:
                self._look_up = {0: self._initial_epsilon}
            else:
                self._update(t, get_weighted_distances())

    return ResumableQuantileEpsilon(
        initial_epsilon=np.inf if initial is None else float(initial), alpha=quantile,
        weighted=True)


def build_abc(spec: Any, sampler: Any):
    """The :class:`pyabc.ABCSMC` of a fit, on ``sampler``."""
    import pyabc

    from simulator.rng import graph_seed

    model = SeriesModel(spec.scenario, spec.keys, spec.observed, graph_seed(spec.seed))
    prior = pyabc.Distribution(**{p.key: p.rv() for p in spec.priors})
    observed = spec.observed.statistics()
    if spec.distance.kind == "normal":
        dim = sum(v.size for v in observed.values())
        kernel = pyabc.IndependentNormalKernel(var=np.full(dim, spec.distance.sd**2))
        return pyabc.ABCSMC(model, prior, kernel, population_size=spec.population,
                            sampler=sampler, eps=pyabc.Temperature(),
                            acceptor=pyabc.StochasticAcceptor()), observed
    distance = SeriesDistance(spec.distance.kind, spec.distance.weights, observed,
                              spec.observed.n)
    return pyabc.ABCSMC(model, prior, distance, population_size=spec.population,
                        sampler=sampler, eps=tolerance(spec.initial_epsilon, spec.quantile)
                        ), observed


# ---------------------------------------------------------------- the result
@dataclass
class FitResult:
    """A finished (or stopped) fit, as written into its folder.

    Attributes
    ----------
    posterior : DataFrame
        The last generation: a column per fitted key, then ``weight`` (sums to 1).
    summary : dict
        Per key: ``mean``, ``median``, ``sd``, ``ci90`` ``[low, high]``, and the prior.
    diagnostics : dict
        ``generations``, ``acceptance_rate``, ``effective_sample_size``,
        ``epsilon`` (the schedule), ``simulations`` and their per-generation lists.
    predictive : DataFrame or None
        Per observed column and step: the 5%, 50% and 95% of the posterior
        predictive series, in the data's unit.
    """

    spec: Any
    posterior: pd.DataFrame
    summary: dict[str, dict[str, Any]]
    diagnostics: dict[str, Any]
    predictive: pd.DataFrame | None = None
    out: Path | None = None
    paths: dict[str, Path] = field(default_factory=dict)


# ---------------------------------------------------------------- the folder
def _foreign(folder: Path) -> str | None:
    """The first entry of ``folder`` a fit does not write, or None."""
    for entry in sorted(folder.iterdir()):
        if entry.name not in FIT_FILES or not entry.is_file():
            return entry.name + ("/" if entry.is_dir() else "")
    return None


def _holds_fit(folder: Path) -> bool:
    return (folder / SETUP_NAME).exists() or (folder / DB_NAME).exists()


def check_fit_dir(out: Path, resume: bool, overwrite: bool) -> str:
    """What to do with ``out``: ``"new"``, ``"resume"`` or ``"replace"``; refuse the rest.

    A new or empty folder takes a new fit. A folder with a fit takes
    ``--resume`` (continue it) or ``--overwrite`` (replace it, swapping the
    new fit in only once it is done); without either it is refused, so
    earlier results are never lost by accident. A folder holding anything a
    fit does not write is refused even with ``--overwrite``.
    """
    from simulator.outputs import _check_writable

    if resume and overwrite:
        raise ConfigError("--resume and --overwrite cannot be used together; --resume continues "
                          "the fit in --out, --overwrite starts it again")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"--out: '{out}' is a file; expected a folder (or a new path)")
    _check_writable(out)
    empty = not out.is_dir() or not any(out.iterdir())
    if not empty:
        other = _foreign(out)
        if other is not None:
            raise ConfigError(f"--out = '{out}' holds '{other}', which is not a result of "
                              "'virality fit'; allowed: a new or empty folder, or a fit's folder "
                              "with --resume or --overwrite")
    if resume:
        if empty or not _holds_fit(out):
            raise ConfigError(f"--resume: '{out}' holds no fit to continue; allowed: the --out "
                              "of a stopped fit (or leave out --resume to start one)")
        return "resume"
    if empty:
        return "new"
    if not overwrite:
        raise ConfigError(f"--out = '{out}' already holds a fit; allowed: --resume to continue "
                          "it, --overwrite to replace it, or a new or empty folder")
    return "replace"


@contextlib.contextmanager
def _lock(out: Path) -> Iterator[None]:
    """One process per fit folder; the lock file sits beside it and dies with the process."""
    from filelock import FileLock, Timeout

    out.absolute().parent.mkdir(parents=True, exist_ok=True)
    lock = FileLock(str(out.absolute().with_name(f".{out.name}.lock")))
    try:
        lock.acquire(timeout=0)
    except Timeout:
        raise ConfigError(f"--out '{out}' is in use by another fit; allowed: wait until it "
                          "ends (then --resume), or another --out") from None
    try:
        yield
    finally:
        lock.release()


@contextlib.contextmanager
def _quiet_pyabc() -> Iterator[None]:
    """pyabc logs every generation at INFO; the fit prints its own lines.

    Its stopping check also subtracts two infinite tolerances after the prior
    sample (a harmless NumPy RuntimeWarning, ``inf - inf``), silenced here for
    pyabc's own modules only.
    """
    import warnings

    import pyabc.storage.history as pyabc_history

    logger = logging.getLogger("ABC")
    level = logger.level
    logger.setLevel(logging.WARNING)
    # pyabc records the git commit of the working directory in a new history, through
    # gitpython, which may run the git program in the researcher's folder; the fit's
    # provenance is setup.json (settings, data hash, simulator version) instead.
    git_hash = pyabc_history.git_hash
    pyabc_history.git_hash = lambda: "not recorded (see setup.json)"
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=RuntimeWarning, module="pyabc")
            yield
    finally:
        logger.setLevel(level)
        pyabc_history.git_hash = git_hash


def _write_json(path: Path, data: dict[str, Any]) -> None:
    from simulator.sweep.store import write_json

    write_json(path, data)


def _read_setup(folder: Path) -> dict[str, Any]:
    import json

    try:
        return json.loads((folder / SETUP_NAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ConfigError(f"--resume: '{folder / SETUP_NAME}' is missing or unreadable; cannot "
                          "tell which fit the folder holds (use --overwrite or another --out)"
                          ) from None


# ---------------------------------------------------------------- running
def run_fit(
    spec: Any,
    out: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    resume: bool = False,
    overwrite: bool = False,
    plots: bool = True,
    progress: bool = True,
    truth: Mapping[str, float] | None = None,
) -> FitResult:
    """Fit ``spec`` into the folder ``out``; return the result.

    Parameters
    ----------
    spec : FitSpec
        The fit (:meth:`FitSpec.create` or :meth:`FitSpec.load`).
    out : path
        The fit's folder (see the module docstring for what it holds).
    workers : int, optional
        Worker processes of a local Dask cluster; ``1`` (the default without
        ``scheduler``) runs in this process without Dask.
    scheduler : str, optional
        Address of a running Dask scheduler to run the simulations on.
    resume : bool
        Continue the fit in ``out`` (same scenario, data, priors, seed, ...);
        ``spec.generations`` may be larger than the stopped fit's.
    overwrite : bool
        Replace the fit in ``out`` (only once the new one is done).
    plots : bool
        Write the three figures.
    progress : bool
        One line per generation on stderr (and a bar in a terminal).
    truth : mapping, optional
        Known values of the keys (synthetic data): marked in the figures.

    Raises
    ------
    ConfigError
        Bad folder, unreachable scheduler, an empty posterior: one line.
    """
    from simulator.sweep.execute import default_workers

    out = Path(out)
    if workers is not None and workers < 1:
        raise ConfigError(f"--workers = {workers} is out of range; allowed: workers >= 1")
    if workers is not None and scheduler:
        raise ConfigError("--workers and --scheduler cannot be used together; the cluster has "
                          "its workers")
    mode = check_fit_dir(out, resume, overwrite)
    with _lock(out):
        fp = spec.fingerprint()
        if mode == "resume":
            setup = _read_setup(out)
            if setup.get("fingerprint") != fp:
                raise ConfigError(
                    f"--resume: '{out}' holds a different fit ({setup.get('name')!r}: other "
                    "scenario, data, priors, distance, population, seed or version); allowed: "
                    "the same fit, or --overwrite to replace it")
        n_workers = 1 if scheduler is None and workers in (None, 1) else (
            workers or default_workers())
        dask = None
        if n_workers > 1 or scheduler:
            from simulator.sweep.execute import _Dask  # the sweeps' cluster, as sweeps start it

            dask = _Dask(n_workers, scheduler)  # before writing: a bad address leaves nothing
            n_workers = dask.n_workers
        where = ("in this process" if dask is None else
                 f"on a local Dask cluster of {n_workers} workers" if scheduler is None else
                 f"on {n_workers} workers of the Dask scheduler {scheduler}")
        try:
            if mode == "replace":
                staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.fitting-",
                                                dir=out.absolute().parent))
                try:
                    result = _fit_in(spec, staging, fp, False, dask, n_workers, where, plots,
                                     progress, truth)
                except BaseException:
                    shutil.rmtree(staging, ignore_errors=True)
                    raise
                old = out.with_name(f".{out.name}.replaced-{os.getpid()}")
                out.rename(old)
                staging.rename(out)
                shutil.rmtree(old, ignore_errors=True)
                result.out = out
                result.paths = {k: out / p.name for k, p in result.paths.items()}
                return result
            return _fit_in(spec, out, fp, mode == "resume", dask, n_workers, where, plots,
                           progress, truth)
        finally:
            if dask is not None:
                dask.close()


def _say(progress: bool, line: str) -> None:
    if progress:
        print(f"virality fit: {line}", file=sys.stderr, flush=True)


def _fit_in(spec, folder: Path, fp: str, resume: bool, dask, n_workers: int, where: str,
            plots: bool, progress: bool, truth) -> FitResult:
    """Run (or continue) the fit with its history in ``folder``; write the outputs there."""
    from simulator.fit.sampler import SeededSampler, progress_reporter

    folder.mkdir(parents=True, exist_ok=True)
    fresh = not resume
    db = f"sqlite:///{(folder / DB_NAME).absolute()}"
    if fresh:
        from simulator import __version__

        _write_json(folder / SETUP_NAME, {"fingerprint": fp, "version": __version__,
                                          **spec.settings(), "fit_file_text": spec.text})
    reporter = progress_reporter(spec.generations, spec.name, spec.population, not progress)
    t_start = time.perf_counter()
    sampler = SeededSampler(spec.seed, client=None if dask is None else dask.client,
                            workers=n_workers, budget=spec.max_simulations, report=reporter,
                            on_generation=generation_logger(spec, progress, t_start))
    abc, observed = build_abc(spec, sampler)
    with _quiet_pyabc():
        if resume and (folder / DB_NAME).exists():
            history = abc.load(db, 1)
            done = history.max_t + 1
            sampler.used = int(history.total_nr_simulations)
        else:
            history = abc.new(db, observed)
            done = 0
        left = spec.generations - done
        keys = f"{len(spec.keys)} key" + ("s" if len(spec.keys) > 1 else "")
        _say(progress, f"{spec.name}: {spec.population} particles x {spec.generations} "
             f"generations, {keys}, seed {spec.seed}, {where}"
             + (f"; resuming after generation {done}" if resume else ""))
        if left > 0:
            abc.run(max_nr_populations=left, minimum_epsilon=spec.min_epsilon,
                    max_total_nr_simulations=spec.max_simulations)
        elif resume:
            _say(progress, f"{spec.name}: all {spec.generations} generations were done; "
                 "writing the outputs again (more with --generations)")
    if history.max_t < 0:
        _dispose(history)
        if fresh:
            for name in (DB_NAME, SETUP_NAME, DB_NAME + "-journal"):
                with contextlib.suppress(FileNotFoundError):
                    (folder / name).unlink()
            with contextlib.suppress(OSError):
                folder.rmdir()  # a new folder the fit made: gone again
        limit = spec.max_simulations
        raise ConfigError(
            f"the posterior is empty: the first generation did not accept "
            f"{spec.population} particles within abc.max_simulations = {limit}"
            + (f" at abc.initial_epsilon = {spec.initial_epsilon:g}"
               if spec.initial_epsilon is not None else "")
            + "; allowed: a larger abc.max_simulations, a larger abc.initial_epsilon (or none), "
              "or wider priors")
    from simulator.fit.results import collect, write_outputs

    result = collect(spec, history)
    _dispose(history)
    result.diagnostics["stopped_by"] = stop_reason(spec, result.diagnostics, sampler.used)
    if result.diagnostics["stopped_by"] != "generations":
        _say(progress, f"{spec.name}: stopped after generation "
             f"{result.diagnostics['generations']} of {spec.generations}: "
             f"{result.diagnostics['stopped_by']} reached; the posterior is that generation's")
    _say(progress, f"{spec.name}: {result.diagnostics['generations']} generations, "
         f"{result.diagnostics['simulations']:,} simulations; simulating "
         f"{spec.predictive_draws} posterior draws for the predictive band")
    from simulator.fit.predict import predictive_band

    result.predictive = predictive_band(spec, result.posterior,
                                        client=None if dask is None else dask.client)
    result.out = folder
    result.paths = write_outputs(result, folder, plots=plots, truth=truth)
    return result


def stop_reason(spec: Any, diagnostics: Mapping[str, Any], used: int) -> str:
    """Why the fit ended: ``generations`` (all done), or the first rule that stopped it."""
    if diagnostics["generations"] >= spec.generations:
        return "generations"
    if used >= spec.max_simulations:
        return f"abc.max_simulations = {spec.max_simulations}"
    eps = [e for e in diagnostics["epsilon"] if e is not None]
    if eps and eps[-1] <= spec.min_epsilon:
        return f"abc.min_epsilon = {spec.min_epsilon:g}"
    return "a generation that could not be sampled"


def _dispose(history: Any) -> None:
    """Close pyabc's SQLite connections (the folder may be renamed or removed next)."""
    engine = getattr(history, "_engine", None)
    if engine is not None:
        engine.dispose()


def generation_logger(spec, progress: bool, t_start: float):
    """One stderr line per generation, as sweeps report progress: the tolerance (or
    temperature), the particles accepted of the candidates simulated, and the time."""
    kind = "temperature" if spec.distance.kind == "normal" else "tolerance"

    def log(t: int, ana_vars: Any, accepted: int, simulated: int, seconds: float) -> None:
        label = ("calibration (prior sample)" if t < 0
                 else f"generation {t + 1}/{spec.generations}")
        eps = None
        if ana_vars is not None and t >= 0:
            with contextlib.suppress(Exception):  # pyabc sets it before sampling
                eps = float(ana_vars.eps(t))
        shown = "" if eps is None else (f", {kind} {eps:.4g}" if np.isfinite(eps)
                                        else f", {kind} inf (the prior)")
        _say(progress, f"{spec.name}: {label}{shown}: {accepted} accepted of {simulated} "
             f"simulated ({seconds:.1f} s; {time.perf_counter() - t_start:.0f} s in all)")

    return log
