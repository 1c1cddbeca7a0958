import hashlib
import json

import pytest
from conftest import FAKE_VERSION, git

from pipe_cpython.checkout import sources
from pipe_cpython.core.errors import HarnessError, SourceUnavailable
from pipe_cpython.core.versions import Request, Version


def test_parse_origins():
    assert [o.kind for o in sources.parse_origins("auto")] == ["git", "debian"]
    assert sources.parse_origins("debian:trixie,sid") == [sources.Origin("debian", "trixie,sid")]
    assert sources.parse_origins("https://example.org/Python-3.13.5.tar.xz")[0].kind == "tarball"
    assert sources.parse_origins("/tmp/Python-3.13.5.tgz")[0].kind == "tarball"
    assert sources.parse_origins("https://github.com/me/cpython")[0] == sources.Origin(
        "git", "https://github.com/me/cpython"
    )
    assert sources.parse_origins("git")[0].location == sources.GITHUB_URL


def test_unknown_source_is_a_clear_error():
    with pytest.raises(HarnessError, match="unknown source 'nowhere'"):
        sources.parse_origins("nowhere")


def test_tarball_becomes_tagged_work_tree(fake_tarball, cache):
    tree = sources.work_tree(Request("3.13"), sources.parse_origins(str(fake_tarball)), cache)
    assert tree.version == Version(3, 13, 99)
    assert tree.path == cache.work_tree(tree.version)
    assert git("tag", cwd=tree.path).split() == [f"v{FAKE_VERSION}"]
    assert git("status", "--porcelain", cwd=tree.path) == ""
    record = sources.record(tree.path)
    assert record["sha256"] == hashlib.sha256(fake_tarball.read_bytes()).hexdigest()
    assert json.loads((cache.downloads / "sources.json").read_text())[fake_tarball.name]["sha256"] == record["sha256"]


def test_same_tarball_gives_same_commit(fake_tarball, cache, tmp_path):
    from pipe_cpython.core.cache import Cache

    first = sources.work_tree(Request("3.13"), sources.parse_origins(str(fake_tarball)), cache)
    second = sources.work_tree(Request("3.13"), sources.parse_origins(str(fake_tarball)), Cache(tmp_path / "other"))
    assert git("rev-parse", "HEAD", cwd=first.path) == git("rev-parse", "HEAD", cwd=second.path)


def test_tarball_with_wrong_pinned_checksum(fake_tarball, cache):
    with pytest.raises(HarnessError, match="checksum mismatch"):
        sources.work_tree(Request("3.13"), sources.parse_origins(str(fake_tarball)), cache, sha256="0" * 64)
    assert not cache.work_tree(Version(3, 13, 99)).exists()


def test_tarball_changed_since_first_use_is_caught(fake_tarball, cache):
    sources.work_tree(Request("3.13"), sources.parse_origins(str(fake_tarball)), cache)
    fake_tarball.write_bytes(fake_tarball.read_bytes() + b"tampered")
    with pytest.raises(HarnessError, match="checksum mismatch"):
        sources.work_tree(Request("3.13"), sources.parse_origins(str(fake_tarball)), cache)


def test_tarball_of_another_version(fake_tarball, cache):
    with pytest.raises(HarnessError, match=r"holds CPython 3\.13\.99, not 3\.11"):
        sources.work_tree(Request("3.11"), sources.parse_origins(str(fake_tarball)), cache)


def test_truncated_tarball_is_rejected(fake_tarball, cache):
    fake_tarball.write_bytes(fake_tarball.read_bytes()[:40])
    with pytest.raises(HarnessError, match="not a CPython release tarball"):
        sources.work_tree(Request("3.13"), sources.parse_origins(str(fake_tarball)), cache)


def test_missing_tarball(cache, tmp_path):
    with pytest.raises(HarnessError, match="no such tarball"):
        sources.work_tree(Request("3.13"), sources.parse_origins(str(tmp_path / "Python-3.13.1.tar.xz")), cache)


def test_leftover_partial_tree_is_discarded(fake_tarball, cache):
    partial = cache.work_tree(Version(3, 13, 99)).with_name(f"cpython-{FAKE_VERSION}.partial")
    partial.mkdir(parents=True)
    (partial / "junk").write_text("from an interrupted run")
    tree = sources.work_tree(Request("3.13"), sources.parse_origins(str(fake_tarball)), cache)
    assert not partial.exists()
    assert not (tree.path / "junk").exists()


def test_git_clone_at_newest_tag(fake_upstream, cache):
    tree = sources.work_tree(Request("3.13"), sources.parse_origins(f"file://{fake_upstream}"), cache)
    assert tree.version == Version(3, 13, 99)
    assert git("rev-parse", "HEAD", cwd=tree.path) == git("rev-parse", f"v{FAKE_VERSION}^{{commit}}", cwd=tree.path)
    assert not (tree.path / "later.txt").exists()
    assert sources.record(tree.path)["origin"] == "git"


def test_git_without_the_release(fake_upstream, cache):
    with pytest.raises(HarnessError, match=r"no release tag for CPython 3\.13\.1\b"):
        sources.work_tree(Request("3.13", 1), sources.parse_origins(f"file://{fake_upstream}"), cache)


def test_unreachable_git_url(cache, tmp_path):
    with pytest.raises(HarnessError, match="cannot list the tags"):
        sources.work_tree(Request("3.13"), sources.parse_origins(f"file://{tmp_path}/nothing.git"), cache)


def test_pinned_release_already_cached_needs_no_network(fake_tarball, cache, tmp_path):
    sources.work_tree(Request("3.13"), sources.parse_origins(str(fake_tarball)), cache)
    unreachable = sources.parse_origins(f"file://{tmp_path}/nothing.git")
    assert sources.work_tree(Request("3.13", 99), unreachable, cache).version == Version(3, 13, 99)


def test_fallback_through_origins_then_cached_tree(fake_tarball, cache, tmp_path):
    sources.work_tree(Request("3.13"), sources.parse_origins(str(fake_tarball)), cache)
    origins = sources.parse_origins(f"file://{tmp_path}/a.git") + sources.parse_origins(f"file://{tmp_path}/b.git")
    assert sources.work_tree(Request("3.13"), origins, cache).version == Version(3, 13, 99)


def test_every_origin_failing_lists_each_failure(cache, tmp_path):
    origins = sources.parse_origins(f"file://{tmp_path}/a.git") + sources.parse_origins(f"file://{tmp_path}/b.git")
    with pytest.raises(HarnessError, match=r"no source offers CPython 3\.13") as info:
        sources.work_tree(Request("3.13"), origins, cache)
    assert "a.git" in str(info.value) and "b.git" in str(info.value)


def test_an_unreachable_origin_is_probed_once_per_command(fake_tarball, cache, tmp_path, monkeypatch):
    probes = []
    real_releases = sources.git_releases
    monkeypatch.setattr(sources, "git_releases", lambda url: probes.append(url) or real_releases(url))
    monkeypatch.setattr(sources, "_UNREACHABLE", {})
    origins = sources.parse_origins(f"file://{tmp_path}/gone.git") + sources.parse_origins(str(fake_tarball))
    for _ in range(3):
        assert sources.work_tree(Request("3.13"), origins, cache).version == Version(3, 13, 99)
    assert probes == [f"file://{tmp_path}/gone.git"]


def test_an_origin_without_the_newest_series_is_asked_for_an_older_one(fake_tarball, cache, tmp_path, monkeypatch):
    # What the default series needs: 3.14 offered nowhere (the tarball holds 3.13), then 3.13 from the same origins.
    monkeypatch.setattr(sources, "_UNREACHABLE", {})
    origins = sources.parse_origins(str(fake_tarball)) + sources.parse_origins(f"file://{tmp_path}/gone.git")
    with pytest.raises(SourceUnavailable, match=r"no source offers CPython 3\.14"):
        sources.work_tree(Request("3.14"), origins, cache)
    assert sources.work_tree(Request("3.13"), origins, cache).version == Version(3, 13, 99)
