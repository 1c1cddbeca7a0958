"""Virtual environments of the patched interpreter: pip and PyPI's packages on the fork.

The native build directory's interpreter makes them as an installed one would;
the environment's `python` is the fork, so a package's code runs with `|>`
available to the code that imports it.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from ..core import log
from ..core.errors import HarnessError


def is_usable(venv: Path) -> bool:
    """The environment's interpreter starts and has pip (it goes when the build it points at is removed)."""
    python = venv / "bin" / "python"
    return python.exists() and subprocess.run([str(python), "-c", "import pip"], capture_output=True).returncode == 0


def ensure(python: Path, venv: Path) -> Path:
    """A virtual environment of `python` at `venv` with pip, made once; remade when it no longer works."""
    if is_usable(venv):
        return venv
    if venv.exists():
        log.info(f"{venv} no longer works (its interpreter was rebuilt or removed); making it again")
        shutil.rmtree(venv)
    with log.step(f"making a virtual environment of {python} in {venv}"):
        result = subprocess.run([str(python), "-m", "venv", str(venv)], capture_output=True, text=True)
    if result.returncode != 0 or not is_usable(venv):
        shutil.rmtree(venv, ignore_errors=True)
        raise HarnessError(
            f"{python} -m venv {venv} failed:\n{result.stdout}{result.stderr}",
            hint="ensurepip needs zlib and the ssl module: `python -m pipe_cpython install-deps --groups native`, "
            "then rebuild",
        )
    return venv
