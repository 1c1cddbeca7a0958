"""The sanitized build really stops at a report (`nox -s sanitizers` builds it before `e2e` runs)."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT = Path(__file__).resolve().parents[2]
OVERFLOW = "import ctypes\nb = ctypes.create_string_buffer(4)\nctypes.memset(ctypes.addressof(b), 0, 4096)\n"


@pytest.mark.e2e
def test_a_heap_overflow_is_reported_and_fails_the_process():
    listing = subprocess.run(
        # The newest series, the one `nox -t ci` builds sanitized.
        [sys.executable, "-m", "pipe_cpython", "paths", "--json"],
        cwd=PROJECT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    sanitized = json.loads(listing.stdout)["builds"]["native-sanitized"]["patched"]
    assert sanitized["built"], "build it first: nox -s sanitizers"
    result = subprocess.run(
        [*sanitized["command"], "-c", OVERFLOW + "print('survived')"], capture_output=True, text=True
    )
    assert result.returncode != 0 and "survived" not in result.stdout
    assert "ERROR: AddressSanitizer: heap-buffer-overflow" in result.stderr
    clean = subprocess.run([*sanitized["command"], "-c", "print(2 |> str)"], capture_output=True, text=True)
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "2\n", "")
