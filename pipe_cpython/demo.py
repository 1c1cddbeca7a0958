"""The browser demo: assemble the page around the browser build, and serve it.

The page needs SharedArrayBuffer (stdin and Ctrl-C cross between the page and
the interpreter's worker through it), so it must be cross-origin isolated:
`Cross-Origin-Opener-Policy: same-origin` and
`Cross-Origin-Embedder-Policy: require-corp`. The dev server sends them; on a
host that does not, the page's service worker (isolation.js) adds them to the
page's own files, at the cost of one reload on the first visit.
"""

from __future__ import annotations

import functools
import http.server
import shutil
import subprocess
from pathlib import Path
from typing import ClassVar

from . import deps, log
from .errors import HarnessError
from .profiles import EmscriptenProfile, ModuleKind
from .project import DEMO_PAGE as PAGE

PAGE_FILES = ("index.html", "main.js", "worker.js", "demo.css", "isolation.js")
VENDOR_FILES = {
    "xterm.js": "@xterm/xterm/lib/xterm.js",
    "xterm.css": "@xterm/xterm/css/xterm.css",
    "addon-fit.js": "@xterm/addon-fit/lib/addon-fit.js",
    "addon-unicode11.js": "@xterm/addon-unicode11/lib/addon-unicode11.js",
}
ISOLATION_HEADERS = {
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Embedder-Policy": "require-corp",
    "Cross-Origin-Resource-Policy": "same-origin",
}
CONTENT_TYPES = {
    ".wasm": "application/wasm",
    ".js": "text/javascript",
    ".css": "text/css",
    ".html": "text/html; charset=utf-8",
    ".data": "application/octet-stream",
    ".json": "application/json",
}


def install_terminal_library(page: Path = PAGE) -> Path:
    """xterm.js at the version pinned in package-lock.json, installed with `npm ci` when missing or stale."""
    modules = page / "node_modules"
    stamp = modules / ".package-lock.json"
    lock = page / "package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return modules
    deps.ensure_groups(["node"])
    with log.step("installing xterm.js from the npm registry (npm ci)"):
        result = subprocess.run(
            ["npm", "ci", "--ignore-scripts", "--no-audit", "--no-fund"], cwd=page, capture_output=True, text=True
        )
    if result.returncode != 0:
        raise HarnessError(f"npm ci failed:\n{result.stderr.strip()}", hint="check the network and npm's settings")
    return modules


def interpreter_files(series: EmscriptenProfile) -> tuple[str, ...]:
    """What the page loads of the browser build: the entry point, the wasm, the stdlib's file system image."""
    if series.module_kind is not ModuleKind.CLASSIC:
        # worker.js loads the factory with importScripts; an ES-module build needs import() there.
        raise HarnessError(
            f"this series' browser build is an ES module ({series.entry_point}); the page loads classic scripts only",
            hint="teach wasm/demo/worker.js to import() the entry point for module builds",
        )
    return (series.entry_point, "python.wasm", "python.data")


def assemble(browser_build: Path, output: Path, series: EmscriptenProfile) -> Path:
    """Copy the page, its terminal library and the browser build into `output`, ready to serve."""
    files = interpreter_files(series)
    missing = [name for name in files if not (browser_build / name).exists()]
    if missing:
        raise HarnessError(
            f"the browser build in {browser_build} lacks {', '.join(missing)}",
            hint="build it: nox -s build-wasm (or python -m pipe_cpython build-wasm --target browser)",
        )
    modules = install_terminal_library()
    staging = output.with_name(output.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "vendor").mkdir(parents=True)
    for name in PAGE_FILES:
        shutil.copy2(PAGE / name, staging / name)
    for name, source in VENDOR_FILES.items():
        shutil.copy2(modules / source, staging / "vendor" / name)
    for name in files:
        shutil.copy2(browser_build / name, staging / name)
    # Static hosts that read a _headers file (Netlify, Cloudflare Pages) get the isolation headers from it.
    headers = "".join(f"  {key}: {value}\n" for key, value in ISOLATION_HEADERS.items())
    (staging / "_headers").write_text(f"/*\n{headers}")
    shutil.rmtree(output, ignore_errors=True)
    staging.rename(output)
    return output


class DemoHandler(http.server.SimpleHTTPRequestHandler):
    """Serves one directory's files with the isolation headers; no listings, nothing outside it."""

    extensions_map: ClassVar[dict[str, str]] = {**http.server.SimpleHTTPRequestHandler.extensions_map, **CONTENT_TYPES}

    def end_headers(self) -> None:
        for key, value in ISOLATION_HEADERS.items():
            self.send_header(key, value)
        self.send_header("Cache-Control", "no-cache")
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
        return super().send_head()

    def list_directory(self, path):
        self.send_error(404, "Not found")
        return None

    def log_message(self, format: str, *args) -> None:
        log.detail(f"{self.address_string()} {format % args}")


def server(directory: Path, host: str = "127.0.0.1", port: int = 8000) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(DemoHandler, directory=str(directory))
    return http.server.ThreadingHTTPServer((host, port), handler)
