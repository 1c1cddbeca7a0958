"""The page's interactive console: the terminal REPL's loop in a few lines of Python, which also answers Tab.

It compiles as CPython's REPL does (`codeop`, which tells incomplete input
from a syntax error, in "single" mode, so expression values go through
sys.displayhook) and reports errors through sys.excepthook, as the C REPL
does; unlike `code.InteractiveConsole` it imports nothing more at start-up
(`code` and `rlcompleter` bring `inspect`, `re` and `enum`, which cost the
page a third of a second before its first prompt).

The page edits each line itself and hands the interpreter whole lines on
stdin, so the interpreter cannot see a Tab. Instead the page sends a request
line, REQUEST and the text before the cursor, and this console answers with
`rlcompleter`'s matches (the terminal REPL's completer, imported at the first
Tab) in a control message on stdout, which the page takes out of the output.
Control messages are OSC escape sequences with a private number, so a
terminal that received one by accident would ignore it. The console also says
when it is the one waiting for a line: Tab then completes; in `input()` or
`help()`, it indents.

Where the page cannot be cross-origin isolated, the interpreter cannot wait
for stdin, so each line the user enters runs the whole session again in a
new interpreter (`interact(replay=N)`): the first N lines of stdin are the
session so far, whose output the page shows already, so the console is silent
until it has read the last of them, then shows what that line prints and the
next prompt, and says where the last complete statement ended (for Ctrl-C).

Stdlib only, and runs unchanged on every series the page is built from.
"""

from __future__ import annotations

import codeop
import os
import sys

import pipe_stdlib

# Where the page fetches stdlib modules on import (3.14 on), before anything else is imported.
pipe_stdlib.install()

CONTROL = "\x1b]7707;"  # OSC 7707: private; terminals ignore OSC numbers they do not know
END = "\x07"
REQUEST = CONTROL + "complete;"
WHEELS = "/wheels"  # where worker.js writes the wheels the page fetched
# Where a word to complete begins: readline's default delimiters, which the terminal REPL completes with.
DELIMITERS = frozenset(" \t\n`~!@#$%^&*()-=+[{]}\\|;:'\",<>/?")
BANNER = (
    f"Python {sys.version.split()[0]} with the |> operator, WebAssembly in your browser ({sys.platform})\n"
    "Type an expression, e.g. [3, 1, 2] |> sorted, or click an example. Tab completes."
)


def control(kind: str, payload: str = "null") -> None:
    """Write one control message (`payload` is JSON) to the real stdout, even while a replay is silent."""
    sys.__stdout__.write(f"{CONTROL}{kind};{payload}{END}")
    sys.__stdout__.flush()


def word_start(text: str) -> int:
    """Where the word that ends `text` begins, as readline splits it."""
    start = len(text)
    while start > 0 and text[start - 1] not in DELIMITERS:
        start -= 1
    return start


def matches(completer, word: str) -> list[str]:
    """Every completion of `word` by an rlcompleter.Completer, in its order, each once."""
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


def silence() -> None:
    sys.stdout = sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for as long as the replay runs


class PageConsole:
    def __init__(self, namespace: dict, replay: int | None = None) -> None:
        self.namespace = namespace
        self.compile = codeop.CommandCompiler()  # remembers `from __future__` imports, as the REPL does
        self.buffer: list[str] = []
        self.completer = None
        self.replay = replay
        self.lines_read = 0
        self.statement_start = 0  # lines read when the console last waited for a new statement
        if replay:
            silence()

    def interact(self) -> None:
        """Read, compile and run until the end of stdin (or SystemExit, which leaves through here)."""
        # Set only in interactive mode; the page's prompts are the REPL's, and the user may change them.
        sys.ps1 = getattr(sys, "ps1", ">>> ")
        sys.ps2 = getattr(sys, "ps2", "... ")
        print(BANNER)
        while True:
            try:
                line = self.raw_input(sys.ps2 if self.buffer else sys.ps1)
            except EOFError:
                return
            except KeyboardInterrupt:
                sys.stderr.write("\nKeyboardInterrupt\n")
                self.buffer = []
                continue
            self.push(line)

    def push(self, line: str) -> None:
        self.buffer.append(line)
        try:
            code = self.compile("\n".join(self.buffer), "<stdin>", "single")
        except (OverflowError, SyntaxError, ValueError) as error:
            self.buffer = []
            show(error.with_traceback(None))
            return
        if code is None:
            return  # incomplete: the next line continues it
        self.buffer = []
        try:
            exec(code, self.namespace)
        except SystemExit:
            raise
        except BaseException as error:
            show(error.with_traceback(error.__traceback__.tb_next))  # from the user's code on, not this frame

    def raw_input(self, prompt: str) -> str:
        if not self.buffer:
            self.statement_start = self.lines_read
        control("prompt")
        while True:
            try:
                line = input(prompt)
            except EOFError:
                if self.replay is not None:
                    silence()
                raise
            if line.startswith(REQUEST):
                self.answer(line[len(REQUEST) :])
                prompt = ""  # the page keeps its prompt and line on the screen
                continue
            self.lines_read += 1
            if self.lines_read == self.replay:
                sys.stdout, sys.stderr = sys.__stdout__, sys.__stderr__
            return line

    def answer(self, text: str) -> None:
        import json
        import rlcompleter

        self.completer = self.completer or rlcompleter.Completer(self.namespace)
        word = text[word_start(text) :]
        control("completions", json.dumps({"word": word, "matches": matches(self.completer, word)}))


def show(error: BaseException) -> None:
    """Print an error as the REPL does, and keep it where pdb.pm() and friends look."""
    sys.last_type, sys.last_value, sys.last_traceback = type(error), error, error.__traceback__
    sys.last_exc = error
    sys.excepthook(type(error), error, error.__traceback__)


def install_wheels(wheels: str = WHEELS) -> None:
    """Unpack the wheels the page fetched into site-packages, and put it on sys.path (site ran before they came).

    Unpacked rather than imported from the zip: a C extension is loaded from a file.
    """
    if not os.path.isdir(wheels):
        return
    import zipfile

    target = os.path.join(sys.prefix, "lib", f"python{sys.version_info[0]}.{sys.version_info[1]}", "site-packages")
    for name in sorted(os.listdir(wheels)):
        with zipfile.ZipFile(os.path.join(wheels, name)) as wheel:
            for member in wheel.infolist():
                top, _, inside = member.filename.partition("/")
                if top.endswith(".data"):
                    # A wheel's .data/purelib and platlib go to site-packages too; its scripts and headers nowhere.
                    scheme, _, inside = inside.partition("/")
                    if scheme not in ("purelib", "platlib"):
                        continue
                else:
                    inside = member.filename
                if member.is_dir():
                    continue
                path = os.path.join(target, inside)
                os.makedirs(os.path.dirname(path), exist_ok=True)
                with open(path, "wb") as file:
                    file.write(wheel.read(member))
    if target not in sys.path:
        sys.path.append(target)


def interact(replay: int | None = None) -> None:
    """The REPL, in the namespace of __main__, as `python -i` would run it; see the module's doc for `replay`."""
    install_wheels()
    console = PageConsole(sys.modules["__main__"].__dict__, replay)
    console.interact()
    if replay is not None:
        control("replayed", f'{{"statement_start": {console.statement_start}}}')


if __name__ == "__main__":
    interact()
