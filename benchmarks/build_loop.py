"""How fast the build loop is: the harness against a plain build, and from a patch edit to a working interpreter.

A benchmark, not a test: it prints a table and never fails on the numbers.
Usage (what `nox -s bench-build` runs): python benchmarks/build_loop.py [--cpython 3.13] [--no-wasm] [--no-cold]

Rows, all in this one run:
- cold native build of the pristine release: `build --pristine --clean` against
  `configure && make -jN` in a fresh directory (target: within 5 %);
- edit the grammar patch's error message, then time until the patched
  interpreter (native, then WebAssembly under node) shows the new message
  (target: under 60 s), with the number of objects recompiled;
- the patch reverted, for the same cost back.
The edit is made in a copy of patches/; the project's own patches are not touched.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import PROJECT, harness, paths

MESSAGE = "'lambda' after '|>' must be parenthesized"
EDITED = "'lambda' after '|>' needs parentheses"
PROBE = "compile('x |> lambda v: v', '<probe>', 'eval')"


def timed(what: str, function, *args) -> float:
    """Seconds `function(*args)` took; says first what is being timed, as it can take minutes."""
    print(f"timing: {what} ...", file=sys.stderr, flush=True)
    start = time.monotonic()
    function(*args)
    return time.monotonic() - start


def objects_compiled(make_log: Path) -> int:
    return len(re.findall(r" -o \S+\.o\b", make_log.read_text(errors="replace"))) if make_log.exists() else 0


def plain_build(tree: Path, build_dir: Path) -> None:
    """What a CPython developer types, in a fresh directory."""
    shutil.rmtree(build_dir, ignore_errors=True)
    build_dir.mkdir(parents=True)
    for command in ([str(tree / "configure")], ["make", f"-j{os.cpu_count() or 2}"]):
        subprocess.run(command, cwd=build_dir, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)


def error_message(command: list[str]) -> str:
    result = subprocess.run([*command, "-c", PROBE], capture_output=True, text=True)
    return result.stderr.strip().splitlines()[-1] if result.stderr.strip() else result.stdout


def edited_series(patches: Path, series: str, old: str, new: str) -> None:
    grammar_patch = next((patches / series).glob("*-Parse-*.patch"))
    text = grammar_patch.read_text()
    if old not in text:
        raise SystemExit(f"{grammar_patch.name} has no {old!r} to edit")
    grammar_patch.write_text(text.replace(old, new))


def row(label: str, seconds: float, note: str = "") -> None:
    print(f"{label:<58} {seconds:8.1f} s  {note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpython", default="3.13")
    parser.add_argument("--no-wasm", action="store_true", help="skip the WebAssembly rows")
    parser.add_argument("--no-cold", action="store_true", help="skip the two cold builds (minutes each)")
    args = parser.parse_args()
    version = ["--cpython", args.cpython]

    harness("build", *version)
    if not args.no_wasm:
        harness("build-wasm", *version)
    found = paths(version)
    series = found["version"].rsplit(".", 1)[0]
    native_python = [found["interpreter"]]
    native_dir = Path(found["builds"]["native"]["patched"]["directory"])
    node = found["builds"]["emscripten-node"]["patched"]
    print(f"build loop, CPython {found['version']}, {os.cpu_count()} cores")

    if not args.no_cold:
        pristine_tree = Path(found["pristine_tree"])
        harness_seconds = timed("cold build by the harness", harness, "build", "--pristine", "--clean", *version)
        plain_dir = native_dir.with_name("bench-plain")
        plain_seconds = timed("cold configure && make", plain_build, pristine_tree, plain_dir)
        shutil.rmtree(plain_dir)
        row("cold native build, pristine: configure && make", plain_seconds)
        row(
            "cold native build, pristine: the harness",
            harness_seconds,
            f"ratio {harness_seconds / plain_seconds:.3f} (includes resolving the source)",
        )

    with tempfile.TemporaryDirectory() as scratch:
        patches = Path(scratch) / "patches"
        shutil.copytree(PROJECT / "patches", patches)
        make_log = native_dir / "make.log"
        for label, old, new in (("edit", MESSAGE, EDITED), ("revert", EDITED, MESSAGE)):
            edited_series(patches, series, old, new)
            seconds = timed(f"{label}: native build", harness, "build", *version, "--patches", str(patches))
            shown = error_message(native_python)
            if new not in shown:
                raise SystemExit(f"after the {label}, the native interpreter still says: {shown}")
            row(f"{label} one patch -> native REPL shows it", seconds, f"{objects_compiled(make_log)} objects compiled")
            if args.no_wasm:
                continue
            seconds = timed(f"{label}: wasm build", harness, "build-wasm", *version, "--patches", str(patches))
            shown = error_message(node["command"])
            if new not in shown:
                raise SystemExit(f"after the {label}, the wasm interpreter still says: {shown}")
            wasm_log = Path(node["directory"]) / "make.log"
            row(
                f"{label} one patch -> wasm (node) REPL shows it",
                seconds,
                f"{objects_compiled(wasm_log)} objects compiled (after the row above rebuilt the build python)",
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
