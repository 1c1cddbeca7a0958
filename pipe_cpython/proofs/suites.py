"""realworld's runtime half: pinned packages' own test suites on the fork, as released and with their calls piped.

Each source distribution in tests/realworld/suites.txt (sdists hold the tests) is unpacked
twice into the release's build directory, `released/` as it is and `piped/` with every
one-argument call of the library and its tests written as a pipe by
tests/realworld/pipe_calls.py, which runs in the fork. pytest runs both, in a virtual
environment of the fork that has the project's pytest plugin (assertions with pipes are
rewritten); every test must come out the same in both.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path

from ..core import log
from ..core.errors import HarnessError

FORMS = ("released", "piped")


def fetch(requirements: Path, directory: Path) -> list[Path]:
    """The pinned source distributions, downloaded by pip (hashes required) into `directory` once."""
    directory.mkdir(parents=True, exist_ok=True)
    pins = [line.split()[0] for line in requirements.read_text().splitlines() if line and not line.startswith("#")]
    found = [_sdist(pin, directory) for pin in pins]
    if None in found:
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
        with log.step(f"downloading {len(pins)} pinned source distributions into {directory} (once)"):
            result = subprocess.run(
                [*command, "--require-hashes", "-d", str(directory), "-r", str(requirements)],
                capture_output=True,
                text=True,
            )
        if result.returncode != 0:
            raise HarnessError(
                f"pip could not download the pinned source distributions:\n{result.stderr[-2000:]}",
                hint=f"check pip's index settings; a pin that no longer matches is fixed in {requirements}",
            )
        found = [_sdist(pin, directory) for pin in pins]
    return [path for path in found if path]


def _sdist(pin: str, directory: Path) -> Path | None:
    name, version = pin.split("==")
    stem = f"{name.replace('-', '_')}-{version}".lower()
    return next((p for p in sorted(directory.glob("*.tar.gz")) if p.name.lower() == f"{stem}.tar.gz"), None)


def unpacked(sdist: Path, directory: Path) -> Path:
    """The sdist unpacked afresh into `directory` (its one top-level folder)."""
    if directory.exists():
        shutil.rmtree(directory)
    directory.mkdir(parents=True)
    # tar, not tarfile: the harness runs on 3.10 and 3.11 too, whose tarfile has no extraction filter.
    subprocess.run(["tar", "-xzf", str(sdist), "-C", str(directory), "--no-same-owner"], check=True)
    (top,) = directory.iterdir()
    return top


def pipe_calls(python: Path, script: Path, tree: Path) -> str:
    """Pipe every one-argument call under `tree`, in the fork; pipe_calls.py's summary line."""
    result = subprocess.run([str(python), str(script), str(tree)], capture_output=True, text=True)
    if result.returncode != 0:
        raise HarnessError(f"piping the calls of {tree} failed:\n{result.stderr[-3000:]}")
    return result.stdout.strip()


def run_suite(python: Path, tree: Path, report: Path) -> dict[str, str]:
    """pytest on the package's tests from its own folder (the folder first on sys.path): each test id's outcome."""
    command = [str(python), "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={report}"]
    environment = {**os.environ, "PYTHONPATH": str(tree)}
    subprocess.run(command, cwd=tree, env=environment, capture_output=True, text=True)
    if not report.exists():
        raise HarnessError(f"pytest wrote no report for {tree}", hint=f"run `{' '.join(command)}` there to see why")
    return outcomes(report)


def outcomes(report: Path) -> dict[str, str]:
    """Each test case of a JUnit XML report: passed, failed, error or skipped."""
    found = {}
    for case in ET.parse(report).iter("testcase"):
        test = f"{case.get('classname')}::{case.get('name')}"
        kinds = [child.tag for child in case if child.tag in ("failure", "error", "skipped")]
        found[test] = (
            {"failure": "failed", "error": "error", "skipped": "skipped"}.get(kinds[0], "") if kinds else "passed"
        )
    return found


def differences(released: dict[str, str], piped: dict[str, str]) -> list[str]:
    """One line per test whose outcome differs, or that exists in one run only."""
    return [
        f"{test}: {released.get(test, 'absent')} as released, {piped.get(test, 'absent')} piped"
        for test in sorted(released.keys() | piped.keys())
        if released.get(test) != piped.get(test)
    ]


def summary(results: dict[str, str]) -> str:
    counts = Counter(results.values())
    return ", ".join(f"{counts[kind]} {kind}" for kind in ("passed", "failed", "error", "skipped") if counts[kind])
