"""The ``virality`` command line.

Every user error prints one line (``virality: error: ...``) and exits with
code 2; no traceback. Input is validated before anything is written, and
files are written atomically, so a bad command never loses earlier results.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

from simulator.errors import ConfigError, GraphWarning

EXIT_USAGE = 2
#: A reader of stdout that went away (``virality keys | head``): the shell's code for SIGPIPE.
EXIT_BROKEN_PIPE = 141

#: (command, module with ``register(subparsers)``, help) for commands outside this file.
COMMAND_MODULES = (
    ("compare", "simulator.compare.commands", "run a scenario's variants side by side"),
    ("sweep", "simulator.sweep.commands", "run a parameter sweep (Dask)"),
    ("viz", "simulator.viz.commands", "open the classroom web page (and animate)"),
    ("fit", "simulator.fit.commands", "fit a scenario's parameters to observed data (ABC-SMC)"),
    ("scenarios", "simulator.scenario_files", "list the shipped scenario files, or copy one"),
)


class _Formatter(argparse.HelpFormatter):
    """Wraps the description's paragraphs; keeps the example lines (indented) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        import textwrap

        out = []
        for line in text.splitlines():
            if not line.strip() or line.startswith("  ") or line.endswith(":"):
                out.append(indent + line)
            else:
                out.append(textwrap.fill(line, width, initial_indent=indent,
                                         subsequent_indent=indent))
        return "\n".join(out)


class _Parser(argparse.ArgumentParser):
    """argparse that reports errors in the project's one-line form (exit 2)."""

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str):  # noqa: D401 - argparse API
        raise ConfigError(message)


def _overrides(pairs: Sequence[str] | None) -> dict:
    from simulator.scenario import parse_value

    out = {}
    for pair in pairs or []:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"--set {pair!r} is not allowed; expected section.key=value")
        out[key.strip()] = parse_value(value)
    return out


def _load(args) -> object:
    from simulator.scenario import Scenario

    return Scenario.load(args.scenario, overrides=_overrides(getattr(args, "set", None)))


def _add_run_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--seed", type=int, help="master seed (default: [run] seed)")
    p.add_argument("--replicates", type=int, help="replicates (default: [run] replicates)")
    p.add_argument("--steps", type=int, help="steps (default: [run] steps)")
    p.add_argument(
        "--set", action="append", metavar="SECTION.KEY=VALUE",
        help="override a scenario value (repeatable), e.g. --set wom.p_positive=0.02",
    )
    p.add_argument("--out", help="output folder (default: results/<scenario name>)")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the earlier results in the output folder (default: refuse)")
    p.add_argument("--no-plots", action="store_true", help="skip the PNG plots")
    p.add_argument("--quiet", action="store_true", help="no progress bar, no table")


def _check_counts(args) -> None:
    """``--seed``, ``--replicates``, ``--steps`` against ``[run]``'s bounds (the one check)."""
    from simulator.params import check_run_value

    for name in ("seed", "replicates", "steps"):
        v = getattr(args, name, None)
        if v is not None:
            check_run_value(name, v, f"--{name}")


#: Without a terminal (a log, a CI job), a progress line at most this often (seconds).
LOG_EVERY = 10.0


class _LogProgress:
    """Progress for a log: plain lines on stderr, the phase first, then replicates done
    at most every :data:`LOG_EVERY` seconds, and the last one."""

    def __init__(self, total: int, desc: str) -> None:
        self.total, self.desc = total, desc
        self.t0 = self.last = time.perf_counter()

    def __enter__(self) -> _LogProgress:
        print(f"virality: {self.desc}: building the graph (the first run also compiles)",
              file=sys.stderr, flush=True)
        return self

    def __exit__(self, *exc) -> None:
        return None

    def update(self, done: int, _total: int) -> None:
        now = time.perf_counter()
        if done == self.total or now - self.last >= LOG_EVERY or done == 1:
            self.last = now
            print(f"virality: {self.desc}: replicate {done}/{self.total} "
                  f"({now - self.t0:.0f} s)", file=sys.stderr, flush=True)


def _progress(total: int, quiet: bool, desc: str):
    """``(context, update)``: a bar in a terminal, plain lines in a log, nothing if quiet.

    The bar's label says the phase: the graph is built (and the kernels compiled
    on a first run) before the first replicate ends.
    """
    if not quiet and not sys.stderr.isatty():
        log = _LogProgress(total, desc)
        return log, log.update
    from tqdm import tqdm

    bar = tqdm(total=total, desc=f"{desc} (building the graph)", unit="rep",
               disable=quiet or None, file=sys.stderr)

    def update(done: int, _total: int) -> None:
        if bar.n == 0 and done > 0:
            bar.set_description(desc, refresh=False)
        bar.update(done - bar.n)

    return bar, update


def format_table(summary: dict) -> str:
    """A compact table of final metrics: mean and 95% interval."""
    keys = [
        "reach", "positive", "negative", "neutral", "net_sentiment", "customers",
        "word_positive_share", "peak_talking_negative", "t_half_reach",
    ]
    keys += [k for k in summary["mean"] if k not in keys]
    lines = [f"{'metric':<24}{'mean':>10}   95% interval"]
    for k in keys:
        m = summary["mean"].get(k)
        if m is None:
            continue
        lo, hi = summary["ci95"][k]
        lines.append(f"{k:<24}{m:>10.4f}   [{lo:.4f}, {hi:.4f}]")
    return "\n".join(lines)


def write_run_outputs(res, out: Path, plots: bool = True) -> dict[str, Path]:
    """Write what ``virality run`` writes for ``res`` into ``out``.

    ``timeseries.csv`` and ``summary.json`` (:meth:`Results.write`) and, unless
    ``plots`` is false, ``curves.png``. ``virality compare`` writes each
    variant's folder through this function, so the two commands never drift.
    Returns the written paths by kind (``timeseries``, ``summary``, ``plot``).
    """
    out = Path(out)
    paths = res.write(out)
    if plots:
        from simulator.plots import plot_curves

        replicates = len(res.replicate_seeds)
        paths["plot"] = plot_curves(
            res.timeseries, res.n, out / "curves.png",
            title=f"{res.scenario.name}: n={res.n:,}, {replicates} replicates, seed {res.seed}",
        )
    return paths


def cmd_run(args) -> int:
    import simulator
    from simulator.engine.results import default_out_dir
    from simulator.outputs import check_out_dir, replacing
    from simulator.params.effects import without_effect

    _check_counts(args)
    scenario = _load(args)
    out = Path(args.out) if args.out else default_out_dir(scenario.name)
    check_out_dir(out, args.overwrite)
    for sentence in without_effect(scenario):
        print(f"virality: warning: {sentence}", file=sys.stderr)
    replicates = args.replicates or scenario.run.replicates
    check_run_size(scenario, replicates, args.steps or scenario.run.steps)
    bar, update = _progress(replicates, args.quiet, scenario.name)
    t0 = time.perf_counter()
    with bar:
        res = simulator.run(
            scenario, seed=args.seed, replicates=args.replicates, steps=args.steps, progress=update
        )
    if not args.quiet and not sys.stderr.isatty():
        print(f"virality: {scenario.name}: writing {out}", file=sys.stderr, flush=True)
    with replacing(out, args.overwrite) as fresh:
        paths = write_run_outputs(res, fresh, plots=not args.no_plots)
    paths = {kind: out / path.name for kind, path in paths.items()}
    if not args.quiet:
        s = res.summary
        print(f"{scenario.name}: {res.n:,} agents, mean degree {res.graph_meta['mean_degree']:.1f}, "
              f"{s['steps']} steps, {replicates} replicates, seed {res.seed} "
              f"({time.perf_counter() - t0:.1f} s)")
        print(format_table(s))
        print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0


def check_run_size(scenario, replicates: int, steps: int) -> None:
    """The run's own memory refusals (series, sponsored buffers), before any progress is
    shown, so a refused run prints its one line and nothing else."""
    from simulator.graphs.memory import check_run_memory, check_sponsored_memory
    from simulator.state.metrics import PUBLIC_COLUMNS

    check_run_memory(replicates, steps, len(PUBLIC_COLUMNS) + 2)
    if scenario.paid.active:
        check_sponsored_memory(scenario.paid.sponsored_per_step)


def _size(nbytes: int) -> str:
    """Bytes as MiB below a GiB, else GiB with one decimal."""
    return f"{nbytes / 2**20:,.0f} MiB" if nbytes < 2**30 else f"{nbytes / 2**30:,.1f} GiB"


def cmd_validate(args) -> int:
    scenario = _load(args)
    from simulator.graphs.memory import (
        check_memory,
        check_threshold_memory,
        estimate_bytes,
        estimate_run_bytes,
    )
    from simulator.params.effects import without_effect

    # The same refusals a run would give, before it is started; every variant too, with
    # the --set overrides applied (as compare would run them).
    for name in scenario.variants:
        try:
            scenario.variant(name)
        except ConfigError as exc:
            raise ConfigError(f"variants.{name}: {exc}") from None
    check_run_size(scenario, scenario.run.replicates, scenario.run.steps)
    est = estimate_bytes(scenario.graph.n, scenario.graph.mean_degree, scenario.graph.kind)
    peak = estimate_run_bytes(scenario.graph.n, scenario.graph.mean_degree, scenario.graph.kind,
                              platform=scenario.model.platform_on)
    degree = scenario.graph.n - 1 if scenario.graph.kind == "complete" else scenario.graph.mean_degree
    if scenario.graph.kind != "edgelist":   # an edge list's size is known once it is read
        check_memory(scenario.graph.n, scenario.graph.mean_degree, scenario.graph.kind)
        if scenario.wom.contagion == "threshold":
            check_threshold_memory(scenario.graph.n,
                                   int(scenario.graph.n * scenario.graph.mean_degree))
    for sentence in without_effect(scenario):
        print(f"virality: warning: {sentence}", file=sys.stderr)
    if args.resolved:
        print(resolved(scenario), end="")
    print(
        f"{args.scenario}: ok ({scenario.graph.kind} graph, n={scenario.graph.n:,}, "
        f"mean_degree={degree:g}, about {est / 2**20:,.0f} MiB to build, a peak of about "
        f"{_size(peak)} per process; "
        f"{scenario.run.steps} steps of a {scenario.run.step} x {scenario.run.replicates} "
        "replicates"
        + (f"; variants: {', '.join(scenario.variants)}" if scenario.variants else "")
        + ")"
    )
    return 0


def cmd_keys(args) -> int:
    from simulator.params import SECTIONS
    from simulator.params.reference import text

    if args.section is not None and args.section not in SECTIONS:
        from simulator.errors import suggest

        raise ConfigError(f"section = {args.section!r} is not allowed{suggest(args.section, SECTIONS)}; "
                          f"allowed: {', '.join(SECTIONS)}")
    print(text(args.section), end="")
    return 0


def resolved(scenario) -> str:
    """Every value of ``scenario`` as TOML, a ``# default`` beside those left at the default."""
    import dataclasses

    from simulator.params import SECTIONS

    lines = []
    for name, klass in SECTIONS.items():
        lines.append(f"[{name}]")
        section = getattr(scenario, name)
        for f in dataclasses.fields(klass):
            value = getattr(section, f.name)
            default = f.default if f.default is not dataclasses.MISSING else f.default_factory()
            shown = ("none" if value is None else str(value).lower() if isinstance(value, bool)
                     else repr(value) if isinstance(value, str) else value)
            note = "   # default" if value == default else ""
            written = scenario.units.get(f"{name}.{f.name}")
            if written:
                note += f"   # written {written!r}"
            lines.append(f"{f.name} = {shown}{note}")
        lines.append("")
    return "\n".join(lines)


def cmd_not_yet(name: str):
    def handler(args) -> int:
        raise ConfigError(f"'virality {name}' is not available in this version yet")

    return handler


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="virality",
        description="Agent-based simulator of positive and negative word-of-mouth on social platforms.",
    )
    from simulator import __version__

    parser.add_argument("--version", action="version", version=f"virality {__version__}")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser, metavar="COMMAND")

    p = sub.add_parser(
        "run", help="run a scenario: time series, summary, plots",
        description="Run a scenario's replicates and write OUT/timeseries.csv (every series, "
        "every step, every replicate), OUT/summary.json (final metrics with 95% intervals, "
        "the parameters and seeds that reproduce them) and OUT/curves.png; print the table.",
        epilog="examples:\n"
        "  virality run scenarios/quickstart.toml\n"
        "  virality run scenarios/quickstart.toml --set wom.p_negative=0.04 --replicates 20\n"
        "  virality run my.toml --set 'market.p_advertising=0.03 per year' --out results/mine\n"
        "every key: virality keys, or docs/keys.md",
    )
    _add_run_options(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "validate", help="check a scenario file without running it",
        description="Check a scenario file as a run would (every key, the graph's and the "
        "run's memory) without running it; warn about settings that have no effect.",
        epilog="example: virality validate scenarios/crisis.toml --resolved\n"
        "every key: virality keys, or docs/keys.md",
    )
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE",
                   help="override a scenario value (repeatable), e.g. --set wom.p_positive=0.02")
    p.add_argument("--resolved", action="store_true",
                   help="print every value the run would use, marking those left at the default")
    p.set_defaults(func=cmd_validate)

    p = sub.add_parser(
        "keys", help="list every scenario key: meaning, default, allowed values, unit",
        description="Every key a scenario file may set, with its default, allowed values, unit "
        "and source (the same as docs/keys.md, generated from the code).",
        epilog="example: virality keys wom",
    )
    p.add_argument("section", nargs="?", help="only this section (e.g. wom, feed, crisis)")
    p.set_defaults(func=cmd_keys)

    # Commands that live with their layer register themselves; each module's
    # ``register(sub)`` must stay light (heavy imports inside the handlers).
    for name, module, text in COMMAND_MODULES:
        try:
            mod = importlib.import_module(module)
        except ModuleNotFoundError as exc:
            if exc.name and not module.startswith(exc.name):
                raise
            p = sub.add_parser(name, help=f"{text} (not available in this version yet)")
            p.add_argument("rest", nargs=argparse.REMAINDER)
            p.set_defaults(func=cmd_not_yet(name))
        else:
            mod.register(sub)
    return parser


@contextlib.contextmanager
def _one_line_warnings():
    """Our own warnings (a graph far from what was asked) as one line each, not a stack."""
    shown = warnings.showwarning

    def show(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, GraphWarning):
            print(f"virality: warning: {message}", file=sys.stderr)
        else:
            shown(message, category, filename, lineno, file, line)

    warnings.showwarning = show
    try:
        yield
    finally:
        warnings.showwarning = shown


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``virality`` console script."""
    with _one_line_warnings():
        try:
            code = _main(argv)
            sys.stdout.flush()  # a closed pipe shows here, not as noise at exit
            return code
        except BrokenPipeError:
            # Files are written before anything is printed, so nothing is lost; stdout
            # goes to the null device so the interpreter's last flush stays quiet.
            with contextlib.suppress(OSError, ValueError, AttributeError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_BROKEN_PIPE


def _resolve_scenario_argument(args: argparse.Namespace) -> None:
    """A scenario file missing here but shipped (``classroom``, ``scenarios/crisis.toml``)
    is read from the installed copy, so every command works from any folder; one line on
    stderr says which file was used. A file of the current folder always wins."""
    value = getattr(args, "scenario", None)
    if isinstance(value, str):
        from simulator.scenario_files import resolve_scenario_path

        args.scenario = resolve_scenario_path(
            value, report=lambda line: print(f"virality: {line}", file=sys.stderr, flush=True))


def _main(argv: Sequence[str] | None) -> int:
    try:
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "command", None):
            parser.print_help()
            return EXIT_USAGE
        _resolve_scenario_argument(args)
        return int(args.func(args) or 0)
    except ConfigError as exc:
        print(f"virality: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except (FileNotFoundError, FileExistsError, IsADirectoryError, NotADirectoryError,
            PermissionError) as exc:
        print(f"virality: error: {exc.strerror or exc}: '{exc.filename}'", file=sys.stderr)
        return EXIT_USAGE
    except MemoryError:
        print("virality: error: out of memory; lower graph.n, graph.mean_degree, "
              "run.replicates or run.steps", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("virality: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())

__all__ = ["main", "build_parser", "format_table", "write_run_outputs"]
