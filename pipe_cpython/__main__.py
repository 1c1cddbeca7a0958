"""Command line: `python -m pipe_cpython STEP [options] [-- args]`.

Each step does what it needs of the ones before it (fetch, apply, build),
incrementally, so any step can be run on its own.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from . import cache as cache_mod
from . import deps, log, native, patches, runner, sources
from .errors import HarnessError
from .versions import Request, parse_request, series_dir

PROJECT = Path(__file__).resolve().parent.parent
PATCHES = PROJECT / "patches"
CONFORMANCE = PROJECT / "tests" / "conformance"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    passthrough: list[str] = []
    if "--" in argv:
        at = argv.index("--")
        argv, passthrough = argv[:at], argv[at + 1 :]
    args = parser().parse_args(argv)
    log.set_verbosity(log.QUIET if args.quiet else log.VERBOSE if args.verbose else log.NORMAL)
    try:
        return args.func(args, passthrough) or 0
    except HarnessError as exc:
        print(f"pipe-cpython: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pipe-cpython: interrupted; the next run resumes where this one stopped", file=sys.stderr)
        return 130


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--cpython",
        default=os.environ.get("PIPE_CPYTHON_VERSION", "3.13"),
        help="series (3.13: newest release) or release (3.13.5); env PIPE_CPYTHON_VERSION",
    )
    common.add_argument(
        "--source",
        default=os.environ.get("PIPE_CPYTHON_SOURCE", "auto"),
        help="auto, git, a git URL/path, a tarball path/URL, or debian[:suite,...]; env PIPE_CPYTHON_SOURCE",
    )
    common.add_argument("--sha256", help="expected sha256 of a tarball source")
    common.add_argument(
        "--patches",
        type=Path,
        default=Path(os.environ.get("PIPE_CPYTHON_PATCHES", PATCHES)),
        help="directory of patch series, one X.Y subdirectory each (env PIPE_CPYTHON_PATCHES)",
    )
    common.add_argument(
        "--cache",
        type=Path,
        default=None,
        help=f"cache directory (env {cache_mod.CACHE_ENV}; default ~/.cache/pipe-cpython)",
    )
    common.add_argument("-v", "--verbose", action="store_true", help="show every command and its output")
    common.add_argument("-q", "--quiet", action="store_true", help="only errors")
    build = argparse.ArgumentParser(add_help=False)
    build.add_argument("--clean", action="store_true", help="remove the build directory first")
    build.add_argument(
        "--force",
        action="store_true",
        help="re-apply the series even if it discards unexported commits on the pipe branch",
    )
    build.add_argument(
        "--allow-missing-modules", action="store_true", help="build even when optional modules' headers are missing"
    )

    top = argparse.ArgumentParser(prog="python -m pipe_cpython", description=__doc__)
    steps = top.add_subparsers(dest="step", required=True, metavar="STEP")

    def step(name: str, func, help: str, parents=(common,)) -> argparse.ArgumentParser:
        sub = steps.add_parser(name, parents=list(parents), help=help, description=help)
        sub.set_defaults(func=func)
        return sub

    step("fetch", cmd_fetch, "get pristine CPython sources into a git work tree")
    step("apply", cmd_apply, "apply patches/X.Y onto the release tag as the `pipe` branch", (common, build))
    step("build", cmd_build, "build the patched native interpreter (args after -- go to configure)", (common, build))
    step("run", cmd_run, "run the patched interpreter with the arguments after --", (common, build))
    step("conformance", cmd_conformance, "run tests/conformance in the patched interpreter", (common, build))
    step("regrtest", cmd_regrtest, "run CPython's grammar-related tests (or those after --)", (common, build))
    step("export", cmd_export, "write the `pipe` branch back to patches/X.Y")
    step("install-deps", cmd_install_deps, "install the Debian packages the native build needs (root)")
    step("paths", cmd_paths, "print the work tree, build directory and interpreter")
    return top


def _cache(args) -> cache_mod.Cache:
    return cache_mod.Cache(args.cache.resolve() if args.cache else cache_mod.default_root())


def _checked_inputs(args) -> tuple[Request, list[sources.Origin]]:
    """Reject a bad version, a version without a series or a bad source before touching anything."""
    request = parse_request(args.cpython)
    series_dir(request, args.patches)
    return request, sources.parse_origins(args.source)


def _work_tree(args, cache: cache_mod.Cache) -> sources.WorkTree:
    request, origins = _checked_inputs(args)
    return sources.work_tree(request, origins, cache, args.sha256)


def _applied(args, cache: cache_mod.Cache) -> sources.WorkTree:
    tree = _work_tree(args, cache)
    patches.apply_series(tree, series_dir(parse_request(str(tree.version)), args.patches), force=args.force)
    return tree


def _built(args) -> Path:
    _checked_inputs(args)
    cache = _cache(args)
    with cache_mod.locked(cache):
        tree = _applied(args, cache)
        build_dir = cache.build_dir(tree.version, "native")
        if args.clean:
            native.clean(build_dir)
        python = native.build(
            tree,
            build_dir,
            configure_args=getattr(args, "configure_args", []),
            allow_missing_modules=args.allow_missing_modules,
        )
    runner.smoke_test(python)
    return python


def cmd_fetch(args, rest):
    _checked_inputs(args)
    cache = _cache(args)
    with cache_mod.locked(cache):
        tree = _work_tree(args, cache)
    print(tree.path)


def cmd_apply(args, rest):
    _checked_inputs(args)
    cache = _cache(args)
    with cache_mod.locked(cache):
        tree = _applied(args, cache)
    print(tree.path)


def cmd_build(args, rest):
    args.configure_args = rest
    print(_built(args))


def cmd_run(args, rest):
    return runner.run(_built(args), rest)


def cmd_conformance(args, rest):
    return runner.conformance(_built(args), CONFORMANCE, rest)


def cmd_regrtest(args, rest):
    tests = [a for a in rest if not a.startswith("-")]
    options = [a for a in rest if a.startswith("-")]
    return runner.regrtest(_built(args), tests, native.jobs(), options)


def cmd_export(args, rest):
    _checked_inputs(args)
    cache = _cache(args)
    with cache_mod.locked(cache):
        tree = _work_tree(args, cache)
        target = args.patches / tree.version.series
        written = patches.export_series(tree, target)
    log.info(f"exported {len(written)} patches to {target}")


def cmd_install_deps(args, rest):
    deps.install(deps.native_packages())


def cmd_paths(args, rest):
    cache = _cache(args)
    tree = _work_tree(args, cache)
    build_dir = cache.build_dir(tree.version, "native")
    print(f"work tree:   {tree.path}\nbuild dir:   {build_dir}\ninterpreter: {native.interpreter(build_dir)}")


if __name__ == "__main__":
    sys.exit(main())
