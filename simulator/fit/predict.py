"""Using a posterior: predictive bands, and what-if questions answered with their uncertainty.

A posterior draw is a particle of the last generation, drawn with its
weight. Draw ``d`` runs with the master seed of ``SeedSequence(seed,
spawn_key=(5, d))`` on the fit's graph, so the band and every what-if are
reproducible, and a what-if runs each draw's baseline and its change with
the same seed: common random numbers, so the difference is the change's
effect, not two runs' luck.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from simulator.rng import FIT_DRAW_SPAWN_KEY

#: First spawn key of posterior draws (the fit's candidates use 4: simulator.fit.sampler).
DRAW_SPAWN_KEY = FIT_DRAW_SPAWN_KEY  # the registry in simulator/rng.py
#: The predictive band: these quantiles of the simulated series per step.
BAND = (0.05, 0.5, 0.95)


def draw_seed(seed: int, draw: int) -> int:
    """The master seed of posterior draw ``draw``."""
    ss = np.random.SeedSequence(seed, spawn_key=(DRAW_SPAWN_KEY, draw))
    return int(ss.generate_state(1, dtype=np.uint64)[0] >> np.uint64(1))


def posterior_draws(posterior: pd.DataFrame, count: int, seed: int) -> pd.DataFrame:
    """``count`` particles drawn with their weights (with replacement), reproducibly.

    >>> post = pd.DataFrame({"wom.p_positive": [0.1, 0.2], "weight": [0.0, 1.0]})
    >>> posterior_draws(post, 3, seed=1)["wom.p_positive"].tolist()
    [0.2, 0.2, 0.2]
    """
    rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(DRAW_SPAWN_KEY,)))
    w = posterior["weight"].to_numpy(dtype=float)
    picks = rng.choice(len(posterior), size=count, replace=True, p=w / w.sum())
    return posterior.drop(columns="weight").iloc[picks].reset_index(drop=True)


def _simulate_chunk(scenario: Any, keys: list[str], values: np.ndarray, seeds: list[int],
                    graph_seed: int, overrides: Mapping[str, Any] | None) -> np.ndarray:
    """Series of several draws (one worker task): ``(draws, steps + 1, columns)``."""
    from simulator.sweep.worker import cached_graph, run_one

    base = scenario.with_overrides(overrides) if overrides else scenario
    out = []
    for row, seed in zip(values, seeds, strict=True):
        sc = base.with_overrides({k: float(v) for k, v in zip(keys, row, strict=True)})
        graph = None if sc.run.resample_graph else cached_graph(sc, graph_seed)
        out.append(run_one(sc, seed, graph)[1])
    return np.stack(out)


def simulate_draws(spec: Any, draws: pd.DataFrame, *, overrides: Mapping[str, Any] | None = None,
                   seed: int | None = None, client: Any = None) -> np.ndarray:
    """Run the fit's scenario once per draw (with ``overrides`` applied on top).

    Returns every public series, ``(draws, steps + 1, columns)``, float64.
    On a Dask ``client`` the draws are cut into a few tasks per worker.
    """
    from simulator.rng import graph_seed

    seed = spec.seed if seed is None else seed
    keys = list(spec.keys)
    values = draws[keys].to_numpy(dtype=float)
    seeds = [draw_seed(seed, d) for d in range(len(draws))]
    g = graph_seed(spec.seed)
    if client is None or len(draws) < 2:
        return _simulate_chunk(spec.scenario, keys, values, seeds, g, overrides)
    workers = max(1, len(client.scheduler_info().get("workers", {})))
    parts = np.array_split(np.arange(len(draws)), min(len(draws), 4 * workers))
    futures = [client.submit(_simulate_chunk, spec.scenario, keys, values[idx],
                             [seeds[i] for i in idx], g, overrides, pure=False)
               for idx in parts if len(idx)]
    return np.concatenate(client.gather(futures))


def predictive_band(spec: Any, posterior: pd.DataFrame, *, client: Any = None) -> pd.DataFrame:
    """Per observed column and step, the 5%, 50% and 95% of the posterior predictive series.

    In the data's unit (counts, or shares with ``--shares``); one row per
    ``(column, step)`` with ``low``, ``median``, ``high``.
    """
    from simulator.state.metrics import PUBLIC_COLUMNS

    draws = posterior_draws(posterior, spec.predictive_draws, spec.seed)
    series = simulate_draws(spec, draws, client=client)
    obs = spec.observed
    steps = np.arange(series.shape[1])
    rows = []
    for col in obs.columns:
        shares = series[:, :, PUBLIC_COLUMNS.index(col)] / obs.n
        q = np.quantile(obs.in_file_units(shares), BAND, axis=0)
        rows.append(pd.DataFrame({"column": col, "step": steps, "low": q[0], "median": q[1],
                                  "high": q[2]}))
    return pd.concat(rows, ignore_index=True)


def what_if(spec: Any, posterior: pd.DataFrame, changes: Mapping[str, Mapping[str, Any]],
            metrics: Sequence[str], *, draws: int = 200, seed: int | None = None,
            client: Any = None) -> pd.DataFrame:
    """Answer "what if" with the posterior: each change's final metrics per draw.

    Parameters
    ----------
    spec : FitSpec
        The fit (its scenario, keys and seed).
    posterior : DataFrame
        ``posterior.csv`` (a column per key, ``weight``).
    changes : mapping of str to mapping
        Named overrides, e.g. ``{"as_fitted": {}, "answer": {"crisis.response": "respond"}}``.
        Every change runs the same draws with the same seeds.
    metrics : list of str
        Final metrics to keep (the columns of ``Results.finals``: ``negative``, ``reach``, ...).
    draws : int
        Posterior draws.

    Returns
    -------
    DataFrame
        One row per draw: ``draw``, the keys' values, then ``<change>.<metric>``.
    """
    from simulator.engine.results import final_values
    from simulator.state.metrics import PUBLIC_COLUMNS

    seed = spec.seed if seed is None else seed
    sample = posterior_draws(posterior, draws, seed)
    table = sample.copy()
    table.insert(0, "draw", np.arange(draws))
    for name, overrides in changes.items():
        series = simulate_draws(spec, sample, overrides=overrides, seed=seed, client=client)
        finals = [final_values(s, PUBLIC_COLUMNS, spec.observed.n) for s in series]
        for m in metrics:
            table[f"{name}.{m}"] = [f[m] for f in finals]
    return table


def interval(values: np.ndarray, level: float = 0.9) -> dict[str, float]:
    """Mean, median and central ``level`` interval of draws (equal weights).

    >>> interval(np.arange(101.0))
    {'mean': 50.0, 'median': 50.0, 'low': 5.0, 'high': 95.0}
    """
    lo, mid, hi = np.quantile(values, [(1 - level) / 2, 0.5, (1 + level) / 2])
    return {"mean": float(np.mean(values)), "median": float(mid), "low": float(lo),
            "high": float(hi)}
