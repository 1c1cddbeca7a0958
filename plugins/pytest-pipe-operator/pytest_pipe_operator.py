"""pytest's assertion rewriting for the `|>` operator of pipe-cpython's fork.

pytest's rewriter explains each operator through a table of their spellings and each call
through its callable and arguments. `x |> f` is the call `f(x)` with the operand evaluated
first, so it is explained as a call is, keeping that order: the operand, the callable,
and what the call gave (`where 4 = 2 |> double`).
"""

from __future__ import annotations

import ast

from _pytest.assertion import rewrite

SYMBOL = "|>"


def _visit_pipe(rewriter: rewrite.AssertionRewriter, pipe: ast.BinOp) -> tuple[ast.Name, str]:
    """The rewritten `x |> f`: the operand, then the callable, each kept in a temporary; the pipe of the two."""
    operand, operand_explanation = rewriter.visit(pipe.left)
    callable_, callable_explanation = rewriter.visit(pipe.right)
    result = rewriter.assign(ast.copy_location(ast.BinOp(operand, pipe.op, callable_), pipe))
    shown = rewriter.explanation_param(rewriter.display(result))
    return result, f"{shown}\n{{{shown} = {operand_explanation} {SYMBOL} {callable_explanation}\n}}"


def install() -> bool:
    """Teach the rewriter `|>` where the interpreter has it; whether it is taught now."""
    pipe = getattr(ast, "Pipe", None)
    if pipe is None:
        return False
    original = rewrite.AssertionRewriter.visit_BinOp
    if getattr(original, "teaches_pipe", False):
        return True

    def visit_BinOp(self: rewrite.AssertionRewriter, binop: ast.BinOp) -> tuple[ast.Name, str]:
        if isinstance(binop.op, pipe):
            return _visit_pipe(self, binop)
        return original(self, binop)

    visit_BinOp.teaches_pipe = True
    rewrite.AssertionRewriter.visit_BinOp = visit_BinOp
    rewrite.BINOP_MAP[pipe] = SYMBOL
    return True


# At import: pytest imports its entry-point plugins before it rewrites any test module or conftest.
TAUGHT = install()


def pytest_report_header() -> str | None:
    return "pipe operator: assertion rewriting explains |>" if TAUGHT else None
