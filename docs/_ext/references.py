"""What the documentation may name, read from the code (nox's listing, the argument parser, the benchmarks, the
variables the code reads), and the check of a page's text against it. No Sphinx here: the harness's unit tests
run it (tests/harness/test_docs.py), and `pipe_docs` reports its findings as warnings."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import re
import subprocess
import sys
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LISTING_ENV = "PIPE_CPYTHON_NOX_LISTING"
# Sessions that hand what follows `--` to pytest or to a tool, not to the harness: their options are not checked.
PASSTHROUGH_SESSIONS = {"tests", "e2e", "browser-test", "wheels-test", "lint", "docs", "run", "repl"}


# -- what the code says --------------------------------------------------------------------------------------


@cache
def nox_listing() -> list[dict]:
    """nox's own listing of every session (`nox -l --json`), with its parameters and tags."""
    if os.environ.get(LISTING_ENV):
        return json.loads(Path(os.environ[LISTING_ENV]).read_text())
    result = subprocess.run(
        [sys.executable, "-m", "nox", "-l", "--json"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise RuntimeError(f"the docs need nox's listing: build them with `./nox -s docs` ({result.stderr.strip()})")
    return json.loads(result.stdout)


@cache
def harness_parser() -> argparse.ArgumentParser:
    return importlib.import_module("pipe_cpython.__main__").parser()


def steps() -> dict[str, argparse.ArgumentParser]:
    """Each step of `python -m pipe_cpython` and its parser (argparse keeps them in its subparsers action)."""
    (action,) = [a for a in harness_parser()._actions if isinstance(a, argparse._SubParsersAction)]
    return dict(action.choices)


@cache
def known_options() -> frozenset[str]:
    """Every option the harness's steps take, and those of the benchmark scripts their sessions run."""
    parsers = [harness_parser(), *steps().values()]
    found = {option for parser in parsers for action in parser._actions for option in action.option_strings}
    for script in (ROOT / "benchmarks").glob("*.py"):
        found |= set(re.findall(r"add_argument\(\s*\"(--[\w-]+)\"", script.read_text()))
    return frozenset(found)


@cache
def environment_names() -> frozenset[str]:
    """The PIPE_CPYTHON_* variables the code reads."""
    names = set()
    for path in [*ROOT.glob("pipe_cpython/**/*.py"), ROOT / "noxfile.py", *ROOT.glob("tests/**/*.py")]:
        names |= set(re.findall(r"PIPE_CPYTHON_[A-Z0-9_]+", path.read_text()))
    return frozenset(names)


# -- the checks ----------------------------------------------------------------------------------------------

SESSION_COMMAND = re.compile(r"(?:\./)?nox -s ((?:[a-z][\w-]*)(?: [a-z][\w-]*)*)((?: -- [^`\n]*)?)")
TAG_COMMAND = re.compile(r"(?:\./)?nox -t ((?:[a-z][\w-]*)(?: [a-z][\w-]*)*)")
STEP_COMMAND = re.compile(r"python3? -m pipe_cpython ([a-z][\w-]*)((?: [^`\n]*)?)")
ENVIRONMENT = re.compile(r"\bPIPE_CPYTHON_[A-Z0-9_]+\b")


def problems(text: str) -> list[tuple[int, str]]:
    """(line, what) for each session, tag, step, option or environment variable `text` names that does not exist."""
    listing = nox_listing()
    sessions = {session["name"] for session in listing}
    tags = {tag for session in listing for tag in session["tags"]}
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in SESSION_COMMAND.finditer(line):
            names = match[1].split()
            found += [(number, f"no session named {name!r}") for name in names if name not in sessions]
            if not set(names) & PASSTHROUGH_SESSIONS:
                found += [(number, problem) for problem in _option_problems(match[2].removeprefix(" -- "))]
        for match in TAG_COMMAND.finditer(line):
            found += [(number, f"no session is tagged {tag!r}") for tag in match[1].split() if tag not in tags]
        for match in STEP_COMMAND.finditer(line):
            if match[1] not in steps() and match[1] not in ("bootstrap",):
                found.append((number, f"`python -m pipe_cpython` has no step {match[1]!r}"))
            found += [(number, problem) for problem in _option_problems(match[2])]
        for name in ENVIRONMENT.findall(line):
            if name not in environment_names():
                found.append((number, f"the code reads no variable {name}"))
    return found


def _option_problems(arguments: str) -> list[str]:
    """Options before any `--` (after it, arguments belong to the tool the step runs) that no step takes."""
    words = arguments.split()
    words = words[: words.index("--")] if "--" in words else words
    return [
        f"no step takes the option {word.split('=')[0]}"
        for word in words
        if word.startswith("--") and word.split("=")[0] not in known_options()
    ]
