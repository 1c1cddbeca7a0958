import json
import os
import stat
import sys
import types
from pathlib import Path

import pytest

from pipe_cpython.builds import emscripten, native, targets, wasm
from pipe_cpython.core.errors import HarnessError
from pipe_cpython.host import debian, debianroot
from pipe_cpython.proofs import runner
from pipe_cpython.series import profiles

LIBRARIES = ("zlib", "bzip2", "sqlite3", "mpdecimal")


def test_every_library_a_series_links_has_a_pin_a_recipe_and_a_checksum():
    wanted = {name for p in profiles.PROFILES.values() if p.emscripten for name in p.emscripten.libraries}
    pins = wasm.load_pins(tuple(sorted(wanted)))
    assert {p.name for p in pins} == set(wasm.RECIPES) == set(wasm.LIBRARY_VARIABLES) == wanted
    for pin in pins:
        assert len(pin.sha256) == 64 and pin.tarball.startswith(f"{pin.package}_")


def test_a_library_without_a_pin_is_an_error_that_says_what_to_add():
    with pytest.raises(HarnessError, match="pins no openssl"):
        wasm.load_pins(("zlib", "openssl"))


def test_3_14_links_libffi_for_ctypes_and_older_series_do_not():
    assert "libffi" in profiles.profile("3.14").emscripten.libraries
    assert "libffi" not in profiles.profile("3.13").emscripten.libraries


def test_library_flags_point_at_the_prefix_not_at_ports(tmp_path):
    flags = wasm.library_flags(tmp_path, LIBRARIES)
    assert flags["ZLIB_LIBS"] == f"-L{tmp_path}/lib -lz"
    assert all("-sUSE_" not in value for value in flags.values())
    assert {"ZLIB", "BZIP2", "LIBSQLITE3", "LIBMPDEC"} == {k.rsplit("_", 1)[0] for k in flags}
    assert wasm.library_flags(tmp_path, ("libffi",)) == {
        "LIBFFI_CFLAGS": f"-I{tmp_path}/include", "LIBFFI_LIBS": f"-L{tmp_path}/lib -lffi"
    }  # fmt: skip


def test_the_dynamic_variant_links_zlib_once_through_libs(tmp_path):
    """A main module links each named library whole: zlib, named for zlib and for binascii, would clash with itself."""
    flags = wasm.library_flags(tmp_path, LIBRARIES, dynamic=True)
    assert flags["LIBS"] == f"-L{tmp_path}/lib -lz"
    assert flags["ZLIB_LIBS"].strip() == "" and flags["ZLIB_LIBS"]  # set, so configure takes zlib as found
    # In configure's argument order as before: a changed order would reconfigure every existing build.
    assert list(flags)[:3] == ["ZLIB_CFLAGS", "ZLIB_LIBS", "LIBS"]
    assert "LIBS" not in wasm.library_flags(tmp_path, LIBRARIES)


def test_each_emscripten_variant_has_a_build_directory_and_arguments_of_its_own():
    arguments = {
        variant: wasm.configure_arguments(profiles.profile("3.13").emscripten, "node", "x86_64-pc-linux-gnu",
                                          Path("/py"), Path("/prefix"), variant)
        for variant in wasm.Variant
    }  # fmt: skip
    assert "--enable-wasm-dynamic-linking" in arguments[wasm.Variant.DYNAMIC]
    assert "OPT=-g -Os -Wall" in arguments[wasm.Variant.SIZE]
    assert "OPT=-g -Oz -Wall" in arguments[wasm.Variant.SMALLEST]
    # The page's builds leave CPython's test modules out; the others keep them for the test suite.
    assert all("--disable-test-modules" in arguments[v] for v in (wasm.Variant.SIZE, wasm.Variant.SMALLEST))
    assert "--disable-test-modules" not in arguments[wasm.Variant.DEFAULT]
    assert not any("dynamic" in a or "OPT=" in a for a in arguments[wasm.Variant.DEFAULT])
    directories = {target.directory for target in targets.EMSCRIPTEN.values()}
    assert directories == {
        f"wasm-{platform}{suffix}" for platform in ("node", "browser") for suffix in ("", "-dynamic", "-os", "-oz")
    }
    assert targets.emscripten("node", wasm.Variant.DYNAMIC).label == "WebAssembly, node, dynamic linking"
    with pytest.raises(HarnessError, match="no wasi build"):
        targets.emscripten("wasi", wasm.Variant.SIZE)


def test_3_14_builds_once_for_node_and_browser_and_always_links_dynamically():
    """Its platform code needs a main module's JS helpers (CPython gh-156780), and one build serves both platforms."""
    series = profiles.profile("3.14").emscripten
    plan = types.SimpleNamespace(emscripten_profile=series)
    names = {(t.platform, t.variant): t.directory_name(plan) for t in targets.EMSCRIPTEN.values()}
    assert set(names.values()) == {"wasm", "wasm-os", "wasm-oz"}
    assert names["node", wasm.Variant.DYNAMIC] == names["browser", wasm.Variant.DEFAULT] == "wasm"
    for variant in wasm.Variant:
        arguments = wasm.configure_arguments(series, "node", "x86_64-pc-linux-gnu", Path("/py"), Path("/p"), variant)
        assert arguments.count("--enable-wasm-dynamic-linking") == 1, variant
        assert "LIBS=-L/p/lib -lz" in arguments and "LIBFFI_LIBS=-L/p/lib -lffi" in arguments
    older = types.SimpleNamespace(emscripten_profile=profiles.profile("3.13").emscripten)
    assert targets.EMSCRIPTEN["browser", wasm.Variant.DYNAMIC].directory_name(older) == "wasm-browser-dynamic"


def test_the_pages_builds_make_rarely_imported_c_modules_side_modules_where_they_link_dynamically():
    newest, older = profiles.profile("3.14").emscripten, profiles.profile("3.13").emscripten
    for variant in (wasm.Variant.SIZE, wasm.Variant.SMALLEST):
        assert {"_sqlite3", "_decimal", "pyexpat", "_codecs_jp"} <= set(wasm.side_modules(newest, variant))
        # 3.13's page builds are static: nothing could load a side module.
        assert wasm.side_modules(older, variant) == ()
    assert wasm.side_modules(newest, wasm.Variant.DEFAULT) == wasm.side_modules(older, wasm.Variant.DYNAMIC) == ()


def test_setup_local_takes_configures_rules_for_the_side_modules_and_leaves_out_what_configure_left_out():
    setup_stdlib = (
        "# comment\n*static*\narray arraymodule.c\n_decimal _decimal/_decimal.c\n"
        "#_sqlite3 _sqlite/blob.c _sqlite/module.c\n_codecs_jp cjkcodecs/_codecs_jp.c\n"
        "\n*shared*\nxxlimited xxlimited.c\n"
    )
    text = wasm.setup_local(setup_stdlib, ("_sqlite3", "_decimal", "_codecs_jp"))
    assert text.splitlines()[1:] == ["*shared*", "_decimal _decimal/_decimal.c", "_codecs_jp cjkcodecs/_codecs_jp.c"]
    assert wasm.setup_local(setup_stdlib, ()) == wasm.DEFAULT_SETUP_LOCAL


def test_setup_local_is_written_only_when_it_changes(tmp_path):
    """make regenerates its Makefile and relinks when Setup.local is newer than it."""
    (tmp_path / "Modules").mkdir()
    (tmp_path / "Modules" / "Setup.stdlib").write_text("_decimal _decimal/_decimal.c\n")
    wasm.write_setup_local(tmp_path, ("_decimal",))
    path = tmp_path / wasm.SETUP_LOCAL
    os.utime(path, (0, 0))
    wasm.write_setup_local(tmp_path, ("_decimal",))
    assert path.stat().st_mtime == 0
    wasm.write_setup_local(tmp_path, ())
    assert path.read_text() == wasm.DEFAULT_SETUP_LOCAL


def test_parse_emcc_version():
    text = "emcc (Emscripten gcc/clang-like replacement + linker emulating GNU ld) 3.1.69 (6f625bd62ee64f4f8cd1)"
    assert emscripten.parse_emcc_version(text) == (3, 1, 69)
    assert emscripten.parse_emcc_version("gcc 12") is None


def fake_emcc(directory, version):
    emcc = directory / "emcc"
    emcc.write_text(f"#!/bin/sh\necho 'emcc (Emscripten gcc/clang-like replacement) {version} (abc)'\n")
    emcc.chmod(emcc.stat().st_mode | stat.S_IEXEC)


def test_active_emsdk_of_a_good_version_is_chosen(tmp_path, monkeypatch):
    fake_emcc(tmp_path, "3.1.58")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    toolchain = emscripten.find("3.13", profiles.profile("3.13").emscripten, tmp_path / "toolchains", [])
    assert toolchain.kind == "emsdk" and toolchain.version == (3, 1, 58)
    assert toolchain.command(["emcc", "-v"], tmp_path)[-2:] == ["emcc", "-v"]


def test_too_old_emsdk_without_root_says_what_is_missing(tmp_path, monkeypatch):
    fake_emcc(tmp_path, "3.1.6")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setattr(emscripten.os, "geteuid", lambda: 1000)
    with pytest.raises(HarnessError, match="needs root") as info:
        emscripten.find("3.13", profiles.profile("3.13").emscripten, tmp_path / "toolchains", [])
    assert "emsdk" in info.value.hint


def test_chroot_command_mounts_privately_and_keeps_paths(tmp_path):
    command = debianroot.chroot_command(tmp_path / "rootfs", [tmp_path / "cache"], ["emcc", "-v"], tmp_path, {"A": "1"})
    assert command[:4] == ["unshare", "--mount", "--propagation", "private"]
    script = command[6]
    assert f'mount --bind "{tmp_path}/cache" "{tmp_path}/rootfs{tmp_path}/cache"' in script
    assert "env -i" in script
    assert command[8:10] == ["A=1", "sh"], "assignments are arguments, never shell text"
    assert command[-3:] == [str(tmp_path), "emcc", "-v"]


JUNIT = """<?xml version="1.0" encoding="utf-8"?>
<testsuites><testsuite name="test_x">
<testcase classname="test.test_x.A" name="test_ok" />
<testcase classname="test.test_x.A" name="test_bad"><failure message="x">boom</failure></testcase>
<testcase classname="test.test_x.B" name="test_err"><error message="y">boom</error></testcase>
<testcase classname="test.test_x.B" name="test_skip"><skipped>why</skipped></testcase>
</testsuite></testsuites>
"""


def test_junit_outcome(tmp_path):
    report = tmp_path / "test_x.xml"
    report.write_text(JUNIT)
    outcome = runner._outcome("test_x", report)
    assert outcome.failed == {"test_x.A.test_bad", "test_x.B.test_err"}
    assert outcome.tests == 4 and not outcome.crashed
    assert runner._outcome("test_y", tmp_path / "missing.xml").crashed


def test_allowlist_comparison_reports_new_failures_and_stale_entries(tmp_path):
    allowlist = tmp_path / "3.13.txt"
    allowlist.write_text(
        "# reviewed\ntest_x: test_x.A.test_bad  # no signals under node\ntest_y: CRASH  # recursion\n"
        "test_x: test_x.C.test_fixed\n"
    )
    allowed = runner.read_allowlist(allowlist)
    outcomes = [
        runner.ModuleOutcome("test_x", {"test_x.A.test_bad", "test_x.B.test_err"}, False, 4),
        runner.ModuleOutcome("test_y", set(), True, 0),
    ]
    assert runner.compare_with_allowlist(outcomes, allowed) == [
        "test_x: test_x.B.test_err failed and is not on the allow-list",
        "test_x: test_x.C.test_fixed is on the allow-list but passed",
    ]


class FakeApt(debian.AptSources):
    def __init__(self, tmp_path, served):
        super().__init__(tmp_path / "apt", mirror=debian.Mirror("http://m.example/debian", None))
        self.state_dir.mkdir(parents=True)
        self.served = served
        self.tried = []

    def download_orig(self, package, dest_dir):
        self.tried.append(package.debian_version)
        if package.debian_version not in self.served:
            self._remember_unserved(package)
            raise HarnessError(f"Debian lists {package.name} {package.debian_version} but does not serve it (404)")
        dest_dir.mkdir(parents=True, exist_ok=True)
        (dest_dir / package.orig_tarball).write_text("tarball")
        return dest_dir / package.orig_tarball


def test_download_newest_falls_back_and_remembers_unserved(tmp_path):
    apt = FakeApt(tmp_path, served={"1.0-1"})
    candidates = [debian.SourcePackage("p", v, f"p_{v[:3]}.orig.tar.gz", "0" * 64) for v in ("1.1-1", "1.0-1")]
    chosen, path = apt.download_newest(candidates, tmp_path / "dl")
    assert chosen.debian_version == "1.0-1" and path.exists()
    assert apt.unserved() == {"p=1.1-1"}
    path.unlink()
    apt.download_newest(candidates, tmp_path / "dl")
    assert apt.tried == ["1.1-1", "1.0-1", "1.0-1"], "an unserved revision is not asked for again"


def test_download_newest_when_nothing_is_served(tmp_path):
    apt = FakeApt(tmp_path, served=set())
    candidates = [debian.SourcePackage("p", "1.1-1", "p_1.1.orig.tar.gz", "0" * 64)]
    with pytest.raises(HarnessError, match="serves none of the candidate source packages"):
        apt.download_newest(candidates, tmp_path / "dl")


def test_configure_cache_is_seeded_only_from_a_matching_sibling(tmp_path):
    node, browser = tmp_path / "wasm-node", tmp_path / "wasm-browser"
    node.mkdir()
    browser.mkdir()
    (node / "config.cache").write_text("ac_cv_x=yes\n")
    checks = {"toolchain": [3, 1, 69], "configure": "h", "config.site": "s", "LDFLAGS": "-sSTACK_SIZE=5MB"}
    stamp = {"args": ["--with-emscripten-target=node"], "env": {"CONFIG_SITE": "/a/site"}, "checks": checks}
    (node / ".pipe-cpython-configure.json").write_text(json.dumps(stamp))
    other_tree = {"args": ["--with-emscripten-target=browser"], "env": {"CONFIG_SITE": "/b/site"}, "checks": checks}
    native.seed_config_cache(browser, other_tree, "wasm-*")
    assert (browser / "config.cache").read_text() == "ac_cv_x=yes\n"
    native.seed_config_cache(browser, {**stamp, "checks": {**checks, "toolchain": [3, 1, 70]}}, "wasm-*")
    assert not (browser / "config.cache").exists()


@pytest.mark.parametrize(
    ("args", "tests", "options"),
    [
        (["-u", "all"], [], ["-u", "all"]),
        (["test_grammar", "-v", "test.test_ast"], ["test_grammar", "test.test_ast"], ["-v"]),
        (["-m", "test_foo", "test_syntax"], ["test_syntax"], ["-m", "test_foo"]),
        (["--timeout=60", "-u", "cpu,network"], [], ["--timeout=60", "-u", "cpu,network"]),
    ],
)
def test_regrtest_arguments_keep_options_with_their_values(args, tests, options):
    assert runner.split_regrtest_args(args) == (tests, options)


# Stands in for the interpreter and regrtest's driver: a module named slow_* takes longer, so the runs finish in
# another order than they started; each writes its report and says which working directory it was given.
FAKE_DRIVER = """
import sys, time
args = sys.argv[1:]
module = args[-1]
time.sleep(0.3 if module.startswith("slow") else 0.0)
report = args[args.index("--junit-xml") + 1]
work = args[args.index("--tempdir") + 1]
open(report, "w").write(
    f'<testsuite><testcase classname="test.{module}.T" name="test_a"/>'
    f'<testcase classname="test.{module}.T" name="test_b"><failure/></testcase></testsuite>'
)
print(work)
"""


def test_grammar_tests_run_side_by_side_and_report_in_the_order_asked(tmp_path):
    driver = tmp_path / "driver.py"
    driver.write_text(FAKE_DRIVER)
    modules = ["slow_one", "fast_two", "slow_three", "fast_four"]
    outcomes = runner.regrtest_isolated([sys.executable], driver, modules, tmp_path / "reports", jobs=2)
    assert [outcome.module for outcome in outcomes] == modules
    assert all(outcome.tests == 2 and not outcome.crashed for outcome in outcomes)
    assert outcomes[0].failed == {"slow_one.T.test_b"}
    # Each module had a working directory of its own (WebAssembly runtimes may give every process one pid),
    # removed once it finished.
    given = {(tmp_path / "reports" / f"{module}.log").read_text().strip() for module in modules}
    assert len(given) == len(modules)
    assert not any(Path(work).exists() for work in given)
