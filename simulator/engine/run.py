"""``simulator.run``: replicates of a scenario from one seed.

Seeds: one :class:`numpy.random.SeedSequence` per run. The graph draws from
``SeedSequence(seed, spawn_key=(0,))``, replicate ``r`` from
``SeedSequence(seed, spawn_key=(1, r))``, split into named streams
(:func:`simulator.rng.stream_keys`). Replicate ``r`` is therefore the same
whatever the number of replicates, workers or threads.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from simulator.core import metrics as M
from simulator.engine.results import Results, final_metrics
from simulator.engine.simulation import simulate
from simulator.errors import ConfigError
from simulator.graphs import Graph, build_graph
from simulator.platform.layer import FLOAT_METRICS, SERIES_METRICS
from simulator.rng import stream_keys

ProgressCallback = Callable[[int, int], None]


def graph_seed(seed: int, replicate: int | None = None) -> int:
    """The integer seed the graph generator gets (per replicate if resampling)."""
    spawn_key = (0,) if replicate is None else (0, replicate)
    ss = np.random.SeedSequence(seed, spawn_key=spawn_key)
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def replicate_keys(seed: int, replicate: int) -> dict[str, int]:
    """Named stream keys for replicate ``replicate`` of a run seeded with ``seed``."""
    return stream_keys(np.random.SeedSequence(seed, spawn_key=(1, replicate)))


def make_graph(scenario: Any, seed: int, replicate: int | None = None) -> Graph:
    """Build the scenario's friend graph for this seed."""
    return build_graph(scenario.graph, seed=graph_seed(seed, replicate), base_dir=scenario.base_dir)


def run_settings(scenario: Any, seed: int | None, replicates: int | None,
                 steps: int | None) -> tuple[int, int, int]:
    """``(seed, replicates, steps)``: the given values, else the scenario's ``[run]``; checked."""
    seed = scenario.run.seed if seed is None else int(seed)
    replicates = scenario.run.replicates if replicates is None else int(replicates)
    steps = scenario.run.steps if steps is None else int(steps)
    for key, value, low in (("replicates", replicates, 1), ("steps", steps, 1), ("seed", seed, 0)):
        if value < low:
            raise ConfigError(f"run.{key} = {value} is out of range; allowed: {key} >= {low}")
    return seed, replicates, steps


def run(
    scenario: Any,
    seed: int | None = None,
    replicates: int | None = None,
    graph: Graph | None = None,
    *,
    steps: int | None = None,
    validate: bool | None = None,
    progress: ProgressCallback | None = None,
) -> Results:
    """Run ``replicates`` replicates of ``scenario`` and collect the results.

    Parameters
    ----------
    scenario : Scenario
        A loaded scenario (``simulator.Scenario.load(path)``).
    seed, replicates, steps : int, optional
        Override ``[run]`` (the scenario's values otherwise).
    graph : Graph, optional
        Use this friend graph instead of building ``[graph]``.
    validate : bool, optional
        Check invariants after each replicate (``[run] validate`` otherwise).
    progress : callable, optional
        Called as ``progress(done, total)`` after each replicate.

    Examples
    --------
    >>> import simulator
    >>> sc = simulator.Scenario.from_dict({"graph": {"kind": "erdos_renyi", "n": 2000,
    ...     "mean_degree": 10}, "run": {"steps": 30, "replicates": 2}})
    >>> res = simulator.run(sc, seed=1)
    >>> len(res.timeseries), sorted(res.summary["mean"])[:3]
    (62, ['aware', 'bell', 'cost'])
    """
    seed, replicates, steps = run_settings(scenario, seed, replicates, steps)
    validate = scenario.run.validate if validate is None else bool(validate)
    t0 = time.perf_counter()
    shared = graph if graph is not None else (
        None if scenario.run.resample_graph else make_graph(scenario, seed)
    )
    if shared is not None and scenario.seeding.n_seeds > shared.n:
        raise ConfigError(
            f"seeding.n_seeds = {scenario.seeding.n_seeds} is out of range; "
            f"allowed: 0 <= n_seeds <= number of agents ({shared.n})"
        )
    blocks, seeds = [], []
    keep = [i for i, name in enumerate(M.WOM_METRICS) if name not in M.INTERNAL_METRICS]
    names = [M.WOM_METRICS[i] for i in keep] + list(SERIES_METRICS)
    g = shared
    for r in range(replicates):
        g = shared if shared is not None else make_graph(scenario, seed, r)
        keys = replicate_keys(seed, r)
        rep = simulate(g, scenario.seeding, scenario.wom, scenario.market, steps, keys, validate,
                       platform=scenario.platform)
        blocks.append(np.hstack([rep.series[:, keep], rep.pseries]))
        seeds.append({"entropy": seed, "spawn_key": [1, r]})
        if progress is not None:
            progress(r + 1, replicates)
    # One table at the end (not one per replicate): pandas costs more than a small replicate.
    ts = pd.DataFrame(np.concatenate(blocks), columns=names)
    int_cols = [c for c in names if c not in FLOAT_METRICS]
    ts[int_cols] = ts[int_cols].astype(np.int64)
    ts.insert(0, "step", np.tile(np.arange(steps + 1), replicates))
    ts.insert(0, "replicate", np.repeat(np.arange(replicates), steps + 1))
    finals = final_metrics(ts, g.n)
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
        replicate_seeds=seeds,
        version=__version__,
        elapsed=time.perf_counter() - t0,
    )
