"""The fork in the tools Python developers run on their code: pytest, Jupyter, mypy and pylint.

Every virtual environment the harness makes of the fork gets pytest and the plugin in
plugins/pytest-pipe-operator (pytest's assertion rewriter does not know `|>` on its own:
collecting `assert x |> f == y` fails with `KeyError: <class 'ast.Pipe'>`). The same
environment can be registered as a Jupyter kernel. mypy and pylint read `x |> f` as `f(x)`
with the plugins beside it (plugins/mypy-pipe-operator, plugins/pylint-pipe-operator).
The pins are what the tests ran with.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..core import log, project
from ..core.errors import HarnessError

PYTEST = "pytest==9.2.0"
JUPYTER = ("ipykernel==7.4.0", "nbclient==0.11.0", "nbformat==5.10.4")
# mypy's wheels are compiled by mypyc, whose classes its plugin cannot teach: its pure-Python build, from the sdist.
CHECKERS = ("--no-binary", "mypy", "mypy==2.4.1", "pylint==4.1.5")
PLUGINS = ("pytest-pipe-operator", "mypy-pipe-operator", "pylint-pipe-operator")
# The rest of the compatibility table (docs/how-to/tools.md): tools that work unchanged, and those that cannot
# parse `|>`.
OTHERS = ("coverage==7.18.0", "pyflakes==4.1.0", "black==26.10.1", "ruff==0.17.6")


def pip_install(venv: Path, *requirements: str) -> None:
    """pip install into the environment, quietly; pip's own message when it fails (no index, no wheel)."""
    command = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
    result = subprocess.run([*command, *requirements], capture_output=True, text=True)
    if result.returncode != 0:
        raise HarnessError(
            f"pip could not install {' '.join(requirements)} into {venv}:\n{result.stderr.strip()}",
            hint=f"install them later with {venv}/bin/python -m pip install {' '.join(requirements)}",
        )


def install_pytest_plugin(venv: Path) -> None:
    with log.step(f"installing {PYTEST} and the pytest plugin for |> into {venv}"):
        pip_install(venv, PYTEST, str(project.PLUGINS / PLUGINS[0]))


def kernel_name(version: str, variant: str = "") -> str:
    return "-".join(filter(None, ("pipe-cpython", version, variant)))


def register_kernel(venv: Path, name: str, display_name: str, prefix: Path | None = None) -> None:
    """Register the environment as a Jupyter kernel: for the user, or under `prefix` (share/jupyter/kernels)."""
    with log.step(f"installing {', '.join(JUPYTER)} into {venv}"):
        pip_install(venv, *JUPYTER)
    where = ["--prefix", str(prefix)] if prefix else ["--user"]
    command = [str(venv / "bin" / "python"), "-m", "ipykernel", "install", *where, "--name", name]
    with log.step(f"registering the Jupyter kernel {name!r} ({display_name})"):
        subprocess.run([*command, "--display-name", display_name], check=True, capture_output=True)


def run_tests(venv: Path, args: list[str]) -> int:
    """Each plugin's tests (pytest's through pytester, mypy's and pylint's on small modules) and tests/tools (the
    kernel, through nbclient), with the environment's pytest."""
    install_pytest_plugin(venv)
    with log.step(f"installing Jupyter, mypy, pylint and their |> plugins, {', '.join(OTHERS)} into {venv}"):
        plugins = (str(project.PLUGINS / plugin) for plugin in PLUGINS[1:])
        pip_install(venv, *JUPYTER, *CHECKERS, *plugins, *OTHERS)
    tests = [*(str(project.PLUGINS / plugin / "tests") for plugin in PLUGINS), str(project.TOOLS_TESTS)]
    command = [str(venv / "bin" / "python"), "-m", "pytest", "-p", "no:cacheprovider", *tests, *args]
    log.detail(" ".join(command))
    return subprocess.run(command, cwd=project.ROOT, stdout=sys.stdout, stderr=sys.stderr).returncode
