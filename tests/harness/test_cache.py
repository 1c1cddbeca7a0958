import errno
import subprocess
import sys
import textwrap
import time

import pytest

from pipe_cpython.core import cache as cache_mod
from pipe_cpython.core.errors import HarnessError
from pipe_cpython.core.versions import Version


def test_default_root_honours_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("PIPE_CPYTHON_CACHE", str(tmp_path / "c"))
    assert cache_mod.default_root() == tmp_path / "c"
    monkeypatch.delenv("PIPE_CPYTHON_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_mod.default_root() == tmp_path / "xdg" / "pipe-cpython"


def test_layout(cache):
    version = Version(3, 13, 5)
    assert cache.work_tree(version) == cache.root / "src" / "cpython-3.13.5"
    assert cache.build_dir(version, "native") == cache.root / "build" / "cpython-3.13.5" / "native"


@pytest.mark.parametrize(
    ("code", "words", "hint"),
    [
        (errno.ENOSPC, "no space left", "larger disk"),
        (errno.EROFS, "is not writable", "writable directory"),
        (errno.EACCES, "is not writable", "permissions"),
    ],
)
def test_unusable_cache_says_what_to_do(cache, monkeypatch, code, words, hint):
    def refuse(*args, **kwargs):
        raise OSError(code, "refused")

    monkeypatch.setattr(cache_mod.tempfile, "NamedTemporaryFile", refuse)
    with pytest.raises(HarnessError, match=words) as info:
        cache.prepare()
    assert hint in info.value.hint


def test_cache_below_a_file_is_an_error(tmp_path):
    (tmp_path / "file").write_text("")
    with pytest.raises(HarnessError, match="cannot use the cache"):
        cache_mod.Cache(tmp_path / "file" / "cache").prepare()


def test_second_run_waits_for_the_lock(cache, tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(f"""
                import time
                from pathlib import Path
                from pipe_cpython.core.cache import Cache, locked
                with locked(Cache(Path({str(cache.root)!r}))):
                    print("locked", flush=True)
                    time.sleep(1.5)
            """),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "locked"
    start = time.monotonic()
    with cache_mod.locked(cache):
        waited = time.monotonic() - start
    holder.wait()
    assert waited > 0.5
    assert (cache.root / ".lock").read_text() == ""


def test_lock_is_released_after_an_error(cache):
    with pytest.raises(RuntimeError), cache_mod.locked(cache):
        raise RuntimeError
    with cache_mod.locked(cache):
        pass
