"""The build plan over profiles and targets, on fake trees: nothing here compiles CPython."""

from __future__ import annotations

import fcntl
import stat
from pathlib import Path

import pytest
from conftest import git

from pipe_cpython.__main__ import main, parser
from pipe_cpython.builds import wasm
from pipe_cpython.builds.targets import EMSCRIPTEN_NODE, LIBFUZZER, NATIVE, SANITIZED, WASI, Target
from pipe_cpython.checkout.patches import Flavour
from pipe_cpython.core.errors import HarnessError
from pipe_cpython.plan import options
from pipe_cpython.plan import plan as plan_mod
from pipe_cpython.plan.plan import planned
from pipe_cpython.series import profiles
from pipe_cpython.series.profiles import EmscriptenProfile, ModuleKind, SeriesProfile, StdlibDelivery
from pipe_cpython.web import demo

# configure writes a Makefile whose regen targets record that they ran.
FAKE_CONFIGURE = """#!/bin/sh
printf 'regen-token regen-ast regen-pegen:\\n\\techo $@ >> regen-runs\\n' > Makefile
"""

# What upstream's 3.14 looks like to the harness (../shared/notes/world-facts.md): its Emscripten
# data in Tools/wasm/emscripten/, one pinned Emscripten, python.mjs, no --with-emscripten-target.
PROFILE_3_14 = SeriesProfile(
    series="3.14",
    generated_files=("Parser/parser.c",),
    regen_targets=("regen-token", "regen-ast", "regen-pegen"),
    grammar_tests=("test_grammar",),
    emscripten=EmscriptenProfile(
        minimum=(4, 0, 0),
        target_option=False,
        entry_point="python.mjs",
        module_kind=ModuleKind.ES_MODULE,
        stdlib=StdlibDelivery.ZIP,
    ),
)


def fake_release(tmp_path: Path, version: str) -> tuple[Path, Path]:
    """A tagged upstream repository of `version` shaped like 3.14, and a patch series for it."""
    upstream = tmp_path / "upstream"
    (upstream / "Include").mkdir(parents=True)
    (upstream / "Include" / "patchlevel.h").write_text(f'#define PY_VERSION "{version}"\n')
    configure = upstream / "configure"
    configure.write_text(FAKE_CONFIGURE)
    configure.chmod(configure.stat().st_mode | stat.S_IEXEC)
    emscripten_dir = upstream / "Tools" / "wasm" / "emscripten"
    emscripten_dir.mkdir(parents=True)
    (emscripten_dir / "config.toml").write_text('emscripten-version = "4.0.12"\n\n[mpdec]\nversion = "4.0.1"\n')
    (emscripten_dir / "config.site-wasm32-emscripten").write_text("ac_cv_func_dlopen=yes\n")
    (upstream / "Grammar").mkdir()
    (upstream / "Grammar" / "python.gram").write_text("bitwise_or: atom\n")
    git("init", "-q", "-b", "main", cwd=upstream)
    git("add", "-A", cwd=upstream)
    git("commit", "-q", "-m", f"Python {version}", cwd=upstream)
    git("tag", f"v{version}", cwd=upstream)
    (upstream / "Grammar" / "python.gram").write_text("pipe: pipe '|>' bitwise_or | bitwise_or\n")
    git("commit", "-q", "-am", "Parse pipes", cwd=upstream)
    series = tmp_path / "patches" / version.rsplit(".", 1)[0]
    git("format-patch", "-q", "--zero-commit", "-o", str(series), "HEAD~1", cwd=upstream)
    git("reset", "-q", "--hard", "HEAD~1", cwd=upstream)
    return upstream, series


def options_for(tmp_path: Path, upstream: Path, *extra: str) -> options.Options:
    args = parser().parse_args(
        ["build", "--cpython", "3.14", "--source", f"file://{upstream}", "--cache", str(tmp_path / "cache"),
         "--patches", str(tmp_path / "patches"), *extra]
    )  # fmt: skip
    return options.from_args(args)


@pytest.fixture
def release_3_14(tmp_path, monkeypatch) -> Path:
    """The fake 3.14 release, with its profile added the way a port adds it: one entry in PROFILES."""
    monkeypatch.setitem(profiles.PROFILES, "3.14", PROFILE_3_14)
    upstream, _ = fake_release(tmp_path, "3.14.0")
    return upstream


class Recording(Target):
    """A target that records its builds, asks the plan for the ones it needs, and 'runs' with sh."""

    package_groups = ()

    def __init__(self, name: str, log: list[str], needs: Target | None = None, runs: bool = False) -> None:
        self.name = self.directory = self.label = name
        self.log, self.needs, self.runs = log, needs, runs

    def build(self, plan, flavour, directory):
        if self.needs:
            plan.build(self.needs, flavour)
        plan.prepared(flavour)
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "out").write_text(flavour.value)
        self.log.append(f"{self.name} {flavour.value}")

    def output(self, plan, directory):
        return directory / "out"

    def command(self, plan, directory):
        return ["sh", "-c", "echo 10"] if self.runs else None


def test_a_3_14_shaped_tree_is_planned_from_its_own_data(tmp_path, release_3_14):
    with planned(options_for(tmp_path, release_3_14)) as plan:
        tree = plan.source
        series = plan.profile.emscripten
        assert str(tree.version) == "3.14.0"
        assert series.config_dir == "Tools/wasm/emscripten", "config.site is found where the tree keeps it"
        assert series.config_site(tree.path).exists()
        assert series.pinned == (4, 0, 12), "the tree's config.toml pins the Emscripten version"
        assert "pins" in series.refusal((4, 0, 1)) and series.refusal((4, 0, 12)) is None
        arguments = wasm.configure_arguments(series, "node", "x86_64-pc-linux-gnu", Path("/py"), Path("/p"))
        assert not [a for a in arguments if a.startswith("--with-emscripten-target")]
        assert EMSCRIPTEN_NODE.output(plan, plan.directory(EMSCRIPTEN_NODE, Flavour.PATCHED)).name == "python.mjs"
        # The page loads the module and writes its own stdlib zip: there is no python.data.
        assert demo.interpreter_files(series) == ("python.mjs", "python.wasm")
        build = plan.directory(EMSCRIPTEN_NODE, Flavour.PATCHED)
        # node starts the module through the tree's entry, which it is told the module's path by.
        assert series.node_files == ("node_entry.mjs", "streams.mjs")
        assert series.node_argv(build) == [f"{build}/node_entry.mjs", f"--this-program={build}/python.mjs"]


def test_a_series_without_a_wasi_build_is_refused_before_anything_is_built(tmp_path, release_3_14):
    with planned(options_for(tmp_path, release_3_14)) as plan, pytest.raises(HarnessError, match="no WASI build"):
        plan.build(WASI)
    assert not plan.directory(NATIVE, Flavour.PATCHED).exists()


def test_the_sanitized_build_has_its_own_directory_and_stops_at_the_first_report(tmp_path, release_3_14):
    with planned(options_for(tmp_path, release_3_14)) as plan:
        directory = plan.directory(SANITIZED, Flavour.PATCHED)
        command = SANITIZED.command(plan, directory)
    assert directory.name == "native-sanitized" and directory.parent == plan.directory(NATIVE, Flavour.PATCHED).parent
    assert command[-1] == str(directory / "python")
    assert "halt_on_error=1" in " ".join(command) and "detect_leaks=0" in " ".join(command)
    assert "-fsanitize=address,undefined" in " ".join(SANITIZED.engine.configure_args())


def test_the_fuzz_target_is_linked_in_the_sanitized_build(tmp_path, release_3_14):
    with planned(options_for(tmp_path, release_3_14)) as plan:
        assert plan.directory(LIBFUZZER, Flavour.PATCHED) == plan.directory(SANITIZED, Flavour.PATCHED)
        assert LIBFUZZER.name != SANITIZED.name


def test_the_prepared_tree_is_applied_and_regenerated_once(tmp_path, release_3_14):
    log: list[str] = []
    first, second = Recording("first", log), Recording("second", log)
    with planned(options_for(tmp_path, release_3_14)) as plan:
        tree = plan.prepared(Flavour.PATCHED)
        assert "'|>'" in (tree.path / "Grammar" / "python.gram").read_text()
        plan.build(first)
        plan.build(second)
        regen_runs = plan.directory(NATIVE, Flavour.PATCHED) / "regen-runs"
        assert regen_runs.read_text().split() == ["regen-token", "regen-ast", "regen-pegen"]
        pristine = plan.prepared(Flavour.PRISTINE)
        assert pristine.path == plan.cache.pristine_tree(tree.version)
        assert "'|>'" not in (pristine.path / "Grammar" / "python.gram").read_text()


def test_each_build_is_made_once_and_what_it_needs_first(tmp_path, release_3_14):
    log: list[str] = []
    base = Recording("base", log)
    top = Recording("top", log, needs=base, runs=True)
    with planned(options_for(tmp_path, release_3_14)) as plan:
        build = plan.build(top)
        assert plan.build(top) is build
        plan.build(base)
        plan.build(top, Flavour.PRISTINE)
    assert log == ["base patched", "top patched", "base pristine", "top pristine"]
    assert build.command == ["sh", "-c", "echo 10"] and build.directory.name == "top"
    assert build.directory.with_name("top-pristine").is_dir()


def test_a_targets_packages_are_installed_before_the_source_is_fetched(tmp_path, release_3_14, monkeypatch):
    """Unpacking a release tarball needs xz: on a fresh Debian the packages must come first."""
    log: list[str] = []
    target = Recording("top", log)
    target.package_groups = ("native",)
    monkeypatch.setattr(plan_mod.deps, "ensure_groups", lambda groups: log.append(f"install {','.join(groups)}"))
    fetch = plan_mod.sources.work_tree
    monkeypatch.setattr(plan_mod.sources, "work_tree", lambda *args: log.append("fetch") or fetch(*args))
    with planned(options_for(tmp_path, release_3_14)) as plan:
        plan.build(target)
    assert log == ["install native", "fetch", "top patched"]


def test_clean_removes_the_requested_build_only(tmp_path, release_3_14):
    log: list[str] = []
    base = Recording("base", log)
    top = Recording("top", log, needs=base)
    chosen = options_for(tmp_path, release_3_14, "--clean")
    with planned(chosen) as plan:
        plan.build(top)
        (plan.directory(top, Flavour.PATCHED) / "stale").write_text("")
        (plan.directory(base, Flavour.PATCHED) / "kept").write_text("")
    with planned(chosen) as plan:
        plan.requested(top)
        assert not (plan.directory(top, Flavour.PATCHED) / "stale").exists()
        assert (plan.directory(base, Flavour.PATCHED) / "kept").exists()


def test_the_plan_holds_the_cache_lock_until_it_closes(tmp_path, release_3_14):
    chosen = options_for(tmp_path, release_3_14)
    with planned(chosen), open(chosen.cache.root / ".lock") as other, pytest.raises(BlockingIOError):
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)
    with open(chosen.cache.root / ".lock") as other:
        fcntl.flock(other, fcntl.LOCK_EX | fcntl.LOCK_NB)


def test_a_series_without_a_profile_says_what_to_add_before_any_work(tmp_path, capsys):
    upstream, _ = fake_release(tmp_path, "3.15.0")
    cache = tmp_path / "cache"
    argv = ["build", "--cpython", "3.15", "--source", f"file://{upstream}", "--cache", str(cache)]
    assert main([*argv, "--patches", str(tmp_path / "patches")]) == 2
    err = capsys.readouterr().err
    assert "no profile of CPython 3.15 (have: 3.11, 3.13, 3.14)" in err
    assert "PROFILES" in err and "profiles.py" in err
    assert not cache.exists()


def test_every_profile_names_what_the_build_needs():
    for series, profile in profiles.PROFILES.items():
        assert profile.series == series
        assert "Parser/parser.c" in profile.generated_files and profile.regen_targets
        assert "test_grammar" in profile.grammar_tests
    assert "test_future" in profiles.profile("3.11").grammar_tests
    assert "Include/token.h" in profiles.profile("3.11").generated_files
    assert "Include/internal/pycore_token.h" in profiles.profile("3.13").generated_files


def test_porting_to_a_series_without_a_profile_asks_for_the_profile_first(tmp_path, capsys):
    cache = tmp_path / "cache"
    assert main(["rebase", "--cpython", "3.15", "--from", "3.14", "--cache", str(cache)]) == 2
    assert "no profile of CPython 3.15" in capsys.readouterr().err
    assert not cache.exists()
