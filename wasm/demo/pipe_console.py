"""The page's interactive console: CPython's own REPL loop (`code`), which also answers the page's Tab key.

The page edits each line itself and hands the interpreter whole lines on
stdin, so the interpreter cannot see a Tab. Instead the page sends a request
line, REQUEST and the text before the cursor, and this console answers with
`rlcompleter`'s matches (the terminal REPL's completer) in a control message
on stdout, which the page takes out of the output. Control messages are OSC
escape sequences with a private number, so a terminal that received one by
accident would ignore it. The console also says when it is the one waiting
for a line: Tab then completes; in `input()` or `help()`, it indents.

Where the page cannot be cross-origin isolated, the interpreter cannot wait
for stdin, so each line the user enters runs the whole session again in a
new interpreter (`interact(replay=N)`): the first N lines of stdin are the
session so far, whose output the page shows already, so the console is silent
until it has read the last of them, then shows what that line prints and the
next prompt, and says where the last complete statement ended (for Ctrl-C).

Stdlib only, and runs unchanged on every series the page is built from.
"""

from __future__ import annotations

import code
import json
import os
import rlcompleter
import sys

CONTROL = "\x1b]7707;"  # OSC 7707: private; terminals ignore OSC numbers they do not know
END = "\x07"
REQUEST = CONTROL + "complete;"
# Where a word to complete begins: readline's default delimiters, which the terminal REPL completes with.
DELIMITERS = frozenset(" \t\n`~!@#$%^&*()-=+[{]}\\|;:'\",<>/?")
BANNER = (
    f"Python {sys.version.split()[0]} with the |> operator, WebAssembly in your browser ({sys.platform})\n"
    "Type an expression, e.g. [3, 1, 2] |> sorted, or click an example. Tab completes."
)


def control(kind: str, payload: object = None) -> None:
    """Write one control message for the page to stdout (the real one, even while a replay is silent)."""
    sys.__stdout__.write(f"{CONTROL}{kind};{json.dumps(payload)}{END}")
    sys.__stdout__.flush()


def word_start(text: str) -> int:
    """Where the word that ends `text` begins, as readline splits it."""
    start = len(text)
    while start > 0 and text[start - 1] not in DELIMITERS:
        start -= 1
    return start


def matches(completer: rlcompleter.Completer, word: str) -> list[str]:
    """Every completion of `word`, in rlcompleter's order, each once."""
    if not word:
        return []  # rlcompleter's answer there is a tab to insert, which is the page's to decide
    found: list[str] = []
    for state in range(10_000):
        try:
            match = completer.complete(word, state)
        except Exception:  # the terminal REPL's readline also swallows a completer's errors
            break
        if match is None:
            break
        if match not in found:
            found.append(match)
    return found


class PageConsole(code.InteractiveConsole):
    def __init__(self, namespace: dict, replay: int | None = None) -> None:
        # "<stdin>", as the terminal REPL names what it compiles, so tracebacks read the same.
        super().__init__(namespace, filename="<stdin>")
        self.completer = rlcompleter.Completer(namespace)
        self.replay = replay
        self.lines_read = 0
        self.statement_start = 0  # lines read when the console last waited for a new statement
        if replay:
            silence()

    def raw_input(self, prompt: str = "") -> str:
        if not self.buffer:
            self.statement_start = self.lines_read
        control("prompt")
        while True:
            try:
                line = input(prompt)
            except EOFError:
                if self.replay is not None:
                    silence()  # what interact() writes on leaving
                raise
            if not line.startswith(REQUEST):
                self.lines_read += 1
                if self.lines_read == self.replay:
                    sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
                return line
            text = line[len(REQUEST) :]
            word = text[word_start(text) :]
            control("completions", {"word": word, "matches": matches(self.completer, word)})
            prompt = ""  # the page keeps its prompt and line on the screen


def silence() -> None:
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for as long as the replay runs


def interact(replay: int | None = None) -> None:
    """The REPL, in the namespace of __main__, as `python -i` would run it; see the module's doc for `replay`."""
    console = PageConsole(sys.modules["__main__"].__dict__, replay)
    console.interact(banner=BANNER, exitmsg="")
    if replay is not None:
        control("replayed", {"statement_start": console.statement_start})


if __name__ == "__main__":
    interact()
