"""What the WebAssembly builds cost: sizes, start-up, and the conformance suite, native against node and WASI.

A benchmark, not a test: it prints a table and never fails on the numbers.
Usage (what `nox -s bench-wasm` runs): python benchmarks/wasm_cost.py [--cpython 3.13] [--runs 7]

Start-up times are medians of --runs runs of `python -c pass`. The node
interpreter runs inside the Emscripten chroot when there is no emsdk; the
time to enter the chroot alone is measured too and shown beside it. The WASI
interpreter runs under wasmtime (its CLI, or its PyPI package), on the host.

Then the node build's variants side by side: upstream's default (-O3), the
same compiled with -Os and with -Oz, and the dynamic-linking build that loads
C-extension wheels: python.wasm's size, start-up, a compute loop timed inside the
interpreter (medians of --runs), and the conformance suite, each with its
ratio to the default build.
"""

from __future__ import annotations

import argparse
import gzip
import statistics
import subprocess
import sys
from pathlib import Path

from common import PROJECT, harness, paths, seconds

from pipe_cpython.web import webstdlib

CONFORMANCE = PROJECT / "tests" / "conformance" / "run.py"
# Interpreter work without I/O or start-up: arithmetic, a dict, a sort, method calls, the pipe itself.
COMPUTE = (
    "import time; t = time.perf_counter(); sum(i * i for i in range(1_000_000)); "
    "d = {str(i): i for i in range(200_000)}; sorted(d, key=d.get); "
    "[(i |> str).upper() for i in range(300_000)]; print(time.perf_counter() - t)"
)


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
    # Up to 3.13 the file packager's python.data and a classic python.js; from 3.14 the zip and python.mjs.
    for bundle in [*browser.glob("python.data"), *browser.glob("python3.*.zip")]:
        size_row(f"browser: {bundle.name} (the stdlib bundle)", bundle)
    for entry in [*browser.glob("python.js"), *browser.glob("python.mjs")]:
        size_row(f"browser: {entry.name}", entry)

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

    compare_variants(version, args.runs)

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


def node_variants(version: list[str]) -> dict[str, str]:
    """The node build's variants, by their --variant name: the targets `paths` lists (emscripten-node-os, ...)."""
    names = [name for name in paths(version)["builds"] if name.startswith("emscripten-node")]
    return {name.removeprefix("emscripten-node").lstrip("-") or "default": name for name in names}


def compare_variants(version: list[str], runs: int) -> None:
    """The node build's variants side by side: size, start-up, compute, the suite; ratios to the default."""
    rows = {}
    for variant, name in node_variants(version).items():
        harness("build-wasm", *version, "--variant", variant)
        build = paths(version)["builds"][name]["patched"]
        data = (Path(build["directory"]) / "python.wasm").read_bytes()
        command = build["command"]
        rows[variant] = (
            len(data),
            len(gzip.compress(data, 9)),
            sum(path.stat().st_size for path in webstdlib.side_modules(Path(build["directory"])).values()),
            median_seconds([*command, "-c", "pass"], runs),
            statistics.median(float(output([*command, "-c", COMPUTE])) for _ in range(runs)),
            seconds([*command, str(CONFORMANCE)]),
        )
    # Side modules: the build's C modules outside python.wasm (the page's builds' SIDE_MODULES, CPython's test
    # modules that are shared anyway), loaded when imported.
    print(
        f"\n{'node build':<10} {'python.wasm':>14} {'gzip -9':>14} {'side modules':>14} {'start-up':>14} "
        f"{'compute':>14} {'suite':>14}"
    )
    base = rows["default"]
    for variant, row in rows.items():
        cells = [f"{megabytes(row[0])} {row[0] / base[0]:4.2f}", f"{megabytes(row[1])} {row[1] / base[1]:4.2f}"]
        cells.append(megabytes(row[2]))
        cells += [f"{value:7.3f} s {value / base[i]:4.2f}" for i, value in enumerate(row[3:], start=3)]
        print(f"{variant:<10} " + " ".join(f"{cell:>14}" for cell in cells))


def output(command: list[str]) -> str:
    return subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, check=True).stdout.strip()


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
