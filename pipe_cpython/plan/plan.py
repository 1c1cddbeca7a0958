"""One command's build plan: the source resolved once, the cache locked once, each build made once.

A step opens a plan (`planned(options)`), asks it for what it needs, and
runs the result after the plan is closed::

    with planned(options) as plan:
        node = plan.build(targets.EMSCRIPTEN_NODE)
    runner.run(node.command, args)

Inside the plan, the prepared tree is the only writer of the work tree (the
series applied, its generated files regenerated and hidden from git), and
every build is a typed value per (target, flavour) that depends on others
by asking the plan (a WebAssembly build asks for the native build python),
so the order is the plan's, never the caller's. What only runs a finished
build (a REPL, a test suite, the page's server) runs after the lock is
released, so an open REPL never blocks a build in another terminal.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..builds import emscripten, native, wasi
from ..builds.targets import NATIVE, Target
from ..builds.toolchain import Toolchain
from ..checkout import patches, sources
from ..checkout.patches import Flavour
from ..checkout.sources import WorkTree
from ..core import cache as cache_mod
from ..core import log, project
from ..core.errors import Skipped, SourceUnavailable
from ..core.versions import parse_request
from ..host import deps
from ..proofs import runner
from ..series import profiles
from ..series.profiles import EmscriptenProfile, SeriesProfile, WasiProfile
from .options import Options


@dataclass(frozen=True)
class Build:
    target: Target
    flavour: Flavour
    tree: WorkTree
    directory: Path
    # How to run it from a shell; None for a build that runs only in a browser.
    command: list[str] | None


class Plan:
    def __init__(self, options: Options) -> None:
        self.options = options
        self.cache = options.cache
        self._builds: dict[tuple[str, Flavour], Build] = {}
        self._prepared: dict[Flavour, WorkTree] = {}

    @functools.cached_property
    def source(self) -> WorkTree:
        """The work tree of the newest release the request matches (fetched once), as upstream tagged it."""
        options = self.options
        requests = (options.request, *options.fallbacks)
        for request, older in itertools.pairwise(requests):
            try:
                return sources.work_tree(request, list(options.origins), self.cache, options.sha256)
            except SourceUnavailable:
                log.warn(
                    f"no source offers CPython {request} here; building {older}, the newest series that can be "
                    f"fetched (for {request}: ./nox -s build -- --cpython {request} --source Python-{request}.N.tar.xz)"
                )
        return sources.work_tree(requests[-1], list(options.origins), self.cache, options.sha256)

    @functools.cached_property
    def profile(self) -> SeriesProfile:
        return profiles.for_tree(self.source.version.series, self.source.path)

    @functools.cached_property
    def series_dir(self) -> Path:
        """The patch series of the release actually resolved (a series request picks the release)."""
        return self.options.patches / self.source.version.series

    @functools.cached_property
    def toolchain(self) -> Toolchain:
        return emscripten.find(
            self.source.version.series,
            self.emscripten_profile,
            self.cache.toolchains,
            [self.cache.root, project.ROOT],
            self.options.emscripten_suite,
        )

    @functools.cached_property
    def emscripten_profile(self) -> EmscriptenProfile:
        if self.profile.emscripten is None:
            raise Skipped(
                f"CPython {self.profile.series} has no Emscripten build in the harness yet "
                "(docs/explanation/webassembly.md)",
                hint=f"add an EmscriptenProfile to its profile in {profiles.PROFILES_FILE} once it builds",
            )
        return self.profile.emscripten

    @functools.cached_property
    def wasi_profile(self) -> WasiProfile:
        if self.profile.wasi is None:
            raise Skipped(
                f"CPython {self.profile.series} has no WASI build in the harness yet (docs/explanation/wasi.md)",
                hint=f"add a WasiProfile to its profile in {profiles.PROFILES_FILE} once it builds",
            )
        return self.profile.wasi

    @functools.cached_property
    def wasi_toolchain(self) -> wasi.WasiToolchain:
        return wasi.find_toolchain(
            self.cache.toolchains, [self.cache.root, project.ROOT], self.cache.toolchains / "wasi-probe"
        )

    @functools.cached_property
    def wasi_runtime(self) -> wasi.Runtime:
        return wasi.find_runtime(self.cache.tools)

    @functools.cached_property
    def fuzzer_tree(self) -> WorkTree:
        """The tree whose Modules/_xxtestfuzz/fuzzer.c the libFuzzer build compiles: this release's, or a later
        series' newest release where this series has no fuzz_pycompile (its FuzzerProfile)."""
        series = self.profile.fuzzer.source_series
        if series is None:
            return self.source
        return sources.work_tree(parse_request(series), list(self.options.origins), self.cache)

    def applied(self) -> WorkTree:
        """The work tree with the series applied as the `pipe` branch (kept when already so)."""
        tree = self.source
        patches.apply_series(tree, self.series_dir, force=self.options.force)
        return tree

    def prepared(self, flavour: Flavour) -> WorkTree:
        """The tree a build of this flavour compiles: patched and regenerated, or the pristine twin."""
        if flavour not in self._prepared:
            self._prepared[flavour] = self._prepare_pristine() if flavour.pristine else self._prepare_patched()
        return self._prepared[flavour]

    def _prepare_patched(self) -> WorkTree:
        tree = self.applied()
        # regen runs make, so it needs a configured build directory: the native one, configured as its build will be.
        regen_dir = self.directory(NATIVE, Flavour.PATCHED)
        native.configure(tree, regen_dir, self.options.configure_args)
        native.regen(regen_dir, self.profile.regen_targets)
        patches.hide_generated_changes(tree)
        return tree

    def _prepare_pristine(self) -> WorkTree:
        return sources.pristine_twin(self.source, self.cache.pristine_tree(self.source.version))

    def directory(self, target: Target, flavour: Flavour) -> Path:
        return self.cache.build_dir(self.source.version, target.directory_name(self), flavour.pristine)

    def build(self, target: Target, flavour: Flavour | None = None, clean: bool = False) -> Build:
        """`target` built (once per plan) for `flavour` (default: the options'); patched builds are smoke-tested."""
        flavour = flavour or self.options.flavour
        key = (target.name, flavour)
        if key not in self._builds:
            target.check(self)
            deps.ensure_groups(target.package_groups)
            directory = self.directory(target, flavour)
            if clean:
                native.clean(directory)
            target.build(self, flavour, directory)
            build = Build(target, flavour, self.prepared(flavour), directory, target.command(self, directory))
            if build.command and not flavour.pristine:
                runner.smoke_test(build.command, target.label)
            self._builds[key] = build
        return self._builds[key]

    def requested(self, target: Target) -> Build:
        """The build a step is about: the options' flavour, cleaned first when --clean was given."""
        return self.build(target, self.options.flavour, clean=self.options.clean)


@contextlib.contextmanager
def planned(options: Options) -> Iterator[Plan]:
    """A plan for one command, holding the cache's lock until it closes."""
    with cache_mod.locked(options.cache):
        yield Plan(options)
