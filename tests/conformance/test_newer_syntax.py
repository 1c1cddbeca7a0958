"""Spec section 8: `|>` with the syntax and machinery of newer series (template strings, deferred annotations,
unparenthesised except lists, ast.compare, optimized ASTs, the REPL's colours).

Each test runs where its feature exists and is skipped, with the reason, where it does not. The sources are
compiled from strings, so this module itself parses on every series.
"""

import ast
import sys
import tokenize
import unittest
from io import StringIO

from support import double, syntax_error

PY313 = sys.version_info >= (3, 13)
PY314 = sys.version_info >= (3, 14)


def run(source, **names):
    """Execute `source` with `double` and `names` as globals; the namespace afterwards."""
    namespace = {"double": double, **names}
    exec(compile(source, "<newer>", "exec"), namespace)
    return namespace


@unittest.skipUnless(PY314, "template strings are new in 3.14 (PEP 750)")
class TemplateStringTests(unittest.TestCase):
    def interpolation(self, source, **names):
        template = run(f"t = {source}", **names)["t"]
        (interpolation,) = template.interpolations
        return interpolation

    def test_value_is_the_call(self):
        self.assertEqual(self.interpolation("t'{3 |> double}'").value, 6)

    def test_expression_is_the_source_text(self):
        self.assertEqual(self.interpolation("t'{3 |> double}'").expression, "3 |> double")
        # Whitespace is kept as upstream keeps it for any operator (leading kept, trailing dropped).
        self.assertEqual(
            self.interpolation("t'{ 3|>double }'").expression,
            self.interpolation("t'{ 3|double }'", double=2).expression.replace("|", "|>"),
        )

    def test_conversion_and_format_spec(self):
        interpolation = self.interpolation("t'{3 |> double!r:>4}'")
        self.assertEqual((interpolation.value, interpolation.conversion, interpolation.format_spec), (6, "r", ">4"))

    def test_format_spec_with_a_nested_pipe(self):
        interpolation = self.interpolation("t'{3 |> double:>{2 |> double}}'")
        self.assertEqual((interpolation.value, interpolation.format_spec), (6, ">4"))

    def test_self_documenting(self):
        template = run("t = t'{3 |> double=}'")["t"]
        self.assertEqual(template.strings, ("3 |> double=", ""))
        (interpolation,) = template.interpolations
        self.assertEqual((interpolation.value, interpolation.expression, interpolation.conversion), (6, "3 |> double", "r"))

    def test_operand_evaluated_before_callable(self):
        events = []

        def operand():
            events.append("operand")
            return 1

        def callable_():
            events.append("callable")
            return double

        self.assertEqual(self.interpolation("t'{operand() |> callable_()}'", operand=operand, callable_=callable_).value, 2)
        self.assertEqual(events, ["operand", "callable"])

    def test_template_piped_into_a_renderer(self):
        render = run("from string.templatelib import Template\nr = t'{2 |> double}' |> (lambda t: t.values)")["r"]
        self.assertEqual(render, (4,))

    def test_bare_lambda_message(self):
        exc = syntax_error("t'{3 |> lambda v: v}'")
        self.assertIn("'lambda' after '|>' must be parenthesized", exc.msg)

    def test_parenthesised_lambda(self):
        self.assertEqual(self.interpolation("t'{3 |> (lambda v: v + 1)}'").value, 4)

    def test_ast(self):
        tree = ast.parse("t'{x |> f}'", mode="eval").body
        self.assertIsInstance(tree, ast.TemplateStr)
        (interpolation,) = tree.values
        self.assertIsInstance(interpolation.value, ast.BinOp)
        self.assertIsInstance(interpolation.value.op, ast.Pipe)
        self.assertEqual(interpolation.str, "x |> f")

    def test_unparse_round_trip(self):
        for source in ("t'{x |> f}'", "t'{x |> f!r:>4}'", "t'{(x |> f) |> g}'"):
            with self.subTest(source):
                self.assertEqual(ast.dump(ast.parse(ast.unparse(ast.parse(source)))), ast.dump(ast.parse(source)))

    def test_tokens(self):
        tokens = list(tokenize.generate_tokens(StringIO("t'{x |> f}'\n").readline))
        names = [tokenize.tok_name[t.type] for t in tokens]
        self.assertEqual(names[:7], ["TSTRING_START", "OP", "NAME", "OP", "NAME", "OP", "TSTRING_END"])
        self.assertEqual(tokens[3].exact_type, tokenize.PIPE)


@unittest.skipUnless(PY314, "annotations are deferred from 3.14 on (PEP 649, PEP 749)")
class DeferredAnnotationTests(unittest.TestCase):
    SOURCE = (
        "def f(a: 3 |> stage) -> 4 |> stage: pass\n"
        "class C:\n"
        "    attr: 5 |> stage\n"
        "x: 6 |> stage\n"
    )

    def recording_stage(self):
        calls = []

        def stage(v):
            calls.append(v)
            return v * 2

        return stage, calls

    def test_evaluated_only_on_access(self):
        stage, calls = self.recording_stage()
        namespace = run(self.SOURCE, stage=stage)
        self.assertEqual(calls, [])
        self.assertEqual(namespace["f"].__annotations__, {"a": 6, "return": 8})
        self.assertEqual(namespace["C"].__annotations__, {"attr": 10})
        self.assertEqual(namespace["__annotate__"](1), {"x": 12})
        self.assertEqual(calls, [3, 4, 5, 6])

    def test_annotationlib_formats(self):
        import annotationlib

        stage, _ = self.recording_stage()
        function = run(self.SOURCE, stage=stage)["f"]
        get = annotationlib.get_annotations
        self.assertEqual(get(function, format=annotationlib.Format.VALUE), {"a": 6, "return": 8})
        self.assertEqual(get(function, format=annotationlib.Format.FORWARDREF), {"a": 6, "return": 8})
        # STRING evaluates the annotation with names that record what is done to them: the pipe is the call it
        # compiles to (the operator has no special method), so it is written as the call.
        self.assertEqual(get(function, format=annotationlib.Format.STRING), {"a": "stage(3)", "return": "stage(4)"})

    def test_forward_reference_to_an_undefined_callable(self):
        import annotationlib

        function = run("def f(a: 3 |> later): pass")["f"]
        with self.assertRaises(NameError):
            function.__annotations__
        (reference,) = annotationlib.get_annotations(function, format=annotationlib.Format.FORWARDREF).values()
        self.assertIsInstance(reference, annotationlib.ForwardRef)
        self.assertEqual(reference.__forward_arg__, "later(3)")
        self.assertEqual(reference.evaluate(globals={"later": double}), 6)

    def test_future_annotations_keep_the_source(self):
        namespace = run("from __future__ import annotations\n" + self.SOURCE, stage=None)
        self.assertEqual(namespace["f"].__annotations__, {"a": "3 |> stage", "return": "4 |> stage"})
        self.assertEqual(namespace["C"].__annotations__, {"attr": "5 |> stage"})


@unittest.skipUnless(PY314, "except lists without parentheses are new in 3.14 (PEP 758)")
class UnparenthesisedExceptTests(unittest.TestCase):
    SOURCE = (
        "def catch(exc):\n"
        "    try:\n"
        "        raise exc\n"
        "    except 'value' |> pick, 'key' |> pick:\n"
        "        return 'caught'\n"
    )

    def test_elements_are_pipes(self):
        kinds = {"value": ValueError, "key": KeyError}
        catch = run(self.SOURCE, pick=kinds.__getitem__)["catch"]
        self.assertEqual(catch(ValueError()), "caught")
        self.assertEqual(catch(KeyError()), "caught")
        with self.assertRaises(TypeError):
            catch(TypeError())

    def test_ast_is_a_tuple_of_pipes(self):
        handler = ast.parse(self.SOURCE).body[0].body[0].handlers[0]
        self.assertIsInstance(handler.type, ast.Tuple)
        self.assertEqual([type(e.op) for e in handler.type.elts], [ast.Pipe, ast.Pipe])

    def test_except_star(self):
        source = "try:\n    raise ExceptionGroup('g', [ValueError()])\nexcept* 'value' |> pick, 'key' |> pick:\n    hit = 1\n"
        self.assertEqual(run(source, pick={"value": ValueError, "key": KeyError}.__getitem__)["hit"], 1)

    def test_as_still_needs_parentheses(self):
        syntax_error("try:\n    pass\nexcept a |> f, b |> g as e:\n    pass\n")


@unittest.skipUnless(PY314, "3.14 names a starred dictionary value in its message")
class StarredDictionaryValueTests(unittest.TestCase):
    def test_a_starred_pipe_as_a_value_gets_upstreams_message(self):
        for source in ("{1: *a |> f}", "{1: 2, 3: *a |> f}"):
            with self.subTest(source):
                exc = syntax_error(source, "eval")
                self.assertEqual(exc.msg, "cannot use a starred expression in a dictionary value")
                # From the star to the end of the pipe, as for any other starred operand.
                self.assertEqual((exc.offset, exc.end_offset), (source.index("*") + 1, source.index("}") + 1))


@unittest.skipUnless(PY314, "ast.compare is new in 3.14")
class AstCompareTests(unittest.TestCase):
    def test_equal_pipes(self):
        self.assertTrue(ast.compare(ast.parse("x |> f"), ast.parse("x  |>  f")))

    def test_pipe_is_not_another_operator(self):
        self.assertFalse(ast.compare(ast.parse("x |> f"), ast.parse("x | f")))
        self.assertFalse(ast.compare(ast.parse("x |> f"), ast.parse("f(x)")))

    def test_positions(self):
        self.assertFalse(ast.compare(ast.parse("x |> f"), ast.parse("x  |>  f"), compare_attributes=True))


@unittest.skipUnless(PY313, "optimized ASTs are new in 3.13")
class OptimizedAstTests(unittest.TestCase):
    def assert_kept(self, tree):
        pipes = [n for n in ast.walk(tree) if isinstance(n, ast.BinOp) and isinstance(n.op, ast.Pipe)]
        self.assertEqual(len(pipes), 2, ast.dump(tree))

    def test_parse_optimize_never_folds(self):
        self.assert_kept(ast.parse("1 |> str |> len", optimize=1))
        self.assert_kept(ast.parse("(1, 2) |> len |> str", optimize=2))

    def test_compile_flag_never_folds(self):
        self.assert_kept(compile("'a' |> len |> str", "<opt>", "exec", ast.PyCF_OPTIMIZED_AST))


@unittest.skipUnless(PY314, "the REPL colours syntax from 3.14 on")
class ReplColourTests(unittest.TestCase):
    def spans(self, source):
        from _pyrepl.utils import gen_colors

        return [(source[c.span.start : c.span.end + 1], c.tag) for c in gen_colors(source)]

    def test_pipe_is_one_operator(self):
        self.assertIn(("|>", "op"), self.spans("x |> f"))

    def test_pipe_beside_other_operators(self):
        spans = self.spans("a | b |> f > 0")
        self.assertEqual([text for text, tag in spans if tag == "op"], ["|", "|>", ">"])


if __name__ == "__main__":
    unittest.main()
