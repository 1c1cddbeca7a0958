"""Build targets: what the harness builds from a prepared tree, behind one small interface, in one registry.

A target knows how to build itself into a directory the plan gives it, and
how to run what it built. A new target is a new `Target` subclass and a
line in `TARGETS` (WASI was added so): the plan and the runners do not change.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import ClassVar, Protocol

from ..checkout.patches import Flavour
from ..checkout.sources import WorkTree
from ..core.cache import Cache
from ..core.errors import HarnessError, Skipped
from ..proofs import libfuzzer
from ..series.profiles import EmscriptenProfile, SeriesProfile, WasiProfile
from . import native, wasi, wasm
from .toolchain import Toolchain


class BuildOptions(Protocol):
    configure_args: tuple[str, ...]
    allow_missing_modules: bool


class Built(Protocol):
    directory: Path


class Plan(Protocol):
    """What a target asks of the plan that builds it (plan.Plan is one); a protocol, so that the targets, which
    the plan chooses among, need not know the plan."""

    options: BuildOptions
    cache: Cache
    profile: SeriesProfile
    emscripten_profile: EmscriptenProfile
    wasi_profile: WasiProfile
    fuzzer_tree: WorkTree
    toolchain: Toolchain
    wasi_toolchain: wasi.WasiToolchain
    wasi_runtime: wasi.Runtime

    def prepared(self, flavour: Flavour) -> WorkTree: ...

    def build(self, target: Target, flavour: Flavour | None = None) -> Built: ...


class Target(ABC):
    name: str  # its key in TARGETS
    directory: str  # its build directory, under the release's builds in the cache
    label: str  # how messages name it
    # The Debian package groups (deps.GROUPS) it needs, installed before anything else runs (tar and xz
    # unpack the source itself).
    package_groups: tuple[str, ...] = ("native",)

    def check(self, plan: Plan) -> None:  # noqa: B027 (most targets build for every series)
        """Raise when the plan's series has no such build (Skipped where that is a fact, not a failure); called
        before anything is installed or built."""

    def directory_name(self, plan: Plan) -> str:
        """The name of its build directory for the plan's release (the `directory` most targets always have)."""
        return self.directory

    @abstractmethod
    def build(self, plan: Plan, flavour: Flavour, directory: Path) -> None:
        """Build into `directory`, incrementally, asking the plan for the prepared tree and other builds."""

    @abstractmethod
    def output(self, plan: Plan, directory: Path) -> Path:
        """The file that exists once a build finished (what `paths` checks)."""

    def command(self, plan: Plan, directory: Path) -> list[str] | None:
        """How to run the interpreter in `directory` from a shell; None where it runs only in a browser."""
        return None


class Native(Target):
    name = directory = label = "native"
    # What a native variant adds to configure's arguments (before the user's), and to the environment of its
    # build and of its interpreter.
    CONFIGURE_ARGS: tuple[str, ...] = ()
    ENV: ClassVar[dict[str, str]] = {}

    def configure_args(self) -> list[str]:
        return list(self.CONFIGURE_ARGS)

    def build(self, plan: Plan, flavour: Flavour, directory: Path) -> None:
        native.build(
            plan.prepared(flavour),
            directory,
            configure_args=[*self.configure_args(), *plan.options.configure_args],
            allow_missing_modules=plan.options.allow_missing_modules,
            # A sanitized build runs its own python (to freeze modules, to check the extensions), sanitized too.
            env=self.ENV or None,
        )

    def output(self, plan: Plan, directory: Path) -> Path:
        return native.interpreter(directory)

    def command(self, plan: Plan, directory: Path) -> list[str]:
        return [str(native.interpreter(directory))]


class FreeThreaded(Native):
    """The native interpreter without the GIL (configure's --disable-gil), where the series' profile has it."""

    name = directory = "native-freethreaded"
    label = "native, free-threaded"
    CONFIGURE_ARGS = ("--disable-gil",)

    def check(self, plan: Plan) -> None:
        if not plan.profile.free_threading:
            raise Skipped(
                f"CPython {plan.profile.series} has no free-threaded build (configure's --disable-gil is new in 3.13)",
                hint="build the default variant, or a series from 3.13 on",
            )


class Sanitized(Native):
    """The native interpreter built by clang with AddressSanitizer, UndefinedBehaviorSanitizer and SanitizerCoverage.

    One build serves both sanitizer steps: `sanitizers` runs its interpreter,
    and `fuzz-compiler` links CPython's libFuzzer target against its static
    libpython (coverage costs the interpreter little, and a second build of
    this size costs CI minutes). Its command stops at the first report with a
    nonzero exit status, so any report fails whatever ran it (a test, a suite,
    the fuzzer's comparison).
    """

    name = directory = "native-sanitized"
    label = "native, ASan+UBSan"
    package_groups = ("native", "fuzzer")
    engine = libfuzzer.CLANG
    # CPython frees not everything at exit by design: leak reports would be about that, not about memory errors.
    ENV: ClassVar[dict[str, str]] = {
        "ASAN_OPTIONS": "detect_leaks=0:abort_on_error=0:exitcode=86",
        "UBSAN_OPTIONS": "print_stacktrace=1:halt_on_error=1:exitcode=87",
    }

    def configure_args(self) -> list[str]:
        return self.engine.configure_args()

    def build(self, plan: Plan, flavour: Flavour, directory: Path) -> None:
        libfuzzer.ensure_compiler(self.engine, directory / "probe")
        super().build(plan, flavour, directory)

    def command(self, plan: Plan, directory: Path) -> list[str]:
        return ["env", *(f"{k}={v}" for k, v in self.ENV.items()), str(native.interpreter(directory))]


class LibFuzzer(Sanitized):
    """CPython's fuzz_pycompile linked against a sanitized build: by default the one `sanitizers` runs.

    Its command is the interpreter (for the smoke test); the fuzz target is
    `output`, beside it in the build directory, where CPython finds its
    standard library as the build's own `python` does.
    """

    def __init__(
        self,
        engine: libfuzzer.Engine = libfuzzer.CLANG,
        name: str = "native-libfuzzer",
        directory: str = Sanitized.directory,
        label: str = "native, libFuzzer+ASan+UBSan",
        package_groups: tuple[str, ...] = Sanitized.package_groups,
    ) -> None:
        self.engine = engine
        self.name = name
        self.directory = directory
        self.label = label
        self.package_groups = package_groups

    def build(self, plan: Plan, flavour: Flavour, directory: Path) -> None:
        super().build(plan, flavour, directory)
        source = libfuzzer.target_source(plan.fuzzer_tree.path / libfuzzer.FUZZER_C, plan.profile.fuzzer.unsupported)
        libfuzzer.link(self.engine, source, plan.prepared(flavour).path, directory, self.command(plan, directory))

    def output(self, plan: Plan, directory: Path) -> Path:
        return directory / libfuzzer.TARGET

    def fuzz_command(self, plan: Plan, directory: Path) -> list[str]:
        return ["env", *(f"{k}={v}" for k, v in self.ENV.items()), str(self.output(plan, directory))]


class Emscripten(Target):
    """CPython cross-compiled by Emscripten for one of its platforms (node or browser), in one variant."""

    def __init__(self, platform: str, variant: wasm.Variant = wasm.Variant.DEFAULT) -> None:
        self.platform = platform
        self.variant = variant
        suffix = f"-{variant.key}" if variant.key else ""
        self.name = f"emscripten-{platform}{suffix}"
        self.directory = f"wasm-{platform}{suffix}"
        self.label = ", ".join(filter(None, ("WebAssembly", platform, variant.label)))

    def check(self, plan: Plan) -> None:
        plan.emscripten_profile  # noqa: B018 (raises for a series without an Emscripten build)

    def directory_name(self, plan: Plan) -> str:
        series = plan.emscripten_profile
        # A series whose every build links dynamically has no separate dynamic variant.
        variant = (
            wasm.Variant.DEFAULT if series.always_dynamic and self.variant is wasm.Variant.DYNAMIC else self.variant
        )
        # From 3.14 one build serves node and the browser: both platforms share its directory.
        platform = self.platform if series.target_option else ""
        return "-".join(filter(None, ("wasm", platform, variant.key)))

    def build(self, plan: Plan, flavour: Flavour, directory: Path) -> None:
        # The build python freezes modules and byte-compiles the stdlib, so it must be the same flavour.
        build_python = plan.build(NATIVE, flavour)
        wasm.build(
            plan.prepared(flavour),
            plan.emscripten_profile,
            plan.cache,
            directory,
            self.platform,
            plan.toolchain,
            native.interpreter(build_python.directory),
            self.variant,
        )

    def output(self, plan: Plan, directory: Path) -> Path:
        return directory / plan.emscripten_profile.entry_point

    def command(self, plan: Plan, directory: Path) -> list[str] | None:
        if self.platform != "node":
            return None
        # node needs a deeper JS stack for CPython's recursion.
        argv = ["node", "--stack-size=4000", *plan.emscripten_profile.node_argv(directory)]
        return plan.toolchain.command(argv, Path.cwd())


class Wasi(Target):
    """CPython cross-compiled for WASI (wasm32-wasip1), run by wasmtime."""

    name = directory = "wasi"
    label = "WASI"

    def check(self, plan: Plan) -> None:
        plan.wasi_profile  # noqa: B018 (raises for a series without a WASI build)

    def build(self, plan: Plan, flavour: Flavour, directory: Path) -> None:
        # The build python freezes modules and byte-compiles the stdlib, so it must be the same flavour.
        build_python = plan.build(NATIVE, flavour)
        wasi.build(
            plan.prepared(flavour),
            plan.wasi_profile,
            directory,
            plan.wasi_toolchain,
            native.interpreter(build_python.directory),
        )
        plan.wasi_runtime.ensure()

    def output(self, plan: Plan, directory: Path) -> Path:
        return wasi.module(directory)

    def command(self, plan: Plan, directory: Path) -> list[str]:
        return plan.wasi_runtime.command(self.output(plan, directory), plan.wasi_profile.max_stack)


NATIVE = Native()
FREE_THREADED = FreeThreaded()
EMSCRIPTEN = {
    (platform, variant): Emscripten(platform, variant) for platform in ("node", "browser") for variant in wasm.Variant
}
EMSCRIPTEN_NODE = EMSCRIPTEN["node", wasm.Variant.DEFAULT]
EMSCRIPTEN_BROWSER = EMSCRIPTEN["browser", wasm.Variant.DEFAULT]
WASI = Wasi()
SANITIZED = Sanitized()
LIBFUZZER = LibFuzzer()
TARGETS: dict[str, Target] = {
    target.name: target for target in (NATIVE, FREE_THREADED, SANITIZED, LIBFUZZER, *EMSCRIPTEN.values(), WASI)
}
# What `--variant` names for the native steps (build, run, venv, conformance, regrtest).
NATIVE_VARIANTS: dict[str, Target] = {"default": NATIVE, "freethreaded": FREE_THREADED}
# What `--target` and `--variant` name for the Emscripten steps (build-wasm, demo, ...).
EMSCRIPTEN_PLATFORMS = sorted({platform for platform, _ in EMSCRIPTEN})
EMSCRIPTEN_VARIANTS = {variant.option: variant for variant in wasm.Variant}


def emscripten(platform: str, variant: wasm.Variant) -> Emscripten:
    """The Emscripten target of `platform` in `variant`, or an error that says which exist."""
    if (platform, variant) not in EMSCRIPTEN:
        have = ", ".join(f"{p} {v.option}" for p, v in EMSCRIPTEN)
        raise HarnessError(f"there is no {platform} build in the {variant.option} variant (have: {have})")
    return EMSCRIPTEN[platform, variant]
