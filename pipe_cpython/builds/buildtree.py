"""Damage a killed build leaves behind, found and removed before the next make.

make deletes the file it was writing when it is interrupted (SIGINT, SIGTERM),
but a build that is killed outright (SIGKILL, out of memory, power loss)
leaves a truncated object, archive or binary whose timestamp is newer than its
sources: make then takes it as up to date and the link fails, or worse,
succeeds. So every make runs inside `guarded(build_dir)`: it leaves a marker
that only a finished make removes, and when a marker is found, every output
written since it was created is checked for being whole (ELF, WebAssembly and
ar files all say how long they should be) and removed if it is not.
"""

from __future__ import annotations

import contextlib
import struct
from collections.abc import Iterator
from pathlib import Path

from ..core import log

MARKER = ".pipe-cpython-make-running"
_OUTPUT_SUFFIXES = {".o", ".a", ".so", ".wasm"}
_OUTPUT_NAMES = {"python", "python.exe"}


def is_whole(path: Path) -> bool:
    """Whether an ELF, WebAssembly or ar file is as long as its own headers say (other files: not empty)."""
    data = path.read_bytes()
    if data.startswith(b"\x7fELF"):
        return _elf_is_whole(data)
    if data.startswith(b"\0asm"):
        return _wasm_is_whole(data)
    if data.startswith(b"!<arch>\n"):
        return _archive_is_whole(data)
    return bool(data)


def _elf_is_whole(data: bytes) -> bool:
    """The section header table, which linkers write last, must fit in the file."""
    if len(data) < 64 or data[4] not in (1, 2):
        return False
    wide = data[4] == 2
    order = "<" if data[5] == 1 else ">"
    if wide:
        (shoff,) = struct.unpack_from(order + "Q", data, 0x28)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x3A)
    else:
        (shoff,) = struct.unpack_from(order + "I", data, 0x20)
        shentsize, shnum = struct.unpack_from(order + "HH", data, 0x2E)
    return shoff + shentsize * shnum <= len(data)


def _wasm_is_whole(data: bytes) -> bool:
    """Sections (id, LEB128 size, payload) must end exactly at the end of the file."""
    at = 8
    while at < len(data):
        at += 1
        size, shift = 0, 0
        while True:
            if at >= len(data):
                return False
            byte = data[at]
            at += 1
            size |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                break
        at += size
    return at == len(data)


def _archive_is_whole(data: bytes) -> bool:
    """Members (60-byte header with a decimal size, payload padded to even) must end at the end."""
    at = 8
    while at < len(data):
        if at + 60 > len(data) or data[at + 58 : at + 60] != b"`\n":
            return False
        size = int(data[at + 48 : at + 58])
        at += 60 + size + (size & 1)
    return at == len(data)


def damaged_outputs(build_dir: Path, since: float) -> list[Path]:
    """Build outputs written at or after `since` that are not whole."""
    return sorted(
        path
        for path in build_dir.rglob("*")
        if (path.suffix in _OUTPUT_SUFFIXES or path.name in _OUTPUT_NAMES)
        and path.is_file()
        and not path.is_symlink()
        and path.stat().st_mtime >= since
        and not is_whole(path)
    )


@contextlib.contextmanager
def guarded(build_dir: Path) -> Iterator[None]:
    """Run a make whose death is noticed (and repaired) by the next run."""
    marker = build_dir / MARKER
    if marker.exists():
        damaged = damaged_outputs(build_dir, marker.stat().st_mtime)
        if damaged:
            names = ", ".join(str(path.relative_to(build_dir)) for path in damaged[:5])
            more = f" and {len(damaged) - 5} more" if len(damaged) > 5 else ""
            log.warn(
                f"the last make in {build_dir} was killed and left {len(damaged)} damaged files ({names}{more}); "
                "removing them so they are rebuilt"
            )
            for path in damaged:
                path.unlink()
        else:
            log.detail(f"the last make in {build_dir} did not finish; its outputs are whole")
    marker.touch()
    yield
    marker.unlink()
