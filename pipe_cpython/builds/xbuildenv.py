"""A Pyodide cross-build environment made from the fork's own dynamic-linking Emscripten build.

pyodide-build compiles wheels against a cross-build environment: the target
interpreter's headers and sysconfigdata, and a Makefile.envs of build
variables (Python version, Emscripten version, ABI, compiler flags), packed
as an archive and announced by a metadata file with its sha256. Pyodide
publishes one per release; the fork is not Pyodide, so the harness makes its
own from the patched build and the Emscripten that compiled it, writes the
metadata beside it, and checks the archive against that sha256 itself before
pyodide-build sees it (pyodide-build does not check it).

The fork's wheels carry their own ABI, `pipe_<emscripten>`: they are built
with another Emscripten than any Pyodide release, so neither side may load
the other's C extensions, and the tag says so before anything is loaded.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import HarnessError
from ..host import download
from ..series.profiles import EmscriptenVersion, format_emscripten

ARCHIVE_TOP = "xbuildenv"  # the archive's one top directory, as Pyodide's archives have it
PYODIDE_ROOT = f"{ARCHIVE_TOP}/pyodide-root"


def abi(emscripten: EmscriptenVersion) -> str:
    return f"pipe_{_tag_version(emscripten)}"


def platform_tags(emscripten: EmscriptenVersion) -> tuple[str, ...]:
    """The platform tags a wheel for the fork may carry: pyodide-build's wheel tag, then the compiler's."""
    return (f"pyemscripten_{abi(emscripten)}_wasm32", f"emscripten_{_tag_version(emscripten)}_wasm32")


def _tag_version(emscripten: EmscriptenVersion) -> str:
    """The version as a wheel tag spells it: 3_1_69."""
    return format_emscripten(emscripten).replace(".", "_")


@dataclass(frozen=True)
class CrossBuildEnv:
    version: str  # the release name pyodide-build installs it as
    archive: Path
    metadata: Path


def makefile_envs(python: str, emscripten: EmscriptenVersion, sysconfig_name: str) -> str:
    """The variables pyodide-build reads (`make -f Makefile.envs .output_vars`) for a build of `python`."""
    major, minor, micro = python.split(".")
    # Flags as the fork's own extension modules are compiled (CCSHARED is -fPIC) and linked (-sWASM_BIGINT).
    variables = {
        "PYVERSION": python,
        "PYMAJOR": major,
        "PYMINOR": minor,
        "PYMICRO": micro,
        "PYODIDE_VERSION": python,
        "PYODIDE_EMSCRIPTEN_VERSION": format_emscripten(emscripten),
        "PYODIDE_ABI_VERSION": abi(emscripten),
        "PLATFORM_TRIPLET": "wasm32-emscripten",
        "SYSCONFIG_NAME": sysconfig_name,
        "CPYTHONINSTALL": f"$(PYODIDE_ROOT)/cpython/installs/python-{python}",
        "TARGETINSTALLDIR": "$(CPYTHONINSTALL)",
        "PYTHONINCLUDE": f"$(CPYTHONINSTALL)/include/python{major}.{minor}",
        "CFLAGS_BASE": "-O2 -g0 -fPIC",
        "CXXFLAGS_BASE": "-O2 -g0 -fPIC",
        # pyodide-build links with --fatal-warnings, and wasm-ld warns that shared libraries and dynamic imports are
        # "not yet stable" unless told --experimental-pic (Emscripten 6.0.5 no longer passes it itself).
        "LDFLAGS_BASE": "-O2 -g0 -sWASM_BIGINT -Wl,--experimental-pic",
    }
    lines = [f"export {name}={value}" for name, value in variables.items()]
    return "\n".join(
        ["# Made by pipe-cpython from its own build; read by pyodide-build.", *lines, "", ".output_vars:", "\t@env", ""]
    )


def sysconfigdata(build_dir: Path) -> Path:
    """The build's _sysconfigdata module, where its pybuilddir.txt says the build put it."""
    lib_dir = build_dir / (build_dir / "pybuilddir.txt").read_text().strip()
    found = sorted(lib_dir.glob("_sysconfigdata_*.py"))
    if len(found) != 1:
        raise HarnessError(f"expected one _sysconfigdata_*.py in {lib_dir}, found {len(found)}")
    return found[0]


def members(tree: Path, build_dir: Path, python: str, emscripten: EmscriptenVersion) -> dict[str, bytes]:
    """The archive's files by name: Makefile.envs, the headers (the tree's Include and the build's pyconfig.h),
    the sysconfigdata, and an empty requirements.txt (no cross-build packages)."""
    series = ".".join(python.split(".")[:2])
    install = f"{PYODIDE_ROOT}/cpython/installs/python-{python}"
    data = sysconfigdata(build_dir)
    files = {
        f"{PYODIDE_ROOT}/Makefile.envs": makefile_envs(python, emscripten, data.stem).encode(),
        f"{ARCHIVE_TOP}/requirements.txt": b"",
        f"{install}/sysconfigdata/{data.name}": data.read_bytes(),
        f"{install}/include/python{series}/pyconfig.h": (build_dir / "pyconfig.h").read_bytes(),
    }
    include = tree / "Include"
    for header in sorted(include.rglob("*.h")):
        files[f"{install}/include/python{series}/{header.relative_to(include)}"] = header.read_bytes()
    return files


def pack(files: dict[str, bytes], archive: Path) -> str:
    """A reproducible .tar.gz of `files` (fixed order, times and owners); returns its sha256."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(name)
            info.size = len(files[name])
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(files[name]))
    archive.parent.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(gzip.compress(buffer.getvalue(), mtime=0))
    return hashlib.sha256(archive.read_bytes()).hexdigest()


def make(
    tree: Path, build_dir: Path, python: str, emscripten: EmscriptenVersion, pyodide_build: str, out: Path
) -> CrossBuildEnv:
    """The cross-build environment of the dynamic-linking build in `build_dir`, archived with its metadata in `out`."""
    archive = out / f"xbuildenv-pipe-cpython-{python}.tar.gz"
    sha256 = pack(members(tree, build_dir, python, emscripten), archive)
    # Named by content: pyodide-build keeps an installed version as it is, so a rebuilt tree needs a new name.
    version = f"pipe-cpython-{python}-{sha256[:12]}"
    release = {
        "version": version,
        "url": archive.as_uri(),
        "sha256": sha256,
        "python_version": python,
        "emscripten_version": format_emscripten(emscripten),
        # The pyodide-build the harness pins is the one it was made and tested for.
        "min_pyodide_build_version": pyodide_build,
        "max_pyodide_build_version": pyodide_build,
    }
    metadata = out / "cross-build-environments.json"
    metadata.write_text(json.dumps({"releases": {version: release}}, indent=2) + "\n")
    return CrossBuildEnv(version, archive, metadata)


def verified(env: CrossBuildEnv) -> CrossBuildEnv:
    """`env` once its archive matches the sha256 its metadata gives."""
    release = json.loads(env.metadata.read_text())["releases"][env.version]
    download.verify(env.archive, release["sha256"], f"the cross-build environment {env.version}")
    return env
