"""The page's stdlib image: sources for upstream's bytecode bundle, and the file packager's table of contents."""

from __future__ import annotations

import io
import zipfile

import pytest

from pipe_cpython import webstdlib
from pipe_cpython.errors import HarnessError


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def test_the_bundle_gets_sources_where_the_tree_has_them_less_the_exclusions_plus_the_additions(tmp_path):
    for name in ("json/__init__.py", "os.py", "_pyrepl/main.py", "rlcompleter.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(f"# {name}\n")
    upstream = zipped({"json/__init__.pyc": b"bytecode", "_sysconfigdata_x.pyc": b"built", "_pyrepl/main.pyc": b"x"})
    bundle, left_out = webstdlib.source_bundle(upstream, tmp_path)
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        assert sorted(archive.namelist()) == ["_sysconfigdata_x.pyc", "json/__init__.py", "rlcompleter.py"]
        assert archive.read("json/__init__.py") == b"# json/__init__.py\n"
        assert archive.read("_sysconfigdata_x.pyc") == b"built"  # no source in the tree: upstream's bytecode
    assert left_out == ["_pyrepl/main.py"]
    assert webstdlib.source_bundle(upstream, tmp_path)[0] == bundle  # the same inputs, the same bytes


LOADER = (
    'var x=1;loadPackage({files:[{filename:"/usr/local/lib/python3.13/os.py",start:0,end:3},'
    '{filename:"/usr/local/lib/python313.zip",start:3,end:8}],remote_package_size:8})})();var y=2;'
)


def test_the_table_of_contents_is_read_and_written_back_around_new_files():
    files = webstdlib.read_package(LOADER, b"os!zippy")
    assert files == {"/usr/local/lib/python3.13/os.py": b"os!", "/usr/local/lib/python313.zip": b"zippy"}
    loader, data = webstdlib.write_package(LOADER, {**files, "/usr/local/lib/python3.13/extra.py": b"xyz"})
    assert data == b"os!zippyxyz"
    assert loader.startswith("var x=1;loadPackage(") and loader.endswith("})();var y=2;")
    assert webstdlib.read_package(loader, data)["/usr/local/lib/python3.13/extra.py"] == b"xyz"


def test_a_loader_whose_table_does_not_match_the_data_is_refused():
    with pytest.raises(HarnessError, match="table of contents"):
        webstdlib.read_package(LOADER, b"short")
    with pytest.raises(HarnessError, match="table of contents"):
        webstdlib.read_package("var nothing;", b"")
