"""Wheels for the WebAssembly fork without a build: names and tags, installs, the cross-build environment's files."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from pipe_cpython.builds import xbuildenv
from pipe_cpython.builds.toolchain import Toolchain
from pipe_cpython.core import project
from pipe_cpython.core.errors import HarnessError
from pipe_cpython.series import profiles
from pipe_cpython.web import wheels

EMSCRIPTEN = (3, 1, 69)
OURS = "pyemscripten_pipe_3_1_69_wasm32"


def named(name: str) -> wheels.WheelName:
    return wheels.WheelName.parse(Path(name))


def test_a_wheel_name_splits_into_its_tag_sets():
    wheel = named("pipe_ext-1.0-1build-cp313-cp313-pyemscripten_pipe_3_1_69_wasm32.emscripten_3_1_69_wasm32.whl")
    assert (wheel.distribution, wheel.version) == ("pipe_ext", "1.0")
    assert wheel.platforms == {OURS, "emscripten_3_1_69_wasm32"}
    assert not wheel.pure
    assert named("pipe_pure-1.0-py3-none-any.whl").pure


@pytest.mark.parametrize("name", ["pipe_pure-1.0.tar.gz", "pipe_pure-1.0-any.whl"])
def test_what_is_not_a_wheel_name_is_refused(name):
    with pytest.raises(HarnessError, match="not a wheel"):
        named(name)


def test_the_fork_abi_and_tags_follow_the_emscripten_version():
    assert xbuildenv.abi(EMSCRIPTEN) == "pipe_3_1_69"
    assert xbuildenv.platform_tags(EMSCRIPTEN) == (OURS, "emscripten_3_1_69_wasm32")


@pytest.mark.parametrize(
    "name, dynamic",
    [
        ("pipe_pure-1.0-py3-none-any.whl", False),
        ("pipe_pure-1.0-py3-none-any.whl", True),
        (f"pipe_ext-1.0-cp313-cp313-{OURS}.whl", True),
        (f"pipe_ext-1.0-cp313-abi3-{OURS}.whl", True),
    ],
)
def test_wheels_the_interpreter_can_load_pass(name, dynamic):
    wheels.check(named(name), "3.13", EMSCRIPTEN, dynamic)


@pytest.mark.parametrize(
    "name, dynamic, says",
    [
        (f"pipe_ext-1.0-cp313-cp313-{OURS}.whl", False, "--variant dynamic"),
        ("markupsafe-3.0.2-cp313-cp313-pyodide_2025_0_wasm32.whl", True, "other Emscripten versions"),
        ("numpy-2.3.0-cp313-cp313-manylinux_2_28_x86_64.whl", True, "manylinux_2_28_x86_64"),
        (f"pipe_ext-1.0-cp312-cp312-{OURS}.whl", True, "not CPython 3.13"),
        ("old-1.0-py2-none-any.whl", False, "not CPython 3.13"),
    ],
)
def test_wheels_the_interpreter_cannot_load_are_refused_with_what_to_do(name, dynamic, says):
    with pytest.raises(HarnessError, match=says) as caught:
        wheels.check(named(name), "3.13", EMSCRIPTEN, dynamic)
    assert caught.value.hint


def make_wheel(path: Path, members: dict[str, str]) -> wheels.WheelName:
    with zipfile.ZipFile(path, "w") as archive:
        for name, text in members.items():
            archive.writestr(name, text)
    return wheels.WheelName.parse(path)


def test_install_unpacks_the_libraries_of_each_wheel_into_an_emptied_site_packages(tmp_path):
    site = tmp_path / "site-packages"
    (site / "stale.py").parent.mkdir(parents=True)
    (site / "stale.py").write_text("")
    first = make_wheel(
        tmp_path / "a-1.0-py3-none-any.whl",
        {
            "a/__init__.py": "A = 1",
            "a-1.0.dist-info/METADATA": "Name: a",
            "a-1.0.data/purelib/a_extra.py": "",
            "a-1.0.data/scripts/a-tool": "#!python",
            "a-1.0.data/headers/a.h": "",
        },
    )
    second = make_wheel(tmp_path / "b-1.0-py3-none-any.whl", {"b.py": "B = 2", "b-1.0.data/platlib/b_native.py": ""})
    wheels.install([first, second], site)
    found = sorted(p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file())
    assert found == ["a-1.0.dist-info/METADATA", "a/__init__.py", "a_extra.py", "b.py", "b_native.py"]


def test_a_node_environment_points_at_its_build_and_links_the_entry_point(tmp_path):
    build = tmp_path / "wasm-node-dynamic"
    build.mkdir()
    (build / "python.js").write_text("// the interpreter")
    series = profiles.profile("3.13").emscripten
    bin_dir = wheels.node_environment(build, series, "3.13.15", tmp_path / "env")
    assert bin_dir == tmp_path / "env" / "bin"
    assert (bin_dir / "python.js").resolve() == build / "python.js"
    # Made again (a rebuilt interpreter, a new wheel): the same, no error.
    wheels.node_environment(build, series, "3.13.15", tmp_path / "env")
    config = dict(line.split(" = ") for line in (tmp_path / "env" / "pyvenv.cfg").read_text().splitlines())
    assert config["home"] == str(build)
    assert wheels.site_packages(tmp_path / "env", "3.13") == tmp_path / "env" / "lib" / "python3.13" / "site-packages"


def test_a_node_environment_of_an_es_module_build_links_what_node_starts_it_with(tmp_path):
    build = tmp_path / "wasm"
    build.mkdir()
    series = profiles.profile("3.14").emscripten
    for name in ("python.mjs", *series.node_files):
        (build / name).write_text("// the interpreter")
    bin_dir = wheels.node_environment(build, series, "3.14.7", tmp_path / "env")
    assert sorted(p.name for p in bin_dir.iterdir()) == ["node_entry.mjs", "python.mjs", "streams.mjs"]
    # node is told the environment's path, so that the interpreter finds the environment's site-packages.
    assert series.node_argv(bin_dir)[1] == f"--this-program={bin_dir}/python.mjs"


def fake_build(tmp_path: Path) -> tuple[Path, Path]:
    tree, build = tmp_path / "tree", tmp_path / "build"
    (tree / "Include" / "cpython").mkdir(parents=True)
    (tree / "Include" / "Python.h").write_text("#include <pyconfig.h>\n")
    (tree / "Include" / "cpython" / "object.h").write_text("")
    lib = build / "build" / "lib.emscripten-wasm32-3.13"
    lib.mkdir(parents=True)
    (build / "pybuilddir.txt").write_text("build/lib.emscripten-wasm32-3.13")
    (build / "pyconfig.h").write_text("#define HAVE_DLOPEN 1\n")
    (lib / "_sysconfigdata__emscripten_wasm32-emscripten.py").write_text("build_time_vars = {}\n")
    return tree, build


def test_the_cross_build_environment_holds_headers_sysconfigdata_and_variables(tmp_path):
    tree, build = fake_build(tmp_path)
    files = xbuildenv.members(tree, build, "3.13.15", EMSCRIPTEN)
    install = "xbuildenv/pyodide-root/cpython/installs/python-3.13.15"
    assert {
        "xbuildenv/pyodide-root/Makefile.envs",
        "xbuildenv/requirements.txt",
        f"{install}/include/python3.13/Python.h",
        f"{install}/include/python3.13/cpython/object.h",
        f"{install}/include/python3.13/pyconfig.h",
        f"{install}/sysconfigdata/_sysconfigdata__emscripten_wasm32-emscripten.py",
    } == set(files)


def test_make_reads_makefile_envs_as_pyodide_build_does(tmp_path):
    """`make -f Makefile.envs .output_vars` is how pyodide-build reads it: the values must come out resolved."""
    envs = tmp_path / "Makefile.envs"
    envs.write_text(xbuildenv.makefile_envs("3.13.15", EMSCRIPTEN, "_sysconfigdata__emscripten_wasm32-emscripten"))
    result = subprocess.run(
        ["make", "-f", str(envs), ".output_vars"],
        env={**os.environ, "PYODIDE_ROOT": "/x/pyodide-root"},
        capture_output=True,
        text=True,
        check=True,
    )
    values = dict(line.split("=", 1) for line in result.stdout.splitlines() if "=" in line)
    assert values["PYODIDE_EMSCRIPTEN_VERSION"] == "3.1.69"
    assert values["PYODIDE_ABI_VERSION"] == "pipe_3_1_69"
    assert (values["PYMAJOR"], values["PYMINOR"], values["PYMICRO"]) == ("3", "13", "15")
    assert values["PYTHONINCLUDE"] == "/x/pyodide-root/cpython/installs/python-3.13.15/include/python3.13"
    assert values["TARGETINSTALLDIR"] == "/x/pyodide-root/cpython/installs/python-3.13.15"
    assert "-fPIC" in values["CFLAGS_BASE"]


def test_the_archive_is_reproducible_and_its_metadata_names_it_by_content(tmp_path):
    tree, build = fake_build(tmp_path)
    first = xbuildenv.make(tree, build, "3.13.15", EMSCRIPTEN, "0.39.2", tmp_path / "one")
    second = xbuildenv.make(tree, build, "3.13.15", EMSCRIPTEN, "0.39.2", tmp_path / "two")
    assert first.archive.read_bytes() == second.archive.read_bytes()
    assert first.version == second.version
    release = json.loads(first.metadata.read_text())["releases"][first.version]
    assert release["url"] == first.archive.as_uri()
    assert (release["python_version"], release["emscripten_version"]) == ("3.13.15", "3.1.69")
    assert release["min_pyodide_build_version"] == release["max_pyodide_build_version"] == "0.39.2"
    (tree / "Include" / "Python.h").write_text("changed\n")
    assert xbuildenv.make(tree, build, "3.13.15", EMSCRIPTEN, "0.39.2", tmp_path / "three").version != first.version


def test_an_archive_that_does_not_match_its_metadata_is_refused(tmp_path):
    tree, build = fake_build(tmp_path)
    made = xbuildenv.make(tree, build, "3.13.15", EMSCRIPTEN, "0.39.2", tmp_path / "out")
    assert xbuildenv.verified(made) == made
    made.archive.write_bytes(made.archive.read_bytes() + b"\0")
    with pytest.raises(HarnessError, match="sha256"):
        xbuildenv.verified(made)


def test_pyodide_build_pin_is_read_from_the_lock():
    assert wheels.PYODIDE_BUILD == "0.39.2"
    pins = [line for line in wheels.REQUIREMENTS.read_text().splitlines() if line and not line.startswith("#")]
    assert all("==" in pin for pin in pins)
    assert {"pip", "setuptools", "wheel", "pyodide-build"} <= {pin.split("==")[0] for pin in pins}


def test_a_series_pyodide_build_cannot_build_for_is_refused_before_anything_is_installed(tmp_path):
    host = Toolchain("Emscripten", "emsdk", EMSCRIPTEN)
    # The host's python3, which a host toolchain (emsdk's) runs pyodide-build with.
    python = subprocess.run(
        ["python3", "-c", "import sys; print(*sys.version_info[:2], sep='.')"], capture_output=True, text=True
    ).stdout.strip()
    other = "3.11" if python != "3.11" else "3.13"
    with pytest.raises(HarnessError, match=f"Python {python}, not {other}") as caught:
        wheels.pyodide_build(host, other, tmp_path / "tools")
    assert "docs/how-to/packages-and-wheels.md" in caught.value.hint
    assert not (tmp_path / "tools").exists()


def test_the_project_to_build_is_copied_so_pyodide_build_never_writes_into_the_users_tree(tmp_path):
    source = project.ROOT / "tests" / "wheels" / "ext"
    tree = wheels.source_tree(str(source), tmp_path / "work", tmp_path / "downloads")
    assert (tree / "ext.c").read_bytes() == (source / "ext.c").read_bytes()
    assert wheels.build_requirements(tree) == ["setuptools", "wheel"]


@pytest.mark.parametrize(
    "source, says",
    [("no/such/project", "does not exist"), ("tests", "neither pyproject.toml nor setup.py")],
)
def test_a_source_that_is_not_a_project_is_refused(tmp_path, source, says):
    with pytest.raises(HarnessError, match=says):
        wheels.source_tree(str(project.ROOT / source) if source == "tests" else source, tmp_path / "w", tmp_path / "d")


def test_the_page_console_installs_the_wheels_it_was_given(tmp_path):
    """pipe_console.install_wheels, as the page runs it: into sys.prefix's site-packages, then importable."""
    wheels_dir = tmp_path / "wheels"
    wheels_dir.mkdir()
    make_wheel(wheels_dir / "pipe_pure-1.0-py3-none-any.whl", {"pipe_pure.py": "def shout(s):\n    return s.upper()\n"})
    script = (
        "import sys; sys.prefix = sys.argv[1]; import pipe_console; pipe_console.install_wheels(sys.argv[2]); "
        "import pipe_pure; print(pipe_pure.shout('ok'), pipe_pure.__file__)"
    )
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "prefix"), str(wheels_dir)],
        env={**os.environ, "PYTHONPATH": str(project.DEMO_PAGE)},
        capture_output=True,
        text=True,
        check=True,
    )
    said, where = result.stdout.split()
    assert said == "OK"
    assert Path(where).is_relative_to(tmp_path / "prefix" / "lib")


@pytest.mark.parametrize("form", ["gztar", "zip"])
def test_an_sdist_is_unpacked_to_its_project(tmp_path, form):
    """An sdist has one top directory, NAME-VERSION/, which becomes the tree to build."""
    staging = tmp_path / "staging" / "pipe_pure-1.0"
    shutil.copytree(project.ROOT / "tests" / "wheels" / "pure", staging)
    sdist = Path(shutil.make_archive(str(tmp_path / "pipe_pure-1.0"), form, staging.parent, "pipe_pure-1.0"))
    tree = wheels.source_tree(str(sdist), tmp_path / "work" / "pure", tmp_path / "downloads")
    assert tree == tmp_path / "work" / "pure"
    assert (tree / "pipe_pure.py").exists() and (tree / "pyproject.toml").exists()
    assert wheels.build_requirements(tree) == ["setuptools", "wheel"]
