"""Getting pristine CPython sources and turning them into the fork's work tree.

Three origins, one result: a git work tree at ``cache/src/cpython-X.Y.Z``
whose upstream commit is tagged ``vX.Y.Z``. Where the sources came from,
and their checksum or commit, is recorded in ``.git/pipe-cpython-source.json``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from ..core import log
from ..core.cache import Cache
from ..core.errors import HarnessError, SourceUnavailable
from ..core.stamps import Stamp
from ..core.versions import Request, Version, newest_first
from ..host import debian, download, gitrepo

GITHUB_URL = "https://github.com/python/cpython"
_TARBALL = re.compile(r"\.(tar\.xz|tar\.gz|tgz|tar\.bz2)$")
_RECORD = "pipe-cpython-source.json"
# Origins that failed in this process for a request, with why: probed once per command and request (an origin
# that lacks the newest series may still offer the one the default falls back to).
_UNREACHABLE: dict[tuple[Origin, Request], str] = {}


@dataclass(frozen=True)
class Origin:
    """Where pristine sources come from: kind is 'git', 'tarball' or 'debian'."""

    kind: str
    location: str

    def __str__(self) -> str:
        return f"{self.kind} {self.location}"


def parse_origins(text: str) -> list[Origin]:
    """`auto` tries GitHub then Debian; otherwise one git URL, tarball path/URL, or `debian[:suite,...]`."""
    if text == "auto":
        return [Origin("git", GITHUB_URL), Origin("debian", ",".join(debian.DEFAULT_SUITES))]
    if text == "git":
        return [Origin("git", GITHUB_URL)]
    if text == "debian" or text.startswith("debian:"):
        suites = text.partition(":")[2] or ",".join(debian.DEFAULT_SUITES)
        return [Origin("debian", suites)]
    if _TARBALL.search(text):
        return [Origin("tarball", text)]
    if "://" in text or text.endswith(".git") or Path(text, ".git").exists() or Path(text, "HEAD").exists():
        return [Origin("git", text)]
    raise HarnessError(
        f"unknown source {text!r}",
        hint="use auto, git, a git URL or repository path, a release tarball (path or URL), or debian[:suite,...]",
    )


@dataclass(frozen=True)
class WorkTree:
    path: Path
    version: Version


def work_tree(request: Request, origins: list[Origin], cache: Cache, sha256: str | None = None) -> WorkTree:
    """The fork's work tree for the newest release matching the request, fetched if needed."""
    pinned = request.exact()
    if pinned and (tree := existing(cache, pinned)):
        return tree
    failures = []
    for origin in origins:
        if (origin, request) in _UNREACHABLE:
            failures.append(f"{origin}: {_UNREACHABLE[origin, request]}")
            continue
        try:
            return _work_tree_from(origin, request, cache, sha256)
        except HarnessError as exc:
            if len(origins) == 1:
                raise
            reason = exc.message.splitlines()[0]
            failures.append(f"{origin}: {reason}")
            # Said once: a command that needs the source again (patched and pristine, say) does not probe again.
            _UNREACHABLE[origin, request] = reason
            log.info(f"{origin.kind} source unavailable ({reason}); trying the next")
    cached = newest_first(request, cache.cached_versions())
    if cached:
        log.warn(f"no source could be reached; using the cached CPython {cached[0]}")
        return WorkTree(cache.work_tree(cached[0]), cached[0])
    raise SourceUnavailable(
        f"no source offers CPython {request}:\n  " + "\n  ".join(failures),
        hint=f"pass --source with a reachable git URL, or a release tarball: --cpython {request} "
        "--source Python-X.Y.Z.tar.xz",
    )


def _work_tree_from(origin: Origin, request: Request, cache: Cache, sha256: str | None) -> WorkTree:
    if origin.kind == "git":
        return _from_git(origin.location, request, cache)
    if origin.kind == "tarball":
        return _from_tarball(origin.location, request, cache, sha256)
    return _from_debian(tuple(origin.location.split(",")), request, cache)


def existing(cache: Cache, version: Version) -> WorkTree | None:
    path = cache.work_tree(version)
    if _record(path).exists():
        return WorkTree(path, version)
    return None


def pristine_twin(tree: WorkTree, path: Path) -> WorkTree:
    """A second checkout of the same release at `path`, without the patches (a git worktree at the tag)."""
    if not (path / ".git").exists():
        if path.exists():
            shutil.rmtree(path)
        gitrepo.git("worktree", "prune", cwd=tree.path)
        gitrepo.git("worktree", "add", "-q", "--detach", str(path), tree.version.tag, cwd=tree.path)
    return WorkTree(path, tree.version)


def _record(path: Path) -> Stamp:
    """Where a work tree's sources came from; written last, so a tree without it is incomplete."""
    return Stamp(path / ".git" / _RECORD)


def record(path: Path) -> dict:
    return _record(path).read()


# -- git ------------------------------------------------------------------


def git_releases(url: str) -> list[Version]:
    result = gitrepo.git_result("ls-remote", "--tags", "--refs", url)
    if result.returncode != 0:
        reason = (result.stderr.strip().splitlines() or ["git ls-remote failed"])[-1]
        raise HarnessError(f"cannot list the tags of {url}: {reason}")
    tags = (line.split("refs/tags/", 1)[-1] for line in result.stdout.splitlines())
    return [v for v in map(Version.parse, tags) if v]


def _from_git(url: str, request: Request, cache: Cache) -> WorkTree:
    candidates = newest_first(request, git_releases(url))
    if not candidates:
        raise SourceUnavailable(f"{url} has no release tag for CPython {request}")
    version = candidates[0]
    if tree := existing(cache, version):
        return tree
    final = cache.work_tree(version)
    partial = _fresh_partial(final)
    with log.step(f"cloning {url} at {version.tag}"):
        gitrepo.git(
            "clone", "-q", "--depth", "1", "--branch", version.tag, "-c", "advice.detachedHead=false", url, str(partial)
        )
    if not gitrepo.rev(f"refs/tags/{version.tag}", partial):
        gitrepo.git("tag", version.tag, "HEAD", cwd=partial)
    gitrepo.exclude_build_products(partial)
    commit = gitrepo.rev("HEAD", partial)
    return _finish(partial, final, version, {"origin": "git", "url": url, "commit": commit})


# -- tarballs ---------------------------------------------------------------


def _from_tarball(location: str, request: Request, cache: Cache, sha256: str | None) -> WorkTree:
    if "://" in location:
        tarball = cache.downloads / location.rstrip("/").rsplit("/", 1)[-1]
        if not tarball.exists():
            with log.step(f"downloading {location}"):
                download.fetch_url(location, tarball, sha256)
    else:
        tarball = Path(location).expanduser().resolve()
        if not tarball.is_file():
            raise HarnessError(f"no such tarball: {tarball}")
    return _from_release_tarball(tarball, location, request, cache, sha256)


def _from_release_tarball(
    tarball: Path, origin: str, request: Request, cache: Cache, sha256: str | None, kind: str = "tarball"
) -> WorkTree:
    checksum = _checked_sha256(tarball, cache, sha256, origin)
    version = _tarball_version(tarball)
    if not request.matches(version):
        raise SourceUnavailable(f"{tarball.name} holds CPython {version}, not {request}")
    if tree := existing(cache, version):
        return tree
    final = cache.work_tree(version)
    partial = _fresh_partial(final)
    with log.step(f"unpacking {tarball.name} into a git work tree"):
        subprocess.run(
            ["tar", "-xf", str(tarball), "-C", str(partial), "--strip-components=1", "--no-same-owner"], check=True
        )
        unpacked = _patchlevel_version(partial)
        if unpacked != version:
            raise HarnessError(f"{tarball.name} unpacks to CPython {unpacked}, expected {version}")
        gitrepo.commit_tree_as_release(
            partial, version.tag, f"Python {version}\n\nFrom {tarball.name}, sha256 {checksum}."
        )
    return _finish(
        partial, final, version, {"origin": kind, "location": origin, "tarball": tarball.name, "sha256": checksum}
    )


def _tarball_version(tarball: Path) -> Version:
    """The release a tarball holds, read from Include/patchlevel.h inside it."""
    result = subprocess.run(
        ["tar", "-xOf", str(tarball), "--wildcards", "*/Include/patchlevel.h"], capture_output=True, text=True
    )
    version = _parse_patchlevel(result.stdout)
    if result.returncode != 0 or version is None:
        raise HarnessError(
            f"{tarball} is not a CPython release tarball (no readable Include/patchlevel.h)",
            hint="the file may be truncated or corrupt: delete it and fetch it again",
        )
    return version


def _patchlevel_version(tree: Path) -> Version | None:
    return _parse_patchlevel((tree / "Include" / "patchlevel.h").read_text())


def _parse_patchlevel(text: str) -> Version | None:
    match = re.search(r'#define\s+PY_VERSION\s+"([^"]+)"', text)
    return Version.parse(match[1]) if match else None


def _checked_sha256(tarball: Path, cache: Cache, expected: str | None, origin: str) -> str:
    """Verify against the pin, else against what was recorded when it was first fetched."""
    records_stamp = Stamp(cache.downloads / "sources.json")
    records = records_stamp.read() or {}
    pinned = expected or records.get(tarball.name, {}).get("sha256")
    if pinned:
        download.verify(tarball, pinned, origin)
        checksum = pinned.lower()
    else:
        checksum = download.sha256_of(tarball)
    records[tarball.name] = {"sha256": checksum, "origin": origin}
    records_stamp.write(records)
    return checksum


# -- Debian source packages ------------------------------------------------


def _from_debian(suites: tuple[str, ...], request: Request, cache: Cache) -> WorkTree:
    apt = debian.AptSources(cache.apt, suites)
    apt.update()
    package = f"python{request.series}"
    unserved = apt.unserved()
    offered = sorted(
        (p for p in apt.versions_of(package) if p.upstream and request.matches(p.upstream)),
        key=lambda p: p.upstream,
        reverse=True,
    )
    if not offered:
        raise HarnessError(
            f"Debian ({', '.join(suites)}) has no source package of CPython {request} ({package})",
            hint="use --source with a git URL or a release tarball, or other suites: --source debian:SUITE,...",
        )
    served = [p for p in offered if f"{p.name}={p.debian_version}" not in unserved] or offered
    if tree := existing(cache, served[0].upstream):
        return tree
    chosen, tarball = apt.download_newest(served, cache.downloads)
    return _from_release_tarball(
        tarball, f"debian {package} {chosen.debian_version}", request, cache, chosen.sha256, kind="debian"
    )


# -- work tree assembly ----------------------------------------------------


def _fresh_partial(final: Path) -> Path:
    """An empty directory beside `final`; a left-over one from an interrupted run is discarded."""
    partial = final.with_name(final.name + ".partial")
    if partial.exists():
        log.info(f"discarding {partial.name} left by an interrupted run")
        shutil.rmtree(partial)
    partial.mkdir(parents=True)
    return partial


def _finish(partial: Path, final: Path, version: Version, source: dict) -> WorkTree:
    _record(partial).write({"version": str(version), **source})
    partial.rename(final)
    log.info(f"CPython {version} sources ready in {final}")
    return WorkTree(final, version)
