"""Where things are in this repository: every path the harness reads from the project, named once."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PATCHES = ROOT / "patches"
CONFORMANCE = ROOT / "tests" / "conformance"
SPEC = ROOT / "grammar" / "pipe-operator.md"
# The fork's tokens, added to CPython's own dictionary for libFuzzer's fuzz_pycompile.
FUZZ_DICTIONARY = ROOT / "tests" / "fuzz-compiler" / "pipe.dict"
ORACLE = ROOT / "tests" / "differential" / "oracle.py"
WASM = ROOT / "wasm"
PINS = WASM / "pins.json"
DEMO_PAGE = WASM / "demo"
REGRTEST_NODE_DRIVER = WASM / "regrtest_node.py"
# The reviewed differences between the patched and the pristine build in CPython's whole suite, per series.
FULL_SUITE_ALLOWLISTS = ROOT / "tests" / "regrtest-full-allowlist"
REALWORLD_REQUIREMENTS = ROOT / "tests" / "realworld" / "requirements.txt"
# The plugins that teach pytest, mypy and pylint `|>` (a package each), and the tests of the fork in the tools
# people run on it (run inside a virtual environment of the fork).
PLUGINS = ROOT / "plugins"
TOOLS_TESTS = ROOT / "tests" / "tools"
# realworld's runtime half: the pinned source distributions whose test suites run piped, and the script that pipes.
REALWORLD_SUITES = ROOT / "tests" / "realworld" / "suites.txt"
PIPE_CALLS = ROOT / "tests" / "realworld" / "pipe_calls.py"
