"""pylint on pipe code, with and without the plugin, each run in a process of its own as a user runs it.

Runs inside a virtual environment of the fork with pylint installed (`nox -s tools-test`)."""

import subprocess
import sys
import textwrap

SOURCE = textwrap.dedent(
    """\
    \"\"\"Pipes for pylint.\"\"\"
    def pair(a, b):
        \"\"\"Two values.\"\"\"
        return a, b
    FIRST = 1 |> missing
    SECOND = 2 |> pair
    THIRD = [3, 1] |> sorted |> len
    FOURTH = 4 |> 5
    """
)


def pylint(tmp_path, *options):
    (tmp_path / "example.py").write_text(SOURCE)
    command = [sys.executable, "-m", "pylint", "--score=n", "--disable=C,R", *options, "example.py"]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True).stdout.splitlines()


def test_pipes_are_checked_as_the_calls_they_are(tmp_path):
    messages = [line for line in pylint(tmp_path, "--load-plugins=pylint_pipe_operator") if line.startswith("example")]
    assert messages == [
        "example.py:5:13: E0602: Undefined variable 'missing' (undefined-variable)",
        "example.py:6:9: E1120: No value for argument 'b' in function call (no-value-for-parameter)",
        "example.py:8:9: E1102: 5 is not callable (not-callable)",
    ]


def test_without_the_plugin_the_module_is_not_checked(tmp_path):
    lines = pylint(tmp_path)
    assert any("F0002" in line and "astroid-error" in line for line in lines), lines
