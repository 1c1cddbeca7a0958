from pathlib import Path

import pytest

from pipe_cpython.core.errors import HarnessError
from pipe_cpython.core.versions import Version
from pipe_cpython.host import debian

SHOWSRC = """\
Package: python3.13
Binary: python3.13, libpython3.13
Version: 3.13.5-2+deb13u5
Checksums-Sha256:
 aaa 4298 python3.13_3.13.5-2+deb13u5.dsc
 bbb 22856016 python3.13_3.13.5.orig.tar.xz
 ccc 963 python3.13_3.13.5.orig.tar.xz.asc
 ddd 299640 python3.13_3.13.5-2+deb13u5.debian.tar.xz

Package: python3.13
Version: 3.13.15-1
Checksums-Sha256:
 eee 23000000 python3.13_3.13.15.orig.tar.xz

Package: python3.13-other
Version: 1.0-1
Checksums-Sha256:
 fff 1 python3.13-other_1.0.orig.tar.xz
"""


def test_parse_showsrc_finds_each_upstream_tarball_and_checksum():
    found = debian.parse_showsrc(SHOWSRC, "python3.13")
    assert [(p.debian_version, p.orig_tarball, p.sha256) for p in found] == [
        ("3.13.5-2+deb13u5", "python3.13_3.13.5.orig.tar.xz", "bbb"),
        ("3.13.15-1", "python3.13_3.13.15.orig.tar.xz", "eee"),
    ]
    assert found[0].upstream == Version(3, 13, 5)


def test_parse_deb822_sources():
    text = """\
Types: deb
# a comment
URIs: http://mirror.example/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: http://mirror.example/debian-security
Suites: bookworm-security
Components: main

Types: deb
Enabled: no
URIs: http://disabled.example/debian
Suites: bookworm
"""
    entries = debian.parse_deb822_sources(text)
    assert entries[0] == (
        "http://mirror.example/debian",
        ["bookworm", "bookworm-updates"],
        "/usr/share/keyrings/debian-archive-keyring.gpg",
    )
    assert len(entries) == 2


def test_parse_one_line_sources():
    text = "deb [arch=amd64 signed-by=/k.gpg] http://m.example/debian trixie main\n# deb http://x/debian sid main\n"
    assert debian.parse_one_line_sources(text) == [("http://m.example/debian", ["trixie"], "/k.gpg")]


def write_apt(tmp_path: Path, sources: str) -> Path:
    apt = tmp_path / "apt"
    (apt / "sources.list.d").mkdir(parents=True)
    (apt / "sources.list.d" / "debian.sources").write_text(sources)
    return apt


def test_host_mirror_skips_security_and_foreign_archives(tmp_path):
    apt = write_apt(
        tmp_path,
        "Types: deb\nURIs: http://sec.example/debian-security\nSuites: trixie-security\n\n"
        "Types: deb\nURIs: https://vendor.example/apt\nSuites: stable\n\n"
        "Types: deb\nURIs: http://mirror.example/debian/\nSuites: trixie\n",
    )
    assert debian.host_mirror(apt) == debian.Mirror("http://mirror.example/debian", None)


def test_no_debian_mirror_is_a_clear_error(tmp_path):
    apt = write_apt(tmp_path, "Types: deb\nURIs: https://vendor.example/apt\nSuites: stable\n")
    with pytest.raises(HarnessError, match="no Debian archive is configured") as info:
        debian.host_mirror(apt)
    assert "--source" in info.value.hint


def test_private_sources_list_has_one_deb_src_line_per_suite(tmp_path):
    apt = debian.AptSources(tmp_path, ("trixie", "sid"), debian.Mirror("http://m.example/debian", "/k.gpg"))
    assert apt.sources_list() == (
        "deb-src [signed-by=/k.gpg] http://m.example/debian trixie main\n"
        "deb-src [signed-by=/k.gpg] http://m.example/debian sid main\n"
    )
