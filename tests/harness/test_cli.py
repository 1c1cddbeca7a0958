"""The command line's handling of bad input: exit status 2 and a message, never a traceback."""

import argparse
import json

import pytest

from pipe_cpython import deps
from pipe_cpython.__main__ import main, parser
from pipe_cpython.errors import HarnessError


def test_malformed_version(capsys):
    assert main(["fetch", "--cpython", "3.x"]) == 2
    err = capsys.readouterr().err
    assert "error: malformed CPython version '3.x'" in err
    assert "Traceback" not in err


def test_version_without_series_names_nearest_before_any_download(capsys, tmp_path):
    assert main(["build", "--cpython", "3.15", "--cache", str(tmp_path / "c"), "--source", "nowhere"]) == 2
    err = capsys.readouterr().err
    assert "CPython 3.15 has no patch series (have: " in err
    assert "--from 3.14 --cpython 3.15" in err
    assert not (tmp_path / "c").exists()


def test_unknown_source(capsys, tmp_path):
    assert main(["fetch", "--source", "nowhere", "--cache", str(tmp_path / "c")]) == 2
    assert "unknown source 'nowhere'" in capsys.readouterr().err


def test_every_documented_step_exists():
    steps = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    assert {"fetch", "apply", "build", "run", "conformance", "regrtest", "export", "install-deps"} <= set(steps)


def test_install_deps_groups():
    assert "libsqlite3-dev" in deps.packages(["native"])
    assert deps.packages(["wasm"]) == ["debian-archive-keyring", "debootstrap"]
    assert "chromium" in deps.packages(list(deps.GROUPS))
    with pytest.raises(HarnessError, match="unknown package group"):
        deps.packages(["gpu"])


def test_fuzz_rejects_a_count_below_one(capsys, tmp_path):
    assert main(["fuzz", "--count", "0", "--cache", str(tmp_path / "c")]) == 2
    assert "--count must be at least 1" in capsys.readouterr().err
    assert not (tmp_path / "c").exists()


def test_every_build_step_takes_pristine():
    steps = next(a for a in parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    for name in ("build", "run", "conformance", "fuzz", "build-wasm", "conformance-wasm"):
        assert steps[name].parse_args(["--pristine"]).pristine, name


def test_paths_as_json_for_scripts(capsys, fake_upstream, tmp_path):
    assert main(["paths", "--json", "--source", f"file://{fake_upstream}", "--cache", str(tmp_path / "c")]) == 0
    found = json.loads(capsys.readouterr().out)
    assert found["interpreter"].endswith("/native/python")
    assert found["builds"]["emscripten-node"]["patched"] == {
        "directory": str(tmp_path / "c" / "build" / "cpython-3.13.99" / "wasm-node"),
        "built": False,
        "command": None,
    }, "no wasm build yet"
    assert found["builds"]["native"]["pristine"]["directory"].endswith("/native-pristine")


def test_a_command_from_elsewhere_counts_as_its_package(monkeypatch):
    """npm bundled with NodeSource's nodejs must not make apt install Debian's npm over it."""
    monkeypatch.setattr(deps.shutil, "which", lambda name: f"/opt/node/bin/{name}" if name in ("node", "npm") else None)
    assert deps.missing(["nodejs", "npm"]) == []
    monkeypatch.setattr(deps.shutil, "which", lambda name: None)
    assert deps.missing(["nodejs", "npm"]) == ["nodejs", "npm"], "no dpkg, no command: both are missing"
