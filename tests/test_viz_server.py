"""``virality viz`` for real: the page server starts, says "ready" only once it answers,
and never outlives the command (SIGTERM, Ctrl+C, or the command killed outright).

Each test starts ``python -m simulator viz`` in a subprocess on a free port of
127.0.0.1, from a folder without a ``scenarios/`` folder (the shipped
classroom scenario is used), and checks with psutil that no server process
is left and the port is free again.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from simulator.cli import main

pytestmark = [
    pytest.mark.skipif(os.name != "posix", reason="signals as POSIX sends them"),
    # solara's hook validator flags Mesa 3.3.1's ComponentsView when Mesa's viz is imported.
    pytest.mark.filterwarnings("ignore::UserWarning:solara.*"),
]

ROOT = Path(__file__).resolve().parents[1]
CLASSROOM = ROOT / "scenarios" / "classroom.toml"
START_TIMEOUT = 60.0  # a first start may compile the numba kernels (cached afterwards)
STOP_TIMEOUT = 15.0   # the command's own: SIGTERM, then SIGKILL after 5 s
FREE_TIMEOUT = 5.0    # the port is free again within a few seconds of the command's end
READY = "the classroom page is ready"

psutil = pytest.importorskip("psutil")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def answers(port: int) -> bool:
    """Whether something accepts connections on the port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(1.0)
        return s.connect_ex(("127.0.0.1", port)) == 0


def get(url: str) -> int:
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=10) as response:
        return response.status


def gone(process: psutil.Process) -> bool:
    """Dead: exited, or a zombie waiting for whoever adopted it to reap it."""
    try:
        return not process.is_running() or process.status() == psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return True


def wait_for(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return condition()


class Viz:
    """``python -m simulator viz`` in a subprocess; its stderr read line by line.

    When the "ready" line is read, whether the port accepts connections at that
    moment is recorded: the line must never come before the server answers.
    """

    def __init__(self, cwd: Path, port: int, *extra: str) -> None:
        self.port = port
        self.url = f"http://127.0.0.1:{port}/"
        self.lines: list[str] = []
        self.answered_when_ready: bool | None = None
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "simulator", "viz", *extra, "--port", str(port)],
            cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
            # As a terminal's foreground job: Ctrl+C is not ignored (a test runner started
            # in the background may pass SIGINT on ignored).
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self) -> None:
        for line in self.proc.stderr:
            if READY in line and self.answered_when_ready is None:
                self.answered_when_ready = answers(self.port)
            self.lines.append(line.rstrip("\n"))

    @property
    def log(self) -> str:
        return "\n".join(self.lines)

    def wait_ready(self) -> None:
        if not wait_for(lambda: self.answered_when_ready is not None or self.proc.poll() is not None,
                        START_TIMEOUT):
            pytest.fail(f"virality viz said nothing ready within {START_TIMEOUT:.0f} s:\n{self.log}")
        if self.proc.poll() is not None:
            self.reader.join(timeout=5)
            pytest.fail(f"virality viz exited with {self.proc.returncode}:\n{self.log}")

    def servers(self) -> list[psutil.Process]:
        return psutil.Process(self.proc.pid).children(recursive=True)

    def close(self) -> None:
        """Whatever a failed test left running: the command's group, then its children."""
        leftovers = []
        try:
            leftovers = self.servers()
        except psutil.NoSuchProcess:
            pass
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for process in leftovers:
            try:
                process.kill()
            except psutil.NoSuchProcess:
                pass


@pytest.fixture()
def viz(tmp_path):
    pytest.importorskip("solara", reason="the page needs the viz extra (solara)")
    pytest.importorskip("mesa", reason="the page needs the viz extra (mesa)")
    started: list[Viz] = []

    def start(*extra: str) -> Viz:
        server = Viz(tmp_path, free_port(), *extra)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def assert_stopped(server: Viz, servers: list[psutil.Process]) -> None:
    assert wait_for(lambda: not answers(server.port), FREE_TIMEOUT), \
        f"port {server.port} still answers after virality viz ended:\n{server.log}"
    assert wait_for(lambda: all(gone(p) for p in servers), FREE_TIMEOUT), \
        f"page server processes left: {[p.pid for p in servers if not gone(p)]}"
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:  # the next viz can take it
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", server.port))


def test_sigterm_stops_the_page_server_and_frees_the_port(viz, capsys):
    server = viz()  # no scenario argument, from a folder without scenarios/
    server.wait_ready()
    assert server.answered_when_ready, f"'ready' was said before the server answered:\n{server.log}"
    assert get(server.url) == 200
    assert any("using the shipped scenarios/classroom.toml" in line for line in server.lines)
    servers = server.servers()
    assert servers, "virality viz should serve the page from a child process"

    # A second viz on the same port is refused in one line, not sent to the old server.
    assert main(["viz", str(CLASSROOM), "--port", str(server.port)]) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        f"virality: error: --port = {server.port} is in use on 127.0.0.1; allowed: a free "
        "port, or --port 0 to pick one"]

    server.proc.send_signal(signal.SIGTERM)
    assert server.proc.wait(timeout=STOP_TIMEOUT) == 0
    assert_stopped(server, servers)
    assert "Traceback" not in server.log


def test_ctrl_c_stops_the_page_server(viz):
    server = viz(str(CLASSROOM))
    server.wait_ready()
    servers = server.servers()
    # Only the command gets SIGINT here (a terminal's Ctrl+C reaches both): it must
    # stop the server itself.
    server.proc.send_signal(signal.SIGINT)
    assert server.proc.wait(timeout=STOP_TIMEOUT) == 0
    assert_stopped(server, servers)
    assert "Traceback" not in server.log


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_the_page_server_dies_with_a_killed_command(viz):
    server = viz(str(CLASSROOM))
    server.wait_ready()
    servers = server.servers()
    server.proc.send_signal(signal.SIGKILL)  # no Python code runs: the kernel must do it
    server.proc.wait(timeout=STOP_TIMEOUT)
    assert_stopped(server, servers)


# ------------------------------------------------------------- without a server
def test_port_0_is_picked_before_the_start_so_it_can_be_polled_and_shown():
    pytest.importorskip("solara", reason="the page needs the viz extra (solara)")
    from simulator.cli import build_parser
    from simulator.viz.commands import page_server

    server = page_server(build_parser().parse_args(["viz", str(CLASSROOM), "--port", "0"]))
    assert server.port > 0 and server.cmd[server.cmd.index("--port") + 1] == str(server.port)
    assert server.url == f"http://127.0.0.1:{server.port}/"
    assert server.shown_url == f"http://localhost:{server.port}"


@pytest.mark.parametrize("host, url", [
    ("0.0.0.0", "http://127.0.0.1:8765/"),
    ("::", "http://[::1]:8765/"),
    ("192.168.1.20", "http://192.168.1.20:8765/"),
])
def test_a_wildcard_host_is_polled_on_this_machine(host, url):
    from simulator.viz.commands import PageServer

    assert PageServer(cmd=[], env={}, host=host, port=8765).url == url


def test_signals_ignored_at_start_stay_ignored():
    """``nohup virality viz &`` keeps the page across a logout: SIGHUP stays ignored."""
    from simulator.viz.commands import _Stopper

    before = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    term = signal.getsignal(signal.SIGTERM)
    try:
        stopper = _Stopper()
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        assert signal.getsignal(signal.SIGTERM) != term  # SIGTERM does stop it
        stopper.stopping()
        assert signal.getsignal(signal.SIGHUP) == signal.SIG_IGN
        stopper.restore()
        assert signal.getsignal(signal.SIGTERM) == term
    finally:
        signal.signal(signal.SIGHUP, before)
