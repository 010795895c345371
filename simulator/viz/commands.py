"""``virality viz`` and ``virality animate`` (registered by :mod:`simulator.cli`).

Kept light: argparse only at import; the scenario, Mesa, Solara and
matplotlib are imported inside the handlers.

How the page is served: ``virality viz`` checks the scenario, then runs
``python -m solara run simulator.viz.app --production`` as a child process,
passing the scenario through environment variables (see
:mod:`simulator.viz.app`). solara 1.58.2 ships its assets (solara-assets), so
the page works without internet; telemetry is switched off.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

from simulator.errors import ConfigError

DEFAULT_SCENARIO = "scenarios/classroom.toml"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
VIZ_EXTRA = "the viz extra is not installed; allowed: pip install 'virality-simulator[viz]'"


def register(sub) -> None:
    """Add the ``viz`` and ``animate`` subcommands."""
    p = sub.add_parser(
        "viz", help="open the classroom web page (Mesa SolaraViz)",
        description="Serve the classroom page: the friend graph coloured by opinion, a live "
        "chart, sliders for the lesson's parameters, Play / Step / Reset.",
        epilog="example:\n  virality viz                  # then open http://localhost:8765\n  virality viz scenarios/classroom.toml --port 0\nfor teachers: the README's 'In class in five minutes'",
    )
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                   help=f"scenario TOML file (default: {DEFAULT_SCENARIO})")
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to listen on (default: {DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"port (default: {DEFAULT_PORT}; 0 picks a free one)")
    p.add_argument("--seed", type=int, help="master seed (default: [run] seed)")
    _add_set(p)
    p.set_defaults(func=cmd_viz)

    p = sub.add_parser(
        "animate", help="write the spreading network as a GIF (or MP4)",
        description="Step the scenario and write the network picture of every step to a GIF "
        "(Pillow) or an MP4 (needs ffmpeg).",
        epilog='example:\n  virality animate scenarios/classroom.toml --out spread.gif --steps 40',
    )
    p.add_argument("scenario", help="scenario TOML file")
    p.add_argument("--out", default="spread.gif", help="output file, .gif or .mp4 (default: spread.gif)")
    p.add_argument("--steps", type=int, help="steps to draw (default: [run] steps)")
    p.add_argument("--seed", type=int, help="master seed (default: [run] seed)")
    p.add_argument("--fps", type=float, default=4.0, help="frames per second (default: 4)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_set(p)
    p.set_defaults(func=cmd_animate)


def _add_set(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", action="append", metavar="SECTION.KEY=VALUE",
                   help="override a scenario value (repeatable), e.g. --set wom.p_positive=0.2")


def _overrides(pairs) -> dict:
    from simulator.cli import _overrides as parse

    return parse(pairs)


def _need_viz_extra() -> None:
    for module in ("mesa", "solara", "matplotlib", "PIL"):
        if importlib.util.find_spec(module) is None:
            raise ConfigError(f"module '{module}' is missing: {VIZ_EXTRA}")


def _check_seed(seed) -> None:
    from simulator.params import check_run_value

    if seed is not None:
        check_run_value("seed", seed, "--seed")


def _check_port_free(host: str, port: int) -> None:
    """Refuse a port another program holds, before saying "serving" (the server would fail)."""
    import errno
    import socket

    if port == 0:
        return
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the server binds
        try:
            probe.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(
                    f"--port = {port} is in use on {host}; allowed: a free port, or --port 0 to "
                    "pick one"
                ) from None
            raise ConfigError(f"--host = {host!r} cannot be served here ({exc.strerror})") from None


def viz_command(args) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that serve the page (checked, not started)."""
    from simulator.scenario import Scenario
    from simulator.viz.drawing import check_drawable

    _need_viz_extra()
    if not 0 <= args.port <= 65535:
        raise ConfigError(f"--port = {args.port} is out of range; allowed: 0 <= port <= 65535")
    if not args.host.strip():
        raise ConfigError("--host = '' is not allowed; expected an address such as 127.0.0.1")
    _check_port_free(args.host, args.port)
    _check_seed(args.seed)
    overrides = _overrides(args.set)
    scenario = Scenario.load(args.scenario, overrides)
    check_drawable(scenario.graph.n)
    env = dict(os.environ)
    env.update({
        "VIRALITY_SCENARIO": str(Path(args.scenario).resolve()),
        "VIRALITY_OVERRIDES": json.dumps(overrides),
        "VIRALITY_SEED": "" if args.seed is None else str(args.seed),
        # No internet in a classroom is normal: no telemetry.
        "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
        # Keep the teacher's terminal clean: solara's hook check flags Mesa 3.3.1's
        # ComponentsView (harmless), and plain http on localhost is expected.
        "PYTHONWARNINGS": "ignore::UserWarning:solara.validate_hooks,"
                          "ignore::UserWarning:solara.server.starlette",
    })
    cmd = [
        sys.executable, "-m", "solara", "run", "simulator.viz.app",
        "--host", args.host, "--port", str(args.port), "--production", "--no-open",
        # solara would ask PyPI for a newer version and tell the teacher to upgrade;
        # newer releases fetch assets from a CDN and render a blank page offline.
        "--no-check-version",
    ]
    return cmd, env


def cmd_viz(args) -> int:
    cmd, env = viz_command(args)
    shown = "localhost" if args.host in ("127.0.0.1", "0.0.0.0") else args.host
    print(f"virality: serving the classroom page on http://{shown}:{args.port} "
          f"({args.scenario}); press Ctrl+C to stop", file=sys.stderr)
    proc = subprocess.Popen(cmd, env=env)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        return 0


def cmd_animate(args) -> int:
    from simulator.scenario import Scenario

    _need_viz_extra()
    _check_seed(args.seed)
    if args.steps is not None:
        from simulator.params import check_run_value

        check_run_value("steps", args.steps, "--steps")
    scenario = Scenario.load(args.scenario, _overrides(args.set))
    from simulator.viz.animate import animate

    out = animate(scenario, args.out, steps=args.steps, seed=args.seed, fps=args.fps,
                  progress=not args.quiet)
    if not args.quiet:
        print(f"wrote {out}")
    return 0
