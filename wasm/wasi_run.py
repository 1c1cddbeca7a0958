"""Run a WASI command module (python.wasm) with wasmtime's Python package, like `wasmtime run`.

`python wasi_run.py [--dir HOST::GUEST]... [--env NAME=VALUE]... [--max-wasm-stack BYTES] MODULE [ARGS...]`

The runtime for machines without the wasmtime CLI: the package bundles the
same engine. Compiling CPython's 7 MB module takes seconds, so the compiled
code is kept beside the module (MODULE.wasmtime-VERSION.cwasm) and reused
while the module is unchanged; start-up is then a fraction of a second.
The exit status is the module's.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from importlib.metadata import version
from pathlib import Path

import wasmtime

ASYNC_STACK_SIZE = 2 * 1024 * 1024


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="wasi_run.py", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", action="append", default=[], help="preopen HOST::GUEST (or HOST as itself)")
    parser.add_argument("--env", action="append", default=[], help="NAME=VALUE in the module's environment")
    parser.add_argument("--max-wasm-stack", type=int, help="bytes of native stack the module may use")
    parser.add_argument("module", type=Path)
    parser.add_argument("args", nargs=argparse.REMAINDER)
    return parser.parse_args(argv)


def compiled(engine: wasmtime.Engine, module: Path) -> wasmtime.Module:
    """The module compiled, from the cache beside it when that is newer than the module."""
    cache = module.with_name(f"{module.name}.wasmtime-{version('wasmtime')}.cwasm")
    try:
        if cache.stat().st_mtime_ns >= module.stat().st_mtime_ns:
            return wasmtime.Module.deserialize_file(engine, str(cache))
    except (OSError, wasmtime.WasmtimeError):
        pass
    code = wasmtime.Module.from_file(engine, str(module))
    try:
        fd, staging = tempfile.mkstemp(dir=module.parent, prefix=cache.name, suffix=".partial")
        with os.fdopen(fd, "wb") as file:
            file.write(code.serialize())
        os.replace(staging, cache)
    except OSError:
        pass  # a read-only build directory: compile again next time
    return code


def main(argv: list[str]) -> int:
    args = parse(argv)
    config = wasmtime.Config()
    if args.max_wasm_stack:
        # The package's engine runs wasm on a fixed 2 MiB stack and aborts if asked for more.
        config.max_wasm_stack = min(args.max_wasm_stack, ASYNC_STACK_SIZE)
    engine = wasmtime.Engine(config)
    wasi = wasmtime.WasiConfig()
    wasi.argv = [str(args.module), *args.args]
    wasi.env = [tuple(item.split("=", 1)) for item in args.env]
    for mapping in args.dir:
        host, _, guest = mapping.partition("::")
        wasi.preopen_dir(host, guest or host)
    wasi.inherit_stdin()
    wasi.inherit_stdout()
    wasi.inherit_stderr()
    store = wasmtime.Store(engine)
    store.set_wasi(wasi)
    linker = wasmtime.Linker(engine)
    linker.define_wasi()
    instance = linker.instantiate(store, compiled(engine, args.module))
    try:
        instance.exports(store)["_start"](store)
    except wasmtime.ExitTrap as exit:
        return exit.code
    except wasmtime.Trap as trap:
        print(f"wasi_run.py: {args.module.name} trapped: {trap.message}", file=sys.stderr)
        return 134
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
