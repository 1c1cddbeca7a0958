import sys
import zipfile

from pipe_cpython.core import project
from pipe_cpython.proofs import realworld


def test_every_pin_has_a_version_and_a_hash():
    lines = [line for line in project.REALWORLD_REQUIREMENTS.read_text().splitlines() if not line.startswith("#")]
    assert len(lines) >= 50
    for line in lines:
        requirement, hash_option = line.split()
        assert "==" in requirement and hash_option.startswith("--hash=sha256:") and len(hash_option) == 14 + 64
    assert realworld.pinned_wheels(project.REALWORLD_REQUIREMENTS)[0] == lines[0].split()[0]


def test_sources_are_the_wheels_python_files_then_lib(tmp_path):
    wheel = tmp_path / "demo-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo/__init__.py", "x = 1\n")
        archive.writestr("demo-1.0.dist-info/METADATA", "Name: demo\n")
    lib = tmp_path / "Lib"
    (lib / "json").mkdir(parents=True)
    (lib / "json" / "tool.py").write_text("print(len('ab'))\n")
    assert list(realworld.sources([wheel], lib)) == [
        ("demo-1.0-py3-none-any.whl:demo/__init__.py", "x = 1\n"),
        ("Lib/json/tool.py", "print(len('ab'))\n"),
    ]


def test_files_are_compared_through_the_oracle_and_counted():
    # The same interpreter on both sides: nothing may differ, and an interpreter without |> pipes nothing.
    files = [("Lib/a.py", "print(len('ab'))\n"), ("pkg.whl:b.py", "def f(:\n")]
    result = realworld.check([sys.executable], [sys.executable], project.ORACLE, files)
    assert result.problems == []
    assert result.counts["Lib/ files"] == 1 and result.counts["packages files"] == 1
    assert result.counts["Lib/ lines"] == 1


def test_only_the_pinned_wheels_are_used(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("python-dateutil==4.0.0 --hash=sha256:" + "0" * 64 + "\n")
    pinned, stale = (
        tmp_path / "python_dateutil-4.0.0-py3-none-any.whl",
        tmp_path / "python_dateutil-3.9-py3-none-any.whl",
    )
    pinned.write_bytes(b"")
    stale.write_bytes(b"")
    assert realworld.fetch(requirements, tmp_path) == [pinned], (
        "present already: nothing downloaded, the old one left out"
    )
