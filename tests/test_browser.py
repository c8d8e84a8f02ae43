"""The teaching app in a real browser: the app as a subprocess, Debian's Chromium driven by Playwright.

Needs Debian's Chromium at /usr/bin/chromium (``apt-get install chromium``:
nothing here downloads a browser) and the app's front-end files (``make
app-assets``).  Without them the tests are skipped, except in CI (CI=true),
where they fail.  They save their screenshots in the test's temporary folder;
with UPDATE_SCREENSHOTS=1 they write the ones docs/teaching.md shows into
docs/img/ (``UPDATE_SCREENSHOTS=1 make test ARGS="-m browser"``).
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

from model.app import frontend_packages

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


@pytest.fixture(scope="module")
def app_url(tmp_path_factory):
    """The app served on a free loopback port, as `make app` serves it."""
    reason = missing_prerequisite()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    port = free_port()
    log = tmp_path_factory.mktemp("app") / "server.log"
    with log.open("w") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "solara", "run", "model.app", "--host", "127.0.0.1", "--port", str(port),
             "--production", "--no-open"], cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_for_http(url, server, log)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()


@pytest.fixture(scope="module")
def browser(app_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


class App:
    """The app's page, driven as a student would: buttons, selects, sliders."""

    def __init__(self, page, shots: Path):
        from playwright.sync_api import expect

        self.page, self.expect, self.shots = page, expect, shots

    def counter(self):
        return self.page.locator(".step-counter")

    def step(self, times: int = 1) -> None:
        """Click Step, each time waiting for the counter to move on."""
        start = int(self.counter().inner_text().removeprefix("Step: "))
        for k in range(1, times + 1):
            self.page.get_by_role("button", name="Step", exact=True).click()
            self.expect(self.counter()).to_have_text(f"Step: {start + k}", timeout=WAIT_MS)

    def choose(self, label: str, option: str) -> None:
        """Pick ``option`` in the select labelled ``label``."""
        self.page.locator(".v-select", has_text=label).click()
        self.page.get_by_role("option", name=option, exact=True).click()
        self.expect(self.page.locator(".v-select", has_text=label)).to_contain_text(option)

    def slide(self, label: str, presses: int, to: float) -> None:
        """Move the slider labelled ``label`` by ``presses`` arrow keys, to the value ``to``."""
        thumb = self.page.locator(".v-slider", has_text=label).get_by_role("slider")
        thumb.focus()
        for _ in range(abs(presses)):
            thumb.press("ArrowRight" if presses > 0 else "ArrowLeft")
        self.expect(thumb).to_have_attribute("aria-valuenow", f"{to:g}")

    def reset(self, expect_settings: str | re.Pattern) -> None:
        """Click Reset until the new run (step 0) has ``expect_settings`` in its header.

        The browser may send a changed parameter a moment after the click (it
        holds back widget updates while the server is busy), so one Reset can
        still build the run with the old value.
        """
        settings = self.page.get_by_text(expect_settings)
        for _ in range(RESETS):
            self.page.get_by_role("button", name="Reset", exact=True).click()
            self.expect(self.counter()).to_have_text("Step: 0", timeout=WAIT_MS)
            try:
                self.expect(settings).to_be_visible(timeout=RESET_WAIT_MS)
                return
            except AssertionError:
                continue
        self.expect(settings).to_be_visible()

    def map_png(self) -> bytes:
        return self.page.locator("img.world-map").screenshot()

    def map_changes_from(self, before: bytes) -> bool:
        """Whether the map image differs from ``before`` (it is redrawn just after the counter)."""
        deadline = time.monotonic() + WAIT_MS / 1000
        while time.monotonic() < deadline:
            if self.map_png() != before:
                return True
            self.page.wait_for_timeout(200)
        return False

    def screenshot(self, name: str) -> Path:
        """The whole page, once the charts have been drawn (into docs/img with UPDATE_SCREENSHOTS=1)."""
        self.page.wait_for_timeout(800)
        folder = DOCS_IMAGES if os.environ.get("UPDATE_SCREENSHOTS") == "1" else self.shots
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / name
        self.page.screenshot(path=path)
        return path


@pytest.fixture
def app(browser, app_url, tmp_path):
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(app_url)
    page.get_by_role("button", name="Step", exact=True).wait_for(timeout=60_000)  # filled in over a websocket
    yield App(page, tmp_path)
    page.close()


def test_step_map_oversight_reset(app):
    app.expect(app.counter()).to_have_text("Step: 0")
    app.expect(app.page.get_by_text("each government's own oversight")).to_be_visible()
    app.screenshot("classroom_step0.png")
    before = app.map_png()
    app.step(5)
    app.expect(app.counter()).to_have_text("Step: 5")
    assert app.map_changes_from(before)
    app.choose("Oversight rule", "restrictive")
    app.reset(expect_settings="restrictive oversight")


def test_classroom_exercises(app):
    """Step 24 of the classroom scenario as it starts, then as each exercise changes it."""
    app.step(24)
    assert app.screenshot("classroom_step24.png").stat().st_size < 600_000
    app.page.get_by_role("button", name="coalition", exact=True).click()
    app.page.wait_for_timeout(500)
    app.choose("Actor", "São Paulo (BR)")
    app.screenshot("exercise_coalitions.png")
    app.page.get_by_role("button", name="country", exact=True).click()

    app.choose("Oversight rule", "restrictive")
    app.reset(expect_settings="restrictive oversight")
    app.step(24)
    app.choose("Actor", "Government of Brazil (BR)")
    app.screenshot("exercise_oversight.png")

    app.choose("Oversight rule", "supervisory")
    app.slide("β distance", +17, to=2.0)  # from 0.3
    app.reset(expect_settings=re.compile("supervisory oversight .* β distance 2 ·"))
    app.step(24)
    app.choose("Actor", "Istanbul (TR)")
    app.screenshot("exercise_distance.png")


def test_article_step_time(app, capsys):
    """One step of the article scenario (≈ 1,300 actors), from the click to the new counter."""
    app.choose("Scenario", "article")
    app.reset(expect_settings=re.compile(r"^article:"))
    app.step(2)  # warm up
    times = []
    for _ in range(5):
        start = time.perf_counter()
        app.step()
        times.append(time.perf_counter() - start)
    with capsys.disabled():
        print(f"\narticle scenario: one step in the browser takes {statistics.median(times):.2f} s "
              f"(median of 5; {min(times):.2f}–{max(times):.2f} s)")  # a measurement, not a pass mark
    app.expect(app.counter()).to_have_text("Step: 7")
