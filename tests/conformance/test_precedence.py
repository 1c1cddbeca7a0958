"""Spec section 2: `|>` against every neighbouring operator, by explicit parenthesisation."""

import ast
import unittest

from support import dump


class PrecedenceTests(unittest.TestCase):
    def same(self, source, parenthesised, mode="eval"):
        self.assertEqual(dump(source, mode), dump(parenthesised, mode), source)

    def test_left_associative(self):
        self.same("x |> f |> g", "(x |> f) |> g")

    def test_right_nested_needs_parentheses(self):
        self.assertNotEqual(dump("x |> f |> g"), dump("x |> (f |> g)"))

    def test_looser_than_bitwise_or(self):
        self.same("a | b |> f", "(a | b) |> f")

    def test_bitwise_or_on_the_right(self):
        self.same("x |> f | g", "x |> (f | g)")

    def test_looser_than_xor(self):
        self.same("a ^ b |> f ^ g", "(a ^ b) |> (f ^ g)")

    def test_looser_than_and(self):
        self.same("a & b |> f & g", "(a & b) |> (f & g)")

    def test_looser_than_shifts(self):
        self.same("a << b |> f >> g", "(a << b) |> (f >> g)")

    def test_looser_than_addition(self):
        self.same("1 + 2 |> f", "(1 + 2) |> f")

    def test_looser_than_subtraction_on_the_right(self):
        self.same("x |> f - g", "x |> (f - g)")

    def test_looser_than_multiplication(self):
        self.same("a * b |> f @ g", "(a * b) |> (f @ g)")

    def test_looser_than_division_and_modulo(self):
        self.same("a / b // c % d |> f", "(a / b // c % d) |> f")

    def test_looser_than_unary(self):
        self.same("-a |> ~f", "(-a) |> (~f)")

    def test_looser_than_power(self):
        self.same("a ** b |> f", "(a ** b) |> f")

    def test_looser_than_await(self):
        self.same("await x |> f", "(await x) |> f")

    def test_looser_than_attribute_call_subscript(self):
        self.same("a.b[c](d) |> e.f[g](h)", "(a.b[c](d)) |> (e.f[g](h))")

    def test_tighter_than_greater_than(self):
        self.same("x |> len > 3", "(x |> len) > 3")

    def test_tighter_than_every_comparison(self):
        for op in ("<", ">", "==", ">=", "<=", "!=", "in", "not in", "is", "is not"):
            with self.subTest(op=op):
                self.same(f"a |> f {op} b |> g", f"(a |> f) {op} (b |> g)")

    def test_chained_comparison_operands(self):
        self.same("a < b |> f < c", "a < (b |> f) < c")

    def test_tighter_than_not(self):
        self.same("not x |> f", "not (x |> f)")

    def test_tighter_than_and_or(self):
        self.same("a |> f and b |> g or c |> h", "((a |> f) and (b |> g)) or (c |> h)")

    def test_tighter_than_conditional(self):
        self.same("x |> f if c |> g else y |> h", "(x |> f) if (c |> g) else (y |> h)")

    def test_tighter_than_walrus(self):
        self.same("(y := x |> f)", "(y := (x |> f))")

    def test_lambda_body_contains_pipe(self):
        self.same("lambda v: v |> f", "lambda v: (v |> f)")

    def test_tuple_elements(self):
        self.same("a |> f, b |> g", "(a |> f), (b |> g)")

    def test_star_in_list(self):
        self.same("[*xs |> f]", "[*(xs |> f)]")

    def test_star_in_tuple(self):
        self.same("*xs |> f, y", "*(xs |> f), y", mode="exec")

    def test_star_in_call_argument(self):
        self.same("g(*xs |> f)", "g(*(xs |> f))")

    def test_double_star_in_dict(self):
        self.same("{**d |> f}", "{**(d |> f)}")

    def test_double_star_in_call(self):
        self.same("g(**d |> f)", "g(**(d |> f))")

    def test_star_binds_like_bitwise_or(self):
        # The rule for starred operands is the one `|` already follows.
        self.same("[*a | b]", "[*(a | b)]")
        self.same("[*a | b |> f]", "[*((a | b) |> f)]")

    def test_slice_bounds(self):
        self.same("s[a |> f : b |> g]", "s[(a |> f) : (b |> g)]")

    def test_keyword_argument_value(self):
        self.same("g(k=x |> f)", "g(k=(x |> f))")

    def test_evaluates_as_parsed(self):
        double = lambda v: v * 2  # noqa: E731
        self.assertEqual(1 + 2 |> double, 6)
        self.assertEqual(1 | 2 |> double, 6)
        self.assertIs([1, 2, 3, 4] |> len > 3, True)
        self.assertEqual(3 |> double if False else 0, 0)
        self.assertEqual((3 |> double) * 2, 12)

    def test_pipe_has_its_own_unparse_precedence(self):
        # 3.14 moved the unparser out of ast into _ast_unparse.
        precedence = ast._Precedence if hasattr(ast, "_Precedence") else __import__("_ast_unparse")._Precedence
        self.assertIn("PIPE", precedence.__members__)
        self.assertLess(precedence.CMP, precedence.PIPE)
        self.assertLess(precedence.PIPE, precedence.BOR)


if __name__ == "__main__":
    unittest.main()
