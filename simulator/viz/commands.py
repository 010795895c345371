"""``virality viz`` and ``virality animate`` (registered by :mod:`simulator.cli`).

Kept light: argparse only at import; the scenario, Mesa, Solara and
matplotlib are imported inside the handlers.

How the page is served: ``virality viz`` checks the scenario, then runs
``python -m solara run simulator.viz.app --production`` as a child process,
passing the scenario through environment variables (see
:mod:`simulator.viz.app`). solara 1.58.2 ships its assets (solara-assets), so
the page works without internet; telemetry is switched off.

The page server never outlives ``virality viz`` (:func:`serve_page`): Ctrl+C,
SIGTERM or SIGHUP stop it (SIGTERM, then SIGKILL after :data:`STOP_TIMEOUT`),
and on Linux the kernel kills it if ``virality viz`` itself is killed
outright. Otherwise an orphaned server would keep the port, and the next
``virality viz`` there would talk to the old page. "Ready" is said only once
the server answers HTTP.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from simulator.errors import ConfigError

DEFAULT_SCENARIO = "scenarios/classroom.toml"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
VIZ_EXTRA = "the viz extra is not installed; allowed: pip install 'virality-simulator[viz]'"
#: Seconds the page server gets to stop after SIGTERM before it is killed (an open
#: browser tab can hold uvicorn's graceful shutdown for a long time).
STOP_TIMEOUT = 5.0
#: Seconds between two "does the page answer yet?" requests while the server starts.
READY_POLL = 0.25
#: Seconds one such request may take (the first page load may import the app).
READY_REQUEST_TIMEOUT = 10.0


def register(sub) -> None:
    """Add the ``viz`` and ``animate`` subcommands."""
    p = sub.add_parser(
        "viz", help="open the classroom web page (Mesa SolaraViz)",
        description="Serve the classroom page: the friend graph coloured by opinion, a live "
        "chart, sliders for the lesson's parameters, Play / Step / Reset.",
        epilog="example:\n  virality viz                  # then open http://localhost:8765\n  virality viz scenarios/classroom.toml --port 0\n  virality scenarios copy classroom my_lesson.toml   # edit it, then:\n  virality viz my_lesson.toml\nfor teachers: the README's 'In class in five minutes'",
    )
    p.add_argument("scenario", nargs="?", default=DEFAULT_SCENARIO,
                   help=f"scenario TOML file or shipped name (default: {DEFAULT_SCENARIO}, "
                   "the shipped copy when there is none here)")
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


def _free_port(host: str) -> int:
    """A port free on ``host`` now, for ``--port 0``: picked here, not by solara, so
    ``virality viz`` knows the address to poll and to print."""
    import socket

    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]


@dataclasses.dataclass(frozen=True)
class PageServer:
    """How to start the page server (checked, not started) and where it will answer."""

    cmd: list[str]
    env: dict[str, str]
    host: str
    port: int

    @property
    def url(self) -> str:
        """The address to open: a wildcard host is shown and polled as this machine."""
        host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(self.host, self.host)
        return f"http://[{host}]:{self.port}/" if ":" in host else f"http://{host}:{self.port}/"

    @property
    def shown_url(self) -> str:
        """The address a teacher types (``localhost`` for this machine)."""
        if self.host in ("127.0.0.1", "0.0.0.0"):
            return f"http://localhost:{self.port}"
        return self.url.rstrip("/")


def page_server(args) -> PageServer:
    """Check ``virality viz``'s arguments and the scenario; the server to start."""
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
    port = args.port or _free_port(args.host)
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
        "--host", args.host, "--port", str(port), "--production", "--no-open",
        # solara would ask PyPI for a newer version and tell the teacher to upgrade;
        # newer releases fetch assets from a CDN and render a blank page offline.
        "--no-check-version",
    ]
    return PageServer(cmd=cmd, env=env, host=args.host, port=port)


def viz_command(args) -> tuple[list[str], dict[str, str]]:
    """The command line and environment that serve the page (checked, not started)."""
    server = page_server(args)
    return server.cmd, server.env


# ------------------------------------------------------------ the child process
#: prctl(2) option: the signal the kernel sends a process when its parent dies.
PR_SET_PDEATHSIG = 1


def _dies_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child die with this process (Linux), or ``None``.

    SIGTERM and Ctrl+C are handled by :func:`serve_page`, but SIGKILL, a crash
    or an out-of-memory kill of ``virality viz`` run no Python code; on Linux
    ``prctl(PR_SET_PDEATHSIG, SIGKILL)`` has the kernel kill the server then.
    SIGKILL rather than SIGTERM: nobody is left to escalate if it hangs. The
    signal is tied to the thread that starts the child, the main thread here.
    Other platforms have no such call: there only the orderly stops apply.
    """
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        prctl = ctypes.CDLL(None, use_errno=True).prctl  # loaded now: nothing to import after fork
    except (OSError, AttributeError):
        return None
    parent = os.getpid()

    def set_death_signal() -> None:
        prctl(PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0)
        if os.getppid() != parent:  # the parent died before prctl: no signal will come
            os._exit(1)

    return set_death_signal


class _StopRequested(Exception):
    """Ctrl+C, SIGTERM or SIGHUP reached ``virality viz``: stop the page server, then exit."""


#: The signals that stop the page server (SIGHUP: the teacher's terminal was closed).
_STOP_SIGNALS = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP")
                      if hasattr(signal, name))


def _handle(signals, handler) -> dict:
    """Set ``handler`` for ``signals``; the previous handlers, to restore.

    A signal ignored when ``virality viz`` started stays ignored, as the
    server inherits it: ``nohup`` ignores SIGHUP so a logout leaves the page
    running, and a shell ignores SIGINT for a job started with ``&``. Python
    lets only the main thread set handlers; elsewhere (a test calling the
    command from a thread) nothing is changed.
    """
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for sig in signals:
        if signal.getsignal(sig) == signal.SIG_IGN:
            continue
        before = signal.signal(sig, handler)
        previous[sig] = signal.SIG_DFL if before is None else before  # None: set outside Python
    return previous


class _Stopper:
    """The signal handlers while the page server runs.

    The first stop signal raises :class:`_StopRequested` in the main thread,
    which leaves any wait at once (an HTTP poll, ``Popen.wait``); the server is
    then stopped in order. Any further signal kills it at once instead of
    raising again, so a second Ctrl+C can never interrupt the stopping and
    leave the server running.
    """

    def __init__(self) -> None:
        self.proc: subprocess.Popen | None = None
        self.previous = _handle(_STOP_SIGNALS, self._first)

    def _first(self, signum, frame) -> None:
        self.stopping()
        raise _StopRequested(signum)

    def _again(self, signum, frame) -> None:
        if self.proc is not None:
            self.proc.kill()

    def stopping(self) -> None:
        """From now on a signal kills the server rather than raising."""
        _handle(_STOP_SIGNALS, self._again)

    def restore(self) -> None:
        for sig, handler in self.previous.items():
            signal.signal(sig, handler)


def stop_child(proc: subprocess.Popen, timeout: float = STOP_TIMEOUT) -> None:
    """Stop ``proc``: SIGTERM, then SIGKILL if it has not exited after ``timeout`` seconds."""
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_until_answers(url: str, proc: subprocess.Popen) -> int | None:
    """Poll ``url`` until the server answers; its HTTP status, or ``None`` if it exited first."""
    import http.client
    import urllib.error
    import urllib.request

    # Never through a proxy from the environment: the server is on this machine.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    while proc.poll() is None:
        try:
            with opener.open(url, timeout=READY_REQUEST_TIMEOUT) as response:
                return response.status
        except urllib.error.HTTPError as exc:  # it answered, with an error
            return exc.code
        except (OSError, http.client.HTTPException):  # not listening yet
            time.sleep(READY_POLL)
    return None


def serve_page(server: PageServer, label: str) -> int:
    """Run the page server until it exits or ``virality viz`` is asked to stop.

    Announces the page once it answers HTTP. Ctrl+C, SIGTERM and SIGHUP stop
    the server (:func:`stop_child`) and return 0; a second signal while it
    stops kills it at once. Returns the server's exit code if it ends by itself.
    """
    print(f"virality: starting the classroom page for {label} on {server.shown_url} ...",
          file=sys.stderr, flush=True)
    stopper = _Stopper()
    try:
        stopper.proc = subprocess.Popen(server.cmd, env=server.env,
                                        preexec_fn=_dies_with_parent())
        status = wait_until_answers(server.url, stopper.proc)
        if status is not None and status < 400:
            print(f"virality: the classroom page is ready: open {server.shown_url} "
                  "(press Ctrl+C to stop)", file=sys.stderr, flush=True)
        elif status is not None:
            print(f"virality: warning: the page server answers HTTP {status} on "
                  f"{server.shown_url}; see its messages above", file=sys.stderr, flush=True)
        code = stopper.proc.wait()
        code = 128 - code if code < 0 else code  # killed by signal N: the shell's 128 + N
        if status is None:
            print(f"virality: error: the page server stopped before it answered (exit code "
                  f"{code}); see its messages above", file=sys.stderr, flush=True)
        return code
    except (_StopRequested, KeyboardInterrupt):  # KeyboardInterrupt: no handlers off the main thread
        return 0
    finally:
        # However the wait ended (a signal, an error), the server does not outlive us.
        stopper.stopping()
        if stopper.proc is not None:
            stop_child(stopper.proc)
        stopper.restore()


def cmd_viz(args) -> int:
    return serve_page(page_server(args), args.scenario)


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
