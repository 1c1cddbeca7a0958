"""What the benchmark scripts share: running harness steps and timing commands."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
# The harness's modules, for the scripts that read what it wrote, whether it is installed or not.
sys.path.insert(1, str(PROJECT))


def harness(*args: str) -> str:
    """Run one harness step quietly (building whatever it needs); what it prints."""
    result = subprocess.run(
        [sys.executable, "-m", "pipe_cpython", *args, "-q"], cwd=PROJECT, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"`pipe_cpython {' '.join(args)}` failed:\n{result.stderr[-3000:]}")
    return result.stdout


def paths(version: list[str]) -> dict:
    """Work tree, build directories and interpreter commands, as `pipe_cpython paths --json` prints them."""
    return json.loads(harness("paths", "--json", *version))


def seconds(command: list[str]) -> float:
    """Wall-clock time of one run of `command` (which must succeed)."""
    start = time.monotonic()
    subprocess.run(command, cwd=PROJECT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.monotonic() - start
