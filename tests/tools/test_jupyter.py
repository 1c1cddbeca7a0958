"""The fork as a Jupyter kernel: registered as `nox -s kernel` registers it, a notebook with pipes run by nbclient.

Runs inside a virtual environment of the fork (`nox -s tools-test`), where ipykernel and nbclient are installed.
"""

import subprocess
import sys

import nbclient
import nbformat
import pytest

CELLS = [
    "double = lambda v: v * 2\n2 |> double |> str",
    "print([3, 1, 2] |> sorted)",
    "import sys\nsys.version_info[:2] |> list",
    "'abc' |> (lambda s: s.upper())",
    "1 |> undefined_stage",
]


@pytest.fixture
def kernel(tmp_path, monkeypatch):
    """The environment registered under a private prefix, and Jupyter pointed at it alone."""
    name = "pipe-cpython-test"
    subprocess.run(
        [sys.executable, "-m", "ipykernel", "install", "--prefix", str(tmp_path), "--name", name,
         "--display-name", "Python with |>"],
        check=True, capture_output=True,
    )  # fmt: skip
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "share" / "jupyter"))
    return name


def test_a_notebook_with_pipes_runs_on_the_fork(kernel):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in CELLS]
    client = nbclient.NotebookClient(notebook, kernel_name=kernel, timeout=120, allow_errors=True)
    client.execute()
    outputs = [cell.outputs for cell in notebook.cells]
    assert outputs[0][0]["data"]["text/plain"] == "'4'"
    assert outputs[1][0]["text"] == "[1, 2, 3]\n"
    assert outputs[2][0]["data"]["text/plain"] == repr(list(sys.version_info[:2]))
    assert outputs[3][0]["data"]["text/plain"] == "'ABC'"
    error = outputs[4][0]
    assert (error["output_type"], error["ename"]) == ("error", "NameError")
    assert "undefined_stage" in error["evalue"]
