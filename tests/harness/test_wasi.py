import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from pipe_cpython.builds import targets, wasi
from pipe_cpython.core.errors import HarnessError
from pipe_cpython.series import profiles

PROJECT = Path(__file__).resolve().parents[2]


def fake_wasi_sdk(root, version="19.1.5"):
    bin_dir = root / "bin"
    bin_dir.mkdir(parents=True)
    clang = bin_dir / "clang"
    clang.write_text(f"#!/bin/sh\necho 'clang version {version}'\n")
    clang.chmod(clang.stat().st_mode | stat.S_IEXEC)
    return root


def test_parse_clang_version():
    assert wasi.parse_clang_version("Debian clang version 19.1.7 (3+b1)\nTarget: x") == (19, 1, 7)
    assert wasi.parse_clang_version("clang version 18.1.2-wasi-sdk (https://...)") == (18, 1, 2)
    assert wasi.parse_clang_version("gcc 12") is None


def test_the_users_wasi_sdk_comes_first_and_gets_its_sysroot(tmp_path, monkeypatch):
    sdk = fake_wasi_sdk(tmp_path / "sdk")
    monkeypatch.setenv("WASI_SDK_PATH", str(sdk))
    toolchain = wasi.find_toolchain(tmp_path / "toolchains", [], tmp_path / "probe")
    assert (toolchain.kind, toolchain.version, toolchain.host) == ("wasi-sdk", (19, 1, 5), "wasm32-wasip1")
    assert toolchain.env["CC"] == f"{sdk}/bin/clang --sysroot={sdk}/share/wasi-sysroot"
    assert toolchain.env["PKG_CONFIG_LIBDIR"] == "/nonexistent", "never the host's libraries"
    assert toolchain.root is None and not (tmp_path / "toolchains").exists()


def test_a_wasi_sdk_path_without_clang_is_an_error_not_a_fallback(tmp_path, monkeypatch):
    monkeypatch.setenv("WASI_SDK_PATH", str(tmp_path / "nowhere"))
    with pytest.raises(HarnessError, match="has no bin/clang"):
        wasi.find_toolchain(tmp_path / "toolchains", [], tmp_path / "probe")


def test_debian_clang_is_driven_with_the_triple_its_builtins_are_installed_under():
    env = wasi._debian_env("19")
    assert env["CC"] == "clang-19 --target=wasm32-wasi" and env["AR"] == "llvm-ar-19"


def test_configure_arguments_cross_compile_with_the_build_python(tmp_path):
    toolchain = wasi.WasiToolchain("clang", "wasi-sdk", (19, 1, 5))
    args = wasi.configure_arguments(toolchain, "x86_64-pc-linux-gnu", tmp_path / "python", profiles.WasiProfile())
    build_python = f"--with-build-python={tmp_path}/python"
    assert args == ["-C", "--host=wasm32-wasip1", "--build=x86_64-pc-linux-gnu", build_python]


def test_the_wasmtime_cli_on_path_is_preferred(tmp_path, monkeypatch):
    cli = tmp_path / "wasmtime"
    cli.write_text("#!/bin/sh\n")
    cli.chmod(0o755)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    runtime = wasi.find_runtime(tmp_path / "tools")
    assert isinstance(runtime, wasi.WasmtimeCli)
    command = runtime.command(tmp_path / "python.wasm", 8 << 20)
    assert command == [str(cli), "run", "--wasm", "max-wasm-stack=8388608", "--dir", "/::/", f"{tmp_path}/python.wasm"]


def test_without_the_cli_the_pypi_package_runs_in_a_venv_of_its_own(tmp_path, monkeypatch):
    monkeypatch.setattr(wasi.shutil, "which", lambda name: None)
    runtime = wasi.find_runtime(tmp_path / "tools")
    assert isinstance(runtime, wasi.WasmtimePackage)
    assert runtime.venv.parent == tmp_path / "tools"
    command = runtime.command(tmp_path / "python.wasm", 1 << 20)
    assert command[:2] == [str(runtime.venv / "bin" / "python"), str(wasi.RUNNER)]
    assert command[-3:] == ["--dir", "/::/", f"{tmp_path}/python.wasm"]


def test_the_wasi_layout_of_a_tree_is_found_like_emscriptens(tmp_path):
    (tmp_path / "Tools/wasm/wasi").mkdir(parents=True)
    (tmp_path / "Tools/wasm/wasi" / profiles.WASI_CONFIG_SITE).write_text("")
    profile = profiles.for_tree("3.13", tmp_path)
    assert profile.wasi.config_site(tmp_path) == tmp_path / "Tools/wasm/wasi/config.site-wasm32-wasi"


def test_each_webassembly_platform_has_its_own_allowlist():
    profile = profiles.profile("3.13")
    assert profile.regrtest_allowlist().name == "3.13.txt"
    assert profile.regrtest_allowlist("wasi").name == "3.13-wasi.txt"
    for series in (p for p in profiles.PROFILES.values() if p.wasi):
        assert series.regrtest_allowlist("wasi").exists(), f"reviewed for {series.series}, which has a WASI build"


def test_wasi_is_a_target_of_the_registry():
    assert targets.TARGETS["wasi"] is targets.WASI and targets.WASI.directory == "wasi"


def run_wasi(*args: str, **kwargs) -> subprocess.CompletedProcess:
    """`run-wasi` on the shared cache (the ci sessions build WASI before e2e runs; else this builds it)."""
    command = [sys.executable, "-m", "pipe_cpython", "run-wasi", "-q", "--cpython", "3.13", "--", *args]
    return subprocess.run(command, cwd=PROJECT, capture_output=True, text=True, timeout=1800, **kwargs)


@pytest.mark.e2e
def test_the_wasi_interpreter_keeps_exit_status_streams_and_host_paths(tmp_path):
    script = tmp_path / "piped.py"
    script.write_text("import sys\nprint(input() |> str.upper)\nprint('to stderr', file=sys.stderr)\nsys.exit(3)\n")
    result = run_wasi(str(script), input="from stdin\n")
    assert (result.returncode, result.stdout, result.stderr) == (3, "FROM STDIN\n", "to stderr\n")
    failing = run_wasi("-c", "1 |> undefined_name")
    assert failing.returncode == 1 and "NameError: name 'undefined_name' is not defined" in failing.stderr
    assert run_wasi("-c", "import sys; print(sys.platform)").stdout == "wasi\n"


def fake_debian_clang(directory, links: bool):
    """clang-19 that says its version and, when `links`, writes the -o file as a linking compiler would."""
    directory.mkdir(exist_ok=True)
    clang = directory / "clang-19"
    link = 'while [ "$#" -gt 0 ]; do [ "$1" = -o ] && : > "$2"; shift; done; exit 0' if links else "exit 1"
    clang.write_text(f'#!/bin/sh\n[ "$1" = --version ] && {{ echo "Debian clang version 19.1.7"; exit 0; }}\n{link}\n')
    (directory / "llvm-ar-19").write_text("#!/bin/sh\n")
    for tool in (clang, directory / "llvm-ar-19"):
        tool.chmod(0o755)


@pytest.mark.parametrize("links", [True, False])
def test_debian_clang_on_the_host_is_used_only_when_it_links_for_wasi(tmp_path, monkeypatch, links):
    fake_debian_clang(tmp_path / "bin", links)
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}/usr/bin:/bin")
    toolchain = wasi._host_clang(tmp_path / "probe")
    if links:
        assert (toolchain.kind, toolchain.version, toolchain.host) == ("debian-host", (19, 1, 7), "wasm32-wasi")
        assert toolchain.root is None
    else:
        assert toolchain is None
