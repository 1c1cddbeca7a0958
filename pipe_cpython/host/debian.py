"""CPython release tarballs from Debian source packages, through a private apt state.

Debian's `python3.X_*.orig.tar.xz` is upstream's release tarball, untouched.
The harness never edits the host's apt configuration: it keeps its own
sources list, lists and cache under the harness cache, pointed at the
Debian archive the host is already configured to use.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from ..core import log
from ..core.errors import HarnessError
from ..core.stamps import Stamp
from ..core.versions import Version

DEFAULT_SUITES = ("bookworm", "trixie", "sid")
_REFRESH_SECONDS = 24 * 3600
# Debian 12 ships the archive keyring as .gpg, Debian 13 as .pgp.
_KEYRINGS = (
    Path("/usr/share/keyrings/debian-archive-keyring.pgp"),
    Path("/usr/share/keyrings/debian-archive-keyring.gpg"),
)


@dataclass(frozen=True)
class Mirror:
    uri: str
    signed_by: str | None


@dataclass(frozen=True)
class SourcePackage:
    """One version of python3.X in the archive, with its upstream tarball's checksum."""

    name: str
    debian_version: str
    orig_tarball: str
    sha256: str

    @property
    def upstream(self) -> Version | None:
        return Version.parse(self.debian_version.split("-")[0])


def host_mirror(apt_dir: Path = Path("/etc/apt")) -> Mirror:
    """The Debian archive the host's apt already uses (never a hard-coded host)."""
    for uri, suites, signed_by in _host_entries(apt_dir):
        if uri.rstrip("/").endswith("/debian") and not any("security" in s for s in suites):
            return Mirror(uri.rstrip("/"), signed_by)
    raise HarnessError(
        f"no Debian archive is configured in {apt_dir}/sources.list*",
        hint="Debian source packages need a Debian host with apt; use --source with a git URL or a tarball",
    )


def _host_entries(apt_dir: Path) -> list[tuple[str, list[str], str | None]]:
    entries = []
    one_line = [apt_dir / "sources.list", *sorted(apt_dir.glob("sources.list.d/*.list"))]
    for path in one_line:
        if path.is_file():
            entries += parse_one_line_sources(path.read_text())
    for path in sorted(apt_dir.glob("sources.list.d/*.sources")):
        entries += parse_deb822_sources(path.read_text())
    return entries


def parse_one_line_sources(text: str) -> list[tuple[str, list[str], str | None]]:
    entries = []
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.match(r"^deb(?:-src)?\s+(?:\[(?P<opts>[^\]]*)\]\s+)?(?P<uri>\S+)\s+(?P<suite>\S+)", line)
        if match:
            opts = dict(o.split("=", 1) for o in (match["opts"] or "").split() if "=" in o)
            entries.append((match["uri"], [match["suite"]], opts.get("signed-by")))
    return entries


def parse_deb822_sources(text: str) -> list[tuple[str, list[str], str | None]]:
    entries = []
    for stanza in re.split(r"\n\s*\n", text):
        fields = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, value = line.split(":", 1)
            fields[key.strip().lower()] = value.strip()
        if fields.get("enabled", "yes").lower() == "no" or "uris" not in fields:
            continue
        for uri in fields["uris"].split():
            entries.append((uri, fields.get("suites", "").split(), fields.get("signed-by")))
    return entries


class AptSources:
    """apt-get and apt-cache run against the harness's own state directory."""

    def __init__(self, state_dir: Path, suites: tuple[str, ...] = DEFAULT_SUITES, mirror: Mirror | None = None):
        self.state_dir = state_dir
        self.suites = suites
        self._mirror = mirror

    @property
    def mirror(self) -> Mirror:
        if self._mirror is None:
            self._mirror = host_mirror()
        return self._mirror

    def sources_list(self) -> str:
        keyring = self.mirror.signed_by or next((str(k) for k in _KEYRINGS if k.exists()), None)
        options = f"[signed-by={keyring}] " if keyring else ""
        return "".join(f"deb-src {options}{self.mirror.uri} {suite} main\n" for suite in self.suites)

    def _options(self) -> list[str]:
        options = {
            "Dir::Etc::SourceList": self.state_dir / "sources.list",
            "Dir::Etc::SourceParts": self.state_dir / "sources.list.d",
            "Dir::State::Lists": self.state_dir / "lists",
            "Dir::Cache": self.state_dir / "cache",
            # Debian's unstable index on some mirrors carries an expired Valid-Until.
            "Acquire::Check-Valid-Until": "false",
        }
        if os.geteuid() == 0:
            # Root's downloads into the harness cache cannot be sandboxed as _apt.
            options["APT::Sandbox::User"] = "root"
        return [f"-o{key}={value}" for key, value in options.items()]

    def update(self, force: bool = False) -> None:
        """Fetch the source indexes, at most once a day unless forced."""
        stamp = self.state_dir / "updated"
        wanted = self.sources_list()
        list_file = self.state_dir / "sources.list"
        fresh = stamp.exists() and time.time() - stamp.stat().st_mtime < _REFRESH_SECONDS
        if fresh and not force and list_file.exists() and list_file.read_text() == wanted:
            return
        for sub in ("lists/partial", "cache/archives/partial", "sources.list.d"):
            (self.state_dir / sub).mkdir(parents=True, exist_ok=True)
        list_file.write_text(wanted)
        with log.step(f"updating Debian source indexes ({', '.join(self.suites)})"):
            result = subprocess.run(["apt-get", *self._options(), "update"], capture_output=True, text=True)
        if result.returncode != 0 or "Err:" in result.stdout:
            raise HarnessError(
                f"apt-get update of the Debian source indexes failed:\n{result.stdout}{result.stderr}",
                hint="check the network and the host's apt configuration",
            )
        stamp.touch()
        self._unserved().clear()

    def _unserved(self) -> Stamp:
        return Stamp(self.state_dir / "unserved.json")

    def unserved(self) -> set[str]:
        """Versions the current index lists but the mirror answered 404 for."""
        return set(self._unserved().read() or [])

    def _remember_unserved(self, package: SourcePackage) -> None:
        self._unserved().write(sorted(self.unserved() | {f"{package.name}={package.debian_version}"}))

    def versions_of(self, package: str) -> list[SourcePackage]:
        result = subprocess.run(["apt-cache", *self._options(), "showsrc", package], capture_output=True, text=True)
        return parse_showsrc(result.stdout, package)

    def download_newest(self, candidates: list[SourcePackage], dest_dir: Path) -> tuple[SourcePackage, Path]:
        """Download the first candidate the archive really serves (or has been downloaded before).

        The index can list a revision before the mirror serves it: such a
        candidate is remembered as unserved and the next one is tried.
        """
        unserved = self.unserved()
        for candidate in candidates:
            if f"{candidate.name}={candidate.debian_version}" in unserved:
                continue
            tarball = dest_dir / candidate.orig_tarball
            if tarball.exists():
                return candidate, tarball
            try:
                with log.step(
                    f"downloading {candidate.orig_tarball} (Debian {candidate.name} {candidate.debian_version})"
                ):
                    return candidate, self.download_orig(candidate, dest_dir)
            except HarnessError as exc:
                log.warn(f"{exc.message}; trying the next candidate")
        names = ", ".join(f"{c.name} {c.debian_version}" for c in candidates) or "none"
        raise HarnessError(
            f"Debian's archive serves none of the candidate source packages ({names})",
            hint="pin a release the archive serves, or use another source",
        )

    def download_orig(self, package: SourcePackage, dest_dir: Path) -> Path:
        """Download one source package and keep only its upstream tarball, checked against the index."""
        dest_dir.mkdir(parents=True, exist_ok=True)
        work = dest_dir / f".apt-{package.name}-{os.getpid()}"
        work.mkdir()
        try:
            result = subprocess.run(
                ["apt-get", *self._options(), "source", "--download-only", f"{package.name}={package.debian_version}"],
                cwd=work,
                capture_output=True,
                text=True,
            )
            tarball = work / package.orig_tarball
            if result.returncode != 0 or not tarball.exists():
                output = (result.stderr.strip() or result.stdout.strip()).splitlines()
                reason = next((line for line in output if line.startswith("E:")), output[-1] if output else "")
                self._remember_unserved(package)
                raise HarnessError(
                    f"Debian lists {package.name} {package.debian_version} but does not serve it ({reason})"
                )
            target = dest_dir / package.orig_tarball
            tarball.replace(target)
            return target
        finally:
            for leftover in work.iterdir():
                leftover.unlink()
            work.rmdir()


def parse_showsrc(text: str, package: str) -> list[SourcePackage]:
    """Every version of `package` in `apt-cache showsrc` output, with its orig tarball's sha256."""
    found = []
    for stanza in re.split(r"\n\s*\n", text):
        if not re.search(rf"^Package: {re.escape(package)}$", stanza, re.M):
            continue
        version = re.search(r"^Version: (\S+)$", stanza, re.M)
        sums = re.search(r"^Checksums-Sha256:\n((?:[ \t].*\n?)+)", stanza, re.M)
        if not version or not sums:
            continue
        for line in sums[1].splitlines():
            sha, _size, name = line.split()
            if re.fullmatch(rf"{re.escape(package)}_[^_]+\.orig\.tar\.(xz|gz|bz2)", name):
                found.append(SourcePackage(package, version[1], name, sha))
    return found
