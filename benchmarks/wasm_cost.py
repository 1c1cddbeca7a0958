"""What the WebAssembly builds cost: sizes, start-up, and the conformance suite, native against node and WASI.

A benchmark, not a test: it prints a table and never fails on the numbers.
Usage (what `nox -s bench-wasm` runs): python benchmarks/wasm_cost.py [--cpython 3.13] [--runs 7]

Start-up times are medians of --runs runs of `python -c pass`. The node
interpreter runs inside the Emscripten chroot when there is no emsdk; the
time to enter the chroot alone is measured too and shown beside it. The WASI
interpreter runs under wasmtime (its CLI, or its PyPI package), on the host.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import sys
from pathlib import Path

from common import PROJECT, harness, paths, seconds

CONFORMANCE = PROJECT / "tests" / "conformance" / "run.py"


def median_seconds(command: list[str], runs: int) -> float:
    return statistics.median(seconds(command) for _ in range(runs))


def megabytes(size: int) -> str:
    return f"{size / 1e6:6.1f} MB"


def size_row(label: str, path: Path) -> None:
    data = path.read_bytes()
    print(f"{label:<44} {megabytes(len(data))}  gzip -9: {megabytes(len(gzip.compress(data, 9)))}")


def debug_section_bytes(module: bytes) -> int:
    """Bytes of a wasm module's DWARF (custom sections named .debug_*), which a stripped module leaves out."""
    total, at = 0, 8  # after the magic number and the version
    while at < len(module):
        section_id, at = module[at], at + 1
        size, at = leb128(module, at)
        if section_id == 0:
            name_length, name_at = leb128(module, at)
            if module[name_at : name_at + name_length].startswith(b".debug"):
                total += size
        at += size
    return total


def leb128(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte, at = data[at], at + 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, at


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cpython", default="3.13")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    version = ["--cpython", args.cpython]

    harness("build-wasm", *version)
    harness("build-wasm", *version, "--target", "browser")
    has_wasi = built_for_wasi(version)
    found = paths(version)
    builds = found["builds"]
    native, node = [found["interpreter"]], builds["emscripten-node"]["patched"]["command"]
    node_dir = Path(builds["emscripten-node"]["patched"]["directory"])
    browser = Path(builds["emscripten-browser"]["patched"]["directory"])
    print(f"WebAssembly build of CPython {found['version']}")

    size_row("node: python.wasm", node_dir / "python.wasm")
    size_row("browser: python.wasm", browser / "python.wasm")
    size_row("browser: python.data (the stdlib bundle)", browser / "python.data")
    size_row("browser: python.js", browser / "python.js")

    entering = [*node[: node.index("node")], "true"]
    native_start = median_seconds([*native, "-c", "pass"], args.runs)
    chroot = median_seconds(entering, args.runs)
    node_start = median_seconds([*node, "-c", "pass"], args.runs)
    print(f"{'start-up, python -c pass: native':<44} {native_start:8.3f} s")
    print(
        f"{'start-up, python -c pass: node':<44} {node_start:8.3f} s  "
        f"({chroot:.3f} s of it entering the chroot; {node_start / native_start:.0f}x native)"
    )

    native_suite = seconds([*native, str(CONFORMANCE)])
    node_suite = seconds([*node, str(CONFORMANCE)])
    print(f"{'conformance suite: native':<44} {native_suite:8.2f} s")
    print(f"{'conformance suite: node':<44} {node_suite:8.2f} s  ratio {node_suite / native_suite:.1f}")

    if not has_wasi:
        return 0
    wasi = builds["wasi"]["patched"]
    module = Path(wasi["directory"]) / "python.wasm"
    size_row("wasi: python.wasm", module)
    stripped = module.stat().st_size - debug_section_bytes(module.read_bytes())
    print(f"{'wasi: python.wasm without DWARF sections':<44} {megabytes(stripped)}")
    wasi_start = median_seconds([*wasi["command"], "-c", "pass"], args.runs)
    print(f"{'start-up, python -c pass: WASI':<44} {wasi_start:8.3f} s  ({wasi_start / native_start:.0f}x native)")
    wasi_suite = seconds([*wasi["command"], str(CONFORMANCE)])
    print(f"{'conformance suite: WASI':<44} {wasi_suite:8.2f} s  ratio {wasi_suite / native_suite:.1f}")
    return 0


def built_for_wasi(version: list[str]) -> bool:
    """Build WASI; a series without a WASI build is refused, which here is a line of the table, not a failure."""
    try:
        harness("build-wasi", *version)
    except SystemExit as failure:
        if "has no WASI build" not in str(failure):
            raise
        print(f"WASI: {str(failure).splitlines()[-1].removeprefix('pipe-cpython: error: ')}")
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
