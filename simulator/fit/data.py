"""Observed data: a CSV of series by step, checked against the run it is fitted with.

The file has a ``step`` column and one or more columns named like
``timeseries.csv``'s series (``n_aware``, ``n_negative``, ``cum_reach``, ...).
Rows may cover only some steps, and a cell may be empty (not observed at that
step). Values are counts of the population unless the fit says they are shares
(``--shares``, or ``shares = true`` under ``[data]`` of a fit file); values
that all lie in [0, 1] without that declaration are refused with a hint, since
a share read as a count would fit a brand nobody heard of. A ``replicate``
column is allowed when it holds one value, so a ``virality run --replicates 1``
table can serve as synthetic data as it is.

Everything is compared in shares of the population: counts are divided by
``n`` on reading.

>>> import io
>>> obs = read_observed(io.StringIO("step,n_aware\\n0,0\\n10,250\\n20,600\\n"), n=1000, steps=20)
>>> obs.columns, obs.steps.tolist(), obs.values["n_aware"].tolist()
(('n_aware',), [0, 10, 20], [0.0, 0.25, 0.6])
>>> read_observed(io.StringIO("step,n_awere\\n0,1\\n"), n=1000, steps=20)
Traceback (most recent call last):
...
simulator.errors.ConfigError: --data '<data>': unknown column 'n_awere' (did you mean 'n_aware'?); allowed: step and series names such as n_aware, n_positive, n_negative, cum_reach (see timeseries.csv)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from simulator.errors import ConfigError, suggest


def fittable_columns() -> tuple[str, ...]:
    """Series a fit can match: the integer series of ``timeseries.csv`` (counts).

    Money and reach shares (float series) and ``detection_step`` (a step, not
    a count) are left out: dividing them by the population means nothing.
    """
    from simulator.state.metrics import FLOAT_COLUMNS, PUBLIC_COLUMNS

    return tuple(c for c in PUBLIC_COLUMNS if c not in FLOAT_COLUMNS and c != "detection_step")


def counts_agents(column: str) -> bool:
    """True for a series that counts people (so its share is at most 1).

    Words, impressions, likes and answers can outnumber the population.

    >>> counts_agents("n_negative"), counts_agents("cum_word_positive")
    (True, False)
    """
    people = {"cum_reach", "cum_positive", "cum_negative", "cum_customers", "new_aware",
              "new_positive", "new_negative", "new_customers", "new_disappointed",
              "new_advertising", "new_follows", "new_unfollows"}
    return column.startswith("n_") or column in people


@dataclass(frozen=True)
class Observed:
    """Observed series, in shares of the population, at the steps they were observed.

    Attributes
    ----------
    steps : ndarray of int
        Every step with at least one value, ascending.
    columns : tuple of str
        The series matched, in the file's order.
    values : dict of str to ndarray
        Per column, its shares at ``steps`` (NaN where that column was not observed).
    n : int
        The population the shares are of.
    shares : bool
        Whether the file held shares (otherwise counts); outputs use the file's unit.
    source : str
        The file's name, for messages and ``fit.json``.
    sha256 : str
        The file's content hash (a resumed fit must be fitting the same data).
    """

    steps: np.ndarray
    columns: tuple[str, ...]
    values: dict[str, np.ndarray]
    n: int
    shares: bool = False
    source: str = "<data>"
    sha256: str = ""
    table: pd.DataFrame = field(default_factory=pd.DataFrame, repr=False, compare=False)

    def mask(self, column: str) -> np.ndarray:
        """Where ``column`` was observed, as a boolean array over :attr:`steps`."""
        return np.isfinite(self.values[column])

    def statistics(self) -> dict[str, np.ndarray]:
        """What the fit compares: per column, its observed shares (missing cells dropped)."""
        return {c: self.values[c][self.mask(c)] for c in self.columns}

    def in_file_units(self, shares: np.ndarray) -> np.ndarray:
        """Shares back in the file's unit (counts unless the file held shares)."""
        return shares if self.shares else shares * self.n

    def fingerprint(self) -> dict[str, Any]:
        """What makes two data sets the same fit: values, steps, columns, unit."""
        return {"steps": self.steps.tolist(), "columns": list(self.columns), "n": self.n,
                "shares": self.shares,
                "values": {c: [None if not np.isfinite(v) else float(v) for v in self.values[c]]
                           for c in self.columns}}


def _read_table(source: str | Path | IO[str], label: str) -> tuple[pd.DataFrame, str]:
    """The CSV as a table, and its SHA-256; one-line errors for missing or unreadable files."""
    if isinstance(source, (str, Path)):
        path = Path(source)
        if not path.exists():
            raise ConfigError(f"--data '{label}' not found; expected a CSV file with a step column")
        if not path.is_file():
            raise ConfigError(f"--data '{label}' is not a regular file; expected a CSV file")
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise ConfigError(f"--data '{label}' cannot be read: {exc.strerror or exc}") from None
    else:
        raw = source.read().encode("utf-8")
    digest = hashlib.sha256(raw).hexdigest()
    import io

    try:
        table = pd.read_csv(io.BytesIO(raw), skipinitialspace=True)
    except pd.errors.EmptyDataError:
        raise ConfigError(f"--data '{label}' is empty; expected a header with step and "
                          "series columns, then one row per observed step") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ConfigError(f"--data '{label}' is not a readable CSV file: {first}") from None
    table.columns = [str(c).strip() for c in table.columns]
    return table, digest


def read_observed(
    source: str | Path | IO[str],
    *,
    n: int,
    steps: int,
    columns: list[str] | tuple[str, ...] | None = None,
    shares: bool = False,
    label: str | None = None,
) -> Observed:
    """Read and check observed data for a fit whose runs last ``steps`` steps on ``n`` agents.

    Parameters
    ----------
    source : path or text stream
        The CSV file.
    n : int
        The population (counts are divided by it).
    steps : int
        The run's length; every observed step must lie in ``0 .. steps``.
    columns : list of str, optional
        The series to match (default: every series column of the file).
    shares : bool
        The file holds shares of the population, not counts.
    label : str, optional
        How messages name the file (default: its path).

    Raises
    ------
    ConfigError
        One line naming the column, step or value and what is allowed.
    """
    from simulator.state.metrics import PUBLIC_COLUMNS

    label = label or (str(source) if isinstance(source, (str, Path)) else "<data>")
    where = f"--data '{label}'"
    table, digest = _read_table(source, label)
    if "step" not in table.columns:
        raise ConfigError(f"{where} has no step column (columns: {', '.join(table.columns)}); "
                          "expected a header such as step,n_aware")
    fittable = fittable_columns()
    examples = "step and series names such as n_aware, n_positive, n_negative, cum_reach " \
               "(see timeseries.csv)"
    for col in table.columns:
        if col in ("step", "replicate"):
            continue
        if col not in PUBLIC_COLUMNS:
            raise ConfigError(f"{where}: unknown column '{col}'{suggest(col, PUBLIC_COLUMNS)}; "
                              f"allowed: {examples}")
    if "replicate" in table.columns:
        if table["replicate"].nunique(dropna=False) > 1:
            raise ConfigError(f"{where} holds {table['replicate'].nunique()} replicates; "
                              "expected one observed series (keep one replicate's rows)")
        table = table.drop(columns="replicate")
    available = [c for c in table.columns if c != "step"]
    if not available:
        raise ConfigError(f"{where} has only a step column; expected one or more series "
                          "columns such as n_aware")
    chosen = list(columns) if columns else available
    for col in chosen:
        if col not in available:
            raise ConfigError(f"columns: '{col}' is not a column of {label}"
                              f"{suggest(col, available)}; allowed: {', '.join(available)}")
        if col not in fittable:
            raise ConfigError(f"columns: '{col}' cannot be fitted (not a count of the "
                              "population); allowed: count series such as n_aware, n_negative, "
                              "cum_reach, new_customers")
    if len(set(chosen)) != len(chosen):
        raise ConfigError(f"columns = {chosen!r} is not allowed; a column is listed twice")
    if table.empty:
        raise ConfigError(f"{where} has a header but no rows; expected one row per observed step")

    step = pd.to_numeric(table["step"], errors="coerce")
    bad = table["step"][step.isna() | (step != np.round(step))]
    if len(bad):
        raise ConfigError(f"{where}: step = {bad.iloc[0]!r} is not allowed; expected whole "
                          "steps 0, 1, 2, ...")
    step = step.astype(np.int64)
    if (step < 0).any():
        raise ConfigError(f"{where}: step = {int(step.min())} is out of range; allowed: "
                          f"0 <= step <= {steps}")
    if (step > steps).any():
        raise ConfigError(f"{where}: step = {int(step.max())} is beyond the run; allowed: "
                          f"0 <= step <= {steps} (the run's steps; --steps T runs longer)")
    if step.duplicated().any():
        raise ConfigError(f"{where}: step = {int(step[step.duplicated()].iloc[0])} appears "
                          "twice; expected one row per step")

    values: dict[str, np.ndarray] = {}
    order = np.argsort(step.to_numpy(), kind="stable")
    for col in chosen:
        raw = table[col]
        num = pd.to_numeric(raw, errors="coerce")
        wrong = raw[num.isna() & raw.notna()]
        if len(wrong):
            raise ConfigError(f"{where}: {col} = {wrong.iloc[0]!r} is not allowed; expected a "
                              "number (or an empty cell where it was not observed)")
        arr = num.to_numpy(dtype=float)[order]
        if np.isinf(arr).any():
            raise ConfigError(f"{where}: {col} = inf is not allowed; expected a finite number")
        if not np.isfinite(arr).any():
            raise ConfigError(f"{where}: column {col} has no value; expected at least one "
                              "observed step")
        if (arr[np.isfinite(arr)] < 0).any():
            raise ConfigError(f"{where}: {col} = {np.nanmin(arr):g} is out of range; allowed: "
                              f"{col} >= 0 (a count{' or share' if shares else ''})")
        values[col] = arr
    finite = np.concatenate([v[np.isfinite(v)] for v in values.values()])
    if shares:
        for col in chosen:
            top = np.nanmax(values[col])
            if counts_agents(col) and top > 1:
                raise ConfigError(f"{where}: {col} = {top:g} is out of range with --shares; "
                                  f"allowed: 0 <= {col} <= 1 (a share of the population), or "
                                  "counts without --shares")
    else:
        if finite.size and finite.max() <= 1 and (finite != np.round(finite)).any():
            raise ConfigError(f"{where}: every value lies in [0, 1] and some are fractions "
                              f"(e.g. {finite[finite != np.round(finite)][0]:g}): they look "
                              "like shares; allowed: counts, or shares with --shares "
                              "(shares = true in a fit file)")
        for col in chosen:
            top = np.nanmax(values[col])
            if counts_agents(col) and top > n:
                raise ConfigError(f"{where}: {col} = {top:g} is out of range; allowed: "
                                  f"0 <= {col} <= {n} (the population, graph.n)")
        values = {c: v / n for c, v in values.items()}
    observed_steps = step.to_numpy()[order]
    keep = np.zeros(observed_steps.size, bool)
    for v in values.values():
        keep |= np.isfinite(v)
    return Observed(
        steps=observed_steps[keep],
        columns=tuple(chosen),
        values={c: v[keep] for c, v in values.items()},
        n=int(n),
        shares=bool(shares),
        source=label,
        sha256=digest,
        table=table.iloc[order].reset_index(drop=True),
    )


def write_observed(path: str | Path, steps: np.ndarray, series: dict[str, np.ndarray]) -> Path:
    """Write observed series as a CSV ``read_observed`` reads (``step``, then each series).

    For making synthetic data sets: ``series`` maps names to values at ``steps``.
    """
    path = Path(path)
    table = pd.DataFrame({"step": np.asarray(steps, dtype=np.int64),
                          **{k: np.asarray(v) for k, v in series.items()}})
    path.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(path, index=False)
    return path
