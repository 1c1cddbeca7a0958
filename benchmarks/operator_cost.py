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
functions = [function]
"""
# Where the loop runs, which decides how names are loaded: function locals and globals (LOAD_FAST,
# LOAD_GLOBAL), `x` as a parameter (never deleted, so bound on every path, even to 3.11),
# module-level names (LOAD_NAME), a closure's free variable (LOAD_DEREF), a local that may be
# unbound (LOAD_FAST_CHECK). BODY is the statement measured; `x` is bound before the loop.
SCOPES = {
    "function": "def loop():\n    x = 1\n    for _ in range(CALLS):\n        BODY\nloop()\n",
    "parameter": "def loop(x):\n    for _ in range(CALLS):\n        BODY\nloop(1)\n",
    "module": "x = 1\nfor _ in range(CALLS):\n    BODY\n",
    "closure": (
        "def outer():\n    stage = function\n    def loop():\n        x = 1\n        for _ in range(CALLS):\n"
        "            BODY\n    return loop\nouter()()\n"
    ),
    "maybe unbound": (
        "def loop(bind):\n    if bind:\n        stage = function\n    x = 1\n    for _ in range(CALLS):\n"
        "        BODY\nloop(True)\n"
    ),
}
# (label, scope, the call, the pipe): in a function `x` is a local bound on every path, which may be
# loaded after the callable; `x + 0` is an expression, which keeps the rotation.
CASES = [
    ("Python function", "function", "function(x)", "x |> function"),
    ("builtin (abs)", "function", "abs(x)", "x |> abs"),
    ("bound method (dict.get)", "function", "table.get(x)", "x |> table.get"),
    ("class with __init__", "function", "Box(x)", "x |> Box"),
    ("Python function, x + 0", "function", "function(x + 0)", "x + 0 |> function"),
    ("parameter operand", "parameter", "function(x)", "x |> function"),
    ("constant operand", "function", "function(1)", "1 |> function"),
    ("module-level names", "module", "function(x)", "x |> function"),
    ("closure callable", "closure", "stage(x)", "x |> stage"),
    ("closure callable, x + 0", "closure", "stage(x + 0)", "x + 0 |> stage"),
    ("may-be-unbound callable, x + 0", "maybe unbound", "stage(x + 0)", "x + 0 |> stage"),
    ("subscript callable", "function", "functions[0](x)", "x |> functions[0]"),
]
# Run in the measured interpreter: the SWAPs of a program and of every code object in it.
COUNT_SWAPS = """
import dis, sys
pending, count = [compile(sys.argv[1], "<bench>", "exec")], 0
while pending:
    code = pending.pop()
    count += sum(i.opname == "SWAP" for i in dis.get_instructions(code))
    pending += [c for c in code.co_consts if hasattr(c, "co_code")]
print(count)
"""


def program(scope: str, body: str, calls: int) -> str:
    return SETUP + SCOPES[scope].replace("CALLS", str(calls)).replace("BODY", body)


def instructions(python: str, scope: str, body: str, calls: int) -> int:
    result = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", python, "-c", program(scope, body, calls)],
        capture_output=True,
        text=True,
        # A fixed hash seed: otherwise dict layouts, and so instruction counts, vary from run to run.
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )
    match = re.search(r"Collected : (\d+)", result.stderr)
    if result.returncode != 0 or not match:
        raise SystemExit(f"callgrind failed for {body!r}:\n{result.stderr[-2000:]}")
    return int(match[1])


def rotations(python: str, scope: str, called: str, piped: str) -> int:
    """The SWAPs the pipe costs beyond the call, as the measured interpreter compiles them."""

    def swaps(body: str) -> int:
        command = [python, "-c", COUNT_SWAPS, program(scope, body, 1)]
        return int(subprocess.run(command, capture_output=True, text=True, check=True).stdout)

    return swaps(piped) - swaps(called)


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
    empty = {scope: instructions(python, scope, "pass", args.calls) for scope in SCOPES}
    pyperf = None if args.no_pyperf else pyperf_for(python)
    rigor = "--rigorous" if args.rigorous else "--fast"
    print(f"per call: callgrind instructions ({args.calls} calls each) and pyperf {rigor} timings, {python}")
    print("SWAPs: the rotations the pipe costs beyond the call; timings (pyperf timeit) for the function rows")
    header = f"{'callable':<32} {'SWAPs':>5} {'f(x)':>8} {'x |> f':>8} {'ratio':>6}"
    print(header + (f" {'f(x) ns':>9} {'x |> f ns':>9} {'ratio':>6}" if pyperf else ""))
    for label, scope, called, piped in CASES:
        call = (instructions(python, scope, called, args.calls) - empty[scope]) / args.calls
        pipe = (instructions(python, scope, piped, args.calls) - empty[scope]) / args.calls
        timings = ""
        if pyperf and scope == "function":
            call_ns = nanoseconds(python, called, pyperf, rigor)
            pipe_ns = nanoseconds(python, piped, pyperf, rigor)
            timings = f" {call_ns:9.1f} {pipe_ns:9.1f} {pipe_ns / call_ns:6.3f}"
        swaps = rotations(python, scope, called, piped)
        print(f"{label:<32} {swaps:5d} {call:8.1f} {pipe:8.1f} {pipe / call:6.3f}{timings}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
