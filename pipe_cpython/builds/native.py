"""The native build: out-of-tree, incremental, with the optional modules a REPL user expects."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from ..checkout.sources import WorkTree
from ..core import log
from ..core.errors import HarnessError
from ..core.stamps import Stamp
from ..host import deps
from ..host.process import run_logged
from . import buildtree

CONFIGURE_STAMP = ".pipe-cpython-configure.json"


def jobs() -> int:
    return os.cpu_count() or 2


def interpreter(build_dir: Path) -> Path:
    return build_dir / "python"


def configured_with(build_dir: Path, wanted: dict) -> bool:
    """True when `build_dir` was configured with exactly these inputs; otherwise forget any earlier result."""
    stamp = configure_stamp(build_dir)
    if (build_dir / "Makefile").exists() and stamp.matches(wanted):
        log.detail(f"{build_dir} is configured already")
        return True
    stamp.clear()
    return False


def configure_stamp(build_dir: Path) -> Stamp:
    """Written only after configure succeeded, so an interrupted configure is redone."""
    return Stamp(build_dir / CONFIGURE_STAMP)


def build_triple(tree: WorkTree) -> str:
    """The machine the build runs on, as configure's --build wants it (the tree's config.guess)."""
    return subprocess.run([str(tree.path / "config.guess")], capture_output=True, text=True, check=True).stdout.strip()


def seed_config_cache(build_dir: Path, wanted: dict, siblings: str) -> None:
    """Start from a sibling build's autoconf cache when its checks had the same inputs.

    A cross target's builds (node and browser, patched or pristine) run the
    same compiler checks: a warm cache turns a configure of minutes into
    seconds. `siblings` is the glob of the build directories that may share it.
    """
    cache_file = build_dir / "config.cache"
    cache_file.unlink(missing_ok=True)
    for sibling in sorted(build_dir.parent.glob(siblings)):
        recorded = configure_stamp(sibling).read()
        if sibling == build_dir or recorded is None or not (sibling / "config.cache").exists():
            continue
        if recorded.get("checks") == json.loads(json.dumps(wanted["checks"])):
            log.info(f"reusing the autoconf cache of {sibling.name}")
            shutil.copy(sibling / "config.cache", cache_file)
            return


def configure(tree: WorkTree, build_dir: Path, extra_args: list[str] = ()) -> None:
    """Run configure unless the build directory was configured the same way already."""
    build_dir.mkdir(parents=True, exist_ok=True)
    script = tree.path / "configure"
    # The real path: `python3` and `python3.11` (nox) name one interpreter and must not force a reconfigure.
    args = ["-C", f"PYTHON_FOR_REGEN={os.path.realpath(sys.executable)}", *extra_args]
    wanted = {"args": args, "configure": hashlib.sha256(script.read_bytes()).hexdigest()}
    if configured_with(build_dir, wanted):
        return
    # A cache written with other arguments (or by an interrupted run) can poison the result.
    (build_dir / "config.cache").unlink(missing_ok=True)
    with log.step(f"configuring CPython {tree.version} in {build_dir}"):
        run_logged([str(script), *args], build_dir, build_dir / "configure.log", "configure")
    configure_stamp(build_dir).write(wanted)


def module_states(build_dir: Path) -> dict[str, str]:
    """configure's verdict on each optional module: yes, missing, disabled, n/a."""
    text = (build_dir / "Makefile").read_text()
    return {m[1].lower(): m[2] for m in re.finditer(r"^MODULE_(\w+)_STATE=(\S+)", text, re.M)}


def check_modules(build_dir: Path) -> None:
    """Fail before compiling when a module a REPL user expects would be left out."""
    states = module_states(build_dir)
    missing = {module: package for module, package in deps.MODULE_PACKAGES.items() if states.get(module) == "missing"}
    if missing:
        packages = sorted(set(missing.values()))
        raise HarnessError(
            f"configure found no headers for {', '.join(sorted(missing))}",
            hint=f"install them (as root): apt-get install {' '.join(packages)}, or run "
            "`python -m pipe_cpython install-deps`; then re-run (configure is redone automatically)",
        )


def unconfigure(build_dir: Path) -> None:
    """Forget configure's result so the next build reruns it (after installing packages, say)."""
    configure_stamp(build_dir).clear()


def regen(build_dir: Path, targets: tuple[str, ...]) -> None:
    """Regenerate the parser, tokens and AST files from the patched sources (no-op when current)."""
    with log.step("regenerating tokens, AST and parser (make " + " ".join(targets) + ")"):
        run_logged(["make", *targets], build_dir, build_dir / "regen.log", "make regen")


def make(build_dir: Path, extra_args: list[str] = (), env: dict[str, str] | None = None) -> None:
    with log.step(f"compiling with make -j{jobs()}"), buildtree.guarded(build_dir):
        run_logged(["make", f"-j{jobs()}", *extra_args], build_dir, build_dir / "make.log", "make", env)
    if not interpreter(build_dir).exists():
        raise HarnessError(
            f"make finished but {interpreter(build_dir)} is missing", hint=f"see {build_dir / 'make.log'}"
        )


def build(
    tree: WorkTree,
    build_dir: Path,
    configure_args: list[str] = (),
    make_args: list[str] = (),
    allow_missing_modules: bool = False,
    env: dict[str, str] | None = None,
) -> Path:
    """Configure (once), check the optional modules, compile; return the interpreter.

    The tree must be prepared already (the build plan applies the series and regenerates).
    """
    configure(tree, build_dir, configure_args)
    if allow_missing_modules:
        states = module_states(build_dir)
        left_out = [m for m in deps.MODULE_PACKAGES if states.get(m) == "missing"]
        if left_out:
            log.warn(f"building without {', '.join(left_out)}")
    else:
        try:
            check_modules(build_dir)
        except HarnessError:
            unconfigure(build_dir)
            raise
    make(build_dir, make_args, env)
    return interpreter(build_dir)


def clean(build_dir: Path) -> None:
    if build_dir.exists():
        with log.step(f"removing {build_dir}"):
            shutil.rmtree(build_dir)


def regen_all_changes(tree: WorkTree, build_dir: Path, generated: tuple[str, ...]) -> list[str]:
    """Files that CPython's `make regen-all` changes after the harness's own regen (none when complete)."""
    before = _work_tree_state(tree.path, generated)
    with log.step("checking that make regen-all changes no generated file"):
        run_logged(["make", "regen-all"], build_dir, build_dir / "regen-all.log", "make regen-all")
    after = _work_tree_state(tree.path, generated)
    return sorted(path for path in before.keys() | after.keys() if before.get(path) != after.get(path))


def _work_tree_state(path: Path, generated: tuple[str, ...]) -> dict[str, str]:
    """Content hashes of every file git sees as modified or new in the work tree."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-m", "-o", "--exclude-standard", "-z"], cwd=path, capture_output=True, check=True
        )
        .stdout.decode()
        .split("\0")
    )
    # The regenerated files are hidden from `git ls-files -m` (see patches.hide_generated_changes).
    names = {*listed, *generated}
    return {name: hashlib.sha256((path / name).read_bytes()).hexdigest() for name in names if (path / name).is_file()}
