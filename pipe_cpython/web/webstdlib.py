"""The page's standard library: the browser build's own bundle, less what a browser REPL cannot use.

CPython's browser build packs the stdlib into `lib/pythonXY.zip`, bytecode
deflated file by file (3.5 MB for 3.13). Up to 3.13 Emscripten's file packager
puts it, `os.py` and `lib-dynload/` into python.data, whose table of contents
(file names and byte ranges) is written into python.js: `repack` rewrites
both. From 3.14 the build makes the zip alone (`make pythonX.Y.zip`) and the
page writes it into the file system before the interpreter starts: `place`
writes the page's copy and says where each file goes. Upstream's choice of modules (`Tools/wasm/wasm_assets.py`: no test
suites, `ensurepip`, `venv`, `idlelib`, `tkinter`, synchronous networking,
and modules whose C extension the build lacks) is read from its bundle, so it
follows the build; EXCLUDED and ADDED are this project's reviewed changes.

The modules stay bytecode by default. As sources (`Form.SOURCES`, as Pyodide
ships its stdlib) the bundle is a third smaller and tracebacks into it show
their lines, but every module is compiled in the browser when first imported:
measured, the console's own imports made the first prompt 0.26 s later (so
they stay bytecode in that form too, `hot_sources`), and importing
statistics, pydoc, email.message and asyncio took 2.1 s against 0.7 s.
"""

from __future__ import annotations

import enum
import io
import marshal
import re
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import HarnessError


class Form(enum.Enum):
    """How the page's stdlib modules are shipped."""

    BYTECODE = "bytecode"  # upstream's: quick to import
    SOURCES = "sources"  # smaller, lines in tracebacks; compiled in the browser at first import


# Beyond upstream's list: path prefixes under Lib/ that a REPL in a browser page cannot use, with why.
# (3.13's _pyrepl, the terminal REPL, stays: pydoc, site and _sitebuiltins import it, and help() its pager.)
EXCLUDED = {
    "xmlrpc/": "its client and server need http, which upstream's bundle leaves out",
}
# Modules upstream's bundle leaves out that the page needs: rlcompleter goes with readline, which the browser
# build lacks, but it needs no readline, and the page's Tab runs it.
ADDED = ("rlcompleter.py",)

# Emscripten's file packager writes python.data's table of contents into python.js as this call.
PACKAGE_TABLE = re.compile(r"loadPackage\(\{files:\[(?P<files>[^\]]*)\],remote_package_size:(?P<size>\d+)\}\)")
PACKAGE_FILE = re.compile(r'\{filename:"(?P<name>[^"]+)",start:(?P<start>\d+),end:(?P<end>\d+)\}')


# Prints the stdlib files (relative to Lib/) the consoles import to reach their prompt and to answer a Tab: the
# basic console, and PyREPL where the page runs it (argv[2] == "pyrepl").
HOT_PROBE = """
import io, os, sys
sys.path.insert(0, sys.argv[1])
import pipe_console
sys.__stdout__ = io.StringIO()
pipe_console.PageConsole({}).answer("math.fa")
if sys.argv[2] == "pyrepl":
    import pipe_pyrepl
    pipe_pyrepl.preload()
for module in list(sys.modules.values()):
    origin = getattr(getattr(module, "__spec__", None), "origin", None) or ""
    if origin.startswith(sys._stdlib_dir + os.sep):
        print(os.path.relpath(origin, sys._stdlib_dir))
"""


def bytecode(python: Path, source: Path) -> bytes:
    """`source` compiled by `python` (the native build of the tree whose browser build will run it)."""
    compile_it = "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)"
    with tempfile.TemporaryDirectory() as scratch:
        compiled = Path(scratch) / (source.stem + ".pyc")
        result = subprocess.run([str(python), "-c", compile_it, str(source), str(compiled)], capture_output=True)
        if result.returncode != 0:
            raise HarnessError(f"{python} could not compile {source}:\n{result.stderr.decode().strip()}")
        return compiled.read_bytes()


def hot_sources(python: Path, console_dir: Path, pyrepl: bool = False) -> set[str]:
    """The stdlib sources (`json/decoder.py`) the page's console imports at start-up and at its first Tab (and
    PyREPL before its first prompt, where the page runs it)."""
    probe = [str(python), "-c", HOT_PROBE, str(console_dir), "pyrepl" if pyrepl else "basic"]
    result = subprocess.run(probe, capture_output=True, text=True)
    if result.returncode != 0:
        raise HarnessError(f"the page's console does not run natively:\n{result.stderr.strip()}")
    return set(result.stdout.split())


@dataclass(frozen=True)
class Image:
    """What the page's stdlib bundle is made of: the tree's Lib/, and its native build, which compiles for it."""

    lib: Path
    python: Path  # the native build of the same tree (the same bytecode format as the browser build's)
    form: Form = Form.BYTECODE
    hot: frozenset[str] = frozenset()  # sources (`json/decoder.py`) that stay bytecode in Form.SOURCES

    def bundle(self, upstream: bytes) -> tuple[bytes, list[str]]:
        """Upstream's bundle less EXCLUDED plus ADDED, each module in this form; and what EXCLUDED left out."""
        with zipfile.ZipFile(io.BytesIO(upstream)) as archive:
            compiled = {name.removesuffix(".pyc"): archive.read(name) for name in archive.namelist()}
        modules = sorted({*compiled, *(name.removesuffix(".py") for name in ADDED)})
        left_out = [f"{module}.py" for module in modules if f"{module}.py".startswith(tuple(EXCLUDED))]
        output = io.BytesIO()
        with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as zipped:
            for module in modules:
                source = self.lib / f"{module}.py"
                if f"{module}.py" in left_out:
                    continue
                if self.form is Form.SOURCES and source.is_file() and f"{module}.py" not in self.hot:
                    name, data = f"{module}.py", source.read_bytes()
                else:
                    name, data = f"{module}.pyc", compiled.get(module) or bytecode(self.python, source)
                # A fixed timestamp: the same modules give the same bundle.
                zipped.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), data, zipfile.ZIP_DEFLATED, 9)
        return output.getvalue(), left_out


def read_package(loader: str, data: bytes) -> dict[str, bytes]:
    """The files of a file packager's data file, by name, from the table of contents in its loader (python.js)."""
    table = PACKAGE_TABLE.search(loader)
    if not table or int(table["size"]) != len(data):
        raise HarnessError(
            "python.js has no file packager table of contents that matches python.data",
            hint="this Emscripten writes another format; teach pipe_cpython/web/webstdlib.py to read it",
        )
    return {m["name"]: data[int(m["start"]) : int(m["end"])] for m in PACKAGE_FILE.finditer(table["files"])}


def write_package(loader: str, files: dict[str, bytes]) -> tuple[str, bytes]:
    """The loader with a new table of contents, and the data file it describes."""
    data, entries, start = io.BytesIO(), [], 0
    for name, content in files.items():
        data.write(content)
        entries.append(f'{{filename:"{name}",start:{start},end:{start + len(content)}}}')
        start += len(content)
    table = f"loadPackage({{files:[{','.join(entries)}],remote_package_size:{start}}})"
    return PACKAGE_TABLE.sub(lambda _: table, loader, count=1), data.getvalue()


def repack(build: Path, loader_name: str, output: Path, image: Image, beside_os: dict[str, bytes]) -> list[str]:
    """Write the loader (python.js) and python.data to `output`: the build's package with the image's bundle, and
    `beside_os` as files in the stdlib's directory (where os.py is, on sys.path). Returns what EXCLUDED left out."""
    loader = (build / loader_name).read_text()
    files = read_package(loader, (build / "python.data").read_bytes())
    bundles = [name for name in files if re.fullmatch(r".*/lib/python\d+\.zip", name)]
    stdlib_dirs = [name.removesuffix("/os.py") for name in files if name.endswith("/os.py")]
    if len(bundles) != 1 or len(stdlib_dirs) != 1:
        raise HarnessError(f"python.data should hold one stdlib zip and one os.py, not {sorted(files)}")
    files[bundles[0]], left_out = image.bundle(files[bundles[0]])
    files.update({f"{stdlib_dirs[0]}/{name}": content for name, content in beside_os.items()})
    loader, data = write_package(loader, files)
    (output / loader_name).write_text(loader)
    (output / "python.data").write_bytes(data)
    return left_out


# Where the page writes its stdlib into the file system itself: the core's zip, the units beyond it (fetched
# on import), and their manifest, which the page's finder reads (wasm/demo/pipe_stdlib.py).
STDLIB_ZIP = "stdlib.zip"
UNITS_DIR = "stdlib"
MANIFEST = "pipe_stdlib.marshal"
# Where the interpreter loads its C modules from (on sys.path), relative to the stdlib's directory.
DYNLOAD = "lib-dynload"
# Side modules fetched with the package that imports them, in one request: {module: unit}; any other is a unit
# of its own.
EXTENSION_UNITS = {
    "_sqlite3": "sqlite3",
    "_decimal": "decimal",
    "pyexpat": "xml",
    "_elementtree": "xml",
    "_pickle": "pickle",
    "_asyncio": "asyncio",
    "_socket": "socket",
    "_zoneinfo": "zoneinfo",
    "_csv": "csv",
    "_lsprof": "cProfile",
    "_bz2": "bz2",
    **dict.fromkeys(("_md5", "_sha1", "_sha3", "_blake2"), "hashlib"),
}


@dataclass(frozen=True)
class Placement:
    """Files of the page that the worker writes into the interpreter's file system before it starts."""

    files: dict[str, str]  # the page's file name: its path in the file system
    directories: tuple[str, ...]  # made first (lib-dynload: getpath looks for it)


def place(
    build: Path, output: Path, image: Image, beside_os: dict[str, bytes], core: frozenset[str] | None
) -> tuple[list[str], Placement]:
    """Write the page's stdlib into `output` for a build whose page writes it into its file system: the `core`
    sources' modules (`json/decoder.py`; None: all of them) in the zip on sys.path, every other module in
    UNITS_DIR, one unit per top-level package or module, listed in MANIFEST (read by wasm/demo/pipe_stdlib.py,
    which fetches a unit when one of its modules is first imported); `beside_os` goes beside them, in the
    stdlib's directory. The build's side modules are units too, or, when every module is in the zip, files in
    lib-dynload. Returns what EXCLUDED left out, and where each file goes."""
    zips = sorted(build.glob("python3.*.zip"))
    if len(zips) != 1:
        raise HarnessError(
            f"{build} should hold one stdlib zip (pythonX.Y.zip), not {[z.name for z in zips]}",
            hint="rebuild it: python -m pipe_cpython build-wasm --target browser",
        )
    series = zips[0].name.removeprefix("python").removesuffix(".zip")
    stdlib_dir = f"{build_prefix(build)}/lib/python{series}"
    bundle, left_out = image.bundle(zips[0].read_bytes())
    extensions = side_modules(build)
    core_zip, units, manifest = split(bundle, core, extensions if core is not None else {})
    (output / STDLIB_ZIP).write_bytes(core_zip)
    (output / UNITS_DIR).mkdir()
    for unit, data in units.items():
        (output / UNITS_DIR / f"{unit}.bin").write_bytes(data)
    # Where getpath looks for the zip: the prefix's lib/, named without the dot (python314.zip).
    files = {STDLIB_ZIP: f"{build_prefix(build)}/lib/python{series.replace('.', '')}.zip"}
    placed = {**beside_os, MANIFEST: marshal.dumps(manifest)}
    if core is None:
        placed |= {f"{DYNLOAD}/{extension.name}": extension.read_bytes() for extension in extensions.values()}
        (output / DYNLOAD).mkdir()
    for name, content in placed.items():
        (output / name).write_bytes(content)
        files[name] = f"{stdlib_dir}/{name}"
    return left_out, Placement(files, (f"{stdlib_dir}/{DYNLOAD}",))


def side_modules(build: Path) -> dict[str, Path]:
    """The build's C modules that are side modules (its Makefile's SHAREDMODS), each with its file."""
    makefile = (build / "Makefile").read_text()
    shared = re.search(r"^SHAREDMODS=(.*)$", makefile, re.M)
    suffix = re.search(r"^EXT_SUFFIX=\s*(\S+)\s*$", makefile, re.M)
    if not shared:
        return {}
    if not suffix:
        raise HarnessError(f"{build / 'Makefile'} names no EXT_SUFFIX", hint="rebuild it: the build is incomplete")
    modules = re.findall(r"Modules/(\w+)\$\(EXT_SUFFIX\)", shared[1])
    files = {module: build / "Modules" / f"{module}{suffix[1]}" for module in modules}
    if missing := [path.name for path in files.values() if not path.is_file()]:
        raise HarnessError(
            f"{build} lacks side modules its Makefile lists: {', '.join(missing)}",
            hint="rebuild it: python -m pipe_cpython build-wasm --target browser",
        )
    return files


def split(
    bundle: bytes, core: frozenset[str] | None, extensions: dict[str, Path] | None = None
) -> tuple[bytes, dict[str, bytes], dict]:
    """The bundle's `core` modules (None: all) as a zip, and the others, with the `extensions` (side modules), as
    units (name: bytes) with their manifest: {"modules": {module: (unit, offset, length, form, is_package,
    path relative to the stdlib)}}; a side module's form is "ext", its path in DYNLOAD."""
    core_zip, units, modules = io.BytesIO(), {}, {}

    def add(module: str, unit: str, data: bytes, form: str, is_package: bool, path: str) -> None:
        content = units.setdefault(unit, bytearray())
        modules[module] = (unit, len(content), len(data), form, is_package, path)
        content += data

    with zipfile.ZipFile(io.BytesIO(bundle)) as archive, zipfile.ZipFile(core_zip, "w") as kept:
        for info in archive.infolist():
            path, form = info.filename.rsplit(".", 1)
            if core is None or f"{path}.py" in core:
                # Stored: the page's compressed copies then take the zip whole, across modules (3.14.7's core: 765 kB
                # deflated member by member, 548 kB stored and brotli'd, 725 kB stored and gzipped).
                kept.writestr(info, archive.read(info), zipfile.ZIP_STORED)
                continue
            module = path.removesuffix("/__init__").replace("/", ".")
            add(module, module.split(".")[0], archive.read(info), form, path.endswith("/__init__"), f"{path}.py")
    for module, extension in sorted((extensions or {}).items()):
        unit = EXTENSION_UNITS.get(module, module)
        add(module, unit, extension.read_bytes(), "ext", False, f"{DYNLOAD}/{extension.name}")
    return core_zip.getvalue(), {unit: bytes(content) for unit, content in units.items()}, {"modules": modules}


def build_prefix(build: Path) -> str:
    """Where the build's getpath looks for the stdlib at run time (its Makefile's host_prefix: `/` under
    Emscripten), without a trailing slash."""
    match = re.search(r"^host_prefix=\s*(\S+)\s*$", (build / "Makefile").read_text(), re.M)
    if not match:
        raise HarnessError(f"{build / 'Makefile'} names no host_prefix", hint="rebuild it: the build is incomplete")
    return match[1].rstrip("/")
