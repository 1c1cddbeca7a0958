"""CPython's whole test suite on the patched and the pristine build of one release, compared test by test.

Each build runs `python -m test` over every module, with every resource
that can run on a build machine (`RESOURCES`), writing JUnit XML. The
comparison is by test id (`test.test_x.Class.test_method`): the fork must
fail exactly the tests pristine fails and skip exactly what pristine skips.
Whole modules that never ran a test (skipped at import, resource denied)
come from regrtest's summary, by module. A difference is reported only when
a second run of that one test, on both builds, agrees with the first: the
suite has tests that fail now and then on a loaded machine, on either build.
"""

from __future__ import annotations

import re
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..core import log
from ..core.errors import HarnessError
from ..core.stamps import Stamp
from ..host import gitrepo, process
from .runner import Outcome, read_junit

# regrtest's `all`, minus what a build machine cannot offer: `network` and `urlfetch` need the internet,
# `gui` a display, `audio` a sound device. `cpu`, `decimal`, `largefile`, `subprocess`, `walltime` and the rest
# run; `all` itself leaves out regrtest's extra resources (`extralargefile`, `tzdata`, `xpickle`, `wantobjects`).
RESOURCES = "all,-network,-urlfetch,-gui,-audio"
FINISHED = "finished.json"
TIMEOUT = 1200  # seconds per module: test_peg_generator compiles C extensions, test_unparse the whole stdlib


@dataclass
class SuiteResult:
    cases: dict[str, Outcome] = field(default_factory=dict)
    # Modules regrtest lists in its summary (skipped, resource denied, failed, ...), with the list they are in.
    modules: dict[str, str] = field(default_factory=dict)


_SUMMARY_HEADER = re.compile(r"^(\d+) tests? (.+?):$")
# "[123/482]", or "[123/482/2]" once 2 modules failed.
_PROGRESS = re.compile(r"\[\s*(\d+/\d+)(?:/(\d+))?\] (test\S*)")
PROGRESS_EVERY = 30  # seconds between progress lines


def read_summary(output: str) -> dict[str, str]:
    """regrtest's closing lists ("2 tests skipped:", "1 test skipped (resource denied):"): module -> list."""
    modules, current = {}, None
    for line in output.splitlines():
        if match := _SUMMARY_HEADER.match(line):
            current = match[2]
        elif current and line.startswith("    "):
            modules.update((name, current) for name in line.split())
        else:
            current = None
    return modules


def run(python: Path, tree: Path, report_dir: Path, jobs: int, args: list[str], label: str) -> SuiteResult:
    """The whole suite on one build; its log and JUnit report stay in `report_dir`.

    A finished run of the same interpreter, tree and arguments is read back
    instead of run again, so an interrupted `regrtest-full` resumes with the
    build it had not finished.
    """
    report_dir.mkdir(parents=True, exist_ok=True)
    finished = Stamp(report_dir / FINISHED)
    inputs = run_inputs(python, tree, args)
    if finished.matches(inputs):
        log.info(f"the {label} build's run in {report_dir} is finished and current: read, not run again")
        return read(report_dir, label)
    finished.clear()
    junit, output = report_dir / "junit.xml", report_dir / "regrtest.log"
    junit.unlink(missing_ok=True)
    command = [str(python), "-m", "test", f"-j{jobs}", f"--timeout={TIMEOUT}", "-u", RESOURCES]
    what = f"CPython's whole test suite on the {label} build (-j{jobs}; log {output})"
    with log.step(what), open(output, "w", buffering=1) as out:  # line-buffered: the log can be followed
        proc = subprocess.Popen(
            [*command, "--junit-xml", str(junit), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            preexec_fn=process.default_sigint,
        )
        shown = time.monotonic()
        for line in proc.stdout:
            out.write(line)
            # "0:12:34 load avg: 1.98 [123/482] test_x passed": a module finished.
            if (progress := _PROGRESS.search(line)) and time.monotonic() - shown > PROGRESS_EVERY:
                log.info(f"  {label}: {progress[1]} modules done ({progress[2] or 0} failed), last {progress[3]}")
                shown = time.monotonic()
        proc.wait()
    result = read(report_dir, label)
    finished.write(inputs)
    return result


def run_inputs(python: Path, tree: Path, args: list[str]) -> dict:
    """What a run's outcome depends on: the interpreter as built, the tree's commit (its Lib/test), the options."""
    return {
        "python": str(python),
        "built": python.stat().st_mtime_ns,
        "commit": gitrepo.rev("HEAD", tree),
        "resources": RESOURCES,
        "args": args,
        # Runs from before the suite got a default SIGINT may have had it ignored: not the same run.
        "sigint": "default",
    }


def read(report_dir: Path, label: str) -> SuiteResult:
    """What a finished run left in `report_dir`."""
    junit, output = report_dir / "junit.xml", report_dir / "regrtest.log"
    if not output.exists():
        raise HarnessError(
            f"no run of the {label} build in {report_dir}", hint="run regrtest-full without --compare-only"
        )
    text = output.read_text(errors="replace")
    if not junit.exists():
        tail = "\n".join(text.splitlines()[-20:])
        raise HarnessError(f"regrtest on the {label} build wrote no report; the end of {output}:\n{tail}")
    return SuiteResult(read_junit(junit), read_summary(text))


def differences(patched: SuiteResult, pristine: SuiteResult) -> dict[str, tuple[str, str]]:
    """Test id or module -> (patched outcome, pristine outcome), wherever they differ."""
    found = {}
    for test_id in patched.cases.keys() | pristine.cases.keys():
        mine, theirs = patched.cases.get(test_id), pristine.cases.get(test_id)
        if mine != theirs:
            found[test_id] = (mine.value if mine else "not run", theirs.value if theirs else "not run")
    for module in patched.modules.keys() | pristine.modules.keys():
        mine, theirs = patched.modules.get(module), pristine.modules.get(module)
        if mine != theirs:
            found[module] = (mine or "ran", theirs or "ran")
    return found


def rerun(python: Path, entry: str, scratch: Path) -> str:
    """The outcome of one test id (or one whole module) run again on its own."""
    module, _, rest = entry.removeprefix("test.").partition(".")
    report = scratch / "rerun.xml"
    report.unlink(missing_ok=True)
    # The method's name (a subtest's parameters follow it in parentheses, and may hold dots).
    match = ["-m", rest.split(" (", 1)[0].rpartition(".")[2]] if rest else []
    command = [str(python), "-m", "test", "-u", RESOURCES, f"--timeout={TIMEOUT}", "--junit-xml", str(report)]
    result = subprocess.run(
        [*command, *match, module], capture_output=True, text=True, preexec_fn=process.default_sigint
    )
    if not rest:
        return read_summary(result.stdout).get(module, "ran")
    outcome = read_junit(report).get(entry) if report.exists() else None
    return outcome.value if outcome else "not run"


def confirmed(
    found: dict[str, tuple[str, str]], patched: Path, pristine: Path, scratch: Path
) -> dict[str, tuple[str, str]]:
    """The differences that a second run of each, on both builds, shows again (the others are reported as flaky)."""
    kept = {}
    for entry, outcomes in sorted(found.items()):
        again = (rerun(patched, entry, scratch), rerun(pristine, entry, scratch))
        if again[0] != again[1]:
            kept[entry] = outcomes
        else:
            log.info(f"  {entry}: {outcomes[0]} patched, {outcomes[1]} pristine, then {again[0]} on both: flaky")
    return kept


def read_allowlist(path: Path) -> set[str]:
    """`test id  # reason` lines; a reason is required."""
    allowed = set()
    for number, line in enumerate(path.read_text().splitlines(), 1) if path.exists() else ():
        entry, _, reason = line.partition("#")
        if entry.strip():
            if not reason.strip():
                raise HarnessError(f"{path}:{number}: {entry.strip()} has no reason", hint="write `test id  # why`")
            allowed.add(entry.strip())
    return allowed
