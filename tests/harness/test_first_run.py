"""First run on a stock machine: the README's first command, verbatim, in a fresh Debian minbase root.

The root is what a new user has: debootstrap's minbase with git, python3,
ca-certificates and sudo, plus what every machine on this network has (the
host's CA bundle and pip settings). It is made once and cached; each run gets
a fresh copy of it, so the command meets an untouched system: no pip, no
nox, no compiler, a PEP 668-managed python3. It runs once as root (no sudo
needed) and once as an ordinary user with sudo.

On Debian 13 and Debian 12 (PIPE_CPYTHON_FIRST_RUN_SUITES picks others). `nox -s e2e`, within CI's
budget, runs one user on each suite, alternating (an ordinary user with sudo on the first, root on the next),
so both suites and both kinds of user are covered; the other pairs are marked `full`: `nox -s e2e -- -m e2e`
runs all of them.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest

from pipe_cpython.core import cache as cache_mod
from pipe_cpython.host import debianroot

PROJECT = Path(__file__).resolve().parents[2]
USER = "tester"
SMOKE = "smoke test (native): 2 |> double |> increment |> double == 10"
SUITES = os.environ.get("PIPE_CPYTHON_FIRST_RUN_SUITES", "trixie,bookworm").split(",")
# What a machine on this network carries beyond a stock Debian: the TLS bundle and the package clients' settings.
HOST_FILES = (Path("/etc/ssl/certs/ca-certificates.crt"), Path("/etc/pip.conf"))
LOCAL_CA = Path("/usr/local/share/ca-certificates/pipe-cpython-host.crt")


def quick_start_commands(readme: str) -> list[str]:
    """The commands of the README's Quick start block, comments removed."""
    section = readme.split("\n## Quick start", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", section, re.S)[1]
    commands = [line.split("  #", 1)[0].strip() for line in block.splitlines()]
    return [command for command in commands if command and not command.startswith("#")]


def test_quick_start_is_two_commands():
    commands = quick_start_commands((PROJECT / "README.md").read_text())
    assert len(commands) == 2, commands
    assert commands[1].endswith("-t ci")


def base_root(suite: str) -> debianroot.DebianRoot:
    """The cached stock root: made once, checked before every use, remade when broken."""
    home = cache_mod.Cache(cache_mod.default_root()).roots / f"first-run-{suite}"
    spec = debianroot.RootSpec(suite, include=("git", "python3", "ca-certificates", "sudo"), host_files=HOST_FILES)
    root = debianroot.DebianRoot(home / "rootfs", spec)

    def describe(staging: debianroot.DebianRoot) -> dict:
        return {"python": staging.output(["python3", "--version"]).stdout.strip()}

    root.ensure([["python3", "--version"], ["git", "--version"], ["sudo", "--version"]], describe)
    return root


def as_root(command: list[str]) -> None:
    """Run a host command as root (through sudo for a user who runs the tests)."""
    subprocess.run([*debianroot.privilege_prefix("preparing a test root"), *command], check=True)


def fresh_machine(base: debianroot.DebianRoot, where: Path, user: str | None) -> tuple[debianroot.DebianRoot, Path]:
    """A copy of the stock root with a clean clone of this repository in the user's home."""
    machine = debianroot.DebianRoot(where / "rootfs", base.spec)
    as_root(["cp", "-a", "--reflink=auto", str(base.rootfs), str(machine.rootfs)])
    # ca-certificates rebuilds the bundle from this directory whenever it is reconfigured.
    as_root(["cp", str(HOST_FILES[0]), str(machine.rootfs / LOCAL_CA.relative_to("/"))])
    home = Path(f"/home/{user}") if user else Path("/root")
    clone = home / "pipe-cpython"
    subprocess.run(["git", "clone", "-q", str(PROJECT), str(where / "clone")], check=True)
    as_root(["cp", "-a", str(where / "clone"), str(machine.rootfs / "root" / clone.name)])
    if user:
        sudoers = f"{user} ALL=(ALL) NOPASSWD: ALL\n"
        for command in (
            ["useradd", "--create-home", "--shell", "/bin/sh", user],
            ["sh", "-c", f'echo "$0" > /etc/sudoers.d/{user}', sudoers],
            ["cp", "-a", f"/root/{clone.name}", str(clone)],
            ["chown", "-R", f"{user}:{user}", str(clone)],
        ):
            result = machine.output(command, user="root")
            assert result.returncode == 0, result.stderr
    return machine, clone


def first_runs() -> list:
    """Each (suite, user) pair; all but one user per suite are marked `full`."""
    users = [(USER, "user-with-sudo"), (None, "root")]
    return [
        pytest.param(suite, user, id=f"{suite}-{name}", marks=[] if index % 2 == turn else [pytest.mark.full])
        for index, suite in enumerate(SUITES)
        for turn, (user, name) in enumerate(users)
    ]


@pytest.mark.e2e
@pytest.mark.parametrize(("suite", "user"), first_runs())
def test_readme_first_command_on_a_fresh_debian(suite, user, tmp_path_factory):
    """The Quick start's first command, verbatim, ends with the fork's smoke test."""
    command = quick_start_commands((PROJECT / "README.md").read_text())[0]
    where = tmp_path_factory.mktemp(f"first-run-{suite}-{user or 'root'}")
    try:
        machine, clone = fresh_machine(base_root(suite), where, user)
        log_file = where / "first-run.log"
        with open(log_file, "w") as out:
            result = subprocess.run(
                machine.command(["sh", "-c", command], cwd=clone, user=user),
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=40 * 60,
            )
        output = log_file.read_text(errors="replace")
        assert result.returncode == 0, f"`{command}` failed in a fresh Debian {suite}:\n{output[-6000:]}"
        assert SMOKE in output, output[-6000:]
        # The newest series where its source can be reached; where it cannot (no GitHub here), one line says so.
        assert "configuring CPython 3.14." in output or "no source offers CPython 3.14 here; building 3.13" in output
        if user:
            assert "(through sudo)" in output, "the user's run should have installed packages through sudo"
    finally:
        as_root(["rm", "-rf", str(where)])


def test_ci_runs_the_quick_start_verbatim():
    """CI proves what the README says: .ci/run's commands are the Quick start's, in order."""
    commands = quick_start_commands((PROJECT / "README.md").read_text())
    script = [line.strip() for line in (PROJECT / ".ci" / "run").read_text().splitlines()]
    assert [line for line in script if line in commands] == commands
