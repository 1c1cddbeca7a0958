"""pylint (astroid) reads `x |> f`, the pipe operator of pipe-cpython's fork, as the call `f(x)`.

astroid rebuilds the interpreter's `ast` into nodes of its own and has no node for `|>`.
pylint loads its plugins before it builds any module, so this one teaches astroid's rebuilder,
at load, to build the pipe as the call it compiles to, with the pipe's position.
"""

from __future__ import annotations

import ast

from astroid import nodes
from astroid.rebuilder import TreeRebuilder


def _visit_pipe(rebuilder: TreeRebuilder, pipe: ast.BinOp, parent: nodes.NodeNG) -> nodes.Call:
    call = nodes.Call(
        lineno=pipe.lineno,
        col_offset=pipe.col_offset,
        end_lineno=pipe.end_lineno,
        end_col_offset=pipe.end_col_offset,
        parent=parent,
    )
    call.postinit(func=rebuilder.visit(pipe.right, call), args=[rebuilder.visit(pipe.left, call)], keywords=[])
    return call


def install() -> bool:
    """Teach astroid's rebuilder `|>` where the interpreter has it; whether it is taught now."""
    pipe = getattr(ast, "Pipe", None)
    if pipe is None:
        return False
    original = TreeRebuilder.visit_binop
    if getattr(original, "teaches_pipe", False):
        return True

    def visit_binop(self: TreeRebuilder, binop: ast.BinOp, parent: nodes.NodeNG):
        if isinstance(binop.op, pipe):
            return _visit_pipe(self, binop, parent)
        return original(self, binop, parent)

    visit_binop.teaches_pipe = True
    TreeRebuilder.visit_binop = visit_binop
    return True


def register(linter) -> None:
    """pylint's plugin hook: nothing to register, the rebuilder is taught at import."""


install()
