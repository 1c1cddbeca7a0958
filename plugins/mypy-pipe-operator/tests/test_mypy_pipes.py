"""mypy on pipe code, with and without the plugin, each run in a process of its own as a user runs it.

Runs inside a virtual environment of the fork with mypy's pure-Python build (`nox -s tools-test`)."""

import subprocess
import sys
import textwrap

import pytest

SOURCE = textwrap.dedent(
    """\
    def takes_int(v: int) -> int:
        return v
    reveal_type(1 |> str)
    bad = "a" |> takes_int
    good: int = 2 |> takes_int |> takes_int
    reveal_type([3, 1] |> sorted |> len)
    words = ["a"]
    reveal_type("a" |> words.count)
    """
)


def mypy(tmp_path, *config):
    (tmp_path / "example.py").write_text(SOURCE)
    (tmp_path / "mypy.ini").write_text("\n".join(["[mypy]", *config]) + "\n")
    command = [sys.executable, "-m", "mypy", "--no-incremental", "--config-file", "mypy.ini", "example.py"]
    return subprocess.run(command, cwd=tmp_path, capture_output=True, text=True).stdout.splitlines()


@pytest.fixture
def checked(tmp_path):
    return mypy(tmp_path, "plugins = mypy_pipe_operator")


def test_reveal_type_of_a_pipe_is_the_calls(checked):
    assert 'example.py:3: note: Revealed type is "str"' in checked
    assert 'example.py:6: note: Revealed type is "int"' in checked
    assert 'example.py:8: note: Revealed type is "int"' in checked


def test_a_wrong_argument_type_is_reported_on_the_pipes_line(checked):
    errors = [line for line in checked if ": error:" in line]
    assert errors == [
        'example.py:4: error: Argument 1 to "takes_int" has incompatible type "str"; expected "int"  [arg-type]'
    ]


def test_without_the_plugin_mypy_stops_at_the_first_pipe(tmp_path):
    lines = mypy(tmp_path)
    assert any(line.startswith("example.py:3: error:") and "[syntax]" in line for line in lines), lines
    assert not any("Revealed type" in line for line in lines)


def test_columns_point_into_the_pipe(tmp_path):
    lines = mypy(tmp_path, "plugins = mypy_pipe_operator", "show_column_numbers = True")
    # The argument's error is at the operand, where the pipe starts: `bad = "a" |> takes_int`, column 7.
    assert any(line.startswith("example.py:4:7: error: Argument 1") for line in lines), lines
