"""Command line: `python -m pipe_cpython STEP [options] [-- args]`.

Each step does what it needs of the ones before it (fetch, apply, build),
incrementally, so any step can be run on its own.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from . import ci
from .builds import native, targets, wasm, xbuildenv
from .checkout import patches
from .checkout.patches import Flavour
from .core import log, project
from .core.errors import HarnessError, Skipped
from .core.versions import parse_request, series_dir
from .environments import devtools, venvs
from .host import deps
from .plan import options
from .plan.plan import Build, Plan, planned
from .proofs import fullsuite, fuzz, libfuzzer, realworld, runner, suites
from .web import demo, webstdlib, wheels

# The exit status of a step that cannot run here (no source of its release, no build of its series for the
# platform): a skip, not a failure. Where
# SKIP_REASON_ENV names a file, the reason is written there too (the noxfile reports it as the session's skip).
EXIT_SKIPPED = 3
SKIP_REASON_ENV = "PIPE_CPYTHON_SKIP_REASON"


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
    except Skipped as exc:
        print(f"pipe-cpython: skipped: {exc}", file=sys.stderr)
        if reason_file := os.environ.get(SKIP_REASON_ENV):
            Path(reason_file).write_text(exc.message.replace("\n ", ""))
        return EXIT_SKIPPED
    except HarnessError as exc:
        print(f"pipe-cpython: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("pipe-cpython: interrupted; the next run resumes where this one stopped", file=sys.stderr)
        return 130


def parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    options.add_arguments(common)
    build = argparse.ArgumentParser(add_help=False)
    options.add_build_arguments(build)
    native_options = argparse.ArgumentParser(add_help=False)
    native_options.add_argument(
        "--variant",
        choices=sorted(targets.NATIVE_VARIANTS),
        default="default",
        help="default (with the GIL) or freethreaded (configure's --disable-gil; 3.13 on)",
    )
    wasm_options = argparse.ArgumentParser(add_help=False)
    wasm_options.add_argument(
        "--target", choices=targets.EMSCRIPTEN_PLATFORMS, default="node", help="Emscripten platform"
    )
    wasm_options.add_argument(
        "--variant",
        choices=sorted(targets.EMSCRIPTEN_VARIANTS),
        help="default (upstream's static build), dynamic (loads C-extension wheels; picked when a --wheel has one) "
        "or os (compiled with -Os)",
    )
    wheel_options = argparse.ArgumentParser(add_help=False)
    wheel_options.add_argument(
        "--wheel",
        dest="wheels",
        action="append",
        type=Path,
        default=[],
        metavar="FILE",
        help="a wheel to install for the interpreter (repeat for more): pure Python, or built by wheel-wasm",
    )
    options.add_emscripten_arguments(wasm_options)
    # Which build the step is about, so that without --cpython it takes the newest series that has one.
    wasm_options.set_defaults(platform="emscripten")
    wasi_options = argparse.ArgumentParser(add_help=False)
    wasi_options.set_defaults(platform="wasi")

    top = argparse.ArgumentParser(prog="python -m pipe_cpython", description=__doc__)
    options.set_defaults(top)
    steps = top.add_subparsers(dest="step", required=True, metavar="STEP")

    def step(name: str, func, help: str, parents=(common,)) -> argparse.ArgumentParser:
        sub = steps.add_parser(name, parents=list(parents), help=help, description=help)
        sub.set_defaults(func=func)
        return sub

    step("fetch", cmd_fetch, "get pristine CPython sources into a git work tree")
    step("apply", cmd_apply, "apply patches/X.Y onto the release tag as the `pipe` branch", (common, build))
    native_step = (common, build, native_options)
    step("build", cmd_build, "build the patched native interpreter (args after -- go to configure)", native_step)
    step("run", cmd_run, "run the patched interpreter with the arguments after --", native_step)
    venv_step = step(
        "venv",
        cmd_venv,
        "a virtual environment of the patched interpreter, with pip, pytest and its |> plugin; prints its path",
        native_step,
    )
    venv_step.add_argument("--path", type=Path, help="where (default: <cache>/venvs/cpython-X.Y.Z)")
    kernel = step(
        "kernel",
        cmd_kernel,
        "register the fork's virtual environment as a Jupyter kernel ('Python X.Y.Z with |>'); prints its name",
        native_step,
    )
    kernel.add_argument("--prefix", type=Path, help="register under PREFIX/share/jupyter (default: for the user)")
    step(
        "tools-test",
        cmd_tools_test,
        "the pytest, mypy and pylint plugins' tests, the compatibility table's and a notebook through the fork's "
        "Jupyter kernel, in a venv of the fork",
        native_step,
    )
    step("conformance", cmd_conformance, "run tests/conformance in the patched interpreter", native_step)
    step("regrtest", cmd_regrtest, "run CPython's grammar-related tests (or those after --)", native_step)
    full = step(
        "regrtest-full",
        cmd_regrtest_full,
        "CPython's whole test suite on the patched and the pristine build, compared test by test (args after -- "
        "go to regrtest)",
        (common, build),
    )
    full.add_argument(
        "--compare-only",
        action="store_true",
        help="compare the last run's reports again (after editing the allow-list)",
    )
    wasm_step = (common, build, wasm_options)
    step("build-wasm", cmd_build_wasm, "build the patched interpreter for WebAssembly", wasm_step)
    step(
        "conformance-wasm",
        cmd_conformance_wasm,
        "run tests/conformance in the WebAssembly interpreter under node",
        (*wasm_step, wheel_options),
    )
    step(
        "regrtest-wasm",
        cmd_regrtest_wasm,
        "run CPython's grammar tests under node, a process per module (one per core at a time), against "
        "wasm/regrtest-allowlist",
        wasm_step,
    )
    step(
        "run-wasm",
        cmd_run_wasm,
        "run the WebAssembly interpreter under node with the arguments after --",
        (*wasm_step, wheel_options),
    )
    wheel_step = step(
        "wheel-wasm",
        cmd_wheel_wasm,
        "build a wheel for the WebAssembly fork with pyodide-build, against a cross-build environment made from "
        "the patched dynamic-linking build",
        (common, build, wasm_options),
    )
    wheel_step.add_argument("project", help="a project directory, an sdist, or a requirement (markupsafe==3.0.2)")
    wasi_step = (common, build, wasi_options)
    step("build-wasi", cmd_build_wasi, "build the patched interpreter for WASI (wasm32-wasip1)", wasi_step)
    step("run-wasi", cmd_run_wasi, "run the WASI interpreter under wasmtime with the arguments after --", wasi_step)
    step("conformance-wasi", cmd_conformance_wasi, "run tests/conformance in the WASI interpreter", wasi_step)
    step(
        "regrtest-wasi",
        cmd_regrtest_wasi,
        "run CPython's grammar tests on WASI, one process per module, against wasm/regrtest-allowlist",
        wasi_step,
    )
    demo_step = step(
        "demo",
        cmd_demo,
        "build the browser REPL page and serve it on 127.0.0.1 (or write a static copy with --output)",
        (*wasm_step, wheel_options),
    )
    demo_step.add_argument("--output", type=Path, help="write the page here for any web host, instead of serving")
    demo_step.add_argument("--host", default="127.0.0.1", help="address to serve on (default 127.0.0.1)")
    demo_step.add_argument("--port", type=int, default=8000, help="port to serve on (default 8000; 0 picks one)")
    demo_step.add_argument(
        "--stdlib",
        choices=[form.value for form in webstdlib.Form],
        default=webstdlib.Form.BYTECODE.value,
        help="ship the stdlib as bytecode (upstream's, quick to import) or as sources (a third smaller, "
        "compiled in the browser at first import)",
    )
    demo_step.add_argument(
        "--stdlib-at-start",
        action="store_true",
        help="load the whole stdlib before the first prompt, where the page otherwise fetches each module beyond "
        "its core at first import (3.14; the 3.11 and 3.13 pages always load it whole)",
    )
    fuzz_step = step(
        "fuzz",
        cmd_fuzz,
        "differential fuzzing of the patched interpreter against the pristine one of the same release",
        (common, build),
    )
    fuzz_step.add_argument("--count", type=int, default=500, help="inputs of each kind (default 500)")
    fuzz_step.add_argument("--seed", type=int, default=0, help="random seed, to reproduce or vary a run (default 0)")
    step(
        "realworld",
        cmd_realworld,
        "compile every .py file of the pinned PyPI packages and of Lib/ with the patched and the pristine "
        "interpreter, and round-trip each one-argument call as a pipe",
        (common, build),
    )
    step(
        "realworld-suites",
        cmd_realworld_suites,
        "the test suites of pinned packages on the fork, as released and with every one-argument call piped",
        native_step,
    )
    sanitizers = step(
        "sanitizers",
        cmd_sanitizers,
        "build with ASan and UBSan, then run the conformance suite, the grammar tests and the fuzzer's inputs on it",
        (common, build),
    )
    sanitizers.add_argument("--count", type=int, default=100, help="fuzz inputs of each kind (default 100)")
    sanitizers.add_argument("--seed", type=int, default=0, help="random seed of the fuzz inputs (default 0)")
    compiler_fuzz = step(
        "fuzz-compiler",
        cmd_fuzz_compiler,
        "coverage-guided fuzzing of the patched compiler with CPython's libFuzzer target fuzz_pycompile (args "
        "after -- go to libFuzzer; default -max_total_time=60)",
        (common, build),
    )
    compiler_fuzz.add_argument(
        "--oss-fuzz",
        metavar="OUT",
        type=Path,
        help="build with OSS-Fuzz's $CC, $CFLAGS and $LIB_FUZZING_ENGINE and put the target, its dictionary and "
        "seed corpus in OUT (.clusterfuzzlite/build.sh), instead of fuzzing",
    )
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
        "print the work tree and every target's build directory, and how to run what is built (builds nothing)",
        (common, wasm_options),
    )
    paths.add_argument("--json", action="store_true", help="as JSON, for scripts")
    paths.set_defaults(platform=None)  # every target's paths: the default series is the native one
    steps.add_parser(
        "ci-matrix", help="the GitHub Actions matrix from `nox -l --json -t ci` on stdin", description=ci.__doc__
    ).set_defaults(func=cmd_ci_matrix, quiet=False, verbose=False)
    return top


def _report(label: str, problems: list[str]) -> int:
    """Print each problem on its own line; the exit status is 1 when there is any."""
    for problem in problems:
        print(f"{label}: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _built(args, target: targets.Target) -> tuple[Plan, Build]:
    """The step's build, made under the plan's lock; whatever runs it runs after the lock is released."""
    with planned(options.from_args(args)) as plan:
        return plan, plan.requested(target)


def _emscripten(
    args,
    platform: str | None = None,
    default: wasm.Variant = wasm.Variant.DEFAULT,
    given: Sequence[wheels.WheelName] = (),
) -> targets.Emscripten:
    """The Emscripten target the step's --target (or `platform`, for steps that have one) and --variant name;
    without --variant, the dynamic-linking build when one of the `given` wheels has a C extension, else `default`."""
    variant = args.variant and targets.EMSCRIPTEN_VARIANTS[args.variant]
    if variant is None:
        variant = wasm.Variant.DYNAMIC if any(not wheel.pure for wheel in given) else default
    return targets.emscripten(platform or args.target, variant)


def _wheels(args) -> list[wheels.WheelName]:
    """The step's --wheel files, by name."""
    for path in args.wheels:
        if not path.is_file():
            raise HarnessError(
                f"{path} is not a file", hint="give the path of a .whl (wheel-wasm prints where it wrote one)"
            )
    return [wheels.WheelName.parse(path.resolve()) for path in args.wheels]


def _check_wheels(given: list[wheels.WheelName], plan: Plan, target: targets.Emscripten) -> None:
    """Refuse, before anything is built, a wheel the target's interpreter cannot load."""
    for wheel in given:
        dynamic = wasm.links_dynamically(plan.emscripten_profile, target.variant)
        wheels.check(wheel, plan.profile.series, plan.toolchain.version, dynamic)


def cmd_fetch(args, rest):
    with planned(options.from_args(args)) as plan:
        print(plan.source.path)


def cmd_apply(args, rest):
    with planned(options.from_args(args)) as plan:
        print(plan.applied().path)


def cmd_build(args, rest):
    with planned(options.from_args(args, configure_args=rest)) as plan:
        print(native.interpreter(plan.requested(targets.NATIVE_VARIANTS[args.variant]).directory))


def cmd_run(args, rest):
    return _run(args, rest, targets.NATIVE_VARIANTS[args.variant])


def _run(args, rest, target: targets.Target) -> int:
    _, build = _built(args, target)
    return runner.run(build.command, rest)


def _conformance(args, rest, target: targets.Target) -> int:
    _, build = _built(args, target)
    return runner.conformance(build.command, project.CONFORMANCE, rest, build.directory, target.label)


def _venv(args, purpose: str = "") -> tuple[Plan, Build, Path]:
    """The step's plan, its native build and a virtual environment of it (the user's, or one for a `purpose`)."""
    with planned(options.from_args(args)) as plan:
        target = targets.NATIVE_VARIANTS[args.variant]
        build = plan.requested(target)
        suffix = "-".join(filter(None, ("" if target is targets.NATIVE else target.directory, purpose)))
        where = getattr(args, "path", None) or plan.cache.venv(build.tree.version, build.flavour.pristine, suffix)
        return plan, build, venvs.ensure(native.interpreter(build.directory), where.resolve())


def cmd_venv(args, rest):
    _, build, venv = _venv(args)
    if not build.flavour.pristine:
        try:
            devtools.install_pytest_plugin(venv)
        except HarnessError as exc:
            log.warn(f"the environment works, but without pytest's |> plugin: {exc}")
    log.info(f"activate it with: . {venv / 'bin' / 'activate'}   (then pip install ... and python)")
    print(venv)


def cmd_kernel(args, rest):
    _, build, venv = _venv(args)
    variant = "" if args.variant == "default" else args.variant
    name = devtools.kernel_name(str(build.tree.version), variant)
    label = " ".join(filter(None, ("Python", str(build.tree.version), variant, "with |>")))
    devtools.register_kernel(venv, name, label, args.prefix)
    log.info(f"pick {label!r} in Jupyter (kernel {name}; `jupyter kernelspec remove {name}` to drop it)")
    print(name)


def cmd_tools_test(args, rest):
    *_, venv = _venv(args, "tools")
    return devtools.run_tests(venv, rest)


def cmd_conformance(args, rest):
    return _conformance(args, rest, targets.NATIVE_VARIANTS[args.variant])


def cmd_regrtest(args, rest):
    tests, regrtest_options = runner.split_regrtest_args(rest)
    plan, build = _built(args, targets.NATIVE_VARIANTS[args.variant])
    tests = tests or list(plan.profile.grammar_tests)
    return runner.regrtest(native.interpreter(build.directory), tests, native.jobs(), regrtest_options)


def cmd_regrtest_full(args, rest):
    """The fork must fail and skip exactly what pristine does, test by test, but for the reviewed allow-list."""
    with planned(options.from_args(args)) as plan:
        builds = {flavour: plan.build(targets.NATIVE, flavour) for flavour in Flavour}
        version = builds[Flavour.PATCHED].tree.version
        reports = {flavour: plan.cache.full_suite_reports(version, flavour.pristine) for flavour in Flavour}
    allowlist_path = project.FULL_SUITE_ALLOWLISTS / f"{version.series}.txt"
    allowed = fullsuite.read_allowlist(allowlist_path)
    python = {flavour: native.interpreter(build.directory) for flavour, build in builds.items()}
    trees = {flavour: build.tree.path for flavour, build in builds.items()}
    results = {
        flavour: fullsuite.read(reports[flavour], flavour.value)
        if args.compare_only
        else fullsuite.run(python[flavour], trees[flavour], reports[flavour], native.jobs(), rest, flavour.value)
        for flavour in Flavour
    }
    patched, pristine = results[Flavour.PATCHED], results[Flavour.PRISTINE]
    found = fullsuite.differences(patched, pristine)
    if found:
        with log.step(f"running the {len(found)} differing tests again on both builds"):
            found = fullsuite.confirmed(
                found, python[Flavour.PATCHED], python[Flavour.PRISTINE], reports[Flavour.PATCHED]
            )
    failed = sorted(t for t, o in pristine.cases.items() if o is fullsuite.Outcome.FAILED)
    log.info(
        f"CPython {version}'s whole suite: {len(patched.cases)} test ids patched, {len(pristine.cases)} pristine; "
        f"pristine fails {len(failed)} ({', '.join(failed) or 'none'}), modules listed by regrtest: "
        f"{len(pristine.modules)}"
    )
    problems = [
        f"{entry}: {mine} patched, {theirs} pristine" for entry, (mine, theirs) in sorted(found.items())
        if entry not in allowed
    ]  # fmt: skip
    problems += [f"{entry}: on the allow-list but the same on both builds" for entry in sorted(allowed - found.keys())]
    if _report("regrtest-full", problems):
        log.info(f"logs and JUnit reports: {reports[Flavour.PATCHED].parent}; allow-list: {allowlist_path}")
        return 1
    log.info("the fork fails and skips exactly what pristine does")
    return 0


def cmd_build_wasm(args, rest):
    with planned(options.from_args(args)) as plan:
        print(plan.requested(_emscripten(args)).directory)


def _node_with_wheels(args) -> tuple[Build, list[str]]:
    """The node build the step names, and how to run it: from a virtual environment holding the --wheel files."""
    chosen = _wheels(args)
    target = _emscripten(args, "node", given=chosen)
    with planned(options.from_args(args)) as plan:
        _check_wheels(chosen, plan, target)
        build = plan.requested(target)
        if not chosen:
            return build, build.command
        environment = plan.cache.venv(build.tree.version, build.flavour.pristine, target.directory)
        bin_dir = wheels.node_environment(
            build.directory, plan.emscripten_profile, str(build.tree.version), environment
        )
        wheels.install(chosen, wheels.site_packages(environment, plan.profile.series))
        return build, target.command(plan, bin_dir)


def cmd_run_wasm(args, rest):
    _, command = _node_with_wheels(args)
    return runner.run(command, rest)


def cmd_conformance_wasm(args, rest):
    build, command = _node_with_wheels(args)
    return runner.conformance(command, project.CONFORMANCE, rest, build.directory, build.target.label)


def cmd_wheel_wasm(args, rest):
    """pyodide-build, pinned, against a cross-build environment of the patched dynamic-linking build."""
    target = targets.emscripten("node", wasm.Variant.DYNAMIC)
    with planned(options.from_args(args)) as plan:
        series = plan.profile.series
        tool = wheels.pyodide_build(plan.toolchain, series, plan.cache.tools)
        version = plan.source.version
        work = plan.cache.wheels(version)
        # Checked and copied before the build, so that a wrong path fails at once.
        tree = wheels.source_tree(args.project, work / "src" / Path(args.project).name, plan.cache.downloads / "sdists")
        build = plan.requested(target)
        with log.step(f"making the cross-build environment of CPython {version} ({target.label})"):
            made = xbuildenv.make(
                build.tree.path,
                build.directory,
                str(version),
                plan.toolchain.version,
                wheels.PYODIDE_BUILD,
                work / "xbuildenv-archive",
            )
        wheel = wheels.build(tool, xbuildenv.verified(made), tree, series, work / "xbuildenv", work / "dist")
    log.info(f"run it: nox -s run-wasm -- --wheel {wheel} -c 'import ...'  (or demo -- --wheel {wheel})")
    print(wheel)


def cmd_regrtest_wasm(args, rest):
    return _regrtest_allowlisted(args, rest, _emscripten(args, "node"), "emscripten")


def _regrtest_allowlisted(args, rest, target: targets.Target, platform: str) -> int:
    """CPython's grammar tests on a WebAssembly target, one process per module, against its reviewed allow-list."""
    modules, regrtest_options = runner.split_regrtest_args(rest)
    plan, build = _built(args, target)
    modules = modules or list(plan.profile.grammar_tests)
    allowlist = plan.profile.regrtest_allowlist(platform)
    outcomes = runner.regrtest_isolated(
        build.command,
        project.REGRTEST_NODE_DRIVER,
        modules,
        build.directory / "regrtest",
        regrtest_options,
        target.label,
        native.jobs(),
    )
    allowed = runner.read_allowlist(allowlist) if allowlist.exists() else {}
    allowed = {m: t for m, t in allowed.items() if m in modules}
    problems = runner.compare_with_allowlist(outcomes, allowed)
    total = sum(o.tests for o in outcomes)
    failed = sum(len(o.failed) for o in outcomes)
    crashed = [o.module for o in outcomes if o.crashed]
    log.info(
        f"regrtest on {target.label} ({build.flavour.value}): {len(outcomes)} modules, {total} tests, "
        f"{failed} failing tests, modules that never finished: {', '.join(crashed) or 'none'}"
    )
    if _report(f"regrtest ({target.label})", problems):
        log.info(f"per-module logs and JUnit reports: {build.directory / 'regrtest'}; allow-list: {allowlist}")
        return 1
    return 0


def cmd_build_wasi(args, rest):
    with planned(options.from_args(args)) as plan:
        print(targets.WASI.output(plan, plan.requested(targets.WASI).directory))


def cmd_run_wasi(args, rest):
    return _run(args, rest, targets.WASI)


def cmd_conformance_wasi(args, rest):
    return _conformance(args, rest, targets.WASI)


def cmd_regrtest_wasi(args, rest):
    return _regrtest_allowlisted(args, rest, targets.WASI, "wasi")


def cmd_demo(args, rest):
    # The page ships the -Os build: smaller, and no slower under V8 (bench-wasm's variants table).
    chosen = _wheels(args)
    target = _emscripten(args, "browser", default=wasm.Variant.SIZE, given=chosen)
    with planned(options.from_args(args)) as plan:
        _check_wheels(chosen, plan, target)
        build = plan.requested(target)
        # The browser build's build python: the same tree and flavour, built already.
        native_python = native.interpreter(plan.build(targets.NATIVE, build.flavour).directory)
        output = args.output or plan.cache.demo_dir(build.tree.version)
        with log.step(f"assembling the demo page in {output}"):
            demo.assemble(
                build.directory,
                output,
                plan.emscripten_profile,
                build.tree.path / "Lib",
                native_python,
                webstdlib.Form(args.stdlib),
                tuple(wheel.path for wheel in chosen),
                plan.cache.compressed,
                args.stdlib_at_start,
            )
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
    with planned(options.from_args(args)) as plan:
        patched = plan.build(targets.NATIVE, Flavour.PATCHED)
        pristine = plan.build(targets.NATIVE, Flavour.PRISTINE)
        report_dir = plan.cache.fuzz_reports(pristine.tree.version)
    log.info(
        f"fuzzing CPython {pristine.tree.version}: patched {patched.command[0]} against pristine "
        f"{pristine.command[0]}, seed {args.seed}"
    )
    return fuzz.run(
        patched.command, pristine.command, project.ORACLE, pristine.tree.path / "Lib", args.count, args.seed, report_dir
    )


def cmd_realworld(args, rest):
    with planned(options.from_args(args)) as plan:
        patched = plan.build(targets.NATIVE, Flavour.PATCHED)
        pristine = plan.build(targets.NATIVE, Flavour.PRISTINE)
        downloaded = realworld.fetch(project.REALWORLD_REQUIREMENTS, plan.cache.realworld)
    files = list(realworld.sources(downloaded, pristine.tree.path / "Lib"))
    with log.step(f"{len(files)} files of {len(downloaded)} packages and of CPython {pristine.tree.version}'s Lib/"):
        result = realworld.check(patched.command, pristine.command, project.ORACLE, files)
    for what, number in sorted(result.counts.items()):
        log.info(f"  {what}: {number:,}")
    if _report("realworld", result.problems):
        return 1
    log.info("every file compiles identically, and every one-argument call round-trips as a pipe")
    return 0


def cmd_realworld_suites(args, rest):
    """Each pinned package's test suite, as released and with every one-argument call piped: the same outcomes."""
    plan, build, venv = _venv(args, "tools")
    devtools.install_pytest_plugin(venv)
    python = venv / "bin" / "python"
    work = plan.cache.release_builds(build.tree.version) / "realworld-suites"
    sdists = suites.fetch(project.REALWORLD_SUITES, plan.cache.realworld / "suites")
    problems = []
    for sdist in sdists:
        results = {}
        for form in suites.FORMS:
            tree = suites.unpacked(sdist, work / form / sdist.name.removesuffix(".tar.gz"))
            if form == "piped":
                log.info(f"{sdist.name}: {suites.pipe_calls(python, project.PIPE_CALLS, tree)}")
            with log.step(f"{sdist.name}: its tests, {form}"):
                results[form] = suites.run_suite(python, tree, work / form / f"{tree.name}.xml")
            log.info(f"{sdist.name}, {form}: {suites.summary(results[form])}")
        problems += [f"{sdist.name}: {line}" for line in suites.differences(*results.values())]
    if _report("realworld-suites", problems):
        return 1
    log.info(f"{len(sdists)} test suites come out the same with their calls piped")
    return 0


def cmd_sanitizers(args, rest):
    """Any AddressSanitizer or UndefinedBehaviorSanitizer report ends its process with a nonzero status: a failure."""
    with planned(options.from_args(args)) as plan:
        sanitized = plan.requested(targets.SANITIZED)
        pristine = plan.build(targets.NATIVE, Flavour.PRISTINE)
        report_dir = plan.cache.fuzz_reports(pristine.tree.version) / "sanitized"
    label = targets.SANITIZED.label
    failed = {
        "conformance suite": runner.conformance(sanitized.command, project.CONFORMANCE, [], sanitized.directory, label),
        "grammar tests": runner.regrtest(sanitized.command, list(plan.profile.grammar_tests), native.jobs(), rest),
        "fuzz inputs": fuzz.run(
            sanitized.command, pristine.command, project.ORACLE, pristine.tree.path / "Lib", args.count, args.seed,
            report_dir,
        ),
    }  # fmt: skip
    if _report("sanitizers", [f"{what} failed on the {label} build (see above)" for what, rc in failed.items() if rc]):
        return 1
    log.info(f"no sanitizer report: conformance suite, {len(plan.profile.grammar_tests)} test modules, fuzz inputs")
    return 0


def cmd_fuzz_compiler(args, rest):
    """libFuzzer's own exit status fails the step, and each finding is shown with a command that replays it."""
    target = targets.LIBFUZZER
    if args.oss_fuzz:
        engine = libfuzzer.Engine.from_environment(os.environ)
        # OSS-Fuzz's flags are not the sanitized build's: a build of their own.
        target = targets.LibFuzzer(
            engine, name="native-oss-fuzz", directory="native-oss-fuzz", label="native, OSS-Fuzz's flags",
            package_groups=("native",),
        )  # fmt: skip
    with planned(options.from_args(args)) as plan:
        build = plan.requested(target)
        source = plan.fuzzer_tree
        work = plan.cache.libfuzzer(build.tree.version, build.flavour.pristine)
    seeds = libfuzzer.seeds(project.CONFORMANCE, project.SPEC)
    dictionary = libfuzzer.dictionary(source.path / libfuzzer.UPSTREAM_DICTIONARY, project.FUZZ_DICTIONARY)
    binary = target.output(plan, build.directory)
    if args.oss_fuzz:
        stdlib = build.tree.path / "Lib"
        series = build.tree.version.series
        for written in libfuzzer.bundle(binary, stdlib, build.directory, series, dictionary, seeds, args.oss_fuzz):
            log.info(f"wrote {written}")
        return 0
    libfuzzer.write_seeds(work / "seeds", seeds)
    (work / f"{libfuzzer.TARGET}.dict").write_text(dictionary)
    command = target.fuzz_command(plan, build.directory)
    log.info(
        f"fuzzing CPython {build.tree.version}'s compiler ({target.label}) with {libfuzzer.TARGET}: "
        f"{len(seeds)} seeds from the conformance suite and the spec, CPython's own corpus, corpus in {work}"
    )
    result = libfuzzer.run(
        command,
        work / "corpus",
        [work / "seeds", source.path / libfuzzer.UPSTREAM_CORPUS],
        work / f"{libfuzzer.TARGET}.dict",
        work / "crashes",
        rest,
    )
    log.info(f"{libfuzzer.TARGET}: {libfuzzer.summary(result, work / 'corpus')}")
    for artifact in result.artifacts:
        print(f"fuzz-compiler: finding {artifact}: {libfuzzer.describe(artifact)}", file=sys.stderr)
        print(f"fuzz-compiler:   reproduce: {libfuzzer.reproduction(command, artifact)}", file=sys.stderr)
    if result.returncode != 0 and not result.artifacts:
        print(f"fuzz-compiler: libFuzzer exited with {result.returncode} (see its output above)", file=sys.stderr)
    return 1 if result.returncode or result.artifacts else 0


def cmd_check_patches(args, rest):
    """patches/ must equal a fresh export of the branch, and regen-all must find nothing to regenerate."""
    with planned(options.from_args(args)) as plan:
        build = plan.build(targets.NATIVE, Flavour.PATCHED)
        tree, series = build.tree, plan.series_dir
        problems = patches.export_differences(tree, series) + patches.fresh_apply_differences(tree, series)
        changed = native.regen_all_changes(tree, build.directory, plan.profile.generated_files)
    problems += [f"{path}: changed by make regen-all (add its regen target to the series' profile)" for path in changed]
    if _report("check-patches", problems):
        return 1
    log.info(
        f"patches/{tree.version.series} matches the pipe branch, rebuilds it from a fresh checkout, "
        "and make regen-all changes nothing"
    )
    return 0


def cmd_rebase(args, rest):
    """Apply a series (default: the one for --cpython's minor) onto the --cpython release."""
    # No series needed for the release itself: rebasing is how a new CPython version gets its first one.
    chosen = options.from_args(args, need_series=False)
    source_series = series_dir(parse_request(args.series_from) if args.series_from else chosen.request, chosen.patches)
    with planned(chosen) as plan:
        tree = plan.source
        with log.step(f"rebasing {source_series} onto CPython {tree.version}"):
            conflicts = patches.rebase_series(tree, source_series)
        if _report("rebase", conflicts):
            log.info(
                f"resolve the conflicts in {tree.path} (the .rej files hold the hunks that did not apply), "
                "`git add` the files, `git am --continue`; then nox -s export-patches"
            )
            return 1
        if plan.series_dir != source_series:
            written = patches.export_series(tree, plan.series_dir)
            log.info(f"the series applies to {tree.version}; exported {len(written)} patches to {plan.series_dir}")
        else:
            log.info(f"the series applies cleanly to CPython {tree.version}")
    return 0


def cmd_export(args, rest):
    # No series needed: exporting is how a new CPython version gets its first one.
    with planned(options.from_args(args, need_series=False)) as plan:
        written = patches.export_series(plan.source, plan.series_dir)
    log.info(f"exported {len(written)} patches to {plan.series_dir}")


def cmd_install_deps(args, rest):
    deps.ensure_groups(args.groups.split(","))


def cmd_ci_matrix(args, rest):
    print(ci.matrix_json(sys.stdin.read()))


def cmd_paths(args, rest):
    """Where everything of one release is, and what is built; nothing is built or changed."""
    with planned(options.from_args(args)) as plan:
        tree = plan.source
        found = {
            "version": str(tree.version),
            "work_tree": str(tree.path),
            "pristine_tree": str(plan.cache.pristine_tree(tree.version)),
            # The patched native interpreter, built or not: what most scripts want.
            "interpreter": targets.NATIVE.command(plan, plan.directory(targets.NATIVE, Flavour.PATCHED))[0],
            "builds": {},
        }
        for target in targets.TARGETS.values():
            try:
                target.check(plan)
            except Skipped as exc:
                found["builds"][target.name] = {"unavailable": str(exc)}
                continue
            for flavour in Flavour:
                directory = plan.directory(target, flavour)
                built = target.output(plan, directory).exists()
                found["builds"].setdefault(target.name, {})[flavour.value] = {
                    "directory": str(directory),
                    "built": built,
                    "command": target.command(plan, directory) if built else None,
                }
    if args.json:
        print(json.dumps(found, indent=2))
        return
    for name in ("version", "work_tree", "pristine_tree", "interpreter"):
        print(f"{name.replace('_', ' ') + ':':<40}{found[name]}")
    # Commands are for scripts (--json): under a chroot they are long.
    for name, flavours in found["builds"].items():
        if "unavailable" in flavours:
            print(f"{name + ':':<40}unavailable: {flavours['unavailable']}")
            continue
        for flavour, build in flavours.items():
            print(f"{f'{name} ({flavour}):':<40}{build['directory']}{'' if build['built'] else '  (not built)'}")


if __name__ == "__main__":
    sys.exit(main())
