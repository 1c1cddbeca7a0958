"""realworld's runtime half, without a build: reading pytest's reports and comparing two runs."""

from __future__ import annotations

import tarfile

from pipe_cpython.core import project
from pipe_cpython.proofs import suites

REPORT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="pytest">
<testcase classname="tests.test_a" name="test_passes"/>
<testcase classname="tests.test_a" name="test_fails"><failure message="boom"/></testcase>
<testcase classname="tests.test_a" name="test_skipped"><skipped message="no"/></testcase>
<testcase classname="tests.test_b" name="test_errors"><error message="fixture"/></testcase>
</testsuite></testsuites>
"""


def test_outcomes_of_a_junit_report(tmp_path):
    (tmp_path / "r.xml").write_text(REPORT)
    assert suites.outcomes(tmp_path / "r.xml") == {
        "tests.test_a::test_passes": "passed",
        "tests.test_a::test_fails": "failed",
        "tests.test_a::test_skipped": "skipped",
        "tests.test_b::test_errors": "error",
    }


def test_differences_name_each_test_and_both_outcomes():
    released = {"t::a": "passed", "t::b": "failed", "t::c": "passed"}
    piped = {"t::a": "passed", "t::b": "passed", "t::d": "error"}
    assert suites.differences(released, piped) == [
        "t::b: failed as released, passed piped",
        "t::c: passed as released, absent piped",
        "t::d: absent as released, error piped",
    ]
    assert suites.differences(released, dict(released)) == []


def test_summary_counts_outcomes():
    assert suites.summary({"a": "passed", "b": "passed", "c": "skipped"}) == "2 passed, 1 skipped"


def test_the_pins_are_source_distributions_with_hashes():
    lines = [line for line in project.REALWORLD_SUITES.read_text().splitlines() if not line.startswith("#")]
    assert len(lines) == 3 and all("==" in line and "--hash=sha256:" in line for line in lines)


def test_an_sdist_is_unpacked_afresh_and_found_by_its_normalised_name(tmp_path):
    source = tmp_path / "more_itertools-10.8.0"
    (source / "tests").mkdir(parents=True)
    (source / "tests" / "test_x.py").write_text("def test_x():\n    pass\n")
    sdist = tmp_path / "downloads" / "more_itertools-10.8.0.tar.gz"
    sdist.parent.mkdir()
    with tarfile.open(sdist, "w:gz") as archive:
        archive.add(source, arcname=source.name)
    assert suites._sdist("more-itertools==10.8.0", sdist.parent) == sdist
    assert suites._sdist("more-itertools==10.9.0", sdist.parent) is None
    work = tmp_path / "work"
    (work / "stale").mkdir(parents=True)
    top = suites.unpacked(sdist, work)
    assert top == work / "more_itertools-10.8.0" and (top / "tests" / "test_x.py").is_file()
    assert not (work / "stale").exists()
