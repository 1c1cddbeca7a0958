"""Measure the demo page: time from navigation to the first prompt, and bytes downloaded.

A benchmark, not a test: it prints numbers and never fails on them.
Usage (what `nox -s bench-demo` runs): python benchmarks/demo_load.py SITE_DIR [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from pipe_cpython import demo

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]


def measure_once(browser, url: str) -> tuple[float, int, dict[str, int]]:
    """One cold load in a fresh context: seconds to the first prompt, bytes by file."""
    context = browser.new_context()
    sizes: dict[str, int] = {}

    def record(request):
        response = request.response()
        if response is not None:
            sizes[request.url.rsplit("/", 1)[-1] or "index.html"] = request.sizes()["responseBodySize"]

    context.on("requestfinished", record)
    page = context.new_page()
    start = time.perf_counter()
    page.goto(url)
    page.wait_for_function("window.pipeDemo && window.pipeDemo.state.waiting", timeout=120_000)
    elapsed = time.perf_counter() - start
    context.close()
    return elapsed, sum(sizes.values()), sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the assembled demo directory")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()

    httpd = demo.server(args.site, port=0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
        results = [measure_once(browser, url) for _ in range(args.runs)]
        browser.close()
    httpd.shutdown()

    times = [r[0] for r in results]
    _, total, sizes = results[-1]
    print(f"demo page, {args.runs} cold loads in headless Chromium from 127.0.0.1 (no network latency)")
    print(
        f"  navigation to first prompt: median {statistics.median(times):.2f} s, "
        f"min {min(times):.2f} s, max {max(times):.2f} s"
    )
    print(f"  bytes downloaded: {total / 1e6:.2f} MB")
    for name, size in sorted(sizes.items(), key=lambda item: -item[1]):
        print(f"    {name:<16} {size / 1e6:8.3f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
