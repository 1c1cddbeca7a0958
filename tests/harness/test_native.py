"""The native build steps against a fake configure/Makefile (no compiler needed)."""

import stat

import pytest

from pipe_cpython import native, process
from pipe_cpython.errors import HarnessError
from pipe_cpython.sources import WorkTree
from pipe_cpython.versions import Version

FAKE_CONFIGURE = """#!/bin/sh
echo run >> "$(dirname "$0")/configure-runs"
cat > Makefile <<'END'
MODULE_READLINE_STATE=yes
MODULE__SQLITE3_STATE={sqlite}
MODULE__TKINTER_STATE=missing
all:
\tprintf '#!/bin/sh\\necho 10\\n' > python && chmod +x python
regen-token regen-ast regen-pegen:
\t@echo regenerated $@
END
"""


@pytest.fixture
def tree(tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    return WorkTree(src, Version(3, 13, 99))


def fake_configure(tree, sqlite_state="yes"):
    script = tree.path / "configure"
    script.write_text(FAKE_CONFIGURE.replace("{sqlite}", sqlite_state))
    script.chmod(script.stat().st_mode | stat.S_IEXEC)


def configure_runs(tree):
    runs = tree.path / "configure-runs"
    return len(runs.read_text().split()) if runs.exists() else 0


def test_build_configures_once(tree, tmp_path):
    fake_configure(tree)
    build_dir = tmp_path / "build"
    assert native.build(tree, build_dir) == build_dir / "python"
    native.build(tree, build_dir)
    assert configure_runs(tree) == 1
    native.build(tree, build_dir, configure_args=["--with-pydebug"])
    assert configure_runs(tree) == 2


def test_missing_headers_fail_before_compiling_with_apt_hint(tree, tmp_path):
    fake_configure(tree, sqlite_state="missing")
    build_dir = tmp_path / "build"
    with pytest.raises(HarnessError, match="no headers for _sqlite3") as info:
        native.build(tree, build_dir)
    assert "apt-get install libsqlite3-dev" in info.value.hint
    assert not (build_dir / "python").exists()
    # Modules the REPL does not need (tkinter) are not demanded; after installing, configure reruns.
    fake_configure(tree, sqlite_state="yes")
    native.build(tree, build_dir)
    assert configure_runs(tree) == 2


def test_missing_headers_can_be_allowed(tree, tmp_path):
    fake_configure(tree, sqlite_state="missing")
    assert native.build(tree, tmp_path / "build", allow_missing_modules=True).exists()


def test_interrupted_configure_reruns(tree, tmp_path):
    fake_configure(tree)
    build_dir = tmp_path / "build"
    native.build(tree, build_dir)
    (build_dir / ".pipe-cpython-configure.json").unlink()
    native.build(tree, build_dir)
    assert configure_runs(tree) == 2


def test_module_states(tree, tmp_path):
    fake_configure(tree)
    build_dir = tmp_path / "build"
    native.configure(tree, build_dir)
    assert native.module_states(build_dir) == {"readline": "yes", "_sqlite3": "yes", "_tkinter": "missing"}


def test_failing_command_shows_the_tail_of_its_log(tmp_path):
    script = "for i in $(seq 1 100); do echo line $i; done; echo 'error: boom' >&2; exit 3"
    with pytest.raises(HarnessError, match="make failed \\(exit 3\\)") as info:
        process.run_logged(["sh", "-c", script], tmp_path, tmp_path / "make.log", "make")
    message = str(info.value)
    assert "error: boom" in message
    assert "line 100" in message and "line 50\n" not in message
    assert str(tmp_path / "make.log") in info.value.hint
