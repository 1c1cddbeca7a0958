"""CPython's own REPL, PyREPL (3.13 on), in the page.

The worker makes stdin, stdout and stderr a terminal: a pty whose line
discipline runs in the page (npm `xterm-pty`), reached through shared memory,
so `_pyrepl` runs as it does on a laptop: raw mode and termios, the window's
size (a resize is a SIGWINCH), blocking reads that Ctrl-C interrupts, colours,
multi-line editing, Ctrl-R, Tab, F1-F3. This module adds what the page needs
around it, through the worker's /dev/pipe-page device (a JSON message per
write):

- each statement the REPL ran (`ran`), as the lines one would type at the basic
  console (a block ends with an empty line), which the page's share links
  carry; a link's lines run first, each shown at its prompt;
- the history file after each statement (`history`), which the page keeps
  across visits and writes back into ~/.python_history before the next start.

Where PyREPL cannot run (no terminal), the page's basic console runs instead.
"""

from __future__ import annotations

import json
import os
import sys

import pipe_console

PAGE_DEVICE = "/dev/pipe-page"
HISTORY = os.path.expanduser("~/.python_history")


def tell_page(kind: str, **payload) -> None:
    with open(PAGE_DEVICE, "w") as device:
        device.write(json.dumps({"kind": kind, **payload}))


def preload() -> None:
    """Import what PyREPL imports before its first prompt (the page's stdlib core is measured by running this)."""
    from _pyrepl import console, readline, simple_interact, unix_console, utils  # noqa: F401

    utils.gen_colors("2 |> str")


def interact(shared: str = "[]") -> None:
    """PyREPL in the namespace of __main__, as `python` runs it on a terminal, after the lines of a share link
    (`shared`, a JSON list)."""
    from _pyrepl import readline, simple_interact
    from _pyrepl.console import InteractiveColoredConsole

    pipe_console.install_wheels()
    problem = simple_interact.check()
    if problem:
        print(f"PyREPL cannot run here ({problem}); the page's basic console runs instead.", file=sys.stderr)
        pipe_console.interact()
        return

    class PageConsole(InteractiveColoredConsole):
        def runsource(self, source: str, filename: str = "<input>", symbol: str = "single") -> bool:
            more = super().runsource(source, filename, symbol)
            if not more:
                lines = source.rstrip("\n").split("\n")
                tell_page("ran", lines=[*lines, ""] if len(lines) > 1 else lines)
            return more

    # PyREPL appends each statement to the history file; the page keeps the file (it lives in memory here).
    append = simple_interact.append_history_file

    def append_and_keep(*args, **kwargs) -> None:
        append(*args, **kwargs)
        with open(HISTORY, encoding="utf-8", errors="replace") as history:
            tell_page("history", text=history.read())

    simple_interact.append_history_file = append_and_keep
    namespace = sys.modules["__main__"].__dict__
    readline._setup(namespace)
    if os.path.exists(HISTORY):
        readline.read_history_file(HISTORY)
    sys.ps1, sys.ps2 = ">>> ", "... "
    print(pipe_console.BANNER.replace("Tab completes.", "F1 help, F2 history, F3 paste mode."))
    console = PageConsole(namespace, filename="<stdin>")
    more = False
    for line in json.loads(shared):
        print((sys.ps2 if more else sys.ps1) + line)
        more = console.push(line)
    console.resetbuffer()
    simple_interact.run_multiline_interactive_console(console)


if __name__ == "__main__":
    interact()
