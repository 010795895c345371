"""``virality compare``: registered by :mod:`simulator.cli`; imports nothing heavy until run.

Writes ``DIR/<variant>/`` with exactly what ``virality run`` writes
(``timeseries.csv``, ``summary.json``, ``curves.png``), ``DIR/comparison.csv``
(one row per variant), ``DIR/differences.csv`` (each variant minus the baseline,
paired replicate by replicate), ``DIR/comparison_curves.png`` and
``DIR/comparison_outcomes.png`` (1920 x 1080, each with an SVG beside it), and
with ``--report`` ``DIR/report.md`` and ``DIR/report.html``. Everything is checked before the first run, and nothing is
written until every variant has run, so a bad command never loses earlier results.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from pathlib import Path

from simulator.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``compare`` command to the ``virality`` parser."""
    from simulator.cli import _add_run_options

    p = sub.add_parser(
        "compare",
        help="run a scenario's variants side by side",
        description="Run every [variants.*] table of a scenario (or those given by --variants) "
        "with common random numbers: the same seed, streams and graph for every variant. "
        "Writes DIR/<variant>/ as 'virality run' does, DIR/comparison.csv, "
        "DIR/differences.csv (each variant minus the baseline, paired replicate by "
        "replicate) and two comparison plots at slide size (PNG and SVG); --report adds "
        "DIR/report.md and DIR/report.html.",
        epilog='examples:\n  virality compare scenarios/crisis.toml --report\n  virality compare scenarios/adoption_strategies.toml --variants spontaneous,late --replicates 20\nscenario files: docs/keys.md (every key), scenarios/ (commented examples)',
    )
    _add_run_options(p)
    p.add_argument(
        "--variants", metavar="A,B",
        help="comma-separated variants to run, in this order (default: all, in file order)",
    )
    p.add_argument(
        "--baseline", metavar="NAME",
        help="the variant the others are measured against, replicate by replicate "
        "(default: the first variant run); DIR/differences.csv and the report show the "
        "differences",
    )
    p.add_argument(
        "--report", action="store_true",
        help="also write DIR/report.md and DIR/report.html (figures embedded)",
    )
    p.set_defaults(func=cmd_compare)


def parse_variant_list(text: str | None) -> list[str] | None:
    """``"a, b"`` -> ``["a", "b"]``; ``None`` (option not given) -> ``None``.

    >>> parse_variant_list("late, spontaneous"), parse_variant_list(None)
    (['late', 'spontaneous'], None)
    """
    if text is None:
        return None
    names = [name.strip() for name in text.split(",") if name.strip()]
    if not names:
        raise ConfigError(f"--variants = {text!r} is not allowed; expected names such as a,b")
    return names


def reproducing_command(args: argparse.Namespace, comparison) -> str:
    """The command line that gives the same numbers (seed, replicates, steps made explicit)."""
    words = ["virality", "compare", str(args.scenario),
             "--seed", str(comparison.seed), "--replicates", str(comparison.replicates),
             "--steps", str(comparison.steps)]
    for pair in args.set or []:
        words += ["--set", pair]
    words += ["--variants", ",".join(comparison.variants)]
    if args.baseline:
        words += ["--baseline", args.baseline]
    if args.out:
        words += ["--out", str(args.out)]
    return shlex.join(words)


def cmd_compare(args: argparse.Namespace) -> int:
    from simulator.cli import (
        _check_counts,
        _load,
        _overrides,
        _progress,
        check_run_size,
        write_run_outputs,
    )
    from simulator.compare.variants import compare, select_variants, variant_scenarios
    from simulator.engine.results import default_out_dir
    from simulator.outputs import check_out_dir, replacing

    _check_counts(args)
    scenario = _load(args)
    names = select_variants(scenario, parse_variant_list(args.variants))
    variant_scenarios(scenario, names)  # every variant checked before the first run
    _check_set_against_variants(_overrides(getattr(args, "set", None)), scenario, names)
    if args.baseline is not None and args.baseline not in names:
        raise ConfigError(f"--baseline = {args.baseline!r} is not one of the variants run; "
                          f"allowed: {', '.join(names)}")
    out = Path(args.out) if args.out else default_out_dir(scenario.name)
    check_out_dir(out, args.overwrite)
    replicates = args.replicates or scenario.run.replicates
    for name in names:
        check_run_size(scenario.variant(name), replicates, args.steps or scenario.run.steps)
    bar, update = _progress(len(names) * replicates, args.quiet, scenario.name)
    t0 = time.perf_counter()
    with bar:
        comparison = compare(scenario, names, seed=args.seed, replicates=args.replicates,
                             steps=args.steps, progress=update, baseline=args.baseline)

    # All variants ran: only now write, into a fresh folder swapped in at the end, so an
    # error or Ctrl+C above or while writing leaves earlier results whole.
    final = out
    with replacing(final, args.overwrite) as out:
        written, figures = _write_comparison(args, scenario, comparison, out, write_run_outputs)
    written = [final / Path(p).relative_to(out) for p in written]
    if not args.quiet:
        from simulator.compare.report import format_comparison

        print(f"{scenario.name}: {len(names)} variants x {comparison.replicates} replicates, "
              f"{comparison.steps} steps, seed {comparison.seed}, common random numbers "
              f"({time.perf_counter() - t0:.1f} s)")
        print(format_comparison(comparison))
        top = sorted(Path(p).name for p in written if Path(p).parent == final)
        print(f"wrote into {final}: one folder per variant, " + ", ".join(top))
    return 0


def _check_set_against_variants(overrides: dict, scenario, names: list[str]) -> None:
    """``--set`` changes the base scenario and each variant applies its own values on top,
    so a key a variant sets is not what ``--set`` says in that variant: say so (on stderr)
    rather than let the value pass unnoticed, and refuse a ``--set`` no variant keeps."""
    for key, value in overrides.items():
        by = [name for name in names if key in scenario.variants[name]]
        if len(by) == len(names):
            raise ConfigError(
                f"--set {key} = {value!r} has no effect: every variant compared ("
                f"{', '.join(names)}) sets {key}; allowed: a key no variant sets, or --variants "
                "to compare variants that leave it to the base"
            )
        if by:
            print(f"virality: note: --set {key} = {value!r} holds in "
                  f"{', '.join(n for n in names if n not in by)}; variant(s) {', '.join(by)} "
                  f"set {key} themselves", file=sys.stderr)


def _write_comparison(args, scenario, comparison, out: Path, write_run_outputs):
    """Every file of the comparison into ``out``: ``(paths written, figures by caption)``."""
    written = []
    for name, res in comparison.results.items():
        write_run_outputs(res, out / name, plots=not args.no_plots)
    written += comparison.write(out)
    figures = {}
    if not args.no_plots:
        from simulator.compare.outcomes import events
        from simulator.plots import plot_comparison_curves, plot_comparison_outcomes

        title = (f"{scenario.name}: {comparison.replicates} replicates per variant, "
                 f"seed {comparison.seed}")
        figures["Main curves per variant (mean, 2.5-97.5% band over replicates; "
                "dashed lines: events)"] = plot_comparison_curves(
            {name: (res.timeseries, res.n) for name, res in comparison.results.items()},
            out / "comparison_curves.png", title=title, events=events(comparison),
        )
        figures["Outcomes per variant (mean and 95% interval)"] = plot_comparison_outcomes(
            comparison.table, comparison.outcomes, out / "comparison_outcomes.png", title=title,
        )
        written += figures.values()
        written += [Path(p).with_suffix(".svg") for p in figures.values()]
    if args.report:
        from simulator.compare.report import write_report

        written += write_report(comparison, out, reproducing_command(args, comparison),
                                figures).values()
    return written, figures
