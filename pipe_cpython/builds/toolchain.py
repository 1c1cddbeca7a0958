"""A cross toolchain: what it is, and where its commands run (on the host, or in a Debian root).

Emscripten's and WASI's toolchains are both this: found on the host when the
user has one, else a Debian package inside a Debian root the harness made,
with the cache and the project bound in at the same paths as outside, so a
path means the same on either side.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from ..host.debianroot import DebianRoot
from ..host.process import run_logged


@dataclass
class Toolchain:
    product: str  # what it is: "Emscripten", "clang"
    kind: str  # how it was found: "emsdk", "wasi-sdk", "debian-chroot", ...
    version: tuple[int, ...]
    root: DebianRoot | None = None
    binds: list[Path] = field(default_factory=list)
    # Variables every command gets (CC and friends, for a toolchain that is not a wrapper like emconfigure).
    env: dict[str, str] = field(default_factory=dict)

    def describe(self) -> str:
        where = f"Debian chroot {self.root.rootfs}" if self.root else "on the host"
        return f"{self.product} {'.'.join(map(str, self.version))} ({self.kind}, {where})"

    def command(self, argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> list[str]:
        """`argv` as a command line that runs it in the toolchain's environment."""
        env = {**self.env, **(env or {})}
        if self.root is None:
            return ["env", "-C", str(cwd), *(f"{k}={v}" for k, v in env.items()), *argv]
        return self.root.command(argv, cwd, env, binds=self.binds)

    def run(self, argv: list[str], cwd: Path, log_file: Path, what: str, env: dict[str, str] | None = None) -> None:
        run_logged(self.command(argv, cwd, env), cwd, log_file, what)

    def output(self, argv: list[str], cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(argv, cwd, env), capture_output=True, text=True)
