"""Measure the demo page beside Pyodide's own console: bytes over the wire, time to the first prompt and to a result.

A benchmark, not a test: it prints a table and never fails on its numbers.
Both pages come from one loopback server, which sends the isolation headers
and the best copy `demo.precompress` writes that the browser takes (brotli:
Chromium takes it on loopback; Pyodide's files get the same treatment), and
load in the same headless Chromium, on plain loopback and under Chromium's
network emulation, each with an empty cache (cold) and
again in the same browser context (warm). Pyodide's console.html takes its
terminal library from a CDN; here its URLs point at the same server's
copies of the same packages, pinned in benchmarks/pyodide-console/.

Then the first import of modules people use in a REPL, one after another in
one session of the page, beside the same page with its whole stdlib loaded
at start (`demo --stdlib-at-start`), on both links.

Usage (what `nox -s bench-demo` runs):
    python benchmarks/demo_load.py SITE_DIR [--whole WHOLE_SITE_DIR] [--runs N]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import sync_playwright

from pipe_cpython.core.cache import Cache, default_root
from pipe_cpython.web import demo

YARDSTICK = Path(__file__).resolve().parent / "pyodide-console"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
TIMEOUT_MS = 180_000
POLL_MS = 10
# A CDN address of a package file, as console.html writes them: .../npm/NAME@VERSION[/PATH].
CDN_PACKAGE = re.compile(r'https://[^"\s]+/npm/(?P<name>[\w.-]+)@(?P<version>[\w.-]+)(?P<path>/[^"\s]*)?')
# The targets for the page, reported beside the figures.
# The page's targets: at most half of the bytes Pyodide's console takes in the same run, and a first prompt within
# these many seconds.
TARGET_BYTES_OF_PYODIDE = 0.5
TARGET_PROMPT_S = {"loopback": 0.7, "20 Mbit/s, 40 ms": 2.0}
# Modules people import at a REPL, in the order the first-imports table imports them (pydoc: what help() imports).
FIRST_IMPORTS = (
    "json", "re", "collections", "dataclasses", "datetime", "statistics", "fractions", "decimal", "random",
    "typing", "enum", "pathlib", "textwrap", "itertools", "functools", "asyncio", "email.message", "unittest",
    "pydoc",
)  # fmt: skip


@dataclass(frozen=True)
class Network:
    name: str
    conditions: dict | None  # Network.emulateNetworkConditions, or None for plain loopback


NETWORKS = (
    Network("loopback", None),
    Network(
        "20 Mbit/s, 40 ms",
        {"offline": False, "latency": 40, "downloadThroughput": 20e6 / 8, "uploadThroughput": 20e6 / 8},
    ),
)


@dataclass(frozen=True)
class Page:
    name: str
    path: str  # under the server's root
    ready: str  # a JavaScript expression, true once the first prompt is there
    expression: str  # what to type at the prompt
    printed: str  # the result it prints
    shown: str  # a JavaScript expression: the page's text


# The page twice: with the REPL it runs by default (PyREPL on 3.14) and with its basic console; then Pyodide's.
PIPE_READY = "document.body.dataset.state === 'prompt'"
PAGES = (
    Page("pipe-cpython", "pipe/", PIPE_READY, "2 |> str", "'2'", "window.pipeDemo.screenText()"),
    Page(
        "pipe-cpython, ?repl=basic", "pipe/?repl=basic", PIPE_READY, "2 |> str", "'2'", "window.pipeDemo.screenText()"
    ),
    Page(
        "Pyodide console",
        "pyodide/console.html",
        "window.term !== undefined && window.term.get_prompt() === '>>> '",
        "str(2)",
        "'2'",
        "document.body.innerText",
    ),
)


@dataclass
class Load:
    by_file: dict[str, int]  # bytes over the wire (body and headers) by file name
    prompt: float  # seconds from navigation to the first prompt
    result: float  # seconds from navigation to the expression's result on the screen

    @property
    def bytes(self) -> int:
        return sum(self.by_file.values())


def yardstick_site(root: Path) -> str:
    """Pyodide's console with its CDN files served from `root` too; its version."""
    modules = demo.install_npm_packages(YARDSTICK, "Pyodide and its console's terminal library")
    package = modules / "pyodide"
    shutil.copytree(package, root, ignore=shutil.ignore_patterns("*.map", "*.d.ts", "README.md"))

    def local_copy(match: re.Match) -> str:
        name, path = match["name"], match["path"]
        if not path:  # the package's main file, which the CDN sends minified
            main = json.loads((modules / name / "package.json").read_text())["main"]
            path = "/" + main.removesuffix(".js") + ".min.js"
        source = modules / name / path.lstrip("/")
        if not source.exists() and source.name.endswith(".min.js"):
            # The CDN minifies such a file on the fly; the package has only the source (served as it is here).
            source = source.with_name(source.name.removesuffix(".min.js") + ".js")
        copy = root / "vendor" / name / source.relative_to(modules / name)
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, copy)
        return copy.relative_to(root).as_posix()

    console = root / "console.html"
    console.write_text(CDN_PACKAGE.sub(local_copy, console.read_text()))
    demo.precompress(root, Cache(default_root()).compressed)
    return json.loads((package / "package.json").read_text())["version"]


def measure(browser, url: str, page_kind: Page, network: Network) -> tuple[Load, Load]:
    """A cold load in a fresh context, then a warm one in the same context."""
    context, page = open_context(browser, network)
    try:
        cold = load(context, page, url, page_kind)
        warm = load(context, page, url, page_kind)
    finally:
        context.close()
    return cold, warm


def load(context, page, url: str, kind: Page) -> Load:
    received: dict[str, int] = {}

    def record(request) -> None:
        # Without the query: the worker asks for the build's files with their content's hash (`?v=`).
        name = request.url.split("?")[0].rsplit("/", 1)[-1] or "index.html"
        size = over_the_wire(request)  # first: Playwright runs other events' handlers while this one waits
        received[name] = received.get(name, 0) + size

    context.on("requestfinished", record)
    page.goto(url)
    prompt = seconds_since_navigation(page, kind.ready)
    page.click("body")
    page.keyboard.type(kind.expression)
    page.keyboard.press("Enter")
    result = seconds_since_navigation(page, f"({kind.shown}).includes({json.dumps(kind.printed)})")
    page.wait_for_timeout(200)  # late requests (source maps, icons) still count
    context.remove_listener("requestfinished", record)
    return Load(received, prompt, result)


def seconds_since_navigation(page, condition: str) -> float:
    """When `condition` (a JavaScript expression) became true, in seconds from the navigation, by the page's own
    clock: polled in the page every POLL_MS, so that the driver's round trips (a finished request's sizes, for
    one) do not count."""
    when = page.wait_for_function(f"({condition}) && performance.now()", timeout=TIMEOUT_MS, polling=POLL_MS)
    return when.json_value() / 1000


def over_the_wire(request) -> int:
    """A finished request's bytes as they crossed: the response's body and headers."""
    sizes = request.sizes()
    return sizes["responseBodySize"] + sizes["responseHeadersSize"]


def open_context(browser, network: Network):
    context = browser.new_context()
    page = context.new_page()
    if network.conditions:
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", network.conditions)
    return context, page


@dataclass
class Import:
    seconds: float  # from Enter to the line the import's statement prints
    bytes: int  # over the wire meanwhile


class CountingHandler(demo.DemoHandler):
    """The dev server's handler, counting the bytes it writes (headers and bodies) in `sent`: the first imports'
    bytes, each import's fetches written whole before the import ends (the browser's events for the worker's
    synchronous requests do not all reach the driver under network emulation)."""

    sent = 0
    lock = threading.Lock()

    def setup(self) -> None:
        super().setup()
        self.wfile = Counted(self.wfile)


class Counted:
    """A writable file that adds what is written to it to CountingHandler.sent."""

    def __init__(self, file) -> None:
        self.file = file

    def write(self, data) -> int:
        with CountingHandler.lock:
            CountingHandler.sent += len(data)
        return self.file.write(data)

    def __getattr__(self, name: str):
        return getattr(self.file, name)


def first_imports(browser, url: str, network: Network) -> tuple[Load, dict[str, Import]]:
    """The page's basic console (keys typed at speed are a paste to PyREPL; the imports cost the same) loaded
    cold, then each of FIRST_IMPORTS imported once, in order, in that session; bytes as the server counts them."""
    context, page = open_context(browser, network)
    try:
        at_navigation = CountingHandler.sent
        page.goto(url + "?repl=basic")
        prompt = seconds_since_navigation(page, PIPE_READY)
        load = Load({"all files": CountingHandler.sent - at_navigation}, prompt, 0.0)
        page.click("body")
        imports = {}
        for module in FIRST_IMPORTS:
            before = CountingHandler.sent
            page.keyboard.type(f"import {module}; print('imported', {module!r})")
            start = time.perf_counter()
            page.keyboard.press("Enter")
            page.wait_for_function(f"window.pipeDemo.screenText().includes('imported {module}')", timeout=TIMEOUT_MS)
            imports[module] = Import(time.perf_counter() - start, CountingHandler.sent - before)
    finally:
        context.close()
    return load, imports


def report_imports(results: dict[tuple[str, str], tuple[Load, dict[str, Import]]]) -> None:
    print("\nFirst imports, in this order in one session of the basic console: seconds from Enter to the module's line")
    print("printed (and what it fetched), the page as built (each module beyond its core fetched at first import)")
    print("beside the same page with its whole stdlib loaded at start (demo --stdlib-at-start)")

    def row(label: str, cells: list[str]) -> None:
        print(" | ".join([f"{label:<28}", *(f"{cell:>30}" for cell in cells)]))

    row("", [f"{site}, {network}" for site, network in results])
    row("before the first prompt", [f"{size(load.bytes)}, {load.prompt:.2f} s" for load, _ in results.values()])
    for module in FIRST_IMPORTS:
        row(f"import {module}", [f"{i[module].seconds:.2f} s ({size(i[module].bytes)})" for _, i in results.values()])


def median(loads: list[Load], field: str) -> float:
    return statistics.median(getattr(load, field) for load in loads)


def size(count: float) -> str:
    return f"{count / 1e6:.2f} MB" if count >= 100e3 else f"{count / 1e3:.1f} kB"


def report(results: dict, names: tuple[str, ...], runs: int) -> None:
    """A row per measure: each of the page's REPLs beside Pyodide's console (the last name), and their ratios."""
    print("\n" + " | ".join([f"{'':<44}", *(f"{name:>26}" for name in names), "ratio to Pyodide", "target"]))
    for (network, cache), by_page in results.items():
        half_of_pyodide = median(by_page[names[-1]], "bytes") * TARGET_BYTES_OF_PYODIDE
        rows = (
            ("bytes over the wire", "bytes", size, half_of_pyodide if cache == "cold" else None),
            ("first prompt", "prompt", lambda v: f"{v:.2f} s", TARGET_PROMPT_S[network] if cache == "cold" else None),
            ("'2' printed", "result", lambda v: f"{v:.2f} s", None),
        )
        for label, field, show, target in rows:
            values = [median(by_page[name], field) for name in names]
            yours = values[-1]
            ratios = " / ".join(f"{mine / yours:.2f}" if yours else "-" for mine in values[:-1])
            goal = (
                ""
                if target is None
                else f"<= {show(target)}: " + " / ".join("met" if mine <= target else "NOT met" for mine in values[:-1])
            )
            cells = [f"{network + ', ' + cache + ', ' + label:<44}", *(f"{show(value):>26}" for value in values)]
            print(" | ".join([*cells, f"{ratios:>16}", goal]))
    print(f"(medians of {runs} runs; ratio = pipe-cpython / Pyodide, lower is better)")
    for name, loads in results[(NETWORKS[0].name, "cold")].items():
        print(f"\n{name}, the last cold load on {NETWORKS[0].name}, by file:")
        for file, count in sorted(loads[-1].by_file.items(), key=lambda item: -item[1]):
            print(f"    {file:<32} {size(count):>10}")


def codecs(site: Path, files: list[str]) -> None:
    """The cold load's files as each copy weighs: gzip's (what the service worker decompresses on a host that
    compresses nothing) and brotli's (what the dev server sends, as hosts that serve .br copies do)."""
    assets = json.loads((site / demo.ASSETS).read_text())
    print("\nThe page's cold-load files, precompressed: gzip -9 against brotli -11")
    totals = [0, 0]
    for name in sorted(files):
        entry = assets.get(name)
        if entry is None:
            continue
        packed = tuple(entry.get(codec.name, entry["bytes"]) for codec in (demo.GZIP, demo.BROTLI))
        totals = [total + count for total, count in zip(totals, packed, strict=True)]
        print(f"    {name:<32} {size(packed[0]):>10} {size(packed[1]):>10} {packed[1] / packed[0]:>6.2f}")
    print(f"    {'total':<32} {size(totals[0]):>10} {size(totals[1]):>10} {totals[1] / totals[0]:>6.2f}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="the assembled demo directory (nox -s demo -- --output DIR)")
    parser.add_argument("--whole", type=Path, help="the same page with its whole stdlib at start, for first imports")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--chromium", default="/usr/bin/chromium")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as root_dir:
        root = Path(root_dir)
        shutil.copytree(args.site, root / "pipe")
        sites = {"as built": "pipe/"}
        if args.whole:
            shutil.copytree(args.whole, root / "whole")
            sites["whole stdlib"] = "whole/"
        pyodide_version = yardstick_site(root / "pyodide")
        names = (*(page.name for page in PAGES[:-1]), f"Pyodide {pyodide_version} console")
        httpd = demo.server(root, port=0, handler=CountingHandler)
        threading.Thread(target=httpd.serve_forever, daemon=True).start()
        base = f"http://127.0.0.1:{httpd.server_address[1]}/"
        results: dict = {}
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=args.chromium, args=CHROMIUM_ARGS)
            for network in NETWORKS:
                for name, kind in zip(names, PAGES, strict=True):
                    for _ in range(args.runs):
                        cold, warm = measure(browser, base + kind.path, kind, network)
                        results.setdefault((network.name, "cold"), {}).setdefault(name, []).append(cold)
                        results.setdefault((network.name, "warm"), {}).setdefault(name, []).append(warm)
                    print(f"measured {name} on {network.name}", file=sys.stderr, flush=True)
            imports = {
                (site, network.name): first_imports(browser, base + path, network)
                for network in NETWORKS
                for site, path in sites.items()
            }
            browser.close()
        httpd.shutdown()
    print("The demo page beside Pyodide's console, one loopback server (brotli copies for both), headless Chromium")
    report(results, names, args.runs)
    codecs(args.site, list(results[(NETWORKS[0].name, "cold")][names[0]][-1].by_file))
    report_imports(imports)
    return 0


if __name__ == "__main__":
    sys.exit(main())
