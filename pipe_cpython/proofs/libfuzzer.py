"""Coverage-guided fuzzing of the patched compiler in C: CPython's own libFuzzer target `fuzz_pycompile`.

The target is CPython's `Modules/_xxtestfuzz/fuzzer.c`, compiled as OSS-Fuzz
compiles it (`-D _Py_FUZZ_ONE -D _Py_FUZZ_fuzz_pycompile`) and linked against
the static libpython of the patched tree, itself built by clang with
SanitizerCoverage, AddressSanitizer and UndefinedBehaviorSanitizer. An input's
first two bytes choose the start symbol and the optimisation level, the rest is
compiled; a SystemError, a sanitizer report or a crash is a finding.

The dictionary is upstream's plus `tests/fuzz-compiler/pipe.dict`; the corpus is
seeded with upstream's inputs, every source snippet of the conformance suite
that holds `|>`, and the spec's examples. What libFuzzer finds is kept in the
cache, so each run starts from the coverage the last one reached.
"""

from __future__ import annotations

import ast
import hashlib
import io
import os
import re
import shlex
import shutil
import subprocess
import sys
import time
import tokenize
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ..core import log
from ..core.errors import HarnessError
from ..host import deps
from ..host.process import run_logged

TARGET = "fuzz_pycompile"
FUZZER_C = "Modules/_xxtestfuzz/fuzzer.c"
UPSTREAM_DICTIONARY = f"Modules/_xxtestfuzz/dictionaries/{TARGET}.dict"
UPSTREAM_CORPUS = f"Modules/_xxtestfuzz/{TARGET}_corpus"
# The selector bytes fuzz_pycompile reads first: start_vals[2] is Py_file_input, optimize_vals[0] is -1 (as -O0).
FILE_INPUT = b"\x02\x00"
# Larger inputs are ignored by fuzz_pycompile (MAX_PYCOMPILE_TEST_SIZE, with its NUL and the two selector bytes).
MAX_INPUT = 16384 - 3
# Where the user gave neither, a short run, and a hang of the compiler reported as one.
DEFAULT_ARGS = {"-max_total_time": "60", "-timeout": "30"}
STOPPING_ARGS = ("-max_total_time", "-runs")
_STATUS = re.compile(r"^#(\d+)\s+(\w+)\s+cov: (\d+) ft: (\d+) corp: (\d+)/(\S+)(?:.*exec/s: (\d+))?")
_STAT = re.compile(r"^stat::(\w+):\s+(\d+)")
_EVERY_NEW = re.compile(r"#\d+\s+(NEW|REDUCE)\s|\tNEW_FUNC\[")
# fuzz_pycompile compiles each input under this name; what the compiler warns of an input is noise.
_INPUT_WARNING = re.compile(r"<fuzz input>:\d+: \w*Warning: ")
_ARTIFACT = re.compile(r"Test unit written to (\S+)")
_CODE = re.compile(r"```\w*\n(.*?)```|`([^`\n]+)`", re.S)


@dataclass(frozen=True)
class Engine:
    """The compiler and flags: clang with ASan and UBSan here, or what OSS-Fuzz's builder sets ($CC, ...)."""

    cc: str = "clang"
    cflags: str = "-g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fsanitize=fuzzer-no-link"
    # How the target links the fuzzing engine (OSS-Fuzz's $LIB_FUZZING_ENGINE).
    link: str = "-fsanitize=fuzzer"

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Engine:
        missing = [name for name in ("CC", "CFLAGS", "LIB_FUZZING_ENGINE") if not env.get(name)]
        if missing:
            raise HarnessError(
                f"--oss-fuzz needs OSS-Fuzz's build environment, and {', '.join(missing)} is not set",
                hint="run it from .clusterfuzzlite/build.sh inside OSS-Fuzz's base-builder image",
            )
        return cls(env["CC"], env["CFLAGS"], env["LIB_FUZZING_ENGINE"])

    @property
    def compile_flags(self) -> list[str]:
        # CPython calls functions through pointers of another type by design (METH_NOARGS and friends), which
        # UBSan's `function` check (part of `undefined` for C from clang 17, OSS-Fuzz's list) reports at every call.
        return [*shlex.split(self.cflags), "-fno-sanitize=function"]

    def configure_args(self) -> list[str]:
        flags = shlex.join(self.compile_flags)
        # Without pymalloc every object is its own malloc block, so ASan sees an overflow of a small one.
        return [f"CC={self.cc}", f"CFLAGS={flags}", f"LDFLAGS={flags}", "--without-pymalloc"]


# Debian's clang, as fuzz-compiler builds here.
CLANG = Engine()


def ensure_compiler(engine: Engine, work: Path) -> None:
    """A compiler that links libFuzzer programs; for Debian's clang, its compiler-rt package is added if missing."""
    if _links_a_fuzzer(engine, work):
        return
    major = _clang_major(engine.cc)
    deps.ensure([f"libclang-rt-{major}-dev"], "libFuzzer's runtime")
    if not _links_a_fuzzer(engine, work):
        raise HarnessError(
            f"{engine.cc} cannot link a libFuzzer program with {engine.cflags} {engine.link}",
            hint=f"see {work / 'probe.log'}; Debian's clang-{major} needs libclang-rt-{major}-dev",
        )


def _clang_major(cc: str) -> str:
    result = subprocess.run([*shlex.split(cc), "-dumpversion"], capture_output=True, text=True)
    if result.returncode != 0:
        raise HarnessError(f"{cc} does not run", hint="install Debian's clang: apt-get install clang")
    return result.stdout.strip().split(".")[0]


def _links_a_fuzzer(engine: Engine, work: Path) -> bool:
    work.mkdir(parents=True, exist_ok=True)
    probe = work / "probe.c"
    probe.write_text(
        "#include <stddef.h>\n#include <stdint.h>\n"
        "int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) { return 0; }\n"
    )
    flags = [*engine.compile_flags, *shlex.split(engine.link)]
    command = [*shlex.split(engine.cc), *flags, str(probe), "-o", str(work / "probe")]
    result = subprocess.run(command, capture_output=True, text=True)
    (work / "probe.log").write_text(f"$ {shlex.join(command)}\n{result.stdout}{result.stderr}")
    return result.returncode == 0


def target_source(fuzzer_c: Path, unsupported: Iterable[str]) -> str:
    """fuzzer.c as this series compiles it: without the lines that use C API the series lacks."""
    text = fuzzer_c.read_text()
    for marker in unsupported:
        if marker not in text:
            raise HarnessError(
                f"{fuzzer_c} has no line with {marker!r} any more",
                hint="update the series' FuzzerProfile in pipe_cpython/series/profiles.py",
            )
        text = "".join(line for line in text.splitlines(keepends=True) if marker not in line)
    if f"{TARGET}(" not in text:
        raise HarnessError(f"{fuzzer_c} has no {TARGET} target", hint="take it from a later series (FuzzerProfile)")
    return text


def link(engine: Engine, source: str, tree: Path, build_dir: Path, python: list[str]) -> Path:
    """Compile `source` (fuzzer.c) for fuzz_pycompile alone and link it with the build's static libpython."""
    binary = build_dir / TARGET
    config = _config_vars(python, ("LIBRARY", "LINKFORSHARED", "LIBS", "MODLIBS", "SYSLIBS"))
    library = build_dir / config["LIBRARY"]
    source_file = build_dir / f"{TARGET}.c"
    if not source_file.exists() or source_file.read_text() != source:
        source_file.write_text(source)
    if binary.exists() and binary.stat().st_mtime >= max(library.stat().st_mtime, source_file.stat().st_mtime):
        log.detail(f"{binary} is up to date")
        return binary
    partial = binary.with_name(f".{TARGET}.partial")
    command = [
        *shlex.split(engine.cc), *engine.compile_flags, *shlex.split(engine.link),
        "-D_Py_FUZZ_ONE", f"-D_Py_FUZZ_{TARGET}",
        f"-I{build_dir}", f"-I{tree / 'Include'}", f"-I{tree / 'Include' / 'internal'}",
        str(source_file), str(library),
        *(flag for name in ("LINKFORSHARED", "LIBS", "MODLIBS", "SYSLIBS") for flag in shlex.split(config[name])),
        "-o", str(partial),
    ]  # fmt: skip
    with log.step(f"linking {TARGET} against {library.name}"):
        run_logged(command, build_dir, build_dir / f"{TARGET}-link.log", f"linking {TARGET}")
    os.replace(partial, binary)
    return binary


def _config_vars(python: list[str], names: Iterable[str]) -> dict[str, str]:
    names = list(names)
    code = f"import sysconfig\nfor name in {names!r}: print(sysconfig.get_config_var(name) or '')"
    result = subprocess.run([*python, "-c", code], capture_output=True, text=True)
    if result.returncode != 0:
        raise HarnessError(f"the build's interpreter cannot report its link flags:\n{result.stderr}")
    return dict(zip(names, result.stdout.splitlines(), strict=True))


def seeds(conformance: Path, spec: Path) -> dict[str, bytes]:
    """Seed inputs by name: the conformance suite's files and `|>` snippets, and the spec's code blocks."""
    programs = [path.read_text() for path in sorted(conformance.glob("test_*.py"))]
    programs += [snippet for path in sorted(conformance.glob("*.py")) for snippet in pipe_snippets(path.read_text())]
    programs += spec_snippets(spec.read_text())
    found = {}
    for program in programs:
        data = FILE_INPUT + program.encode()
        if len(data) <= MAX_INPUT:
            found[hashlib.sha1(data).hexdigest()] = data
    return found


def pipe_snippets(text: str) -> list[str]:
    """The string literals of a test file that hold `|>`: the programs the conformance suite compiles.

    Any Python's tokenizer reads the fork's files (`|>` is two operators to it),
    so no AST is needed.
    """
    found = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type == tokenize.STRING and "|>" in token.string:
            try:
                value = ast.literal_eval(token.string)
            except (ValueError, SyntaxError):  # an f-string: a template, not a program
                continue
            if isinstance(value, str):
                found.append(value)
    return found


def spec_snippets(text: str) -> list[str]:
    """The spec's code, fenced and inline, that holds `|>` (its tables escape `|` as `\\|`)."""
    code = ((match[1] or match[2]).replace("\\|", "|") for match in _CODE.finditer(text))
    return [snippet for snippet in code if "|>" in snippet]


def write_seeds(directory: Path, inputs: Mapping[str, bytes]) -> None:
    """The seed directory holds exactly `inputs` (the suite changes; stale seeds would linger)."""
    directory.mkdir(parents=True, exist_ok=True)
    for stale in set(os.listdir(directory)) - set(inputs):
        (directory / stale).unlink()
    for name, data in inputs.items():
        path = directory / name
        if not path.exists():
            path.write_bytes(data)


def dictionary(upstream: Path, extra: Path) -> str:
    """Upstream's dictionary with the fork's tokens added."""
    return f"{upstream.read_text().rstrip()}\n\n# pipe-cpython: {extra.name}\n{extra.read_text()}"


@dataclass
class Result:
    returncode: int
    seconds: float
    stats: dict[str, int] = field(default_factory=dict)
    coverage: int | None = None
    features: int | None = None
    artifacts: list[Path] = field(default_factory=list)


def arguments(user: list[str]) -> list[str]:
    """libFuzzer's flags: the user's, and the defaults for those the user left out."""
    given = {arg.partition("=")[0] for arg in user if arg.startswith("-")}
    defaults = {
        flag: value
        for flag, value in DEFAULT_ARGS.items()
        if flag not in given and not (flag in STOPPING_ARGS and given & set(STOPPING_ARGS))
    }
    return [*(f"{flag}={value}" for flag, value in defaults.items()), *user]


def run(
    command: list[str], corpus: Path, read_only: list[Path], dictionary_file: Path, crashes: Path, user: list[str]
) -> Result:
    """Run libFuzzer: new inputs go to `corpus`, findings to `crashes`; status lines are shown as it goes."""
    corpus.mkdir(parents=True, exist_ok=True)
    crashes.mkdir(parents=True, exist_ok=True)
    argv = [
        *command, f"-dict={dictionary_file}", f"-artifact_prefix={crashes}/", "-print_final_stats=1",
        *arguments(user), str(corpus), *map(str, read_only),
    ]  # fmt: skip
    log.detail(f"$ {shlex.join(argv)}")
    result = Result(returncode=0, seconds=0.0)
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace")
    shown = Shown()
    for line in proc.stdout:
        read_line(line, result)
        if log.verbose() or shown.wanted(line):
            sys.stderr.write(line)
    result.returncode = proc.wait()
    result.seconds = time.monotonic() - start
    return result


class Shown:
    """Which lines of libFuzzer's output a user wants to see without -v: not one per new input or new function,
    nor the compiler's warnings about an input, nor the dictionary libFuzzer recommends at the end (its status
    every so often, findings and errors are)."""

    def __init__(self) -> None:
        self.in_dictionary = False

    def wanted(self, line: str) -> bool:
        if line.startswith("###### Recommended dictionary"):
            self.in_dictionary = True
        elif line.startswith("###### End of recommended dictionary"):
            self.in_dictionary = False
            return False
        return not (self.in_dictionary or _EVERY_NEW.match(line) or _INPUT_WARNING.match(line))


def read_line(line: str, result: Result) -> None:
    """What one line of libFuzzer's output says: status, final statistics, a saved finding."""
    if match := _STATUS.match(line):
        result.coverage, result.features = int(match[3]), int(match[4])
    elif match := _STAT.match(line):
        result.stats[match[1]] = int(match[2])
    elif match := _ARTIFACT.search(line):
        result.artifacts.append(Path(match[1]))


def corpus_size(corpus: Path) -> tuple[int, int]:
    files = [path for path in corpus.iterdir() if path.is_file()]
    return len(files), sum(path.stat().st_size for path in files)


def summary(result: Result, corpus: Path) -> str:
    executions = result.stats.get("number_of_executed_units", 0)
    rate = result.stats.get("average_exec_per_sec", 0)
    inputs, size = corpus_size(corpus)
    coverage = f"coverage {result.coverage:,} edges, {result.features:,} features" if result.coverage else "no coverage"
    return (
        f"{executions:,} executions in {log.format_seconds(result.seconds)} ({rate:,}/s), {coverage}, "
        f"corpus {inputs:,} inputs ({size / 1024:,.0f} KiB) in {corpus}"
    )


def reproduction(command: list[str], artifact: Path) -> str:
    """One command line that replays a saved finding."""
    return shlex.join([*command, str(artifact)])


def describe(artifact: Path) -> str:
    """What the finding compiles: the start symbol and optimisation level its first two bytes choose, and its text."""
    data = artifact.read_bytes()
    if len(data) < 2:
        return f"{len(data)} bytes (too short for fuzz_pycompile to compile)"
    start = ("eval", "single", "exec")[data[0] % 3]
    optimize = (-1, 0, 1, 2)[data[1] % 4]
    text = data[2:].decode(errors="replace")
    shown = text if len(text) <= 400 else text[:400] + " ..."
    return f"compile(..., mode={start!r}, optimize={optimize}) of {shown!r}"


# Never imported by the compiler target; left out of $OUT to keep the image small.
BUNDLE_LEFT_OUT = ("test", "idlelib", "tkinter", "turtledemo", "__pycache__")


def bundle(
    binary: Path, stdlib: Path, build: Path, series: str, dictionary_text: str, inputs: Mapping[str, bytes], out: Path
) -> list[Path]:
    """What OSS-Fuzz wants in $OUT: the target, its dictionary, its seed corpus as a zip, and beside the target
    the standard library it starts with (`stdlib`, a tree's Lib/, and `build`'s own built modules), where the
    interpreter looks first: lib/pythonX.Y next to the executable. Without it the target cannot import
    `encodings` and exits at its first input."""
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy2(binary, out / TARGET)
    lib = out / "lib" / f"python{series}"
    shutil.rmtree(lib, ignore_errors=True)
    shutil.copytree(stdlib, lib, ignore=shutil.ignore_patterns(*BUNDLE_LEFT_OUT))
    built = build / (build / "pybuilddir.txt").read_text().strip()
    shutil.copytree(built, lib / "lib-dynload", ignore=shutil.ignore_patterns("*.o", "__pycache__"))
    (out / f"{TARGET}.dict").write_text(dictionary_text)
    with zipfile.ZipFile(out / f"{TARGET}_seed_corpus.zip", "w") as archive:
        for name, data in sorted(inputs.items()):
            archive.writestr(name, data)
    return [out / TARGET, lib, out / f"{TARGET}.dict", out / f"{TARGET}_seed_corpus.zip"]
