import os
import signal
import subprocess
import sys

import pytest

from pipe_cpython.core.errors import HarnessError
from pipe_cpython.proofs import fullsuite, runner
from pipe_cpython.proofs.fullsuite import Outcome, SuiteResult

JUNIT = """<testsuites><testsuite tests="4">
<testcase classname="test.test_a.T" name="test_ok" />
<testcase classname="test.test_a.T" name="test_bad"><failure>boom</failure></testcase>
<testcase classname="test.test_a.T" name="test_err"><error>oops</error></testcase>
<testcase classname="test.test_b.U" name="test_skip"><skipped>no</skipped></testcase>
</testsuite></testsuites>"""

SUMMARY = """\
== Tests result: FAILURE ==

2 tests skipped:
    test_winreg test_winsound

1 test skipped (resource denied):
    test_tkinter

1 test failed:
    test_socket

470 tests OK.
Total duration: 21 min 3 sec
"""


def test_junit_outcomes_by_test_id(tmp_path):
    report = tmp_path / "junit.xml"
    report.write_text(JUNIT)
    assert fullsuite.read_junit(report) == {
        "test.test_a.T.test_ok": Outcome.PASSED,
        "test.test_a.T.test_bad": Outcome.FAILED,
        "test.test_a.T.test_err": Outcome.FAILED,
        "test.test_b.U.test_skip": Outcome.SKIPPED,
    }


def test_summary_lists_modules_that_ran_no_test():
    assert fullsuite.read_summary(SUMMARY) == {
        "test_winreg": "skipped",
        "test_winsound": "skipped",
        "test_tkinter": "skipped (resource denied)",
        "test_socket": "failed",
    }


def test_differences_name_both_outcomes_and_missing_tests():
    pristine = SuiteResult({"t.a": Outcome.PASSED, "t.b": Outcome.SKIPPED}, {"test_x": "skipped"})
    patched = SuiteResult({"t.a": Outcome.FAILED, "t.b": Outcome.SKIPPED, "t.c": Outcome.PASSED}, {})
    assert fullsuite.differences(patched, pristine) == {
        "t.a": ("failed", "passed"),
        "t.c": ("passed", "not run"),
        "test_x": ("ran", "skipped"),
    }
    assert fullsuite.differences(pristine, pristine) == {}


def test_an_allowlist_entry_needs_a_reason(tmp_path):
    allowlist = tmp_path / "3.13.txt"
    allowlist.write_text("# header\ntest.test_a.T.test_bad  # the machine, not the patch\n")
    assert fullsuite.read_allowlist(allowlist) == {"test.test_a.T.test_bad"}
    allowlist.write_text("test.test_a.T.test_bad\n")
    with pytest.raises(HarnessError, match="has no reason"):
        fullsuite.read_allowlist(allowlist)
    assert fullsuite.read_allowlist(tmp_path / "missing.txt") == set()


@pytest.mark.parametrize(
    ("line", "groups"),
    [
        ("0:00:01 load avg: 1.0 [  3/481] test_a passed", ("3/481", None, "test_a")),
        ("0:10:21 load avg: 3.58 [320/481/2] test_property passed", ("320/481", "2", "test_property")),
    ],
)
def test_progress_lines_are_read_before_and_after_a_failure(line, groups):
    assert fullsuite._PROGRESS.search(line).groups() == groups


def test_ids_are_the_same_however_regrtest_writes_them():
    assert runner.test_id("test.test_a.T", "test_x") == "test.test_a.T.test_x"
    assert runner.test_id("", "test.test_a.T.test_x") == "test.test_a.T.test_x"
    subtest = "test.test_u.T.test_p (parse=<functools._lru_cache_wrapper object at 0x7f7897f3a1f0>)"
    assert runner.test_id("", subtest) == runner.test_id("", subtest.replace("7f7897f3a1f0", "7fcf9cbba4b0"))


FAKE_PYTHON = """#!/bin/sh
# Stands in for `python -m test ... --junit-xml FILE`: counts its runs, writes a report, and keeps what a
# Python started there has for SIGINT (CPython keeps SIGINT ignored if it starts so).
echo run >> "$(dirname "$0")/runs"
{python} -c 'import signal; print(signal.getsignal(signal.SIGINT))' > "$(dirname "$0")/sigint"
while [ "$#" -gt 0 ]; do
  if [ "$1" = --junit-xml ]; then printf '%s' '{junit}' > "$2"; fi
  shift
done
echo '470 tests OK.'
"""


COMMIT = ["git", "-c", "user.name=t", "-c", "user.email=t@t", "commit", "-q", "--allow-empty", "-m", "x"]


@pytest.fixture
def fake_python(tmp_path):
    python = tmp_path / "bin" / "python"
    python.parent.mkdir()
    python.write_text(FAKE_PYTHON.replace("{junit}", JUNIT.replace("\n", "")).replace("{python}", sys.executable))
    python.chmod(0o755)
    return python


@pytest.fixture
def tree(tmp_path):
    """A work tree with one commit."""
    tree = tmp_path / "tree"
    subprocess.run(["git", "init", "-q", str(tree)], check=True)
    subprocess.run(COMMIT, cwd=tree, check=True)
    return tree


def test_a_finished_run_is_read_back_until_its_interpreter_tree_or_options_change(tmp_path, fake_python, tree):
    python = fake_python
    reports = tmp_path / "reports"

    def runs() -> int:
        return len((python.parent / "runs").read_text().splitlines())

    first = fullsuite.run(python, tree, reports, 2, [], "patched")
    again = fullsuite.run(python, tree, reports, 2, [], "patched")
    assert runs() == 1 and again.cases == first.cases and first.cases["test.test_a.T.test_bad"] is Outcome.FAILED
    fullsuite.run(python, tree, reports, 2, ["-x", "test_a"], "patched")
    assert runs() == 2
    subprocess.run(COMMIT, cwd=tree, check=True)  # a new commit of the series: Lib/test may differ
    fullsuite.run(python, tree, reports, 2, ["-x", "test_a"], "patched")
    assert runs() == 3
    os.utime(python, ns=(python.stat().st_atime_ns, python.stat().st_mtime_ns + 10**9))  # rebuilt
    fullsuite.run(python, tree, reports, 2, ["-x", "test_a"], "patched")
    assert runs() == 4


def test_the_suite_gets_a_default_sigint_whoever_started_it(tmp_path, fake_python, tree):
    """`nohup nox -s regrtest-full &` ignores SIGINT: the suite's Ctrl-C tests must not inherit that."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        fullsuite.run(fake_python, tree, tmp_path / "reports", 2, [], "patched")
    finally:
        signal.signal(signal.SIGINT, previous)
    assert "default_int_handler" in (fake_python.parent / "sigint").read_text()
