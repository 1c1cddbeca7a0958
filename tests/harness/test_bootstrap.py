"""./nox's bootstrap: where nox lives, and what it installs first."""

import subprocess
import sys
from pathlib import Path

from pipe_cpython import bootstrap


def test_one_environment_per_interpreter_and_pin(tmp_path):
    assert bootstrap.tools_venv(tmp_path, "/usr/bin/python3") != bootstrap.tools_venv(tmp_path, sys.executable)
    assert bootstrap.tools_venv(tmp_path, sys.executable) == bootstrap.tools_venv(tmp_path, sys.executable)
    assert bootstrap.tools_venv(tmp_path).parent == tmp_path / "tools"


def test_a_complete_environment_is_used_as_it_is(tmp_path, monkeypatch):
    venv = bootstrap.tools_venv(tmp_path)
    venv.mkdir(parents=True)
    (venv / "pipe-cpython-complete").write_text(bootstrap.NOX)
    monkeypatch.setattr(bootstrap.subprocess, "run", lambda *a, **k: (_ for _ in ()).throw(AssertionError(a)))
    assert bootstrap.ensure_nox(tmp_path) == venv / "bin" / "nox"


def test_a_half_made_environment_is_made_again(tmp_path, monkeypatch):
    venv = bootstrap.tools_venv(tmp_path)
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "leftover").write_text("")
    commands = []

    def run(command, **kwargs):
        commands.append(command)
        if command[1:3] == ["-m", "venv"]:
            Path(command[3]).mkdir()
        return subprocess.CompletedProcess(command, 0)

    monkeypatch.setattr(bootstrap, "system_venv_package", lambda: None)
    monkeypatch.setattr(bootstrap.subprocess, "run", run)
    bootstrap.ensure_nox(tmp_path)
    assert not (venv / "bin" / "leftover").exists()
    assert commands[0][1:3] == ["-m", "venv"] and commands[1][-1] == bootstrap.NOX
    assert (venv / "pipe-cpython-complete").exists()


def test_only_debians_own_python_needs_the_venv_package(monkeypatch):
    monkeypatch.setattr(bootstrap.sys, "prefix", "/home/me/.venv")
    assert bootstrap.system_venv_package() is None, "a virtual environment has what it needs"
