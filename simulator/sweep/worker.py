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
    from simulator.core import metrics as M
    from simulator.platform.layer import SERIES_METRICS

    return [m for m in M.WOM_METRICS if m not in M.INTERNAL_METRICS] + list(SERIES_METRICS)


def fast_run(scenario: Any, seed: int, graph: Any | None) -> tuple[dict[str, float], pd.DataFrame]:
    """One replicate as ``simulator.run(scenario, seed, replicates=1, graph=graph)`` runs it,
    without its pandas tables. Returns the final metrics and a lazy per-step table."""
    from simulator.core import metrics as M
    from simulator.engine.results import final_values
    from simulator.engine.run import make_graph, replicate_keys
    from simulator.engine.simulation import simulate
    from simulator.sections import check_seeding

    g = graph if graph is not None else make_graph(scenario, seed, 0)
    check_seeding(scenario.seeding, g.n)
    rep = simulate(
        g,
        scenario.seeding,
        scenario.wom,
        scenario.market,
        scenario.run.steps,
        replicate_keys(seed, 0),
        scenario.run.validate,
        platform=scenario.platform,
    )
    keep = [i for i, m in enumerate(M.WOM_METRICS) if m not in M.INTERNAL_METRICS]
    names = series_names()
    series = np.hstack([rep.series[:, keep], rep.pseries])
    return final_values(series, names, g.n), _LazySeries(series, names)


def engine_run(
    scenario: Any, seed: int, graph: Any | None
) -> tuple[dict[str, float], pd.DataFrame]:
    """The same through ``simulator.run`` itself (the reference)."""
    from simulator.engine.run import run

    res = run(scenario, seed=seed, replicates=1, graph=graph)
    finals = {k: v for k, v in res.finals.iloc[0].to_dict().items() if k != "replicate"}
    return finals, _LazySeries(res.timeseries.drop(columns=["replicate", "step"]), None)


class _LazySeries:
    """A run's series, made into a table only when ``--series`` asks for it."""

    def __init__(self, data: Any, names: list[str] | None) -> None:
        self.data, self.names = data, names

    def table(self, run: int) -> pd.DataFrame:
        if self.names is None:
            table = self.data.reset_index(drop=True).copy()
        else:
            table = pd.DataFrame(self.data, columns=self.names)
            from simulator.platform.layer import FLOAT_METRICS

            ints = [c for c in self.names if c not in FLOAT_METRICS]
            table[ints] = table[ints].astype(np.int64)
        table.insert(0, "step", np.arange(len(table), dtype=np.int64))
        table.insert(0, "run", np.int64(run))
        return table


#: Per process: None until the fast path has been checked against simulator.run.
_FAST_OK: bool | None = None


def _same(a: dict[str, float], b: dict[str, float]) -> bool:
    if a.keys() != b.keys():
        return False
    return all((x == y) or (x != x and y != y) for x, y in ((a[k], b[k]) for k in a))


def run_one(scenario: Any, seed: int, graph: Any | None) -> tuple[dict[str, float], _LazySeries]:
    """One run: the fast path, checked once per process against ``simulator.run``.

    If they ever disagree (the engine changed and :func:`fast_run` did not
    follow), this process warns once and uses ``simulator.run`` from then on:
    slower, never wrong.
    """
    global _FAST_OK
    if _FAST_OK is None:
        reference = engine_run(scenario, seed, graph)
        try:
            _FAST_OK = _same(fast_run(scenario, seed, graph)[0], reference[0])
        except Exception:  # any failure of the shortcut means: do not use it
            _FAST_OK = False
        if not _FAST_OK:
            import warnings

            warnings.warn(
                "simulator.sweep: the fast run path disagrees with simulator.run "
                "(the engine changed); using simulator.run, which is slower",
                RuntimeWarning,
                stacklevel=2,
            )
        return reference
    return fast_run(scenario, seed, graph) if _FAST_OK else engine_run(scenario, seed, graph)


def run_chunk(chunk: Chunk) -> tuple[pd.DataFrame, pd.DataFrame | None, float]:
    """Run every run of ``chunk``; return ``(rows, series, seconds)``.

    ``rows`` has one row per run: ``run``, ``point``, the swept parameters,
    ``replicate``, ``seed``, then the kept final metrics. ``series`` (or None)
    has one row per run and step: ``run``, ``step``, then every series metric.
    ``seconds`` is the time spent running (graph builds excluded), which the
    client uses to size the next chunks.
    """
    from simulator.sweep.experiment import run_seed

    rows, frames = [], []
    seconds = 0.0
    scenarios: dict[int, Any] = {}
    for run in chunk.runs:
        point, replicate = divmod(run, chunk.replicates)
        values = chunk.points[point]
        seed = run_seed(chunk.seed, run, chunk.replicates, chunk.common_random_numbers)
        scenario = scenarios.get(point)
        if scenario is None:  # runs of one point come together: apply its values once
            scenario = scenarios[point] = chunk.scenario.with_overrides(values)
        graph = None if scenario.run.resample_graph else cached_graph(scenario, chunk.graph_seed)
        t0 = time.perf_counter()
        finals, series = run_one(scenario, seed, graph)
        seconds += time.perf_counter() - t0
        row = {"run": run, "point": point, **values, "replicate": replicate, "seed": seed}
        row.update({m: finals[m] for m in chunk.metrics})
        rows.append(row)
        if chunk.series:
            frames.append(series.table(run))
    table = pd.DataFrame(rows)
    for col in ("run", "point", "replicate", "seed"):
        table[col] = table[col].astype("int64")
    series = pd.concat(frames, ignore_index=True) if frames else None
    return table, series, seconds
