"""What a worker does: run a chunk of runs, building each friend graph once per process.

A chunk is a few consecutive runs; the worker returns their rows (and, if
asked, their per-step series). Nothing here depends on which worker runs a
chunk or when: a run's numbers are fixed by its seed and its graph, and the
graph by the graph parameters and the graph seed.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

import pandas as pd

#: Graphs kept per process. A sweep shares one graph unless a graph parameter
#: is swept; then runs come in point order, so a small cache still hits.
GRAPH_CACHE_SIZE = 4
_GRAPHS: OrderedDict[tuple, Any] = OrderedDict()


@dataclass(frozen=True)
class RunSpec:
    """One run: its index, design point, replicate, seed and parameter values."""

    run: int
    point: int
    replicate: int
    seed: int
    values: dict[str, Any]


@dataclass(frozen=True)
class Chunk:
    """Consecutive runs of one sweep, sent to a worker as one task."""

    scenario: Any  # simulator.Scenario with the experiment's [fixed] applied
    runs: tuple[RunSpec, ...]
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


def run_chunk(chunk: Chunk) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Run every run of ``chunk``; return ``(rows, series)``.

    ``rows`` has one row per run: ``run``, ``point``, the swept parameters,
    ``replicate``, ``seed``, then the kept final metrics. ``series`` (or None)
    has one row per run and step: ``run``, ``step``, then every series metric.
    """
    from simulator.engine.run import run as run_scenario

    rows, frames = [], []
    for spec in chunk.runs:
        scenario = chunk.scenario.with_overrides(spec.values)
        graph = None if scenario.run.resample_graph else cached_graph(scenario, chunk.graph_seed)
        res = run_scenario(scenario, seed=spec.seed, replicates=1, graph=graph)
        finals = res.finals.iloc[0]
        row = {"run": spec.run, "point": spec.point, **spec.values,
               "replicate": spec.replicate, "seed": spec.seed}
        row.update({m: finals[m] for m in chunk.metrics})
        rows.append(row)
        if chunk.series:
            ts = res.timeseries.drop(columns=["replicate"])
            ts.insert(0, "run", spec.run)
            frames.append(ts)
    table = pd.DataFrame(rows)
    for col in ("run", "point", "replicate", "seed"):
        table[col] = table[col].astype("int64")
    series = pd.concat(frames, ignore_index=True) if frames else None
    return table, series
