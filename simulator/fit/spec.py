"""What a fit is: the scenario, the observed data, the priors, the distance, the ABC settings.

A fit is given on the command line (``virality fit SCENARIO --data obs.csv
--param wom.p_positive=0.001:0.1``) or by a fit file, a TOML file like an
experiment (``virality fit FIT.toml``)::

    name = "crisis_outage"
    scenario = "../scenarios/crisis.toml"   # relative to this file
    seed = 7                                 # default: the scenario's run.seed
    steps = 60                               # default: the scenario's run.steps

    [fixed]                                  # overrides of the scenario (as --set)
    graph.n = 5000

    [data]
    file = "outage.csv"                      # relative to this file
    columns = ["n_negative", "cum_negative"] # default: every series column of the file
    shares = false                           # true: values are shares of the population

    [parameters]                             # the priors
    wom.p_negative = { low = 0.01, high = 0.2, scale = "log" }       # log-uniform
    crisis.share = { low = 0.05, high = 0.6 }                        # uniform
    crisis.p_win_back = { prior = "normal", mean = 0.5, sd = 0.15 }  # truncated normal

    [distance]
    kind = "rmse"            # rmse | mae | normal (a measurement-noise likelihood)
    weights = { n_negative = 2.0 }          # default 1 for every column
    # sd = 0.01              # normal: noise standard deviation, in shares

    [abc]
    population = 200         # particles per generation
    generations = 8          # the first is the prior sample
    quantile = 0.5           # each tolerance: this quantile of the last generation's distances
    min_epsilon = 0.0        # stop once the tolerance is this small
    max_simulations = 200000 # stop once this many ran (default 100 x population x generations)
    predictive_draws = 100   # posterior draws for the predictive band

A fit file is told from a scenario file by its top-level ``scenario`` key
(a scenario file never has one). Options on the command line override the
file (``--param`` adds or replaces a prior, ``--set`` adds to ``[fixed]``).

Fitted keys must be real numbers of the scenario schema (``virality keys``),
outside ``[graph]`` (every simulation shares one friend graph) and ``[run]``
(set by the fit). Every range end is applied with
:meth:`Scenario.with_overrides`, so a range outside a key's allowed values
fails before anything runs, in one line, as everywhere else.

>>> p = parse_param("wom.p_positive=0.001:0.1")
>>> p
('wom.p_positive', {'low': 0.001, 'high': 0.1})
>>> parse_param("wom.p_positive=0.1:0.01")
Traceback (most recent call last):
...
simulator.errors.ConfigError: --param wom.p_positive=0.1:0.01 is not allowed; expected LOW < HIGH
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from simulator.errors import ConfigError, suggest
from simulator.sweep.experiment import flatten_keys

TOP_KEYS = ("name", "description", "scenario", "seed", "steps", "fixed", "data", "parameters",
            "distance", "abc")
DATA_KEYS = ("file", "columns", "shares")
PRIOR_KEYS = ("prior", "low", "high", "scale", "mean", "sd")
DISTANCE_KEYS = ("kind", "weights", "sd")
ABC_KEYS = ("population", "generations", "quantile", "min_epsilon", "initial_epsilon",
            "max_simulations", "predictive_draws")
PRIORS = ("uniform", "loguniform", "normal")
DISTANCES = ("rmse", "mae", "normal")
#: Sections a fit cannot vary: one friend graph serves every simulation, and the fit sets [run].
FROZEN_SECTIONS = ("graph", "run")

#: Defaults of ``[abc]``: enough for two or three parameters of a story-sized scenario.
DEFAULT_POPULATION = 200
DEFAULT_GENERATIONS = 8
DEFAULT_QUANTILE = 0.5
DEFAULT_PREDICTIVE_DRAWS = 100
#: Default ``abc.max_simulations``: this many per particle and generation.
DEFAULT_BUDGET_PER_PARTICLE = 100


@dataclasses.dataclass(frozen=True)
class Prior:
    """The prior of one fitted key.

    Attributes
    ----------
    key : str
        The dotted scenario key, e.g. ``wom.p_positive``.
    kind : {"uniform", "loguniform", "normal"}
        The prior's family; ``normal`` is truncated to ``[low, high]``.
    low, high : float
        The support (for ``normal``, default the key's allowed range).
    mean, sd : float, optional
        The normal prior's centre and spread.
    """

    key: str
    kind: str
    low: float
    high: float
    mean: float | None = None
    sd: float | None = None

    def rv(self):
        """The prior as a :class:`pyabc.RV` (scipy.stats under the hood)."""
        import pyabc

        if self.kind == "uniform":
            return pyabc.RV("uniform", self.low, self.high - self.low)
        if self.kind == "loguniform":
            return pyabc.RV("loguniform", self.low, self.high)
        a, b = (self.low - self.mean) / self.sd, (self.high - self.mean) / self.sd
        return pyabc.RV("truncnorm", a, b, loc=self.mean, scale=self.sd)

    def density(self, x):
        """The prior density at ``x`` (an array), for the figures."""
        return self.rv().pdf(x)

    def describe(self) -> dict[str, Any]:
        """As ``fit.json`` records it."""
        out: dict[str, Any] = {"prior": self.kind, "low": self.low, "high": self.high}
        if self.kind == "normal":
            out.update(mean=self.mean, sd=self.sd)
        return out


@dataclasses.dataclass(frozen=True)
class DistanceSpec:
    """How a simulated series is compared with the observed one.

    ``rmse`` and ``mae`` are distances (ABC with a tolerance that shrinks each
    generation); ``normal`` is a likelihood: the data are the simulation plus
    independent normal noise of standard deviation ``sd`` (in shares), which
    pyabc's stochastic acceptor samples exactly in the last generation.
    """

    kind: str = "rmse"
    weights: Mapping[str, float] = dataclasses.field(default_factory=dict)
    sd: float | None = None

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "weights": dict(self.weights)}
        if self.kind == "normal":
            out["sd"] = self.sd
        return out


@dataclasses.dataclass(frozen=True)
class FitSpec:
    """A checked fit: build with :meth:`create` (Python) or :meth:`load` (a fit file).

    Attributes
    ----------
    scenario : Scenario
        The scenario with ``[fixed]`` and ``--set`` applied; ``run.steps`` set to :attr:`steps`.
    priors : tuple of Prior
        One per fitted key, in the order given.
    observed : Observed
        The data, in shares of the population.
    """

    scenario: Any
    priors: tuple[Prior, ...]
    observed: Any
    steps: int
    seed: int
    distance: DistanceSpec = DistanceSpec()
    population: int = DEFAULT_POPULATION
    generations: int = DEFAULT_GENERATIONS
    quantile: float = DEFAULT_QUANTILE
    min_epsilon: float = 0.0
    initial_epsilon: float | None = None
    max_simulations: int = 0
    predictive_draws: int = DEFAULT_PREDICTIVE_DRAWS
    fixed: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    name: str = "fit"
    description: str = ""
    text: str = ""
    source: Path | None = None

    @property
    def keys(self) -> list[str]:
        """The fitted keys, in order (the columns of ``posterior.csv``)."""
        return [p.key for p in self.priors]

    def fingerprint(self) -> str:
        """What makes two fits the same, so ``--resume`` continues only its own fit.

        The stopping rules (``generations``, ``min_epsilon``, ``max_simulations``)
        and ``predictive_draws`` do not count: a stopped fit can be resumed
        with more generations.
        """
        from simulator import __version__

        blob = json.dumps({
            "scenario": self.scenario.flat(), "priors": [p.describe() | {"key": p.key}
                                                         for p in self.priors],
            "observed": self.observed.fingerprint(), "steps": self.steps, "seed": self.seed,
            "distance": self.distance.describe(), "population": self.population,
            "quantile": self.quantile, "initial_epsilon": self.initial_epsilon,
            "version": __version__,
        }, sort_keys=True, default=str)
        return hashlib.sha256(blob.encode()).hexdigest()

    def settings(self) -> dict[str, Any]:
        """The settings ``fit.json`` and ``setup.json`` record."""
        return {
            "name": self.name, "description": self.description,
            "scenario": self.scenario.name,
            "scenario_file": (os.path.normpath(self.scenario.source) if self.scenario.source
                              else None),
            "fit_file": os.path.normpath(self.source) if self.source else None,
            "data_file": self.observed.source, "data_sha256": self.observed.sha256,
            "columns": list(self.observed.columns), "shares": self.observed.shares,
            "observed_steps": self.observed.steps.tolist(), "n": self.observed.n,
            "steps": self.steps, "seed": self.seed, "fixed": dict(self.fixed),
            "priors": {p.key: p.describe() for p in self.priors},
            "distance": self.distance.describe(),
            "abc": {"population": self.population, "generations": self.generations,
                    "quantile": self.quantile, "min_epsilon": self.min_epsilon,
                    "initial_epsilon": self.initial_epsilon,
                    "max_simulations": self.max_simulations,
                    "predictive_draws": self.predictive_draws},
        }

    # ------------------------------------------------------------------ building
    @classmethod
    def create(
        cls,
        scenario: Any,
        data: Any,
        params: Mapping[str, Any],
        *,
        columns: Sequence[str] | None = None,
        shares: bool = False,
        steps: int | None = None,
        seed: int | None = None,
        fixed: Mapping[str, Any] | None = None,
        distance: str = "rmse",
        weights: Mapping[str, float] | None = None,
        sd: float | None = None,
        population: int = DEFAULT_POPULATION,
        generations: int = DEFAULT_GENERATIONS,
        quantile: float = DEFAULT_QUANTILE,
        min_epsilon: float = 0.0,
        initial_epsilon: float | None = None,
        max_simulations: int | None = None,
        predictive_draws: int = DEFAULT_PREDICTIVE_DRAWS,
        name: str | None = None,
        description: str = "",
        text: str = "",
        source: Path | None = None,
        data_label: str | None = None,
        where: str = "--param",
    ) -> FitSpec:
        """Check everything and build a fit.

        Parameters
        ----------
        scenario : Scenario or path
            The scenario to fit.
        data : path, text stream, or Observed
            The observed CSV (see :func:`simulator.fit.data.read_observed`).
        params : mapping
            ``{"wom.p_positive": (0.001, 0.1)}``, or a fit file's prior tables
            (``{"low": .., "high": .., "scale": "log"}``,
            ``{"prior": "normal", "mean": .., "sd": ..}``), or :class:`Prior`.
        columns, shares
            Which data columns to match; whether they are shares.
        steps, seed
            The run's length and the fit's master seed (default: the scenario's ``[run]``).
        fixed : mapping, optional
            Overrides of the scenario (``--set``).
        distance, weights, sd
            See :class:`DistanceSpec`.
        population, generations, quantile, min_epsilon, initial_epsilon, max_simulations
            ABC-SMC settings (see the module docstring).
        """
        from simulator.engine.run import as_scenario
        from simulator.fit.data import Observed, read_observed
        from simulator.params import check_run_value

        base = as_scenario(scenario)
        fixed = dict(fixed or {})
        for key in fixed:
            if key in ("run.seed", "run.replicates", "run.steps"):
                raise ConfigError(f"--set {key} is not allowed in a fit; the fit sets it "
                                  f"(use --{key.split('.')[1]})")
        try:
            base = base.with_overrides(fixed)
        except ConfigError as exc:
            raise ConfigError(f"[fixed]: {exc}" if source else str(exc)) from None
        steps = base.run.steps if steps is None else check_run_value("steps", steps, "--steps")
        seed = base.run.seed if seed is None else check_run_value("seed", seed, "--seed")
        base = base.with_overrides({"run.steps": steps, "run.replicates": 1})
        if not params:
            raise ConfigError("no parameter to fit; allowed: one or more --param KEY=LOW:HIGH "
                              "(or a [parameters] table in a fit file)")
        priors = []
        for key, spec in params.items():
            if key in fixed:
                raise ConfigError(f"'{key}' is both fixed (--set or [fixed]) and fitted "
                                  f"({where}); keep one")
            priors.append(spec if isinstance(spec, Prior) else make_prior(key, spec, base, where))
        n = _population(base)
        observed = data if isinstance(data, Observed) else read_observed(
            data, n=n, steps=steps, columns=columns, shares=shares, label=data_label)
        dist = make_distance(distance, weights, sd, observed.columns)
        population = _positive_int("abc.population", population, 2)
        generations = _positive_int("abc.generations", generations, 1)
        predictive_draws = _positive_int("abc.predictive_draws", predictive_draws, 1)
        quantile = _number("abc.quantile", quantile)
        if not 0 < quantile < 1:
            raise ConfigError(f"abc.quantile = {quantile!r} is out of range; allowed: "
                              "0 < quantile < 1")
        min_epsilon = _number("abc.min_epsilon", min_epsilon)
        if min_epsilon < 0:
            raise ConfigError(f"abc.min_epsilon = {min_epsilon!r} is out of range; allowed: "
                              "min_epsilon >= 0")
        if initial_epsilon is not None:
            initial_epsilon = _number("abc.initial_epsilon", initial_epsilon)
            if initial_epsilon <= 0:
                raise ConfigError(f"abc.initial_epsilon = {initial_epsilon!r} is out of range; "
                                  "allowed: initial_epsilon > 0")
            if dist.kind == "normal":
                raise ConfigError("abc.initial_epsilon is not allowed with distance.kind = "
                                  "'normal' (a likelihood has temperatures, not tolerances)")
        if max_simulations is None:
            # A guard, not a target: a fit that needs more is not converging (its acceptance
            # is under 1%), and without one a too-small tolerance would run for ever.
            max_simulations = DEFAULT_BUDGET_PER_PARTICLE * population * generations
        max_simulations = _positive_int("abc.max_simulations", max_simulations, population)
        return cls(
            scenario=base, priors=tuple(priors), observed=observed, steps=steps, seed=seed,
            distance=dist, population=population, generations=generations, quantile=quantile,
            min_epsilon=min_epsilon, initial_epsilon=initial_epsilon,
            max_simulations=max_simulations, predictive_draws=predictive_draws, fixed=fixed,
            name=name or base.name, description=description, text=text, source=source,
        )

    @classmethod
    def load(cls, path: str | Path, **options: Any) -> FitSpec:
        """Read a fit file; ``options`` (from the command line) override its values.

        ``options`` may hold ``data``, ``params`` (added to or replacing the
        file's priors), ``fixed`` (added to ``[fixed]``), ``columns``,
        ``shares``, ``steps``, ``seed``, ``population``, ``generations``.
        """
        path = Path(path)
        tables = read_fit_file(path)
        return cls.from_dict(tables, base_dir=path.parent, text=path.read_text(encoding="utf-8"),
                             source=path, **options)

    @classmethod
    def from_dict(cls, tables: Mapping[str, Any], /, *, base_dir: Path | None = None,
                  text: str = "", source: Path | None = None, **options: Any) -> FitSpec:
        """Build from a fit file's tables (see :meth:`load`)."""
        data = tables
        for key in data:
            if key not in TOP_KEYS:
                raise _unknown(key, TOP_KEYS)
        if "scenario" not in data or not isinstance(data["scenario"], str):
            raise ConfigError("fit file key 'scenario' is missing or not a path; expected "
                              "scenario = \"path/to/scenario.toml\"")
        base_dir = Path(base_dir) if base_dir is not None else Path(".")
        from simulator.scenario import Scenario

        ref = data["scenario"]
        try:
            scenario = Scenario.load(base_dir / ref)
        except ConfigError as exc:
            raise ConfigError(f"scenario = {ref!r}: {exc}") from None
        tables = {k: _table(data, k) for k in ("fixed", "data", "parameters", "distance", "abc")}
        for name, allowed in (("data", DATA_KEYS), ("distance", DISTANCE_KEYS),
                              ("abc", ABC_KEYS)):
            for key in tables[name]:
                if key not in allowed:
                    raise _unknown(key, allowed, f"{name}.")
        fixed = {**flatten_keys(tables["fixed"]), **dict(options.pop("fixed", None) or {})}
        params = dict(flatten_keys(tables["parameters"], leaf=PRIOR_KEYS))
        params.update(options.pop("params", None) or {})
        file_data = tables["data"]
        data_arg = options.pop("data", None)
        if data_arg is None:
            if "file" not in file_data:
                raise ConfigError("data.file is missing; expected [data] file = \"observed.csv\" "
                                  "(or --data)")
            if not isinstance(file_data["file"], str):
                raise ConfigError(f"data.file = {file_data['file']!r} is not allowed; expected "
                                  "a path in quotes")
            data_arg, label = base_dir / file_data["file"], file_data["file"]
        else:
            label = str(data_arg)
        columns = options.pop("columns", None) or file_data.get("columns")
        if columns is not None and (not isinstance(columns, list)
                                    or not all(isinstance(c, str) for c in columns)):
            raise ConfigError(f"data.columns = {columns!r} is not allowed; expected a list of "
                              "series names such as [\"n_aware\"]")
        shares = options.pop("shares", None)
        if shares is None:
            shares = file_data.get("shares", False)
            if not isinstance(shares, bool):
                raise ConfigError(f"data.shares = {shares!r} is not allowed; expected true or "
                                  "false")
        dist = tables["distance"]
        abc = {k: v for k, v in tables["abc"].items()}
        for key in ("population", "generations"):
            if options.get(key) is not None:
                abc[key] = options.pop(key)
            options.pop(key, None)
        steps = options.pop("steps", None)
        steps = data.get("steps") if steps is None else steps
        seed = options.pop("seed", None)
        seed = data.get("seed") if seed is None else seed
        for key, value in (("steps", steps), ("seed", seed)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise ConfigError(f"{key} = {value!r} is not allowed; expected an integer")
        for key in ("name", "description"):
            if key in data and not isinstance(data[key], str):
                raise ConfigError(f"{key} = {data[key]!r} is not allowed; expected text in quotes")
        if options:
            raise TypeError(f"unexpected options: {', '.join(options)}")
        return cls.create(
            scenario, data_arg, params, columns=columns, shares=shares, steps=steps, seed=seed,
            fixed=fixed, distance=dist.get("kind", "rmse"), weights=dist.get("weights"),
            sd=dist.get("sd"), name=data.get("name", source.stem if source else None),
            description=data.get("description", ""), text=text, source=source,
            data_label=label, where="[parameters]", **abc,
        )


def is_fit_file(path: str | Path) -> bool:
    """True if ``path`` is a TOML file with a top-level ``scenario`` key (a fit file).

    A scenario file's top level holds only sections, ``name``, ``description``
    and ``variants``, so the two are never confused.
    """
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, RecursionError):
        return False  # the scenario loader gives the one-line reason
    return isinstance(data.get("scenario"), str)


def read_fit_file(path: Path) -> dict[str, Any]:
    """The fit file's tables; one-line errors for a missing or malformed file."""
    if not path.is_file():
        raise ConfigError(f"fit file '{path}' not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"fit file '{path}' is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"fit file '{path}' is not UTF-8 text") from None


def parse_param(text: str) -> tuple[str, dict[str, Any]]:
    """``KEY=LOW:HIGH`` (uniform) or ``KEY=LOW:HIGH:log`` (log-uniform) -> ``(key, spec)``."""
    key, sep, rng = text.partition("=")
    key = key.strip()
    parts = rng.split(":")
    if not sep or not key or len(parts) not in (2, 3):
        raise ConfigError(f"--param {text!r} is not allowed; expected KEY=LOW:HIGH, e.g. "
                          "wom.p_positive=0.001:0.1 (add :log for a log-uniform prior)")
    try:
        low, high = float(parts[0]), float(parts[1])
    except ValueError:
        raise ConfigError(f"--param {text} is not allowed; LOW and HIGH must be numbers, e.g. "
                          "wom.p_positive=0.001:0.1") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise ConfigError(f"--param {text} is not allowed; expected finite LOW and HIGH")
    if not low < high:
        raise ConfigError(f"--param {text} is not allowed; expected LOW < HIGH")
    spec: dict[str, Any] = {"low": low, "high": high}
    if len(parts) == 3:
        if parts[2].strip() != "log":
            raise ConfigError(f"--param {text} is not allowed; the third part may only be "
                              "'log' (a log-uniform prior)")
        spec["scale"] = "log"
    return key, spec


def key_field(key: str, scenario: Any, where: str) -> dataclasses.Field:
    """The schema field of a fitted key; one-line errors for unknown or unfittable keys."""
    from simulator.params import SECTIONS

    section, _, name = key.partition(".")
    if section not in SECTIONS or name not in SECTIONS[section].keys():
        # The scenario's own message: the nearest valid key, the allowed ones.
        default = scenario.flat().get(key, 0.0)
        scenario.with_overrides({key: default})
    if section in FROZEN_SECTIONS:
        reason = ("every simulation of a fit shares one friend graph" if section == "graph"
                  else "the fit sets [run] itself (--steps, --seed)")
        raise ConfigError(f"{where} '{key}' is not allowed: {reason}; allowed: keys of "
                          "[seeding], [wom], [market], [feed], [followers], [brand], [paid], "
                          "[crisis] that take a number")
    f = next(f for f in dataclasses.fields(SECTIONS[section]) if f.name == name)
    kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", "")
    if not str(kind).startswith("float"):
        raise ConfigError(f"{where} '{key}' is not allowed: it takes {kind.split('|')[0].strip()} "
                          "values and a fit samples real numbers; allowed: keys that take a "
                          "number, e.g. wom.p_positive (see 'virality keys')")
    return f


def allowed_range(f: dataclasses.Field) -> tuple[float, float]:
    """A key's allowed ``(low, high)`` (infinite where unbounded)."""
    low, high = f.metadata.get("low"), f.metadata.get("high")
    return (-math.inf if low is None else float(low), math.inf if high is None else float(high))


def make_prior(key: str, spec: Any, scenario: Any, where: str = "--param") -> Prior:
    """Check one prior against the key's allowed values; return it.

    ``spec`` is ``(low, high)``, or a table with ``low``/``high`` (and
    ``scale = "log"``), or ``prior = "normal"`` with ``mean`` and ``sd`` (and
    optional ``low``/``high``, default the key's allowed range).
    """
    f = key_field(key, scenario, where)
    label = f"{where} {key}" if where == "--param" else f"parameters.{key}"
    if isinstance(spec, (tuple, list)) and len(spec) == 2:
        spec = {"low": spec[0], "high": spec[1]}
    if not isinstance(spec, Mapping):
        raise ConfigError(f"{label} = {spec!r} is not allowed; expected a range "
                          "{ low = .., high = .. } or { prior = \"normal\", mean = .., sd = .. }")
    for k in spec:
        if k not in PRIOR_KEYS:
            raise _unknown(k, PRIOR_KEYS, f"parameters.{key}.")
    kind = spec.get("prior", "loguniform" if spec.get("scale") == "log" else "uniform")
    if kind not in PRIORS:
        raise ConfigError(f"{label}.prior = {kind!r} is not allowed{suggest(str(kind), PRIORS)}; "
                          f"allowed: {', '.join(PRIORS)}")
    scale = spec.get("scale", "linear")
    if scale not in ("linear", "log"):
        raise ConfigError(f"{label}.scale = {scale!r} is not allowed; allowed: linear, log")
    if kind == "normal" and "scale" in spec:
        raise ConfigError(f"{label}.scale is not allowed with prior = 'normal'")
    lo_allowed, hi_allowed = allowed_range(f)
    if kind == "normal":
        for k in ("mean", "sd"):
            if k not in spec:
                raise ConfigError(f"{label}.{k} is missing; a normal prior needs mean and sd")
        mean, sd = _number(f"{label}.mean", spec["mean"]), _number(f"{label}.sd", spec["sd"])
        if sd <= 0:
            raise ConfigError(f"{label}.sd = {sd!r} is out of range; allowed: sd > 0")
        low = _number(f"{label}.low", spec.get("low", lo_allowed), finite=False)
        high = _number(f"{label}.high", spec.get("high", hi_allowed), finite=False)
    else:
        for k in ("low", "high"):
            if k not in spec:
                raise ConfigError(f"{label}.{k} is missing; a range needs low and high")
        low, high = _number(f"{label}.low", spec["low"]), _number(f"{label}.high", spec["high"])
        mean = sd = None
    if not low < high:
        raise ConfigError(f"{label} = {low:g}:{high:g} is not allowed; expected LOW < HIGH")
    if kind == "loguniform" and low <= 0:
        raise ConfigError(f"{label} = {low:g}:{high:g} is not allowed; a log-uniform prior "
                          "needs LOW > 0")
    for end in (low, high):
        if math.isfinite(end):
            try:
                scenario.with_overrides({key: end})
            except ConfigError as exc:
                raise ConfigError(f"{label} = {low:g}:{high:g}: {exc}") from None
    if kind == "normal":
        mass = _normal_mass(mean, sd, low, high)
        if mass < 1e-6:
            raise ConfigError(f"{label}: a normal prior of mean {mean:g} and sd {sd:g} puts no "
                              f"weight on {low:g}..{high:g}; allowed: a mean inside the range")
    return Prior(key, kind, float(low), float(high), mean, sd)


def make_distance(kind: Any, weights: Any, sd: Any, columns: Sequence[str]) -> DistanceSpec:
    """Check ``[distance]`` against the matched columns."""
    if kind not in DISTANCES:
        raise ConfigError(f"distance.kind = {kind!r} is not allowed{suggest(str(kind), DISTANCES)}"
                          f"; allowed: {', '.join(DISTANCES)}")
    if weights is not None and not isinstance(weights, Mapping):
        raise ConfigError(f"distance.weights = {weights!r} is not allowed; expected a table "
                          "such as { n_negative = 2.0 }")
    weights = dict(weights or {})
    if kind == "normal" and weights:
        raise ConfigError("distance.weights is not allowed with distance.kind = 'normal'; the "
                          "noise sd (distance.sd) sets how much each observation counts")
    for col, w in weights.items():
        if col not in columns:
            raise ConfigError(f"distance.weights.{col}: '{col}' is not a matched column"
                              f"{suggest(col, columns)}; allowed: {', '.join(columns)}")
        w = _number(f"distance.weights.{col}", w)
        if w < 0:
            raise ConfigError(f"distance.weights.{col} = {w!r} is out of range; allowed: >= 0")
    full = {c: float(weights.get(c, 1.0)) for c in columns}
    if not any(full.values()):
        raise ConfigError("distance.weights are all 0; allowed: at least one positive weight")
    if kind == "normal":
        if sd is None:
            raise ConfigError("distance.sd is missing; distance.kind = 'normal' needs the noise "
                              "standard deviation, in shares of the population (e.g. 0.01)")
        sd = _number("distance.sd", sd)
        if sd <= 0:
            raise ConfigError(f"distance.sd = {sd!r} is out of range; allowed: sd > 0")
    elif sd is not None:
        raise ConfigError(f"distance.sd is only allowed with distance.kind = 'normal' "
                          f"(kind is {kind!r})")
    return DistanceSpec(kind, full, None if sd is None else float(sd))


# ---------------------------------------------------------------------- helpers
def _population(scenario: Any) -> int:
    """The number of agents (an edge list's is known once it is read)."""
    if scenario.graph.kind != "edgelist":
        return int(scenario.graph.n)
    from simulator.engine.run import make_graph

    return int(make_graph(scenario, scenario.run.seed).n)


def _normal_mass(mean: float, sd: float, low: float, high: float) -> float:
    from scipy.stats import norm

    return float(norm.cdf(high, mean, sd) - norm.cdf(low, mean, sd))


def _number(key: str, value: Any, finite: bool = True) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value) or (
            finite and math.isinf(value)):
        raise ConfigError(f"{key} = {value!r} is not allowed; expected a number")
    return float(value)


def _positive_int(key: str, value: Any, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{key} = {value!r} is not allowed; expected an integer")
    if value < low:
        raise ConfigError(f"{key} = {value!r} is out of range; allowed: "
                          f"{key.split('.')[-1]} >= {low}")
    return value


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"'{key}' must be a [{key}] table, got {value!r}")
    return value


def _unknown(key: str, allowed: tuple[str, ...], where: str = "") -> ConfigError:
    return ConfigError(f"unknown key '{where}{key}'{suggest(key, allowed)}; allowed: "
                       + ", ".join(f"{where}{k}" for k in allowed))
