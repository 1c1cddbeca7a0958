"""Thin helpers around the git command line."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from ..core.errors import HarnessError

# Commits the harness makes carry a fixed identity and date so that the same
# release and the same patch series always give the same commit hashes.
IDENTITY = {
    "GIT_AUTHOR_NAME": "pipe-cpython",
    "GIT_AUTHOR_EMAIL": "pipe-cpython@users.noreply.invalid",
    "GIT_COMMITTER_NAME": "pipe-cpython",
    "GIT_COMMITTER_EMAIL": "pipe-cpython@users.noreply.invalid",
}
FIXED_DATE = "2000-01-01T00:00:00+0000"


def git(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None, check: bool = True) -> str:
    """Run git and return its stdout; raise HarnessError with git's own words on failure."""
    result = subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})},
    )
    if check and result.returncode != 0:
        raise HarnessError(f"git {' '.join(args)} failed:\n{(result.stderr or result.stdout).strip()}")
    return result.stdout


def git_result(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        env={**os.environ, "GIT_TERMINAL_PROMPT": "0", **(env or {})},
    )


def rev(ref: str, cwd: Path) -> str | None:
    result = git_result("rev-parse", "-q", "--verify", f"{ref}^{{commit}}", cwd=cwd)
    return result.stdout.strip() if result.returncode == 0 else None


def commit_tree_as_release(path: Path, tag: str, message: str) -> None:
    """Turn an unpacked release into a git repo whose only commit is tagged like upstream's."""
    env = {**IDENTITY, "GIT_AUTHOR_DATE": FIXED_DATE, "GIT_COMMITTER_DATE": FIXED_DATE}
    git("init", "-q", "-b", "main", cwd=path)
    exclude_build_products(path)
    git("add", "-A", "-f", ".", cwd=path)
    git("commit", "-q", "--no-verify", "-m", message, cwd=path, env=env)
    git("tag", tag, cwd=path)


def exclude_build_products(path: Path) -> None:
    # Running the out-of-tree build writes byte code next to the sources.
    exclude = path / ".git" / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    exclude.write_text("__pycache__/\n*.pyc\n")
