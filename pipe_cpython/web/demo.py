"""The browser demo: assemble the page around the browser build, and serve it.

The page needs SharedArrayBuffer (stdin and Ctrl-C cross between the page and
the interpreter's worker through it), so it must be cross-origin isolated:
`Cross-Origin-Opener-Policy: same-origin` and
`Cross-Origin-Embedder-Policy: require-corp`. The dev server sends them; on a
host that does not, the page's service worker (isolation.js) adds them to the
page's own files, at the cost of one reload on the first visit.
"""

from __future__ import annotations

import contextlib
import dataclasses
import email.utils
import functools
import gzip
import hashlib
import http.server
import json
import os
import shutil
import subprocess
import urllib.parse
from pathlib import Path
from typing import ClassVar

from ..core import log
from ..core.errors import HarnessError
from ..core.project import DEMO_PAGE as PAGE
from ..core.stamps import Stamp
from ..host import deps
from ..series.profiles import EmscriptenProfile, ModuleKind, StdlibDelivery
from . import webstdlib

PAGE_FILES = ("index.html", "demo.css")
# Where index.html names python.wasm, which it begins compiling before anything else loads: the assembly adds the
# file's content hash (`?v=`), as worker.js asks for the page's files.
PYTHON_WASM_ADDRESS = 'data-python-wasm="python.wasm"'
# The page's scripts, as written: its modules, each importing only those listed before it (its state, the status
# line, share links, isolation, PyREPL's pty, the interpreter (loading, progress, stdin), the basic console's line
# editor, the terminal), main.js, which starts them, the interpreter's worker and the service worker.
PAGE_SCRIPTS = (
    "page/state.js",
    "page/status.js",
    "page/share.js",
    "page/isolate.js",
    "page/pty.js",
    "page/interpreter.js",
    "page/editor.js",
    "page/terminal.js",
    "main.js",
    "worker.js",
    "isolation.js",
)
# As the browser gets them (bundle_scripts): main.js with the modules it imports in one file, and what only one
# REPL needs (the basic console's editor, PyREPL's pty) in chunks fetched when that REPL starts; the two workers
# on their own (a classic worker script, and a service worker). Minified, with source maps back to wasm/demo/.
ENTRY_MODULE = "main.js"
CHUNKS = "chunks"
WORKER_SCRIPTS = ("worker.js", "isolation.js")
# The page's REPL loops, which worker.js runs (its basic console, and PyREPL on a pty where the series has it),
# and the finder they install first (which fetches stdlib modules beyond the core where the page has them): in
# the stdlib's directory (on sys.path), as bytecode (compiled
# from source in the browser, the console made the first prompt 0.12 s later).
CONSOLE = ("pipe_console.py", "pipe_stdlib.py", "pipe_pyrepl.py")
# The terminal library's files, joined in this order into one file each: one request instead of three.
VENDOR_FILES = {
    "terminal.js": (
        "@xterm/xterm/lib/xterm.js",
        "@xterm/addon-fit/lib/addon-fit.js",
        "@xterm/addon-unicode11/lib/addon-unicode11.js",
    ),
    "xterm.css": ("@xterm/xterm/css/xterm.css",),
}
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}
CONTENT_TYPES = {
    ".wasm": "application/wasm",
    ".js": "text/javascript",
    ".mjs": "text/javascript",
    ".css": "text/css",
    ".html": "text/html; charset=utf-8",
    ".data": "application/octet-stream",
    ".json": "application/json",
    ".py": "text/x-python; charset=utf-8",
    ".pyc": "application/octet-stream",
    ".so": "application/octet-stream",  # side modules (WebAssembly), which the interpreter reads from its files
    ".zip": "application/zip",
    ".whl": "application/zip",
    ".bin": "application/octet-stream",
    ".marshal": "application/octet-stream",
}
# Every file of the page, with its type, its size, a hash of its content and, for each codec that saves at least
# MIN_SAVING of it, the size of the precompressed copy beside it (name + the codec's suffix). The dev server sends
# the best copy the browser takes; on a host that does not compress, isolation.js fetches the gzip copies and
# decompresses them in the browser, and keeps what the page fetched for offline visits in a cache named for this
# file; worker.js reads the sizes for its progress bar.
ASSETS = "assets.json"
# How worker.js starts this page's build (interpreter_settings).
INTERPRETER = "interpreter.json"
MIN_SAVING = 0.10
# Brotli's best quality takes seconds a megabyte: larger files are announced (the first build of a page).
BROTLI_STEP_BYTES = 1_000_000


@dataclasses.dataclass(frozen=True)
class Codec:
    """A compression of the page's copies: its name in Content-Encoding, Accept-Encoding and ASSETS; its suffix."""

    name: str
    suffix: str


GZIP = Codec("gzip", ".gz")
BROTLI = Codec("br", ".br")
# Best first, as the dev server chooses. Browsers decode brotli themselves where they take it (Chromium on https
# and on loopback), but DecompressionStream has no brotli (Chromium 156), so isolation.js uses the gzip copies.
CODECS = (BROTLI, GZIP)


def install_npm_packages(directory: Path, what: str) -> Path:
    """The packages pinned in `directory`'s package-lock.json, installed with `npm ci` when missing or stale."""
    modules = directory / "node_modules"
    # The lock's content, not its time: `npm install --package-lock-only` rewrites node_modules' own copy too.
    stamp = Stamp(modules / ".pipe-cpython.json")
    wanted = {"package-lock.json": hashlib.sha256((directory / "package-lock.json").read_bytes()).hexdigest()}
    if stamp.matches(wanted):
        return modules
    deps.ensure_groups(["node"])
    with log.step(f"installing {what} from the npm registry (npm ci)"):
        result = subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=directory, capture_output=True, text=True
        )
    if result.returncode != 0:
        raise HarnessError(f"npm ci failed:\n{result.stderr.strip()}", hint="check the network and npm's settings")
    stamp.write(wanted)
    return modules


def bundle_scripts(modules: Path, output: Path) -> None:
    """Write the page's scripts into `output` as the browser gets them (ENTRY_MODULE, WORKER_SCRIPTS), with esbuild."""
    esbuild = modules / ".bin" / "esbuild"
    # esbuild runs in the page's directory: a relative `output` would land there.
    output = output.resolve()
    common = ["--minify", "--sourcemap", "--target=es2020", "--log-level=warning"]
    chunks = f"--chunk-names={CHUNKS}/[name]-[hash]"
    runs = [
        [ENTRY_MODULE, "--bundle", "--format=esm", "--splitting", f"--outdir={output}", chunks],
        *([name, f"--outfile={output / name}"] for name in WORKER_SCRIPTS),
    ]
    with log.step("bundling the page's scripts (esbuild)"):
        for args in runs:
            result = subprocess.run([str(esbuild), *args, *common], cwd=PAGE, capture_output=True, text=True)
            if result.returncode != 0:
                raise HarnessError(
                    f"esbuild failed on {args[0]}:\n{result.stderr.strip()}", hint=f"fix {PAGE / args[0]}"
                )


def interpreter_files(series: EmscriptenProfile) -> tuple[str, ...]:
    """What the page loads of the browser build: the entry point, the wasm, and python.data where the build
    preloads its stdlib (else the page writes its own copy of the build's zip: webstdlib.place)."""
    preloaded = ("python.data",) if series.stdlib is StdlibDelivery.PRELOADED else ()
    return (series.entry_point, "python.wasm", *preloaded)


def interpreter_settings(series: EmscriptenProfile, placement: webstdlib.Placement | None) -> dict:
    """What worker.js reads (INTERPRETER) to start the build: how to load its entry point, and which of the
    page's files to write where in its file system first."""
    return {
        "entry": series.entry_point,
        "module": series.module_kind is ModuleKind.ES_MODULE,
        "files": placement.files if placement else {},
        "directories": list(placement.directories) if placement else [],
        # The REPL the page runs where it can (shared memory, and no ?repl=basic): "pyrepl" or "basic".
        "repl": "pyrepl" if series.pyrepl else "basic",
    }


def assemble(
    browser_build: Path,
    output: Path,
    series: EmscriptenProfile,
    lib: Path,
    native_python: Path,
    form: webstdlib.Form = webstdlib.Form.BYTECODE,
    wheels: tuple[Path, ...] = (),
    compressed: Path | None = None,
    stdlib_at_start: bool = False,
) -> Path:
    """Copy the page (its scripts bundled), its terminal library and the browser build into `output`, with the
    stdlib image made from `lib` in `form`, compiled where needed by the native build of the same tree, and
    `wheels` in wheels/ for the console to install (worker.js finds them in ASSETS); brotli's copies are kept in
    `compressed`. A page that writes the stdlib's zip itself puts only its core there, and fetches the rest on
    import, unless `stdlib_at_start`."""
    files = interpreter_files(series)
    missing = [name for name in files if not (browser_build / name).exists()]
    if missing:
        raise HarnessError(
            f"the browser build in {browser_build} lacks {', '.join(missing)}",
            hint="build it: nox -s build-wasm (or python -m pipe_cpython build-wasm --target browser)",
        )
    modules = install_npm_packages(PAGE, "xterm.js, its pty and esbuild")
    deps.ensure_groups(["page"])
    staging = output.with_name(output.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "vendor").mkdir(parents=True)
    for name in PAGE_FILES:
        shutil.copy2(PAGE / name, staging / name)
    name_wasm_by_hash(staging / "index.html", browser_build / "python.wasm")
    bundle_scripts(modules, staging)
    for name, sources in VENDOR_FILES.items():
        # Each is a whole script (UMD) or stylesheet; a newline keeps a last line comment from swallowing the next.
        (staging / "vendor" / name).write_bytes(b"\n".join((modules / source).read_bytes() for source in sources))
    for name in files:
        if name != "python.data":  # repacked below
            shutil.copy2(browser_build / name, staging / name)
    image = webstdlib.Image(lib, native_python, form)
    writes_zip = series.stdlib is StdlibDelivery.ZIP
    lazy = writes_zip and not stdlib_at_start
    # What the console imports to reach its prompt and answer a Tab: the core of a page that fetches the rest
    # on import, and what stays bytecode in a page of sources.
    hot = (
        frozenset(webstdlib.hot_sources(native_python, PAGE, series.pyrepl))
        if lazy or form is webstdlib.Form.SOURCES
        else None
    )
    if form is webstdlib.Form.SOURCES:
        image = dataclasses.replace(image, hot=hot)
        log.detail(f"the stdlib bundle keeps {len(hot)} modules as bytecode: {' '.join(sorted(hot))}")
    console = {Path(name).with_suffix(".pyc").name: webstdlib.bytecode(native_python, PAGE / name) for name in CONSOLE}
    if writes_zip:
        left_out, placement = webstdlib.place(browser_build, staging, image, console, hot if lazy else None)
        if lazy:
            log.detail(f"the page's stdlib core: {len(hot)} modules: {' '.join(sorted(hot))}")
    else:
        left_out = webstdlib.repack(browser_build, series.entry_point, staging, image, console)
        placement = None
    (staging / INTERPRETER).write_text(json.dumps(interpreter_settings(series, placement), indent=1) + "\n")
    log.detail(f"the stdlib bundle leaves out {len(left_out)} more modules: {' '.join(left_out)}")
    if wheels:
        (staging / "wheels").mkdir()
        for wheel in wheels:
            shutil.copy2(wheel, staging / "wheels" / wheel.name)
    # Static hosts that read a _headers file (Netlify, Cloudflare Pages) get the isolation headers from it.
    headers = "".join(f"  {key}: {value}\n" for key, value in ISOLATION_HEADERS.items())
    (staging / "_headers").write_text(f"/*\n{headers}")
    check_listed(placement.files if placement else {}, precompress(staging, compressed))
    shutil.rmtree(output, ignore_errors=True)
    staging.rename(output)
    return output


def name_wasm_by_hash(index: Path, wasm: Path) -> None:
    """Give python.wasm's address in `index` (at PYTHON_WASM_ADDRESS) the content hash of `wasm`."""
    page = index.read_text()
    if PYTHON_WASM_ADDRESS not in page:
        raise HarnessError(
            f"{index.name} does not name python.wasm as {PYTHON_WASM_ADDRESS}", hint=f"fix {PAGE / index.name}"
        )
    hashed = PYTHON_WASM_ADDRESS.replace('.wasm"', f'.wasm?v={content_hash(wasm.read_bytes())}"')
    index.write_text(page.replace(PYTHON_WASM_ADDRESS, hashed))


def content_hash(data: bytes) -> str:
    """The hash ASSETS gives a file, which the page's addresses carry (`?v=`)."""
    return hashlib.sha256(data).hexdigest()[:16]


def check_listed(placed: dict[str, str], assets: dict[str, dict]) -> None:
    """Refuse a page whose worker would write a file that ASSETS does not list (it lists known types only): the
    worker fetches those by the hash ASSETS gives."""
    if unlisted := [name for name in placed if name not in assets]:
        raise HarnessError(
            f"the page has files of no known type: {', '.join(unlisted)}",
            hint="add their suffix to CONTENT_TYPES in pipe_cpython/web/demo.py",
        )


def precompress(site: Path, memo: Path | None = None) -> dict[str, dict[str, int | str]]:
    """Write each codec's copy beside each file of `site` that it shrinks enough, and the ASSETS manifest of their
    sizes; brotli's copies are kept in `memo` by content hash (its best quality takes seconds a megabyte)."""
    assets = {}
    for path in sorted(site.rglob("*")):
        if not path.is_file() or path.suffix not in CONTENT_TYPES:
            continue
        data = path.read_bytes()
        # The content's hash makes assets.json, and the service worker's cache named for it, one build's own.
        entry = {
            "bytes": len(data),
            "type": CONTENT_TYPES[path.suffix],
            "sha256": content_hash(data),
        }
        for codec in CODECS:
            packed = compress(codec, data, memo, path.name)
            if len(packed) <= len(data) * (1 - MIN_SAVING):
                path.with_name(path.name + codec.suffix).write_bytes(packed)
                entry[codec.name] = len(packed)
        assets[path.relative_to(site).as_posix()] = entry
    listing = (json.dumps(assets, indent=1, sort_keys=True) + "\n").encode()
    (site / ASSETS).write_bytes(listing)
    # Its own gzip copy, for the dev server (it lists the page's files, not itself).
    (site / (ASSETS + GZIP.suffix)).write_bytes(compress(GZIP, listing))
    return assets


def compress(codec: Codec, data: bytes, memo: Path | None = None, what: str = "") -> bytes:
    """`data` (`what`, for the log) at the codec's best level: gzip's by Python (mtime=0: the same page compresses
    to the same bytes), brotli's by Debian's `brotli` (deps group `page`), found in `memo` when it compressed the
    same bytes before."""
    if codec is GZIP:
        return gzip.compress(data, compresslevel=9, mtime=0)
    kept = memo / f"{hashlib.sha256(data).hexdigest()}{codec.suffix}" if memo else None
    if kept and kept.is_file():
        return kept.read_bytes()
    if shutil.which("brotli") is None:
        hint = "python -m pipe_cpython install-deps --groups page"
        raise HarnessError("the page's brotli copies need Debian's brotli", hint=hint)
    announced = (
        log.step(f"compressing {what or 'a file'} ({len(data) / 1e6:.1f} MB) with brotli at quality 11")
        if len(data) >= BROTLI_STEP_BYTES
        else contextlib.nullcontext()
    )
    with announced:
        packed = subprocess.run(
            ["brotli", "--quality=11", "--stdout"], input=data, capture_output=True, check=True
        ).stdout
    if kept:
        kept.parent.mkdir(parents=True, exist_ok=True)
        # Written whole or not at all: two assemblies may compress the same file at once.
        partial = kept.with_name(f"{kept.name}.{os.getpid()}")
        partial.write_bytes(packed)
        partial.replace(kept)
    return packed


def accepts(codec: Codec, accept_encoding: str) -> bool:
    """Whether an Accept-Encoding header takes the codec (a q=0 refuses it)."""
    for part in accept_encoding.split(","):
        coding, _, params = part.strip().partition(";")
        if coding.strip().lower() in (codec.name, "*"):
            return params.replace(" ", "").lower() not in ("q=0", "q=0.0", "q=0.00", "q=0.000")
    return False


class DemoHandler(http.server.SimpleHTTPRequestHandler):
    """Serves one directory's files with the isolation headers; no listings, nothing outside it."""

    extensions_map: ClassVar[dict[str, str]] = {**http.server.SimpleHTTPRequestHandler.extensions_map, **CONTENT_TYPES}

    def end_headers(self) -> None:
        for key, value in ISOLATION_HEADERS.items():
            self.send_header(key, value)
        # A chunk's name holds its content's hash, and the worker asks for the build's files with theirs
        # (`?v=`, from ASSETS): a warm visit need not even ask whether they changed.
        address = urllib.parse.urlsplit(self.path)
        # (A page may be served from a folder of the root, as bench-demo serves two.)
        immutable = f"/{CHUNKS}/" in address.path or "v" in urllib.parse.parse_qs(address.query)
        self.send_header("Cache-Control", "max-age=31536000, immutable" if immutable else "no-cache")
        super().end_headers()

    def send_head(self):
        path = Path(self.translate_path(self.path))
        root = Path(self.directory).resolve()
        if path.is_dir():
            path = path / "index.html"
        try:
            inside = path.resolve().is_relative_to(root)
        except OSError:
            inside = False
        if not inside or not path.is_file():
            self.send_error(404, "Not found")
            return None
        taken = self.headers.get("Accept-Encoding", "")
        if path.suffix not in {codec.suffix for codec in CODECS}:
            for codec in CODECS:
                packed = path.with_name(path.name + codec.suffix)
                if packed.is_file() and accepts(codec, taken):
                    return self.send_precompressed(path, packed, codec)
        return super().send_head()

    def send_precompressed(self, path: Path, packed: Path, codec: Codec):
        modified = int(path.stat().st_mtime)
        if self.unchanged_since(modified):
            self.send_response(304)
            self.send_header("Vary", "Accept-Encoding")
            self.end_headers()
            return None
        stream = packed.open("rb")
        self.send_response(200)
        self.send_header("Content-Type", self.guess_type(str(path)))
        self.send_header("Content-Encoding", codec.name)
        self.send_header("Content-Length", str(packed.stat().st_size))
        self.send_header("Last-Modified", email.utils.formatdate(modified, usegmt=True))
        self.send_header("Vary", "Accept-Encoding")
        self.end_headers()
        return stream

    def unchanged_since(self, modified: int) -> bool:
        """Whether the request's If-Modified-Since covers `modified` (a revalidation the browser's cache can answer)."""
        since = self.headers.get("If-Modified-Since")
        if not since or self.headers.get("If-None-Match"):
            return False
        try:
            return email.utils.parsedate_to_datetime(since).timestamp() >= modified
        except (TypeError, ValueError, IndexError, OverflowError):
            return False

    def list_directory(self, path):
        self.send_error(404, "Not found")
        return None

    def log_message(self, format: str, *args) -> None:
        log.detail(f"{self.address_string()} {format % args}")


def server(
    directory: Path, host: str = "127.0.0.1", port: int = 8000, handler: type[DemoHandler] = DemoHandler
) -> http.server.ThreadingHTTPServer:
    return http.server.ThreadingHTTPServer((host, port), functools.partial(handler, directory=str(directory)))
