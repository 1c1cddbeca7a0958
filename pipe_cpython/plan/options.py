"""What the user asked for, read once from the command line and the environment, checked before anything runs."""

from __future__ import annotations

import argparse
import os
from dataclasses import dataclass
from pathlib import Path

from ..checkout import sources
from ..checkout.patches import Flavour
from ..core import project
from ..core.cache import CACHE_ENV, Cache, default_root
from ..core.errors import HarnessError
from ..core.versions import Request, available_series, parse_request, series_dir
from ..series import profiles


@dataclass(frozen=True)
class Options:
    request: Request
    origins: tuple[sources.Origin, ...]
    sha256: str | None
    patches: Path
    cache: Cache
    flavour: Flavour = Flavour.PATCHED
    clean: bool = False
    force: bool = False
    allow_missing_modules: bool = False
    # Only `build` takes configure arguments (after --); every other step builds with none.
    configure_args: tuple[str, ...] = ()
    # None: the suite the series' profile names.
    emscripten_suite: str | None = None
    # When no version was asked for: the older series to fall back on, newest first, if `request`'s source
    # cannot be reached (the newest series is the default wherever it can be fetched).
    fallbacks: tuple[Request, ...] = ()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options every step takes (the source, the cache, the patches, verbosity)."""
    parser.add_argument(
        "--cpython",
        default=os.environ.get("PIPE_CPYTHON_VERSION"),
        help="series (3.14: newest release) or release (3.14.7); env PIPE_CPYTHON_VERSION; default: the newest "
        "series in patches/ whose source can be reached",
    )
    parser.add_argument(
        "--source",
        default=os.environ.get("PIPE_CPYTHON_SOURCE", "auto"),
        help="auto, git, a git URL/path, a tarball path/URL, or debian[:suite,...]; env PIPE_CPYTHON_SOURCE",
    )
    parser.add_argument("--sha256", help="expected sha256 of a tarball source")
    parser.add_argument(
        "--patches",
        type=Path,
        default=Path(os.environ.get("PIPE_CPYTHON_PATCHES", project.PATCHES)),
        help="directory of patch series, one X.Y subdirectory each (env PIPE_CPYTHON_PATCHES)",
    )
    parser.add_argument(
        "--cache", type=Path, default=None, help=f"cache directory (env {CACHE_ENV}; default ~/.cache/pipe-cpython)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show every command and its output")
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors")


def set_defaults(parser: argparse.ArgumentParser) -> None:
    """What a step without the build or Emscripten options means by them, so every step reads the same names."""
    parser.set_defaults(
        clean=False,
        force=False,
        allow_missing_modules=False,
        pristine=False,
        emscripten_suite=None,
        platform=None,
    )


def add_build_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--clean", action="store_true", help="remove the build directory first")
    parser.add_argument(
        "--force",
        action="store_true",
        help="re-apply the series even if it discards unexported commits on the pipe branch",
    )
    parser.add_argument(
        "--allow-missing-modules", action="store_true", help="build even when optional modules' headers are missing"
    )
    parser.add_argument("--pristine", action="store_true", help="the same release without the patches, to compare")


def add_emscripten_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--emscripten-suite",
        default=os.environ.get("PIPE_CPYTHON_EMSCRIPTEN_SUITE"),
        help="Debian suite of the emscripten chroot, when no emsdk is active (env PIPE_CPYTHON_EMSCRIPTEN_SUITE; "
        "default: the one the series' profile names)",
    )


def from_args(args: argparse.Namespace, need_series: bool = True, configure_args: list[str] = ()) -> Options:
    """Options from parsed arguments; a bad version, series, profile or source fails here, before any work.

    `need_series` is False for the steps that make a series (export, rebase); they need the profile all the
    same, which says what a series never exports (its generated files).
    """
    patches = args.patches.resolve()
    requests = [parse_request(args.cpython)] if args.cpython else default_requests(patches, args.platform)
    request = requests[0]
    if need_series:
        series_dir(request, patches)
    profiles.profile(request.series)
    return Options(
        request=request,
        fallbacks=tuple(requests[1:]),
        origins=tuple(sources.parse_origins(args.source)),
        sha256=args.sha256,
        patches=patches,
        cache=Cache(args.cache.resolve() if args.cache else default_root()),
        flavour=Flavour.PRISTINE if args.pristine else Flavour.PATCHED,
        clean=args.clean,
        force=args.force,
        allow_missing_modules=args.allow_missing_modules,
        configure_args=tuple(configure_args),
        emscripten_suite=args.emscripten_suite,
    )


def default_requests(patches: Path, platform: str | None = None) -> list[Request]:
    """Every series that has a patch series and a profile (with a build for `platform`, 'emscripten' or 'wasi',
    when the step is about one), newest first: what no --cpython means."""
    known = [
        series
        for series in available_series(patches)
        if series in profiles.PROFILES and (platform is None or getattr(profiles.PROFILES[series], platform))
    ]
    if not known:
        raise HarnessError(f"no patch series with a profile under {patches}", hint="pass --cpython X.Y")
    return [parse_request(series) for series in reversed(known)]
