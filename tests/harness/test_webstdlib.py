"""The page's stdlib image: sources for upstream's bytecode bundle, and the file packager's table of contents."""

from __future__ import annotations

import importlib.util
import io
import marshal
import sys
import zipfile
from importlib.machinery import EXTENSION_SUFFIXES
from pathlib import Path

import pytest

from pipe_cpython.core import project
from pipe_cpython.core.errors import HarnessError
from pipe_cpython.web import webstdlib


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def tree_and_bundle(tmp_path):
    """A Lib/ with a few sources, and an upstream bundle of bytecode for some of them and for a built module."""
    lib = tmp_path / "Lib"
    for name in ("json/__init__.py", "os.py", "xmlrpc/client.py", "rlcompleter.py", "inspect.py"):
        (lib / name).parent.mkdir(parents=True, exist_ok=True)
        (lib / name).write_text(f"# {name}\n")
    upstream = zipped({
        "json/__init__.pyc": b"json bytecode", "inspect.pyc": b"inspect bytecode", "_sysconfigdata_x.pyc": b"built",
        "xmlrpc/client.pyc": b"x",
    })  # fmt: skip
    return lib, upstream


def contents(bundle: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(bundle)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_bytecode_is_upstreams_less_the_exclusions_with_the_additions_compiled_natively(tree_and_bundle):
    lib, upstream = tree_and_bundle
    bundle, left_out = webstdlib.Image(lib, Path(sys.executable)).bundle(upstream)
    files = contents(bundle)
    assert sorted(files) == ["_sysconfigdata_x.pyc", "inspect.pyc", "json/__init__.pyc", "rlcompleter.pyc"]
    assert files["json/__init__.pyc"] == b"json bytecode"
    assert files["rlcompleter.pyc"][:4] == importlib.util.MAGIC_NUMBER  # compiled by the given interpreter
    assert left_out == ["xmlrpc/client.py"]
    assert webstdlib.Image(lib, Path(sys.executable)).bundle(upstream)[0] == bundle  # the same bytes again


def test_sources_where_the_tree_has_them_but_for_the_hot_modules(tree_and_bundle):
    lib, upstream = tree_and_bundle
    image = webstdlib.Image(lib, Path(sys.executable), webstdlib.Form.SOURCES, frozenset({"inspect.py"}))
    files = contents(image.bundle(upstream)[0])
    assert sorted(files) == ["_sysconfigdata_x.pyc", "inspect.pyc", "json/__init__.py", "rlcompleter.py"]
    assert files["json/__init__.py"] == b"# json/__init__.py\n"
    assert files["inspect.pyc"] == b"inspect bytecode"  # hot: the console imports it at its first Tab
    assert files["_sysconfigdata_x.pyc"] == b"built"  # no source in the tree


def test_the_consoles_hot_modules_are_measured_by_running_it():
    hot = webstdlib.hot_sources(Path(sys.executable), project.DEMO_PAGE)
    assert {"codeop.py", "rlcompleter.py", "encodings/__init__.py"} <= hot
    assert "pipe_console.py" not in hot  # the page's own, not the stdlib's


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


def test_a_zip_build_gets_its_bundle_and_the_console_placed_where_its_getpath_looks(tree_and_bundle, tmp_path):
    lib, upstream = tree_and_bundle
    build, output = tmp_path / "build", tmp_path / "site"
    build.mkdir(), output.mkdir()
    (build / "python3.14.zip").write_bytes(upstream)
    # configure's host_prefix: where the files are at run time (`/` under Emscripten), not where they install.
    (build / "Makefile").write_text("prefix=\t\t/usr/local\nhost_prefix= \t/\n")
    image = webstdlib.Image(lib, Path(sys.executable))
    core = frozenset({"json/__init__.py"})
    left_out, placement = webstdlib.place(build, output, image, {"pipe_console.pyc": b"console"}, core)
    assert placement.files == {
        "stdlib.zip": "/lib/python314.zip",
        "pipe_console.pyc": "/lib/python3.14/pipe_console.pyc",
        "pipe_stdlib.marshal": "/lib/python3.14/pipe_stdlib.marshal",
    }
    assert placement.directories == ("/lib/python3.14/lib-dynload",)
    assert list(contents((output / "stdlib.zip").read_bytes())) == ["json/__init__.pyc"]
    assert (output / "pipe_console.pyc").read_bytes() == b"console" and left_out == ["xmlrpc/client.py"]
    # Beyond the core, one unit per top-level module or package, each listed in the manifest.
    assert sorted(p.name for p in (output / "stdlib").iterdir()) == [
        "_sysconfigdata_x.bin", "inspect.bin", "rlcompleter.bin"
    ]  # fmt: skip
    modules = marshal.loads((output / "pipe_stdlib.marshal").read_bytes())["modules"]
    assert modules["inspect"] == ("inspect", 0, len(b"inspect bytecode"), "pyc", False, "inspect.py")


def test_split_puts_a_package_in_one_unit_and_marks_its_init_as_the_package():
    bundle = zipped({"email/__init__.pyc": b"I", "email/message.pyc": b"MM", "email/mime/text.pyc": b"TTT"})
    core, units, manifest = webstdlib.split(bundle, frozenset())
    assert contents(core) == {} and units == {"email": b"IMMTTT"}
    assert manifest["modules"] == {
        "email": ("email", 0, 1, "pyc", True, "email/__init__.py"),
        "email.message": ("email", 1, 2, "pyc", False, "email/message.py"),
        "email.mime.text": ("email", 3, 3, "pyc", False, "email/mime/text.py"),
    }


def test_split_without_a_core_keeps_every_module_in_the_zip_and_fetches_none():
    files = {"email/__init__.pyc": b"I", "json/__init__.pyc": b"J", "re.pyc": b"R"}
    core, units, manifest = webstdlib.split(zipped(files), None)
    assert contents(core) == files and units == {} and manifest == {"modules": {}}


def side_module_build(build: Path, modules: dict[str, bytes]) -> None:
    """A build's Makefile (as makesetup writes it) and side modules."""
    (build / "Modules").mkdir(parents=True)
    suffix = ".cpython-314-wasm32-emscripten.so"
    shared = " ".join(f"Modules/{module}$(EXT_SUFFIX)" for module in modules)
    (build / "Makefile").write_text(f"host_prefix= \t/\nEXT_SUFFIX=\t{suffix}\nSHAREDMODS= {shared}\n")
    for module, data in modules.items():
        (build / "Modules" / f"{module}{suffix}").write_bytes(data)


def test_side_modules_are_units_fetched_on_import_with_the_package_that_imports_them(tree_and_bundle, tmp_path):
    lib, upstream = tree_and_bundle
    build, output = tmp_path / "build", tmp_path / "site"
    side_module_build(build, {"_sqlite3": b"SQL", "_codecs_jp": b"JP"})
    (build / "python3.14.zip").write_bytes(upstream)
    output.mkdir()
    webstdlib.place(build, output, webstdlib.Image(lib, Path(sys.executable)), {}, frozenset({"json/__init__.py"}))
    modules = marshal.loads((output / "pipe_stdlib.marshal").read_bytes())["modules"]
    suffix = ".cpython-314-wasm32-emscripten.so"
    # sqlite3's package is not in this bundle, so its unit is the side module alone; in the page's, both.
    assert modules["_sqlite3"] == ("sqlite3", 0, 3, "ext", False, f"lib-dynload/_sqlite3{suffix}")
    assert modules["_codecs_jp"] == ("_codecs_jp", 0, 2, "ext", False, f"lib-dynload/_codecs_jp{suffix}")
    assert (output / "stdlib" / "sqlite3.bin").read_bytes() == b"SQL"


def test_split_joins_a_side_module_to_its_packages_unit(tmp_path):
    (tmp_path / "_decimal.so").write_bytes(b"CCC")
    bundle = zipped({"decimal.pyc": b"D", "re.pyc": b"R"})
    _, units, manifest = webstdlib.split(bundle, frozenset({"re.py"}), {"_decimal": tmp_path / "_decimal.so"})
    assert units == {"decimal": b"DCCC"}
    assert manifest["modules"]["_decimal"] == ("decimal", 1, 3, "ext", False, "lib-dynload/_decimal.so")


def test_with_the_whole_stdlib_at_start_side_modules_are_files_in_lib_dynload(tree_and_bundle, tmp_path):
    lib, upstream = tree_and_bundle
    build, output = tmp_path / "build", tmp_path / "site"
    side_module_build(build, {"_decimal": b"DEC"})
    (build / "python3.14.zip").write_bytes(upstream)
    output.mkdir()
    _, placement = webstdlib.place(build, output, webstdlib.Image(lib, Path(sys.executable)), {}, None)
    name = "lib-dynload/_decimal.cpython-314-wasm32-emscripten.so"
    assert placement.files[name] == f"/lib/python3.14/{name}" and (output / name).read_bytes() == b"DEC"
    assert marshal.loads((output / "pipe_stdlib.marshal").read_bytes()) == {"modules": {}}


def test_a_build_without_a_side_module_its_makefile_lists_says_to_rebuild(tmp_path):
    side_module_build(tmp_path, {"_decimal": b"DEC"})
    next((tmp_path / "Modules").iterdir()).unlink()
    with pytest.raises(HarnessError, match="lacks side modules its Makefile lists: _decimal"):
        webstdlib.side_modules(tmp_path)


def test_the_pages_finder_writes_a_side_module_into_lib_dynload_and_loads_it(tmp_path, monkeypatch):
    """The finder the page's interpreter runs (wasm/demo/pipe_stdlib.py), natively, with one of this Python's own
    C modules as the unit it fetches."""
    spec = importlib.util.spec_from_file_location("pipe_stdlib", project.DEMO_PAGE / "pipe_stdlib.py")
    pipe_stdlib = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pipe_stdlib)
    name, extension = an_extension_module()
    fetched = []
    monkeypatch.setattr(pipe_stdlib, "fetch", lambda url: fetched.append(url) or (200, b"pyc" + extension.read_bytes()))
    (tmp_path / "lib-dynload").mkdir()
    entry = ("xx", 3, extension.stat().st_size, "ext", False, f"lib-dynload/{extension.name}")
    finder = pipe_stdlib.PageStdlib({"modules": {name: entry}}, str(tmp_path))
    found = finder.find_spec(name)
    module = importlib.util.module_from_spec(found)
    found.loader.exec_module(module)
    assert module.__name__ == name and module.__file__ == str(tmp_path / "lib-dynload" / extension.name)
    assert (tmp_path / "lib-dynload" / extension.name).read_bytes() == extension.read_bytes()
    assert fetched == ["stdlib/xx.bin"] and finder.get_source(name) is None


def an_extension_module() -> tuple[str, Path]:
    """A C module of this Python's that is a file and not imported yet: CPython's example module where it has it."""
    # lib-dynload is on sys.path, in a virtual environment too (from the Python it was made with).
    files = sorted(path for entry in sys.path if entry.endswith("lib-dynload")
                   for path in Path(entry).glob(f"*{EXTENSION_SUFFIXES[0]}"))  # fmt: skip
    modules = {path.name.removesuffix(EXTENSION_SUFFIXES[0]): path for path in files}
    name = next(name for name in ("xxlimited", *modules) if name in modules and name not in sys.modules)
    return name, modules[name]


def test_a_zip_build_without_its_zip_says_how_to_make_it(tree_and_bundle, tmp_path):
    lib, _ = tree_and_bundle
    with pytest.raises(HarnessError, match="one stdlib zip"):
        webstdlib.place(tmp_path, tmp_path, webstdlib.Image(lib, Path(sys.executable)), {}, frozenset())
