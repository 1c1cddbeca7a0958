"""Command line: `python -m pipe_cpython STEP [options] [-- args]`.

Each step does what it needs of the ones before it (fetch, apply, build),
incrementally, so any step can be run on its own.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

from . import cache as cache_mod
from . import ci, demo, deps, emscripten, fuzz, log, native, patches, runner, sources, venvs, wasm
from .errors import HarnessError
from .versions import Request, parse_request, series_dir

PROJECT = Path(__file__).resolve().parent.parent
PATCHES = PROJECT / "patches"
CONFORMANCE = PROJECT / "tests" / "conformance"
ORACLE = PROJECT / "tests" / "differential" / "oracle.py"


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
    build.add_argument("--pristine", action="store_true", help="the same release without the patches, to compare")

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
    venv_step = step(
        "venv", cmd_venv, "a virtual environment of the patched interpreter, with pip; prints its path", (common, build)
    )
    venv_step.add_argument("--path", type=Path, help="where (default: <cache>/venvs/cpython-X.Y.Z)")
    step("conformance", cmd_conformance, "run tests/conformance in the patched interpreter", (common, build))
    step("regrtest", cmd_regrtest, "run CPython's grammar-related tests (or those after --)", (common, build))
    wasm_options = argparse.ArgumentParser(add_help=False)
    wasm_options.add_argument("--target", choices=wasm.TARGETS, default="node", help="Emscripten target")
    wasm_options.add_argument(
        "--emscripten-suite",
        default=os.environ.get("PIPE_CPYTHON_EMSCRIPTEN_SUITE", emscripten.DEFAULT_SUITE),
        help="Debian suite of the emscripten chroot, when no emsdk is active (env PIPE_CPYTHON_EMSCRIPTEN_SUITE)",
    )
    step("build-wasm", cmd_build_wasm, "build the patched interpreter for WebAssembly", (common, build, wasm_options))
    step(
        "conformance-wasm",
        cmd_conformance_wasm,
        "run tests/conformance in the WebAssembly interpreter under node",
        (common, build, wasm_options),
    )
    step(
        "regrtest-wasm",
        cmd_regrtest_wasm,
        "run CPython's grammar tests under node, one process per module, against wasm/regrtest-allowlist",
        (common, build, wasm_options),
    )
    step(
        "run-wasm",
        cmd_run_wasm,
        "run the WebAssembly interpreter under node with the arguments after --",
        (common, build, wasm_options),
    )
    demo_step = step(
        "demo",
        cmd_demo,
        "build the browser REPL page and serve it on 127.0.0.1 (or write a static copy with --output)",
        (common, build, wasm_options),
    )
    demo_step.add_argument("--output", type=Path, help="write the page here for any web host, instead of serving")
    demo_step.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    demo_step.add_argument("--port", type=int, default=8000, help="port to serve on (default 8000; 0 picks one)")
    fuzz_step = step(
        "fuzz",
        cmd_fuzz,
        "differential fuzzing of the patched interpreter against the pristine one of the same release",
        (common, build),
    )
    fuzz_step.add_argument("--count", type=int, default=500, help="inputs of each kind (default 500)")
    fuzz_step.add_argument("--seed", type=int, default=0, help="random seed, to reproduce or vary a run (default 0)")
    step(
        "check-patches",
        cmd_check_patches,
        "fail when patches/X.Y differs from a fresh export, does not rebuild the branch from a fresh checkout, "
        "or when make regen-all would change a file",
        (common, build),
    )
    rebase = step(
        "rebase",
        cmd_rebase,
        "apply the series onto another release (--cpython 3.13.5), reporting conflicts file by file",
    )
    rebase.add_argument("--from", dest="series_from", help="take patches/FROM (e.g. 3.13) to port to a new minor")
    step("export", cmd_export, "write the `pipe` branch back to patches/X.Y")
    install = step(
        "install-deps",
        cmd_install_deps,
        "install the Debian packages the builds and tests need that are missing (through sudo when not root)",
    )
    install.add_argument(
        "--groups", default=",".join(deps.GROUPS), help=f"comma-separated subset of {', '.join(deps.GROUPS)}"
    )
    paths = step(
        "paths",
        cmd_paths,
        "print the work tree, build directory and interpreter (and the wasm one's command, once built)",
        (common, wasm_options),
    )
    paths.add_argument("--json", action="store_true", help="as JSON, for scripts")
    steps.add_parser(
        "ci-matrix", help="the GitHub Actions matrix from `nox -l --json -t ci` on stdin", description=ci.__doc__
    ).set_defaults(func=cmd_ci_matrix, quiet=False, verbose=False)
    return top


def _report(label: str, problems: list[str]) -> int:
    """Print each problem on its own line; the exit status is 1 when there is any."""
    for problem in problems:
        print(f"{label}: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _cache(args) -> cache_mod.Cache:
    return cache_mod.Cache(args.cache.resolve() if args.cache else cache_mod.default_root())


def _checked_inputs(args, need_series: bool = True) -> tuple[Request, list[sources.Origin]]:
    """Reject a bad version, a version without a series or a bad source before touching anything."""
    request = parse_request(args.cpython)
    if need_series:
        series_dir(request, args.patches)
    return request, sources.parse_origins(args.source)


@contextlib.contextmanager
def _locked_cache(args, need_series: bool = True) -> Iterator[cache_mod.Cache]:
    """Check the inputs (before touching anything), then hold the cache's lock."""
    _checked_inputs(args, need_series)
    cache = _cache(args)
    with cache_mod.locked(cache):
        yield cache


def _work_tree(args, cache: cache_mod.Cache, need_series: bool = True) -> sources.WorkTree:
    request, origins = _checked_inputs(args, need_series)
    return sources.work_tree(request, origins, cache, args.sha256)


def _applied(args, cache: cache_mod.Cache) -> sources.WorkTree:
    tree = _work_tree(args, cache)
    patches.apply_series(tree, series_dir(parse_request(str(tree.version)), args.patches), force=args.force)
    return tree


def _flavour(args) -> str:
    return "pristine" if getattr(args, "pristine", False) else "patched"


def _built_tree(args) -> tuple[sources.WorkTree, Path]:
    """The native interpreter, patched (or pristine with --pristine), built incrementally, and its tree."""
    with _locked_cache(args) as cache:
        deps.ensure_groups(["native"])
        tree = _tree_to_build(args, cache)
        build_dir = cache.build_dir(tree.version, f"native{_suffix(args)}")
        if args.clean:
            native.clean(build_dir)
        python = native.build(
            tree,
            build_dir,
            configure_args=getattr(args, "configure_args", []),
            allow_missing_modules=args.allow_missing_modules,
        )
    if not _suffix(args):
        runner.smoke_test(python)
    return tree, python


def _built(args) -> Path:
    return _built_tree(args)[1]


def _suffix(args) -> str:
    """What names the pristine twin's build directories beside the patched ones."""
    return "-pristine" if getattr(args, "pristine", False) else ""


def _tree_to_build(args, cache: cache_mod.Cache) -> sources.WorkTree:
    tree = _applied(args, cache)
    return sources.pristine_twin(tree) if _suffix(args) else tree


def _toolchain(args, cache: cache_mod.Cache, tree: sources.WorkTree) -> emscripten.Toolchain:
    return emscripten.find(tree.version.series, cache.root / "toolchains", [cache.root, PROJECT], args.emscripten_suite)


def _built_wasm(args) -> tuple[emscripten.Toolchain, Path]:
    tree, python = _built_tree(args)
    with _locked_cache(args) as cache:
        toolchain = _toolchain(args, cache, tree)
        name = f"wasm-{args.target}{_suffix(args)}"
        if args.clean:
            native.clean(cache.build_dir(tree.version, name))
        build_dir = wasm.build(tree, cache, args.target, toolchain, python, name)
    if args.target == "node" and not _suffix(args):
        runner.smoke_test(runner.node_command(toolchain, build_dir), "WebAssembly")
    return toolchain, build_dir


def cmd_build_wasm(args, rest):
    print(_built_wasm(args)[1])


def cmd_run_wasm(args, rest):
    args.target = "node"
    toolchain, build_dir = _built_wasm(args)
    return runner.run(runner.node_command(toolchain, build_dir), rest)


def cmd_conformance_wasm(args, rest):
    args.target = "node"
    toolchain, build_dir = _built_wasm(args)
    return runner.conformance(runner.node_command(toolchain, build_dir), CONFORMANCE, rest, "WebAssembly")


def cmd_regrtest_wasm(args, rest):
    """CPython's grammar tests under node, one process per module, against the reviewed allow-list."""
    args.target = "node"
    toolchain, build_dir = _built_wasm(args)
    series = parse_request(args.cpython).series
    modules, options = runner.split_regrtest_args(rest)
    modules = modules or runner.grammar_tests(series)
    allowlist = PROJECT / "wasm" / "regrtest-allowlist" / f"{series}.txt"
    outcomes = runner.regrtest_isolated(
        runner.node_command(toolchain, build_dir),
        PROJECT / "wasm" / "regrtest_node.py",
        modules,
        build_dir / "regrtest",
        options,
    )
    allowed = runner.read_allowlist(allowlist) if allowlist.exists() else {}
    allowed = {m: t for m, t in allowed.items() if m in modules}
    problems = runner.compare_with_allowlist(outcomes, allowed)
    total = sum(o.tests for o in outcomes)
    failed = sum(len(o.failed) for o in outcomes)
    crashed = [o.module for o in outcomes if o.crashed]
    log.info(
        f"regrtest under node ({_flavour(args)}): {len(outcomes)} modules, {total} tests, "
        f"{failed} failing tests, modules that never finished: {', '.join(crashed) or 'none'}"
    )
    if _report("regrtest-wasm", problems):
        log.info(f"per-module logs and JUnit reports: {build_dir / 'regrtest'}; allow-list: {allowlist}")
        return 1
    return 0


def cmd_demo(args, rest):
    args.target = "browser"
    _, build_dir = _built_wasm(args)
    output = args.output or build_dir.with_name("demo")
    with log.step(f"assembling the demo page in {output}"):
        demo.assemble(build_dir, output)
    if args.output:
        log.info(f"static copy ready in {output}: serve it with the headers listed in {output / '_headers'}")
        return 0
    httpd = demo.server(output, args.host, args.port)
    host, port = httpd.server_address[:2]
    print(f"pipe-cpython: serving the demo at http://{host}:{port}/ (Ctrl-C to stop)", file=sys.stderr, flush=True)
    try:
        httpd.serve_forever()
    finally:
        httpd.server_close()
    return 0


def cmd_fuzz(args, rest):
    if args.count < 1:
        raise HarnessError(f"--count must be at least 1, not {args.count}")
    _, patched = _built_tree(args)
    args.pristine = True
    pristine_tree, pristine = _built_tree(args)
    report_dir = _cache(args).build_dir(pristine_tree.version, "fuzz")
    log.info(
        f"fuzzing CPython {pristine_tree.version}: patched {patched} against pristine {pristine}, seed {args.seed}"
    )
    return fuzz.run(
        [str(patched)], [str(pristine)], ORACLE, pristine_tree.path / "Lib", args.count, args.seed, report_dir
    )


def cmd_check_patches(args, rest):
    """patches/ must equal a fresh export of the branch, and regen-all must find nothing to regenerate."""
    _built(args)
    with _locked_cache(args) as cache:
        tree = _applied(args, cache)
        series = series_dir(parse_request(str(tree.version)), args.patches)
        problems = patches.export_differences(tree, series) + patches.fresh_apply_differences(tree, series)
        changed = native.regen_all_changes(tree, cache.build_dir(tree.version, "native"))
    problems += [
        f"{path}: changed by make regen-all (add its regen target to the build's regen step)" for path in changed
    ]
    if _report("check-patches", problems):
        return 1
    log.info(
        f"patches/{tree.version.series} matches the pipe branch, rebuilds it from a fresh checkout, "
        "and make regen-all changes nothing"
    )
    return 0


def cmd_rebase(args, rest):
    """Apply a series (default: the one for --cpython's minor) onto the --cpython release."""
    onto = parse_request(args.cpython)
    source_series = series_dir(parse_request(args.series_from) if args.series_from else onto, args.patches)
    with _locked_cache(args, need_series=False) as cache:
        tree = _work_tree(args, cache, need_series=False)
        with log.step(f"rebasing {source_series} onto CPython {tree.version}"):
            conflicts = patches.rebase_series(tree, source_series)
        if _report("rebase", conflicts):
            log.info(
                f"resolve the conflicts in {tree.path} (the .rej files hold the hunks that did not apply), "
                "`git add` the files, `git am --continue`; then nox -s export-patches"
            )
            return 1
        target = args.patches / tree.version.series
        if target != source_series:
            written = patches.export_series(tree, target)
            log.info(f"the series applies to {tree.version}; exported {len(written)} patches to {target}")
        else:
            log.info(f"the series applies cleanly to CPython {tree.version}")
    return 0


def cmd_fetch(args, rest):
    with _locked_cache(args) as cache:
        tree = _work_tree(args, cache)
    print(tree.path)


def cmd_apply(args, rest):
    with _locked_cache(args) as cache:
        tree = _applied(args, cache)
    print(tree.path)


def cmd_build(args, rest):
    args.configure_args = rest
    print(_built(args))


def cmd_venv(args, rest):
    tree, python = _built_tree(args)
    venv = venvs.ensure(
        python, (args.path or _cache(args).root / "venvs" / f"cpython-{tree.version}{_suffix(args)}").resolve()
    )
    log.info(f"activate it with: . {venv / 'bin' / 'activate'}   (then pip install ... and python)")
    print(venv)


def cmd_run(args, rest):
    return runner.run(_built(args), rest)


def cmd_conformance(args, rest):
    return runner.conformance(_built(args), CONFORMANCE, rest)


def cmd_regrtest(args, rest):
    tests, options = runner.split_regrtest_args(rest)
    tests = tests or runner.grammar_tests(parse_request(args.cpython).series)
    return runner.regrtest(_built(args), tests, native.jobs(), options)


def cmd_export(args, rest):
    # No series needed: exporting is how a new CPython version gets its first one.
    with _locked_cache(args, need_series=False) as cache:
        tree = _work_tree(args, cache, need_series=False)
        target = args.patches / tree.version.series
        written = patches.export_series(tree, target)
    log.info(f"exported {len(written)} patches to {target}")


def cmd_install_deps(args, rest):
    deps.ensure_groups(args.groups.split(","))


def cmd_ci_matrix(args, rest):
    print(ci.matrix_json(sys.stdin.read()))


def cmd_paths(args, rest):
    with _locked_cache(args) as cache:
        tree = _work_tree(args, cache)
        build_dir = cache.build_dir(tree.version, "native")
        node_dir = cache.build_dir(tree.version, "wasm-node")
        paths = {
            "work tree": str(tree.path),
            "build dir": str(build_dir),
            "interpreter": str(native.interpreter(build_dir)),
        }
        if (node_dir / "python.js").exists():
            toolchain = _toolchain(args, cache, tree)
            paths["wasm build dir"] = str(node_dir)
            paths["wasm command"] = runner.node_command(toolchain, node_dir)
    if args.json:
        print(json.dumps(paths, indent=2))
        return
    for name, value in paths.items():
        print(f"{name + ':':<16}{shlex.join(value) if isinstance(value, list) else value}")


if __name__ == "__main__":
    sys.exit(main())
