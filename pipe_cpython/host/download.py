"""Downloads that are verified, resumable by simply re-running, and never left half-written."""

from __future__ import annotations

import hashlib
import http.client
import os
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from ..core import log
from ..core.errors import HarnessError

_CHUNK = 1 << 16


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def verify(path: Path, expected: str, origin: str) -> None:
    actual = sha256_of(path)
    if actual != expected.lower():
        raise HarnessError(
            f"checksum mismatch for {path.name} from {origin}:\n"
            f"  expected sha256 {expected}\n  got      sha256 {actual}",
            hint="the file is corrupt or not the release you pinned: delete it and retry, "
            "or correct the pinned sha256 if upstream re-issued it",
        )


def fetch_url(url: str, dest: Path, expected_sha256: str | None = None) -> Path:
    """Download `url` to `dest` (through a .part file), checking length and checksum."""
    part = dest.with_name(dest.name + ".part")
    dest.parent.mkdir(parents=True, exist_ok=True)
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            total = int(response.headers.get("Content-Length") or 0)
            received = _write_with_progress(iter(lambda: response.read(_CHUNK), b""), part, total, dest.name)
    except urllib.error.HTTPError as exc:
        part.unlink(missing_ok=True)
        raise HarnessError(f"download of {url} failed: HTTP {exc.code} {exc.reason}") from exc
    except http.client.IncompleteRead as exc:
        part.unlink(missing_ok=True)
        raise HarnessError(
            f"download of {url} was truncated ({exc!r})", hint="retry; nothing partial was kept"
        ) from exc
    # Network errors only: a failed write to the cache is not "cannot reach".
    except (urllib.error.URLError, ConnectionError, TimeoutError) as exc:
        part.unlink(missing_ok=True)
        reason = getattr(exc, "reason", exc)
        raise HarnessError(
            f"cannot reach {url}: {reason}",
            hint="check the network, or use a local tarball or Debian's source package (--source debian)",
        ) from exc
    if total and received != total:
        part.unlink(missing_ok=True)
        raise HarnessError(
            f"download of {url} was truncated ({received} of {total} bytes)",
            hint="retry; nothing partial was kept",
        )
    if expected_sha256:
        try:
            verify(part, expected_sha256, url)
        except HarnessError:
            part.unlink(missing_ok=True)
            raise
    os.replace(part, dest)
    return dest


def _write_with_progress(chunks, part: Path, total: int, name: str) -> int:
    received = 0
    shown = 0.0
    interactive = sys.stderr.isatty()
    with open(part, "wb") as handle:
        for chunk in chunks:
            handle.write(chunk)
            received += len(chunk)
            now = time.monotonic()
            if now - shown > (0.2 if interactive else 5.0):
                shown = now
                _show_progress(name, received, total, interactive)
    _show_progress(name, received, total, interactive, final=True)
    return received


def _show_progress(name: str, received: int, total: int, interactive: bool, final: bool = False) -> None:
    if total:
        width = 30
        filled = int(width * received / total)
        text = f"{name} [{'#' * filled}{'.' * (width - filled)}] {received / 1e6:.1f}/{total / 1e6:.1f} MB"
    else:
        text = f"{name} {received / 1e6:.1f} MB"
    if interactive:
        print(f"\r{text}", end="\n" if final else "", file=sys.stderr, flush=True)
    elif final or log.verbose():
        log.info(text)
