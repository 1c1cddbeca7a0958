"""Packages on the WebAssembly fork: wheels built by pyodide-build, checked, and installed for node or the page.

pyodide-build runs in the Emscripten root, where emcc is, in a virtual
environment of that root's Python made from a wheelhouse of pinned wheels
(wasm/pyodide-build/requirements.txt) that the host's pip downloads: the root
needs no index or certificates of its own, and every build backend a build
installs comes from the same wheelhouse. pyodide-build builds for the Python
it runs on, so it builds for the series of the root's Python only.

A wheel is installed by unpacking it into the site-packages of a virtual
environment of the node interpreter: a pyvenv.cfg whose home is the build
directory, and python.js linked beside it, which CPython's getpath reads as
it does natively.
"""

from __future__ import annotations

import hashlib
import platform
import re
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..builds.toolchain import Toolchain
from ..builds.xbuildenv import CrossBuildEnv, platform_tags
from ..core import log, project
from ..core.errors import HarnessError, Skipped
from ..core.stamps import Stamp
from ..host.process import run_logged
from ..series.profiles import EmscriptenProfile, EmscriptenVersion

REQUIREMENTS = project.WASM / "pyodide-build" / "requirements.txt"
# pyodide-build's pin, read from the lock so that it is written once.
PYODIDE_BUILD = re.search(r"^pyodide-build==(\S+)$", REQUIREMENTS.read_text(), re.M)[1]
# The build backends pypa/build installs when a project names none (PEP 517's fallback).
DEFAULT_BACKEND = ["setuptools>=40.8.0", "wheel"]


@dataclass(frozen=True)
class WheelName:
    """A wheel file's name, split as PEP 427 says: the tags are sets written with dots."""

    path: Path
    distribution: str
    version: str
    pythons: frozenset[str]
    abis: frozenset[str]
    platforms: frozenset[str]

    @classmethod
    def parse(cls, path: Path) -> WheelName:
        parts = path.name.removesuffix(".whl").split("-")
        if not path.name.endswith(".whl") or len(parts) not in (5, 6):
            raise HarnessError(f"{path.name} is not a wheel's file name (NAME-VERSION-PYTHON-ABI-PLATFORM.whl)")
        pythons, abis, platforms = (frozenset(tag.split(".")) for tag in parts[-3:])
        return cls(path, parts[0], parts[1], pythons, abis, platforms)

    @property
    def pure(self) -> bool:
        return self.platforms == {"any"}


def check(wheel: WheelName, series: str, emscripten: EmscriptenVersion, dynamic: bool) -> None:
    """Refuse a wheel this interpreter cannot load, saying why and what to do."""
    cp = "cp" + series.replace(".", "")
    pythons = {"py3", f"py{cp[2:]}", cp}
    abis = {"none", "abi3", cp}
    ours = set(platform_tags(emscripten))
    rebuild = "build it for the fork with `nox -s wheel-wasm -- SOURCE`"
    if not wheel.pythons & pythons or not wheel.abis & abis:
        raise HarnessError(
            f"{wheel.path.name} is for {'.'.join(sorted(wheel.pythons))}-{'.'.join(sorted(wheel.abis))}, "
            f"not CPython {series}",
            hint=rebuild,
        )
    if not wheel.pure and not wheel.platforms & ours:
        raise HarnessError(
            f"{wheel.path.name} is for {'.'.join(sorted(wheel.platforms))}; this interpreter loads "
            f"{' or '.join(sorted(ours))} (or pure-Python wheels)",
            hint=f"{rebuild}: Pyodide's wheels and the fork's are built with other Emscripten versions",
        )
    if not wheel.pure and not dynamic:
        raise HarnessError(
            f"{wheel.path.name} has a C extension, which only the dynamic-linking build can load",
            hint="add --variant dynamic (or leave --variant out: wheels with C extensions pick it)",
        )


def install(wheels: list[WheelName], site_packages: Path) -> None:
    """Unpack each wheel into `site_packages` (emptied first), its .data/purelib and platlib with it."""
    shutil.rmtree(site_packages, ignore_errors=True)
    site_packages.mkdir(parents=True)
    for wheel in wheels:
        with zipfile.ZipFile(wheel.path) as archive:
            for member in archive.infolist():
                target = _installed_name(member.filename)
                if target is None or member.is_dir():
                    continue
                destination = site_packages / target
                destination.parent.mkdir(parents=True, exist_ok=True)
                destination.write_bytes(archive.read(member))
        log.info(f"installed {wheel.path.name}")


def _installed_name(name: str) -> str | None:
    """Where a wheel's member goes in site-packages; None for the scripts and headers a REPL has no use for."""
    top, _, rest = name.partition("/")
    if not top.endswith(".data"):
        return name
    scheme, _, path = rest.partition("/")
    return path if scheme in ("purelib", "platlib") else None


def node_environment(build_dir: Path, series: EmscriptenProfile, version: str, environment: Path) -> Path:
    """A virtual environment of the node interpreter in `build_dir`; returns its bin directory, where the
    build's entry point (and what node starts it with) are linked."""
    (environment / "bin").mkdir(parents=True, exist_ok=True)
    (environment / "pyvenv.cfg").write_text(
        f"home = {build_dir}\ninclude-system-site-packages = false\nversion = {version}\n"
    )
    for name in (series.entry_point, *series.node_files):
        link = environment / "bin" / name
        link.unlink(missing_ok=True)
        link.symlink_to(build_dir / name)
    return environment / "bin"


def site_packages(environment: Path, series: str) -> Path:
    return environment / "lib" / f"python{series}" / "site-packages"


def wheelhouse(requirements: list[str], series: str, directory: Path) -> Path:
    """The wheels `requirements` need for CPython `series` on Linux, downloaded by the host's pip (its index)."""
    # Linux wheels of this machine's architecture: the root is a Debian of the host's (glibc 2.28 or later).
    machine = platform.machine()
    wanted = {"requirements": requirements, "series": series, "machine": machine}
    stamp = Stamp(directory / f"{hashlib.sha256(repr(wanted).encode()).hexdigest()[:16]}.json")
    if stamp.matches(wanted):
        return directory
    abi = "cp" + series.replace(".", "")
    command = [
        sys.executable, "-m", "pip", "download", "--quiet", "--dest", str(directory), "--only-binary=:all:",
        "--python-version", series, "--implementation", "cp", "--abi", abi,
        "--platform", f"manylinux_2_28_{machine}", "--platform", f"manylinux_2_17_{machine}", *requirements,
    ]  # fmt: skip
    with log.step(f"downloading {len(requirements)} requirements' wheels for Python {series}"):
        result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise HarnessError(
            f"pip download failed:\n{result.stderr.strip()}", hint="check the requirements and pip's index"
        )
    stamp.write(wanted)
    return directory


@dataclass(frozen=True)
class PyodideBuild:
    """pyodide-build installed in a virtual environment of the Emscripten root's Python."""

    toolchain: Toolchain
    venv: Path
    wheelhouse: Path

    def command(self, argv: list[str], cwd: Path, env: dict[str, str]) -> list[str]:
        offline = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(self.wheelhouse), "PYODIDE_SKIP_EMSCRIPTEN_INSTALL": "1"}
        # The venv's bin first: pyodide-build's tools, and the llvm-readobj it looks for (see link_readobj).
        path = {"PATH": f"{self.venv / 'bin'}:/usr/local/bin:/usr/bin:/bin"}
        return self.toolchain.command([str(self.venv / "bin" / argv[0]), *argv[1:]], cwd, {**offline, **path, **env})


def root_python(toolchain: Toolchain) -> str:
    """The X.Y of the Python in the toolchain's root (or on the host, for emsdk)."""
    result = toolchain.output(["python3", "-c", "import sys; print('%d.%d' % sys.version_info[:2])"], Path("/"))
    if result.returncode != 0:
        raise HarnessError(f"python3 does not run beside Emscripten: {result.stderr.strip()}")
    return result.stdout.strip()


def pyodide_build(toolchain: Toolchain, series: str, tools_dir: Path) -> PyodideBuild:
    """pyodide-build, pinned, in a venv of the root's Python (made once), when that Python is the series'."""
    python = root_python(toolchain)
    if python != series:
        raise Skipped(
            f"pyodide-build builds wheels for the Python it runs on, and beside Emscripten that is Python {python}, "
            f"not {series}",
            hint=f"wheels can be built for CPython {python} here (--cpython {python}); pyodide-build "
            f"{PYODIDE_BUILD} itself needs Python 3.12 or later (docs/how-to/packages-and-wheels.md)",
        )
    pins = [line for line in REQUIREMENTS.read_text().splitlines() if line and not line.startswith("#")]
    house = wheelhouse(pins, series, tools_dir / "wheelhouse")
    venv = tools_dir / f"pyodide-build-{PYODIDE_BUILD}-py{series}"
    stamp = Stamp(venv / "pipe-cpython.json")
    wanted = {"requirements": pins}
    if not stamp.matches(wanted):
        shutil.rmtree(venv, ignore_errors=True)
        pip_wheel = next(house.glob("pip-*.whl"))
        with log.step(f"installing pyodide-build {PYODIDE_BUILD} in a venv of Python {python} beside Emscripten"):
            toolchain.run(
                ["python3", "-m", "venv", "--without-pip", str(venv)], tools_dir, tools_dir / "venv.log", "venv"
            )
            # pip runs from its own wheel to install itself and the rest, from the wheelhouse only.
            install = [
                str(venv / "bin" / "python"), f"{pip_wheel}/pip", "install", "--quiet", "--no-index",
                "--find-links", str(house), "-r", str(REQUIREMENTS),
            ]  # fmt: skip
            toolchain.run(install, tools_dir, tools_dir / "pip.log", "pip install pyodide-build")
        link_readobj(toolchain, venv)
        stamp.write(wanted)
    return PyodideBuild(toolchain, venv, house)


def link_readobj(toolchain: Toolchain, venv: Path) -> None:
    """pywasmcross runs llvm-readobj from beside emcc (emsdk's layout) or from PATH; Debian names it
    llvm-readobj-NN, so the venv's bin gets an llvm-readobj that is the newest of those."""
    found = toolchain.output(
        ["sh", "-c", "command -v llvm-readobj || ls /usr/bin/llvm-readobj-* | sort -V | tail -1"], venv
    )
    if found.returncode != 0 or not found.stdout.strip():
        raise HarnessError(
            "no llvm-readobj beside Emscripten", hint="install llvm (Debian: the llvm package of emcc's clang)"
        )
    link = venv / "bin" / "llvm-readobj"
    link.unlink(missing_ok=True)
    link.symlink_to(found.stdout.strip().splitlines()[0])


def source_tree(source: str, work: Path, downloads: Path) -> Path:
    """A copy of the project to build in `work`: a directory, an sdist, or a requirement the host's pip fetches
    as an sdist (pyodide-build writes into the tree it builds, so it never builds the user's own)."""
    path = Path(source)
    shutil.rmtree(work, ignore_errors=True)
    if path.is_dir():
        if not (path / "pyproject.toml").exists() and not (path / "setup.py").exists():
            raise HarnessError(
                f"{path} has neither pyproject.toml nor setup.py", hint="give a Python project's directory"
            )
        shutil.copytree(path, work, ignore=shutil.ignore_patterns(".pyodide_build", "build", "dist", "*.egg-info"))
        return work
    if not path.exists():
        if "/" in source:
            raise HarnessError(f"{source} does not exist", hint="give a project directory, an sdist or a requirement")
        path = _sdist(source, downloads)
    if not path.name.endswith((".tar.gz", ".zip")):
        raise HarnessError(
            f"{path} is not a source distribution (.tar.gz or .zip)", hint="wheels are built from sources"
        )
    unpacked = work.with_name(work.name + ".unpacked")
    shutil.rmtree(unpacked, ignore_errors=True)
    unpacked.mkdir(parents=True)
    # GNU tar and zipfile both keep members inside the directory (no absolute paths, no `..`).
    if path.name.endswith(".zip"):
        with zipfile.ZipFile(path) as archive:
            archive.extractall(unpacked)
    else:
        subprocess.run(["tar", "-xf", str(path), "-C", str(unpacked)], check=True)
    (top,) = unpacked.iterdir()
    top.rename(work)
    unpacked.rmdir()
    return work


def _sdist(requirement: str, downloads: Path) -> Path:
    """The sdist of `requirement` from the host's pip index (downloaded once)."""
    downloads.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary=:all:", "--dest"]
    with log.step(f"downloading the sdist of {requirement}"):
        result = subprocess.run([*command, str(downloads), requirement], capture_output=True, text=True)
    if result.returncode != 0:
        raise HarnessError(f"pip found no sdist of {requirement}:\n{result.stderr.strip()}")
    name = re.split(r"[<>=!~\[; ]", requirement, maxsplit=1)[0]
    normalised = re.sub(r"[-_.]+", "[-_.]", name)
    found = [p for p in downloads.iterdir() if re.match(rf"(?i){normalised}-\d", p.name)]
    return max(found, key=lambda p: p.stat().st_mtime)


def build_requirements(tree: Path) -> list[str]:
    """What the project's build backend needs (pyproject.toml's [build-system]), and wheel, which setuptools wants."""
    import tomllib

    pyproject = tree / "pyproject.toml"
    declared = tomllib.loads(pyproject.read_text()).get("build-system", {}) if pyproject.exists() else {}
    return list(dict.fromkeys([*declared.get("requires", DEFAULT_BACKEND), "wheel"]))


def build(tool: PyodideBuild, env: CrossBuildEnv, tree: Path, series: str, xbuildenv_path: Path, dist: Path) -> Path:
    """`pyodide build` of `tree` against `env` (installed from its metadata, offline); returns the wheel."""
    wheelhouse(build_requirements(tree), series, tool.wheelhouse)
    variables = {
        "PYODIDE_CROSS_BUILD_ENV_METADATA_URL": str(env.metadata),
        "PYODIDE_XBUILDENV_PATH": str(xbuildenv_path),
    }
    logs = tree.parent
    with log.step(f"installing the cross-build environment {env.version} for pyodide-build"):
        command = tool.command(["pyodide", "xbuildenv", "install", env.version], tree, variables)
        run_logged(command, tree, logs / "xbuildenv-install.log", "pyodide xbuildenv install")
    dist.mkdir(parents=True, exist_ok=True)
    started = time.time()
    with log.step(f"pyodide build {tree.name}"):
        command = tool.command(["pyodide", "build", str(tree), "--outdir", str(dist)], tree, variables)
        run_logged(command, tree, logs / f"{tree.name}.build.log", "pyodide build")
    made = [wheel for wheel in dist.glob("*.whl") if wheel.stat().st_mtime >= started - 1]
    if len(made) != 1:
        raise HarnessError(
            f"pyodide build left {len(made)} new wheels in {dist}", hint=f"see {logs / f'{tree.name}.build.log'}"
        )
    return made[0]
