"""A fit's numbers: weighted posterior summaries, diagnostics, and the files that hold them."""

from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

#: The central credible interval reported per key (fit.json's ``ci90``).
CI_LEVEL = 0.90


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of weighted samples (interpolated between sample midpoints).

    Each sample stands for the middle of its share of the total weight, so
    with equal weights this is the usual "midpoint" quantile.

    >>> weighted_quantile(np.array([1.0, 2.0, 3.0, 4.0]), np.ones(4), 0.5)
    2.5
    >>> weighted_quantile(np.array([1.0, 2.0]), np.array([0.0, 1.0]), 0.05)
    2.0
    """
    order = np.argsort(values, kind="stable")
    v, w = np.asarray(values, float)[order], np.asarray(weights, float)[order]
    keep = w > 0
    v, w = v[keep], w[keep]
    cum = (np.cumsum(w) - 0.5 * w) / w.sum()
    return float(np.interp(q, cum, v))


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size, ``(sum w)^2 / sum w^2``.

    >>> effective_sample_size(np.ones(10)), effective_sample_size(np.array([1.0, 0, 0]))
    (10.0, 1.0)
    """
    w = np.asarray(weights, float)
    return float(w.sum() ** 2 / np.sum(w**2))


def summarize(posterior: pd.DataFrame, keys: list[str]) -> dict[str, dict[str, Any]]:
    """Per key: weighted ``mean``, ``median``, ``sd`` and ``ci90`` ``[low, high]``."""
    w = posterior["weight"].to_numpy(float)
    out = {}
    for key in keys:
        x = posterior[key].to_numpy(float)
        mean = float(np.sum(w * x) / w.sum())
        out[key] = {
            "mean": mean,
            "median": weighted_quantile(x, w, 0.5),
            "sd": float(math.sqrt(max(np.sum(w * (x - mean) ** 2) / w.sum(), 0.0))),
            "ci90": [weighted_quantile(x, w, (1 - CI_LEVEL) / 2),
                     weighted_quantile(x, w, (1 + CI_LEVEL) / 2)],
        }
    return out


def collect(spec: Any, history: Any):
    """The :class:`~simulator.fit.inference.FitResult` of a pyabc history (its last generation)."""
    from simulator.errors import ConfigError
    from simulator.fit.inference import FitResult

    frame, w = history.get_distribution(m=0, t=history.max_t)
    w = np.asarray(w, float)
    if not len(frame) or not np.isfinite(w).all() or w.sum() <= 0:
        raise ConfigError(f"the posterior is empty: generation {history.max_t + 1} holds no "
                          "particle with a positive weight; allowed: a fit with wider priors, "
                          "or a larger abc.population")
    posterior = pd.DataFrame({k: frame[k].to_numpy(float) for k in spec.keys})
    posterior["weight"] = w / w.sum()
    pops = history.get_all_populations()
    calibration = int(pops.loc[pops["t"] < 0, "samples"].sum())
    gens = pops[pops["t"] >= 0].sort_values("t")
    ess = []
    for t in gens["t"]:
        _, wt = history.get_distribution(m=0, t=int(t))
        ess.append(effective_sample_size(np.asarray(wt, float)))
    samples = [int(s) for s in gens["samples"]]
    particles = [int(p) for p in gens["particles"]]
    eps = [float(e) for e in gens["epsilon"]]
    rates = [p / s if s else float("nan") for p, s in zip(particles, samples, strict=True)]
    diagnostics = {
        "generations": len(gens),
        "population": spec.population,
        "acceptance_rate": rates[-1],
        "effective_sample_size": ess[-1],
        "epsilon": [None if not math.isfinite(e) else e for e in eps],
        "epsilon_kind": ("temperature (the last is 1: the exact likelihood)"
                         if spec.distance.kind == "normal"
                         else f"tolerance on the {spec.distance.kind} distance (the first, "
                              "infinite, is the prior sample)"),
        "simulations": int(history.total_nr_simulations),
        "calibration_simulations": calibration,
        "per_generation": {"simulations": samples, "accepted": particles,
                           "acceptance_rate": rates, "effective_sample_size": ess},
    }
    return FitResult(spec=spec, posterior=posterior,
                     summary=summarize(posterior, spec.keys), diagnostics=diagnostics)


def _write_csv(table: pd.DataFrame, path: Path) -> Path:
    """Write atomically: a temporary name beside it, then a rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    table.to_csv(tmp, index=False, float_format="%.10g")
    os.replace(tmp, path)
    return path


def fit_record(result) -> dict[str, Any]:
    """What ``fit.json`` holds: the summary of each key under its dotted name (``mean``,
    ``median``, ``ci90`` ...), then ``diagnostics``, ``settings``, ``version``."""
    from simulator import __version__

    spec = result.spec
    record: dict[str, Any] = {
        key: {**result.summary[key], "prior": next(p.describe() for p in spec.priors
                                                   if p.key == key)}
        for key in spec.keys
    }
    return {
        **record,  # keyed by dotted name: no section of the record has a dot in its name
        "diagnostics": result.diagnostics,
        "settings": spec.settings(),
        "version": __version__,
        "reproduce": "the same fit (scenario, data, priors, seed, population) gives the same "
                     "posterior.csv on 1 or N workers of this machine; see docs/guide/fit.md",
    }


def write_outputs(result, folder: Path, *, plots: bool = True,
                  truth: dict[str, float] | None = None) -> dict[str, Path]:
    """``posterior.csv``, ``fit.json``, ``predictive.csv`` and the figures, each atomically."""
    from simulator.sweep.store import write_json

    folder = Path(folder)
    paths = {
        "posterior": _write_csv(result.posterior, folder / "posterior.csv"),
    }
    write_json(folder / "fit.json", fit_record(result))
    paths["fit"] = folder / "fit.json"
    if result.predictive is not None:
        paths["predictive"] = _write_csv(result.predictive, folder / "predictive.csv")
    if plots:
        from simulator.fit.plots import plot_marginals, plot_pairs, plot_predictive

        paths["marginals"] = plot_marginals(result, folder / "posterior_marginals.png", truth)
        if len(result.spec.keys) > 1:
            paths["pairs"] = plot_pairs(result, folder / "posterior_pairs.png", truth)
        if result.predictive is not None:
            paths["predictive_plot"] = plot_predictive(result, folder / "posterior_predictive.png")
    return paths


def format_summary(result) -> str:
    """The table the command prints: per key, mean, median and 90% interval."""
    width = max(12, *(len(k) for k in result.spec.keys)) + 2
    lines = [f"{'key':<{width}}{'mean':>12}{'median':>12}   90% interval"]
    for key in result.spec.keys:
        s = result.summary[key]
        lo, hi = s["ci90"]
        lines.append(f"{key:<{width}}{s['mean']:>12.5g}{s['median']:>12.5g}   "
                     f"[{lo:.5g}, {hi:.5g}]")
    d = result.diagnostics
    eps = [e for e in d["epsilon"] if e is not None]
    lines.append(f"{d['generations']} generations of {d['population']} particles, "
                 f"{d['simulations']:,} simulations; last generation: acceptance "
                 f"{d['acceptance_rate']:.1%}, effective sample size "
                 f"{d['effective_sample_size']:.0f}"
                 + (f", {'temperature' if result.spec.distance.kind == 'normal' else 'tolerance'}"
                    f" {eps[-1]:.4g}" if eps else ""))
    return "\n".join(lines)
