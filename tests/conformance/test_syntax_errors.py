"""Spec section 4: malformed pipes are SyntaxErrors with useful messages and exact offsets."""

import ast
import unittest

from support import syntax_error


class SyntaxErrorTests(unittest.TestCase):
    def assertError(self, source, msg, offset, end_offset=None):
        exc = syntax_error(source)
        self.assertEqual(exc.msg, msg, source)
        self.assertEqual(exc.lineno, 1, source)
        self.assertEqual(exc.offset, offset, source)
        if end_offset is not None:
            self.assertEqual(exc.end_offset, end_offset, source)

    def test_unparenthesised_lambda(self):
        self.assertError("x |> lambda v: v", "'lambda' after '|>' must be parenthesized", 6, 15)

    def test_unparenthesised_lambda_without_parameters(self):
        self.assertError("x |> lambda: 1", "'lambda' after '|>' must be parenthesized", 6, 13)

    def test_incomplete_lambda(self):
        self.assertError("x |> lambda", "'lambda' after '|>' must be parenthesized", 6)

    def test_unparenthesised_lambda_later_in_chain(self):
        self.assertError("x |> f |> lambda v: v", "'lambda' after '|>' must be parenthesized", 11)

    def test_unparenthesised_lambda_in_argument(self):
        self.assertError("g(x |> lambda v: v)", "'lambda' after '|>' must be parenthesized", 8)

    def test_missing_right_operand(self):
        self.assertError("x |>", "invalid syntax", 5)

    def test_missing_right_operand_before_comparison(self):
        self.assertError("x |> < 3", "invalid syntax", 6)

    def test_missing_left_operand(self):
        self.assertError("|> f", "invalid syntax", 1)

    def test_missing_left_operand_in_call(self):
        self.assertError("g(|> f)", "invalid syntax", 3)

    def test_double_pipe(self):
        self.assertError("x |> |> f", "invalid syntax", 6)

    def test_no_augmented_form(self):
        self.assertError("x |>= f", "invalid syntax", 5)

    def test_not_after_pipe(self):
        exc = syntax_error("x |> not f")
        self.assertEqual(exc.offset, 6)

    def test_starred_right_operand(self):
        syntax_error("x |> *f")

    def test_pipe_as_assignment_target(self):
        exc = syntax_error("x |> f = 1")
        self.assertIn("cannot assign to expression", exc.msg)

    def test_pipe_as_augmented_target(self):
        exc = syntax_error("x |> f += 1")
        self.assertIn("illegal expression for augmented assignment", exc.msg)

    def test_pipe_as_for_target(self):
        syntax_error("for x |> f in y: pass")

    def test_pipe_as_del_target(self):
        exc = syntax_error("del x |> f")
        self.assertIn("cannot delete expression", exc.msg)

    def test_error_on_second_line(self):
        exc = syntax_error("a = 1\nb = a |>\n")
        self.assertEqual((exc.lineno, exc.offset), (2, 9))

    def test_lambda_in_fstring(self):
        # Worded like upstream's own errors inside f-strings in this version (3.11 prefixes "f-string: ").
        upstream = syntax_error("f'{a b}'").msg
        prefix = upstream[: upstream.index("invalid syntax")]
        exc = syntax_error("f'{x |> lambda v: v}'")
        self.assertEqual(exc.msg, prefix + "'lambda' after '|>' must be parenthesized")

    def test_hand_built_augmented_pipe_rejected(self):
        tree = ast.Module(
            body=[ast.AugAssign(target=ast.Name("x", ast.Store()), op=ast.Pipe(), value=ast.Name("f", ast.Load()))],
            type_ignores=[],
        )
        ast.fix_missing_locations(tree)
        with self.assertRaisesRegex(ValueError, "'[|]>' cannot be used in an augmented assignment"):
            compile(tree, "<ast>", "exec")


if __name__ == "__main__":
    unittest.main()
