"""The tools half of the harness: the pytest plugin where there is no `|>`, and what the steps run."""

from __future__ import annotations

import ast
import importlib.util

import pytest
from _pytest.assertion import rewrite

from pipe_cpython.core import project
from pipe_cpython.environments import devtools


def load_plugin():
    spec = importlib.util.spec_from_file_location(
        "pytest_pipe_operator", project.PLUGINS / "pytest-pipe-operator" / "pytest_pipe_operator.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(hasattr(ast, "Pipe"), reason="the harness's tests run on an interpreter without |>")
def test_the_plugin_changes_nothing_without_the_operator():
    before = (rewrite.AssertionRewriter.visit_BinOp, dict(rewrite.BINOP_MAP))
    plugin = load_plugin()
    assert plugin.TAUGHT is False and plugin.install() is False
    assert (rewrite.AssertionRewriter.visit_BinOp, dict(rewrite.BINOP_MAP)) == before
    assert plugin.pytest_report_header() is None


def test_the_plugin_is_a_package_with_pytests_entry_point():
    metadata = (project.PLUGINS / "pytest-pipe-operator" / "pyproject.toml").read_text()
    assert '[project.entry-points.pytest11]\npipe_operator = "pytest_pipe_operator"' in metadata
    assert devtools.PYTEST.split("==")[0] in metadata


def test_kernel_names_say_which_fork():
    assert devtools.kernel_name("3.14.7") == "pipe-cpython-3.14.7"
    assert devtools.kernel_name("3.14.7", "freethreaded") == "pipe-cpython-3.14.7-freethreaded"


def test_a_failed_install_says_how_to_retry(tmp_path, monkeypatch):
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin" / "python").symlink_to("/bin/false")
    with pytest.raises(devtools.HarnessError, match="pip could not install") as caught:
        devtools.pip_install(tmp_path, "nothing==0")
    assert "python -m pip install nothing==0" in caught.value.hint


def test_every_plugin_is_a_package_with_its_tests():
    for name in devtools.PLUGINS:
        plugin = project.PLUGINS / name
        module = name.replace("-", "_") + ".py"
        assert f'name = "{name}"' in (plugin / "pyproject.toml").read_text(), name
        assert (plugin / module).is_file() and any((plugin / "tests").glob("test_*.py")), name
