"""A fit's figures at slide size (16 x 9 inches at 120 dpi: 1920 x 1080, an SVG beside each).

* ``posterior_marginals.png``: per key, the weighted posterior histogram over
  its prior, the 90% interval shaded, the median (and the true value, when known);
* ``posterior_pairs.png``: every pair of keys, particles shaded by weight, with
  the marginals on the diagonal (written for two keys or more);
* ``posterior_predictive.png``: per observed column, the data over the
  posterior predictive band (5-95% of the simulated series, and the median).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import numpy as np

from simulator.plots import SLIDE_INCHES, _grid, _save_atomic, slide_text

POSTERIOR = "#1f77b4"
PRIOR = "#7f7f7f"
TRUTH = "#d62728"
BINS = 30


def _title(result) -> str:
    spec, d = result.spec, result.diagnostics
    return (f"{spec.name}: {d['generations']} generations of {d['population']} particles, "
            f"{d['simulations']:,} simulations, seed {spec.seed}")


def _range(prior, values: np.ndarray) -> tuple[float, float]:
    """What to show of a key: its prior's support, or (unbounded) around the particles."""
    lo, hi = prior.low, prior.high
    if not np.isfinite(lo) or not np.isfinite(hi):
        pad = 3 * (np.std(values) or 1.0)
        lo = lo if np.isfinite(lo) else float(values.min() - pad)
        hi = hi if np.isfinite(hi) else float(values.max() + pad)
    return lo, hi


def plot_marginals(result, path: str | Path, truth: Mapping[str, float] | None = None) -> Path:
    """Each key's marginal posterior over its prior (see the module docstring)."""
    spec, post = result.spec, result.posterior
    fig, axes = _grid(len(spec.keys), SLIDE_INCHES)
    w = post["weight"].to_numpy(float)
    for ax, prior in zip(axes, spec.priors, strict=True):
        x = post[prior.key].to_numpy(float)
        lo, hi = _range(prior, x)
        edges = (np.geomspace(lo, hi, BINS + 1) if prior.kind == "loguniform"
                 else np.linspace(lo, hi, BINS + 1))
        ax.hist(x, bins=edges, weights=w, density=True, color=POSTERIOR, alpha=0.75,
                label="posterior")
        grid = np.geomspace(lo, hi, 400) if prior.kind == "loguniform" else np.linspace(lo, hi, 400)
        ax.plot(grid, prior.density(grid), color=PRIOR, lw=2, ls="--", label="prior")
        s = result.summary[prior.key]
        ax.axvspan(*s["ci90"], color=POSTERIOR, alpha=0.12, label="90% interval")
        ax.axvline(s["median"], color=POSTERIOR, lw=2, label=f"median {s['median']:.4g}")
        if truth and prior.key in truth:
            ax.axvline(truth[prior.key], color=TRUTH, lw=2.5, ls=":",
                       label=f"true {truth[prior.key]:.4g}")
        if prior.kind == "loguniform":
            ax.set_xscale("log")
        ax.set_xlim(lo, hi)
        ax.set_title(prior.key)
        ax.set_xlabel(f"{prior.key} (per step)")
        ax.set_ylabel("density")
        ax.legend(loc="upper right")
    fig.suptitle(_title(result))
    slide_text(fig)
    return _save_atomic(fig, path)


def plot_pairs(result, path: str | Path, truth: Mapping[str, float] | None = None) -> Path:
    """Every pair of keys (lower triangle), the marginals on the diagonal."""
    import matplotlib.pyplot as plt

    spec, post = result.spec, result.posterior
    k = len(spec.keys)
    fig, axes = plt.subplots(k, k, figsize=SLIDE_INCHES, constrained_layout=True, squeeze=False)
    w = post["weight"].to_numpy(float)
    shade = 0.15 + 0.85 * w / w.max()
    colors = np.zeros((len(w), 4))
    colors[:, :3] = (0.12, 0.47, 0.71)
    colors[:, 3] = shade
    for i, pi in enumerate(spec.priors):
        xi = post[pi.key].to_numpy(float)
        for j, pj in enumerate(spec.priors):
            ax = axes[i, j]
            if j > i:
                ax.set_visible(False)
                continue
            xj = post[pj.key].to_numpy(float)
            if i == j:
                lo, hi = _range(pi, xi)
                edges = (np.geomspace(lo, hi, BINS + 1) if pi.kind == "loguniform"
                         else np.linspace(lo, hi, BINS + 1))
                ax.hist(xi, bins=edges, weights=w, color=POSTERIOR, alpha=0.75)
                if truth and pi.key in truth:
                    ax.axvline(truth[pi.key], color=TRUTH, lw=2, ls=":")
                if pi.kind == "loguniform":
                    ax.set_xscale("log")
                ax.set_xlim(lo, hi)
                ax.set_yticks([])
                ax.set_title(pi.key)
            else:
                ax.scatter(xj, xi, s=14, c=colors, edgecolors="none")
                if truth and pi.key in truth and pj.key in truth:
                    ax.plot(truth[pj.key], truth[pi.key], marker="*", ms=18, color=TRUTH,
                            mec="white")
                for prior, setter, scale in ((pj, ax.set_xlim, ax.set_xscale),
                                             (pi, ax.set_ylim, ax.set_yscale)):
                    setter(*_range(prior, post[prior.key].to_numpy(float)))
                    if prior.kind == "loguniform":
                        scale("log")
            if i == k - 1:
                ax.set_xlabel(pj.key)
            if j == 0 and i > 0:
                ax.set_ylabel(pi.key)
    fig.suptitle(_title(result) + " (darker: heavier particles"
                 + ("; star: the true values)" if truth else ")"))
    slide_text(fig)
    return _save_atomic(fig, path)


def plot_predictive(result, path: str | Path) -> Path:
    """The observed data over the posterior predictive band, one panel per column."""
    spec, band = result.spec, result.predictive
    obs = spec.observed
    fig, axes = _grid(len(obs.columns), SLIDE_INCHES)
    unit = "share of the population" if obs.shares else "people"
    for ax, col in zip(axes, obs.columns, strict=True):
        b = band[band["column"] == col]
        ax.fill_between(b["step"], b["low"], b["high"], color=POSTERIOR, alpha=0.25,
                        label="posterior predictive, 5-95%")
        ax.plot(b["step"], b["median"], color=POSTERIOR, lw=2, label="median")
        mask = obs.mask(col)
        ax.plot(obs.steps[mask], obs.in_file_units(obs.values[col][mask]), "o", color="black",
                ms=6, label="observed")
        ax.set_title(col)
        ax.set_xlabel(f"step ({spec.scenario.run.step})")
        ax.set_ylabel(col if col.startswith(("new_", "cum_word")) else unit)
        ax.legend(loc="best")
    fig.suptitle(_title(result) + f"; {spec.predictive_draws} posterior draws")
    slide_text(fig)
    return _save_atomic(fig, path)
