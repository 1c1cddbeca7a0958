"""Helpers shared by the conformance tests."""

import ast


def double(v):
    """A plain Python function to pipe into."""
    return v * 2


def increment(v):
    return v + 1


def dump(source, mode="eval"):
    """The AST of `source` without positions, for comparing parenthesisations."""
    return ast.dump(ast.parse(source, mode=mode))


def syntax_error(source, mode="exec"):
    """The SyntaxError that compiling `source` raises (AssertionError if none)."""
    try:
        compile(source, "<conformance>", mode)
    except SyntaxError as exc:
        return exc
    raise AssertionError(f"no SyntaxError for {source!r}")


class Recorder:
    """Records the order in which operands are evaluated and callables called."""

    def __init__(self):
        self.events = []

    def value(self, name, value):
        self.events.append(name)
        return value

    def func(self, name, result=lambda x: x):
        def stage(x):
            self.events.append(f"call {name}({x!r})")
            return result(x)

        self.events.append(name)
        return stage
