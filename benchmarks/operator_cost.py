"""What `x |> f` costs against `f(x)`: callgrind instructions and pyperf timings per call, same build, same run.

A benchmark, not a test: it prints a table and never fails on the numbers.
Usage (what `nox -s bench-operator` runs):
    python benchmarks/operator_cost.py [--cpython 3.13] [--calls N] [--no-pyperf] [--rigorous]

Instructions: a loop of N iterations in the patched interpreter under
`valgrind --tool=callgrind`, minus the same loop with an empty body, so what
remains is the cost of one call (or pipe); deterministic.
Timings: `pyperf timeit` in the patched interpreter (pyperf is installed for
it, pure Python, into the build's cache); noisy on a shared machine, which is
why the instruction counts are the primary measure.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

from common import harness

PYPERF = "pyperf==2.10.0"
SETUP = """
def function(v):
    return v
class Box:
    def __init__(self, v):
        self.v = v
table = {}
"""
# (label, the call, the pipe): `x` is a local bound on every path, which 3.13
# loads after the callable; `x + 0` is an expression, which keeps the rotation.
CASES = [
    ("Python function", "function(x)", "x |> function"),
    ("builtin (abs)", "abs(x)", "x |> abs"),
    ("bound method (dict.get)", "table.get(x)", "x |> table.get"),
    ("class with __init__", "Box(x)", "x |> Box"),
    ("Python function, x + 0", "function(x + 0)", "x + 0 |> function"),
]


def instructions(python: str, body: str, calls: int) -> int:
    # Inside a function, as hot code is: locals and globals are loaded as they would be there.
    program = f"{SETUP}\ndef loop():\n    x = 1\n    for _ in range({calls}):\n        {body}\nloop()\n"
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, "-c", program],
        capture_output=True,
        text=True,
        # A fixed hash seed: otherwise dict layouts, and so instruction counts, vary from run to run.
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    match = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or not match:
        raise SystemExit(f"callgrind failed for {body!r}:\n{result.stderr[-2000:]}")
    return int(match[1])


def pyperf_for(python: str) -> Path:
    """A directory with pyperf for PYTHONPATH (pure Python: the host's pip installs it for any interpreter)."""
    target = Path(python).parent.with_name(f"bench-{PYPERF.replace('==', '-')}")
    if not (target / "pyperf").is_dir():
        subprocess.run(
            [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), PYPERF],
            check=True,
        )
    return target


def nanoseconds(python: str, statement: str, pyperf: Path, rigor: str) -> float:
    """pyperf's mean time of `statement`, in nanoseconds."""
    setup = SETUP + "x = 1\n"
    result = subprocess.run(
        [python, "-m", "pyperf", "timeit", rigor, "--quiet", "--inherit-environ", "PYTHONPATH", "-s", setup, statement],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(pyperf)},
    )
    match = re.search(r"Mean \+- std dev: ([\d.]+) (ns|us)", result.stdout)
    if result.returncode != 0 or not match:
        raise SystemExit(f"pyperf failed for {statement!r}:\n{result.stdout[-1000:]}{result.stderr[-2000:]}")
    return float(match[1]) * (1000 if match[2] == "us" else 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpython", default="3.13")
    parser.add_argument("--calls", type=int, default=200_000)
    parser.add_argument("--no-pyperf", action="store_true", help="instruction counts only")
    parser.add_argument("--rigorous", action="store_true", help="pyperf --rigorous instead of --fast")
    args = parser.parse_args()

    python = harness("build", "--cpython", args.cpython).strip().splitlines()[-1]
    empty = instructions(python, "pass", args.calls)
    pyperf = None if args.no_pyperf else pyperf_for(python)
    rigor = "--rigorous" if args.rigorous else "--fast"
    print(f"per call: callgrind instructions ({args.calls} calls each) and pyperf {rigor} timings, {python}")
    print(f"{'callable':<26} {'f(x)':>8} {'x |> f':>8} {'ratio':>6} {'f(x) ns':>9} {'x |> f ns':>9} {'ratio':>6}")
    for label, called, piped in CASES:
        call = (instructions(python, called, args.calls) - empty) / args.calls
        pipe = (instructions(python, piped, args.calls) - empty) / args.calls
        timings = ""
        if pyperf:
            call_ns = nanoseconds(python, called, pyperf, rigor)
            pipe_ns = nanoseconds(python, piped, pyperf, rigor)
            timings = f" {call_ns:9.1f} {pipe_ns:9.1f} {pipe_ns / call_ns:6.3f}"
        print(f"{label:<26} {call:8.1f} {pipe:8.1f} {pipe / call:6.3f}{timings}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
