"""Debian root file systems made by debootstrap: the Emscripten toolchain's, and the first-run test's.

A root is made once (as root), through a ``.partial`` directory renamed when
complete, checked for health before each use and remade when broken. Commands
run in it through ``unshare --mount``, so its bind mounts disappear with the
command, even if it is killed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from ..core import log, project
from ..core.errors import HarnessError
from ..core.stamps import Stamp
from . import debian, deps
from .process import run_logged

DEBOOTSTRAP_SCRIPTS = Path("/usr/share/debootstrap/scripts")
CHROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The unstable suite's index can carry an expired Valid-Until on some mirrors.
APT_OPTIONS = 'Acquire::Check-Valid-Until "false";\n'


def chroot_command(
    rootfs: Path, binds: list[Path], argv: list[str], cwd: Path, env: dict[str, str], user: str | None = None
) -> list[str]:
    """A command line that enters `rootfs` with /proc, /dev and `binds` mounted in a private namespace.

    It runs as the caller (a user with sudo enters through sudo and becomes themselves again inside), or as
    `user`: "root", or an account of the root's own.
    """
    script = [
        "set -e",
        # The root as a mount point of its own, like a machine's /: tools inside (unshare) expect one.
        f'mount --bind "{rootfs}" "{rootfs}"',
        f'mount -t proc proc "{rootfs}/proc"',
        f'mount --rbind /sys "{rootfs}/sys"',
        f'mount --rbind /dev "{rootfs}/dev"',
    ]
    for path in binds:
        script += [f'mkdir -p "{rootfs}{path}"', f'mount --bind "{path}" "{rootfs}{path}"']
    prefix, home, as_user = [], "/root", ""
    if os.geteuid() != 0:
        prefix = privilege_prefix("entering a Debian root")
    if user and user != "root":
        home, as_user = f"/home/{user}", f"/usr/sbin/runuser -u {user} -- "
    elif user is None and os.geteuid() != 0:
        # A user with sudo: enter as root, then become that user again, so that what the command writes is theirs.
        home = "/tmp"
        as_user = f"/usr/bin/setpriv --reuid={os.getuid()} --regid={os.getgid()} --clear-groups -- "
    # Everything after the script goes to env as arguments: no value is ever parsed by a shell.
    script.append(f'exec chroot "{rootfs}" {as_user}/usr/bin/env -i HOME={home} PATH={CHROOT_PATH} LANG=C.UTF-8 "$@"')
    assignments = [f"{key}={value}" for key, value in env.items()]
    enter_cwd = ["sh", "-c", 'cd "$0" && exec "$@"', str(cwd)]
    return [
        *prefix,
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "sh",
        "-c",
        "\n".join(script),
        "sh",
        *assignments,
        *enter_cwd,
        *argv,
    ]


@dataclass(frozen=True)
class RootSpec:
    """What a root holds: a `suite`, debootstrap's `include`s, then `packages` installed by apt inside it."""

    suite: str
    packages: tuple[str, ...] = ()
    include: tuple[str, ...] = ()
    # Host files copied to the same path before apt runs (the CA bundle, package-client settings).
    host_files: tuple[Path, ...] = ()

    def to_json(self) -> dict:
        return {
            "suite": self.suite,
            "packages": list(self.packages),
            "include": list(self.include),
            "host_files": [str(p) for p in self.host_files],
        }

    @classmethod
    def from_json(cls, data: dict) -> RootSpec:
        return cls(data["suite"], tuple(data["packages"]), tuple(data["include"]), tuple(map(Path, data["host_files"])))


@dataclass(frozen=True)
class DebianRoot:
    rootfs: Path
    spec: RootSpec

    def command(
        self, argv: list[str], cwd: Path = Path("/"), env: dict[str, str] | None = None, user: str | None = None,
        binds: list[Path] = (),
    ) -> list[str]:  # fmt: skip
        return chroot_command(self.rootfs, list(binds), argv, cwd, env or {}, user)

    def run(self, argv: list[str], log_file: Path, what: str, **kwargs) -> None:
        run_logged(self.command(argv, **kwargs), Path("/"), log_file, what)

    def output(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
        return subprocess.run(self.command(argv, **kwargs), capture_output=True, text=True)

    @property
    def record_stamp(self) -> Stamp:
        # Beside the root, not in it: the root belongs to root, the record to whoever uses it.
        return Stamp(self.rootfs.with_name(self.rootfs.name + ".json"))

    def record(self) -> dict | None:
        """What was recorded when the root was completed, or None when there is no complete root."""
        return self.record_stamp.read()

    def runs(self, probes: list[list[str]]) -> bool:
        return all(self.output(probe).returncode == 0 for probe in probes)

    def ensure(self, probes: list[list[str]], describe: Callable[[DebianRoot], dict]) -> dict:
        """The root's record, making (or remaking) the root when it is missing or one of `probes` fails in it."""
        if (record := self.record()) is not None:
            if self.runs(probes):
                return record
            log.warn(f"the Debian root {self.rootfs} is broken; rebuilding it")
        self.record_stamp.clear()
        # Made by the caller, so that the record can be written there even when the root is made through sudo.
        self.rootfs.parent.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            build_rootfs(self.rootfs, self.spec)
        else:
            # debootstrap and apt need root: the one step a user with sudo runs as root.
            argv = [sys.executable, "-m", __name__, str(self.rootfs), json.dumps(self.spec.to_json())]
            command = [*privilege_prefix(f"making a Debian {self.spec.suite} root"), *argv]
            log.info(f"making the Debian {self.spec.suite} root needs root: {command[0]} {' '.join(argv[:3])} ...")
            if subprocess.run(command, cwd=project.ROOT).returncode != 0:
                raise HarnessError(f"making the Debian {self.spec.suite} root {self.rootfs} failed (see above)")
        record = {"suite": self.spec.suite, **describe(self)}
        self.record_stamp.write(record)
        return record


def build_rootfs(rootfs: Path, spec: RootSpec) -> None:
    """debootstrap `spec` into `rootfs` (through a .partial directory), then apt-get its packages (as root)."""
    require_root_and_linux(f"a Debian {spec.suite} root file system")
    home = rootfs.parent
    staging = DebianRoot(rootfs.with_name(rootfs.name + ".partial"), spec)
    if staging.rootfs.exists():
        log.info(f"discarding {staging.rootfs} left by an interrupted run")
        shutil.rmtree(staging.rootfs)
    if rootfs.exists():
        shutil.rmtree(rootfs)
    home.mkdir(parents=True, exist_ok=True)
    include = [f"--include={','.join(spec.include)}"] if spec.include else []
    with log.step(f"creating a Debian {spec.suite} root with debootstrap (once; about 1 minute)"):
        run_logged(
            ["debootstrap", "--variant=minbase", *include, spec.suite, str(staging.rootfs), *_mirror_and_script(spec)],
            home,
            home / "debootstrap.log",
            "debootstrap",
        )
    shutil.copy("/etc/resolv.conf", staging.rootfs / "etc" / "resolv.conf")
    (staging.rootfs / "etc/apt/apt.conf.d/99pipe-cpython").write_text(APT_OPTIONS)
    for path in spec.host_files:
        copy_host_file(path, staging.rootfs)
    if spec.packages:
        with log.step(f"installing {len(spec.packages)} packages in the {spec.suite} root"):
            staging.run(["apt-get", "update"], home / "apt.log", f"apt-get update in the {spec.suite} root")
            staging.run(
                ["apt-get", "install", "-y", "--no-install-recommends", *spec.packages],
                home / "apt-install.log",
                f"apt-get install in the {spec.suite} root",
                env={"DEBIAN_FRONTEND": "noninteractive"},
            )
            staging.run(["apt-get", "clean"], home / "apt-clean.log", "apt-get clean")
    staging.rootfs.rename(rootfs)


def _mirror_and_script(spec: RootSpec) -> list[str]:
    """What debootstrap needs besides the suite when it has no script of that name: a suite newer than the host's
    debootstrap (forky on Debian 12) is bootstrapped like sid, from the archive the host's apt uses."""
    if (DEBOOTSTRAP_SCRIPTS / spec.suite).exists():
        return []
    return [debian.host_mirror().uri, str(DEBOOTSTRAP_SCRIPTS / "sid")]


def copy_host_file(path: Path, rootfs: Path) -> None:
    """Copy a host file to the same path inside `rootfs`, if the host has it."""
    if path.is_file():
        target = rootfs / path.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(path, target)


def require_root_and_linux(what: str) -> None:
    if not sys.platform.startswith("linux"):
        raise HarnessError(f"{what} needs Linux", hint="install emsdk and activate it instead")
    if os.geteuid() != 0:
        raise HarnessError(f"making {what} with debootstrap needs root", hint="run it through sudo")
    deps.ensure(["debootstrap"], what)
    if shutil.which("unshare") is None:
        raise HarnessError("unshare is missing", hint="apt-get install util-linux")


def privilege_prefix(what: str) -> list[str]:
    return deps.privilege_prefix(
        what, hint="install and activate emsdk (then no Debian root is needed), or run this step as root once"
    )


if __name__ == "__main__":
    # `sudo python -m pipe_cpython.debianroot ROOTFS SPEC`: the privileged half of DebianRoot.ensure.
    try:
        build_rootfs(Path(sys.argv[1]), RootSpec.from_json(json.loads(sys.argv[2])))
    except HarnessError as exc:
        print(f"pipe-cpython: error: {exc}", file=sys.stderr)
        sys.exit(2)
