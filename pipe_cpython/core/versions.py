"""CPython versions: what the user asked for, what a source offers, which patch series fits."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .errors import HarnessError

_REQUEST = re.compile(r"^3\.(\d{1,2})(?:\.(\d{1,3}))?$")
_RELEASE = re.compile(r"^v?3\.(\d{1,2})\.(\d{1,3})$")


@dataclass(frozen=True, order=True)
class Version:
    """A final CPython release, e.g. 3.13.5."""

    major: int
    minor: int
    micro: int

    @property
    def series(self) -> str:
        return f"{self.major}.{self.minor}"

    @property
    def tag(self) -> str:
        return f"v{self}"

    def __str__(self) -> str:
        return f"{self.major}.{self.minor}.{self.micro}"

    @classmethod
    def parse(cls, text: str) -> Version | None:
        """Parse '3.13.5' or 'v3.13.5'; None for anything else (pre-releases included)."""
        match = _RELEASE.match(text.strip())
        if not match:
            return None
        return cls(3, int(match[1]), int(match[2]))


@dataclass(frozen=True)
class Request:
    """What the user asked for: a series ('3.13', newest release wins) or one release."""

    series: str
    micro: int | None = None

    def __str__(self) -> str:
        return self.series if self.micro is None else f"{self.series}.{self.micro}"

    def exact(self) -> Version | None:
        """The one release asked for, or None when any release of the series will do."""
        if self.micro is None:
            return None
        major, minor = (int(n) for n in self.series.split("."))
        return Version(major, minor, self.micro)

    def matches(self, version: Version) -> bool:
        return version.series == self.series and self.micro in (None, version.micro)


def parse_request(text: str) -> Request:
    match = _REQUEST.match(text.strip())
    if not match:
        raise HarnessError(
            f"malformed CPython version {text!r}",
            hint="give a series such as 3.13 (newest release) or a release such as 3.13.5",
        )
    micro = None if match[2] is None else int(match[2])
    return Request(f"3.{int(match[1])}", micro)


def newest_first(request: Request, offered: Iterable[Version]) -> list[Version]:
    """The offered releases that satisfy the request, newest first."""
    return sorted((v for v in set(offered) if request.matches(v)), reverse=True)


def available_series(patches_dir: Path) -> list[str]:
    """The CPython series that have a patch series, oldest first."""
    found = [p.name for p in patches_dir.iterdir() if p.is_dir() and _REQUEST.match(p.name)]
    return sorted(found, key=lambda s: tuple(int(n) for n in s.split(".")))


def series_dir(request: Request, patches_dir: Path) -> Path:
    """The patch series for the request, or an error that names the nearest one."""
    path = patches_dir / request.series
    if path.is_dir() and any(path.glob("*.patch")):
        return path
    known = available_series(patches_dir)
    if not known:
        raise HarnessError(f"no patch series at all under {patches_dir}")
    wanted = int(request.series.split(".")[1])
    nearest = min(known, key=lambda s: abs(int(s.split(".")[1]) - wanted))
    raise HarnessError(
        f"CPython {request.series} has no patch series (have: {', '.join(known)})",
        hint=(
            f"port the nearest series with `nox -s rebase-patches -- --from {nearest} --cpython {request}` "
            "(see docs/how-to/add-a-cpython-version.md)"
        ),
    )
