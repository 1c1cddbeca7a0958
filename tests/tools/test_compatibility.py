"""The compatibility table's rows (docs/how-to/tools.md), each run as a user runs the tool, in a virtual environment
of the fork (`nox -s tools-test`): what works unchanged, and what cannot parse pipes at all."""

import json
import re
import subprocess
import sys
import textwrap

import pytest

PIPED = textwrap.dedent(
    """\
    def double(v):
        return v * 2


    def run(x):
        if x > 0:
            return x |> double |> str
        return x |> missing
    """
)


@pytest.fixture
def project(tmp_path):
    (tmp_path / "piped.py").write_text(PIPED)
    (tmp_path / "main.py").write_text("import piped\nprint(piped.run(2))\n")
    return tmp_path


def run(project, *command, stdin=None):
    return subprocess.run(command, cwd=project, capture_output=True, text=True, input=stdin)


def test_coverage_measures_lines_with_pipes(project):
    assert run(project, sys.executable, "-m", "coverage", "run", "main.py").stdout == "4\n"
    run(project, sys.executable, "-m", "coverage", "json", "-o", "coverage.json")
    measured = json.loads((project / "coverage.json").read_text())["files"]["piped.py"]
    assert 7 in measured["executed_lines"] and measured["missing_lines"] == [8]


def test_pyflakes_reports_at_the_pipe(project):
    result = run(project, sys.executable, "-m", "pyflakes", "piped.py")
    assert result.stdout.splitlines() == ["piped.py:8:17: undefined name 'missing'"]


def test_ipython_runs_pipes(project):
    result = run(project, sys.executable, "-m", "IPython", "--no-banner", "-c", "print(2 |> str |> len)")
    assert result.stdout.strip().endswith("1"), result.stdout + result.stderr


def test_pdb_steps_from_a_pipe_into_its_stage(project):
    commands = "break piped.py:7\ncontinue\nstep\nwhere\nquit\n"
    output = run(project, sys.executable, "-m", "pdb", "main.py", stdin=commands).stdout
    assert "-> return x |> double |> str" in output
    assert "--Call--" in output and "piped.py(1)double()" in output


def test_black_cannot_parse_pipes(project):
    result = run(project, sys.executable, "-m", "black", "--check", "piped.py")
    # Black names a target version in the message when it infers one from a pyproject.toml it finds above the file.
    assert result.returncode == 123
    assert re.search(r"cannot parse( for target version [^:]+)?: piped\.py:7:", result.stderr), result.stderr


def test_ruff_cannot_parse_pipes(project):
    result = run(project, sys.executable, "-m", "ruff", "check", "--no-cache", "piped.py")
    assert result.returncode == 1 and "invalid-syntax" in result.stdout and "piped.py:7:" in result.stdout
