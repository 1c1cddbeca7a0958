"""Real-world code through the fork: every .py file of pinned PyPI packages, and of the release's own Lib/.

The packages (tests/realworld/requirements.txt, pinned by version and
sha256) are downloaded once by pip into the cache, never at import time.
Each file goes through the fuzzer's oracle (tests/differential/oracle.py):
- the patched and the pristine interpreter must give the same tokens, the
  same AST with positions and the same code objects, or the same error;
- in the patched interpreter, every one-argument call `f(x)` turned into
  `x |> f` must survive `ast.unparse` and parse back into the same calls.
"""

from __future__ import annotations

import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..core import log
from ..core.errors import HarnessError
from .fuzz import PROGRESS_SECONDS, Oracle, ask_both, disagreements

# pip picks the wheel a 3.13 interpreter would, whatever runs pip: the pins are pure-Python wheels.
_WHEEL_TAGS = ("--only-binary=:all:", "--python-version", "3.13", "--implementation", "py", "--abi", "none")


def pinned_wheels(requirements: Path) -> list[str]:
    """The `name==version` of each pin."""
    lines = (line.split("#", 1)[0].split() for line in requirements.read_text().splitlines())
    return [words[0] for words in lines if words]


def fetch(requirements: Path, directory: Path) -> list[Path]:
    """The pinned wheels, downloaded by pip (hashes required) into `directory` unless all are there.

    Only the pinned ones: a wheel an older pin left in the directory is not checked.
    """
    directory.mkdir(parents=True, exist_ok=True)
    wanted = pinned_wheels(requirements)
    if len(_present(wanted, directory)) < len(wanted):
        command = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--require-hashes", *_WHEEL_TAGS]
        command += ["--platform", "any", "-d", str(directory), "-r", str(requirements)]
        with log.step(f"downloading {len(wanted)} pinned packages into {directory} (once)"):
            result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise HarnessError(
                f"pip could not download the pinned packages:\n{result.stderr[-2000:]}",
                hint=f"check pip's index settings; a pin that no longer matches is fixed in {requirements}",
            )
    return _present(wanted, directory)


def _present(wanted: list[str], directory: Path) -> list[Path]:
    """The wheels in `directory` that are pinned (a wheel's name is `name_with_underscores-version-...`)."""
    stems = {f"{name.replace('-', '_')}-{version}-".lower() for name, version in (p.split("==") for p in wanted)}
    return sorted(w for w in directory.glob("*.whl") if any(w.name.lower().startswith(stem) for stem in stems))


def sources(wheels: list[Path], lib: Path) -> Iterator[tuple[str, str]]:
    """(where, text) of every .py file in the wheels, then in the release's Lib/."""
    for wheel in wheels:
        with zipfile.ZipFile(wheel) as archive:
            for name in sorted(n for n in archive.namelist() if n.endswith(".py")):
                yield f"{wheel.name}:{name}", archive.read(name).decode("utf-8", errors="replace")
    for path in sorted(lib.rglob("*.py")):
        yield str(path.relative_to(lib.parent)), path.read_text(encoding="utf-8", errors="replace")


@dataclass
class Result:
    counts: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


def check(patched: list[str], pristine: list[str], oracle: Path, files: list[tuple[str, str]]) -> Result:
    """Every file compared between the two interpreters, then its calls piped and round-tripped."""
    first, second = Oracle(patched, oracle), Oracle(pristine, oracle)
    result, shown = Result(), time.monotonic()
    try:
        for done, (where, text) in enumerate(files, 1):
            origin = "Lib/" if where.startswith("Lib/") else "packages"
            result.counts[f"{origin} files"] += 1
            result.counts[f"{origin} lines"] += text.count("\n")
            differences = disagreements(*ask_both(first, second, "inspect", source=text))
            result.problems += [f"{where}: {difference}" for difference in differences]
            answer = first.ask("round_trip", source=text, seed=0, ratio=1.0)
            if "pipes" in answer:
                result.counts[f"{origin} calls piped"] += answer["pipes"]
            elif "skipped" in answer:
                result.counts[f"{origin} files not piped: {answer['skipped']}"] += 1
            if "problem" in answer or "crash" in answer:
                result.problems.append(f"{where}: {answer.get('problem') or answer['crash']}")
            if time.monotonic() - shown > PROGRESS_SECONDS:
                log.info(f"  {done}/{len(files)} files, {len(result.problems)} problems so far")
                shown = time.monotonic()
    finally:
        first.close()
        second.close()
    return result
