"""Stamp files: compared as a whole, written atomically, unreadable ones mean "redo"."""

from pipe_cpython.core.stamps import Stamp


def test_a_missing_stamp_matches_nothing(tmp_path):
    stamp = Stamp(tmp_path / "s.json")
    assert stamp.read() is None and not stamp.matches({})


def test_inputs_match_as_json_reads_them_back(tmp_path):
    stamp = Stamp(tmp_path / "deep" / "s.json")
    stamp.write({"toolchain": (3, 1, 69), "args": ["-C"]})
    assert stamp.matches({"args": ["-C"], "toolchain": (3, 1, 69)})
    assert not stamp.matches({"args": ["-C"], "toolchain": (3, 1, 70)})
    assert not stamp.matches({"args": ["-C"]}), "a missing input is a different input"


def test_writing_leaves_no_partial_file_and_clear_forgets(tmp_path):
    stamp = Stamp(tmp_path / "s.json")
    stamp.write([1])
    stamp.write([2])
    assert stamp.read() == [2]
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]
    stamp.clear()
    assert not stamp.exists()
    stamp.clear()


def test_an_unreadable_stamp_means_redo(tmp_path):
    (tmp_path / "s.json").write_text('{"half": ')
    assert Stamp(tmp_path / "s.json").read() is None
