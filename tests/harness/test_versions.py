from pathlib import Path

import pytest

from pipe_cpython.core.errors import HarnessError
from pipe_cpython.core.versions import Request, Version, available_series, newest_first, parse_request, series_dir


@pytest.mark.parametrize(
    ("text", "expected"),
    [("3.13", Request("3.13")), ("3.13.5", Request("3.13", 5)), (" 3.11.2 ", Request("3.11", 2))],
)
def test_parse_request(text, expected):
    assert parse_request(text) == expected


@pytest.mark.parametrize("text", ["", "3", "3.13.5.1", "v3.13", "three", "2.7.18", "3.13rc1", "3.13.x"])
def test_malformed_version_is_a_clear_error(text):
    with pytest.raises(HarnessError, match="malformed CPython version") as info:
        parse_request(text)
    assert "3.13.5" in info.value.hint


def test_version_parse_accepts_tags_and_rejects_prereleases():
    assert Version.parse("v3.13.5") == Version(3, 13, 5)
    assert Version.parse("3.14.0rc1") is None
    assert Version(3, 13, 5).tag == "v3.13.5"
    assert Version(3, 13, 5).series == "3.13"


def test_exact_request():
    assert parse_request("3.13.5").exact() == Version(3, 13, 5)
    assert parse_request("3.13").exact() is None


def test_newest_first_filters_by_series_and_release():
    offered = [Version(3, 13, 5), Version(3, 13, 15), Version(3, 11, 2), Version(3, 13, 15)]
    assert newest_first(Request("3.13"), offered) == [Version(3, 13, 15), Version(3, 13, 5)]
    assert newest_first(Request("3.13", 5), offered) == [Version(3, 13, 5)]
    assert newest_first(Request("3.12"), offered) == []


def make_series(root: Path, *names: str) -> Path:
    for name in names:
        (root / name).mkdir(parents=True)
        (root / name / "0001-x.patch").write_text("x")
    return root


def test_series_dir_found(tmp_path):
    patches = make_series(tmp_path, "3.11", "3.13")
    assert series_dir(Request("3.13"), patches) == patches / "3.13"
    assert available_series(patches) == ["3.11", "3.13"]


def test_unknown_series_names_the_nearest(tmp_path):
    patches = make_series(tmp_path, "3.11", "3.13")
    with pytest.raises(HarnessError, match=r"CPython 3\.15 has no patch series \(have: 3\.11, 3\.13\)") as info:
        series_dir(Request("3.15"), patches)
    assert "nox -s rebase-patches -- --from 3.13 --cpython 3.15" in info.value.hint
    assert "docs/how-to/add-a-cpython-version.md" in info.value.hint


def test_empty_series_directory_is_not_a_series(tmp_path):
    patches = make_series(tmp_path, "3.11")
    (patches / "3.13").mkdir()
    with pytest.raises(HarnessError, match=r"3\.13 has no patch series"):
        series_dir(Request("3.13"), patches)
