"""Running long commands: output to a log file, a heartbeat on the terminal, the tail on failure."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

from ..core import log
from ..core.errors import HarnessError

_HEARTBEAT_SECONDS = 15.0
_OUTPUT_FILE = re.compile(r"-o (\S+\.(?:o|so))\b")


def default_sigint() -> None:
    """For preexec_fn: SIGINT as a fresh process has it.

    A command started with `&` from a script ignores SIGINT, and so do its
    children; CPython's suite tests Ctrl-C, and would fail those tests for
    who started it rather than for what it tests.
    """
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def run_logged(cmd: list[str], cwd: Path, log_file: Path, what: str, env: dict[str, str] | None = None) -> None:
    """Run `cmd`, keeping its output in `log_file`; show progress; explain failure with the log's tail."""
    log.detail(f"$ {' '.join(cmd)}  (in {cwd}, log {log_file})")
    log_file.parent.mkdir(parents=True, exist_ok=True)
    state = {"lines": 0, "last": ""}
    with open(log_file, "w") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            errors="replace",
            env={**os.environ, **(env or {})},
            # Its own process group, so an interrupt reaches make and every compiler it started.
            start_new_session=True,
        )
        stop = threading.Event()
        beat = threading.Thread(target=_heartbeat, args=(what, state, stop), daemon=True)
        beat.start()
        try:
            for line in proc.stdout:
                out.write(line)
                state["lines"] += 1
                if match := _OUTPUT_FILE.search(line):
                    state["last"] = match[1]
                if log.verbose():
                    sys.stderr.write(line)
            returncode = proc.wait()
        except KeyboardInterrupt:
            _stop_group(proc)
            raise
        finally:
            stop.set()
            beat.join()
    if returncode != 0:
        tail = "".join(log_file.read_text(errors="replace").splitlines(keepends=True)[-40:])
        raise HarnessError(
            f"{what} failed (exit {returncode}); last lines of {log_file}:\n{tail}",
            hint=f"the full output is in {log_file}",
        )


def _stop_group(proc: subprocess.Popen) -> None:
    """Interrupt the command's whole process group, as Ctrl-C in a terminal would; kill it if it lingers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGINT)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def _heartbeat(what: str, state: dict, stop: threading.Event) -> None:
    start = time.monotonic()
    while not stop.wait(_HEARTBEAT_SECONDS):
        last = f", last built {state['last']}" if state["last"] else ""
        log.info(f"  {what}: {log.format_seconds(time.monotonic() - start)}, {state['lines']} lines of output{last}")
