"""A class on one server: several browser pages stepping the teaching app at once, measured.

    python -m experiments.classroom_load                      # 6 pages, classroom, 24 Steps each, 3 classes
    python -m experiments.classroom_load --pages 8 --scenario article --steps 6 --classes 1

Starts the app (``solara run experiments.app``, as ``make app`` does) on a free
loopback port, and, for each class, opens ``--pages`` pages in Debian's
Chromium (Playwright), has every page click Step ``--steps`` times at once
(each waits for its counter to move on before the next click), closes them and
waits for their sessions to be culled.  It reports:

- server CPU per Step: the server process's CPU time (user + system, from
  psutil) over the stepping, divided by the Steps taken: robust to other load
  on the machine, unlike wall time;
- step latency (click to new counter) median and 90th percentile, wall time;
- page errors (JavaScript errors and console errors) — there should be none;
- the server's memory (RSS): peak during each class, and after its pages closed
  and the cull time passed; and runs alive per the server log (built − released).

A measurement, not a test (the repository's rule: speed is measured, never
asserted).  Writes ``outputs/classroom_load.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parents[1]
CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 900}
COUNTER = re.compile(r"Month (\d+) ")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(port: int, cull: str, log: Path) -> subprocess.Popen:
    env = {**os.environ, "SOLARA_KERNEL_CULL_TIMEOUT": cull}
    server = subprocess.Popen([sys.executable, "-m", "solara", "run", "experiments.app", "--host", "127.0.0.1",
                               "--port", str(port), "--production", "--no-open"],
                              cwd=ROOT, env=env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"error: the app exited with code {server.returncode}; see {log}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2):
                return server
        except OSError:
            time.sleep(0.5)
    server.terminate()
    sys.exit(f"error: the app did not answer within 120 s; see {log}")


class MemoryWatch:
    """Samples the server's RSS every 0.2 s in a thread; ``peak()`` since the last ``reset()``."""

    def __init__(self, process: psutil.Process):
        self.process, self._peak, self._stop = process, 0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self._peak = max(self._peak, self.process.memory_info().rss)

    def reset(self) -> None:
        self._peak = self.process.memory_info().rss

    def peak(self) -> int:
        return max(self._peak, self.process.memory_info().rss)

    def stop(self) -> None:
        self._stop.set()


def cpu_seconds(process: psutil.Process) -> float:
    times = process.cpu_times()
    return times.user + times.system


async def open_page(browser, url: str, errors: list[str], scenario: str):
    page = await browser.new_page(viewport=VIEWPORT)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("console", lambda m: errors.append(f"console: {m.text}") if m.type == "error" else None)
    await page.goto(url)
    await page.get_by_role("button", name="Step", exact=True).wait_for(timeout=120_000)
    if scenario != "classroom":
        await page.locator(".v-select", has_text="Scenario").click()
        await page.get_by_role("option", name=scenario, exact=True).click()
        await page.get_by_role("button", name="Reset", exact=True).click()
        await page.get_by_text(re.compile(f"^{scenario}:")).wait_for(timeout=120_000)
    return page


async def step_page(page, steps: int, latencies: list[float]) -> None:
    for _ in range(steps):
        found = COUNTER.match(await page.locator(".step-counter").inner_text() + " ")
        month = int(found.group(1)) if found else 0  # "Start · before January 2015" is month 0
        start = time.perf_counter()
        await page.get_by_role("button", name="Step", exact=True).click()
        await page.locator(".step-counter").filter(has_text=f"Month {month + 1} ").wait_for(timeout=120_000)
        latencies.append(time.perf_counter() - start)


def runs_alive(log: Path) -> int:
    text = log.read_text(errors="replace")
    return len(re.findall(r"run \d+ built", text)) - len(re.findall(r"run \d+ released", text))


async def one_class(url: str, args, server: psutil.Process, memory: MemoryWatch, log: Path) -> dict:
    from playwright.async_api import async_playwright

    errors: list[str] = []
    latencies: list[float] = []
    memory.reset()
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        pages = [await open_page(browser, url, errors, args.scenario) for _ in range(args.pages)]
        await asyncio.sleep(2)  # let the first drawings settle
        cpu0, wall0 = cpu_seconds(server), time.perf_counter()
        await asyncio.gather(*(step_page(page, args.steps, latencies) for page in pages))
        cpu1, wall1 = cpu_seconds(server), time.perf_counter()
        peak = memory.peak()
        for page in pages:
            await page.close()
        await browser.close()
    time.sleep(args.cull_seconds + 3)  # the cull time, and Solara's gc after a kernel closes
    steps = len(latencies)
    latencies.sort()
    return {
        "pages": args.pages, "steps": steps, "server_cpu_s": round(cpu1 - cpu0, 3),
        "server_cpu_per_step_s": round((cpu1 - cpu0) / steps, 4),
        "wall_s": round(wall1 - wall0, 2),
        "latency_median_s": round(statistics.median(latencies), 3),
        "latency_p90_s": round(latencies[int(0.9 * (steps - 1))], 3),
        "latency_max_s": round(latencies[-1], 3),
        "page_errors": errors,
        "rss_peak_mb": round(peak / 2**20, 1),
        "rss_after_close_mb": round(server.memory_info().rss / 2**20, 1),
        "runs_alive_after_close": runs_alive(log),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=6)
    parser.add_argument("--steps", type=int, default=24, help="Steps each page takes")
    parser.add_argument("--classes", type=int, default=3, help="classes one after another")
    parser.add_argument("--scenario", default="classroom")
    parser.add_argument("--cull-seconds", type=int, default=3, help="the server's cull time for closed pages")
    parser.add_argument("--out", type=Path, default=ROOT / "outputs" / "classroom_load.json")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print(f"error: {CHROMIUM} is missing: apt-get install chromium", file=sys.stderr)
        return 2
    args.out.parent.mkdir(parents=True, exist_ok=True)
    log = args.out.with_suffix(".server.log")
    port = free_port()
    server = start_server(port, f"{args.cull_seconds}s", log)
    process = psutil.Process(server.pid)
    memory = MemoryWatch(process)
    results = {"scenario": args.scenario, "rss_start_mb": round(process.memory_info().rss / 2**20, 1), "classes": []}
    try:
        for k in range(args.classes):
            result = asyncio.run(one_class(f"http://127.0.0.1:{port}/", args, process, memory, log))
            results["classes"].append(result)
            print(f"class {k + 1}: {result['pages']} pages, {result['steps']} Steps of {args.scenario}: server CPU "
                  f"{result['server_cpu_per_step_s']:.3f} s per Step; "
                  f"latency median {result['latency_median_s']:.2f} s, "
                  f"p90 {result['latency_p90_s']:.2f} s, max {result['latency_max_s']:.2f} s; "
                  f"{len(result['page_errors'])} page errors; server RSS peak {result['rss_peak_mb']:.0f} MB, "
                  f"{result['rss_after_close_mb']:.0f} MB after closing; runs alive {result['runs_alive_after_close']}",
                  flush=True)
    finally:
        memory.stop()
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            server.kill()
    first = results["classes"][0]["rss_peak_mb"]
    results["peak_growth_over_first_class"] = [round(c["rss_peak_mb"] / first - 1, 3) for c in results["classes"]]
    args.out.write_text(json.dumps(results, indent=2))
    print(f"server RSS at start {results['rss_start_mb']:.0f} MB; peaks over the first class's: "
          + ", ".join(f"{100 * g:+.1f} %" for g in results["peak_growth_over_first_class"]) + f"; written {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
