"""The classroom page in a real headless Chromium, and the ``viz`` / ``animate`` commands.

The browser tests start ``virality viz`` on a free port of 127.0.0.1 (one
server for the file) and drive the page with Playwright (Debian's Chromium,
never ``playwright install``) as a teacher would, at 1024x768, 1280x720 and
1920x1080 and at 150% zoom: every button, slider, choice and tab, and what can
go wrong with each (the page wider than the window, text too small to read
from the back of the room, a view covered by another, an error on the page).
A last test starts a server with an empty numba cache, as on a fresh
install, and times the first Step.

Screenshots (and each one as a student with deuteranopia sees it) go to a
folder the tests print (``VIRALITY_SCREENSHOTS``, or pytest's temporary
folder). Every server is stopped at the end.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from simulator.cli import main

pytestmark = [
    # solara's hook validator flags Mesa 3.3.1's ComponentsView when Mesa's viz is imported.
    pytest.mark.filterwarnings("ignore::UserWarning:solara.*"),
]

ROOT = Path(__file__).resolve().parents[1]
CLASSROOM = ROOT / "scenarios" / "classroom.toml"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-background-networking", "--disable-component-update",
    "--disable-gpu",
]
START_TIMEOUT = 45.0
READY_TIMEOUT_MS = 90_000  # a cold start compiles the kernels before the page is usable
UI_TIMEOUT_MS = 20_000
SIZES = [(1024, 768), (1280, 720), (1920, 1080)]
#: Readable from the back of a room: chart ticks, legends and text at least this big (CSS px).
MIN_FONT_PX = 14.0
#: The words the page must never show.
ERROR_WORDS = ("Traceback", "Error", "error in step", "Page 0", "PAGE 0", "runs on Solara",
               "not in the engine", "nothing more can happen")

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


def start_server(log: Path, env: dict | None = None):
    pytest.importorskip("solara", reason="the page needs the viz extra (solara)")
    pytest.importorskip("mesa", reason="the page needs the viz extra (mesa)")
    port = free_port()
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "simulator.cli", "viz", str(CLASSROOM),
             "--host", "127.0.0.1", "--port", str(port)],
            cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=env,
            start_new_session=True,  # its own group: stopping it stops solara's server too
        )
    url = f"http://127.0.0.1:{port}/"
    wait_until_up(url, proc, log)
    return url, proc


def stop_server(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    log = tmp_path_factory.mktemp("viz") / "viz.log"
    url, proc = start_server(log)
    try:
        yield url, log
    finally:
        stop_server(proc)
    assert "Traceback" not in log.read_text(), log.read_text()[-3000:]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package")
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    folder = Path(os.environ.get("VIRALITY_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    folder.mkdir(parents=True, exist_ok=True)
    print(f"\nclassroom page screenshots: {folder}")
    return folder


def open_page(browser, url: str, width: int, height: int, scale: float = 1.0):
    page = browser.new_context(viewport={"width": width, "height": height},
                               device_scale_factor=scale).new_page()
    page.set_default_timeout(UI_TIMEOUT_MS)
    page.goto(url)
    page.locator(".vr-step").wait_for(timeout=READY_TIMEOUT_MS)
    page.locator(".vr-net-svg .vr-node").first.wait_for(state="attached")
    return page


# ------------------------------------------------------- Mesa's SolaraViz page
def play_button(page):
    """Mesa's Play (SolaraViz's controller labels it "▶")."""
    return page.locator(".vr-mesa-controls").get_by_role("button", name="▶", exact=True)


def pause_button(page):
    return page.locator(".vr-mesa-controls").get_by_role("button", name="❚❚", exact=True)


def step_button(page):
    return page.locator(".vr-mesa-controls").get_by_role("button", name="Step", exact=True)


def assert_solaraviz_page(page) -> None:
    """The page is Mesa's SolaraViz: its controller card (Reset, Play, Step beside its play
    and render intervals and its threads checkbox), its "Model Parameters" and "Information"
    cards, its page tab, and the views on its grid; and what a student must not see of it
    (the developer controls, the "Page 0" tab, the grid's resize handle) is hidden."""
    from playwright.sync_api import expect

    found = page.evaluate("""() => {
        const cards = Array.from(document.querySelectorAll('.vr-mesa-controls .v-card'));
        const titles = cards.map(c => (c.querySelector('.v-card__title') || {}).textContent);
        const buttons = Array.from(document.querySelectorAll(
            '.vr-mesa-controls .v-card__text > .v-sheet > .v-btn')).map(b => b.textContent.trim());
        const tab = Array.from(document.querySelectorAll('.v-tab')).find(t => t.textContent === 'Page 0');
        const item = document.querySelector('.vue-grid-layout .vue-grid-item .vr-page');
        const visible = e => !!e && e.getClientRects().length > 0;
        return {titles: titles, buttons: buttons, tab: !!tab, tabVisible: visible(tab),
                inGrid: !!item, handle: visible(document.querySelector('.vue-resizable-handle'))};
    }""")
    assert found["titles"][:3] == ["Controls", "Model Parameters", "Information"], found
    assert found["buttons"][0] == "Reset" and found["buttons"][2] == "Step", found
    assert found["buttons"][1] in ("▶", "❚❚"), found
    assert found["tab"] and not found["tabVisible"], found  # SolaraViz's page 0, its tab hidden
    assert found["inGrid"] and not found["handle"], found
    for name in ("Play Interval (ms)", "Render Interval (steps)"):
        slider = page.get_by_role("slider", name=name, include_hidden=True)
        expect(slider).to_have_count(1)
        expect(slider).to_be_hidden()
    expect(page.get_by_role("checkbox", name="Use Threads", include_hidden=True)).to_be_hidden()
    expect(page.get_by_text("Command Console")).to_have_count(0)


# ---------------------------------------------------------------- what can fail
def assert_no_error_text(page) -> None:
    text = page.locator("body").inner_text()
    for word in ERROR_WORDS:
        assert word not in text, f"{word!r} on the page:\n{text[:2000]}"


def assert_fits(page, where: str) -> None:
    """Nothing is wider than the window: no horizontal scrolling, no element past its right edge."""
    found = page.evaluate("""() => {
        const width = document.documentElement.clientWidth, wide = [];
        for (const el of document.querySelectorAll('.vr-layout *')) {
            const r = el.getBoundingClientRect();
            if (r.width > 0 && r.height > 0 && r.right > width + 1) {
                wide.push(el.tagName + '.' + el.getAttribute('class') + ' right=' + Math.round(r.right));
            }
        }
        return {scroll: document.documentElement.scrollWidth, width: width, wide: wide.slice(0, 5)};
    }""")
    assert found["scroll"] <= found["width"] + 1, f"{where}: page scrolls sideways: {found}"
    assert not found["wide"], f"{where}: past the right edge: {found['wide']}"


def assert_not_covered(page, selector: str) -> None:
    """The centre of the view is the view itself (not a drawer, a banner or a footer over it)."""
    page.locator(selector).scroll_into_view_if_needed()
    box = page.locator(selector).bounding_box()
    assert box is not None and box["width"] > 0, selector
    x, y = box["x"] + box["width"] / 2, min(box["y"] + box["height"] / 2, page.viewport_size["height"] - 5)
    on_top = page.evaluate("([x, y, s]) => { const e = document.elementFromPoint(x, y); "
                           "return !!(e && e.closest(s)); }", [x, y, selector])
    assert on_top, f"{selector} is covered at its centre"


def font_px(page, selector: str) -> float:
    sizes = page.evaluate("(s) => Array.from(document.querySelectorAll(s)).map("
                          "e => parseFloat(getComputedStyle(e).fontSize))", selector)
    assert sizes, f"nothing matches {selector}"
    return min(sizes)


def assert_readable(page) -> None:
    for selector in (".vr-chart .vr-tick", ".vr-chart-legend .vr-key-item", ".vr-legend .vr-key-item",
                     ".vr-counts", ".vr-tab-body", ".vr-step"):
        assert font_px(page, selector) >= MIN_FONT_PX, selector


def step_number(page) -> int:
    return int(re.match(r"Step (\d+) of", page.locator(".vr-step").inner_text()).group(1))


def wait_for_step(page, at_least: int, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if step_number(page) >= at_least:
            return True
        time.sleep(0.1)
    return False


def eventually(check, timeout: float = 5.0) -> bool:
    """Whether ``check()`` comes true within ``timeout`` seconds (the page updates its views
    one after another)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return bool(check())


def chart_points(page, key: str = "n_positive") -> int:
    points = page.locator(f".vr-side .vr-line-{key}").first.get_attribute("points") or ""
    return len(points.split())


def wait_for_change(locator, before: bytes, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if locator.screenshot() != before:
            return True
        time.sleep(0.2)
    return False


def value_of(page, name: str) -> str:
    return page.locator(f".vr-control-{name} .vr-value").inner_text()


def press(page, name: str, key: str, times: int = 1) -> None:
    slider = page.locator(f".vr-control-{name} [role=slider]")
    slider.focus()
    for _ in range(times):
        page.keyboard.press(key)


def open_tab(page, name: str) -> None:
    page.get_by_role("tab", name=name).click()


def save(page, folder: Path, name: str, full: bool = False) -> Path:
    """A screenshot (from the top of the page; the whole page with ``full``), and beside it
    the same as a student with deuteranopia sees it."""
    from PIL import Image

    from simulator.viz.drawing import simulate_colour_vision

    path = folder / f"{name}.png"
    page.evaluate("window.scrollTo(0, 0)")
    time.sleep(0.3)  # the views redraw after a scroll or a tab change
    png = page.screenshot(path=str(path), full_page=full)
    rgb = np.asarray(Image.open(io.BytesIO(png)).convert("RGB")) / 255.0
    seen = (simulate_colour_vision(rgb, "deuteranopia") * 255).round().astype(np.uint8)
    Image.fromarray(seen).save(folder / f"{name}-deuteranopia.png")
    return path


def assert_signs_apart_in(path: Path) -> None:
    """In the screenshot, fans' and detractors' colours, as seen with deuteranopia and
    protanopia, stay far apart (CIELAB distance)."""
    from matplotlib.colors import to_rgb
    from PIL import Image

    from simulator.state.agents import Opinion
    from simulator.viz.drawing import COLORS, simulate_colour_vision, to_lab

    rgb = np.asarray(Image.open(path).convert("RGB")) / 255.0
    masks = {sign: np.abs(rgb - np.array(to_rgb(COLORS[sign]))).max(axis=-1) < 0.02
             for sign in (Opinion.POSITIVE, Opinion.NEGATIVE)}
    for sign, mask in masks.items():
        assert mask.sum() >= 20, f"no {sign.name} pixels on {path.name}"
    for deficiency in ("deuteranopia", "protanopia"):
        seen = simulate_colour_vision(rgb, deficiency)
        pos, neg = (to_lab(seen[masks[s]].mean(axis=0)) for s in masks)
        assert np.linalg.norm(pos - neg) >= 40, f"{deficiency}: signs too close on {path.name}"


def topmost_person(page) -> dict:
    """A person whose centre on screen is theirs (not covered by a neighbour), to click."""
    found = page.evaluate("""() => {
        for (const g of document.querySelectorAll('.vr-net-svg .vr-node')) {
            const r = g.querySelector('.vr-person').getBoundingClientRect();
            const x = r.x + r.width / 2, y = r.y + r.height / 2;
            if (y < 0 || y > window.innerHeight) continue;
            const hit = document.elementFromPoint(x, y);
            if (hit && hit.closest('.vr-node') === g) return {x: x, y: y, node: +g.dataset.node};
        }
        return null;
    }""")
    assert found is not None, "no person can be clicked"
    return found


# ------------------------------------------------------------------ the page
@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
@pytest.mark.parametrize(("width", "height"), SIZES, ids=[f"{w}x{h}" for w, h in SIZES])
def test_every_control_works_and_the_page_fits(server, browser, screenshots, width, height):
    """A lesson's worth of clicks, at each screen size, checking what the tracker saw fail."""
    from playwright.sync_api import expect

    from simulator.scenario import Scenario

    url, _ = server
    size = f"{width}x{height}"
    page = open_page(browser, url, width, height)
    try:
        status, counts = page.locator(".vr-step"), page.locator(".vr-counts")
        # At the start: the scenario's lesson is on the page, the pictures fit and are uncovered.
        expect(status).to_have_text("Step 0 of 40")
        expect(counts).to_contain_text("aware 3 of 300")
        lesson = Scenario.load(CLASSROOM).lesson
        text = page.locator(".vr-lesson")
        for part in (lesson.intro[:60], lesson.watch[0][:50], "Ask the class", lesson.ask[0][:50],
                     "Try this"):
            expect(text).to_contain_text(part)
        assert page.locator(".vr-circle-label").count() == 6  # the friend circles are marked
        assert_solaraviz_page(page)
        assert_fits(page, f"{size} at the start")
        assert_no_error_text(page)
        assert_readable(page)
        for view in (".vr-net", ".vr-chart"):
            assert_not_covered(page, view)

        # Step advances the status, the chart and the picture.
        network = page.locator(".vr-net-svg")
        before = network.screenshot()
        step = step_button(page)
        step.click()
        expect(status).to_have_text("Step 1 of 40")
        step.click()
        expect(status).to_have_text("Step 2 of 40")
        assert eventually(lambda: chart_points(page) == 3), "the chart did not advance"
        assert eventually(lambda: chart_points(page, "new_word_positive") == 3)
        assert wait_for_change(network, before), "the network picture did not change"
        assert_no_error_text(page)

        # Settings that apply now: the value shows at once and the run on screen uses it.
        open_tab(page, "Settings")
        slider = page.locator(".vr-control-p_positive [role=slider]")
        expect(slider).to_have_attribute("aria-valuenow", "0.15")
        press(page, "p_positive", "ArrowRight", 10)  # ten steps of 0.01
        expect(slider).to_have_attribute("aria-valuenow", "0.25")
        expect(page.locator(".vr-control-p_positive .vr-value")).to_have_text("0.25")
        params = page.locator(".vr-params")
        expect(params).to_contain_text("p_positive = 0.25")
        expect(page.locator(".vr-changes")).to_contain_text("from step 3: p_positive = 0.25")
        for name, key, shown in (("p_negative", "ArrowLeft", "0.14"),
                                 ("satisfaction", "ArrowLeft", "0.85"),
                                 ("p_purchase", "ArrowRight", "0.11"),
                                 ("talk_steps", "ArrowRight", "4")):
            press(page, name, key)
            expect(page.locator(f".vr-control-{name} .vr-value")).to_have_text(shown)
        expect(params).to_contain_text("satisfaction = 0.85")
        expect(page.locator(".vr-pending")).to_have_count(0)  # nothing of these waits for Reset

        # Settings that need Reset: said so until it is pressed; the run on screen goes on.
        for name, key, times, shown in (("n", "ArrowLeft", 10, "200"),
                                        ("mean_degree", "ArrowLeft", 2, "6"),
                                        ("communities", "ArrowLeft", 2, "4"),
                                        ("mixing", "ArrowRight", 4, "0.10"),
                                        ("n_seeds", "ArrowRight", 2, "5")):
            press(page, name, key, times)
            expect(page.locator(f".vr-control-{name} .vr-value")).to_have_text(shown)
        page.get_by_role("button", name="the best connected").click()
        seed = page.locator(".vr-seed-input input")
        seed.fill("11")
        seed.press("Enter")
        pending = page.locator(".vr-pending")
        for part in ("Press Reset", "people 200", "circles 4", "mixing 0.10",
                     "who starts the best connected", "seed 11"):
            expect(pending).to_contain_text(part)
        assert step_number(page) == 2
        assert_fits(page, f"{size} settings")
        save(page, screenshots, f"{size}-settings", full=True)
        page.get_by_role("button", name="Reset", exact=True).click()
        expect(status).to_have_text("Step 0 of 40")
        expect(counts).to_contain_text("aware 5 of 200")
        for part in ("seed = 11", "200 people in 4 friend circles", "seeding = influencers × 5",
                     "p_positive = 0.25", "satisfaction = 0.85", "talk_steps = 4"):
            expect(params).to_contain_text(part)
        expect(pending).to_have_count(0)
        expect(page.locator(".vr-circle-label")).to_have_count(4)

        # Play runs on by itself, at the speed picked, until paused; a change while it plays.
        page.get_by_role("button", name="8 steps/s").click()
        play_button(page).click()
        assert wait_for_step(page, at_least=12), "Play did not advance the model"
        press(page, "p_negative", "ArrowRight", 6)
        expect(page.locator(".vr-control-p_negative .vr-value")).to_have_text("0.20")
        pause_button(page).click()
        play_button(page).wait_for()
        expect(page.locator(".vr-changes")).to_contain_text("p_negative = 0.20")
        time.sleep(0.3)  # a step finished before the click may still be on its way
        at = step_number(page)
        time.sleep(0.6)
        assert step_number(page) == at, "the model kept running after Pause"
        assert eventually(lambda: chart_points(page) == at + 1)
        assert_no_error_text(page)

        # A person: click one on the network, then one of their friends.
        target = topmost_person(page)
        page.mouse.click(target["x"], target["y"])
        head = page.locator(".vr-person-head")
        expect(head).to_contain_text(f"Person {target['node']}")
        expect(page.locator(".vr-person-friends")).to_contain_text("friends")
        expect(page.locator(".vr-selected")).to_have_count(1)
        friends = page.locator(".vr-friend-button")
        if friends.count():
            friend = friends.first.inner_text().strip()
            friends.first.click()
            expect(head).to_contain_text(f"Person {friend}")
        assert_fits(page, f"{size} person")
        save(page, screenshots, f"{size}-person", full=True)

        # Two runs compared, same seed: the choice shows.
        open_tab(page, "Compare two runs")
        page.get_by_role("button", name="Run both").click()
        table = page.locator(".vr-compare-table")
        table.wait_for()
        expect(table).to_contain_text("average of 20 seeds")
        expect(page.locator(".vr-compare-a .vr-line-n_negative")).to_have_count(1)
        expect(page.locator(".vr-compare-b .vr-line-n_negative")).to_have_count(1)
        assert_fits(page, f"{size} compare")
        save(page, screenshots, f"{size}-compare", full=True)

        open_tab(page, "Lesson")
        expect(text).to_contain_text("What to watch")
        assert_fits(page, f"{size} lesson")
        assert_no_error_text(page)
        assert_readable(page)
        assert_signs_apart_in(save(page, screenshots, f"{size}"))
    finally:
        page.context.close()


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_the_end_of_the_run_is_told_as_it_is(server, browser, screenshots):
    """At the last step: 'the run is over', no Play / Pause left (Mesa's would be a disabled
    pause), Step disabled, Reset starts again."""
    from playwright.sync_api import expect

    url, _ = server
    page = open_page(browser, url, 1280, 720)
    try:
        open_tab(page, "Settings")
        page.get_by_role("button", name="15 steps/s").click()
        play_button(page).click()
        expect(page.locator(".vr-step")).to_have_text("Step 40 of 40", timeout=20_000)
        state = page.locator(".vr-state")
        expect(state).to_contain_text("the run is over")
        expect(state).to_contain_text("Reset to start again")
        # Mesa's controller would leave a disabled pause button here: the page hides its
        # Play / Pause at the end, and the message says what to do.
        expect(pause_button(page)).to_have_count(0)
        expect(play_button(page)).to_have_count(0)
        expect(step_button(page)).to_be_disabled()
        expect(page.get_by_role("button", name="Reset", exact=True)).to_be_enabled()
        assert eventually(lambda: chart_points(page) == 41)
        assert_no_error_text(page)  # never "nothing more can happen"
        save(page, screenshots, "1280x720-end")
        page.get_by_role("button", name="Reset", exact=True).click()
        expect(page.locator(".vr-step")).to_have_text("Step 0 of 40")
        expect(play_button(page)).to_be_enabled()
        expect(step_button(page)).to_be_enabled()
    finally:
        page.context.close()


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_the_pictures_grow_with_the_window_and_stay_readable(server, browser):
    widths = {}
    for width, height in SIZES:
        page = open_page(browser, server[0], width, height)
        try:
            for _ in range(8):
                step_button(page).click()
            page.locator(".vr-customer").first.wait_for(state="attached")
            net = page.locator(".vr-net").bounding_box()
            chart = page.locator(".vr-chart").bounding_box()
            widths[width] = (net["width"], chart["width"])
            assert net["y"] + net["height"] <= height + 2, f"{width}: the network runs off screen"
            key = page.locator(".vr-legend").bounding_box()
            assert key["y"] + key["height"] <= height + 2, f"{width}: the key is cut off"
            if width == 1280:
                # The old page: legend 7 px, ticks 8 px, a customer's dot 2 px.
                assert font_px(page, ".vr-chart .vr-tick") >= MIN_FONT_PX
                assert font_px(page, ".vr-chart-legend .vr-key-item") >= MIN_FONT_PX
                dot = page.locator(".vr-customer").first.bounding_box()
                assert dot["width"] >= 4.0, dot
                person = page.locator(".vr-person").first.bounding_box()
                assert person["width"] >= 6.0, person
        finally:
            page.context.close()
    small, medium, large = (widths[w] for w, _ in SIZES)
    assert small[0] < medium[0] < large[0] and small[1] < medium[1] < large[1], widths
    assert large[0] > 750 and large[1] > 750, widths  # the old page stopped at about 540 px


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_at_150_percent_zoom_nothing_covers_the_network(server, browser, screenshots):
    """Browser zoom shrinks the window in CSS pixels: 1280x720 at 150% is 853x480."""
    from playwright.sync_api import expect

    page = open_page(browser, server[0], 853, 480, scale=1.5)
    try:
        assert_fits(page, "150% zoom")
        assert_not_covered(page, ".vr-net")
        assert_readable(page)
        step_button(page).click()
        expect(page.locator(".vr-step")).to_have_text("Step 1 of 40")
        open_tab(page, "Settings")
        press(page, "satisfaction", "ArrowLeft", 2)
        expect(page.locator(".vr-control-satisfaction .vr-value")).to_have_text("0.80")
        assert_fits(page, "150% zoom, settings")
        assert_not_covered(page, ".vr-net")
        open_tab(page, "Lesson")
        save(page, screenshots, "1280x720-at-150-percent")
        assert_no_error_text(page)
    finally:
        page.context.close()


@pytest.mark.browser
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason=f"no Chromium at {CHROMIUM}")
def test_on_a_fresh_install_the_kernels_are_compiled_before_the_first_step(browser, tmp_path, screenshots):
    """An empty numba cache (a fresh install): the page says it is preparing while the kernels
    compile, and by the time it is usable they are compiled: stepping adds nothing to the
    cache. The Steps' times are printed, not asserted."""
    from playwright.sync_api import expect

    env = dict(os.environ, NUMBA_CACHE_DIR=str(tmp_path / "numba-cache"))
    log = tmp_path / "viz.log"
    url, proc = start_server(log, env)
    try:
        page = browser.new_context(viewport={"width": 1280, "height": 720}).new_page()
        page.set_default_timeout(UI_TIMEOUT_MS)
        page.goto(url)
        page.locator(".vr-preparing, .vr-step").first.wait_for(timeout=READY_TIMEOUT_MS)
        preparing = page.locator(".vr-preparing").count() > 0
        if preparing:
            expect(page.locator(".vr-preparing")).to_contain_text("Preparing the simulation")
            save(page, screenshots, "1280x720-preparing")
        page.locator(".vr-step").wait_for(timeout=READY_TIMEOUT_MS)
        cache = tmp_path / "numba-cache"
        compiled = sorted(p.name for p in cache.rglob("*.nbc"))
        assert any("advance" in name for name in compiled), compiled  # the warm-up's work
        times = []
        for k in range(1, 4):
            started = time.perf_counter()
            step_button(page).click()
            expect(page.locator(".vr-step")).to_have_text(f"Step {k} of 40")
            times.append(time.perf_counter() - started)
        print(f"\nfirst Steps after a cold start ({'preparing shown' if preparing else 'ready at once'}): "
              + ", ".join(f"{t:.2f} s" for t in times))
        # Nothing was compiled for the Steps: the warm-up had done it (7.6 s before it).
        assert sorted(p.name for p in cache.rglob("*.nbc")) == compiled
        assert_no_error_text(page)
        page.context.close()
    finally:
        stop_server(proc)
    assert "Traceback" not in log.read_text()


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
