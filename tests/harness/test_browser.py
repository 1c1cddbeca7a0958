"""The demo page in Debian's headless Chromium, driven by Playwright (`nox -s browser-test`)."""

from __future__ import annotations

import contextlib
import functools
import http.server
import json
import marshal
import os
import re
import shutil
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

from pipe_cpython.core.cache import Cache, default_root
from pipe_cpython.series import profiles
from pipe_cpython.web import demo

pytestmark = pytest.mark.browser

PROJECT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT / "artifacts"
CHROMIUM = os.environ.get("PIPE_CPYTHON_CHROMIUM", "/usr/bin/chromium")
# Flags for a closed network: no background connections, no first-run work.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PROMPT_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The page, assembled by the harness exactly as `nox -s demo -- --output DIR` does."""
    output = tmp_path_factory.mktemp("demo") / "site"
    result = subprocess.run(
        [sys.executable, "-m", "pipe_cpython", "demo", "--output", str(output)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return output


def serve(handler) -> tuple[http.server.ThreadingHTTPServer, str]:
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, f"http://127.0.0.1:{httpd.server_address[1]}/"


@contextlib.contextmanager
def served(site: Path) -> Iterator[str]:
    """`site` on the harness's dev server, on a free port; its address."""
    httpd = demo.server(site, port=0)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()


@pytest.fixture(scope="module")
def url(site):
    """The page with the REPL it runs by default: PyREPL where the build has it (3.14), else its basic console."""
    with served(site) as address:
        yield address


@pytest.fixture(scope="module")
def basic_url(url):
    """The page with its basic console (?repl=basic), whose line editor the page owns: what its own tests drive."""
    return url + "?repl=basic"


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield page
    context.close()
    assert errors == [], errors


def wait_for_prompt(page) -> None:
    """Until the interpreter waits for input: the basic console for a line, PyREPL for a key."""
    page.wait_for_function("document.body.dataset.state === 'prompt'", timeout=PROMPT_TIMEOUT_MS)


def screen(page) -> str:
    return page.evaluate("window.pipeDemo.screenText()")


def type_line(page, line: str) -> None:
    wait_for_prompt(page)
    page.keyboard.type(line)
    page.keyboard.press("Enter")


def wait_for_text(page, text: str, timeout: int = 30_000) -> None:
    from playwright.sync_api import TimeoutError

    try:
        page.wait_for_function("t => window.pipeDemo.screenText().includes(t)", arg=text, timeout=timeout)
    except TimeoutError:
        raise AssertionError(f"{text!r} not on the screen after {timeout} ms; it shows:\n{screen(page)}") from None


def test_page_loads_and_prompt_appears(page, url):
    page.goto(url)
    wait_for_prompt(page)
    text = screen(page)
    assert "with the |> operator" in text
    assert text.rstrip().endswith(">>>")
    assert page.locator("#status").is_hidden()


def test_seed_pipeline_typed_by_hand_prints_10(page, url):
    page.goto(url)
    page.click("#terminal")
    type_line(page, "double = lambda v: v * 2")
    type_line(page, "increment = lambda v: v + 1")
    type_line(page, "2 |> double |> increment |> double")
    wait_for_text(page, ">>> 2 |> double |> increment |> double\n10\n>>>")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "demo.png"), full_page=True)


def test_multi_line_block(page, basic_url):
    page.goto(basic_url)
    page.click("#terminal")
    type_line(page, "def shout(s):")
    type_line(page, "    return s.upper() + '!'")
    type_line(page, "")
    type_line(page, "'pipes' |> shout")
    wait_for_text(page, "... \n>>> 'pipes' |> shout\n'PIPES!'")


def test_syntax_error_shows_a_traceback(page, url):
    page.goto(url)
    page.click("#terminal")
    type_line(page, "x |> lambda v: v")
    wait_for_text(page, "SyntaxError: 'lambda' after '|>' must be parenthesized")
    # The basic console names its input <stdin>; PyREPL <python-input-N>, as it does on a laptop.
    assert re.search(r'  File "<(stdin|python-input-\d+)>", line 1', screen(page)), screen(page)


def test_runtime_error_traceback(page, url):
    page.goto(url)
    page.click("#terminal")
    type_line(page, "1 |> 2")
    wait_for_text(page, "TypeError: 'int' object is not callable")
    assert "Traceback (most recent call last):" in screen(page)


def test_no_ctrl_c_is_lost(page, url):
    """CPython reads, then clears, the signal buffer: a Ctrl-C written in between must not vanish."""
    presses = 40
    page.goto(url)
    page.click("#terminal")
    # The busy loop is a function's: in 3.11.2 an interrupt raised at the backward jump of a loop that ends a try
    # block escapes the block (natively too), which says nothing of the page. Pasted, so that PyREPL does not
    # indent what is indented already.
    program = (
        "caught = 0\n"
        "def spin():\n"
        "    while True: pass\n"
        "\n"
        f"while caught < {presses}:\n"
        "    try:\n"
        "        spin()\n"
        "    except KeyboardInterrupt:\n"
        "        caught += 1\n"
        "\n"
    )
    wait_for_prompt(page)
    page.evaluate("text => window.pipeDemo.paste(text)", program)
    page.keyboard.press("Enter")
    page.wait_for_function("document.body.dataset.state === 'running'")
    for _ in range(presses):
        page.wait_for_timeout(150)
        page.keyboard.press("Control+C")
    wait_for_prompt(page)
    type_line(page, "caught |> str |> print")
    wait_for_text(page, f"\n{presses}\n>>>")


def interrupt_a_running_loop(page) -> None:
    """`while True: pass` run, seen running, and interrupted by Ctrl-C, to the next prompt."""
    type_line(page, "while True: pass")
    type_line(page, "")
    page.wait_for_timeout(1000)
    assert page.evaluate("document.body.dataset.state") == "running", "the loop is running"
    page.keyboard.press("Control+C")
    wait_for_text(page, "KeyboardInterrupt", timeout=15_000)
    wait_for_prompt(page)


def test_ctrl_c_interrupts_running_code(page, url):
    page.goto(url)
    page.click("#terminal")
    interrupt_a_running_loop(page)
    type_line(page, "'still alive' |> len")
    wait_for_text(page, "\n11\n>>>")


def test_example_button(page, url):
    page.goto(url)
    wait_for_prompt(page)
    page.click("[data-example=seed]")
    wait_for_text(page, ">>> 2 |> double |> increment |> double\n10")


def test_paste_of_several_lines(page, basic_url):
    page.goto(basic_url)
    wait_for_prompt(page)
    page.evaluate("window.pipeDemo.paste('a = 20\\nb = a + 1\\nb |> (lambda v: v * 2)\\n')")
    wait_for_text(page, ">>> b |> (lambda v: v * 2)\n42")


def test_share_link_replays_the_session(page, browser, url):
    page.goto(url)
    page.click("#terminal")
    type_line(page, "word = 'shared'")
    type_line(page, "word |> str.upper")
    wait_for_text(page, "'SHARED'")
    wait_for_prompt(page)
    page.click("#share")
    link = page.input_value("#share-link")
    assert link.startswith(url) and "#code=" in link
    other = browser.new_context().new_page()
    other.goto(link)
    wait_for_text(other, ">>> word |> str.upper\n'SHARED'")
    other.context.close()


def test_history_survives_a_reload(page, basic_url):
    page.goto(basic_url)
    page.click("#terminal")
    type_line(page, "'remember me' |> len")
    wait_for_text(page, "\n11\n")
    page.reload()
    wait_for_prompt(page)
    page.click("#terminal")
    page.keyboard.press("ArrowUp")
    page.wait_for_function("window.pipeDemo.state.line === \"'remember me' |> len\"")


class PlainHandler(http.server.SimpleHTTPRequestHandler):
    """A file server that sends no COOP/COEP headers and compresses nothing; it keeps the paths it served, and
    the bytes of each file it sent."""

    served: list[str]
    sent: list[tuple[str, int]]

    def send_head(self):
        body = super().send_head()
        if body is not None and hasattr(body, "fileno"):
            self.sent.append((self.path, os.fstat(body.fileno()).st_size))
        return body

    def log_message(self, format: str, *args) -> None:
        self.served.append(self.path)


def plain_server(site: Path) -> tuple[http.server.ThreadingHTTPServer, str, list[str]]:
    """The static copy behind a plain file server, and the paths it serves as they are asked for."""
    served: list[str] = []
    handler = type("Recording", (PlainHandler,), {"served": served, "sent": []})
    return (*serve(functools.partial(handler, directory=str(site))), served)


def recording_server(site: Path, delays: dict[str, float] | None = None):
    """The dev server on `site`, recording each path asked for, in order (and holding back the answers to the
    paths in `delays` by so many seconds): the server, its address, the paths."""
    asked: list[str] = []

    class Recording(demo.DemoHandler):
        def send_head(self):
            path = urllib.parse.urlsplit(self.path).path.lstrip("/")
            asked.append(path)
            time.sleep((delays or {}).get(path, 0))
            return super().send_head()

    return *serve(functools.partial(Recording, directory=str(site))), asked


def test_a_warm_visit_to_the_dev_server_asks_again_only_for_what_may_have_changed(browser, site):
    """The build's files (asked for by their content's hash) and the chunks (named by it) come from the
    browser's cache without a request; the page, its own scripts and the manifests are revalidated."""
    httpd, address, asked = recording_server(site)
    context = browser.new_context()
    try:
        page = context.new_page()
        for visit in ("first", "second"):
            page.goto(address)
            page.click("#terminal")
            # A module beyond the core, where the page has one: its unit is kept too.
            type_line(page, "import statistics; [1, 2, 6] |> statistics.mean")
            wait_for_text(page, "\n3\n")
            if visit == "first":
                first = set(asked)
                asked.clear()
    finally:
        context.close()
        httpd.shutdown()
    settings = json.loads((site / demo.INTERPRETER).read_text())
    kept = {settings["entry"], "python.wasm", *settings["files"], *(n for n in first if n.startswith(demo.CHUNKS))}
    kept |= {name for name in first if name.startswith(demo.webstdlib.UNITS_DIR + "/")}
    assert kept <= first, first
    assert not kept & set(asked), sorted(kept & set(asked))
    assert {"", demo.ENTRY_MODULE, demo.ASSETS, "worker.js"} <= set(asked), sorted(asked)
    assert asked.count(demo.INTERPRETER) == 1, sorted(asked)  # read by the page, handed to the worker


def test_python_wasm_is_asked_for_once_by_the_page_before_the_interpreters_worker(page, site):
    """Where the page is isolated from the start, it compiles python.wasm as it arrives from its first script
    (index.html) on, and hands the module to the worker."""
    httpd, address, asked = recording_server(site)
    try:
        page.goto(address)
        wait_for_prompt(page)
    finally:
        httpd.shutdown()
    assert asked.count("python.wasm") == 1, asked
    assert asked.index("python.wasm") < min(asked.index("worker.js"), asked.index(demo.ASSETS)), asked


def test_the_interpreter_starts_while_the_terminal_loads(page, site):
    """The terminal's script held back: the interpreter starts meanwhile, and what it wrote, an example clicked
    before the terminal was there and the window's size all reach the terminal once it is."""
    httpd, address, _ = recording_server(site, delays={"vendor/terminal.js": 3})
    try:
        page.goto(address, wait_until="commit")  # not "load", which waits for the terminal's script
        page.wait_for_function("window.pipeDemo !== undefined && document.body.dataset.repl !== undefined")
        assert page.evaluate("window.pipeDemo.term") is None
        page.click("[data-example=seed]")
        wait_for_text(page, ">>> 2 |> double |> increment |> double\n10")
        if page.evaluate("document.body.dataset.repl") == "pyrepl":
            page.click("#terminal")
            type_line(page, "import os; os.get_terminal_size()")
            cols, rows = page.evaluate("[window.pipeDemo.term.cols, window.pipeDemo.term.rows]")
            wait_for_text(page, f"os.terminal_size(columns={cols}, lines={rows})")
    finally:
        httpd.shutdown()


def test_a_first_visit_to_a_plain_host_fetches_each_big_file_once_and_little_else(browser, site):
    """Bytes counted by the server itself, the isolation reload included (docs/explanation/browser-page.md)."""
    httpd, plain_url, _ = plain_server(site)
    handler = httpd.RequestHandlerClass.func
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(plain_url)
        wait_for_prompt(page)
        page.wait_for_timeout(500)
    finally:
        context.close()
        httpd.shutdown()
    sent = handler.sent
    total = sum(size for _, size in sent)
    print(f"first visit to a plain host: {total / 1e6:.2f} MB in {len(sent)} responses")
    big = [path for path, size in sent if size > 100_000]
    stems = [path.removesuffix(".gz") for path in big]
    assert len(stems) == len(set(stems)), sent  # python.wasm, the terminal, ...: each once, one way or the other


def test_static_copy_isolates_itself_with_one_reload_on_a_host_without_headers(browser, site):
    httpd, plain_url, served = plain_server(site)
    context = browser.new_context()  # a first visit: no service worker registered for this origin
    try:
        page = context.new_page()
        loads = []
        page.on("load", lambda _: loads.append(page.url))
        page.goto(plain_url)
        page.click("#terminal")
        type_line(page, "2 |> str |> print")
        wait_for_text(page, ">>> 2 |> str |> print\n2\n>>>")
        assert page.evaluate("window.crossOriginIsolated") is True
        assert page.evaluate("navigator.serviceWorker.controller !== null")
        # Stdin and Ctrl-C cross through SharedArrayBuffer, which isolation made available.
        type_line(page, "while True: pass")
        type_line(page, "")
        page.wait_for_timeout(500)
        page.keyboard.press("Control+C")
        wait_for_text(page, "KeyboardInterrupt", timeout=15_000)
        assert len(loads) == 2, loads  # the first visit, and the one reload under the service worker
        # Under the service worker, the wasm crossed as its gzip copy, decompressed in the browser.
        assert "/python.wasm.gz" in served and "/python.wasm" not in served, served
        page.reload()  # a later visit is isolated from the start: no second reload
        wait_for_prompt(page)
        assert len(loads) == 3, loads
    finally:
        context.close()
        httpd.shutdown()


def test_after_a_first_visit_the_page_works_with_its_host_gone(browser, site):
    httpd, plain_url, _ = plain_server(site)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(plain_url)
        page.click("#terminal")
        type_line(page, "import html")
        type_line(page, "'<>' |> html.escape |> print")
        wait_for_text(page, "&lt;&gt;")
        page.wait_for_timeout(1_000)  # the service worker stores the last responses
        httpd.shutdown()
        httpd.server_close()
        page.reload()
        page.click("#terminal")
        type_line(page, "import html")  # fetched on the first visit (on a page with a core: its unit)
        type_line(page, "'<|>' |> html.escape |> print")
        wait_for_text(page, "&lt;|&gt;")
        if (site / demo.webstdlib.MANIFEST).exists():
            # Never fetched, so not kept: it cannot come now, and says so.
            type_line(page, "import colorsys")
            wait_for_text(page, "ImportError: the page could not fetch stdlib/colorsys.bin for colorsys")
            type_line(page, "2 |> str")
            wait_for_text(page, ">>> 2 |> str\n'2'\n>>>")
    finally:
        context.close()


def test_a_rebuilt_page_replaces_the_offline_copy_as_a_whole(browser, site, tmp_path):
    live = tmp_path / "site"
    shutil.copytree(site, live)
    httpd, plain_url, _ = plain_server(live)
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(plain_url)
        wait_for_prompt(page)
        first = page.evaluate("caches.keys()")
        # Rebuilt in place: another index.html, so another hash in assets.json.
        index = live / "index.html"
        index.write_text(index.read_text().replace("</body>", "<!-- rebuilt --></body>"))
        demo.precompress(live, Cache(default_root()).compressed)  # where `demo` kept the brotli copies
        page.reload()
        wait_for_prompt(page)
        page.wait_for_timeout(1_000)
        second = page.evaluate("caches.keys()")
        assert len(first) == len(second) == 1 and first != second, (first, second)
        cached = page.evaluate(f"caches.open({json.dumps(second[0])}).then(c => c.keys()).then(k => k.map(r => r.url))")
        # The build's files are asked for with their content's hash (`?v=`).
        cached = [url.split("?")[0] for url in cached]
        assert f"{plain_url}python.wasm" in cached and f"{plain_url}interpreter.json" in cached, cached
    finally:
        context.close()
        httpd.shutdown()


def test_the_dev_server_sends_real_headers_and_registers_no_service_worker(page, url):
    response = page.goto(url)
    assert response.headers["cross-origin-embedder-policy"] == "require-corp"
    wait_for_prompt(page)
    assert page.evaluate("navigator.serviceWorker.getRegistrations().then(r => r.length)") == 0


def test_where_isolation_is_impossible_the_page_still_runs_code_and_says_what_is_degraded(browser, site):
    httpd, plain_url, _ = plain_server(site)
    context = browser.new_context(service_workers="block")
    try:
        page = context.new_page()
        loads = []
        page.on("load", lambda _: loads.append(page.url))
        page.goto(plain_url)
        page.click("#terminal")
        type_line(page, "word = 'degraded'")
        type_line(page, "def shout(s):")
        type_line(page, "    return s.upper() + '!'")
        type_line(page, "")
        type_line(page, "word |> shout |> print")
        wait_for_text(page, ">>> word |> shout |> print\nDEGRADED!\n>>>")
        status = page.locator("#status")
        assert page.evaluate("document.getElementById('status').className") == "warning"
        text = status.inner_text()
        assert "not cross-origin isolated" in text and "service worker" in text and "Ctrl-C" in text, text
        # Ctrl-C stops a line that never ends; the session before it is kept.
        type_line(page, "while True: pass")
        type_line(page, "")
        page.wait_for_timeout(1500)
        page.keyboard.press("Control+C")
        wait_for_text(page, "^C\nKeyboardInterrupt\n>>>")
        type_line(page, "word |> len |> print")
        wait_for_text(page, ">>> word |> len |> print\n8\n>>>")
        assert screen(page).count("DEGRADED!") == 1  # a replay shows only what its last line prints
        assert len(loads) == 1, loads  # no reload, let alone a loop
    finally:
        context.close()
        httpd.shutdown()


# Playwright's "Pixel 7" descriptor, without its user agent string (the page does not look at it).
PHONE = {"viewport": {"width": 412, "height": 839}, "device_scale_factor": 2.625, "is_mobile": True, "has_touch": True}


def test_a_phone_gets_a_page_that_fits_and_a_keyboard_on_tap(browser, url):
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        page.goto(url)
        wait_for_prompt(page)
        width = page.evaluate("window.innerWidth")
        assert width == PHONE["viewport"]["width"]  # laid out at the screen's width, not zoomed out
        assert page.evaluate("document.documentElement.scrollWidth") <= width  # no sideways overflow
        terminal = page.locator("#terminal").bounding_box()
        assert terminal["x"] >= 0 and terminal["x"] + terminal["width"] <= width
        assert terminal["y"] < page.evaluate("window.innerHeight") / 2  # on the first screen, not below the fold
        for box in page.locator("[data-example]").evaluate_all("bs => bs.map(b => b.getBoundingClientRect().right)"):
            assert box <= width
        page.tap("#terminal")
        # The soft keyboard opens for a focused text field: xterm's textarea.
        assert page.evaluate("document.activeElement.classList.contains('xterm-helper-textarea')")
        type_line(page, "'phone' |> len |> print")
        wait_for_text(page, ">>> 'phone' |> len |> print\n5\n>>>")
        page.tap("[data-example=lambda]")
        wait_for_text(page, "\n4950\n")
    finally:
        context.close()


def select_screen_text(page, text: str) -> None:
    """Selects `text` where it starts a line of the terminal, as a mouse drag would."""
    page.evaluate(
        """t => {
          const term = window.pipeDemo.term, buffer = term.buffer.active;
          for (let row = buffer.length - 1; row >= 0; row--) {
            if (buffer.getLine(row).translateToString(true).startsWith(t)) return term.select(0, row, t.length);
          }
          throw new Error(`${t} is not on the screen`);
        }""",
        text,
    )


def test_ctrl_c_copies_a_selection_and_interrupts_otherwise_ctrl_shift_v_pastes(browser, basic_url):
    context = browser.new_context(permissions=["clipboard-read", "clipboard-write"])
    try:
        page = context.new_page()
        page.goto(basic_url)
        page.click("#terminal")
        type_line(page, "'copy me' |> str.upper |> print")
        wait_for_text(page, "\nCOPY ME\n>>>")
        select_screen_text(page, "COPY ME")
        page.keyboard.press("Control+C")
        assert page.evaluate("navigator.clipboard.readText()") == "COPY ME"
        assert "KeyboardInterrupt" not in screen(page)
        assert page.evaluate("window.pipeDemo.term.hasSelection()") is False
        page.keyboard.type("half a line")
        page.keyboard.press("Control+C")  # nothing selected: drops the line, as a terminal's Ctrl-C does
        wait_for_text(page, "half a line^C\nKeyboardInterrupt\n>>>")
        page.evaluate("navigator.clipboard.writeText('6 |> str |> print')")
        page.keyboard.press("Control+Shift+V")
        page.wait_for_function("window.pipeDemo.state.line === '6 |> str |> print'")
        page.keyboard.press("Enter")
        wait_for_text(page, ">>> 6 |> str |> print\n6\n>>>")
        select_screen_text(page, "COPY ME")
        page.keyboard.press("Control+Shift+C")
        assert page.evaluate("navigator.clipboard.readText()") == "COPY ME"
    finally:
        context.close()


def test_ctrl_r_searches_history_backwards(page, basic_url):
    page.goto(basic_url)
    page.click("#terminal")
    for line in ("'alpha' |> len", "'beta' |> len", "'alphabet' |> len |> print"):
        type_line(page, line)
    wait_for_text(page, "\n8\n>>>")
    page.keyboard.type("kept")
    page.keyboard.press("Control+R")
    page.keyboard.type("alpha")
    wait_for_text(page, "(reverse-i-search)`alpha': 'alphabet' |> len |> print")
    page.keyboard.press("Control+R")  # the next older match
    wait_for_text(page, "(reverse-i-search)`alpha': 'alpha' |> len")
    page.keyboard.type("zzz")
    wait_for_text(page, "(failing reverse-i-search)`alphazzz': ")
    page.keyboard.press("Control+G")  # cancel: the line as it was before the search
    page.wait_for_function("window.pipeDemo.state.line === 'kept' && window.pipeDemo.state.search === null")
    for _ in "kept":
        page.keyboard.press("Backspace")
    page.keyboard.press("Control+R")
    page.keyboard.type("beta")
    page.keyboard.press("Enter")  # accept and run, as bash does
    wait_for_text(page, ">>> 'beta' |> len\n4\n>>>")


def test_wide_characters_keep_the_cursor_right(page, basic_url):
    page.goto(basic_url)
    page.click("#terminal")
    wait_for_prompt(page)
    page.keyboard.type("'日本😀'")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("ArrowLeft")  # over the emoji, a surrogate pair in JavaScript, in one step
    page.keyboard.type("x")
    page.wait_for_function("window.pipeDemo.state.line === \"'日本x😀'\"")
    # ">>> " and then ' (1 cell), 日 and 本 (2 cells each), x (1 cell): the cursor is in column 10.
    assert page.evaluate("window.pipeDemo.term.buffer.active.cursorX") == 10
    page.keyboard.press("End")
    page.keyboard.type(" |> len |> print")
    page.keyboard.press("Enter")
    wait_for_text(page, "\n4\n>>>")
    page.keyboard.type("'😀😀'")
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Backspace")  # removes a whole emoji, not half of one
    page.wait_for_function("window.pipeDemo.state.line === \"'😀'\"")
    assert page.evaluate("window.pipeDemo.term.buffer.active.cursorX") == 4 + 1 + 2


def test_loading_shows_bytes_received_of_total_for_the_wasm_and_the_stdlib(page, url, site):
    page.goto(url)
    wait_for_prompt(page)
    downloads = page.evaluate("window.pipeDemo.state.downloads")
    # The stdlib: python.data where the build preloads it, else the files the worker writes (3.14's zip).
    placed = json.loads((site / demo.INTERPRETER).read_text())["files"]
    for name in ("python.wasm", *(placed or ["python.data"])):
        size = (site / name).stat().st_size
        assert downloads[name] == {"received": size, "total": size}, (name, downloads)
    assert page.locator("#progress").is_hidden()  # gone once the prompt is there


def test_a_stdlib_file_that_does_not_load_is_reported_and_stays_on_the_status_line(page, site, tmp_path):
    placed = json.loads((site / demo.INTERPRETER).read_text())["files"]
    if not placed:
        pytest.skip("this series' build preloads its stdlib (python.data): the page places no file")
    broken = tmp_path / "site"
    shutil.copytree(site, broken)
    for name in (demo.webstdlib.STDLIB_ZIP, *(demo.webstdlib.STDLIB_ZIP + codec.suffix for codec in demo.CODECS)):
        (broken / name).unlink(missing_ok=True)
    with served(broken) as address:
        page.goto(address)
        page.wait_for_function("document.querySelector('#status').textContent.includes('stopped')", timeout=30_000)
        # python.wasm finishes downloading afterwards: its progress must not hide the reason.
        page.wait_for_timeout(3_000)
        status = page.locator("#status").text_content()
        assert f"{demo.webstdlib.STDLIB_ZIP} did not load: HTTP 404" in status, status
        assert page.locator("#progress").is_hidden()


def test_a_python_wasm_that_does_not_load_is_reported_on_the_status_line(page, site, tmp_path):
    """The page compiles python.wasm itself: a failed fetch is the worker's fatal error, named."""
    broken = tmp_path / "site"
    shutil.copytree(site, broken)
    for name in ("python.wasm", *("python.wasm" + codec.suffix for codec in demo.CODECS)):
        (broken / name).unlink(missing_ok=True)
    with served(broken) as address:
        page.goto(address)
        page.wait_for_function("document.querySelector('#status').textContent.includes('stopped')", timeout=30_000)
        status = page.locator("#status").text_content()
        assert "python.wasm did not load: HTTP 404" in status, status


def lazy_stdlib(site: Path) -> None:
    """Skip on a page whose build preloads its whole stdlib (3.11, 3.13): only a zip build's page has a core."""
    if not (site / demo.webstdlib.MANIFEST).exists():
        pytest.skip("this series' page loads its whole stdlib at start (python.data)")


def test_modules_beyond_the_core_are_fetched_as_imported_and_a_module_the_page_lacks_fails_at_once(page, url, site):
    lazy_stdlib(site)
    requests = []
    # Without the query: the worker asks for a unit with its content's hash (`?v=`).
    page.on("request", lambda request: requests.append(request.url.removeprefix(url).split("?")[0]))
    page.goto(url)
    wait_for_prompt(page)
    assert not [r for r in requests if r.startswith(demo.webstdlib.UNITS_DIR + "/")], "units before the prompt"
    page.click("#terminal")
    type_line(page, "import html.entities, json, colorsys, nosuchmodule")
    wait_for_text(page, "ModuleNotFoundError: No module named 'nosuchmodule'")
    # html's unit once, for both of its modules; json is in the core; nosuchmodule is not asked for (then the
    # traceback's printing imports what it needs: traceback, textwrap, ...).
    fetched = [r for r in requests if r.startswith(demo.webstdlib.UNITS_DIR + "/")]
    assert fetched[:2] == [f"{demo.webstdlib.UNITS_DIR}/{unit}.bin" for unit in ("html", "colorsys")], fetched
    assert len(fetched) == len(set(fetched)) and not [r for r in fetched if "nosuchmodule" in r], fetched
    type_line(page, "'<|>' |> html.escape |> print")
    wait_for_text(page, "&lt;|&gt;")


def test_c_modules_built_as_side_modules_are_fetched_and_loaded_on_import(page, url, site):
    """sqlite3, decimal, the XML parsers, the CJK codecs, pickle's, hashlib's and the others the page's build
    makes side modules are not in its python.wasm: each comes with its package's unit (or as a unit of its own)
    when first imported, and works."""
    lazy_stdlib(site)
    manifest = marshal.loads((site / demo.webstdlib.MANIFEST).read_bytes())["modules"]
    side = sorted(name for name, entry in manifest.items() if entry[3] == "ext")
    assert {"_sqlite3", "_decimal", "pyexpat", "_pickle", "_md5", "_bz2", "array"} <= set(side), side
    requests = []
    page.on("request", lambda request: requests.append(request.url.removeprefix(url).split("?")[0]))
    page.goto(url + "?repl=basic")
    wait_for_prompt(page)
    page.click("#terminal")
    type_line(page, f"import sys; [m for m in {side!r} if m in sys.builtin_module_names]")
    wait_for_text(page, "\n[]\n")
    type_line(page, "import pickle; pickle.dumps([2, 3]) |> pickle.loads |> sum |> print")
    wait_for_text(page, "\n5\n")
    type_line(page, "import hashlib, bz2; hashlib.md5(bz2.decompress(bz2.compress(b'x'))).hexdigest() |> print")
    wait_for_text(page, "9dd4e461268c8034f5c8564e155c67a6")
    type_line(page, "import sqlite3; sqlite3.connect(':memory:').execute('select 6 * 7').fetchone() |> print")
    wait_for_text(page, "(42,)")
    type_line(page, "import decimal; decimal.Decimal(1) / 8 |> print")
    wait_for_text(page, "0.125")
    type_line(page, "import xml.etree.ElementTree as ET; ET.fromstring('<a><b>pipe</b></a>').find('b').text |> print")
    wait_for_text(page, "\npipe\n")
    type_line(page, "'日本' |> (lambda s: s.encode('shift_jis')) |> print")
    wait_for_text(page, "b'\\x93\\xfa\\x96{'")
    type_line(page, "sys.modules['_sqlite3'].__file__ |> print")
    wait_for_text(page, "/lib-dynload/_sqlite3.")
    units = [r.removeprefix(demo.webstdlib.UNITS_DIR + "/") for r in requests if r.startswith(demo.webstdlib.UNITS_DIR)]
    # Each side module in one request with the package that imports it; the codec's own, and its helper's.
    together = {"sqlite3", "decimal", "xml", "pickle", "hashlib", "bz2"}
    assert {f"{unit}.bin" for unit in {*together, "_codecs_jp", "_multibytecodec"}} <= set(units), units
    apart = {f"{module}.bin" for module in side if demo.webstdlib.EXTENSION_UNITS.get(module) in together}
    assert not apart & set(units), units
    assert len(units) == len(set(units)), units


def test_a_page_with_its_whole_stdlib_at_start_fetches_nothing_at_import(page, site, tmp_path_factory):
    lazy_stdlib(site)
    output = tmp_path_factory.mktemp("whole") / "site"
    assemble = [sys.executable, "-m", "pipe_cpython", "demo", "--stdlib-at-start", "--output", str(output)]
    result = subprocess.run(assemble, cwd=PROJECT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert not list((output / demo.webstdlib.UNITS_DIR).iterdir())
    with served(output) as address:
        requests = []
        page.on("request", lambda request: requests.append(request.url.removeprefix(address)))
        page.goto(address)
        page.click("#terminal")
        type_line(page, "import html.entities, statistics, asyncio, nosuchmodule")
        wait_for_text(page, "ModuleNotFoundError: No module named 'nosuchmodule'")
        type_line(page, "[1, 2, 6] |> statistics.mean")
        wait_for_text(page, "\n3\n")
        type_line(page, "import sqlite3; sqlite3.connect(':memory:').execute('select 6 * 7').fetchone() |> print")
        wait_for_text(page, "(42,)")
    assert not [r for r in requests if r.startswith(demo.webstdlib.UNITS_DIR + "/")], requests


def test_a_unit_that_cannot_be_fetched_is_an_import_error_with_its_url_and_status(page, site, tmp_path):
    lazy_stdlib(site)
    broken = tmp_path / "site"
    shutil.copytree(site, broken)
    unit = f"{demo.webstdlib.UNITS_DIR}/statistics.bin"
    for name in (unit, *(unit + codec.suffix for codec in demo.CODECS)):
        (broken / name).unlink(missing_ok=True)
    with served(broken) as address:
        page.goto(address)
        page.click("#terminal")
        type_line(page, "import statistics")
        wait_for_text(page, f"ImportError: the page could not fetch {unit} for statistics: HTTP 404")
        type_line(page, "2 |> str")  # the REPL goes on
        wait_for_text(page, ">>> 2 |> str\n'2'\n>>>")


def line_is(page, text: str) -> None:
    page.wait_for_function("t => window.pipeDemo.state.line === t", arg=text)


def test_tab_completes_names_attributes_and_keywords_and_lists_several(page, basic_url):
    page.goto(basic_url)
    page.click("#terminal")
    type_line(page, "import math")
    wait_for_prompt(page)
    page.keyboard.type("math.facto")
    page.keyboard.press("Tab")  # one match: completed, with rlcompleter's "(" for a callable
    line_is(page, "math.factorial(")
    page.keyboard.type("5) |> str |> print")
    page.keyboard.press("Enter")
    wait_for_text(page, "\n120\n>>>")
    page.keyboard.type("math.is")
    page.keyboard.press("Tab")  # several, with nothing in common to add: listed under the line, as readline does
    wait_for_text(page, "math.isclose(")
    assert all(name in screen(page) for name in ("math.isfinite(", "math.isinf(", "math.isnan(", "math.isqrt("))
    line_is(page, "math.is")
    assert screen(page).rstrip().endswith(">>> math.is")  # the prompt and the line drawn again below the list
    page.keyboard.press("Control+C")
    page.keyboard.type("[3, 1] |> sorte")
    page.keyboard.press("Tab")  # the word starts after `|> `, and keys typed during the request are kept
    page.keyboard.type("x")
    line_is(page, "[3, 1] |> sorted(x")
    page.keyboard.press("Control+C")
    page.keyboard.type("whil")
    page.keyboard.press("Tab")  # a keyword
    line_is(page, "while ")


def test_tab_indents_at_the_start_of_a_line_after_whitespace_and_in_input(page, basic_url):
    page.goto(basic_url)
    page.click("#terminal")
    type_line(page, "def f(v):")
    wait_for_prompt(page)
    page.keyboard.press("Tab")
    line_is(page, "    ")
    page.keyboard.type("return v * 3")
    page.keyboard.press("Enter")
    type_line(page, "")
    type_line(page, "answer = input('? ')")
    wait_for_text(page, "? ")
    wait_for_prompt(page)
    page.keyboard.type("ab")
    page.keyboard.press("Tab")  # input() reads a line of text, not Python: Tab is not for the completer there
    line_is(page, "ab    ")
    page.keyboard.press("Enter")
    type_line(page, "answer |> repr |> print")
    wait_for_text(page, "\n'ab    '\n>>>")
    type_line(page, "2 |> f |> print")
    wait_for_text(page, "\n6\n>>>")


def test_the_dev_server_sends_the_best_copies_and_the_page_counts_their_bytes(page, url, site):
    encodings = {}
    page.on(
        "response",
        lambda r: encodings.__setitem__(r.url.split("?")[0].rsplit("/", 1)[-1], r.headers.get("content-encoding")),
    )
    page.goto(url)
    wait_for_prompt(page)
    assets = json.loads((site / demo.ASSETS).read_text())
    assert "br" in assets["python.wasm"] and "gzip" in assets["python.wasm"]  # the wasm is worth compressing
    assert "python.wasm" in encodings
    for name, asset in assets.items():
        if name.rsplit("/", 1)[-1] in encodings:
            # Chromium takes brotli on loopback: the best copy there is.
            best = next((codec.name for codec in demo.CODECS if codec.name in asset), None)
            assert encodings[name.rsplit("/", 1)[-1]] == best, name
    downloads = page.evaluate("window.pipeDemo.state.downloads")
    size = (site / "python.wasm").stat().st_size
    assert downloads["python.wasm"] == {"received": size, "total": size}


def test_a_page_with_the_stdlib_as_sources_shows_its_lines_in_tracebacks_where_the_excepthook_can(
    page, tmp_path_factory
):
    output = tmp_path_factory.mktemp("sources") / "site"
    assemble = [sys.executable, "-m", "pipe_cpython", "demo", "--stdlib", "sources", "--output", str(output)]
    result = subprocess.run(assemble, cwd=PROJECT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    with served(output) as address:
        page.goto(address)
        page.click("#terminal")
        type_line(page, "import statistics")
        type_line(page, "[] |> statistics.mean")
        wait_for_text(page, "statistics.StatisticsError: mean requires at least one data point")
        shown = "raise StatisticsError('mean requires at least one data point')" in screen(page)
        # From 3.13 the excepthook reads source lines through the module's loader (zipimport); 3.11's, written
        # in C, reads files only, so it shows none from a zip.
        assert shown is (page_series(page) >= (3, 13))


def page_series(page) -> tuple[int, int]:
    banner = re.search(r"Python (\d+)\.(\d+)", screen(page))
    return int(banner[1]), int(banner[2])


def test_help_shows_a_page_and_its_interactive_prompt_reads_input(page, basic_url):
    page.goto(basic_url)
    page.click("#terminal")
    type_line(page, "help(len)")
    wait_for_text(page, "Help on built-in function len in module builtins")
    wait_for_prompt(page)
    type_line(page, "help()")
    wait_for_text(page, "help> ")
    type_line(page, "quit")
    type_line(page, "'after help' |> len |> print")
    wait_for_text(page, "\n10\n>>>")


def test_a_running_loop_prints_as_it_goes_and_the_page_stays_responsive(page, basic_url):
    page.goto(basic_url)
    page.click("#terminal")
    type_line(page, "import time")
    type_line(page, "for i in range(10_000): print('tick', i); time.sleep(0.02)")
    type_line(page, "")
    wait_for_text(page, "tick 10\n")
    seen = screen(page).count("tick ")
    started = time.monotonic()
    page.keyboard.type("typed while it runs")  # the main thread takes keys: the loop runs in the worker
    page.wait_for_function("window.pipeDemo.state.line === 'typed while it runs'")
    assert time.monotonic() - started < 2
    page.wait_for_function("n => window.pipeDemo.screenText().split('tick ').length - 1 > n + 20", arg=seen)
    page.keyboard.press("Control+C")
    wait_for_text(page, "KeyboardInterrupt", timeout=15_000)


# pyodide-build builds for 3.12 and later: the series the other tests load, else the newest.
NEWEST = max(profiles.PROFILES, key=lambda series: tuple(map(int, series.split("."))))
_LOADED = os.environ.get("PIPE_CPYTHON_VERSION", NEWEST)
WHEELS_SERIES = ("--cpython", NEWEST if _LOADED.startswith("3.11") else _LOADED)


def harness_output(*args: str) -> str:
    """What a harness step prints (wheel-wasm: the wheel's path), once it succeeded."""
    result = subprocess.run([sys.executable, "-m", "pipe_cpython", *args], cwd=PROJECT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout.strip()


@pytest.fixture(scope="module")
def wheel_site(tmp_path_factory) -> tuple[Path, Path]:
    """The page built from the dynamic-linking build with tests/wheels/ext shipped (`demo --wheel`), and the
    pure-Python wheel of tests/wheels/pure, both built by pyodide-build (`wheel-wasm`): the series the other tests
    load, or the newest where that is 3.11, for which pyodide-build builds nothing
    (docs/how-to/packages-and-wheels.md)."""
    series = WHEELS_SERIES
    ext = harness_output("wheel-wasm", *series, "tests/wheels/ext")
    pure = Path(harness_output("wheel-wasm", *series, "tests/wheels/pure"))
    output = tmp_path_factory.mktemp("wheels") / "site"
    harness_output("demo", *series, "--wheel", ext, "--output", str(output))
    return output, pure


def test_a_c_extension_shipped_with_the_page_takes_a_pipe(page, wheel_site):
    site, pure = wheel_site
    # The pure wheel, served from the page's own origin, comes by URL (?wheel=), as a user's link would bring it.
    shutil.copy2(pure, site / pure.name)
    with served(site) as address:
        page.goto(f"{address}?wheel={pure.name}")
        page.click("#terminal")
        type_line(page, "import ext, pipe_pure")
        type_line(page, "3 |> ext.twice")
        wait_for_text(page, ">>> 3 |> ext.twice\n6\n>>>")
        type_line(page, "'pipe' |> pipe_pure.shout")
        wait_for_text(page, "'PIPE!'")


def test_a_wheel_that_does_not_load_is_reported(page, wheel_site):
    site, _ = wheel_site
    with served(site) as address:
        page.goto(f"{address}?wheel=missing-1.0-py3-none-any.whl")
        page.wait_for_function("document.querySelector('#status').textContent.includes('wheel')", timeout=30_000)
        assert "missing-1.0-py3-none-any.whl: HTTP 404" in page.locator("#status").text_content()


# --- PyREPL, CPython's own REPL, on a pty (3.14's page) -------------------------------------------------------


def open_pyrepl(page, address: str) -> None:
    """The page at `address`, at PyREPL's first prompt; a skip where the page runs its basic console."""
    page.goto(address)
    wait_for_prompt(page)
    if page.evaluate("document.body.dataset.repl") != "pyrepl":
        pytest.skip("this series' page runs its basic console (PyREPL needs the 3.14 build's TTY and exports)")
    page.click("#terminal")


def cell_colours(page, text: str) -> list:
    """Each character of the last line that shows `text`, with its foreground colour (None: the default)."""
    return page.evaluate(
        """text => {
            const buffer = window.pipeDemo.term.buffer.active;
            for (let y = buffer.length - 1; y >= 0; y--) {
                const line = buffer.getLine(y);
                const at = line.translateToString(true).indexOf(text);
                if (at < 0) continue;
                return [...text].map((ch, i) => {
                    const cell = line.getCell(at + i);
                    return [ch, cell.isFgDefault() ? null : cell.getFgColor()];
                });
            }
            return null;
        }""",
        text,
    )


def press(page, key: str) -> None:
    """A key, then a moment, as a person types: PyREPL inserts what is already pending after a key as text (its
    paste detection), so keys sent in one instant are not keys to it."""
    page.keyboard.press(key)
    page.wait_for_timeout(150)


def test_pyrepl_runs_on_a_terminal_with_the_window_size(page, url):
    open_pyrepl(page, url)
    assert "PyREPL" in page.inner_text("#repl-note")
    type_line(page, "import os, sys; print(os.isatty(0), os.get_terminal_size())")
    cols, rows = page.evaluate("[window.pipeDemo.term.cols, window.pipeDemo.term.rows]")
    wait_for_text(page, f"True os.terminal_size(columns={cols}, lines={rows})")


def test_pyrepl_colours_the_pipe_as_one_operator(page, url):
    open_pyrepl(page, url)
    # 3.14's default theme leaves operators uncoloured: one that colours them, as _colorize's docs show.
    type_line(
        page,
        "from _colorize import set_theme, default_theme as t, ANSIColors as c; "
        "set_theme(t.copy_with(syntax=t.syntax.copy_with(op=c.BLUE)))",
    )
    wait_for_prompt(page)
    type_line(page, "1 + 2 |> str")
    wait_for_text(page, "'3'")
    colours = dict(cell_colours(page, "1 + 2 |> str"))
    assert colours["|"] is not None and colours["|"] == colours[">"] == colours["+"], colours
    assert colours["1"] not in (None, colours["|"]) and colours["s"] != colours["|"], colours


def test_pyrepl_edits_a_multi_line_function_with_the_arrow_keys_and_runs_it_again(page, url):
    open_pyrepl(page, url)
    page.keyboard.type("def f(x):")
    press(page, "Enter")
    page.keyboard.type("return x |> str")  # PyREPL indents the body itself
    press(page, "Enter")
    press(page, "Enter")
    wait_for_prompt(page)
    type_line(page, "f(41)")
    wait_for_text(page, "'41'")
    press(page, "ArrowUp")
    press(page, "ArrowUp")  # the whole block comes back, its last line under the cursor
    press(page, "End")
    page.keyboard.type(" |> len")
    press(page, "Enter")
    press(page, "Enter")
    wait_for_prompt(page)
    type_line(page, "f(12345)")
    wait_for_text(page, ">>> f(12345)\n5\n")


def test_pyrepl_ctrl_r_tab_and_ctrl_c_at_the_prompt(page, url):
    open_pyrepl(page, url)
    type_line(page, "searched = 'needle' |> len")
    wait_for_prompt(page)
    type_line(page, "import colorsys")
    wait_for_prompt(page)
    page.keyboard.press("Control+R")
    page.keyboard.type("needl")
    wait_for_text(page, "(r-search `needl') searched = 'needle' |> len")
    page.keyboard.press("Enter")  # takes the line found, to run or edit
    page.keyboard.press("Enter")
    wait_for_prompt(page)
    type_line(page, "searched")
    wait_for_text(page, "\n6\n")
    wait_for_prompt(page)
    page.keyboard.type("colorsys.rgb_to_h")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")  # two matches: the second Tab lists them
    wait_for_text(page, "colorsys.rgb_to_hls(  colorsys.rgb_to_hsv(")
    page.keyboard.press("Control+C")  # at the prompt: the line is dropped (Ctrl-C in running code: the tests above)
    wait_for_text(page, "KeyboardInterrupt")
    wait_for_prompt(page)
    type_line(page, "'alive' |> len")
    wait_for_text(page, "\n5\n")


def test_pyrepl_paste_mode_f3_input_and_exit(page, url):
    open_pyrepl(page, url)
    page.keyboard.press("F3")
    wait_for_text(page, "(paste)")
    page.keyboard.type("a = 2")
    page.keyboard.press("Enter")
    page.keyboard.type("b = a |> str")
    page.keyboard.press("Enter")
    # In paste mode PyREPL inserts whatever is pending after a key as text, as on a laptop: a key pressed in the
    # same instant as Enter would be pasted, so the test presses F3 as a person would, a moment later.
    page.wait_for_timeout(300)
    page.keyboard.press("F3")
    page.keyboard.press("Enter")
    wait_for_prompt(page)
    type_line(page, "b * 3")
    wait_for_text(page, "'222'")
    type_line(page, "input('name? ') |> str.upper")
    wait_for_text(page, "name? ")
    wait_for_prompt(page)
    page.keyboard.type("pipes")
    page.keyboard.press("Enter")
    wait_for_text(page, "'PIPES'")
    type_line(page, "exit()")
    page.wait_for_function("document.body.dataset.state === 'exited'", timeout=15_000)


def test_pyrepl_f2_shows_the_history_and_ctrl_d_ends_the_repl(page, url):
    open_pyrepl(page, url)
    type_line(page, "first = 1 |> str")
    wait_for_prompt(page)
    type_line(page, "second = first |> len")
    wait_for_prompt(page)
    press(page, "F2")  # Emscripten's pager prints the history whole, without prompts, for copying
    wait_for_text(page, ">>> first = 1 |> str\nsecond = first |> len")
    wait_for_prompt(page)
    type_line(page, "second")
    wait_for_text(page, "\n1\n")
    wait_for_prompt(page)
    press(page, "Control+D")  # at an empty prompt: the end of input, as on a laptop
    page.wait_for_function("document.body.dataset.state === 'exited'", timeout=15_000)


def test_pyrepl_resize_reaches_python(page, url):
    open_pyrepl(page, url)
    page.set_viewport_size({"width": 700, "height": 500})
    page.wait_for_timeout(500)
    cols, rows = page.evaluate("[window.pipeDemo.term.cols, window.pipeDemo.term.rows]")
    type_line(page, "import os; os.get_terminal_size()")
    wait_for_text(page, f"os.terminal_size(columns={cols}, lines={rows})")


def test_pyrepl_history_survives_a_reload_and_a_share_link_replays(page, browser, url):
    open_pyrepl(page, url)
    type_line(page, "kept = 'from before' |> str.title")
    wait_for_prompt(page)
    type_line(page, "kept")
    wait_for_text(page, "'From Before'")
    wait_for_prompt(page)
    page.click("#share")
    link = page.input_value("#share-link")
    page.reload()
    open_pyrepl(page, url)
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")
    wait_for_prompt(page)
    type_line(page, "kept |> len")
    wait_for_text(page, "\n11\n")
    other = browser.new_context().new_page()
    try:
        other.goto(link)
        wait_for_text(other, ">>> kept\n'From Before'")
        wait_for_prompt(other)
    finally:
        other.context.close()


def test_pyrepl_help_from_f1_and_help(page, url):
    open_pyrepl(page, url)
    press(page, "F1")
    wait_for_text(page, "help> ")
    type_line(page, "len")
    wait_for_text(page, "Help on built-in function len in module builtins")
    wait_for_prompt(page)
    type_line(page, "quit")
    wait_for_text(page, "You are now leaving help")
    wait_for_prompt(page)
    type_line(page, "'after help' |> len")
    wait_for_text(page, "\n10\n>>>")


def test_pyrepl_runs_where_the_browser_has_no_jspi(page, url):
    """Firefox and Safari share memory but run wasm without JSPI: 3.14's build then runs main synchronously and
    passes poll no timeout. Playwright's own Firefox and WebKit cannot run from Debian's packages, so Chromium
    stands in, its worker's JSPI hidden before the build's script looks for it."""

    # A worker whose script throws never gives the page a prompt: the test then fails waiting for it.
    hidden = (
        "delete WebAssembly.promising; delete WebAssembly.Suspending;"
        "if (WebAssembly.promising || WebAssembly.Suspending) throw new Error('JSPI could not be hidden');"
    )
    routed = []

    def without_jspi(route):
        routed.append(route.request.url)
        route.fulfill(
            body=f"{hidden}\n{route.fetch().text()}",
            headers={"Content-Type": "text/javascript", **demo.ISOLATION_HEADERS},
        )

    page.route("**/worker.js", without_jspi)
    open_pyrepl(page, url)
    assert len(routed) == 1, routed
    type_line(page, "import os; os.get_terminal_size().columns == " + str(page.evaluate("window.pipeDemo.term.cols")))
    wait_for_text(page, "\nTrue\n")
    wait_for_prompt(page)
    page.keyboard.type("def g(x):")
    press(page, "Enter")
    page.keyboard.type("return x |> str")
    press(page, "Enter")
    press(page, "Enter")
    wait_for_prompt(page)
    type_line(page, "g(7) * 3")
    wait_for_text(page, "'777'")
    interrupt_a_running_loop(page)
    type_line(page, "input('name? ') |> str.upper")
    wait_for_text(page, "name? ")
    page.keyboard.type("pipes")
    page.keyboard.press("Enter")
    wait_for_text(page, "'PIPES'")
    type_line(page, "exit()")
    page.wait_for_function("document.body.dataset.state === 'exited'", timeout=15_000)
