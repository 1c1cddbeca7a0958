"""Fixtures: a tiny fake CPython release (tarball, git repo, patch series) that builds in no time."""

from __future__ import annotations

import subprocess
import tarfile
from pathlib import Path

import pytest

from pipe_cpython.core import log
from pipe_cpython.core.cache import Cache
from pipe_cpython.host import gitrepo

FAKE_VERSION = "3.13.99"


@pytest.fixture(autouse=True)
def quiet_logs():
    log.set_verbosity(log.QUIET)
    yield
    log.set_verbosity(log.NORMAL)


@pytest.fixture
def cache(tmp_path: Path) -> Cache:
    return Cache(tmp_path / "cache")


def write_fake_release(root: Path, version: str = FAKE_VERSION) -> Path:
    """The few files of a CPython release that the harness reads."""
    (root / "Include").mkdir(parents=True)
    (root / "Include" / "patchlevel.h").write_text(f'#define PY_VERSION "{version}"\n')
    (root / "Grammar").mkdir()
    (root / "Grammar" / "python.gram").write_text("comparison: bitwise_or\nbitwise_or: atom\n")
    (root / "Parser").mkdir()
    (root / "Parser" / "parser.c").write_text("/* generated */\n")
    return root


@pytest.fixture
def fake_tarball(tmp_path: Path) -> Path:
    source = write_fake_release(tmp_path / "unpacked" / f"Python-{FAKE_VERSION}")
    tarball = tmp_path / f"Python-{FAKE_VERSION}.tar.xz"
    with tarfile.open(tarball, "w:xz") as archive:
        archive.add(source, arcname=source.name)
    return tarball


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
        env={**gitrepo.IDENTITY, "PATH": "/usr/bin:/bin"},
    ).stdout


@pytest.fixture
def fake_upstream(tmp_path: Path) -> Path:
    """A git repository like python/cpython: one release, tagged."""
    repo = write_fake_release(tmp_path / "upstream")
    git("init", "-q", "-b", "main", cwd=repo)
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", f"Python {FAKE_VERSION}", cwd=repo)
    git("tag", f"v{FAKE_VERSION}", cwd=repo)
    (repo / "later.txt").write_text("after the release\n")
    git("add", "-A", cwd=repo)
    git("commit", "-q", "-m", "development after the release", cwd=repo)
    return repo


@pytest.fixture
def series(tmp_path: Path, fake_upstream: Path) -> Path:
    """patches/3.13 with two patches made against the fake release."""
    work = tmp_path / "series-work"
    git("clone", "-q", "--branch", f"v{FAKE_VERSION}", str(fake_upstream), str(work), cwd=tmp_path)
    gram = work / "Grammar" / "python.gram"
    gram.write_text("comparison: pipe\npipe: pipe '|>' bitwise_or | bitwise_or\nbitwise_or: atom\n")
    git("commit", "-q", "-am", "Parse pipes", cwd=work)
    (work / "NEWS").write_text("pipes\n")
    git("add", "NEWS", cwd=work)
    git("commit", "-q", "-m", "Add news", cwd=work)
    patches = tmp_path / "patches" / "3.13"
    git(
        "format-patch",
        "-q",
        "--zero-commit",
        "--no-signature",
        "--no-numbered",
        "-o",
        str(patches),
        f"v{FAKE_VERSION}..HEAD",
        cwd=work,
    )
    return patches
