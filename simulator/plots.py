"""Plots for results (matplotlib; kept out of the core, imported by the CLI).

Bands show the spread of outcomes across replicates: the 2.5%–97.5% quantiles
per step, around the mean curve.
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only; never needs a display
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402

COLORS = {
    "n_aware": "#7f7f7f",
    "n_positive": "#2ca02c",
    "n_negative": "#d62728",
    "n_neutral": "#bcbd22",
    "n_customers": "#1f77b4",
    "n_talking_positive": "#98df8a",
    "n_talking_negative": "#ff9896",
    "n_followers": "#9467bd",
}
LABELS = {
    "n_aware": "aware",
    "n_positive": "positive",
    "n_negative": "negative",
    "n_neutral": "undecided",
    "n_customers": "customers",
    "n_talking_positive": "talking positive",
    "n_talking_negative": "talking negative",
    "n_followers": "followers",
}


def bands(ts: pd.DataFrame, column: str, n: int) -> pd.DataFrame:
    """Mean and 2.5/97.5% quantiles of ``column / n`` per step."""
    g = (ts[column] / n).groupby(ts["step"])
    return pd.DataFrame({"mean": g.mean(), "low": g.quantile(0.025), "high": g.quantile(0.975)})


def _panel(ax, ts: pd.DataFrame, columns: list[str], n: int, title: str, color=None, label=None):
    for col in columns:
        if col not in ts:
            continue
        b = bands(ts, col, n)
        c = color or COLORS.get(col)
        ax.plot(b.index, b["mean"], color=c, lw=2, label=label or LABELS.get(col, col))
        ax.fill_between(b.index, b["low"], b["high"], color=c, alpha=0.2, lw=0)
    ax.set_title(title)
    ax.set_xlabel("step")
    ax.set_ylabel("share of population")
    ax.grid(alpha=0.3)
    ax.legend(loc="best", fontsize=8)


def plot_curves(ts: pd.DataFrame, n: int, path: str | Path, title: str = "") -> Path:
    """Opinion curves and talk curves with uncertainty bands, saved as PNG."""
    fig, axes = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    _panel(axes[0], ts, ["n_aware", "n_positive", "n_negative", "n_customers"], n, "opinion")
    _panel(axes[1], ts, ["n_talking_positive", "n_talking_negative"], n, "who is talking")
    if title:
        fig.suptitle(title)
    path = Path(path)
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
