"""Outputs a killed make leaves damaged are found and removed before the next make."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from pipe_cpython.builds import buildtree

needs_gcc = pytest.mark.skipif(not shutil.which("gcc") or not shutil.which("ar"), reason="needs gcc and ar")


def truncate(path, keep):
    path.write_bytes(path.read_bytes()[:keep])


def wasm_module(*sections: bytes) -> bytes:
    """A WebAssembly binary of custom sections (id 0), each with a one-byte LEB128 size."""
    return b"\0asm\1\0\0\0" + b"".join(b"\0" + bytes([len(payload)]) + payload for payload in sections)


@pytest.fixture
def objects(tmp_path):
    source = tmp_path / "unit.c"
    source.write_text('int answer(void) { return 42; }\nconst char text[4000] = "x";\n')
    subprocess.run(["gcc", "-c", "-o", tmp_path / "unit.o", source], check=True)
    subprocess.run(["ar", "rcs", tmp_path / "libunit.a", tmp_path / "unit.o"], check=True)
    return tmp_path


@needs_gcc
def test_whole_elf_objects_and_archives_pass_truncated_ones_fail(objects):
    obj, archive = objects / "unit.o", objects / "libunit.a"
    assert buildtree.is_whole(obj) and buildtree.is_whole(archive)
    truncate(obj, obj.stat().st_size - 100)
    truncate(archive, archive.stat().st_size - 100)
    assert not buildtree.is_whole(obj)
    assert not buildtree.is_whole(archive)


def test_wasm_sections_must_end_at_the_end(tmp_path):
    module = tmp_path / "python.wasm"
    module.write_bytes(wasm_module(b"\1name", b"x" * 100))
    assert buildtree.is_whole(module)
    truncate(module, module.stat().st_size - 1)
    assert not buildtree.is_whole(module)


def test_empty_outputs_are_damaged(tmp_path):
    (tmp_path / "python").write_bytes(b"")
    assert not buildtree.is_whole(tmp_path / "python")


@needs_gcc
def test_after_a_killed_make_damaged_outputs_are_removed_and_whole_ones_kept(objects, capsys):
    (objects / buildtree.MARKER).touch()
    before = objects.stat().st_mtime - 10
    os.utime(objects / buildtree.MARKER, (before, before))
    truncate(objects / "libunit.a", 100)

    with buildtree.guarded(objects):
        assert not (objects / "libunit.a").exists()
        assert (objects / "unit.o").exists()
        assert (objects / buildtree.MARKER).exists()
    assert not (objects / buildtree.MARKER).exists(), "a finished make removes its marker"
    assert "was killed and left 1 damaged files (libunit.a)" in capsys.readouterr().err


@needs_gcc
def test_without_a_marker_nothing_is_checked_and_a_failed_make_leaves_one(objects):
    truncate(objects / "unit.o", 100)
    with pytest.raises(RuntimeError), buildtree.guarded(objects):
        raise RuntimeError("make failed")
    assert (objects / "unit.o").exists(), "no marker: the make before finished, its outputs are trusted"
    assert (objects / buildtree.MARKER).exists()


@needs_gcc
def test_outputs_older_than_the_marker_are_trusted(objects):
    truncate(objects / "unit.o", 100)
    earlier = objects.stat().st_mtime - 10
    os.utime(objects / "unit.o", (earlier, earlier))
    (objects / buildtree.MARKER).touch()
    with buildtree.guarded(objects):
        pass
    assert (objects / "unit.o").exists()
