"""The differential fuzzer, with the host interpreter standing in for both builds."""

from __future__ import annotations

import builtins
import json
import random
import re
import sys
import textwrap
from pathlib import Path

import pytest

from pipe_cpython.core import log
from pipe_cpython.proofs import fuzz

ORACLE = Path(__file__).resolve().parents[1] / "differential" / "oracle.py"

PROGRAM = """\
import os


def helper(items):
    return [item for item in items if item]


class Thing:
    def method(self, value):
        key = lambda pair: pair[1]
        return sorted(value, key=key)


print(helper([1, 0, 2]))
"""


@pytest.fixture
def host_oracle():
    oracles = []

    def make(script: Path = ORACLE) -> fuzz.Oracle:
        oracles.append(fuzz.Oracle([sys.executable], script))
        return oracles[-1]

    yield make
    for oracle in oracles:
        oracle.close()


@pytest.fixture
def disagreeing_oracle(tmp_path) -> Path:
    """The oracle in an interpreter whose compiler rejects every `lambda`: a fork with a parser bug."""
    script = tmp_path / "disagreeing_oracle.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import builtins, sys
            real_compile = builtins.compile

            def compile(source, *args, **kwargs):
                if isinstance(source, str) and "lambda" in source:
                    raise SyntaxError("a parser bug", ("<fuzz>", 1, 1, "", 1, 2))
                return real_compile(source, *args, **kwargs)

            builtins.compile = compile
            sys.path.insert(0, {str(ORACLE.parent)!r})
            import oracle
            oracle.serve()
            """
        )
    )
    return script


def test_the_oracle_reports_syntax_errors_with_their_position(host_oracle):
    answer = host_oracle().ask("inspect", source="x = (1,\n", detail=True)
    assert answer["ast"]["error"][:4] == ["SyntaxError", "'(' was never closed", 1, 5]
    assert answer["code"]["error"] == answer["ast"]["error"]


def test_the_oracle_records_warnings_and_digests(host_oracle):
    answer = host_oracle().ask("inspect", source="assert (x, 'message')\n")
    assert "digest" in answer["code"]
    assert answer["code"]["warnings"][0][0] == "SyntaxWarning"


def test_identical_interpreters_never_disagree(host_oracle):
    campaign = fuzz.Campaign(host_oracle(), host_oracle(), random.Random(0))
    mutants = fuzz.stdlib_mutants(Path(json.__file__).parent, random.Random(1))
    for _ in range(30):
        campaign.check_program(next(mutants), "mutants")
    assert campaign.counts["mutants: compared"] == 30
    assert campaign.findings == []


def test_a_disagreement_is_found_minimised_and_written(host_oracle, disagreeing_oracle, tmp_path, capsys):
    campaign = fuzz.Campaign(host_oracle(disagreeing_oracle), host_oracle(), random.Random(0))
    campaign.check_program(PROGRAM, "sample")
    campaign.check_program("print('no such keyword')\n", "sample")
    assert [finding.what for finding in campaign.findings] == ["sample: patched and pristine disagree"]

    assert fuzz.report(campaign, tmp_path, seed=0, seconds=1.0) == 1
    written = (tmp_path / "counterexample-1.py").read_text()
    minimal = written.splitlines()[-1]
    assert minimal.strip() == "lambda", written
    assert "a parser bug" in written, "the explanation shows both sides in full"
    assert "minimised to:\nlambda" in capsys.readouterr().out


def test_a_crash_is_a_disagreement_and_the_oracle_restarts(host_oracle, tmp_path):
    crashing = tmp_path / "crashing.py"
    crashing.write_text(f"import sys; sys.path.insert(0, {str(ORACLE.parent)!r}); import os, oracle\n"
                        "oracle.inspect = lambda request: os._exit(3) if 'boom' in request['source'] else {}\n"
                        "oracle.OPERATIONS['inspect'] = oracle.inspect\noracle.serve()\n")  # fmt: skip
    patched = host_oracle(crashing)
    assert patched.ask("inspect", source="boom") == {"crash": "exit status 3"}
    assert patched.ask("inspect", source="fine") == {}
    assert fuzz.disagreements({"crash": "exit status 3"}, {"tokens": {}}) != []


def test_an_exception_in_the_oracle_is_reported_and_the_process_lives_on(host_oracle):
    oracle = host_oracle()
    assert oracle.ask("no-such-operation")["crash"].startswith("the oracle raised ['KeyError'")
    assert "tokens" in oracle.ask("inspect", source="x = 1\n")


def test_hypothesmith_programs_are_checked(host_oracle):
    campaign = fuzz.Campaign(host_oracle(), host_oracle(), random.Random(0))
    fuzz.run_hypothesmith(campaign, count=10, seed=0)
    assert campaign.counts["hypothesmith: compared"] == 10
    assert campaign.findings == []


def test_minimise_keeps_what_fails():
    text = "".join(f"line_{n} = {n}\n" for n in range(200)) + "x = (bad)\n" + "tail = 1\n" * 50
    small = fuzz.minimise(text, lambda candidate: "bad" in candidate and "(" in candidate)
    assert small == "(bad"


def test_mutants_are_reproducible_and_small_edits():
    source = "def f(a, b):\n    return a + b\n"
    first = [fuzz.mutate(source, random.Random(seed)) for seed in range(20)]
    assert first == [fuzz.mutate(source, random.Random(seed)) for seed in range(20)]
    assert source in first, "some inputs are left unmutated"
    assert len(set(first)) > 10


def test_pipe_expressions_use_the_operator_and_the_vocabulary():
    rng = random.Random(0)
    expressions = [fuzz.pipe_expression(rng) for _ in range(50)]
    assert sum("|>" in expression for expression in expressions) > 35
    sys.path.insert(0, str(ORACLE.parent))
    try:
        import oracle
    finally:
        sys.path.remove(str(ORACLE.parent))
    without_strings = [re.sub(r"'[^']*'", "", expression) for expression in expressions]
    names = {name for expression in without_strings for name in re.findall(r"\b[a-zA-Z_]\w*", expression)}
    syntax_and_locals = {"lambda", "if", "else", "and", "or", "in", "is", "not", "None", "True", "y", "f", "put"}
    assert names - syntax_and_locals <= oracle.vocabulary().keys() | set(dir(builtins))


def test_a_long_run_reports_progress(host_oracle, monkeypatch, capsys):
    log.set_verbosity(log.NORMAL)
    monkeypatch.setattr(fuzz, "PROGRESS_SECONDS", 0.0)
    campaign = fuzz.Campaign(host_oracle(), host_oracle(), random.Random(0))
    campaign.progress("stdlib mutants", 3, 10)
    assert "stdlib mutants: 3/10, 0 disagreements so far" in capsys.readouterr().err


def test_an_interrupted_run_says_what_it_checked_and_how_to_replay_it(monkeypatch, tmp_path, capsys):
    def interrupted(campaign, count, seed):
        campaign.counts["hypothesmith: compared"] += 2
        raise KeyboardInterrupt

    monkeypatch.setattr(fuzz, "run_hypothesmith", interrupted)
    log.set_verbosity(log.NORMAL)
    status = fuzz.run([sys.executable], [sys.executable], ORACLE, Path(json.__file__).parent, 5, 7, tmp_path)
    assert status == 130
    err = capsys.readouterr().err
    assert "hypothesmith: compared: 2" in err
    assert "interrupted: 0 disagreements so far" in err and "--seed 7 replays the same inputs" in err
