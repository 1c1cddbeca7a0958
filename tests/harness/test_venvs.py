"""Virtual environments of a built interpreter (here the host's, which behaves the same)."""

import sys
from pathlib import Path

from pipe_cpython.environments import venvs


def test_made_once_with_pip_reused_then_remade_when_its_interpreter_is_gone(tmp_path):
    venv = venvs.ensure(Path(sys.executable), tmp_path / "env")
    assert venvs.is_usable(venv)
    marker = venv / "kept"
    marker.write_text("")
    assert venvs.ensure(Path(sys.executable), venv) == venv
    assert marker.exists(), "a working environment is not remade"
    (venv / "bin" / "python").unlink()
    (venv / "bin" / "python").symlink_to(tmp_path / "removed-build" / "python")
    assert not venvs.is_usable(venv)
    assert venvs.is_usable(venvs.ensure(Path(sys.executable), venv))
    assert not marker.exists()
