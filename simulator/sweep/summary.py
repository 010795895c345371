"""What a finished sweep ends with besides its Parquet: a table per design point and a figure.

``summary.csv`` has one row per design point: the parameters, then for every metric
its mean over the point's replicates, a 95% interval of that mean (normal, 1.96
standard errors) and the number of replicates. ``summary.png`` draws the first metric
over the first parameter, one line per combination of the others (up to eight; more
are drawn as points), with the intervals as bands.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

#: Lines drawn in the figure before the points are shown without lines.
MAX_LINES = 8


def point_table(results: pd.DataFrame, params: list[str], metrics: list[str]) -> pd.DataFrame:
    """Mean, 95% interval and count of every metric at every design point.

    >>> df = pd.DataFrame({"point": [0, 0, 1, 1], "p": [0.1, 0.1, 0.2, 0.2],
    ...                    "reach": [0.2, 0.4, 0.5, 0.7]})
    >>> t = point_table(df, ["p"], ["reach"])
    >>> t[["p", "reach", "reach_n"]].values.tolist()
    [[0.1, 0.30000000000000004, 2.0], [0.2, 0.6, 2.0]]
    """
    grouped = results.groupby("point", sort=True)
    table = grouped[params].first().reset_index()
    for m in metrics:
        stats = grouped[m].agg(["mean", "std", "count"])
        half = 1.96 * stats["std"].fillna(0.0) / np.sqrt(stats["count"])
        table[m] = stats["mean"].to_numpy()
        table[f"{m}_low"] = (stats["mean"] - half).to_numpy()
        table[f"{m}_high"] = (stats["mean"] + half).to_numpy()
        table[f"{m}_n"] = stats["count"].to_numpy().astype(float)
    return table


def write_summary(out: Path, results: pd.DataFrame, params: list[str],
                  metrics: list[str]) -> tuple[pd.DataFrame, dict[str, Path]]:
    """Write ``summary.csv`` and ``summary.png`` into ``out``; returns the table and paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    table = point_table(results, params, metrics)
    paths = {"summary": out / "summary.csv", "figure": out / "summary.png"}
    table.to_csv(paths["summary"], index=False)
    main, x = metrics[0], params[0]
    others = params[1:]
    from simulator.plots import SLIDE_DPI, SLIDE_INCHES, slide_text

    fig, ax = plt.subplots(figsize=SLIDE_INCHES, constrained_layout=True)  # a 1920x1080 slide
    groups = list(table.groupby(others, sort=True)) if others else [((), table)]
    numeric = pd.api.types.is_numeric_dtype(table[x])
    for key, part in groups:
        part = part.sort_values(x)
        label = ", ".join(f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}"
                          for k, v in zip(others, key if isinstance(key, tuple) else (key,),
                                          strict=False))
        xs = part[x].to_numpy() if numeric else np.arange(len(part))
        if len(groups) <= MAX_LINES:
            ax.plot(xs, part[main], "o-", lw=2.5, ms=8, label=label or None)
            ax.fill_between(xs, part[f"{main}_low"], part[f"{main}_high"], alpha=0.2)
        else:
            ax.plot(xs, part[main], ".", alpha=0.6)
    ax.set_xlabel(x)
    ax.set_ylabel(f"{main} (mean, 95% interval)")
    ax.grid(alpha=0.3)
    if others and len(groups) <= MAX_LINES:
        ax.legend()
    slide_text(fig)
    fig.savefig(paths["figure"], dpi=SLIDE_DPI)
    plt.close(fig)
    return table, paths


def format_summary(table: pd.DataFrame, params: list[str], metric: str, rows: int = 12) -> str:
    """The first ``rows`` design points as a console table (parameters and one metric)."""
    shown = table[[*params, metric, f"{metric}_low", f"{metric}_high"]].head(rows)
    text = shown.to_string(index=False, float_format=lambda v: f"{v:.4g}")
    more = len(table) - len(shown)
    return text + (f"\n... {more} more design points in summary.csv" if more > 0 else "")
