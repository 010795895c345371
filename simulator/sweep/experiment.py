"""Experiment files: what to vary, how, how often, and what to keep.

An experiment is a TOML file::

    name = "smoke"
    scenario = "../scenarios/reference/independent_cascade.toml"  # relative to this file
    seed = 7                 # master seed: every run's seed is spawned from it
    replicates = 3           # runs per design point
    metrics = ["reach", "positive", "negative", "net_sentiment"]  # default: all

    [fixed]                  # overrides of the base scenario, the same in every run
    graph.n = 10_000
    run.steps = 100

    [design]
    kind = "grid"            # grid | random | lhs | sobol | morris

    [parameters]             # section.key = values
    wom.p_positive = [0.05, 0.1, 0.2]                 # a list
    wom.talk_steps = { start = 1, stop = 3, num = 3 } # evenly spaced, both ends included

Sampled designs (``random``, ``lhs``, ``sobol``, ``morris``) take ranges
``{ low = 0.01, high = 0.2 }`` (add ``scale = "log"`` for geometric spacing;
integer parameters cover every integer from ``low`` to ``high``) or lists
(equally likely choices) and a ``[design] samples`` count; ``sobol`` also takes
``second_order`` (default false) and ``morris`` takes ``levels`` (default 4).

Everything is checked on load, like a scenario: unknown keys get the nearest
valid one, parameter names are checked against the scenario schema, and every
design point is applied with :meth:`Scenario.with_overrides` so an
out-of-range value fails before anything runs, in one line.

>>> exp = Experiment.from_dict({"scenario": {"graph": {"kind": "erdos_renyi", "n": 500,
...     "mean_degree": 8}}, "replicates": 2, "parameters": {"wom": {"p_positive": [0.1, 0.2]}}})
>>> exp.n_points, exp.n_runs, exp.swept
(2, 4, ['wom.p_positive'])
>>> Experiment.from_dict({"scenario": {}, "replicate": 2})
Traceback (most recent call last):
...
simulator.errors.ConfigError: unknown key 'replicate' (did you mean 'replicates'?); allowed: ...
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulator.errors import ConfigError, suggest
from simulator.rng import design_seed, run_seed
from simulator.sweep.design import (
    DESIGNS,
    ParamSpec,
    design_size,
    grid,
    is_power_of_two,
    salib_problem,
    unit_sample,
)


def _final_metric_names() -> tuple[str, ...]:
    """The columns of ``Results.finals`` (besides ``replicate``), asked of the engine itself.

    :func:`simulator.engine.results.final_values`, which makes every run's
    finals, on a two-row series of zeros with every public column: a metric
    the engine adds is a metric sweeps can keep, with no list to update here.
    """
    from simulator.engine.results import final_values
    from simulator.state.metrics import PUBLIC_COLUMNS

    return tuple(final_values(np.zeros((2, len(PUBLIC_COLUMNS))), PUBLIC_COLUMNS, 1))


#: Final metrics a sweep can keep (the columns of ``Results.finals``, fractions of the population).
FINAL_METRICS = _final_metric_names()

TOP_KEYS = (
    "name",
    "description",
    "scenario",
    "seed",
    "replicates",
    "metrics",
    "common_random_numbers",
    "fixed",
    "design",
    "parameters",
)
DESIGN_KEYS = ("kind", "samples", "second_order", "levels")
GRID_RANGE_KEYS = ("start", "stop", "num", "scale")
SAMPLE_RANGE_KEYS = ("low", "high", "scale")
#: Set by the sweep itself, so neither fixed nor varied.
RESERVED = ("run.seed", "run.replicates")
#: Points above this many are refused (a typo like samples = 1e9 should not hang the loader).
MAX_POINTS = 10_000_000


def flatten_keys(table: Mapping[str, Any], leaf: tuple[str, ...] = ()) -> dict[str, Any]:
    """``{"wom": {"p_positive": x}}`` or ``{"wom.p_positive": x}`` -> ``{"wom.p_positive": x}``.

    A table whose keys are all in ``leaf`` (a range like ``{start, stop, num}``)
    is a value, not a section.
    """
    out: dict[str, Any] = {}
    for k, v in table.items():
        if isinstance(v, Mapping) and "." not in k and not (v and set(v) <= set(leaf)):
            for k2, v2 in v.items():
                out[f"{k}.{k2}"] = v2
        else:
            out[k] = v
    return out


def _schema() -> dict[str, type]:
    """``{"section.key": python type}`` of every scenario parameter."""
    from simulator.scenario import SECTIONS

    names = {"int": int, "float": float, "str": str, "bool": bool}
    out = {}
    for sec, klass in SECTIONS.items():
        for f in dataclasses.fields(klass):
            t = (
                f.type
                if not isinstance(f.type, str)
                else names.get(f.type.split("|")[0].strip(), object)
            )
            out[f"{sec}.{f.name}"] = t
    return out


def _check_name(name: str, schema: Mapping[str, type], where: str) -> None:
    if name in RESERVED:
        raise ConfigError(
            f"{where} '{name}' is not allowed; the sweep sets it (use the top-level "
            f"'{name.split('.')[1]}' key)"
        )
    if name not in schema:
        section, _, key = name.partition(".")
        keys = [k.split(".", 1)[1] for k in schema if k.startswith(section + ".")]
        hint = suggest(key, keys) if keys else suggest(name, schema)
        raise ConfigError(
            f"unknown parameter '{name}' in {where}{hint}; expected section.key from the "
            "scenario schema, e.g. wom.p_positive (see 'virality validate')"
        )


def _typed(kind: str, key: str, value: Any, *, low: float | None = None) -> Any:
    """Check a top-level value's type (and lower bound) with a one-line error."""
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"{key} = {value!r} is not allowed; expected an integer")
        if low is not None and value < low:
            raise ConfigError(f"{key} = {value!r} is out of range; allowed: {key} >= {low:g}")
    elif kind == "bool" and not isinstance(value, bool):
        raise ConfigError(f"{key} = {value!r} is not allowed; expected true or false")
    elif kind == "str" and not isinstance(value, str):
        raise ConfigError(f"{key} = {value!r} is not allowed; expected a string")
    elif kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
            raise ConfigError(f"{key} = {value!r} is not allowed; expected a number")
    return value


def _unknown(key: str, allowed: tuple[str, ...], where: str = "") -> ConfigError:
    close = suggest(key, allowed)
    if close:
        close = close.replace("'", f"'{where}", 1)
    return ConfigError(
        f"unknown key '{where}{key}'{close}; allowed: " + ", ".join(f"{where}{k}" for k in allowed)
    )


@dataclasses.dataclass(frozen=True)
class Design:
    """The points of an experiment: applied values, and the unit sample they came from."""

    points: list[dict[str, Any]]
    unit: np.ndarray | None  # (points, params) for sampled designs, None for a grid

    def table(self) -> pd.DataFrame:
        """One row per point: ``point``, the applied values, ``u:<name>`` unit coordinates."""
        df = pd.DataFrame(self.points)
        df.insert(0, "point", np.arange(len(self.points), dtype=np.int64))
        if self.unit is not None:
            for j, name in enumerate(df.columns[1:]):
                df[f"u:{name}"] = self.unit[:, j]
        return df


@dataclasses.dataclass(frozen=True)
class Experiment:
    """A validated experiment. Use :meth:`load` for a file, :meth:`from_dict` for a mapping."""

    scenario: Any  # simulator.Scenario, with [fixed] applied
    params: tuple[ParamSpec, ...]
    kind: str = "grid"
    samples: int | None = None
    second_order: bool = False
    levels: int = 4
    replicates: int = 1
    seed: int = 0
    metrics: tuple[str, ...] = FINAL_METRICS
    common_random_numbers: bool = False
    fixed: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    name: str = "experiment"
    description: str = ""
    text: str = ""  # the file's content, recorded in metadata.json
    source: Path | None = None

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path) -> Experiment:
        """Read and validate an experiment TOML file."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"experiment file '{path}' not found")
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"experiment file '{path}' is not valid TOML: {exc}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"experiment file '{path}' is not UTF-8 text") from None
        data.setdefault("name", path.stem)
        return cls.from_dict(data, base_dir=path.parent, text=text, source=path)

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        base_dir: Path | None = None,
        text: str = "",
        source: Path | None = None,
    ) -> Experiment:
        """Build from a nested mapping; ``scenario`` may be a path or an inline scenario table."""
        from simulator.scenario import Scenario

        for key in data:
            if key not in TOP_KEYS:
                raise _unknown(key, TOP_KEYS)
        if "scenario" not in data:
            raise ConfigError(
                "experiment key 'scenario' is missing; expected the path of a scenario file"
            )
        ref = data["scenario"]
        if isinstance(ref, str):
            scen_path = Path(ref) if base_dir is None else Path(base_dir) / ref
            try:
                base = Scenario.load(scen_path)
            except ConfigError as exc:
                raise ConfigError(f"scenario = {ref!r}: {exc}") from None
        elif isinstance(ref, Mapping):
            base = Scenario.from_dict(ref, base_dir=base_dir)
        else:
            raise ConfigError(
                f"scenario = {ref!r} is not allowed; expected a path to a scenario file"
            )

        seed = _typed("int", "seed", data.get("seed", 0), low=0)
        if seed > 2**63 - 1:
            raise ConfigError(f"seed = {seed} is out of range; allowed: 0 <= seed <= 2**63 - 1")
        replicates = _typed("int", "replicates", data.get("replicates", 1), low=1)
        crn = _typed("bool", "common_random_numbers", data.get("common_random_numbers", False))
        name = _typed("str", "name", data.get("name", "experiment"))
        description = _typed("str", "description", data.get("description", ""))

        metrics = data.get("metrics", list(FINAL_METRICS))
        if isinstance(metrics, str):
            metrics = [metrics]
        if not isinstance(metrics, list) or not metrics:
            raise ConfigError(
                f"metrics = {metrics!r} is not allowed; expected a list of metric names"
            )
        for m in metrics:
            if m not in FINAL_METRICS:
                raise ConfigError(
                    f"unknown metric {m!r} in metrics{suggest(str(m), FINAL_METRICS)}; "
                    f"allowed: {', '.join(FINAL_METRICS)}"
                )
        if len(set(metrics)) != len(metrics):
            raise ConfigError(f"metrics = {metrics!r} is not allowed; a metric is listed twice")

        schema = _schema()
        fixed_table = data.get("fixed", {})
        if not isinstance(fixed_table, Mapping):
            raise ConfigError(
                f"'fixed' must be a [fixed] table of section.key = value, got {fixed_table!r}"
            )
        fixed = flatten_keys(fixed_table)
        for k in fixed:
            _check_name(k, schema, "[fixed]")
        try:
            scenario = base.with_overrides(fixed)
        except ConfigError as exc:
            raise ConfigError(f"[fixed]: {exc}") from None

        design = data.get("design", {})
        if not isinstance(design, Mapping):
            raise ConfigError(f"'design' must be a [design] table, got {design!r}")
        for k in design:
            if k not in DESIGN_KEYS:
                raise _unknown(k, DESIGN_KEYS, "design.")
        kind = design.get("kind", "grid")
        if kind not in DESIGNS:
            raise ConfigError(
                f"design.kind = {kind!r} is not allowed{suggest(str(kind), DESIGNS)}; "
                f"allowed: {', '.join(DESIGNS)}"
            )
        samples = design.get("samples")
        if kind == "grid":
            for k in ("samples", "second_order", "levels"):
                if k in design:
                    raise ConfigError(f"design.{k} is not allowed with design.kind = 'grid'")
        else:
            if samples is None:
                raise ConfigError(
                    f"design.samples is missing; design.kind = {kind!r} needs a sample count"
                )
            _typed("int", "design.samples", samples, low=1)
            if kind == "sobol" and not is_power_of_two(samples):
                raise ConfigError(
                    f"design.samples = {samples} is not allowed; sobol needs a power of two "
                    "(Saltelli's N: 64, 128, 256, ...)"
                )
        if "second_order" in design and kind != "sobol":
            raise ConfigError("design.second_order is only allowed with design.kind = 'sobol'")
        if "levels" in design and kind != "morris":
            raise ConfigError("design.levels is only allowed with design.kind = 'morris'")
        second_order = _typed("bool", "design.second_order", design.get("second_order", False))
        levels = _typed("int", "design.levels", design.get("levels", 4), low=2)

        table = data.get("parameters", {})
        if not isinstance(table, Mapping):
            raise ConfigError(f"'parameters' must be a [parameters] table, got {table!r}")
        leaf = GRID_RANGE_KEYS + SAMPLE_RANGE_KEYS
        params = []
        for pname, spec in flatten_keys(table, leaf).items():
            _check_name(pname, schema, "[parameters]")
            if pname in fixed:
                raise ConfigError(
                    f"parameter '{pname}' is both in [fixed] and in [parameters]; keep one"
                )
            params.append(_param_spec(pname, spec, kind, schema[pname], scenario))
        if not params and kind != "grid":
            raise ConfigError(
                f"[parameters] is empty; design.kind = {kind!r} needs at least one range"
            )
        if kind == "morris" and len(params) < 2:
            raise ConfigError("design.kind = 'morris' needs at least two parameters")
        n_points = (
            int(np.prod([len(p.values) for p in params]))
            if kind == "grid"
            else design_size(kind, len(params), samples, second_order=second_order)
        )
        if n_points * replicates > MAX_POINTS:
            raise ConfigError(
                f"{n_points:,} design points x {replicates} replicates is too many runs; "
                f"allowed: at most {MAX_POINTS:,}"
            )
        exp = cls(
            scenario=scenario,
            params=tuple(params),
            kind=kind,
            samples=samples,
            second_order=second_order,
            levels=levels,
            replicates=replicates,
            seed=seed,
            metrics=tuple(metrics),
            common_random_numbers=crn,
            fixed=fixed,
            name=name,
            description=description,
            text=text,
            source=source,
        )
        exp.design  # noqa: B018 - apply every point now so a bad value fails before anything runs
        return exp

    # ------------------------------------------------------------------ design
    @cached_property
    def design(self) -> Design:
        """The design points, each checked with :meth:`Scenario.with_overrides`."""
        params = list(self.params)
        if self.kind == "grid":
            points, unit = grid(params), None
        else:
            seed = design_seed(self.seed)
            unit = unit_sample(
                self.kind,
                params,
                self.samples,
                seed,
                second_order=self.second_order,
                levels=self.levels,
            )
            columns = [p.from_unit(unit[:, j]) for j, p in enumerate(params)]
            points = [dict(zip(self.swept, row, strict=True)) for row in zip(*columns, strict=True)]
        checked = []
        for pt in points:
            try:
                sc = self.scenario.with_overrides(pt)
            except ConfigError as exc:
                raise ConfigError(f"[parameters]: {exc}") from None
            flat = sc.flat()
            checked.append({k: flat[k] for k in pt})  # the value actually used (coerced)
        return Design(checked, unit)

    @property
    def swept(self) -> list[str]:
        """Names of the varied parameters, in file order (the result table's columns)."""
        return [p.name for p in self.params]

    @property
    def n_points(self) -> int:
        return len(self.design.points)

    @property
    def n_runs(self) -> int:
        return self.n_points * self.replicates

    @property
    def graph_swept(self) -> bool:
        """True if some run needs a different graph than the shared one."""
        return any(p.name.startswith("graph.") for p in self.params)

    def problem(self) -> dict[str, Any]:
        """The SALib problem of a sampled design (unit bounds; see :mod:`.design`)."""
        return salib_problem(list(self.params))

    def run_seed(self, run: int) -> int:
        """The seed of run ``run`` (``point * replicates + replicate``); see :func:`run_seed`."""
        return run_seed(self.seed, run, self.replicates, self.common_random_numbers)

    def point_of(self, run: int) -> tuple[int, int]:
        """``(point, replicate)`` of a run index."""
        return divmod(run, self.replicates)


def _param_spec(name: str, spec: Any, kind: str, typ: type, scenario: Any) -> ParamSpec:
    """Parse one ``[parameters]`` entry for a design kind; check its values against the schema."""
    where = f"parameters.{name}"
    integer = typ is int
    if isinstance(spec, list):
        if not spec:
            raise ConfigError(f"{where} = [] is not allowed; expected at least one value")
        out = ParamSpec(name, values=tuple(spec))
        checks = list(spec)
    elif isinstance(spec, Mapping):
        keys = GRID_RANGE_KEYS if kind == "grid" else SAMPLE_RANGE_KEYS
        other = set(spec) & ({"low", "high"} if kind == "grid" else {"start", "stop", "num"})
        if other:
            raise ConfigError(
                f"{where} = {dict(spec)!r} is not allowed with design.kind = {kind!r}; "
                + (
                    "a grid takes a list or { start, stop, num } ({ low, high } ranges are for "
                    "random, lhs, sobol and morris designs)"
                    if kind == "grid"
                    else "a sampled design takes a range { low, high } or a list of choices"
                )
            )
        for k in spec:
            if k not in keys:
                raise _unknown(k, keys, where + ".")
        scale = spec.get("scale", "linear")
        if scale not in ("linear", "log"):
            raise ConfigError(f"{where}.scale = {scale!r} is not allowed; allowed: linear, log")
        if typ not in (int, float):
            raise ConfigError(
                f"{where} = {dict(spec)!r} is not allowed; a {typ.__name__} takes a list of values"
            )
        lo_key, hi_key = ("start", "stop") if kind == "grid" else ("low", "high")
        for k in (lo_key, hi_key) + (("num",) if kind == "grid" else ()):
            if k not in spec:
                raise ConfigError(f"{where}.{k} is missing; a range needs {', '.join(keys[:-1])}")
        lo = _typed("number", f"{where}.{lo_key}", spec[lo_key])
        hi = _typed("number", f"{where}.{hi_key}", spec[hi_key])
        if scale == "log" and (lo <= 0 or hi <= 0):
            raise ConfigError(
                f"{where} = {dict(spec)!r} is not allowed; scale = 'log' needs positive ends"
            )
        if kind == "grid":
            num = _typed("int", f"{where}.num", spec["num"], low=1)
            if num > MAX_POINTS:  # before building the values: a huge num must not hang the load
                raise ConfigError(
                    f"{where}.num = {num:,} is out of range; allowed: 1 <= num <= {MAX_POINTS:,} "
                    "(the most runs a sweep may have)"
                )
            vals = np.geomspace(lo, hi, num) if scale == "log" else np.linspace(lo, hi, num)
            if integer:
                if not np.allclose(vals, np.round(vals)):
                    raise ConfigError(
                        f"{where} = {dict(spec)!r} is not allowed; {name} is an integer and this "
                        f"range gives {', '.join(f'{v:g}' for v in vals)}"
                    )
                values = tuple(int(round(v)) for v in vals)
            else:
                values = tuple(float(v) for v in vals)
            out = ParamSpec(name, values=values)
            checks = [lo, hi, *values]  # the ends as written first: the error quotes them
        else:
            if not lo < hi:
                raise ConfigError(f"{where} = {dict(spec)!r} is not allowed; expected low < high")
            if integer and not (float(lo).is_integer() and float(hi).is_integer()):
                raise ConfigError(f"{where} = {dict(spec)!r} is not allowed; {name} is an integer")
            if integer and scale == "log":
                raise ConfigError(f"{where}.scale = 'log' is not allowed for the integer {name}")
            out = ParamSpec(name, low=lo, high=hi, scale=scale, integer=integer)
            checks = [int(lo), int(hi)] if integer else [lo, hi]
    else:
        raise ConfigError(
            f"{where} = {spec!r} is not allowed; expected a list of values or a range "
            + ("{ start, stop, num }" if kind == "grid" else "{ low, high }")
            + " (put single values in [fixed])"
        )
    if kind in ("sobol", "morris") and not out.is_range and len(out.values) < 2:
        raise ConfigError(f"{where} = {spec!r} is not allowed; {kind} needs a range or 2+ values")
    for v in checks:  # the ends of a range, every listed value
        try:
            scenario.with_overrides({name: v})
        except ConfigError as exc:
            raise ConfigError(f"[parameters]: {exc}") from None
    return out
