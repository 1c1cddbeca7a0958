"""End-to-end: the harness on real CPython sources, built for real (`nox -s e2e`; minutes)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipe_cpython.builds import buildtree
from pipe_cpython.core import cache as cache_mod
from pipe_cpython.host import gitrepo

pytestmark = pytest.mark.e2e

PROJECT = Path(__file__).resolve().parents[2]
SERIES = "3.13"


def harness(*args: str, cache: Path, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "pipe_cpython", *args, "--cache", str(cache)],
        cwd=PROJECT,
        capture_output=True,
        text=True,
        **kwargs,
    )


@pytest.fixture(scope="module")
def release_tarball() -> Path:
    """Upstream's pristine tarball, fetched once into the shared cache through Debian's source package."""
    shared = cache_mod.default_root()
    result = harness("fetch", "--cpython", SERIES, "--source", "debian", cache=shared)
    assert result.returncode == 0, result.stderr
    tarballs = sorted((shared / "downloads").glob(f"python{SERIES}_*.orig.tar.*"))
    assert tarballs, result.stderr
    return tarballs[-1]


@pytest.fixture(scope="module")
def github_like_clone_url(release_tarball: Path, tmp_path_factory) -> str:
    """A git repository laid out like python/cpython (release commit + tag), made from the tarball."""
    repo = tmp_path_factory.mktemp("upstream") / "cpython"
    repo.mkdir()
    subprocess.run(["tar", "-xf", str(release_tarball), "-C", str(repo), "--strip-components=1"], check=True)
    version = release_tarball.name.split("_")[1].split(".orig")[0]
    env = {**os.environ, **gitrepo.IDENTITY}
    for command in (["init", "-q", "-b", "main"], ["add", "-A"], ["commit", "-q", "-m", f"Python {version}"]):
        subprocess.run(["git", *command], cwd=repo, check=True, env=env)
    subprocess.run(["git", "tag", f"v{version}"], cwd=repo, check=True)
    return f"file://{repo}"


@pytest.fixture(scope="module")
def e2e_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("e2e-cache")


def test_clone_build_interrupted_then_resumed(github_like_clone_url, e2e_cache):
    """The clone path, a SIGINT in the middle of make, and a rerun that resumes rather than restarts."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipe_cpython", "build", "--source", github_like_clone_url, "--cache", str(e2e_cache)],
        cwd=PROJECT,
        stderr=subprocess.PIPE,
        text=True,
        # Whoever started the tests may ignore SIGINT (`cmd &` in a script does), and children inherit that.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    seen = []
    for line in proc.stderr:
        seen.append(line)
        if "compiling with make" in line:
            break
    time.sleep(20)
    proc.send_signal(signal.SIGINT)
    _, rest = proc.communicate(timeout=120)
    output = "".join(seen) + rest
    assert proc.returncode == 130, output
    assert "interrupted; the next run resumes" in output
    assert "cloning" in output

    build_dir = next((e2e_cache / "build").glob("cpython-*/native"))
    objects_before = len(list(build_dir.rglob("*.o")))
    assert objects_before > 0, "make had compiled something before the interrupt"

    resumed = harness("build", "--source", github_like_clone_url, cache=e2e_cache)
    assert resumed.returncode == 0, resumed.stderr
    assert "configuring" not in resumed.stderr, "configure is not redone after an interrupted make"
    assert "cloning" not in resumed.stderr
    assert "smoke test (native): 2 |> double |> increment |> double == 10" in resumed.stderr

    run = harness("run", "--source", github_like_clone_url, "--", "-c", "print([1, 2] |> len)", cache=e2e_cache)
    assert run.stdout.strip() == "2", run.stderr


def test_patch_that_does_not_apply_leaves_a_clean_tree(github_like_clone_url, e2e_cache, tmp_path):
    broken = tmp_path / "patches"
    shutil.copytree(PROJECT / "patches" / SERIES, broken / SERIES)
    grammar_patch = next((broken / SERIES).glob("*Parse*"))
    text = grammar_patch.read_text()
    assert " star_expression[expr_ty] (memo):\n" in text
    grammar_patch.write_text(text.replace(" star_expression[expr_ty] (memo):\n", " star_expression[expr_ty]:\n"))

    result = harness("apply", "--source", github_like_clone_url, "--patches", str(broken), cache=e2e_cache)
    assert result.returncode == 2
    assert f"{grammar_patch.name} (in Grammar/python.gram) does not apply" in result.stderr
    tree = next((e2e_cache / "src").glob("cpython-*"))
    status = subprocess.run(["git", "status", "--porcelain"], cwd=tree, capture_output=True, text=True).stdout
    assert status == ""
    assert not (tree / ".git" / "rebase-apply").exists()

    fixed = harness("apply", "--source", github_like_clone_url, cache=e2e_cache)
    assert fixed.returncode == 0, fixed.stderr


def test_a_compiler_failure_names_the_error_and_the_log_and_the_next_build_recovers(github_like_clone_url, e2e_cache):
    tree = next((e2e_cache / "src").glob("cpython-*"))
    victim = tree / "Objects" / "floatobject.c"
    original = victim.read_text()
    victim.write_text(original + "\n#error injected by the e2e test\n")
    try:
        failed = harness("build", "--source", github_like_clone_url, cache=e2e_cache)
    finally:
        victim.write_text(original)
    assert failed.returncode == 2
    assert "make failed" in failed.stderr
    assert "#error injected by the e2e test" in failed.stderr, "the compiler's own message is shown"
    assert "the full output is in" in failed.stderr and "make.log" in failed.stderr

    rebuilt = harness("build", "--source", github_like_clone_url, cache=e2e_cache)
    assert rebuilt.returncode == 0, rebuilt.stderr
    assert "smoke test (native)" in rebuilt.stderr


def test_a_build_tree_damaged_by_a_killed_make_is_detected_and_rebuilt(github_like_clone_url, e2e_cache):
    """What SIGKILL or a power cut mid-make leaves: truncated outputs newer than their sources."""
    build_dir = next((e2e_cache / "build").glob("cpython-*/native"))
    marker = build_dir / buildtree.MARKER
    marker.touch()
    earlier = time.time() - 60
    os.utime(marker, (earlier, earlier))
    for name in ("Objects/listobject.o", "python"):
        damaged = build_dir / name
        damaged.write_bytes(damaged.read_bytes()[: damaged.stat().st_size // 2])

    repaired = harness("build", "--source", github_like_clone_url, cache=e2e_cache)
    assert repaired.returncode == 0, repaired.stderr
    assert "was killed and left 2 damaged files (Objects/listobject.o, python)" in repaired.stderr
    assert "smoke test (native): 2 |> double |> increment |> double == 10" in repaired.stderr
    assert not marker.exists()
