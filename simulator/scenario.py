"""Scenarios: a TOML file of validated sections, with overrides and variants.

A scenario is a TOML file with sections such as ``[graph]``, ``[seeding]``,
``[wom]``, ``[market]``, ``[run]``. Every key is validated on load: an unknown
key gets the nearest valid one suggested, an out-of-range value gets the
allowed range, always in one line. A file may also declare named variants,
each a table of overrides of the base::

    [variants.late]
    brand.strategy = "late"

and a ``[lesson]`` table for the classroom page (what to watch, what to ask;
:class:`~simulator.params.lesson.LessonParams`), which the engine ignores.

>>> s = Scenario.from_dict({"graph": {"kind": "erdos_renyi", "n": 1000, "mean_degree": 10}})
>>> s.wom.p_positive, s.graph.n
(0.01, 1000)
>>> s.with_overrides({"wom.p_positive": 0.2}).wom.p_positive
0.2
>>> s.with_overrides({"wom.p_postive": 0.2})
Traceback (most recent call last):
...
simulator.errors.ConfigError: unknown key 'wom.p_postive' (did you mean 'p_positive'?); allowed: ...
"""

from __future__ import annotations

import dataclasses
import functools
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simulator.errors import ConfigError, suggest
from simulator.params import (
    SECTIONS,
    BrandParams,
    CrisisParams,
    FeedParams,
    FollowerParams,
    GraphParams,
    MarketParams,
    ModelParams,
    PaidParams,
    RunParams,
    SeedingParams,
    WomParams,
    check_seeds_fit,
)
from simulator.params.lesson import LessonParams
from simulator.params.units import convert, step_of, written_with_units

#: Top-level keys that are not mechanism sections: the engine never reads them.
_META_KEYS = ("name", "description", "variants", "lesson")


def parse_value(text: str) -> Any:
    """Parse a ``--set`` value as TOML (numbers, booleans, lists, quoted strings).

    A bare word that is not valid TOML is taken as a string.

    >>> parse_value("0.1"), parse_value("true"), parse_value("late"), parse_value("[1, 2]")
    (0.1, True, 'late', [1, 2])
    """
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text.strip()


def _flatten(table: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in table.items():
        key = f"{prefix}{k}"
        if isinstance(v, Mapping):
            out.update(_flatten(v, key + "."))
        else:
            out[key] = v
    return out


def _per_step(section: str, table: Any, step: str) -> Any:
    """A section's table with its rates and durations converted to per-step values."""
    if not isinstance(table, Mapping):
        return table
    return {key: convert(f"{section}.{key}", value, step) for key, value in table.items()}


@dataclasses.dataclass(frozen=True)
class Scenario:
    """A validated, immutable scenario.

    Use :meth:`load` for a file, :meth:`from_dict` for a mapping, and
    :meth:`with_overrides` for ``{"section.key": value}`` changes.
    """

    graph: GraphParams
    run: RunParams
    seeding: SeedingParams
    wom: WomParams
    market: MarketParams
    feed: FeedParams
    followers: FollowerParams
    brand: BrandParams
    paid: PaidParams
    crisis: CrisisParams
    name: str = "scenario"
    description: str = ""
    variants: Mapping[str, Mapping[str, Any]] = dataclasses.field(default_factory=dict)
    #: What the classroom page tells the class (``[lesson]``); not part of the results.
    lesson: LessonParams = dataclasses.field(default_factory=LessonParams)
    base_dir: Path | None = None
    source: Path | None = None
    #: Values written with a unit (``{"market.p_advertising": "0.03 per year"}``), as
    #: written: a change of ``run.step`` converts them again.
    units: Mapping[str, str] = dataclasses.field(default_factory=dict)

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
        """Read a TOML scenario file and apply ``overrides`` (``{"wom.p_positive": 0.1}``)."""
        path = Path(path)
        if not path.exists():
            raise ConfigError(f"scenario file '{path}' not found")
        if not path.is_file():
            raise ConfigError(f"scenario file '{path}' is not a regular file (a folder or a device); "
                              "expected a .toml file")
        try:
            # utf-8-sig: a byte-order mark, as some Windows editors write, is not part of the text.
            data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
        except RecursionError:
            raise ConfigError(f"scenario file '{path}' nests arrays or tables too deeply; "
                              "expected a scenario's sections and keys") from None
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"scenario file '{path}' is not valid TOML: {exc}") from None
        except UnicodeDecodeError:
            raise ConfigError(f"scenario file '{path}' is not UTF-8 text") from None
        except OSError as exc:
            raise ConfigError(f"scenario file '{path}' cannot be read: {exc.strerror or exc}") from None
        if not any(isinstance(value, Mapping) for value in data.values()):  # all defaults: a slip
            raise ConfigError(
                f"scenario file '{path}' has no section; expected at least one of "
                + ", ".join(f"[{s}]" for s in SECTIONS)
            )
        data.setdefault("name", path.stem)
        scenario = cls.from_dict(data, base_dir=path.parent, source=path)
        return scenario.with_overrides(overrides) if overrides else scenario

    @classmethod
    def from_dict(
        cls,
        data: Mapping[str, Any],
        *,
        base_dir: Path | None = None,
        source: Path | None = None,
    ) -> Scenario:
        """Build from a nested mapping (as TOML gives); validates everything."""
        allowed = list(SECTIONS) + list(_META_KEYS)
        for key, value in data.items():
            if key not in allowed:
                raise ConfigError(
                    f"unknown section '[{key}]'{suggest(key, allowed)}; allowed: "
                    + ", ".join(f"[{s}]" for s in (*SECTIONS, "lesson"))
                )
            if key in (*SECTIONS, "lesson") and not isinstance(value, Mapping):
                raise ConfigError(f"'{key}' must be a [{key}] table, got {value!r}")
        step = step_of(data.get("run"))
        sections = {
            name: klass.from_dict(_per_step(name, data.get(name), step))
            for name, klass in SECTIONS.items()
        }
        variants = {}
        declared = data.get("variants", {})
        if not isinstance(declared, Mapping):
            raise ConfigError(
                f"variants = {declared!r} is not allowed; expected tables of overrides, "
                "e.g. [variants.late] with brand.strategy = \"late\""
            )
        for vname, table in declared.items():
            if not isinstance(table, Mapping):
                raise ConfigError(f"variants.{vname} must be a table of overrides, got {table!r}")
            variants[vname] = _flatten(table)
        for key in ("name", "description"):
            if key in data and not isinstance(data[key], str):
                raise ConfigError(f"{key} = {data[key]!r} is not allowed; expected text in quotes")
        lesson = LessonParams.from_dict(data.get("lesson"))
        if lesson.compare is not None and lesson.compare not in variants:
            raise ConfigError(
                f"lesson.compare = {lesson.compare!r} is not a variant{suggest(lesson.compare, variants)}; "
                f"allowed: {', '.join(variants) or '(none declared: add a [variants.NAME] table)'}"
            )
        scenario = cls(
            **sections,
            name=data.get("name", "scenario"),
            description=data.get("description", ""),
            variants=variants,
            lesson=lesson,
            base_dir=base_dir,
            source=source,
            units=written_with_units(data),
        )
        scenario.check()
        for vname in variants:  # a variant with a bad key fails at load, not mid-run
            try:
                scenario.variant(vname)
            except ConfigError as exc:
                raise ConfigError(f"variants.{vname}: {exc}") from None
        return scenario

    def check(self) -> None:
        """Cross-section checks (an edge list's size is known only once it is read)."""
        if self.graph.kind != "edgelist":
            check_seeds_fit(self.seeding, self.graph.n, "graph.n")

    # ---------------------------------------------------------------- overrides
    def with_overrides(self, overrides: Mapping[str, Any] | None) -> Scenario:
        """A copy with ``{"section.key": value}`` applied and re-validated."""
        if not overrides:
            return self
        changes: dict[str, dict[str, Any]] = {}
        for dotted, value in overrides.items():
            section, _, key = dotted.partition(".")
            if section in SECTIONS and not key:
                first = SECTIONS[section].keys()[0]
                raise ConfigError(
                    f"'{dotted}' is not allowed: a whole section cannot be set; expected "
                    f"section.key, e.g. {section}.{first}"
                )
            if section not in SECTIONS or not key:
                raise ConfigError(
                    f"unknown key '{dotted}'{suggest(section, SECTIONS)}; "
                    "expected section.key with section one of " + ", ".join(SECTIONS)
                )
            klass = SECTIONS[section]
            if key not in klass.keys():
                raise ConfigError(
                    f"unknown key '{dotted}'{suggest(key, klass.keys())}; allowed: "
                    + ", ".join(f"{section}.{k}" for k in klass.keys())
                )
            changes.setdefault(section, {})[key] = value
        # Rates and durations written with a unit are converted with the step in force
        # (a changed run.step converts the file's again, as they were written).
        step = step_of({"step": changes.get("run", {}).get("step", self.run.step)})
        units = {k: v for k, v in self.units.items() if k.partition(".")[2] not in
                 changes.get(k.partition(".")[0], {})}
        if step != self.run.step:
            for dotted, text in units.items():
                section, _, key = dotted.partition(".")
                changes.setdefault(section, {})[key] = text
        units.update(written_with_units(changes))
        updated = {}
        for section, kv in changes.items():
            current = getattr(self, section).to_dict()
            current.update(_per_step(section, kv, step))
            updated[section] = SECTIONS[section].from_dict(current)
        scenario = dataclasses.replace(self, **updated, units=units)
        scenario.check()
        return scenario

    def variant(self, name: str) -> Scenario:
        """The scenario with variant ``name``'s overrides applied."""
        if name not in self.variants:
            raise ConfigError(
                f"unknown variant '{name}'{suggest(name, self.variants)}; "
                f"allowed: {', '.join(self.variants) or '(none declared)'}"
            )
        return dataclasses.replace(self.with_overrides(self.variants[name]), name=f"{self.name}/{name}")

    @functools.cached_property
    def model(self) -> ModelParams:
        """The sections the step plan reads (all but ``[graph]`` and ``[run]``); made once per
        scenario (a sweep runs one scenario thousands of times)."""
        return ModelParams(**{f.name: getattr(self, f.name) for f in dataclasses.fields(ModelParams)})

    # ------------------------------------------------------------------- output
    def to_dict(self) -> dict[str, Any]:
        """Every parameter, nested by section (what results record)."""
        out: dict[str, Any] = {"name": self.name}
        for name in SECTIONS:
            out[name] = getattr(self, name).to_dict()
        return out

    def flat(self) -> dict[str, Any]:
        """Every parameter as ``{"section.key": value}`` (for tidy tables)."""
        return {
            f"{name}.{k}": v for name in SECTIONS for k, v in getattr(self, name).to_dict().items()
        }
