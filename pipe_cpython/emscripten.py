"""The Emscripten toolchain: the user's emsdk, or Debian's emscripten inside a Debian chroot.

Chosen in that order and reported in one line. The chroot is made once with
debootstrap (as root), cached under ``<cache>/toolchains/debian-<suite>/``,
checked for health before use and rebuilt when broken. Commands run in it
through ``unshare --mount``, so its bind mounts (the cache and the project, at
the same paths as outside) disappear with the command, even if it is killed.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from . import log
from .errors import HarnessError
from .process import run_logged

# The oldest Emscripten each CPython series builds with (its Tools/wasm README).
MINIMUM_VERSION = {"3.11": (3, 1, 14), "3.13": (3, 1, 19)}
# Debian 12's emscripten (3.1.6) is too old; trixie's 3.1.69 builds 3.11 and 3.13.
DEFAULT_SUITE = "trixie"
CHROOT_PACKAGES = (
    "emscripten", "nodejs", "python3", "build-essential", "make", "pkg-config", "git", "patch", "xz-utils",
    "ca-certificates", "tcl", "zlib1g-dev", "file",
)  # fmt: skip
CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_READY = "pipe-cpython-ready.json"


def parse_emcc_version(text: str) -> tuple[int, int, int] | None:
    match = re.search(r"emcc \(Emscripten[^)]*\) (\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(n) for n in match.groups()) if match else None


def format_version(version: tuple[int, ...]) -> str:
    return ".".join(map(str, version))


@dataclass
class Toolchain:
    """Where emcc, emconfigure, emmake and node run."""

    kind: str
    version: tuple[int, int, int]
    rootfs: Path | None = None
    binds: list[Path] = field(default_factory=list)

    def describe(self) -> str:
        where = f"Debian chroot {self.rootfs}" if self.rootfs else "emsdk on PATH"
        return f"Emscripten {format_version(self.version)} ({self.kind}: {where})"

    def command(self, argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> list[str]:
        """`argv` as a command line that runs it in the toolchain's environment."""
        if self.rootfs is None:
            assignments = [f"{k}={v}" for k, v in (env or {}).items()]
            return ["env", "-C", str(cwd), *assignments, *argv]
        return chroot_command(self.rootfs, self.binds, argv, cwd, env or {})

    def run(self, argv: list[str], cwd: Path, log_file: Path, what: str, env: dict[str, str] | None = None) -> None:
        run_logged(self.command(argv, cwd, env), cwd, log_file, what)

    def output(self, argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(argv, cwd, env), capture_output=True, text=True)


def chroot_command(rootfs: Path, binds: list[Path], argv: list[str], cwd: Path, env: dict[str, str]) -> list[str]:
    """A command line that enters `rootfs` with /proc, /dev and `binds` mounted in a private namespace."""
    script = [
        "set -e",
        f'mount -t proc proc "{rootfs}/proc"',
        f'mount --rbind /sys "{rootfs}/sys"',
        f'mount --rbind /dev "{rootfs}/dev"',
    ]
    for path in binds:
        script += [f'mkdir -p "{rootfs}{path}"', f'mount --bind "{path}" "{rootfs}{path}"']
    # Everything after the script goes to env as arguments: no value is ever parsed by a shell.
    script.append(f'exec chroot "{rootfs}" /usr/bin/env -i HOME=/root PATH={CHROOT_PATH} LANG=C.UTF-8 "$@"')
    assignments = [f"{key}={value}" for key, value in env.items()]
    enter_cwd = ["sh", "-c", 'cd "$0" && exec "$@"', str(cwd)]
    return [
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        "\n".join(script),
        "sh",
        *assignments,
        *enter_cwd,
        *argv,
    ]


def find(series: str, toolchains_dir: Path, binds: list[Path], suite: str = DEFAULT_SUITE) -> Toolchain:
    """The user's emsdk if it is usable, else the Debian chroot (created on first use)."""
    minimum = MINIMUM_VERSION.get(series, (3, 1, 19))
    emsdk = _emsdk_toolchain()
    if emsdk and emsdk.version >= minimum:
        log.info(f"toolchain: {emsdk.describe()}")
        return emsdk
    if emsdk:
        log.info(
            f"emsdk's Emscripten {format_version(emsdk.version)} is older than the {format_version(minimum)} "
            f"CPython {series} needs; using a Debian chroot instead"
        )
    chroot = DebianChroot(toolchains_dir / f"debian-{suite}", suite)
    toolchain = chroot.ensure(binds)
    if toolchain.version < minimum:
        raise HarnessError(
            f"Debian {suite}'s {toolchain.describe()} is older than the {format_version(minimum)} "
            f"CPython {series} needs",
            hint="pick a newer suite (--emscripten-suite sid) or install emsdk",
        )
    log.info(f"toolchain: {toolchain.describe()}")
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
    return Toolchain("emsdk", version) if version else None


class DebianChroot:
    """A Debian root file system with the emscripten package, made by debootstrap."""

    def __init__(self, home: Path, suite: str):
        self.home = home
        self.suite = suite
        self.rootfs = home / "rootfs"

    def ensure(self, binds: list[Path]) -> Toolchain:
        ready = self.rootfs / _READY
        if ready.exists():
            toolchain = Toolchain("debian-chroot", tuple(json.loads(ready.read_text())["emcc"]), self.rootfs, binds)
            if self._healthy(toolchain):
                return toolchain
            log.warn(f"the chroot {self.rootfs} is broken (emcc or node does not run); rebuilding it")
        self._require_root_and_linux()
        self._create()
        return self.ensure(binds)

    def _healthy(self, toolchain: Toolchain) -> bool:
        for probe in (["emcc", "--version"], ["node", "--version"]):
            if toolchain.output(probe, Path("/")).returncode != 0:
                return False
        return True

    def _require_root_and_linux(self) -> None:
        if not sys.platform.startswith("linux"):
            raise HarnessError(
                "no Emscripten: emcc is not on PATH and a Debian chroot needs Linux",
                hint="install emsdk (https://emscripten.org/docs/getting_started/downloads.html) and activate it",
            )
        if os.geteuid() != 0:
            raise HarnessError(
                "no Emscripten: emcc is not on PATH, and making a Debian chroot with debootstrap needs root",
                hint="install and activate emsdk, or run this step once as root to create the chroot",
            )
        for tool, package in (("debootstrap", "debootstrap"), ("unshare", "util-linux")):
            if shutil.which(tool) is None:
                raise HarnessError(f"{tool} is missing", hint=f"apt-get install {package}")

    def _create(self) -> None:
        partial = self.home / "rootfs.partial"
        if partial.exists():
            log.info(f"discarding {partial} left by an interrupted run")
            shutil.rmtree(partial)
        if self.rootfs.exists():
            shutil.rmtree(self.rootfs)
        self.home.mkdir(parents=True, exist_ok=True)
        with log.step(f"creating a Debian {self.suite} chroot with debootstrap (once; about 1 minute)"):
            run_logged(
                ["debootstrap", "--variant=minbase", self.suite, str(partial)],
                self.home,
                self.home / "debootstrap.log",
                "debootstrap",
            )
        shutil.copy("/etc/resolv.conf", partial / "etc" / "resolv.conf")
        bare = Toolchain("debian-chroot", (0, 0, 0), partial)
        # The unstable suite's index can carry an expired Valid-Until on some mirrors.
        (partial / "etc/apt/apt.conf.d/99pipe-cpython").write_text('Acquire::Check-Valid-Until "false";\n')
        with log.step(f"installing emscripten, node and build tools in the chroot ({len(CHROOT_PACKAGES)} packages)"):
            bare.run(["apt-get", "update"], Path("/"), self.home / "apt.log", "apt-get update in the chroot")
            bare.run(
                ["apt-get", "install", "-y", "--no-install-recommends", *CHROOT_PACKAGES],
                Path("/"),
                self.home / "apt.log",
                "apt-get install in the chroot",
                env={"DEBIAN_FRONTEND": "noninteractive"},
            )
            bare.run(["apt-get", "clean"], Path("/"), self.home / "apt-clean.log", "apt-get clean")
        version = parse_emcc_version(bare.output(["emcc", "--version"], Path("/")).stdout)
        if version is None:
            raise HarnessError(f"emcc does not run in the new chroot {partial}", hint=f"see {self.home / 'apt.log'}")
        (partial / _READY).write_text(json.dumps({"suite": self.suite, "emcc": version}) + "\n")
        partial.rename(self.rootfs)
