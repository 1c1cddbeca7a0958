"""A real package with a C extension on the WebAssembly fork: built by pyodide-build, its own tests run under node.

A benchmark, not a test: it prints what it measured and never fails on the numbers.
Usage (what `nox -s bench-wheel` runs): python benchmarks/wheel_package.py [--package markupsafe==3.0.2]

It builds the package's sdist with `wheel-wasm` (time and wheel size), then
runs the sdist's own tests with pytest (pure-Python wheels, pinned) under the
dynamic-linking node build, with the fork's wheel installed, and prints
pytest's summary and the time it took.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from pathlib import Path

from common import PROJECT, harness

# pytest and what it imports, all pure Python: they install on any interpreter.
PYTEST = ["pytest==8.4.2", "pluggy==1.6.0", "iniconfig==2.1.0", "packaging==25.0", "pygments==2.19.2"]


def download(requirements: list[str], destination: Path, *options: str) -> list[Path]:
    command = [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--dest", str(destination)]
    subprocess.run([*command, *options, *requirements], check=True)
    return sorted(destination.iterdir())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--package", default="markupsafe==3.0.2", help="a pinned requirement with a C extension")
    parser.add_argument("--cpython", default="3.13")
    args = parser.parse_args()
    version = ["--cpython", args.cpython]

    started = time.monotonic()
    wheel = Path(harness("wheel-wasm", *version, args.package).strip().splitlines()[-1])
    built = time.monotonic() - started
    print(f"{args.package}: wheel-wasm took {built:.1f} s -> {wheel.name} ({wheel.stat().st_size / 1e3:.1f} kB)")
    with zipfile.ZipFile(wheel) as archive:
        modules = [
            f"{i.filename} ({i.file_size / 1e3:.1f} kB)" for i in archive.infolist() if i.filename.endswith(".so")
        ]
    print(f"  its C extensions: {', '.join(modules) or 'none'}")

    # In the project: node may run in the Emscripten root, which sees the project and the cache, not /tmp.
    with tempfile.TemporaryDirectory(dir=PROJECT) as scratch:
        work = Path(scratch)
        (sdist,) = download([args.package], work / "sdist", "--no-binary=:all:")
        with tarfile.open(sdist) as archive:
            archive.extractall(work / "src", filter="data")
        (tree,) = (work / "src").iterdir()
        tools = download(PYTEST, work / "pytest", "--only-binary=:all:")
        wheels = [option for path in [wheel, *tools] for option in ("--wheel", str(path))]
        started = time.monotonic()
        result = subprocess.run(
            # --capture=sys: pytest's default capture swaps file descriptors, which loses node's output.
            [sys.executable, "-m", "pipe_cpython", "run-wasm", *version, *wheels, "--", "-m", "pytest", "-q",
             "--capture=sys", "-p", "no:cacheprovider", "--color=no", str(tree / "tests")],
            cwd=PROJECT, capture_output=True, text=True,
        )  # fmt: skip
        ran = time.monotonic() - started
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    print(f"its own tests under node (dynamic-linking build, pytest {PYTEST[0].split('==')[1]}): {summary}")
    print(f"  {ran:.1f} s, exit status {result.returncode}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
