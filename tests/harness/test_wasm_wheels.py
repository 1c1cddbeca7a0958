"""Wheels on the WebAssembly fork, for real: tests/wheels built by pyodide-build, then imported under node.

Run by `nox -s wheels-test`, with the harness's own cache (the builds are
the ones `nox -s build-wasm` and `wheel-wasm` make), on the series in
PIPE_CPYTHON_VERSION, or on 3.13 and 3.14 when it is not set: pyodide-build
needs Python 3.12 or later (docs/how-to/packages-and-wheels.md), so on 3.11 every test is a
skip with the harness's reason.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipe_cpython.__main__ import EXIT_SKIPPED
from pipe_cpython.core import project
from pipe_cpython.series import profiles

pytestmark = pytest.mark.wheels

PROJECTS = project.ROOT / "tests" / "wheels"


@pytest.fixture(scope="module", params=os.environ.get("PIPE_CPYTHON_VERSION", "3.13,3.14").split(","))
def series(request) -> str:
    return request.param


def harness(series: str, *args: str) -> subprocess.CompletedProcess:
    step, *rest = args
    return subprocess.run(
        [sys.executable, "-m", "pipe_cpython", step, "--cpython", series, *rest],
        cwd=project.ROOT,
        capture_output=True,
        text=True,
    )


def built(series: str, source: Path) -> Path:
    result = harness(series, "wheel-wasm", str(source))
    if result.returncode == EXIT_SKIPPED:
        pytest.skip(result.stderr.strip())
    assert result.returncode == 0, result.stderr[-3000:]
    return Path(result.stdout.strip().splitlines()[-1])


@pytest.fixture(scope="module")
def ext_wheel(series) -> Path:
    return built(series, PROJECTS / "ext")


@pytest.fixture(scope="module")
def pure_wheel(series) -> Path:
    return built(series, PROJECTS / "pure")


def abi(series: str) -> str:
    return "cp" + series.replace(".", "")


def test_pyodide_build_makes_a_side_module_tagged_for_the_fork(series, ext_wheel):
    assert ext_wheel.name.startswith(f"pipe_ext-1.0-{abi(series)}-{abi(series)}-")
    assert "pyemscripten_pipe_" in ext_wheel.name
    with zipfile.ZipFile(ext_wheel) as wheel:
        (module,) = [name for name in wheel.namelist() if name.endswith(".so")]
        # A wasm side module: the magic number, then a dylink section.
        assert wheel.read(module)[:4] == b"\0asm"
    assert module == f"ext.{abi(series).replace('cp', 'cpython-')}-wasm32-emscripten.so"


def test_the_c_extension_takes_a_pipe_under_node(series, ext_wheel):
    result = harness(
        series, "run-wasm", "--wheel", str(ext_wheel), "--", "-c", "import ext; print(3 |> ext.twice, ext.__file__)"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    value, where = result.stdout.split()
    assert value == "6"
    assert where.endswith(f"/site-packages/ext.{abi(series).replace('cp', 'cpython-')}-wasm32-emscripten.so")


def test_a_pure_python_wheel_runs_on_the_default_build(series, pure_wheel):
    assert pure_wheel.name == "pipe_pure-1.0-py3-none-any.whl"
    result = harness(
        series, "run-wasm", "--wheel", str(pure_wheel), "--", "-c", "import pipe_pure; print('hi' |> pipe_pure.shout)"
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.strip() == "HI!"


def test_the_conformance_suite_passes_with_both_wheels_installed(series, ext_wheel, pure_wheel):
    result = harness(series, "conformance-wasm", "--wheel", str(ext_wheel), "--wheel", str(pure_wheel))
    assert result.returncode == 0, result.stderr[-3000:]


def test_a_static_build_refuses_a_c_extension_and_says_what_to_do(series, ext_wheel):
    result = harness(series, "run-wasm", "--variant", "default", "--wheel", str(ext_wheel), "--", "-c", "print(1)")
    if profiles.profile(series).emscripten.always_dynamic:
        # Every 3.14 build links dynamically: its default build loads the extension.
        assert (result.returncode, result.stdout) == (0, "1\n"), result.stderr[-3000:]
        return
    assert result.returncode == 2
    assert "only the dynamic-linking build can load" in result.stderr
    assert "--variant dynamic" in result.stderr


def test_a_wheel_for_another_platform_is_refused_before_node_runs(series, tmp_path):
    wheel = tmp_path / f"markupsafe-3.0.2-{abi(series)}-{abi(series)}-manylinux_2_17_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("markupsafe/__init__.py", "")
    result = harness(series, "run-wasm", "--wheel", str(wheel), "--", "-c", "pass")
    assert result.returncode == 2
    assert "manylinux_2_17_x86_64" in result.stderr and "wheel-wasm" in result.stderr


def test_wheels_for_3_11_are_refused_with_the_reason():
    """A fact of this machine, not a failure: the step is a skip (its exit status 3), and says why."""
    result = subprocess.run(
        [sys.executable, "-m", "pipe_cpython", "wheel-wasm", "--cpython", "3.11", str(PROJECTS / "ext")],
        cwd=project.ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == EXIT_SKIPPED
    assert "not 3.11" in result.stderr and "Python 3.12 or later" in result.stderr
