"""Results of a run: a tidy time-series table, per-replicate finals, a summary.

Every result carries the parameters, the seed and the package version that
made it, so every printed figure can be reproduced from the written files.
"""

from __future__ import annotations

import functools
import json
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.state.metrics import BY_NAME, reduce_series

# Two-sided 97.5% Student t quantiles for df = 1..30; beyond that the normal's.
_T975 = (
    12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
    2.201, 2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
    2.080, 2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042,
)


def ci95(values: np.ndarray) -> tuple[float, float]:
    """95% confidence interval of the mean (Student t; a point if one value).

    >>> ci95(np.array([1.0, 2.0, 3.0]))
    (-0.484..., 4.484...)
    """
    values = np.asarray(values, dtype=float)
    m = float(values.mean())
    if values.size < 2:
        return (m, m)
    df = values.size - 1
    t = _T975[df - 1] if df <= len(_T975) else 1.96
    half = t * float(values.std(ddof=1)) / math.sqrt(values.size)
    return (m - half, m + half)


#: Final metrics reported as fractions of the population: summary name -> series column.
FRACTIONS = {
    "reach": "cum_reach",
    "aware": "n_aware",
    "positive": "n_positive",
    "negative": "n_negative",
    "neutral": "n_neutral",
    "customers": "n_customers",
    "ever_positive": "cum_positive",
    "ever_negative": "cum_negative",
}


#: Final values of the brand's side (their series' last values): name -> series column.
LAST_VALUES = {
    "followers": "n_followers",
    "bell": "n_bell",
    "responses": "cum_responses",
    "cost": "cum_cost",
    "value": "cum_value",
    "npv": "cum_npv",
}


@functools.lru_cache(maxsize=16)
def _positions(names: tuple[str, ...]) -> dict[str, int]:
    """Series name -> column, for a tuple of names (few distinct ones per process)."""
    return {name: i for i, name in enumerate(names)}


def final_values(series: np.ndarray, names: list[str], n: int) -> dict[str, float]:
    """Final metrics of one replicate from its ``(steps + 1, len(names))`` series.

    Fractions of the population (:data:`FRACTIONS`, ``followers``, ``bell``,
    ``negative_talk``: negative words spoken per agent), net sentiment, peaks
    of talk, the positive share of all word, the step by which half the final
    reach was reached, the brand's detection step (NaN if it never noticed),
    responses, and money: ``cost``, ``value`` (of the customers won),
    ``profit``, ``roi`` = profit / cost (NaN without cost) and ``npv``, the
    profit discounted to step 0 at ``brand.discount_rate`` (equal to profit at
    rate 0).
    """
    col = _positions(tuple(names))
    # Most finals are a series' last value: read the last row once (a sweep asks for
    # these at every run, and a NumPy call per metric costs more than a small run's kernel).
    last = np.asarray(series[-1], dtype=np.float64).tolist()

    def over_run(name: str) -> float:  # as the table of series says: last value, peak, ...
        if BY_NAME[name].aggregate == "last":
            return last[col[name]]
        return reduce_series(series[:, col[name]], name)

    out: dict[str, float] = {}
    for name, column in FRACTIONS.items():
        if column in col:
            out[name] = over_run(column) / n
    out["net_sentiment"] = out["positive"] - out["negative"]
    out["peak_talking_negative"] = over_run("n_talking_negative") / n
    out["peak_talking_positive"] = over_run("n_talking_positive") / n
    pos, neg = over_run("cum_word_positive"), over_run("cum_word_negative")
    out["word_positive_share"] = pos / (pos + neg) if pos + neg else float("nan")
    out["negative_talk"] = neg / n
    reached = series[:, col["cum_reach"]]
    half = np.searchsorted(reached, reached[-1] / 2.0) if reached[-1] > reached[0] else 0
    out["t_half_reach"] = int(min(half, len(series) - 1))
    for name in ("followers", "bell"):
        if LAST_VALUES[name] in col:
            out[name] = over_run(LAST_VALUES[name]) / n
    if "detection_step" in col:
        step = over_run("detection_step")
        out["detection_step"] = step if step >= 0 else float("nan")
    for name in ("responses", "cost", "value"):
        if LAST_VALUES[name] in col:
            out[name] = over_run(LAST_VALUES[name])
    if "cost" in out:
        out["profit"] = out["value"] - out["cost"]
        out["roi"] = out["profit"] / out["cost"] if out["cost"] > 0 else float("nan")
    if LAST_VALUES["npv"] in col:
        out["npv"] = over_run(LAST_VALUES["npv"])
    return out


def final_metrics(ts: pd.DataFrame, n: int) -> pd.DataFrame:
    """One row per replicate (column ``replicate``), the :func:`final_values` of each."""
    names = [c for c in ts.columns if c not in ("replicate", "step")]
    rows = []
    for rep, g in ts.groupby("replicate", sort=True):
        values = g[names].to_numpy(dtype=np.float64)
        rows.append({"replicate": int(rep), **final_values(values, names, n)})
    return pd.DataFrame(rows)


@dataclass
class Results:
    """What :func:`simulator.run` returns.

    Attributes
    ----------
    timeseries : DataFrame
        One row per replicate and step: ``replicate``, ``step``, then metrics.
    finals : DataFrame
        One row per replicate: final metrics as fractions of the population.
    summary : dict
        ``replicates`` (per-replicate finals with seeds), ``mean``, ``ci95``,
        plus scenario, seed, version, graph description.
    """

    timeseries: pd.DataFrame
    finals: pd.DataFrame
    scenario: Any
    seed: int
    n: int
    graph_meta: dict[str, Any]
    replicate_seeds: list[dict[str, Any]]
    version: str
    elapsed: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)

    def plot(self, path: str | Path | None = None, title: str | None = None):
        """The opinion and talk curves with their bands across replicates.

        Returns the matplotlib Figure (shown inline in a notebook); with ``path``
        it is also saved there (PNG, SVG or PDF, by the extension).

        Examples
        --------
        >>> import simulator
        >>> res = simulator.run({"graph": {"kind": "erdos_renyi", "n": 300, "mean_degree": 6},
        ...                      "run": {"steps": 5, "replicates": 2}})
        >>> fig = res.plot()
        >>> [ax.get_title() for ax in fig.axes]
        ['opinion', 'who is talking']
        """
        from simulator.plots import curves_figure

        fig = curves_figure(self.timeseries, self.n,
                            self.scenario.name if title is None else title)
        if path is not None:
            fig.savefig(Path(path), dpi=110)
        return fig

    @property
    def summary(self) -> dict[str, Any]:
        metrics = [c for c in self.finals.columns if c != "replicate"]
        reps = []
        for (_, row), seed in zip(self.finals.iterrows(), self.replicate_seeds, strict=True):
            d = {k: _clean(v) for k, v in row.items()}
            d["replicate"] = int(row["replicate"])
            d["seed"] = seed
            reps.append(d)
        mean = {m: _clean(self.finals[m].mean()) for m in metrics}
        parameters = self.scenario.to_dict()
        if self.extra.get("graph_given"):
            # The run used a graph passed to simulator.run, not the [graph] section: say so,
            # rather than record a section that did not make the numbers.
            parameters["graph"] = {"given": True, **{k: _clean(v) for k, v in self.graph_meta.items()}}
        ci = {m: [_clean(x) for x in ci95(self.finals[m].dropna().to_numpy())]
              if self.finals[m].notna().any() else [None, None] for m in metrics}
        return {
            "scenario": self.scenario.name,
            "seed": self.seed,
            "n": self.n,
            "steps": int(self.timeseries["step"].max()),
            "replicates": reps,
            "mean": mean,
            "ci95": ci,
            "parameters": parameters,
            "graph": {k: _clean(v) for k, v in self.graph_meta.items()},
            "version": self.version,
            "elapsed_seconds": round(self.elapsed, 3),
        }

    def mean_series(self) -> pd.DataFrame:
        """Mean, 2.5% and 97.5% quantiles of each metric per step (for plots)."""
        g = self.timeseries.drop(columns=["replicate"]).groupby("step")
        return g.mean()

    def write(self, out_dir: str | Path) -> dict[str, Path]:
        """Write ``timeseries.csv`` and ``summary.json`` into ``out_dir``."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        paths = {"timeseries": out / "timeseries.csv", "summary": out / "summary.json"}
        _atomic_write(paths["timeseries"], self.timeseries.to_csv(index=False))
        _atomic_write(paths["summary"], json.dumps(self.summary, indent=2) + "\n")
        return paths


_NOT_IN_A_FOLDER_NAME = re.compile(r"[^A-Za-z0-9._-]+")


def default_out_dir(name: str) -> Path:
    """``results/<name>``, the name made a plain folder name: a label, never a path.

    >>> default_out_dir("quickstart").as_posix(), default_out_dir("../../etc/x").as_posix()
    ('results/quickstart', 'results/etc_x')
    >>> default_out_dir("/").as_posix(), len(default_out_dir("a" * 300).name)
    ('results/scenario', 100)
    """
    folder = _NOT_IN_A_FOLDER_NAME.sub("_", name).strip("._")[:100].strip("._")
    return Path("results") / (folder or "scenario")


def _atomic_write(path: Path, text: str) -> None:
    """Write via a temporary file and rename: an interrupted run never leaves half a file."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _clean(v: Any) -> Any:
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, (np.floating, float)):
        f = float(v)
        return None if math.isnan(f) else f
    if isinstance(v, np.ndarray):
        return v.tolist()
    return v
