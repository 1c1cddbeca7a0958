"""WASI: CPython cross-compiled with clang and wasi-libc for wasm32-wasip1, run by wasmtime.

The compiler, chosen in this order and reported in one line:
- the user's wasi-sdk: $WASI_SDK_PATH, or /opt/wasi-sdk (where CPython's Tools/wasm looks);
- Debian's clang, lld and wasi-libc on the host, when they compile and link a program for WASI;
- the same Debian packages in a Debian chroot the harness makes on first use (trixie: clang 19,
  wasi-libc 2024-12; Debian 12's are too old for 3.13).
The runtime: the wasmtime CLI on PATH, else wasmtime's PyPI package (the same engine) in a
virtual environment of its own in the cache, driven by wasm/wasi_run.py.

The guest sees the host's / as its /, so every path means the same inside and
out (like Emscripten's NODERAWFS under node); WASI has no working directory,
so the guest's is /: give the interpreter absolute paths.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

from ..checkout.sources import WorkTree
from ..core import log
from ..core.errors import HarnessError
from ..core.project import WASM
from ..host.debianroot import DebianRoot, RootSpec
from ..series.profiles import WasiProfile
from . import buildtree, native
from .toolchain import Toolchain

DEFAULT_SUITE = "trixie"
CHROOT_LLVM = "19"  # trixie's
CLANG = f"clang-{CHROOT_LLVM}"
CHROOT_PACKAGES = (
    CLANG, f"lld-{CHROOT_LLVM}", f"llvm-{CHROOT_LLVM}", "wasi-libc", f"libclang-rt-{CHROOT_LLVM}-dev-wasm32",
    "make", "pkg-config", "file",
)  # fmt: skip
# Debian's clang versions that can build CPython for WASI, newest first (on the host, when one works).
HOST_CLANGS = tuple(f"clang-{major}" for major in range(22, 17, -1))
WASMTIME_PACKAGE = "wasmtime==50.0.1"
RUNNER = WASM / "wasi_run.py"
# The smallest program that proves a compiler links for WASI: wasi-libc, its crt and clang's builtins.
_PROBE = "#include <stdio.h>\nint main(void) { puts(__FILE__); return 0; }\n"


@dataclass
class WasiToolchain(Toolchain):
    # configure's --host: the target triple the compiler is driven with.
    host: str = "wasm32-wasip1"


def parse_clang_version(text: str) -> tuple[int, int, int] | None:
    match = re.search(r"clang version (\d+)\.(\d+)\.(\d+)", text)
    return tuple(int(n) for n in match.groups()) if match else None


def find_toolchain(toolchains_dir: Path, binds: list[Path], scratch: Path) -> WasiToolchain:
    """wasi-sdk, else Debian's clang on the host, else Debian's clang in a chroot (made on first use)."""
    toolchain = _wasi_sdk() or _host_clang(scratch) or _chroot_clang(toolchains_dir, binds)
    log.info(f"toolchain: {toolchain.describe()}, --host={toolchain.host}")
    return toolchain


def _wasi_sdk() -> WasiToolchain | None:
    sdk = Path(os.environ.get("WASI_SDK_PATH") or "/opt/wasi-sdk")
    clang = sdk / "bin" / "clang"
    if not clang.exists():
        if os.environ.get("WASI_SDK_PATH"):
            raise HarnessError(f"WASI_SDK_PATH is {sdk}, which has no bin/clang", hint="point it at a wasi-sdk")
        return None
    version = _clang_version(subprocess.run([str(clang), "--version"], capture_output=True, text=True), str(clang))
    sysroot = f"--sysroot={sdk / 'share' / 'wasi-sysroot'}"
    env = {
        "CC": f"{clang} {sysroot}",
        "CPP": f"{sdk / 'bin' / 'clang-cpp'} {sysroot}",
        "AR": str(sdk / "bin" / "llvm-ar"),
        "RANLIB": str(sdk / "bin" / "ranlib"),
    }
    return WasiToolchain("clang", "wasi-sdk", version, env=_with_pkg_config(env))


def _debian_env(major: str) -> dict[str, str]:
    # Debian's libclang-rt-*-dev-wasm32 installs clang's builtins under the triple's pre-wasip1 name,
    # the only one that clang then finds them for. It is the same target: WASI preview 1.
    target = "--target=wasm32-wasi"
    env = {"CC": f"clang-{major} {target}", "CPP": f"clang-cpp-{major} {target}"}
    env |= {"AR": f"llvm-ar-{major}", "RANLIB": f"llvm-ranlib-{major}"}
    return _with_pkg_config(env)


def _with_pkg_config(env: dict[str, str]) -> dict[str, str]:
    # Never the host's libraries: pkg-config would offer them to configure as if they were WASI's.
    return {**env, "PKG_CONFIG_PATH": "", "PKG_CONFIG_LIBDIR": "/nonexistent"}


def _host_clang(scratch: Path) -> WasiToolchain | None:
    for clang in HOST_CLANGS:
        if shutil.which(clang) is None:
            continue
        major = clang.removeprefix("clang-")
        version = _clang_version(subprocess.run([clang, "--version"], capture_output=True, text=True), clang)
        toolchain = WasiToolchain("clang", "debian-host", version, env=_debian_env(major), host="wasm32-wasi")
        if _links(toolchain, scratch) and shutil.which(f"llvm-ar-{major}"):
            return toolchain
        log.detail(f"{clang} on the host does not link for WASI (wasi-libc, lld or its builtins missing)")
    return None


def _chroot_clang(toolchains_dir: Path, binds: list[Path]) -> WasiToolchain:
    root = DebianRoot(toolchains_dir / f"wasi-{DEFAULT_SUITE}" / "rootfs", RootSpec(DEFAULT_SUITE, CHROOT_PACKAGES))

    def describe(staging: DebianRoot) -> dict:
        return {"clang": _clang_version(staging.output([CLANG, "--version"]), CLANG)}

    record = root.ensure([[CLANG, "--version"], [f"wasm-ld-{CHROOT_LLVM}", "--version"]], describe)
    return WasiToolchain(
        "clang", "debian-chroot", tuple(record["clang"]), root, binds, _debian_env(CHROOT_LLVM), host="wasm32-wasi"
    )


def _clang_version(result: subprocess.CompletedProcess, clang: str) -> tuple[int, int, int]:
    version = parse_clang_version(result.stdout)
    if version is None:
        raise HarnessError(f"{clang} --version does not say its version", hint="reinstall Debian's clang package")
    return version


def _links(toolchain: WasiToolchain, scratch: Path) -> bool:
    scratch.mkdir(parents=True, exist_ok=True)
    (scratch / "probe.c").write_text(_PROBE)
    argv = ["sh", "-c", "$CC probe.c -o probe.wasm"]
    return toolchain.output(argv, scratch).returncode == 0


def configure_arguments(
    toolchain: WasiToolchain, build_triple: str, build_python: Path, profile: WasiProfile
) -> list[str]:
    return [
        "-C",
        f"--host={toolchain.host}",
        f"--build={build_triple}",
        f"--with-build-python={build_python}",
        *profile.configure_flags,
    ]


def configure(
    tree: WorkTree, profile: WasiProfile, build_dir: Path, toolchain: WasiToolchain, build_python: Path
) -> None:
    """Run configure for WASI unless it already ran with the same inputs."""
    build_dir.mkdir(parents=True, exist_ok=True)
    config_site = profile.config_site(tree.path)
    build_triple = native.build_triple(tree)
    args = configure_arguments(toolchain, build_triple, build_python, profile)
    env = {"CONFIG_SITE": str(config_site)}
    wanted = {
        "args": args,
        "env": env,
        # What autoconf's cached answers depend on; the other flavour's build with the same can share them.
        "checks": {
            "toolchain": [toolchain.kind, list(toolchain.version), toolchain.env],
            "configure": hashlib.sha256((tree.path / "configure").read_bytes()).hexdigest(),
            "config.site": hashlib.sha256(config_site.read_bytes()).hexdigest(),
        },
    }
    if native.configured_with(build_dir, wanted):
        return
    native.seed_config_cache(build_dir, wanted, "wasi*")
    with log.step(f"configuring CPython {tree.version} for WASI ({toolchain.host})"):
        toolchain.run([str(tree.path / "configure"), *args], build_dir, build_dir / "configure.log", "configure", env)
    native.configure_stamp(build_dir).write(wanted)


def make(build_dir: Path, toolchain: WasiToolchain) -> None:
    with log.step(f"compiling for WASI with make -j{native.jobs()}"), buildtree.guarded(build_dir):
        toolchain.run(["make", f"-j{native.jobs()}"], build_dir, build_dir / "make.log", "make")


def module(build_dir: Path) -> Path:
    return build_dir / "python.wasm"


def build(tree: WorkTree, profile: WasiProfile, build_dir: Path, toolchain: WasiToolchain, build_python: Path) -> None:
    """configure and make CPython for WASI into `build_dir`."""
    configure(tree, profile, build_dir, toolchain, build_python)
    make(build_dir, toolchain)
    if not module(build_dir).exists():
        raise HarnessError(f"make finished but {module(build_dir)} is missing", hint=f"see {build_dir / 'make.log'}")


class Runtime(ABC):
    """What runs python.wasm: the guest gets the host's / as its own, and the series' stack."""

    name: str

    @abstractmethod
    def command(self, wasm: Path, max_stack: int) -> list[str]:
        """A command line that runs `wasm` with the arguments appended to it."""

    @abstractmethod
    def ensure(self) -> None:
        """Install what the runtime needs (once)."""


@dataclass(frozen=True)
class WasmtimeCli(Runtime):
    path: str
    name = "wasmtime CLI"

    def command(self, wasm: Path, max_stack: int) -> list[str]:
        return [self.path, "run", "--wasm", f"max-wasm-stack={max_stack}", "--dir", "/::/", str(wasm)]

    def ensure(self) -> None:
        """The user's own: nothing to install."""


@dataclass(frozen=True)
class WasmtimePackage(Runtime):
    """wasmtime's PyPI package in a venv of its own: no binary download, only pip."""

    venv: Path
    name = f"wasmtime from PyPI ({WASMTIME_PACKAGE})"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"

    def command(self, wasm: Path, max_stack: int) -> list[str]:
        return [str(self.python), str(RUNNER), "--max-wasm-stack", str(max_stack), "--dir", "/::/", str(wasm)]

    def ensure(self) -> None:
        if self.python.exists() and subprocess.run([str(self.python), "-c", "import wasmtime"]).returncode == 0:
            return
        shutil.rmtree(self.venv, ignore_errors=True)
        with log.step(f"installing {WASMTIME_PACKAGE} into {self.venv}"):
            subprocess.run([sys.executable, "-m", "venv", str(self.venv)], check=True, capture_output=True)
            result = subprocess.run(
                [str(self.python), "-m", "pip", "install", "-q", WASMTIME_PACKAGE], capture_output=True, text=True
            )
        if result.returncode != 0:
            shutil.rmtree(self.venv, ignore_errors=True)
            raise HarnessError(
                f"pip could not install {WASMTIME_PACKAGE}:\n{result.stdout}{result.stderr}",
                hint="install the wasmtime CLI on PATH instead, or check pip's index settings",
            )


def find_runtime(tools_dir: Path) -> Runtime:
    """The wasmtime CLI when it is on PATH, else wasmtime's PyPI package."""
    if cli := shutil.which("wasmtime"):
        return WasmtimeCli(cli)
    tag = hashlib.sha256(f"{WASMTIME_PACKAGE} {os.path.realpath(sys.executable)}".encode()).hexdigest()[:12]
    return WasmtimePackage(tools_dir / f"wasmtime-{tag}")
