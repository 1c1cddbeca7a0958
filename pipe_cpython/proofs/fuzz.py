"""Differential fuzzing: the patched interpreter against its pristine twin, through tests/differential/oracle.py.

Three kinds of input, each checked its own way:
- programs without `|>` (from hypothesmith and mutated standard-library files):
  both interpreters must tokenize, parse and compile them identically, or fail
  with the same SyntaxError at the same place;
- the same programs with some of their one-argument calls turned into pipes:
  the patched interpreter must unparse and re-parse them into the same calls;
- generated pipe expressions: the patched interpreter's value and order of
  effects must equal the pristine one's for the expression with every
  `a |> b` replaced by the call `_pipe_call(a, b)`.
A disagreement is minimised (delta debugging) and written out.
"""

from __future__ import annotations

import json
import math
import os
import random
import re
import select
import subprocess
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..core import log
from ..core.errors import HarnessError

REQUEST_TIMEOUT = 60.0
PROGRESS_SECONDS = 15.0
MAX_FILE_BYTES = 150_000
_CHUNK = re.compile(r"\s+|\w+|[^\w\s]")
# What a mutation inserts: the characters and keywords that most change how a program parses.
_PALETTE = (
    "(", ")", "[", "]", "{", "}", ":", ",", ".", "=", "==", "|", ">", ">>", "<", "*", "**", "@", ";", "->",
    ":=", "...", "!", "\\", "'", '"', "#", "\n", "\t", " ", "f'", "0x", "1e", "lambda", "if", "else", "not",
    "and", "async", "await", "yield", "return", "match", "case", "type",
)  # fmt: skip
_VALUES = ("1", "2", "-3", "0", "'ab'", "[1, 2]", "[]", "(1, 2)", "None", "v(4)", "v('x')", "v([3])", "v('')", "a", "b")
_STAGES = (
    "inc", "dbl", "neg", "first", "wrap", "pair", "wrap", "pair", "str", "bool", "len", "repr", "sorted",
    "box.put", "Box", "s('inc')", "s('dbl')",
    "(lambda y: [y])", "(lambda: 0)", "[inc, dbl][v(1)]", "(inc if v(0) else dbl)", "(s('neg') |> (lambda f: f))",
)  # fmt: skip
_OPERATORS = ("+", "*", "-", "<", "==", "and", "or", "|", "&", "<<", "**", "in", "is not", "if v(True) else")


class Oracle:
    """One long-lived interpreter process answering oracle.py's requests, restarted after a crash."""

    def __init__(self, command: list[str], script: Path) -> None:
        self.command = [*command, str(script)]
        self.proc: subprocess.Popen | None = None

    def send(self, request: dict) -> None:
        if self.proc is None:
            env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONIOENCODING": "utf-8"}
            self.proc = subprocess.Popen(
                self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env, bufsize=1
            )
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()

    def receive(self) -> dict:
        """The answer; a crash or a hang is an answer too (and the next request starts a new process)."""
        ready, _, _ = select.select([self.proc.stdout], [], [], REQUEST_TIMEOUT)
        line = self.proc.stdout.readline() if ready else ""
        if line:
            return json.loads(line)
        if not ready:
            self.proc.kill()
        code = self.proc.wait()
        self.proc = None
        return {"crash": f"no answer after {REQUEST_TIMEOUT:.0f} s" if not ready else f"exit status {code}"}

    def ask(self, op: str, **fields) -> dict:
        self.send({"op": op, **fields})
        return self.receive()

    def close(self) -> None:
        if self.proc is not None:
            self.proc.stdin.close()
            self.proc.wait()
            self.proc = None


def ask_both(first: Oracle, second: Oracle, op: str, **fields) -> tuple[dict, dict]:
    """The same request to both interpreters, answered in parallel."""
    first.send({"op": op, **fields})
    second.send({"op": op, **fields})
    return first.receive(), second.receive()


def disagreements(patched: dict, pristine: dict) -> list[str]:
    """The stages (tokens, ast, code) whose outcome differs, each with both outcomes."""
    if patched.keys() != pristine.keys() or "crash" in patched:
        return [f"patched: {patched}, pristine: {pristine}"] if patched != pristine else []
    return [
        f"{stage}: patched {patched[stage]} != pristine {pristine[stage]}"
        for stage in patched
        if patched[stage] != pristine[stage]
    ]


def minimise(text: str, still_fails: Callable[[str], bool], budget: int = 800) -> str:
    """A smaller `text` that still fails: delta debugging over lines, then over tokens."""
    for split in (lambda t: t.splitlines(keepends=True), _CHUNK.findall):
        units = split(text)
        parts = 2
        while len(units) >= 2 and budget > 0:
            size = math.ceil(len(units) / parts)
            for start in range(0, len(units), size):
                candidate = units[:start] + units[start + size :]
                budget -= 1
                if still_fails("".join(candidate)):
                    units, parts = candidate, max(parts - 1, 2)
                    break
            else:
                if parts >= len(units):
                    break
                parts = min(len(units), parts * 2)
        text = "".join(units)
    return text


def mutate(text: str, rng: random.Random) -> str:
    """Up to three token-level edits: delete, duplicate, insert or replace with a palette entry."""
    chunks = _CHUNK.findall(text) or [""]
    for _ in range(rng.randint(0, 3)):
        at = rng.randrange(len(chunks))
        edit = rng.randrange(4)
        if edit == 0 and len(chunks) > 1:
            del chunks[at]
        elif edit == 1:
            chunks.insert(at, chunks[at])
        elif edit == 2:
            chunks.insert(at, rng.choice(_PALETTE))
        else:
            chunks[at] = rng.choice(_PALETTE)
    return "".join(chunks)


def stdlib_mutants(lib: Path, rng: random.Random) -> Iterator[str]:
    """Endless mutants of the release's own Lib/*.py files (sometimes unmutated)."""
    files = sorted(path for path in lib.rglob("*.py") if path.stat().st_size <= MAX_FILE_BYTES)
    if not files:
        raise HarnessError(f"no Python files under {lib}")
    while True:
        yield mutate(rng.choice(files).read_text(encoding="utf-8", errors="replace"), rng)


def pipe_expression(rng: random.Random, depth: int = 4) -> str:
    """A random expression over oracle.vocabulary(), with pipes wherever the grammar might surprise."""
    if depth == 0 or rng.random() < 0.15:
        return rng.choice(_VALUES)
    inner = pipe_expression(rng, depth - 1)
    roll = rng.random()
    if roll < 0.4:
        return f"{inner} |> {rng.choice(_STAGES)}"
    if roll < 0.55:
        return f"({inner} |> {rng.choice(_STAGES)})"
    if roll < 0.8:
        return f"{inner} {rng.choice(_OPERATORS)} {pipe_expression(rng, depth - 1)}"
    if roll < 0.9:
        return f"{rng.choice(_STAGES)}({inner})"
    return f"[{inner}, *{pipe_expression(rng, depth - 1)} |> {rng.choice(_STAGES)}]"


@dataclass
class Finding:
    """An input that disagrees, and the check that says how (for minimising and explaining it)."""

    what: str
    source: str
    check: Callable[[str], list[str]]
    explain: Callable[[str], list[str]] | None = None


@dataclass
class Campaign:
    """One run: the two oracles, what was checked, and what disagreed."""

    patched: Oracle
    pristine: Oracle
    rng: random.Random
    counts: Counter = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    last_progress: float = field(default_factory=time.monotonic)

    def progress(self, what: str, done: int, total: int) -> None:
        """A line every PROGRESS_SECONDS, so that a long run shows it is alive."""
        if time.monotonic() - self.last_progress >= PROGRESS_SECONDS:
            self.last_progress = time.monotonic()
            log.info(f"  {what}: {done}/{total}, {len(self.findings)} disagreements so far")

    def parse_differences(self, source: str, detail: bool = False) -> list[str]:
        return disagreements(*ask_both(self.patched, self.pristine, "inspect", source=source, detail=detail))

    def round_trip_problems(self, source: str, seed: int) -> list[str]:
        answer = self.patched.ask("round_trip", source=source, seed=seed)
        if "pipes" in answer:
            self.counts["pipe round trips"] += 1
        if "crash" in answer:
            return [f"the patched interpreter crashed: {answer['crash']}"]
        if "problem" in answer:
            return [f"{answer['problem']}; with pipes: {answer['pipe_source']}"]
        return []

    def evaluation_differences(self, expression: str, in_function: bool) -> list[str]:
        calls = self.patched.ask("to_calls", source=expression)
        if "source" not in calls:
            return []
        piped = self.patched.ask("evaluate", source=expression, in_function=in_function)
        called = self.pristine.ask("evaluate", source=calls["source"], in_function=in_function)
        if piped == called:
            return []
        where = "in a function" if in_function else "at module level"
        return [f"{where}: patched {piped} != pristine {called} for {calls['source']}"]

    def check(self, what: str, source: str, check: Callable[[str], list[str]], explain=None) -> None:
        if check(source):
            self.findings.append(Finding(what, source, check, explain))

    def check_program(self, source: str, origin: str) -> None:
        """A program without pipes: identical in both; then, with pipes, a faithful round trip."""
        if "|>" in source:
            self.counts[f"{origin}: skipped, contains |>"] += 1
            return
        self.counts[f"{origin}: compared"] += 1
        self.check(
            f"{origin}: patched and pristine disagree",
            source,
            self.parse_differences,
            lambda text: self.parse_differences(text, detail=True),
        )
        seed = self.rng.randrange(2**32)
        self.check(
            f"{origin}: pipes made from calls do not round-trip",
            source,
            lambda text: self.round_trip_problems(text, seed),
        )

    def check_expression(self, expression: str) -> None:
        """At module level (names are globals) or in a function (names are locals the optimizer may reorder)."""
        in_function = self.rng.random() < 0.5
        self.counts["pipe expressions evaluated" + (" in a function" if in_function else " at module level")] += 1
        self.check(
            "a pipe expression and its call form differ",
            expression,
            lambda text: self.evaluation_differences(text, in_function),
        )


def run_hypothesmith(campaign: Campaign, count: int, seed: int) -> None:
    """`count` programs from hypothesmith's grammar-based generator, each checked by the campaign."""
    try:
        import hypothesmith
        from hypothesis import HealthCheck, Phase, given, settings
        from hypothesis import seed as fixed_seed
    except ImportError as exc:
        raise HarnessError(
            f"the fuzzer needs hypothesmith ({exc})", hint="run it as `nox -s fuzz`, or pip install hypothesmith"
        ) from exc

    @fixed_seed(seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(hypothesmith.from_grammar())
    def check(source: str) -> None:
        campaign.check_program(source, "hypothesmith")
        done[0] += 1
        campaign.progress("hypothesmith", done[0], count)

    done = [0]

    # hypothesmith compiles its candidates in this process; their warnings are not ours to show.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SyntaxWarning)
        check()


def run(
    patched: list[str],
    pristine: list[str],
    oracle: Path,
    lib: Path,
    count: int,
    seed: int,
    report_dir: Path,
) -> int:
    """Fuzz `count` inputs of each kind; print what was checked; write minimised counter-examples."""
    campaign = Campaign(Oracle(patched, oracle), Oracle(pristine, oracle), random.Random(seed))
    started = time.monotonic()
    try:
        with log.step(f"{count} programs from hypothesmith"):
            run_hypothesmith(campaign, count, seed)
        with log.step(f"{count} mutants of the standard library"):
            mutants = stdlib_mutants(lib, campaign.rng)
            for done in range(1, count + 1):
                campaign.check_program(next(mutants), "stdlib mutants")
                campaign.progress("stdlib mutants", done, count)
        with log.step(f"{count} generated pipe expressions"):
            for done in range(1, count + 1):
                campaign.check_expression(pipe_expression(campaign.rng))
                campaign.progress("pipe expressions", done, count)
        print_counts(campaign)
        return report(campaign, report_dir, seed, time.monotonic() - started)
    except KeyboardInterrupt:
        print_counts(campaign)
        log.warn(
            f"interrupted: {len(campaign.findings)} disagreements so far, not minimised; "
            f"a run is not resumed, but --seed {seed} replays the same inputs"
        )
        return 130
    finally:
        campaign.patched.close()
        campaign.pristine.close()


def print_counts(campaign: Campaign) -> None:
    for what, number in sorted(campaign.counts.items()):
        log.info(f"  {what}: {number}")


def report(campaign: Campaign, report_dir: Path, seed: int, seconds: float) -> int:
    """Nothing to say, or one minimised counter-example per kind of disagreement (exit status 1)."""
    if not campaign.findings:
        log.info(f"fuzzing found no difference in {log.format_seconds(seconds)} (seed {seed})")
        return 0
    report_dir.mkdir(parents=True, exist_ok=True)
    kinds: dict[str, Finding] = {}
    for finding in campaign.findings:
        kinds.setdefault(finding.what, finding)
    log.warn(f"{len(campaign.findings)} inputs disagree ({len(kinds)} kinds); minimising one of each (seed {seed})")
    for number, finding in enumerate(kinds.values(), 1):
        small = minimise(finding.source, lambda text, check=finding.check: bool(check(text)))
        problems = (finding.explain or finding.check)(small)
        path = report_dir / f"counterexample-{number}.py"
        path.write_text(f"# {finding.what}\n# " + "\n# ".join(problems) + "\n" + small + "\n")
        print(f"\n{finding.what}, minimised to:\n{small}\n  " + "\n  ".join(problems) + f"\n  (written to {path})")
    return 1
