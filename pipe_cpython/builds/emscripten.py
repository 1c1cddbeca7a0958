"""The Emscripten toolchain: the user's emsdk, or Debian's emscripten inside a Debian chroot.

Chosen in that order and reported in one line. The chroot is made once with
debootstrap (as root), cached under ``<cache>/toolchains/debian-<suite>/``,
checked for health before use and rebuilt when broken. Commands run in it
through ``unshare --mount``, so its bind mounts (the cache and the project, at
the same paths as outside) disappear with the command, even if it is killed.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

from ..core import log
from ..core.errors import HarnessError
from ..host.debianroot import DebianRoot, RootSpec
from ..series.profiles import EmscriptenProfile, format_emscripten
from .toolchain import Toolchain

# Which suite builds a series is its profile's (EmscriptenProfile.debian_suite).
# autoconf, automake and libtool make libffi's configure: Debian's orig tarball has none.
CHROOT_PACKAGES = (
    "emscripten", "nodejs", "python3", "build-essential", "make", "pkg-config", "git", "patch", "xz-utils",
    "ca-certificates", "tcl", "zlib1g-dev", "file", "autoconf", "automake", "libtool", "libltdl-dev",
)  # fmt: skip


def parse_emcc_version(text: str) -> tuple[int, int, int] | None:
    match = re.search(r"emcc \(Emscripten[^)]*\) (\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(n) for n in match.groups()) if match else None


def find(
    series: str, needs: EmscriptenProfile, toolchains_dir: Path, binds: list[Path], suite: str | None = None
) -> Toolchain:
    """The user's emsdk if it can build the series, else the Debian chroot of `suite` (the profile's unless
    given), created on first use."""
    suite = suite or needs.debian_suite
    emsdk = _emsdk_toolchain()
    if emsdk and not (refusal := needs.refusal(emsdk.version)):
        return _chosen(emsdk, needs)
    if emsdk:
        log.info(
            f"emsdk's Emscripten {format_emscripten(emsdk.version)} cannot build CPython {series} ({refusal}); "
            "using a Debian chroot instead"
        )
    toolchain = chroot_toolchain(debian_root(toolchains_dir, suite, needs.debian_packages), binds)
    if refusal := needs.refusal(toolchain.version):
        raise HarnessError(
            f"Debian {suite}'s {toolchain.describe()} cannot build CPython {series}: {refusal}",
            hint="pick a newer suite (--emscripten-suite sid) or install emsdk",
        )
    return _chosen(toolchain, needs)


def _chosen(toolchain: Toolchain, needs: EmscriptenProfile) -> Toolchain:
    log.info(f"toolchain: {toolchain.describe()}")
    if needs.pinned and toolchain.version != needs.pinned:
        log.warn(f"the CPython tree pins Emscripten {format_emscripten(needs.pinned)}; building with another")
    return toolchain


def _emsdk_toolchain() -> Toolchain | None:
    emcc = shutil.which("emcc")
    if emcc is None and os.environ.get("EMSDK"):
        candidate = Path(os.environ["EMSDK"]) / "upstream" / "emscripten" / "emcc"
        emcc = str(candidate) if candidate.exists() else None
    if emcc is None:
        return None
    result = subprocess.run([emcc, "--version"], capture_output=True, text=True)
    version = parse_emcc_version(result.stdout)
    return Toolchain("Emscripten", "emsdk", version) if version else None


def debian_root(toolchains_dir: Path, suite: str, packages: tuple[str, ...] = ()) -> DebianRoot:
    return DebianRoot(toolchains_dir / f"debian-{suite}" / "rootfs", RootSpec(suite, (*CHROOT_PACKAGES, *packages)))


def chroot_toolchain(root: DebianRoot, binds: list[Path]) -> Toolchain:
    """Debian's emscripten in `root` (made on first use), health-checked: emcc and node must run."""

    def describe(staging: DebianRoot) -> dict:
        version = parse_emcc_version(staging.output(["emcc", "--version"]).stdout)
        if version is None:
            raise HarnessError(f"emcc does not run in the new root {staging.rootfs}", hint="see its apt-install.log")
        return {"emcc": version}

    record = root.ensure([["emcc", "--version"], ["node", "--version"]], describe)
    return Toolchain("Emscripten", "debian-chroot", tuple(record["emcc"]), root, binds)
