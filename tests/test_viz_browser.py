"""The classroom page in a real headless Chromium, and the ``viz`` / ``animate`` commands.

The browser test starts ``virality viz`` on a free port of 127.0.0.1, drives
the page with Playwright (Debian's Chromium, never ``playwright install``),
steps the model, moves a slider, resets, and saves a screenshot to
``test-artifacts/viz.png``. The server is always stopped at the end.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from simulator.cli import main

pytestmark = [
    # solara's hook validator flags Mesa 3.3.1's ComponentsView when Mesa's viz is imported.
    pytest.mark.filterwarnings("ignore::UserWarning:solara.*"),
]

ROOT = Path(__file__).resolve().parents[1]
CLASSROOM = ROOT / "scenarios" / "classroom.toml"
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-gpu",
]
START_TIMEOUT = 45.0  # first start compiles the numba kernels (cached afterwards)
UI_TIMEOUT_MS = 20_000


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"virality viz exited with {proc.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"virality viz did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text()}")


@pytest.fixture()
def server(tmp_path):
    pytest.importorskip("solara", reason="the page needs the viz extra (solara)")
    pytest.importorskip("mesa", reason="the page needs the viz extra (mesa)")
    port = free_port()
    log = tmp_path / "viz.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "simulator.cli", "viz", str(CLASSROOM),
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own group: stopping it stops solara's server too
        )
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_until_up(url, proc, log)
        yield url, log
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_page_steps_redraws_and_resets_with_a_new_value(server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    url, log = server
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.set_default_timeout(UI_TIMEOUT_MS)
            page.goto(url)
            counter = page.get_by_text("Step: 0", exact=True)
            counter.wait_for()
            network = page.locator("img.virality-network")
            chart = page.locator("img.virality-chart")
            network.wait_for(state="visible")
            chart.wait_for(state="visible")
            for img in (network, chart):
                box = img.bounding_box()
                assert box is not None and box["width"] > 200 and box["height"] > 150
            sync_api.expect(page.locator(".virality-lesson")).to_contain_text("aware 3 of 300")
            assert_no_error_text(page)

            before = network.screenshot()
            step = page.get_by_role("button", name="Step")
            step.click()
            page.get_by_text("Step: 1", exact=True).wait_for()
            step.click()
            page.get_by_text("Step: 2", exact=True).wait_for()
            sync_api.expect(page.locator(".virality-lesson")).to_contain_text("Step 2 of 40")
            assert wait_for_change(network, before), "the network picture did not change"
            assert_no_error_text(page)

            slider = page.locator(".v-input", has_text="p_positive").get_by_role("slider")
            assert slider.get_attribute("aria-valuenow") == "0.15"
            slider.focus()
            for _ in range(10):  # ten steps of 0.01
                page.keyboard.press("ArrowRight")
            sync_api.expect(slider).to_have_attribute("aria-valuenow", "0.25")
            page.get_by_role("button", name="Reset").click()
            page.get_by_text("Step: 0", exact=True).wait_for()
            # The rebuilt model carries the new value (the text reads the model itself).
            sync_api.expect(page.locator(".virality-params")).to_contain_text("p_positive = 0.25")
            sync_api.expect(page.locator(".virality-lesson")).to_contain_text("Step 0 of 40")
            assert_no_error_text(page)

            # Play runs on by itself until paused.
            page.get_by_role("button", name="▶").click()
            assert wait_for_step(page, at_least=12), "Play did not advance the model"
            page.get_by_role("button", name="❚❚").click()
            page.get_by_role("button", name="▶").wait_for()
            assert_no_error_text(page)
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / "viz.png"), full_page=True)
        finally:
            browser.close()
    assert "Traceback" not in log.read_text()


def assert_no_error_text(page) -> None:
    text = page.locator("body").inner_text()
    for word in ("Traceback", "Error", "error in step"):
        assert word not in text, f"{word!r} on the page:\n{text[:2000]}"


def wait_for_step(page, at_least: int, timeout: float = 20.0) -> bool:
    counter = page.locator(".virality-step")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if int(counter.inner_text().split()[1]) >= at_least:
            return True
        time.sleep(0.2)
    return False


def wait_for_change(locator, before: bytes, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if locator.screenshot() != before:
            return True
        time.sleep(0.2)
    return False


# ----------------------------------------------------------------- the commands
def test_viz_rejects_bad_input_with_exit_code_2(tmp_path, capsys):
    assert main(["viz", str(CLASSROOM), "--port", "70000"]) == 2
    assert "--port = 70000 is out of range" in capsys.readouterr().err
    assert main(["viz", str(tmp_path / "missing.toml")]) == 2
    assert "not found" in capsys.readouterr().err
    assert main(["viz", str(CLASSROOM), "--set", "graph.n=100000"]) == 2
    assert "graph.n = 100000 is too large to draw" in capsys.readouterr().err
    assert main(["viz", str(CLASSROOM), "--set", "wom.p_positive=2"]) == 2
    assert "wom.p_positive" in capsys.readouterr().err


def test_viz_refuses_a_port_in_use_before_saying_it_serves(capsys):
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as held:
        held.bind(("127.0.0.1", 0))
        held.listen()
        port = held.getsockname()[1]
        assert main(["viz", str(CLASSROOM), "--port", str(port)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"virality: error: --port = {port} is in use on 127.0.0.1; allowed: a free "
                   "port, or --port 0 to pick one"]


def test_viz_serves_the_app_module_with_solara(tmp_path):
    from simulator.cli import build_parser
    from simulator.viz.commands import viz_command

    args = build_parser().parse_args(["viz", str(CLASSROOM), "--port", "9999", "--set",
                                      "wom.p_negative=0.3", "--seed", "4"])
    cmd, env = viz_command(args)
    assert cmd[1:5] == ["-m", "solara", "run", "simulator.viz.app"]
    assert cmd[cmd.index("--port") + 1] == "9999" and cmd[cmd.index("--host") + 1] == "127.0.0.1"
    assert env["VIRALITY_SCENARIO"] == str(CLASSROOM)
    assert env["VIRALITY_OVERRIDES"] == '{"wom.p_negative": 0.3}' and env["VIRALITY_SEED"] == "4"


def test_animate_writes_a_gif_with_a_frame_per_step(tmp_path, capsys):
    pil = pytest.importorskip("PIL.Image", reason="the animation needs Pillow")
    out = tmp_path / "spread.gif"
    assert main(["animate", str(CLASSROOM), "--out", str(out), "--steps", "4", "--fps", "5",
                 "--seed", "7"]) == 0
    err = capsys.readouterr().err
    assert "frames" in err  # the tqdm bar on stderr
    with pil.open(out) as gif:
        assert gif.n_frames == 5  # step 0 to step 4
        first = gif.convert("RGB").tobytes()
        gif.seek(4)
        assert gif.convert("RGB").tobytes() != first  # the spread shows
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".spread")]  # no temp left


@pytest.mark.parametrize(
    ("extra", "words"),
    [
        (["--out", "spread.txt"], "unknown format; allowed: .gif, .mp4"),
        (["--fps", "0"], "--fps = 0.0 is out of range"),
        (["--steps", "0"], "--steps = 0 is out of range"),
        (["--seed", "-2"], "--seed = -2 is out of range"),
        (["--out", "no/such/folder/a.gif"], "does not exist"),
    ],
)
def test_animate_rejects_bad_input(tmp_path, capsys, monkeypatch, extra, words):
    monkeypatch.chdir(tmp_path)
    argv = ["animate", str(CLASSROOM), "--quiet"] + extra
    if "--out" not in extra:
        argv += ["--out", "spread.gif"]
    assert main(argv) == 2
    assert words in capsys.readouterr().err
    assert not list(tmp_path.iterdir())  # nothing written


def test_animate_mp4_needs_ffmpeg(tmp_path, capsys):
    if shutil.which("ffmpeg") is not None:
        pytest.skip("ffmpeg is installed: .mp4 is allowed here")
    assert main(["animate", str(CLASSROOM), "--out", str(tmp_path / "a.mp4"), "--quiet"]) == 2
    assert "needs ffmpeg" in capsys.readouterr().err
