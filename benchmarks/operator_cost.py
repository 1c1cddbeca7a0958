"""What `x |> f` costs against `f(x)`: instructions per call under callgrind, same build, same run.

A benchmark, not a test: it prints a table and never fails on the numbers.
Usage (what `nox -s bench-operator` runs): python benchmarks/operator_cost.py [--cpython 3.13] [--calls N]

Each cell runs a loop of N iterations in the patched interpreter under
`valgrind --tool=callgrind`; the instructions of the same loop with an empty
body are subtracted, so what remains is the cost of one call (or pipe).
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys

SETUP = """
def function(v):
    return v
class Box:
    def __init__(self, v):
        self.v = v
table = {}
"""
CALLABLES = {
    "Python function": "function",
    "builtin (abs)": "abs",
    "bound method (dict.get)": "table.get",
    "class with __init__": "Box",
}


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpython", default="3.13")
    parser.add_argument("--calls", type=int, default=200_000)
    args = parser.parse_args()

    build = subprocess.run(
        [sys.executable, "-m", "pipe_cpython", "build", "--cpython", args.cpython, "-q"],
        capture_output=True,
        text=True,
        check=True,
    )
    python = build.stdout.strip().splitlines()[-1]
    empty = instructions(python, "pass", args.calls)
    print(f"instructions per call, {args.calls} calls each, callgrind, {python}")
    print(f"{'callable':<26} {'f(x)':>8} {'x |> f':>8} {'ratio':>7}")
    for label, name in CALLABLES.items():
        call = (instructions(python, f"{name}(x)", args.calls) - empty) / args.calls
        pipe = (instructions(python, f"x |> {name}", args.calls) - empty) / args.calls
        print(f"{label:<26} {call:8.1f} {pipe:8.1f} {pipe / call:7.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
