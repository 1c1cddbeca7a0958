"""mypy reads `x |> f`, the pipe operator of pipe-cpython's fork, as the call `f(x)`.

mypy's Python parser parses with the `ast` of the interpreter it runs on, then converts each
node to its own tree; it has no node for `|>`. mypy loads its plugins before it parses any file,
so this one teaches the converter, at load, to turn the pipe into the call it compiles to, at the
pipe's position, and selects that parser: mypy 2's default, a native one of its own (in Rust), has
its own grammar, without `|>`. Types, errors and `reveal_type` are then those of `f(x)`.
"""

from __future__ import annotations

import ast

from mypy import fastparse
from mypy.nodes import ARG_POS, CallExpr
from mypy.options import Options
from mypy.plugin import Plugin

PURE_MYPY = "pip install --no-binary mypy mypy"


def _visit_pipe(converter: fastparse.ASTConverter, pipe: ast.BinOp) -> CallExpr:
    call = CallExpr(converter.visit(pipe.right), [converter.visit(pipe.left)], [ARG_POS], [None])
    return converter.set_line(call, pipe)


def install() -> bool:
    """Teach mypy's converter `|>` where the interpreter has it; whether it is taught now."""
    pipe = getattr(ast, "Pipe", None)
    if pipe is None:
        return False
    original = fastparse.ASTConverter.visit_BinOp
    if getattr(original, "teaches_pipe", False):
        return True

    def visit_BinOp(self: fastparse.ASTConverter, binop: ast.BinOp):
        if isinstance(binop.op, pipe):
            return _visit_pipe(self, binop)
        return original(self, binop)

    visit_BinOp.teaches_pipe = True
    try:
        fastparse.ASTConverter.visit_BinOp = visit_BinOp
    except TypeError as exc:  # a class compiled by mypyc takes no new methods
        raise RuntimeError(
            f"mypy_pipe_operator needs mypy's pure-Python build, not the compiled one: {PURE_MYPY}"
        ) from exc
    return True


class PipeOperatorPlugin(Plugin):
    """Nothing to hook after parsing: `|>` is a call by then."""

    def __init__(self, options: Options) -> None:
        super().__init__(options)
        # Plugins are made before any file is parsed: the Python parser is the one that reads the fork's `ast`.
        options.native_parser = False


def plugin(version: str) -> type[Plugin]:
    install()
    return PipeOperatorPlugin
