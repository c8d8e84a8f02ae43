"""The teaching app in a real browser: the app as a subprocess, Debian's Chromium driven by Playwright.

Needs Debian's Chromium at /usr/bin/chromium (``apt-get install chromium``:
nothing here downloads a browser) and the app's front-end files (``make
app-assets``).  Without them the tests are skipped, except in CI (CI=true),
where they fail.  They save their screenshots in the test's temporary folder;
with UPDATE_SCREENSHOTS=1 they write the ones docs/teaching.md shows into
docs/img/ (``UPDATE_SCREENSHOTS=1 make test ARGS="-m browser"``).  Every page
must end without a JavaScript error.
"""

from __future__ import annotations

import os
import re
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from experiments.app.frontend import frontend_packages
from experiments.app.story import month_date
from test_app import first_quiet_month

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[1]
DOCS_IMAGES = ROOT / "docs" / "img"
CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 1900}  # the whole page fits: screenshots show everything
WAIT_MS = 30_000
RESETS, RESET_WAIT_MS = 3, 5_000
START_S = 90
CULL = "2s"  # a closed page's session is released this long after it closes


def missing_prerequisite() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is missing: apt-get install chromium"
    cdn = Path(sys.prefix) / "share" / "solara" / "cdn"
    absent = [p for p in frontend_packages() if not (cdn / p).is_dir()]
    if absent:
        return f"the app's front-end files are missing ({', '.join(absent)}): make app-assets"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, server: subprocess.Popen, log: Path) -> None:
    """Until the server answers 200; fail with its log if it exits or takes too long."""
    deadline = time.monotonic() + START_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the app exited with code {server.returncode}:\n{log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    pytest.fail(f"the app did not answer within {START_S} s:\n{log.read_text()[-3000:]}")


class Server:
    """The app served on a free loopback port, as `make app` serves it, with a short cull time."""

    def __init__(self, folder: Path):
        reason = missing_prerequisite()
        if reason:
            if os.environ.get("CI") == "true":
                pytest.fail(reason)
            pytest.skip(reason)
        port = free_port()
        self.log = folder / "server.log"
        with self.log.open("w") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "solara", "run", "experiments.app", "--host", "127.0.0.1", "--port", str(port),
                 "--production", "--no-open"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT,
                env={**os.environ, "SOLARA_KERNEL_CULL_TIMEOUT": CULL})
        self.url = f"http://127.0.0.1:{port}/"
        wait_for_http(self.url, self.process, self.log)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    served = Server(tmp_path_factory.mktemp("app"))
    yield served
    served.stop()


@pytest.fixture(scope="module")
def browser(server):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


class App:
    """The app's page, driven as a student would: buttons, selects, sliders, the actor search."""

    def __init__(self, page, shots: Path):
        from playwright.sync_api import expect

        self.page, self.expect, self.shots = page, expect, shots
        self.errors: list[str] = []
        page.on("pageerror", lambda e: self.errors.append(f"page error: {e}"))
        page.on("console", lambda m: self.errors.append(f"console: {m.text}") if m.type == "error" else None)

    def open(self, url: str) -> App:
        self.page.goto(url)
        self.page.get_by_role("button", name="Step", exact=True).wait_for(timeout=60_000)  # over a websocket
        return self

    def counter(self):
        return self.page.locator(".step-counter")

    def month(self) -> int:
        found = re.match(r"Month (\d+) ", self.counter().inner_text())
        return int(found.group(1)) if found else 0

    def expect_month(self, month: int) -> None:
        self.expect(self.counter()).to_have_text(re.compile(f"^Month {month} ·" if month else "^Start"),
                                                 timeout=WAIT_MS)

    def step(self, times: int = 1) -> None:
        """Click Step, each time waiting for the counter to move on."""
        start = self.month()
        for k in range(1, times + 1):
            self.page.get_by_role("button", name="Step", exact=True).click()
            self.expect_month(start + k)

    def run_to(self, month: int) -> None:
        """Type the month and click "Run to month": one action."""
        box = self.page.get_by_label("Month", exact=True)
        box.fill(str(month))
        box.press("Enter")
        self.page.get_by_role("button", name="Run to month").click()
        self.expect_month(month)

    def choose(self, label: str, option: str) -> None:
        """Pick ``option`` in the select labelled ``label``."""
        self.page.locator(".v-select", has_text=label).click()
        self.page.get_by_role("option", name=option, exact=True).click()
        self.expect(self.page.locator(".v-select", has_text=label)).to_contain_text(option)

    def slide(self, label: str, to: float) -> None:
        """Move the slider labelled ``label`` with the arrow keys until it shows ``to``, then until the server
        has it (the label shows the value). A key press may be lost while the server redraws the slider, so
        the value is read after each."""
        slider = self.page.locator(".v-slider", has_text=label)
        thumb = slider.get_by_role("slider")
        for _ in range(200):
            now = float(thumb.get_attribute("aria-valuenow"))
            if abs(now - to) < 1e-6:
                break
            thumb.focus()
            thumb.press("ArrowRight" if now < to else "ArrowLeft")
            self.page.wait_for_timeout(60)
        self.expect(thumb).to_have_attribute("aria-valuenow", f"{to:g}")
        self.expect(slider).to_contain_text(f"{label}: {to:g}", timeout=WAIT_MS)

    def pick_actor(self, typed: str, option: str) -> None:
        """Type part of a name in the actor search and pick ``option``."""
        field = self.page.locator(".actor-picker input")
        field.click()
        field.fill(typed)
        self.page.get_by_role("option", name=option, exact=True).click()
        self.expect(self.page.locator(".actor-picker")).to_contain_text(option)

    def settings(self):
        return self.page.locator(".run-header")

    def pending(self):
        return self.page.locator(".pending-changes")

    def reset(self, expect_settings: str | re.Pattern) -> None:
        """Click Reset until the new run (month 0) shows ``expect_settings`` in its header (scenario, settings).

        The browser may send a changed parameter a moment after the click (it
        holds back widget updates while the server is busy), so one Reset can
        still build the run with the old value.
        """
        for _ in range(RESETS):
            self.page.get_by_role("button", name="Reset", exact=True).click()
            self.expect_month(0)
            try:
                self.expect(self.settings()).to_contain_text(expect_settings, timeout=RESET_WAIT_MS)
                return
            except AssertionError:
                continue
        self.expect(self.settings()).to_contain_text(expect_settings)

    def restore_defaults(self) -> None:
        self.page.get_by_role("button", name="Restore defaults").click()
        self.reset(expect_settings="gravity partners (K = 8) · each government's own oversight · β interest 2 · "
                                   "β economy 0.3 · β distance 0.3 · β network 0.4 · seed 42")

    def this_month(self):
        return self.page.locator(".this-month")

    def map_svg(self):
        return self.page.locator(".world-map svg.world-map-svg")

    def screenshot(self, name: str) -> Path:
        """The page as shown, once the charts have been drawn (into docs/img with UPDATE_SCREENSHOTS=1)."""
        self.page.wait_for_timeout(800)
        folder = DOCS_IMAGES if os.environ.get("UPDATE_SCREENSHOTS") == "1" else self.shots
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        self.page.screenshot(path=path)
        return path


@pytest.fixture
def open_app(browser, server, tmp_path):
    """Opens pages of the app (at ``viewport``); at the end, checks none had a JavaScript error."""
    opened: list[App] = []

    def open_page(viewport: dict = VIEWPORT) -> App:
        app = App(browser.new_page(viewport=viewport), tmp_path)
        opened.append(app)
        return app.open(server.url)

    yield open_page
    for app in opened:
        app.page.close()
    assert not [e for app in opened for e in app.errors]


@pytest.fixture
def app(open_app) -> App:
    return open_app()


def test_this_month_after_a_step_that_signs_and_one_that_does_not(app):
    app.expect(app.this_month()).to_contain_text("The run has not started")
    app.step()
    app.expect(app.this_month()).to_contain_text("This month: January 2015")
    app.expect(app.this_month()).to_contain_text(re.compile(r"\w and [\w ]+ signed an agreement on \w+\."))
    quiet = first_quiet_month()  # with β distance 2 (exercise 2), computed in-process with the same code
    app.slide("β distance", to=2.0)
    app.reset(expect_settings="β distance 2 ·")
    app.run_to(quiet - 1)
    app.step()
    app.expect(app.this_month()).to_contain_text(f"This month: {month_date(2015, quiet)}")
    app.expect(app.this_month()).to_contain_text("Nothing happened this month")
    app.expect(app.this_month().locator("li")).to_have_count(0)


def test_pending_change_shown_and_applied_on_reset(app):
    app.expect(app.pending()).to_have_text("The run on screen uses these settings.")
    app.choose("Oversight rule", "restrictive")
    app.expect(app.pending()).to_contain_text("Waiting for Reset: Oversight rule each government's own → restrictive")
    app.expect(app.settings()).to_contain_text("each government's own oversight")  # the run on screen: unchanged
    app.expect(app.page.get_by_text("governments approve only domains on their own agenda")).to_be_visible()
    app.reset(expect_settings="restrictive oversight")
    app.expect(app.pending()).to_have_text("The run on screen uses these settings.")


def test_restore_defaults(app):
    app.slide("β distance", to=2.0)  # from 0.3
    app.expect(app.page.locator(".v-slider", has_text="β distance")).to_contain_text("β distance: 2")
    app.reset(expect_settings="β distance 2 ·")
    app.page.get_by_role("button", name="Restore defaults").click()
    app.expect(app.pending()).to_contain_text("β distance 2 → 0.3")
    app.restore_defaults()
    thumb = app.page.locator(".v-slider", has_text="β distance").get_by_role("slider")
    app.expect(thumb).to_have_attribute("aria-valuenow", "0.3")


def test_run_to_month_24_in_one_action(app):
    start = time.perf_counter()
    app.run_to(24)
    app.expect(app.counter()).to_have_text("Month 24 · December 2016")
    app.expect(app.this_month()).to_contain_text("This month: December 2016")
    print(f"\nrun to month 24 of classroom: {time.perf_counter() - start:.2f} s")  # a measurement, not a pass mark
    app.run_to(6)  # back: the same run again from the start
    app.expect(app.this_month()).to_contain_text("This month: June 2015")


def test_actor_search_in_the_article_scenario(app, capsys):
    app.choose("Scenario", "article")
    app.reset(expect_settings="article: ")
    app.step()
    app.pick_actor("Government of Ch", "Government of China (CN)")
    app.expect(app.page.locator(".actor-facts")).to_contain_text("national in CN")
    app.expect(app.map_svg().locator("circle.picked")).to_have_count(1)
    app.pick_actor("shang", "Shanghai (CN)")
    app.expect(app.page.locator(".actor-facts")).to_contain_text("city in CN")
    times = []
    for _ in range(3):
        start = time.perf_counter()
        app.step()
        times.append(time.perf_counter() - start)
    with capsys.disabled():
        print(f"\narticle scenario: one Step in the browser takes {statistics.median(times):.2f} s "
              f"(median of 3; {min(times):.2f}–{max(times):.2f} s)")  # a measurement, not a pass mark


def test_shared_class_run(open_app):
    teacher, student = open_app(), open_app()
    teacher.page.get_by_role("button", name="Publish my run to the class").click()
    teacher.expect(teacher.page.get_by_text("Your run is published")).to_be_visible()
    student.step(2)  # the student's own run
    follow = student.page.get_by_label("Follow the class run")
    follow.wait_for(timeout=WAIT_MS)
    follow.check()
    student.expect_month(0)
    student.expect(student.page.get_by_role("button", name="Step", exact=True)).to_be_disabled()  # read-only
    teacher.step(3)
    student.expect_month(3)
    student.expect(student.page.get_by_text(re.compile(r"^Class run · classroom:"))).to_be_visible()
    teacher.expect(teacher.this_month()).to_contain_text("This month: March 2015")
    student.expect(student.this_month()).to_have_text(teacher.this_month().text_content())  # waits for the update
    teacher.run_to(12)
    student.expect_month(12)
    follow.uncheck()
    student.expect_month(2)  # back to its own run
    teacher.page.get_by_role("button", name="Stop publishing").click()
    student.expect(student.page.get_by_text("No class run is published.")).to_be_visible()


def _not_covered(page, selector: str) -> bool:
    """Whether the element's centre is on screen and the element (or a child) is what shows there."""
    return page.evaluate("""(selector) => {
        const el = document.querySelector(selector);
        const r = el.getBoundingClientRect();
        const x = r.left + r.width / 2, y = r.top + Math.min(r.height / 2, 20);
        if (x < 0 || y < 0 || x > innerWidth || y > innerHeight) return false;
        const top = document.elementFromPoint(x, y);
        return el === top || el.contains(top);
    }""", selector)


def test_layout_at_1024x768(open_app):
    app = open_app({"width": 1024, "height": 768})
    app.step()
    page = app.page
    assert _not_covered(page, ".step-counter")
    assert _not_covered(page, ".world-map")
    box = page.locator(".world-map").bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= 1024 and box["y"] < 768 - 150  # most of the map on screen
    icon = page.locator(".menu-button i")
    app.expect(icon).to_be_visible()
    assert "mdi-menu" in icon.get_attribute("class")
    assert page.evaluate("getComputedStyle(document.querySelector('.menu-button i'), '::before').content") \
        not in ("none", "normal", "")
    app.expect(page.get_by_text(re.compile("runs on solara", re.IGNORECASE))).to_have_count(0)
    app.screenshot("app_1024x768.png")
    page.locator(".menu-button").click()  # the controls fold away: the map takes the width
    app.expect(page.locator(".controls")).to_have_count(0)
    page.wait_for_timeout(800)
    assert page.locator(".world-map").bounding_box()["width"] > box["width"] + 200
    page.locator(".menu-button").click()
    app.expect(page.get_by_role("button", name="Step", exact=True)).to_be_visible()


def test_sharp_map_with_names_apart_at_1920(open_app):
    app = open_app({"width": 1920, "height": 1080})
    app.choose("Scenario", "article")
    app.reset(expect_settings="article: ")
    app.run_to(12)
    svg = app.map_svg()
    app.expect(svg).to_have_attribute("width", re.compile(r"\d+"))
    shown = svg.bounding_box()["width"]
    drawn = int(svg.get_attribute("width"))
    assert drawn >= 1400 and abs(shown - drawn) <= 1  # drawn at the size shown: one SVG pixel per screen pixel
    boxes = svg.evaluate("""(svg) => [...svg.querySelectorAll('g.labels text')].map(t => {
        const b = t.getBBox(); return [t.textContent, b.x, b.y, b.x + b.width, b.y + b.height]; })""")
    assert len(boxes) >= 10
    for k, (name, *a) in enumerate(boxes):
        for other, *b in boxes[k + 1:]:
            assert not (a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]), (name, other)
    assert {"London", "Barcelona"} <= {name for name, *_ in boxes}
    app.screenshot("app_1920x1080.png")


def test_classroom_exercises(open_app):
    """Month 24 of the classroom scenario as it starts, then as each exercise changes it, each from the defaults."""
    app = open_app()
    app.screenshot("classroom_step0.png")
    app.run_to(24)
    assert app.screenshot("classroom_step24.png").stat().st_size < 900_000

    app.choose("Oversight rule", "restrictive")  # exercise 1
    app.reset(expect_settings="restrictive oversight")
    app.run_to(24)
    app.pick_actor("Government of Br", "Government of Brazil (BR)")
    app.screenshot("exercise_oversight.png")

    app.restore_defaults()  # exercise 2
    app.slide("β distance", to=2.0)
    app.reset(expect_settings="each government's own oversight · β interest 2 · β economy 0.3 · β distance 2 ·")
    app.run_to(24)
    app.pick_actor("Ista", "Istanbul (TR)")
    app.screenshot("exercise_distance.png")

    app.restore_defaults()  # exercise 3
    app.run_to(24)
    app.page.get_by_role("button", name="coalition", exact=True).click()
    app.pick_actor("São", "São Paulo (BR)")
    app.screenshot("exercise_coalitions.png")


def test_closed_page_releases_its_run(browser, tmp_path):
    """After a page closes and the cull time passes, its run is garbage (the server's log says so)."""
    own = Server(tmp_path)  # a server of its own: its log counts only this page's runs
    try:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        app = App(page, tmp_path).open(own.url)
        app.step(2)
        page.get_by_role("button", name="Publish my run to the class").click()
        app.expect(page.get_by_text("Your run is published")).to_be_visible()
        assert "runs alive: 1" in own.log.read_text()
        page.close()
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and "released; runs alive: 0" not in own.log.read_text():
            time.sleep(0.5)
        log = own.log.read_text()
        assert "run 1 released; runs alive: 0" in log, log[-2000:]
    finally:
        own.stop()
