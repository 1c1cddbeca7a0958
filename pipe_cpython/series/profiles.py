"""What differs between CPython series, as data: one profile per series.

Everything the harness knows about one series lives here: the files its
`make regen-*` writes, the regen targets, the names of its grammar tests, and
how its Emscripten build is driven. Nothing else in the harness tests a series
number. A new series is a new entry in `PROFILES` (docs/how-to/add-a-cpython-version.md);
an unknown series is an error that says so.

Where a CPython tree keeps its own WebAssembly data (`config.toml` beside its
Emscripten driver, from 3.14 on: "any data that can vary between Python
versions is to be kept in this file"), `for_tree` overlays it on the profile,
so the tree's own pin wins over the harness's.
"""

from __future__ import annotations

import dataclasses
import enum
import re
from dataclasses import dataclass
from pathlib import Path

from ..core import project
from ..core.errors import HarnessError

EmscriptenVersion = tuple[int, int, int]

PROFILES_FILE = Path(__file__).resolve()
# Where CPython keeps its Emscripten driver and config.site, newest layout first.
EMSCRIPTEN_DIRS = ("Platforms/emscripten", "Tools/wasm/emscripten", "Tools/wasm")
CONFIG_SITE = "config.site-wasm32-emscripten"
# Where CPython keeps its WASI driver and config.site, newest layout first.
WASI_DIRS = ("Platforms/WASI", "Tools/wasm/wasi", "Tools/wasm")
WASI_CONFIG_SITE = "config.site-wasm32-wasi"


# An ES-module build (3.14 on) is started under node by the tree's own entry, which imports its streams module.
NODE_ENTRY = ("node_entry.mjs", "streams.mjs")


class ModuleKind(enum.Enum):
    """How the Emscripten build's JavaScript entry point is loaded."""

    CLASSIC = "classic"  # python.js: a script that defines a global factory (importScripts, require)
    ES_MODULE = "module"  # python.mjs: an ES module whose default export is the factory (import)


class StdlibDelivery(enum.Enum):
    """How the browser build's standard library reaches its file system."""

    # Emscripten's file packager data (python.data), listed in the loader and fetched by it (3.11, 3.13).
    PRELOADED = "preloaded"
    # A zip (`make pythonX.Y.zip`) that the page fetches and writes into the file system before start (3.14).
    ZIP = "zip"


@dataclass(frozen=True)
class EmscriptenProfile:
    """How one series is cross-compiled with Emscripten."""

    minimum: EmscriptenVersion
    # Versions at or above the minimum that are known not to build or run this series.
    known_bad: tuple[EmscriptenVersion, ...] = ()
    # The one version upstream builds this series with, when the tree pins one (config.toml).
    pinned: EmscriptenVersion | None = None
    # Before 3.14 configure picks node or browser output; from 3.14 one build serves both.
    target_option: bool = True
    entry_point: str = "python.js"
    module_kind: ModuleKind = ModuleKind.CLASSIC
    stdlib: StdlibDelivery = StdlibDelivery.PRELOADED
    # Linker stack size: CPython's default is too small for the interpreter's recursion (3.11, 3.13 set none).
    stack_size: str = "5MB"
    # Further configure options this series' WebAssembly build needs.
    configure_flags: tuple[str, ...] = ()
    # Where, in the tree, config.site lives (found in the tree by `for_tree`).
    config_dir: str = "Tools/wasm"
    # The pinned libraries (wasm/pins.json) the build links instead of Emscripten's ports, which download at
    # build time.
    libraries: tuple[str, ...] = ("zlib", "bzip2", "sqlite3", "mpdecimal")
    # The Debian suite whose emscripten package builds the series when no emsdk is active, and what else the
    # build needs from that suite.
    debian_suite: str = "trixie"
    debian_packages: tuple[str, ...] = ()
    # Whether every build of the series links dynamically (-sMAIN_MODULE), whatever its variant.
    always_dynamic: bool = False
    # Whether the page runs PyREPL, CPython's own REPL, on a pty (wasm/demo/pipe_pyrepl.py): that needs PyREPL
    # (3.13 on), the build's TTY object (EXPORTED_RUNTIME_METHODS) and PyErr_SetInterruptEx among the wasm's
    # exports (a dynamically linked build exports every symbol), for a Ctrl-C that ends a blocked read.
    pyrepl: bool = False
    # Make targets that need a newer LLVM than the Debian suite's emscripten is built on, each made first with
    # em-config's LLVM_ROOT pointed at that LLVM of the same root: {target: LLVM bin directory}.
    newer_llvm_targets: dict[str, str] = dataclasses.field(default_factory=dict)

    def config_site(self, tree: Path) -> Path:
        return tree / self.config_dir / CONFIG_SITE

    @property
    def node_files(self) -> tuple[str, ...]:
        """The tree's files (beside config.site) that node runs an ES-module build with, copied into the build."""
        return NODE_ENTRY if self.module_kind is ModuleKind.ES_MODULE else ()

    def node_argv(self, build_dir: Path) -> list[str]:
        """What node runs, before the interpreter's own arguments."""
        if self.module_kind is ModuleKind.CLASSIC:
            return [str(build_dir / self.entry_point)]
        # The entry mounts the host's directories, then starts the module, telling it its own path (sys.executable).
        return [str(build_dir / NODE_ENTRY[0]), f"--this-program={build_dir / self.entry_point}"]

    def refusal(self, version: EmscriptenVersion) -> str | None:
        """Why `version` cannot build this series, or None when it can."""
        if version < self.minimum:
            return f"older than the {format_emscripten(self.minimum)} it needs"
        if self.pinned and version < self.pinned:
            return f"older than the {format_emscripten(self.pinned)} the tree's config.toml pins"
        if version in self.known_bad:
            return "known not to build it"
        return None


@dataclass(frozen=True)
class WasiProfile:
    """How one series is cross-compiled for WASI (wasm32-wasip1)."""

    # Where, in the tree, config.site-wasm32-wasi lives (found in the tree by `for_tree`).
    config_dir: str = "Tools/wasm"
    configure_flags: tuple[str, ...] = ()
    # Native stack the runtime lets wasm frames use: upstream's 8 MiB (`ulimit -s`), which its own
    # recursion limits (Include/pythonrun.h, Lib/test/support) are measured against.
    max_stack: int = 8 * 1024 * 1024

    def config_site(self, tree: Path) -> Path:
        return tree / self.config_dir / WASI_CONFIG_SITE


@dataclass(frozen=True)
class FuzzerProfile:
    """Where a series' libFuzzer target (fuzz_pycompile, Modules/_xxtestfuzz/fuzzer.c) comes from."""

    # The series whose fuzzer.c is compiled: None for the series' own, a later one's where the series has no
    # fuzz_pycompile (it is new in 3.12).
    source_series: str | None = None
    # Lines of that fuzzer.c that use C API this series lacks, left out (none of them is fuzz_pycompile's).
    unsupported: tuple[str, ...] = ()


@dataclass(frozen=True)
class SeriesProfile:
    series: str
    # What `make <regen_targets>` writes: never committed, never exported.
    generated_files: tuple[str, ...]
    regen_targets: tuple[str, ...]
    # CPython's own tests that exercise what the patch series touches, as this series names them.
    grammar_tests: tuple[str, ...]
    # None where the harness has no build of the series for that platform yet (say so in the documentation): its steps
    # are skipped with that reason.
    emscripten: EmscriptenProfile | None = None
    wasi: WasiProfile | None = None
    fuzzer: FuzzerProfile = FuzzerProfile()
    # Whether configure takes --disable-gil (PEP 703: experimental in 3.13, supported from 3.14 by PEP 779).
    free_threading: bool = False

    def regrtest_allowlist(self, platform: str = "emscripten") -> Path:
        """The reviewed list of CPython tests that fail on a WebAssembly platform for this series, with reasons."""
        suffix = "" if platform == "emscripten" else f"-{platform}"
        return project.WASM / "regrtest-allowlist" / f"{self.series}{suffix}.txt"


_REGEN = ("regen-token", "regen-ast", "regen-pegen")
_GENERATED = (
    "Doc/library/token-list.inc",
    "Include/internal/pycore_ast.h",
    "Include/internal/pycore_ast_state.h",
    "Lib/token.py",
    "Parser/parser.c",
    "Parser/token.c",
    "Python/Python-ast.c",
)
_GRAMMAR_TESTS = (
    "test_grammar", "test_syntax", "test_ast", "test_unparse", "test_tokenize", "test_compile", "test_peepholer",
    "test_dis", "test_future_stmt", "test_traceback", "test_fstring", "test_exceptions",
)  # fmt: skip

PROFILES = {
    "3.11": SeriesProfile(
        series="3.11",
        generated_files=(*_GENERATED, "Include/token.h"),
        regen_targets=_REGEN,
        # Before 3.12 the __future__ tests were the single module test_future.
        grammar_tests=tuple("test_future" if t == "test_future_stmt" else t for t in _GRAMMAR_TESTS),
        # The minimum is the series' Tools/wasm/README.md.
        emscripten=EmscriptenProfile(minimum=(3, 1, 14)),
        # Tier 3 on 3.11 (configure.ac: wasm32-unknown-wasi/clang). wasi-libc's clock ids are pointers, which
        # clang 16 and later reject as ints unless told not to; 3.13's config.site says so itself.
        wasi=WasiProfile(configure_flags=("CFLAGS=-Wno-int-conversion",)),
        # PyConfig.int_max_str_digits is new in 3.12; fuzz_pycompile does not need it (it only raises the limit
        # for fuzz_builtin_int).
        fuzzer=FuzzerProfile(source_series="3.13", unsupported=("config.int_max_str_digits",)),
    ),
    "3.13": SeriesProfile(
        series="3.13",
        generated_files=(*_GENERATED, "Include/internal/pycore_token.h"),
        regen_targets=_REGEN,
        grammar_tests=_GRAMMAR_TESTS,
        # With mimalloc (new in 3.13), sys.stdout and friends are None under node.
        emscripten=EmscriptenProfile(minimum=(3, 1, 19), configure_flags=("--without-mimalloc",)),
        wasi=WasiProfile(),
        free_threading=True,
    ),
    "3.14": SeriesProfile(
        series="3.14",
        generated_files=(*_GENERATED, "Include/internal/pycore_token.h"),
        regen_targets=_REGEN,
        # New in 3.14, and touched by the series: template strings and deferred annotations take pipes.
        grammar_tests=(*_GRAMMAR_TESTS, "test_tstring", "test_annotationlib"),
        emscripten=EmscriptenProfile(
            # Platforms/emscripten/config.toml pins 4.0.12; Debian trixie has 3.1.69, forky 6.0.5.
            minimum=(4, 0, 12),
            target_option=False,
            entry_point="python.mjs",
            module_kind=ModuleKind.ES_MODULE,
            stdlib=StdlibDelivery.ZIP,
            # As upstream's driver configures it: 30-bit digits (the fast ones), no IPv6 (no sockets).
            configure_flags=("--enable-big-digits=30", "--disable-ipv6"),
            # 3.14 builds ctypes for Emscripten.
            libraries=("zlib", "bzip2", "sqlite3", "mpdecimal", "libffi"),
            # Its platform code (emscripten_syscalls.c, emscripten_trampoline.c) calls JS helpers that only a main
            # module has, so a static build fails at start-up (CPython gh-156780); upstream's driver always links
            # dynamically.
            always_dynamic=True,
            pyrepl=True,
            debian_suite="forky",
            # Python/emscripten_trampoline_inner.c needs __builtin_wasm_test_function_pointer_signature, new in
            # LLVM 22 (CPython gh-137470); forky's emscripten is built on LLVM 21.
            debian_packages=("clang-22", "lld-22"),
            newer_llvm_targets={"Python/emscripten_trampoline_inner.wasm": "/usr/lib/llvm-22/bin"},
        ),
        # The same layout as 3.13's (Tools/wasm/wasi); 3.15 moves it to Platforms/WASI.
        wasi=WasiProfile(),
        free_threading=True,
    ),
}


def profile(series: str) -> SeriesProfile:
    """The series' profile, or an error that says what to add."""
    if series in PROFILES:
        return PROFILES[series]
    nearest = max(PROFILES, key=_series_key)
    raise HarnessError(
        f"the harness has no profile of CPython {series} (have: {', '.join(sorted(PROFILES, key=_series_key))})",
        hint=f"add one to PROFILES in {PROFILES_FILE}: start from {nearest}'s and check each field against "
        f"CPython {series}'s Makefile.pre.in, Lib/test and Emscripten driver (docs/how-to/add-a-cpython-version.md)",
    )


def for_tree(series: str, tree: Path) -> SeriesProfile:
    """The series' profile with what the CPython tree itself says overlaid (its WebAssembly layouts and pin)."""
    base = profile(series)
    emscripten = base.emscripten and _laid_out(base.emscripten, tree, EMSCRIPTEN_DIRS, CONFIG_SITE)
    pinned = emscripten and tree_emscripten_pin(tree / emscripten.config_dir)
    if pinned:
        emscripten = dataclasses.replace(emscripten, pinned=pinned)
    wasi = base.wasi and _laid_out(base.wasi, tree, WASI_DIRS, WASI_CONFIG_SITE)
    return dataclasses.replace(base, emscripten=emscripten, wasi=wasi)


def _laid_out(platform, tree: Path, directories: tuple[str, ...], config_site: str):
    """A platform's profile with `config_dir` the first of `directories` that holds `config_site` in the tree."""
    found = next((d for d in directories if (tree / d / config_site).exists()), platform.config_dir)
    return dataclasses.replace(platform, config_dir=found)


def tree_emscripten_pin(directory: Path) -> EmscriptenVersion | None:
    """The Emscripten version a CPython tree pins: `emscripten-version` in config.toml, or emscripten_version.txt."""
    config = directory / "config.toml"
    if config.exists():
        return parse_emscripten(_toml_string(config, "emscripten-version"), config)
    text_file = directory / "emscripten_version.txt"
    if text_file.exists():
        return parse_emscripten(text_file.read_text().strip(), text_file)
    return None


def _toml_string(path: Path, key: str) -> str:
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: only this one top-level string is needed
        match = re.search(rf'^{re.escape(key)}\s*=\s*"([^"]*)"', path.read_text(), re.M)
        value = match[1] if match else None
    else:
        value = tomllib.loads(path.read_text()).get(key)
    if not isinstance(value, str):
        raise HarnessError(f"{path} has no {key} string", hint="check the file against CPython's own copy")
    return value


def parse_emscripten(text: str, where: Path) -> EmscriptenVersion:
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", text.strip())
    if not match:
        raise HarnessError(f"{where}: {text!r} is not an Emscripten version (X.Y.Z)")
    return tuple(int(n) for n in match.groups())


def format_emscripten(version: EmscriptenVersion) -> str:
    return ".".join(map(str, version))


def _series_key(series: str) -> tuple[int, ...]:
    return tuple(int(n) for n in series.split("."))
