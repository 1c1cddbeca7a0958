"""`./nox`: this project's nox on a stock machine, installed on first use (the gradlew pattern).

The system's python3 is never written to (PEP 668): nox, at the version CI
pins, goes into a virtual environment of its own in the cache, made once per
interpreter and pin, and every later call starts it at once. On Debian's own
python3 a virtual environment needs the python3.X-venv package, which is
installed first, like every system package (named first, through sudo where
the user is not root). Any python3 >= 3.10 works the same: pyenv's, a venv's.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

from .core import log
from .core.cache import Cache, default_root
from .core.errors import HarnessError
from .host import deps

NOX = "nox==2026.10.20"
MINIMUM_PYTHON = (3, 10)


def tools_venv(cache_root: Path, python: str = sys.executable) -> Path:
    """Where nox lives for this interpreter and pin: a new pin or interpreter gets a new one."""
    key = hashlib.sha256(f"{NOX}\n{os.path.realpath(python)}".encode()).hexdigest()[:12]
    return Cache(cache_root).tools / f"nox-{key}"


def system_venv_package() -> str | None:
    """Debian's python3.X-venv when this is Debian's own python3 (which has no ensurepip without it)."""
    if sys.prefix != sys.base_prefix or not sys.base_prefix.startswith("/usr") or not shutil.which("dpkg-query"):
        return None
    if not os.path.realpath(sys.executable).startswith("/usr/bin/"):
        return None
    return f"python3.{sys.version_info.minor}-venv"


def ensure_nox(cache_root: Path) -> Path:
    """The nox executable, creating its virtual environment if needed; a run killed half-way is redone."""
    venv = tools_venv(cache_root)
    nox = venv / "bin" / "nox"
    # Written last: venv puts absolute paths in its scripts, so it is made in place rather than renamed.
    complete = venv / "pipe-cpython-complete"
    if complete.exists():
        return nox
    if package := system_venv_package():
        deps.ensure([package], "a virtual environment for nox")
    shutil.rmtree(venv, ignore_errors=True)
    venv.parent.mkdir(parents=True, exist_ok=True)
    with log.step(f"installing {NOX} into {venv} (once)"):
        _run([sys.executable, "-m", "venv", str(venv)], "creating the virtual environment")
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        _run([*pip, NOX], f"pip install {NOX}")
    complete.write_text(f"{NOX}\n")
    return nox


def _run(command: list[str], what: str) -> None:
    if subprocess.run(command).returncode != 0:
        raise HarnessError(f"{what} failed: {' '.join(command)}", hint="see the message above, then re-run ./nox")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if sys.version_info < MINIMUM_PYTHON:
        print(
            f"pipe-cpython: error: Python {'.'.join(map(str, MINIMUM_PYTHON))} or newer is needed, "
            f"this is {sys.version.split()[0]} ({sys.executable})\n  hint: PYTHON=/path/to/python3 ./nox ...",
            file=sys.stderr,
        )
        return 2
    try:
        nox = ensure_nox(default_root())
    except HarnessError as exc:
        print(f"pipe-cpython: error: {exc}", file=sys.stderr)
        return 2
    os.execv(nox, [str(nox), *argv])


if __name__ == "__main__":
    sys.exit(main())
