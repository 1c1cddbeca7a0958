"""fuzz-compiler's pieces: seeds, dictionary, the target's source per series, libFuzzer's flags and output."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

from pipe_cpython.core import project
from pipe_cpython.core.errors import HarnessError
from pipe_cpython.proofs import libfuzzer
from pipe_cpython.series import profiles

FUZZER_C = """\
static int fuzz_builtin_int(const char* data, size_t size) { return 0; }
static int fuzz_pycompile(const char* data, size_t size) { return 0; }
int LLVMFuzzerInitialize(int *argc, char ***argv) {
    config.install_signal_handlers = 0;
    config.int_max_str_digits = 8086;
    return 0;
}
"""


def test_seeds_hold_the_suites_pipe_programs_and_the_specs_examples_as_file_input():
    seeds = libfuzzer.seeds(project.CONFORMANCE, project.SPEC)
    sources = [data[2:].decode() for data in seeds.values()]
    assert all(data[:2] == libfuzzer.FILE_INPUT and len(data) <= libfuzzer.MAX_INPUT for data in seeds.values())
    assert "x |> f |> g" in sources  # the spec's associativity example
    assert any(source.startswith('"""') and "import unittest" in source for source in sources)  # a whole test file
    assert len(sources) > 100
    # Named by content, so a rerun writes the same files.
    assert all(name == hashlib.sha1(data).hexdigest() for name, data in seeds.items())


def test_pipe_snippets_are_the_string_literals_with_a_pipe_and_no_f_strings():
    text = 'compile("x |> f", "<s>", "eval")\nname = "no pipe"\nf"{v} |> {w}"\ncheck(b"a |> b")\n'
    assert libfuzzer.pipe_snippets(text) == ["x |> f"]


def test_spec_snippets_unescape_table_cells_and_read_fenced_blocks():
    text = "| `x \\|> lambda v: v` | error |\n\n```\npipe: pipe '|>' bitwise_or\n```\nand `a + b` too"
    assert libfuzzer.spec_snippets(text) == ["x |> lambda v: v", "pipe: pipe '|>' bitwise_or\n"]


def test_write_seeds_removes_stale_ones(tmp_path):
    (tmp_path / "old").write_bytes(b"\x02\x00gone")
    libfuzzer.write_seeds(tmp_path, {"new": b"\x02\x00x |> f"})
    assert sorted(p.name for p in tmp_path.iterdir()) == ["new"]


def test_target_source_leaves_out_what_the_series_lacks(tmp_path):
    (tmp_path / "fuzzer.c").write_text(FUZZER_C)
    adapted = libfuzzer.target_source(tmp_path / "fuzzer.c", ("config.int_max_str_digits",))
    assert "int_max_str_digits" not in adapted and "install_signal_handlers" in adapted
    assert libfuzzer.target_source(tmp_path / "fuzzer.c", ()) == FUZZER_C


def test_target_source_says_when_the_profile_no_longer_matches(tmp_path):
    (tmp_path / "fuzzer.c").write_text(FUZZER_C)
    with pytest.raises(HarnessError, match=r"no line with 'config\.gone'"):
        libfuzzer.target_source(tmp_path / "fuzzer.c", ("config.gone",))
    (tmp_path / "fuzzer.c").write_text(FUZZER_C.replace("fuzz_pycompile", "fuzz_other"))
    with pytest.raises(HarnessError, match="no fuzz_pycompile target"):
        libfuzzer.target_source(tmp_path / "fuzzer.c", ())


def test_3_11_takes_its_target_from_a_later_series_that_has_one():
    assert profiles.PROFILES["3.11"].fuzzer.source_series in profiles.PROFILES
    assert profiles.PROFILES["3.13"].fuzzer == profiles.FuzzerProfile()


def test_dictionary_is_upstreams_with_the_pipe_tokens(tmp_path):
    (tmp_path / "up.dict").write_text('"( "\n"if "\n')
    text = libfuzzer.dictionary(tmp_path / "up.dict", project.FUZZ_DICTIONARY)
    entries = [line for line in text.splitlines() if line and not line.startswith("#")]
    assert entries[:2] == ['"( "', '"if "'] and '"|>"' in entries
    # libFuzzer's format: every entry a quoted string.
    assert all(entry.startswith('"') and entry.endswith('"') for entry in entries)


@pytest.mark.parametrize(
    ("user", "expected"),
    [
        ([], ["-max_total_time=60", "-timeout=30"]),
        (["-max_total_time=5"], ["-timeout=30", "-max_total_time=5"]),
        (["-runs=100"], ["-timeout=30", "-runs=100"]),
        (["-timeout=5", "-jobs=2"], ["-max_total_time=60", "-timeout=5", "-jobs=2"]),
    ],
)
def test_arguments_default_to_a_short_run(user, expected):
    assert libfuzzer.arguments(user) == expected


OUTPUT = """\
INFO: Seed: 1234
#2\tINITED cov: 5012 ft: 9000 corp: 170/60Kb exec/s: 0 rss: 90Mb
#300\tNEW    cov: 5100 ft: 9100 corp: 171/61Kb lim: 4 exec/s: 150 rss: 95Mb L: 3/400 MS: 1 ChangeBit-
#4096\tpulse  cov: 5200 ft: 9300 corp: 180/64Kb lim: 43 exec/s: 2048 rss: 99Mb
==42== ERROR: libFuzzer: deadly signal
artifact_prefix='/c/crashes/'; Test unit written to /c/crashes/crash-abc
stat::number_of_executed_units: 4100
stat::average_exec_per_sec:     2050
"""


def test_read_line_takes_coverage_statistics_and_findings(tmp_path):
    result = libfuzzer.Result(returncode=1, seconds=2.0)
    for line in OUTPUT.splitlines():
        libfuzzer.read_line(line, result)
    assert (result.coverage, result.features) == (5200, 9300)
    assert result.stats == {"number_of_executed_units": 4100, "average_exec_per_sec": 2050}
    assert result.artifacts == [Path("/c/crashes/crash-abc")]
    (tmp_path / "a").write_bytes(b"12345")
    summary = libfuzzer.summary(result, tmp_path)
    assert "4,100 executions in 2.0 s (2,050/s)" in summary and "coverage 5,200 edges" in summary
    assert "corpus 1 inputs (0 KiB)" in summary


def test_describe_reads_the_selector_bytes(tmp_path):
    (tmp_path / "crash").write_bytes(b"\x02\x03x |> f")
    assert libfuzzer.describe(tmp_path / "crash") == "compile(..., mode='exec', optimize=2) of 'x |> f'"
    (tmp_path / "short").write_bytes(b"\x02")
    assert "too short" in libfuzzer.describe(tmp_path / "short")


def test_oss_fuzz_needs_its_build_environment():
    with pytest.raises(HarnessError, match="LIB_FUZZING_ENGINE is not set"):
        libfuzzer.Engine.from_environment({"CC": "clang", "CFLAGS": "-fsanitize=address"})
    engine = libfuzzer.Engine.from_environment({"CC": "clang", "CFLAGS": "-O1", "LIB_FUZZING_ENGINE": "-lFuzz"})
    assert engine.link == "-lFuzz" and "CFLAGS=-O1 -fno-sanitize=function" in engine.configure_args()


def test_bundle_is_what_oss_fuzz_reads(tmp_path):
    (tmp_path / "binary").write_text("#!/bin/sh\n")
    for module in ("Lib/encodings/__init__.py", "Lib/test/test_grammar.py", "build/lib.linux-3.13/_sysconfigdata.py"):
        (tmp_path / module).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / module).write_text("")
    (tmp_path / "build" / "pybuilddir.txt").write_text("lib.linux-3.13\n")
    inputs = {"seed": b"\x02\x00x |> f"}
    written = libfuzzer.bundle(
        tmp_path / "binary", tmp_path / "Lib", tmp_path / "build", "3.13", '"|>"\n', inputs, tmp_path / "out"
    )
    assert [path.relative_to(tmp_path / "out").as_posix() for path in written] == [
        "fuzz_pycompile",
        "lib/python3.13",
        "fuzz_pycompile.dict",
        "fuzz_pycompile_seed_corpus.zip",
    ]
    assert zipfile.ZipFile(written[3]).read("seed") == b"\x02\x00x |> f"
    # The interpreter's landmarks beside the target; the test suite left out.
    assert (written[1] / "encodings" / "__init__.py").is_file()
    assert (written[1] / "lib-dynload" / "_sysconfigdata.py").is_file()
    assert not (written[1] / "test").exists()


CRASHING_TARGET = """\
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size >= 4 && data[2] == '|' && data[3] == '>') abort();
    return 0;
}
"""


@pytest.mark.e2e
def test_a_finding_is_saved_and_its_reproduction_command_replays_it(tmp_path):
    """A real libFuzzer run (Debian's clang, installed by the e2e session) of a target that aborts on `|>`."""
    assert shutil.which("clang"), "the e2e session installs clang (package group 'fuzzer')"
    libfuzzer.ensure_compiler(libfuzzer.CLANG, tmp_path / "probe")
    (tmp_path / "target.c").write_text(CRASHING_TARGET)
    binary = tmp_path / "target"
    subprocess.run(["clang", "-fsanitize=fuzzer,address", str(tmp_path / "target.c"), "-o", str(binary)], check=True)
    seeds = tmp_path / "seeds"
    libfuzzer.write_seeds(seeds, {"seed": b"\x02\x00|"})
    (tmp_path / "pipe.dict").write_text('"|>"\n')
    result = libfuzzer.run(
        [str(binary)], tmp_path / "corpus", [seeds], tmp_path / "pipe.dict", tmp_path / "crashes", ["-runs=200000"]
    )
    assert result.returncode != 0 and len(result.artifacts) == 1, result
    assert result.artifacts[0].read_bytes()[2:4] == b"|>"
    replay = subprocess.run(
        libfuzzer.reproduction([str(binary)], result.artifacts[0]), shell=True, capture_output=True, text=True
    )
    assert replay.returncode != 0 and "deadly signal" in replay.stderr


def test_without_verbose_the_output_leaves_out_each_new_input_and_the_recommended_dictionary():
    lines = [
        "#2\tINITED cov: 5 ft: 9 corp: 1/1b exec/s: 0 rss: 9Mb\n",
        "#3\tNEW    cov: 6 ft: 10 corp: 2/2b lim: 4 exec/s: 0 rss: 9Mb L: 1/1 MS: 1 ChangeBit-\n",
        "\tNEW_FUNC[1/1]: 0x55 in _tmp_227_rule Parser/parser.c:39603\n",
        "#8\tREDUCE cov: 6 ft: 10 corp: 2/2b lim: 4 exec/s: 0 rss: 9Mb L: 1/1 MS: 1 EraseBytes-\n",
        "###### Recommended dictionary. ######\n",
        '"while" # Uses: 3\n',
        "###### End of recommended dictionary. ######\n",
        "<fuzz input>:1: SyntaxWarning: 'int' object is not callable; perhaps you missed a comma?\n",
        "==1== ERROR: AddressSanitizer: heap-buffer-overflow\n",
        "Done 10 runs in 1 second(s)\n",
    ]
    shown = libfuzzer.Shown()
    assert [line for line in lines if shown.wanted(line)] == [lines[0], lines[8], lines[9]]
