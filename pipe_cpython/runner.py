"""Running the built interpreter: commands, the conformance suite, CPython's own tests."""

from __future__ import annotations

import subprocess
from pathlib import Path

from . import log
from .errors import HarnessError

# CPython's own tests that exercise what the patch series touches.
GRAMMAR_TESTS = (
    "test_grammar",
    "test_syntax",
    "test_ast",
    "test_unparse",
    "test_tokenize",
    "test_compile",
    "test_dis",
    "test_future_stmt",
    "test_traceback",
    "test_fstring",
    "test_exceptions",
)

SEED_PROGRAM = """\
double = lambda v: v * 2
increment = lambda v: v + 1
print(2 |> double |> increment |> double)
"""


def run(python: Path, args: list[str]) -> int:
    """Run the interpreter with the user's arguments and terminal; return its exit status."""
    return subprocess.run([str(python), *args]).returncode


def smoke_test(python: Path) -> None:
    """Prove the interpreter really is the fork: the seed pipeline must print 10."""
    result = subprocess.run([str(python), "-c", SEED_PROGRAM], capture_output=True, text=True)
    if result.returncode != 0 or result.stdout.strip() != "10":
        raise HarnessError(
            f"{python} does not evaluate the seed pipeline (exit {result.returncode}):\n{result.stdout}{result.stderr}",
            hint="the build may be stale or the patches incomplete: rebuild with --clean",
        )
    log.info("smoke test: 2 |> double |> increment |> double == 10")


def conformance(python: Path, suite_dir: Path, args: list[str]) -> int:
    with log.step(f"conformance suite on {python}"):
        return subprocess.run([str(python), str(suite_dir / "run.py"), *args]).returncode


def regrtest(python: Path, tests: list[str], jobs: int, args: list[str]) -> int:
    tests = tests or list(GRAMMAR_TESTS)
    with log.step(f"CPython's regression tests ({len(tests)} modules, -j{jobs})"):
        # `cpu` adds the whole-stdlib round trips of test_unparse and test_tokenize.
        command = [str(python), "-m", "test", f"-j{jobs}", "--timeout=900", "-u", "cpu", *args, *tests]
        return subprocess.run(command).returncode
