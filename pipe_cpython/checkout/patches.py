"""The patch series <-> the `pipe` branch of the work tree.

The series in ``patches/X.Y/`` is the reviewable form of the fork; the
``pipe`` branch (upstream tag + one commit per patch) is the editable form.
Applying turns the first into the second, exporting the second into the first.
Generated files are never part of either: ``make regen-*`` rebuilds them.
"""

from __future__ import annotations

import enum
import hashlib
import os
import re
import shutil
import tempfile
from pathlib import Path

from ..core import log
from ..core.errors import HarnessError
from ..core.stamps import Stamp
from ..host import gitrepo
from ..series import profiles
from .sources import WorkTree

BRANCH = "pipe"
_STATE = "pipe-cpython-applied.json"


class Flavour(enum.Enum):
    """The fork, or the same release without the patches (the baseline every comparison needs)."""

    PATCHED = "patched"
    PRISTINE = "pristine"

    @property
    def pristine(self) -> bool:
        return self is Flavour.PRISTINE


def generated_files(tree: WorkTree) -> tuple[str, ...]:
    """What the series' regen writes: never committed, never exported (the series' profile says which)."""
    return profiles.profile(tree.version.series).generated_files


def hide_generated_changes(tree: WorkTree) -> None:
    """Keep regenerated files out of `git status`, so the branch can be rebased and amended freely.

    The patches never touch these files, so git never needs to; a user who
    commits one by mistake still has it left out of the export.
    """
    present = [path for path in generated_files(tree) if (tree.path / path).exists()]
    if present:
        gitrepo.git("update-index", "--skip-worktree", "--", *present, cwd=tree.path)


def series_files(series_dir: Path) -> list[Path]:
    return sorted(series_dir.glob("*.patch"))


def series_digest(series_dir: Path) -> str:
    digest = hashlib.sha256()
    for patch in series_files(series_dir):
        digest.update(patch.name.encode() + b"\0" + patch.read_bytes())
    return digest.hexdigest()


def _state(tree: WorkTree) -> Stamp:
    """Which series the branch was made from, and its head then (an edited branch has another head)."""
    return Stamp(tree.path / ".git" / _STATE)


def _record_applied(tree: WorkTree, series_dir: Path) -> None:
    _state(tree).write({"series": series_digest(series_dir), "head": gitrepo.rev(BRANCH, tree.path)})


def apply_series(tree: WorkTree, series_dir: Path, force: bool = False) -> bool:
    """Make the `pipe` branch the upstream tag plus the series; return False when already so.

    Commits a user made on top of the applied series are kept (that is the
    patch-queue workflow); replacing them needs `force`, so no work is lost.
    """
    _abort_interrupted_am(tree)
    digest = series_digest(series_dir)
    state = _state(tree).read()
    head = gitrepo.rev(f"refs/heads/{BRANCH}", tree.path)
    edited = state is not None and head is not None and head != state["head"]
    if state and state["series"] == digest and head:
        if edited:
            log.info(f"the {BRANCH} branch has commits beyond patches/{tree.version.series}; building it as it is")
        else:
            log.detail(f"patch series already applied (head {head[:12]})")
        _checkout(tree)
        return False
    if edited and not force:
        raise HarnessError(
            f"patches/{tree.version.series} changed, and the {BRANCH} branch in {tree.path} has commits "
            "that are not in it",
            hint="export your branch first (nox -s export-patches), or pass --force to discard those commits",
        )
    _apply(tree, series_dir)
    return True


def _checkout(tree: WorkTree) -> None:
    current = gitrepo.git("symbolic-ref", "-q", "--short", "HEAD", cwd=tree.path, check=False).strip()
    if current != BRANCH:
        gitrepo.git("checkout", "-q", BRANCH, cwd=tree.path)


def _abort_interrupted_am(tree: WorkTree) -> None:
    if (tree.path / ".git" / "rebase-apply").exists():
        log.info("aborting a patch application left unfinished by an interrupted run")
        gitrepo.git("am", "--abort", cwd=tree.path, check=False)


def _apply(tree: WorkTree, series_dir: Path) -> None:
    patches = series_files(series_dir)
    _state(tree).clear()
    before = _touched_files(tree)
    with log.step(f"applying {len(patches)} patches from {series_dir} onto {tree.version.tag}"):
        gitrepo.git("checkout", "-q", "-f", "-B", BRANCH, tree.version.tag, cwd=tree.path)
        result = gitrepo.git_result(
            "am",
            "--quiet",
            "--committer-date-is-author-date",
            *map(str, patches),
            cwd=tree.path,
            env=gitrepo.IDENTITY,
        )
        if result.returncode != 0:
            failed = failed_patch(result.stdout + result.stderr, patches)
            gitrepo.git("am", "--abort", cwd=tree.path, check=False)
            gitrepo.git("checkout", "-q", "-f", "-B", BRANCH, tree.version.tag, cwd=tree.path)
            raise HarnessError(
                f"{failed} does not apply to CPython {tree.version}:\n{(result.stderr or result.stdout).strip()}",
                hint=f"rebase the series onto {tree.version} and refresh it (see "
                "docs/tutorials/first-patch-edit.md); the work tree was reset to the pristine tag",
            )
    _keep_unchanged_times(tree, before)
    _record_applied(tree, series_dir)


def _touched_files(tree: WorkTree) -> dict[str, tuple[bytes, int]]:
    """Content and mtime of each file the applied series (or regen) made, before the series is re-applied."""
    changed = gitrepo.git("diff", "--name-only", "-z", tree.version.tag, "HEAD", cwd=tree.path).split("\0")
    names = {name for name in changed if name} | set(generated_files(tree))
    paths = {name: tree.path / name for name in names}
    return {name: (path.read_bytes(), path.stat().st_mtime_ns) for name, path in paths.items() if path.is_file()}


def _keep_unchanged_times(tree: WorkTree, before: dict[str, tuple[bytes, int]]) -> None:
    """Re-applying rewrites every patched file; those it leaves as they were get their mtime back.

    Without this, editing one patch would recompile everything any patch touches.
    Regenerated files get their previous content back too: regen, which every
    build runs first, rewrites them only if the new sources change them.
    """
    generated = generated_files(tree)
    for name, (content, mtime) in before.items():
        path = tree.path / name
        if not path.is_file():
            continue
        if name in generated:
            path.write_bytes(content)
        elif path.read_bytes() != content:
            continue
        os.utime(path, ns=(mtime, mtime))


def stopped_at(output: str, patches: list[Path]) -> Path | None:
    """The patch git am stopped at, from its output."""
    match = re.search(r"Patch failed at (\d+)", output)
    return patches[int(match[1]) - 1] if match and int(match[1]) <= len(patches) else None


def failed_patch(output: str, patches: list[Path]) -> str:
    """Name the patch (and the files) git am stopped at, from its output."""
    stopped = stopped_at(output, patches)
    name = stopped.name if stopped else "a patch"
    files = sorted(
        set(re.findall(r"error: (?:patch failed: )?([^\s:]+)(?::\d+| does not exist| already exists)", output))
    )
    return f"{name} (in {', '.join(files)})" if files else name


def _format_patches(tree: WorkTree, staging: Path) -> list[Path]:
    """The `pipe` branch as stable `git format-patch` files in `staging` (created afresh)."""
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    excludes = [f":(exclude){path}" for path in generated_files(tree)]
    gitrepo.git(
        "format-patch",
        "-q",
        "--zero-commit",
        "--no-signature",
        "--no-numbered",
        "--full-index",
        "-o",
        str(staging),
        f"{tree.version.tag}..{BRANCH}",
        "--",
        ".",
        *excludes,
        cwd=tree.path,
    )
    return series_files(staging)


def export_series(tree: WorkTree, series_dir: Path) -> list[Path]:
    """Write the `pipe` branch back to `series_dir` as stable `git format-patch` files."""
    staging = series_dir.with_name(series_dir.name + ".export")
    exported = _format_patches(tree, staging)
    if not exported:
        shutil.rmtree(staging)
        raise HarnessError(f"the {BRANCH} branch has no commits on top of {tree.version.tag}: nothing to export")
    if series_dir.exists():
        shutil.rmtree(series_dir)
    staging.rename(series_dir)
    # The branch now is the series: record that, so the next apply keeps it.
    _record_applied(tree, series_dir)
    return series_files(series_dir)


def export_differences(tree: WorkTree, series_dir: Path) -> list[str]:
    """How `series_dir` differs from a fresh export of the `pipe` branch (nothing when they match)."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh = {p.name: p.read_bytes() for p in _format_patches(tree, Path(scratch) / "export")}
    committed = {p.name: p.read_bytes() for p in series_files(series_dir)}
    problems = [f"{name}: in the branch but not in {series_dir}" for name in sorted(fresh.keys() - committed.keys())]
    problems += [f"{name}: in {series_dir} but not in the branch" for name in sorted(committed.keys() - fresh.keys())]
    problems += [
        f"{name}: differs from a fresh export"
        for name in sorted(fresh.keys() & committed.keys())
        if fresh[name] != committed[name]
    ]
    return problems


def rebase_series(tree: WorkTree, series_dir: Path) -> list[str]:
    """Apply `series_dir` onto another release in one `git am` session; stop at the first conflict.

    Returns one line per file of the conflicting patch ("applied" or "N hunks
    rejected"). On a conflict the hunks that apply are applied, the others are
    left in `<file>.rej`, and the `git am` session stays open with the
    remaining patches queued: resolve, `git add`, `git am --continue`. An
    empty list means the whole series applied.
    """
    _abort_interrupted_am(tree)
    patches = series_files(series_dir)
    gitrepo.git("checkout", "-q", "-f", "-B", BRANCH, tree.version.tag, cwd=tree.path)
    _state(tree).clear()
    result = gitrepo.git_result(
        "am", "--quiet", "--committer-date-is-author-date", *map(str, patches), cwd=tree.path, env=gitrepo.IDENTITY
    )
    if result.returncode != 0:
        patch = stopped_at(result.stdout + result.stderr, patches) or patches[0]
        rejected = gitrepo.git_result("apply", "--reject", "--verbose", str(patch), cwd=tree.path)
        return [f"{patch.name}: {line}" for line in rejection_report(rejected.stderr + rejected.stdout)]
    _record_applied(tree, series_dir)
    return []


def rejection_report(output: str) -> list[str]:
    """`path: applied cleanly` or `path: N of M hunks rejected (path.rej)` from `git apply --reject --verbose`."""
    report = []
    for match in re.finditer(
        r"^(?:Applied patch (\S+) cleanly\.|Applying patch (\S+) with (\d+) reject)", output, re.M
    ):
        if match[1]:
            report.append(f"{match[1]}: applied cleanly")
        else:
            report.append(f"{match[2]}: {match[3]} hunk(s) rejected, see {match[2]}.rej")
    return report


def fresh_apply_differences(tree: WorkTree, series_dir: Path) -> list[str]:
    """Apply the series to a fresh checkout of the tag: the result must be exactly the branch.

    An export can match the branch and still not rebuild it (a commit message
    holding a diff, say, which `git am` would take for the patch).
    """
    problems: list[str] = []
    patches = series_files(series_dir)
    with tempfile.TemporaryDirectory() as scratch:
        checkout = Path(scratch) / "fresh"
        gitrepo.git("worktree", "add", "-q", "--detach", str(checkout), tree.version.tag, cwd=tree.path)
        try:
            result = gitrepo.git_result("am", "--quiet", *map(str, patches), cwd=checkout, env=gitrepo.IDENTITY)
            if result.returncode != 0:
                failed = failed_patch(result.stdout + result.stderr, patches)
                problems.append(f"{failed} does not apply to a fresh checkout of {tree.version.tag}")
            else:
                changed = gitrepo.git("diff", "--name-only", "HEAD", BRANCH, cwd=checkout).split()
                problems += [f"{path}: the series applied afresh differs from the {BRANCH} branch" for path in changed]
        finally:
            gitrepo.git("worktree", "remove", "--force", str(checkout), cwd=tree.path, check=False)
            gitrepo.git("worktree", "prune", cwd=tree.path, check=False)
    return problems
