"""``simulator.run``: replicates of a scenario from one seed.

Seeds: one :class:`numpy.random.SeedSequence` per run (the registry is
:mod:`simulator.rng`). The graph draws from ``SeedSequence(seed,
spawn_key=(0,))``, replicate ``r`` from ``SeedSequence(seed, spawn_key=(1,
r))``, split into named streams. Replicate ``r`` is therefore the same
whatever the number of replicates, workers or threads.

:func:`run_replicates` is the one way replicates are run: :func:`run` wraps
it in tables, and a sweep's worker calls it as it is, without the tables.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from os import PathLike
from typing import Any

import numpy as np
import pandas as pd

from simulator.engine.precompile import compiling_beside
from simulator.engine.results import Results, final_values
from simulator.engine.simulation import Simulation
from simulator.errors import ConfigError
from simulator.graphs import Graph, build_graph
from simulator.graphs.memory import check_run_memory
from simulator.params import check_run_value, check_seeds_fit
from simulator.rng import graph_seed, replicate_keys, replicate_record
from simulator.scenario import Scenario
from simulator.state import metrics as M

ProgressCallback = Callable[[int, int], None]


def make_graph(scenario: Any, seed: int, replicate: int | None = None) -> Graph:
    """Build the scenario's friend graph for this seed."""
    return build_graph(scenario.graph, seed=graph_seed(seed, replicate), base_dir=scenario.base_dir)


def as_scenario(scenario: Any) -> Scenario:
    """A :class:`Scenario` from a scenario, a path to a scenario file or a dict of sections
    (what a new user tries first); anything else is a one-line :class:`ConfigError`."""
    if isinstance(scenario, Scenario):
        return scenario
    if isinstance(scenario, (str, PathLike)):
        return Scenario.load(scenario)
    if isinstance(scenario, Mapping):
        return Scenario.from_dict(scenario)
    raise ConfigError(f"scenario = {type(scenario).__name__} is not allowed; expected a "
                      "Scenario, a path to a scenario file or a dict of sections")


def run_settings(scenario: Any, seed: int | None, replicates: int | None,
                 steps: int | None) -> tuple[int, int, int]:
    """``(seed, replicates, steps)``: the given values, else the scenario's ``[run]``; checked
    against ``[run]``'s bounds."""
    seed = scenario.run.seed if seed is None else check_run_value("seed", seed)
    replicates = (scenario.run.replicates if replicates is None
                  else check_run_value("replicates", replicates))
    steps = scenario.run.steps if steps is None else check_run_value("steps", steps)
    return seed, replicates, steps


@dataclass
class Replicates:
    """What :func:`run_replicates` returns: per replicate, its series, finals and seed."""

    series: list[np.ndarray]  # float64 (steps + 1, len(PUBLIC_COLUMNS)) each
    finals: list[dict[str, float]]
    seeds: list[dict[str, Any]]
    graph: Graph  # the last replicate's (the shared one unless resampled)


def run_replicates(scenario: Any, seed: int, replicates: int, steps: int,
                   graph: Graph | None = None, validate: bool = False,
                   progress: ProgressCallback | None = None) -> Replicates:
    """Run replicates ``0 .. replicates - 1`` of ``scenario`` (settings already checked).

    ``graph`` is used for every replicate; without it the scenario's graph is
    built once (or once per replicate with ``run.resample_graph``).
    """
    shared = graph if graph is not None else (
        None if scenario.run.resample_graph else make_graph(scenario, seed)
    )
    if shared is not None:
        check_seeds_fit(scenario.seeding, shared.n)
    model = scenario.model
    out = Replicates([], [], [], shared)
    for r in range(replicates):
        g = shared
        if g is None:
            g = make_graph(scenario, seed, r)
            check_seeds_fit(scenario.seeding, g.n)
        rep = Simulation(g, model, steps, replicate_keys(seed, r), validate=validate).run_to_end()
        series = rep.public_series()
        out.series.append(series)
        out.finals.append(final_values(series, M.PUBLIC_COLUMNS, g.n))
        out.seeds.append(replicate_record(seed, r))
        out.graph = g
        if progress is not None:
            progress(r + 1, replicates)
    return out


def series_table(series: np.ndarray, leading: dict[str, np.ndarray] | None = None) -> pd.DataFrame:
    """Stacked public series (float64, rows x PUBLIC_COLUMNS) as a table with its dtypes,
    after the ``leading`` columns (e.g. replicate and step).

    Built from whole columns in one call: assigning the integer columns afterwards costs
    pandas several milliseconds, more than a small replicate takes to run.
    """
    columns = dict(leading or {})
    for i, name in enumerate(M.PUBLIC_COLUMNS):
        column = series[:, i]
        columns[name] = column if name in M.FLOAT_COLUMNS else column.astype(np.int64)
    return pd.DataFrame(columns)


def run(
    scenario: Any,
    seed: int | None = None,
    replicates: int | None = None,
    graph: Graph | None = None,
    *,
    steps: int | None = None,
    validate: bool | None = None,
    progress: ProgressCallback | None = None,
    graph_is_scenarios: bool = False,
) -> Results:
    """Run ``replicates`` replicates of ``scenario`` and collect the results.

    Parameters
    ----------
    scenario : Scenario, path or dict
        A loaded scenario (``simulator.Scenario.load(path)``), the path of a scenario
        file, or a dict of sections (``Scenario.from_dict``).
    seed, replicates, steps : int, optional
        Override ``[run]`` (the scenario's values otherwise).
    graph : Graph, optional
        Use this friend graph instead of building ``[graph]``.
    validate : bool, optional
        Check invariants after each replicate (``[run] validate`` otherwise).
    progress : callable, optional
        Called as ``progress(done, total)`` after each replicate.
    graph_is_scenarios : bool
        ``graph`` was built from the scenario's own ``[graph]`` (as ``compare``
        shares one): results record the section. Otherwise a given graph is
        recorded as given, with its own size.

    Examples
    --------
    >>> import simulator
    >>> sc = simulator.Scenario.from_dict({"graph": {"kind": "erdos_renyi", "n": 2000,
    ...     "mean_degree": 10}, "run": {"steps": 30, "replicates": 2}})
    >>> res = simulator.run(sc, seed=1)
    >>> len(res.timeseries), sorted(res.summary["mean"])[:3]
    (62, ['aware', 'bell', 'cost'])
    """
    scenario = as_scenario(scenario)
    seed, replicates, steps = run_settings(scenario, seed, replicates, steps)
    check_run_memory(replicates, steps, len(M.PUBLIC_COLUMNS) + 2)
    validate = scenario.run.validate if validate is None else bool(validate)
    t0 = time.perf_counter()
    graph_given = graph is not None and not graph_is_scenarios
    if graph is None and not scenario.run.resample_graph:
        # A first run compiles the simulation's kernels beside the graph's (precompile.py).
        with compiling_beside([scenario], steps):
            graph = make_graph(scenario, seed)
    reps = run_replicates(scenario, seed, replicates, steps, graph, validate, progress)
    g = reps.graph
    # One table at the end (not one per replicate): pandas costs more than a small replicate.
    ts = series_table(np.concatenate(reps.series), {
        "replicate": np.repeat(np.arange(replicates), steps + 1),
        "step": np.tile(np.arange(steps + 1), replicates),
    })
    finals = pd.DataFrame([{"replicate": r, **f} for r, f in enumerate(reps.finals)])
    from simulator import __version__

    return Results(
        timeseries=ts,
        finals=finals,
        scenario=scenario,
        seed=seed,
        n=g.n,
        graph_meta={"n": g.n, "n_edges": g.n_edges, "mean_degree": g.mean_degree, **{
            k: v for k, v in g.meta.items() if isinstance(v, (int, float, str, bool))
        }},
        replicate_seeds=reps.seeds,
        version=__version__,
        elapsed=time.perf_counter() - t0,
        extra={"graph_given": graph_given},
    )
