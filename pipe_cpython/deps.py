"""Debian packages the native build needs, and which optional modules each one brings."""

from __future__ import annotations

import os
import shutil
import subprocess

from . import log
from .errors import HarnessError

TOOLS = ("build-essential", "pkg-config", "git", "xz-utils", "ca-certificates")

# CPython module (as in configure's MODULE_*_STATE) -> Debian package with its headers.
MODULE_PACKAGES = {
    "readline": "libreadline-dev",
    "_sqlite3": "libsqlite3-dev",
    "_ssl": "libssl-dev",
    "_hashlib": "libssl-dev",
    "zlib": "zlib1g-dev",
    "_bz2": "libbz2-dev",
    "_lzma": "liblzma-dev",
    "_ctypes": "libffi-dev",
    "_curses": "libncurses-dev",
    "_curses_panel": "libncurses-dev",
    "_uuid": "uuid-dev",
    "_gdbm": "libgdbm-dev",
    "_dbm": "libgdbm-compat-dev",
}


# Beyond the native build: the Emscripten chroot, and the browser that tests the demo page.
EXTRA_GROUPS = {
    "wasm": ("debootstrap",),
    "browser": ("chromium", "fonts-dejavu-core"),
}
GROUPS = ("native", *EXTRA_GROUPS)


def packages(groups: list[str]) -> list[str]:
    """The Debian packages for the given groups (native, wasm, browser)."""
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise HarnessError(f"unknown package group(s): {', '.join(sorted(unknown))}", hint=f"use {', '.join(GROUPS)}")
    wanted = set()
    for group in groups:
        wanted |= set(TOOLS) | set(MODULE_PACKAGES.values()) if group == "native" else set(EXTRA_GROUPS[group])
    return sorted(wanted)


def install(packages: list[str]) -> None:
    """Install Debian packages with apt-get (needs root)."""
    if shutil.which("apt-get") is None:
        raise HarnessError("apt-get not found: install these with your system's package manager: " + " ".join(packages))
    if os.geteuid() != 0:
        raise HarnessError(
            "installing system packages needs root", hint="run: sudo apt-get install " + " ".join(packages)
        )
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    with log.step(f"installing {len(packages)} Debian packages"):
        subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *packages], check=True, env=env)
