"""Spec section 3: `|>` works wherever an expression does."""

import sys
import unittest

from support import double, increment


class ContextTests(unittest.TestCase):
    def test_assignment_value(self):
        y = 2 |> double
        self.assertEqual(y, 4)

    def test_augmented_assignment_value(self):
        y = 1
        y += 2 |> double
        self.assertEqual(y, 5)

    def test_annotated_assignment_value(self):
        y: int = 2 |> double
        self.assertEqual(y, 4)

    def test_return_value(self):
        def f():
            return 3 |> double

        self.assertEqual(f(), 6)

    def test_positional_argument(self):
        self.assertEqual(max(1 |> double, 5 |> increment), 6)

    def test_keyword_argument(self):
        self.assertEqual(dict(k=2 |> double), {"k": 4})

    def test_starred_argument(self):
        self.assertEqual(max(*[3, 1] |> sorted), 3)

    def test_double_starred_argument(self):
        self.assertEqual(dict(**{"a": 1} |> dict), {"a": 1})

    def test_list_display(self):
        self.assertEqual([1 |> double, 2 |> double], [2, 4])

    def test_starred_in_list_display(self):
        self.assertEqual([*"ba" |> sorted], ["a", "b"])

    def test_set_and_dict_displays(self):
        self.assertEqual({1 |> double}, {2})
        self.assertEqual({1 |> double: 2 |> double}, {2: 4})

    def test_double_star_in_dict_display(self):
        self.assertEqual({**[("a", 1)] |> dict}, {"a": 1})

    def test_tuple_unpacking_source(self):
        a, b = "xy" |> tuple
        self.assertEqual((a, b), ("x", "y"))

    def test_list_comprehension_element_and_iterable(self):
        self.assertEqual([v |> double for v in 3 |> range], [0, 2, 4])

    def test_comprehension_condition(self):
        self.assertEqual([v for v in range(5) if v |> double > 4], [3, 4])

    def test_generator_expression(self):
        self.assertEqual(sum(v |> double for v in range(3)), 6)

    def test_dict_and_set_comprehensions(self):
        self.assertEqual({v: v |> double for v in range(2)}, {0: 0, 1: 2})
        self.assertEqual({v |> double for v in range(2)}, {0, 2})

    def test_decorator(self):
        def tag(f):
            f.tagged = True
            return f

        def decorator_factory(_):
            return tag

        @(None |> decorator_factory)
        def g():
            pass

        self.assertTrue(g.tagged)

    def test_decorator_without_parentheses(self):
        registry = []
        register = lambda f: registry.append(f) or f  # noqa: E731

        @register |> (lambda r: r)
        def g():
            pass

        self.assertEqual(registry, [g])

    def test_default_argument(self):
        def f(v=2 |> double):
            return v

        self.assertEqual(f(), 4)

    def test_keyword_only_default(self):
        def f(*, v=2 |> double):
            return v

        self.assertEqual(f(), 4)

    def test_lambda_body(self):
        f = lambda v: v |> double |> increment  # noqa: E731
        self.assertEqual(f(1), 3)

    def test_lambda_default(self):
        f = lambda v=1 |> double: v  # noqa: E731
        self.assertEqual(f(), 2)

    def test_if_condition(self):
        if [1] |> len == 1:
            hit = True
        else:
            hit = False
        self.assertTrue(hit)

    def test_while_condition(self):
        n = 0
        while n |> increment < 3:
            n += 1
        self.assertEqual(n, 2)

    def test_for_iterable(self):
        seen = []
        for v in 3 |> range:
            seen.append(v)
        self.assertEqual(seen, [0, 1, 2])

    def test_with_item(self):
        import contextlib

        with 5 |> contextlib.nullcontext as value:
            self.assertEqual(value, 5)

    def test_assert_statement(self):
        assert 1 |> bool

    def test_del_subscript_index(self):
        d = {2: "x"}
        del d[1 |> double]
        self.assertEqual(d, {})

    def test_subscript_index_and_slice(self):
        data = list(range(10))
        self.assertEqual(data[1 |> double], 2)
        self.assertEqual(data[1 |> double : 3 |> double], [2, 3, 4, 5])

    def test_match_subject(self):
        match 2 |> double:
            case 4:
                result = "four"
            case _:
                result = "other"
        self.assertEqual(result, "four")

    def test_match_guard(self):
        match 3:
            case n if n |> double == 6:
                result = True
            case _:
                result = False
        self.assertTrue(result)

    def test_annotations_evaluated(self):
        def f(a: 1 |> double) -> 2 |> double:
            pass

        self.assertEqual(f.__annotations__, {"a": 2, "return": 4})

    def test_fstring_replacement_field(self):
        self.assertEqual(f"{2 |> double}", "4")

    def test_fstring_with_conversion_and_format_spec(self):
        self.assertEqual(f"{2 |> double!r:>3}", "  4")

    def test_fstring_self_documenting(self):
        self.assertEqual(f"{2 |> double=}", "2 |> double=4")

    def test_nested_fstring(self):
        self.assertEqual(f"{f'{1 |> double}' |> len}", "1")

    def test_walrus_value(self):
        if (n := 3 |> double) > 5:
            pass
        self.assertEqual(n, 6)

    def test_conditional_expression_branches(self):
        self.assertEqual(1 |> double if True else 1 |> increment, 2)

    def test_yield_value(self):
        def gen():
            yield 1 |> double

        self.assertEqual(list(gen()), [2])

    def test_raise_expression(self):
        with self.assertRaises(ValueError):
            raise "bad" |> ValueError

    def test_global_statement_context(self):
        namespace = {}
        exec("def f():\n    global g\n    g = 2 |> str\nf()", namespace)
        self.assertEqual(namespace["g"], "2")

    def test_multiline_in_parentheses(self):
        value = (
            2
            |> double
            |> increment
        )
        self.assertEqual(value, 5)

    def test_backslash_continuation(self):
        value = 2 \
            |> double
        self.assertEqual(value, 4)

    @unittest.skipIf(sys.version_info < (3, 12), "the type statement is new in 3.12")
    def test_type_alias_value(self):
        namespace = {}
        exec("type T = int |> (lambda t: list[t])", namespace)
        self.assertEqual(namespace["T"].__value__, list[int])


if __name__ == "__main__":
    unittest.main()
