"""The command line's handling of bad input: exit status 2 and a message, never a traceback."""

import argparse
import dataclasses
import json

import pytest

from pipe_cpython.__main__ import EXIT_SKIPPED, SKIP_REASON_ENV, main, parser
from pipe_cpython.core.errors import HarnessError
from pipe_cpython.host import deps
from pipe_cpython.plan import options
from pipe_cpython.series import profiles


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


def test_without_cpython_the_newest_reachable_series_is_built_and_the_fallback_said(capsys, fake_upstream, tmp_path):
    # The fake upstream offers 3.13 only: the newest series (3.14) cannot be fetched from it.
    assert main(["fetch", "--source", f"file://{fake_upstream}", "--cache", str(tmp_path / "c")]) == 0
    out, err = capsys.readouterr()
    assert out.strip().endswith("cpython-3.13.99")
    [line] = [line for line in err.splitlines() if "no source offers CPython 3.14" in line]
    assert "building 3.13" in line and "--cpython 3.14 --source Python-3.14.N.tar.xz" in line


def test_a_series_whose_source_cannot_be_reached_is_a_skip_with_its_reason(
    capsys, fake_upstream, tmp_path, monkeypatch
):
    reason = tmp_path / "reason"
    monkeypatch.setenv(SKIP_REASON_ENV, str(reason))
    argv = ["build", "--cpython", "3.14", "--source", f"file://{fake_upstream}", "--cache", str(tmp_path / "c")]
    assert main(argv) == EXIT_SKIPPED == 3
    assert "pipe-cpython: skipped: " in capsys.readouterr().err
    assert "has no release tag for CPython 3.14" in reason.read_text()


def test_a_platform_the_series_has_no_build_for_is_a_skip_before_anything_is_built(
    capsys, fake_upstream, tmp_path, monkeypatch
):
    monkeypatch.setitem(profiles.PROFILES, "3.13", dataclasses.replace(profiles.PROFILES["3.13"], wasi=None))
    cache = tmp_path / "c"
    assert main(["build-wasi", "--cpython", "3.13", "--source", f"file://{fake_upstream}", "--cache", str(cache)]) == 3
    assert "CPython 3.13 has no WASI build in the harness yet" in capsys.readouterr().err
    assert not (cache / "build").exists()


def test_the_default_series_of_a_platform_step_is_the_newest_with_that_build(monkeypatch):
    monkeypatch.setitem(profiles.PROFILES, "3.14", dataclasses.replace(profiles.PROFILES["3.14"], wasi=None))
    for argv, series in ((["build"], "3.14"), (["demo"], "3.14"), (["build-wasi"], "3.13"), (["paths"], "3.14")):
        assert options.from_args(parser().parse_args(argv)).request.series == series, argv
