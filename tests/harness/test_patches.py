import os
import shutil
import subprocess

import pytest
from conftest import FAKE_VERSION, git

from pipe_cpython.checkout import patches, sources
from pipe_cpython.core.errors import HarnessError
from pipe_cpython.core.versions import Request


@pytest.fixture
def tree(fake_upstream, cache):
    return sources.work_tree(Request("3.13"), sources.parse_origins(f"file://{fake_upstream}"), cache)


def log_subjects(tree):
    return git("log", "--format=%s", f"{tree.version.tag}..pipe", cwd=tree.path).split("\n")[:-1]


def test_apply_makes_one_commit_per_patch(tree, series):
    assert patches.apply_series(tree, series) is True
    assert log_subjects(tree) == ["Add news", "Parse pipes"]
    assert git("rev-parse", "--abbrev-ref", "HEAD", cwd=tree.path).strip() == "pipe"
    assert "'|>'" in (tree.path / "Grammar" / "python.gram").read_text()


def test_apply_twice_is_a_no_op(tree, series):
    patches.apply_series(tree, series)
    head = git("rev-parse", "pipe", cwd=tree.path)
    assert patches.apply_series(tree, series) is False
    assert git("rev-parse", "pipe", cwd=tree.path) == head


def test_apply_is_deterministic(tree, series, fake_upstream, tmp_path):
    from pipe_cpython.core.cache import Cache

    patches.apply_series(tree, series)
    other = sources.work_tree(Request("3.13"), sources.parse_origins(f"file://{fake_upstream}"), Cache(tmp_path / "c2"))
    patches.apply_series(other, series)
    assert git("rev-parse", "pipe", cwd=tree.path) == git("rev-parse", "pipe", cwd=other.path)


def test_patch_that_does_not_apply_names_patch_and_file(tree, series):
    (series / "0001-Parse-pipes.patch").write_text(
        (series / "0001-Parse-pipes.patch").read_text().replace("-comparison: bitwise_or", "-comparison: other")
    )
    with pytest.raises(HarnessError) as info:
        patches.apply_series(tree, series)
    message = str(info.value)
    assert "0001-Parse-pipes.patch" in message
    assert "Grammar/python.gram" in message
    assert f"CPython {FAKE_VERSION}" in message
    # Nothing half-done: no am in progress, the branch is the pristine tag, the tree is clean.
    assert not (tree.path / ".git" / "rebase-apply").exists()
    assert git("rev-parse", "pipe", cwd=tree.path) == git("rev-parse", f"v{FAKE_VERSION}^{{commit}}", cwd=tree.path)
    assert git("status", "--porcelain", cwd=tree.path) == ""


def test_interrupted_am_is_cleaned_up(tree, series):
    git("checkout", "-q", "-B", "pipe", f"v{FAKE_VERSION}", cwd=tree.path)
    broken = series / "0002-Add-news.patch"
    shutil.copy(broken, tree.path.parent / "only.patch")
    # Leave a failed `git am` behind, as a killed run would.
    (tree.path / "NEWS").write_text("conflict\n")
    git("add", "NEWS", cwd=tree.path)
    git("commit", "-q", "-m", "conflicting", cwd=tree.path)
    failed = subprocess.run(["git", "am", str(tree.path.parent / "only.patch")], cwd=tree.path, capture_output=True)
    assert failed.returncode != 0
    assert (tree.path / ".git" / "rebase-apply").exists()
    patches.apply_series(tree, series, force=True)
    assert log_subjects(tree) == ["Add news", "Parse pipes"]


def test_user_commits_are_kept(tree, series):
    patches.apply_series(tree, series)
    (tree.path / "mine.txt").write_text("my change\n")
    git("add", "mine.txt", cwd=tree.path)
    git("commit", "-q", "-m", "My change", cwd=tree.path)
    assert patches.apply_series(tree, series) is False
    assert log_subjects(tree)[0] == "My change"


def test_changed_series_does_not_discard_user_commits(tree, series):
    patches.apply_series(tree, series)
    (tree.path / "mine.txt").write_text("my change\n")
    git("add", "mine.txt", cwd=tree.path)
    git("commit", "-q", "-m", "My change", cwd=tree.path)
    (series / "0002-Add-news.patch").unlink()
    with pytest.raises(HarnessError, match="has commits that are not in it") as info:
        patches.apply_series(tree, series)
    assert "export-patches" in info.value.hint
    assert log_subjects(tree)[0] == "My change"
    patches.apply_series(tree, series, force=True)
    assert log_subjects(tree) == ["Parse pipes"]


def test_export_round_trip_is_byte_identical(tree, series, tmp_path):
    patches.apply_series(tree, series)
    original = {p.name: p.read_bytes() for p in patches.series_files(series)}
    exported = patches.export_series(tree, series)
    assert [p.name for p in exported] == sorted(original)
    again = {p.name: p.read_bytes() for p in patches.export_series(tree, series)}
    assert again == {p.name: p.read_bytes() for p in exported}
    for name, text in again.items():
        assert b"From 0000000000000000000000000000000000000000" in text, name
        assert b"[PATCH]" in text and b"[PATCH 1/" not in text
        assert not text.rstrip().endswith(b"--"), "no git version signature"


def test_export_picks_up_user_commits_and_keeps_them_applied(tree, series):
    patches.apply_series(tree, series)
    (tree.path / "mine.txt").write_text("my change\n")
    git("add", "mine.txt", cwd=tree.path)
    git("commit", "-q", "-m", "My change", cwd=tree.path)
    exported = patches.export_series(tree, series)
    assert [p.name for p in exported][-1] == "0003-My-change.patch"
    assert patches.apply_series(tree, series) is False


def test_export_leaves_out_generated_files(tree, series):
    patches.apply_series(tree, series)
    (tree.path / "Parser" / "parser.c").write_text("/* regenerated */\n")
    (tree.path / "Grammar" / "python.gram").write_text("changed\n")
    git("commit", "-q", "-am", "Change grammar and commit parser by mistake", cwd=tree.path)
    exported = patches.export_series(tree, series)
    last = exported[-1].read_text()
    assert "Grammar/python.gram" in last
    assert "Parser/parser.c" not in last


def test_export_of_empty_branch(tree, series):
    git("checkout", "-q", "-B", "pipe", f"v{FAKE_VERSION}", cwd=tree.path)
    with pytest.raises(HarnessError, match="nothing to export"):
        patches.export_series(tree, series)
    assert patches.series_files(series), "the old series is kept"


def test_export_differences_empty_when_series_matches(tree, series):
    patches.apply_series(tree, series)
    # The fixture's patches lack --full-index, which is itself a difference worth reporting.
    assert patches.export_differences(tree, series) == [
        "0001-Parse-pipes.patch: differs from a fresh export",
        "0002-Add-news.patch: differs from a fresh export",
    ]
    patches.export_series(tree, series)
    assert patches.export_differences(tree, series) == []


def test_export_differences_name_each_mismatch(tree, series):
    patches.apply_series(tree, series)
    patches.export_series(tree, series)
    edited = series / "0002-Add-news.patch"
    edited.write_text(edited.read_text().replace("+pipes", "+pipes!"))
    (series / "0009-Stale.patch").write_text("stale\n")
    (tree.path / "more.txt").write_text("more\n")
    git("add", "more.txt", cwd=tree.path)
    git("commit", "-q", "-m", "More", cwd=tree.path)
    assert patches.export_differences(tree, series) == [
        "0003-More.patch: in the branch but not in " + str(series),
        "0009-Stale.patch: in " + str(series) + " but not in the branch",
        "0002-Add-news.patch: differs from a fresh export",
    ]


def release_with_changed_grammar(fake_upstream, tag: str, grammar: str):
    (fake_upstream / "Grammar" / "python.gram").write_text(grammar)
    (fake_upstream / "Include" / "patchlevel.h").write_text(f'#define PY_VERSION "{tag[1:]}"\n')
    git("commit", "-q", "-am", f"Python {tag[1:]}", cwd=fake_upstream)
    git("tag", tag, cwd=fake_upstream)


def test_rebase_onto_a_release_where_the_series_applies(fake_upstream, series, cache):
    grammar = (fake_upstream / "Grammar" / "python.gram").read_text()
    release_with_changed_grammar(fake_upstream, "v3.13.100", grammar + "atom: NAME\n")
    newer = sources.work_tree(Request("3.13", 100), sources.parse_origins(f"file://{fake_upstream}"), cache)
    assert patches.rebase_series(newer, series) == []
    assert log_subjects(newer) == ["Add news", "Parse pipes"]
    assert patches.apply_series(newer, series) is False, "the rebased branch counts as applied"


def test_rebase_conflict_is_reported_file_by_file_and_left_to_resolve(fake_upstream, series, cache):
    release_with_changed_grammar(fake_upstream, "v3.13.101", "comparison: other\nbitwise_or: atom\n")
    newer = sources.work_tree(Request("3.13", 101), sources.parse_origins(f"file://{fake_upstream}"), cache)
    report = patches.rebase_series(newer, series)
    assert report == ["0001-Parse-pipes.patch: Grammar/python.gram: 1 hunk(s) rejected, see Grammar/python.gram.rej"]
    assert (newer.path / "Grammar" / "python.gram.rej").exists()
    assert (newer.path / ".git" / "rebase-apply").exists(), "the am session is left for the user"
    # Resolve as a user would; `git am --continue` then applies the patches still queued.
    (newer.path / "Grammar" / "python.gram").write_text("comparison: pipe\npipe: pipe '|>' bitwise_or | bitwise_or\n")
    (newer.path / "Grammar" / "python.gram.rej").unlink()
    git("add", "Grammar/python.gram", cwd=newer.path)
    git("am", "--continue", cwd=newer.path)
    assert log_subjects(newer) == ["Add news", "Parse pipes"]


def test_rejection_report():
    output = (
        "Checking patch a.c...\nChecking patch b.c...\nApplied patch a.c cleanly.\n"
        "Applying patch b.c with 2 rejects...\nRejected hunk #1.\n"
    )
    assert patches.rejection_report(output) == ["a.c: applied cleanly", "b.c: 2 hunk(s) rejected, see b.c.rej"]


def test_fresh_apply_rebuilds_the_branch(tree, series):
    patches.apply_series(tree, series)
    assert patches.fresh_apply_differences(tree, series) == []
    assert len(git("worktree", "list", cwd=tree.path).splitlines()) == 1, "the scratch checkout is removed"


def test_fresh_apply_catches_a_commit_message_holding_a_diff(tree, series):
    patches.apply_series(tree, series)
    # The shape of the bug this check was written for: a diff pasted into a commit message.
    embedded = (series / "0002-Add-news.patch").read_text().split("\n---\n", 1)[1]
    (tree.path / "other.txt").write_text("other\n")
    git("add", "other.txt", cwd=tree.path)
    git("commit", "-q", "-m", "Add other\n\n" + embedded.replace("NEWS", "ELSEWHERE"), cwd=tree.path)
    patches.export_series(tree, series)
    assert patches.export_differences(tree, series) == [], "the export alone cannot see it"
    # git am applies the pasted diff too: the fresh tree gains a file the branch never had.
    assert patches.fresh_apply_differences(tree, series) == [
        "ELSEWHERE: the series applied afresh differs from the pipe branch",
    ]


def test_editing_one_patch_leaves_the_other_files_mtimes_alone(tree, series):
    """So that make recompiles only what the edited patch changes."""
    patches.apply_series(tree, series)
    gram, news = tree.path / "Grammar" / "python.gram", tree.path / "NEWS"
    for path in (gram, news):
        os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    news_patch = series / "0002-Add-news.patch"
    news_patch.write_text(news_patch.read_text().replace("+pipes", "+pipes, edited"))

    assert patches.apply_series(tree, series) is True
    assert news.read_text() == "pipes, edited\n"
    assert news.stat().st_mtime_ns != 1_000_000_000, "the edited file is newer than what was built from it"
    assert gram.stat().st_mtime_ns == 1_000_000_000, "the unchanged file keeps its time"
