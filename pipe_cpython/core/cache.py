"""The cache directory: one place for sources, build trees and toolchains.

Every path in the cache is named here, and only here. Layout::

    downloads/                     verified tarballs, plus sources.json (origin + sha256)
    apt/                           private apt state for Debian source packages
    src/cpython-X.Y.Z/             the fork's git work tree (upstream tag + `pipe` branch)
    src/cpython-X.Y.Z-pristine/    a git worktree of the same tag, without the patches
    build/cpython-X.Y.Z/<target>[-pristine]/   out-of-tree build directories, one per target and flavour
    build/cpython-X.Y.Z/demo/      the assembled browser page
    build/cpython-X.Y.Z/fuzz/      the fuzzer's reports
    build/cpython-X.Y.Z/full-suite/{patched,pristine}/   regrtest-full's logs and JUnit reports
    build/wasm-deps-emscripten-V/  libraries for WebAssembly, shared by every release built with Emscripten V
    compressed/                    brotli copies of the page's files, named by their content's hash
    toolchains/debian-SUITE/       the Debian root Emscripten runs in
    toolchains/wasi-SUITE/         the Debian root Debian's clang builds WASI in
    roots/                         Debian roots the tests make
    realworld/                     the pinned PyPI wheels `realworld` compiles
    tools/                         the pinned nox (./nox), wasmtime's PyPI package
    venvs/cpython-X.Y.Z[-pristine]/   `venv`'s virtual environments
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from . import log
from .errors import HarnessError
from .versions import Version

CACHE_ENV = "PIPE_CPYTHON_CACHE"


def default_root() -> Path:
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser().resolve()
    xdg = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(xdg) / "pipe-cpython"


@dataclass(frozen=True)
class Cache:
    root: Path

    @property
    def downloads(self) -> Path:
        return self.root / "downloads"

    @property
    def apt(self) -> Path:
        return self.root / "apt"

    def work_tree(self, version: Version) -> Path:
        return self.root / "src" / f"cpython-{version}"

    def pristine_tree(self, version: Version) -> Path:
        return self.root / "src" / flavoured(f"cpython-{version}", pristine=True)

    def release_builds(self, version: Version) -> Path:
        return self.root / "build" / f"cpython-{version}"

    def build_dir(self, version: Version, target: str, pristine: bool = False) -> Path:
        return self.release_builds(version) / flavoured(target, pristine)

    def demo_dir(self, version: Version) -> Path:
        return self.release_builds(version) / "demo"

    def fuzz_reports(self, version: Version) -> Path:
        return self.release_builds(version) / "fuzz"

    def libfuzzer(self, version: Version, pristine: bool) -> Path:
        """fuzz-compiler's seeds, dictionary, growing corpus and findings."""
        return self.fuzz_reports(version) / flavoured("libfuzzer", pristine)

    def full_suite_reports(self, version: Version, pristine: bool) -> Path:
        return self.release_builds(version) / "full-suite" / ("pristine" if pristine else "patched")

    @property
    def realworld(self) -> Path:
        return self.root / "realworld"

    def wasm_deps(self, emscripten: str) -> Path:
        return self.root / "build" / f"wasm-deps-emscripten-{emscripten}"

    @property
    def compressed(self) -> Path:
        return self.root / "compressed"

    @property
    def toolchains(self) -> Path:
        return self.root / "toolchains"

    @property
    def roots(self) -> Path:
        return self.root / "roots"

    @property
    def tools(self) -> Path:
        return self.root / "tools"

    def venv(self, version: Version, pristine: bool = False, target: str = "") -> Path:
        """A virtual environment of the release's native build, or of its `target` build (wasm-node-dynamic)."""
        return self.root / "venvs" / flavoured(f"cpython-{version}" + (f"-{target}" if target else ""), pristine)

    def wheels(self, version: Version) -> Path:
        """Where wheels for the release's WebAssembly builds are made: the cross-build environment, sources, dist/."""
        return self.root / "wheels" / f"cpython-{version}"

    def cached_versions(self) -> list[Version]:
        """Releases that already have a complete work tree here."""
        found = []
        for path in (self.root / "src").glob("cpython-*"):
            version = Version.parse(path.name.removeprefix("cpython-"))
            if version and (path / ".git").is_dir():
                found.append(version)
        return found

    def prepare(self) -> None:
        """Create the cache root, failing clearly when it is not writable or the disk is full."""
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=self.root, prefix=".probe-") as probe:
                probe.write(b"x" * 4096)
                probe.flush()
        except OSError as exc:
            raise cache_error(self.root, exc) from exc


def flavoured(name: str, pristine: bool) -> str:
    """How the cache names the pristine twin of anything: beside it, with -pristine."""
    return f"{name}-pristine" if pristine else name


def cache_error(root: Path, exc: OSError) -> HarnessError:
    if exc.errno == errno.ENOSPC:
        return HarnessError(
            f"no space left on the device holding the cache {root}",
            hint=f"free some space, or point {CACHE_ENV} at a larger disk",
        )
    if exc.errno in (errno.EROFS, errno.EACCES, errno.EPERM):
        return HarnessError(
            f"the cache {root} is not writable ({exc.strerror})",
            hint=f"fix its permissions, or point {CACHE_ENV} at a writable directory",
        )
    return HarnessError(f"cannot use the cache {root}: {exc}")


@contextlib.contextmanager
def locked(cache: Cache) -> Iterator[None]:
    """Hold the cache's lock so that two harness runs never write the same tree at once."""
    cache.prepare()
    path = cache.root / ".lock"
    with open(path, "a+") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            log.info(f"waiting for the cache lock held by {holder} ...")
            fcntl.flock(handle, fcntl.LOCK_EX)
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        try:
            yield
        finally:
            handle.truncate(0)
            fcntl.flock(handle, fcntl.LOCK_UN)
