"""Running the built interpreter: commands, the conformance suite, CPython's own tests."""

from __future__ import annotations

import enum
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from xml.etree import ElementTree

from ..core import log
from ..core.errors import HarnessError

# regrtest options whose value can look like a test name (`-m test_foo` selects, it does not name a module).
_VALUED_OPTIONS = {"-m", "--match", "-i", "--ignore", "--matchfile", "--ignorefile", "--fromfile", "-u", "--use"}
_TEST_NAME = re.compile(r"test(?:_\w+|\.[\w.]+)")


def split_regrtest_args(args: list[str]) -> tuple[list[str], list[str]]:
    """(test names, everything else in order): `-u all` stays an option with its value, `test_grammar` is a test."""
    tests, options = [], []
    for previous, arg in zip(["", *args], args, strict=False):
        if previous not in _VALUED_OPTIONS and _TEST_NAME.fullmatch(arg):
            tests.append(arg)
        else:
            options.append(arg)
    return tests, options


SEED_PROGRAM = """\
double = lambda v: v * 2
increment = lambda v: v + 1
print(2 |> double |> increment |> double)
"""


def interpreter_command(python: Path | list[str]) -> list[str]:
    return [str(python)] if isinstance(python, Path) else python


def run(python: Path | list[str], args: list[str]) -> int:
    """Run the interpreter with the user's arguments and terminal; return its exit status."""
    return subprocess.run([*interpreter_command(python), *args]).returncode


def smoke_test(python: Path | list[str], flavour: str = "native") -> None:
    """Prove the interpreter really is the fork by its output (an exit status of 0 proves little under node)."""
    result = subprocess.run([*interpreter_command(python), "-c", SEED_PROGRAM], capture_output=True, text=True)
    if result.returncode != 0 or result.stdout.strip() != "10":
        raise HarnessError(
            f"the {flavour} interpreter does not evaluate the seed pipeline (exit {result.returncode}):\n"
            f"{result.stdout}{result.stderr}",
            hint="the build may be stale or the patches incomplete: rebuild with --clean",
        )
    log.info(f"smoke test ({flavour}): 2 |> double |> increment |> double == 10")


def conformance(
    python: Path | list[str], suite_dir: Path, args: list[str], scratch: Path, flavour: str = "native"
) -> int:
    """Run the suite with bytecode caches of its own in `scratch` (a directory the interpreter can reach).

    The fork keeps upstream's magic number, so a .pyc of the suite that an earlier build of the same series
    wrote would be read as current, and the `dis` tests would check that build's code generation.
    """
    with log.step(f"conformance suite ({flavour})"), tempfile.TemporaryDirectory(dir=scratch, prefix="pyc-") as pyc:
        command = [*interpreter_command(python), "-X", f"pycache_prefix={pyc}", str(suite_dir / "run.py"), *args]
        return subprocess.run(command).returncode


def regrtest(python: Path | list[str], tests: list[str], jobs: int, args: list[str]) -> int:
    with log.step(f"CPython's regression tests ({len(tests)} modules, -j{jobs})"):
        # `cpu` adds the whole-stdlib round trips of test_unparse and test_tokenize.
        command = [*interpreter_command(python), "-m", "test", f"-j{jobs}", "--timeout=900", "-u", "cpu", *args, *tests]
        return subprocess.run(command).returncode


@dataclass
class ModuleOutcome:
    """One regrtest module run in its own process: which test ids failed, or that it crashed."""

    module: str
    failed: set[str]
    crashed: bool
    tests: int


def regrtest_isolated(
    python: list[str],
    driver: Path,
    modules: list[str],
    report_dir: Path,
    options: list[str] = (),
    label: str = "WebAssembly, node",
    jobs: int = 1,
) -> list[ModuleOutcome]:
    """Each module in its own interpreter process (on WebAssembly one crash would end a shared run), `jobs` of
    them at a time; the outcomes in the order of `modules`.

    When a test crashes the process, the module is run again without it, so
    one crashing test costs that test, not the whole module.
    """
    report_dir.mkdir(parents=True, exist_ok=True)

    def run_module(module: str) -> ModuleOutcome:
        report = report_dir / f"{module}.xml"
        # A working directory of its own: a WebAssembly runtime may give every process the same pid, which
        # regrtest's and the tests' file names are made of.
        work = report_dir / "work" / module
        crashed: list[str] = []
        with log.step(f"{module} ({label})"):
            for _attempt in range(_MAX_CRASHES_PER_MODULE + 1):
                report.unlink(missing_ok=True)
                shutil.rmtree(work, ignore_errors=True)
                work.mkdir(parents=True)
                ignores = [f"--ignore={_REGRTEST_PREFIX}{test}" for test in crashed]
                files = ["--tempdir", str(work), "--junit-xml", str(report)]
                result = subprocess.run(
                    [*python, str(driver), "-v", "-u", "cpu", *files, *options, *ignores, module],
                    capture_output=True,
                    text=True,
                )
                (report_dir / f"{module}.log").write_text(result.stdout + result.stderr)
                last = last_started_test(result.stdout)
                if report.exists() or last is None or last in crashed:
                    break
                log.info(f"  {last} crashed the interpreter; running {module} again without it")
                crashed.append(last)
        shutil.rmtree(work, ignore_errors=True)
        return _outcome(module, report, crashed)

    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        return list(pool.map(run_module, modules))


_MAX_CRASHES_PER_MODULE = 5
_REGRTEST_PREFIX = "test."


def last_started_test(verbose_output: str) -> str | None:
    """The id of the last test unittest announced in verbose mode (the one running if the process died)."""
    started = re.findall(r"^\w+ \((test\.[\w.]+)\)", verbose_output, re.M)
    return started[-1].removeprefix(_REGRTEST_PREFIX) if started else None


class Outcome(enum.Enum):
    PASSED = "passed"
    FAILED = "failed"
    SKIPPED = "skipped"


# A subtest's parameters can print an object's address, which differs between two runs of the same test.
_ADDRESS = re.compile(r" at 0x[0-9a-f]+")


def test_id(classname: str, name: str) -> str:
    """`test.test_x.Class.test_method`, whether regrtest wrote the class apart or in the name."""
    full = f"{classname}.{name}" if classname else name
    return _ADDRESS.sub(" at 0x...", full.lstrip("."))


def read_junit(report: Path) -> dict[str, Outcome]:
    """Each test id of a JUnit report (regrtest's --junit-xml) and its outcome."""
    cases = {}
    for case in ElementTree.parse(report).iter("testcase"):
        test_id_ = test_id(case.get("classname", ""), case.get("name", ""))
        if case.find("failure") is not None or case.find("error") is not None:
            cases[test_id_] = Outcome.FAILED
        elif case.find("skipped") is not None:
            cases[test_id_] = Outcome.SKIPPED
        else:
            cases[test_id_] = Outcome.PASSED
    return cases


def _outcome(module: str, report: Path, crashed: list[str] = ()) -> ModuleOutcome:
    if not report.exists():
        return ModuleOutcome(module, set(crashed), crashed=True, tests=0)
    cases = read_junit(report)
    failed = {test.removeprefix(_REGRTEST_PREFIX) for test, outcome in cases.items() if outcome is Outcome.FAILED}
    # Every testcase counts, also where a subtest's id repeats another's.
    tests = sum(1 for _ in ElementTree.parse(report).iter("testcase"))
    return ModuleOutcome(module, failed | set(crashed), crashed=False, tests=tests + len(crashed))


def read_allowlist(path: Path) -> dict[str, set[str]]:
    """`module: test.id  # reason` lines; `module: CRASH  # reason` for a module that cannot finish."""
    allowed: dict[str, set[str]] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            module, _, test = (part.strip() for part in line.partition(":"))
            allowed.setdefault(module, set()).add(test)
    return allowed


def compare_with_allowlist(outcomes: list[ModuleOutcome], allowed: dict[str, set[str]]) -> list[str]:
    """Problems: failures not on the allow-list, and allow-list entries that no longer fail (stale)."""
    problems = []
    for outcome in outcomes:
        expected = allowed.get(outcome.module, set())
        actual = {"CRASH"} if outcome.crashed else outcome.failed
        problems += [
            f"{outcome.module}: {test} failed and is not on the allow-list" for test in sorted(actual - expected)
        ]
        problems += [f"{outcome.module}: {test} is on the allow-list but passed" for test in sorted(expected - actual)]
    return problems
