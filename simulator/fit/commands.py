"""``virality fit``: registered by :mod:`simulator.cli`; imports nothing heavy until run."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from simulator.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``fit`` command to the ``virality`` parser."""
    p = sub.add_parser(
        "fit",
        help="fit a scenario's parameters to observed data (ABC-SMC)",
        description="Fit scenario keys to an observed series by likelihood-free Bayesian "
        "inference (pyabc's ABC-SMC): the first generation samples the priors, each next one "
        "keeps the particles whose simulated series come closest to the data. Writes "
        "DIR/posterior.csv (the last generation: a column per key, weight), DIR/fit.json "
        "(per key mean, median, 90% interval; diagnostics), DIR/predictive.csv, three "
        "figures at slide size, and pyabc's history (DIR/history.db), which --resume "
        "continues. The same seed gives the same posterior on 1 or N workers. "
        "SCENARIO may also be a fit file (a TOML file with scenario = ...: priors other than "
        "uniform, columns, distance or likelihood; see docs/guide/fit.md).",
        epilog="examples:\n"
        "  virality fit scenarios/crisis.toml --data outage.csv "
        "--param wom.p_negative=0.01:0.2 --param crisis.share=0.05:0.6\n"
        "  virality fit my.toml --data shares.csv --shares --param market.p_advertising=1e-4:0.05:log\n"
        "  virality fit experiments/fit_crisis.toml --out DIR --resume     # after Ctrl+C\n"
        "  virality fit FIT.toml --scheduler tcp://HOST:8786               # a running Dask cluster\n"
        "observed.csv: a step column, then series named as in timeseries.csv (n_aware, "
        "n_negative, cum_reach, ...), counts unless --shares; empty cells are not observed",
    )
    p.add_argument("scenario", help="scenario TOML file, or a fit file")
    p.add_argument("--data", metavar="CSV", help="observed series: step, then series columns")
    p.add_argument("--param", action="append", metavar="KEY=LOW:HIGH",
                   help="a key to fit with a uniform prior on LOW..HIGH (repeatable; "
                   "KEY=LOW:HIGH:log for log-uniform), e.g. wom.p_positive=0.001:0.1")
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE",
                   help="override a scenario value (repeatable), e.g. --set graph.n=5000")
    p.add_argument("--columns", metavar="A,B",
                   help="the data columns to match (default: every series column of --data)")
    p.add_argument("--shares", action="store_true", default=None,
                   help="the data are shares of the population (0-1), not counts")
    p.add_argument("--steps", type=int, help="steps of each simulation (default: [run] steps)")
    p.add_argument("--seed", type=int, help="the fit's master seed (default: [run] seed)")
    p.add_argument("--population", type=int, metavar="N",
                   help="particles per generation (default: 200)")
    p.add_argument("--generations", type=int, metavar="G",
                   help="generations, the prior sample first (default: 8); with --resume, "
                   "more continues a finished fit")
    p.add_argument("--workers", type=int, metavar="N",
                   help="worker processes of a local Dask cluster (default: 1, in this process)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the simulations on a running Dask scheduler instead")
    p.add_argument("--out", metavar="DIR", help="output folder (default: results/fit_<name>)")
    p.add_argument("--resume", action="store_true", help="continue the stopped fit in --out")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the fit in --out, once the new one is done (default: refuse)")
    p.add_argument("--no-plots", action="store_true", help="skip the figures")
    p.add_argument("--quiet", action="store_true", help="no progress lines, no table")
    p.set_defaults(func=cmd_fit)


def parse_params(pairs: list[str] | None) -> dict[str, dict]:
    """``--param`` values as ``{key: {"low": .., "high": .., ["scale": "log"]}}``.

    >>> parse_params(["wom.p_positive=0.01:0.1", "market.p_advertising=1e-4:0.01:log"])
    {'wom.p_positive': {'low': 0.01, 'high': 0.1}, 'market.p_advertising': {'low': 0.0001, 'high': 0.01, 'scale': 'log'}}
    """
    from simulator.fit.spec import parse_param

    out: dict[str, dict] = {}
    for text in pairs or []:
        key, spec = parse_param(text)
        if key in out:
            raise ConfigError(f"--param {key} is given twice; allowed: one range per key")
        out[key] = spec
    return out


def parse_columns(text: str | None) -> list[str] | None:
    """``"n_aware, n_negative"`` -> ``["n_aware", "n_negative"]``; ``None`` stays None."""
    if text is None:
        return None
    names = [c.strip() for c in text.split(",") if c.strip()]
    if not names:
        raise ConfigError(f"--columns = {text!r} is not allowed; expected names such as "
                          "n_aware,n_negative")
    return names


def build_spec(args: argparse.Namespace):
    """The :class:`~simulator.fit.spec.FitSpec` the command line asks for (all checked)."""
    from simulator.cli import _overrides
    from simulator.fit.spec import FitSpec, is_fit_file

    params = parse_params(args.param)
    fixed = _overrides(args.set)
    columns = parse_columns(args.columns)
    if is_fit_file(args.scenario):
        return FitSpec.load(args.scenario, data=args.data, params=params, fixed=fixed,
                            columns=columns, shares=args.shares, steps=args.steps,
                            seed=args.seed, population=args.population,
                            generations=args.generations)
    if args.data is None:
        raise ConfigError("--data is missing; expected the observed CSV (a step column, then "
                          "series such as n_aware), or a fit file naming it")
    if not params:
        raise ConfigError("--param is missing; expected one or more KEY=LOW:HIGH, e.g. "
                          "--param wom.p_positive=0.001:0.1")
    from simulator.fit.spec import DEFAULT_GENERATIONS, DEFAULT_POPULATION

    return FitSpec.create(
        args.scenario, args.data, params, columns=columns, shares=bool(args.shares),
        steps=args.steps, seed=args.seed, fixed=fixed,
        population=DEFAULT_POPULATION if args.population is None else args.population,
        generations=DEFAULT_GENERATIONS if args.generations is None else args.generations,
        data_label=args.data,
    )


def _require_pyabc() -> None:
    """One line, not a traceback, when the optional dependency is missing."""
    import importlib.util

    for module in ("pyabc", "filelock"):
        if importlib.util.find_spec(module) is None:
            raise ConfigError(f"'virality fit' needs {module}, which is not installed; "
                              "allowed: pip install 'virality-simulator[fit]'")


def cmd_fit(args: argparse.Namespace) -> int:
    _require_pyabc()
    from simulator.engine.results import default_out_dir
    from simulator.fit.inference import run_fit
    from simulator.fit.results import format_summary

    spec = build_spec(args)
    out = Path(args.out) if args.out else default_out_dir(f"fit_{spec.name}")
    t0 = time.perf_counter()
    result = run_fit(spec, out, workers=args.workers, scheduler=args.scheduler,
                     resume=args.resume, overwrite=args.overwrite, plots=not args.no_plots,
                     progress=not args.quiet)
    if not args.quiet:
        print(f"{spec.name}: fitted {', '.join(spec.keys)} to {len(spec.observed.columns)} "
              f"observed series at {len(spec.observed.steps)} steps "
              f"({time.perf_counter() - t0:.1f} s)")
        print(format_summary(result))
        print("wrote " + ", ".join(str(p) for p in result.paths.values()), file=sys.stdout)
    return 0
