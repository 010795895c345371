"""What a worker does: run a chunk of runs, building each friend graph once per process.

A chunk is a few consecutive runs; the worker returns their rows (and, if
asked, their per-step series). Nothing here depends on which worker runs a
chunk or when: a run's numbers are fixed by its seed and its graph, and the
graph by the graph parameters and the graph seed.
"""

from __future__ import annotations

import json
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

#: Graphs kept per process. A sweep shares one graph unless a graph parameter
#: is swept; then runs come in point order, so a small cache still hits.
GRAPH_CACHE_SIZE = 4
_GRAPHS: OrderedDict[tuple, Any] = OrderedDict()


@dataclass(frozen=True)
class Chunk:
    """Consecutive runs of one sweep, sent to a worker as one task.

    Small on purpose (run indices and the values of their design points): the
    worker derives each run's point, replicate and seed itself.
    """

    scenario: Any  # simulator.Scenario with the experiment's [fixed] applied
    runs: tuple[int, ...]
    points: dict[int, dict[str, Any]]  # point index -> swept values, for these runs
    replicates: int
    seed: int  # the master seed
    common_random_numbers: bool
    metrics: tuple[str, ...]
    graph_seed: int
    series: bool = False


def cached_graph(scenario: Any, graph_seed: int) -> Any:
    """The scenario's graph for ``graph_seed``, built at most once per process (LRU)."""
    from simulator.graphs import build_graph

    key = (
        json.dumps(scenario.graph.to_dict(), sort_keys=True, default=str),
        str(scenario.base_dir),
        int(graph_seed),
    )
    graph = _GRAPHS.get(key)
    if graph is None:
        graph = build_graph(scenario.graph, seed=graph_seed, base_dir=scenario.base_dir)
        _GRAPHS[key] = graph
        while len(_GRAPHS) > GRAPH_CACHE_SIZE:
            _GRAPHS.popitem(last=False)
    else:
        _GRAPHS.move_to_end(key)
    return graph


def clear_cache() -> None:
    """Forget the cached graphs of this process."""
    _GRAPHS.clear()


def series_names() -> list[str]:
    """The series columns ``simulator.run`` reports, in its order."""
    from simulator.state.metrics import PUBLIC_COLUMNS

    return list(PUBLIC_COLUMNS)


def run_one(scenario: Any, seed: int, graph: Any | None) -> tuple[dict[str, float], np.ndarray]:
    """One run: replicate 0 of ``scenario`` seeded with ``seed``, as ``simulator.run`` runs it.

    The engine's own :func:`simulator.engine.run.run_replicates`, without the
    tables ``simulator.run`` builds around it (pandas costs more than a small
    run). Returns the final metrics and the public series (float64).
    """
    from simulator.engine.run import run_replicates

    reps = run_replicates(scenario, seed, 1, scenario.run.steps, graph, scenario.run.validate)
    return reps.finals[0], reps.series[0]


def series_table(series: np.ndarray, run: int) -> pd.DataFrame:
    """One run's series as the rows ``--series`` writes: ``run``, ``step``, then every series."""
    from simulator.engine.run import series_table as table_of

    rows = len(series)
    return table_of(series, {"run": np.full(rows, run, np.int64),
                             "step": np.arange(rows, dtype=np.int64)})


def run_chunk(chunk: Chunk) -> tuple[pd.DataFrame, pd.DataFrame | None, float]:
    """Run every run of ``chunk``; return ``(rows, series, seconds)``.

    ``rows`` has one row per run: ``run``, ``point``, the swept parameters,
    ``replicate``, ``seed``, then the kept final metrics. ``series`` (or None)
    has one row per run and step: ``run``, ``step``, then every series metric.
    ``seconds`` is the time spent running (graph builds excluded), which the
    client uses to size the next chunks.
    """
    from simulator.rng import run_seed

    rows, frames = [], []
    seconds = 0.0
    points: dict[int, tuple[Any, Any]] = {}  # point -> its scenario and shared graph
    for run in chunk.runs:
        point, replicate = divmod(run, chunk.replicates)
        values = chunk.points[point]
        seed = run_seed(chunk.seed, run, chunk.replicates, chunk.common_random_numbers)
        if point not in points:  # runs of one point come together: apply its values once
            scenario = chunk.scenario.with_overrides(values)
            points[point] = (scenario, None if scenario.run.resample_graph
                             else cached_graph(scenario, chunk.graph_seed))
        scenario, graph = points[point]
        t0 = time.perf_counter()
        finals, series = run_one(scenario, seed, graph)
        seconds += time.perf_counter() - t0
        row = {"run": run, "point": point, **values, "replicate": replicate, "seed": seed}
        row.update({m: finals[m] for m in chunk.metrics})
        rows.append(row)
        if chunk.series:
            frames.append(series_table(series, run))
    table = pd.DataFrame(rows)
    for col in ("run", "point", "replicate", "seed"):
        table[col] = table[col].astype("int64")
    series = pd.concat(frames, ignore_index=True) if frames else None
    return table, series, seconds
