"""Spec section 3: what `x |> f` does, in which order, with which callables."""

import functools
import operator
import unittest

from support import Recorder, double, increment


class SeedTests(unittest.TestCase):
    def test_seed_pipeline(self):
        double = lambda v: v * 2  # noqa: E731
        increment = lambda v: v + 1  # noqa: E731
        self.assertEqual(2 |> double |> increment |> double, 10)

    def test_is_the_call(self):
        self.assertEqual(3 |> double, double(3))

    def test_chain_is_nested_calls(self):
        self.assertEqual(3 |> double |> increment, increment(double(3)))

    def test_call_returning_callable(self):
        def scale(k):
            return lambda v: v * k

        self.assertEqual(5 |> scale(3), 15)

    def test_parenthesised_lambda(self):
        self.assertEqual(5 |> (lambda v: v - 1), 4)

    def test_right_operand_pipe_in_parentheses(self):
        compose = lambda f: lambda v: f(f(v))  # noqa: E731
        # `double |> compose` runs first and yields the callable applied to 3.
        self.assertEqual(3 |> (double |> compose), 12)

    def test_result_of_none_returning_function(self):
        self.assertIsNone(1 |> (lambda v: None))


class EvaluationOrderTests(unittest.TestCase):
    def test_left_before_right_before_call(self):
        r = Recorder()
        r.value("x", 1) |> r.func("f")
        self.assertEqual(r.events, ["x", "f", "call f(1)"])

    def test_chain_order(self):
        r = Recorder()
        r.value("x", 1) |> r.func("f", increment) |> r.func("g", double)
        self.assertEqual(r.events, ["x", "f", "call f(1)", "g", "call g(2)"])

    def test_method_operand_order(self):
        r = Recorder()

        class Target:
            def __getattr__(self, name):
                r.events.append(f"getattr {name}")
                return lambda v: r.events.append(f"call {name}({v!r})")

        r.value("x", 1) |> r.value("obj", Target()).meth
        self.assertEqual(r.events, ["x", "obj", "getattr meth", "call meth(1)"])

    def test_missing_method_raises_after_the_operand(self):
        r = Recorder()
        with self.assertRaises(AttributeError):
            r.value("x", 1) |> r.value("obj", object()).missing
        self.assertEqual(r.events, ["x", "obj"])

    def test_order_differs_from_call_syntax(self):
        r = Recorder()
        r.func("f")(r.value("x", 1))
        self.assertEqual(r.events, ["f", "x", "call f(1)"])

    def test_each_operand_evaluated_once(self):
        r = Recorder()
        result = r.value("x", 2) |> r.func("f", double)
        self.assertEqual(result, 4)
        self.assertEqual(r.events.count("x"), 1)
        self.assertEqual(r.events.count("f"), 1)

    def test_left_operand_can_rebind_the_callable_name(self):
        def f(v):
            return ("old", v)

        def rebind():
            nonlocal f
            f = lambda v: ("new", v)  # noqa: E731
            return 1

        self.assertEqual(rebind() |> f, ("new", 1))

    def test_walrus_in_left_operand_is_visible_to_right(self):
        self.assertEqual((k := 3) |> (lambda v: v * k), 9)

    def test_argument_identity_preserved(self):
        obj = object()
        self.assertIs(obj |> (lambda v: v), obj)

    def test_operands_inside_arguments_evaluated_in_order(self):
        r = Recorder()
        print_args = lambda *a: a  # noqa: E731
        print_args(r.value("a", 1) |> r.func("f"), r.value("b", 2) |> r.func("g"))
        self.assertEqual(r.events, ["a", "f", "call f(1)", "b", "g", "call g(2)"])


class ExceptionTests(unittest.TestCase):
    def test_exception_in_left_operand_skips_right(self):
        r = Recorder()
        with self.assertRaises(ZeroDivisionError):
            (1 / 0) |> r.func("f")
        self.assertEqual(r.events, [])

    def test_exception_in_right_operand(self):
        def boom():
            raise KeyError("right")

        with self.assertRaises(KeyError):
            1 |> boom()

    def test_exception_in_call_stops_the_chain(self):
        r = Recorder()

        def fail(v):
            raise ValueError(v)

        with self.assertRaises(ValueError):
            1 |> fail |> r.func("never")
        self.assertEqual(r.events, [])

    def test_not_callable(self):
        with self.assertRaisesRegex(TypeError, "'int' object is not callable"):
            1 |> 2

    def test_not_callable_message_matches_call(self):
        target = "text"
        with self.assertRaises(TypeError) as piped:
            1 |> target
        with self.assertRaises(TypeError) as called:
            target(1)
        self.assertEqual(str(piped.exception), str(called.exception))

    def test_wrong_arity(self):
        with self.assertRaises(TypeError):
            1 |> (lambda a, b: a)

    def test_name_error_in_right_operand(self):
        with self.assertRaises(NameError):
            1 |> undefined_name_for_pipe_test  # noqa: F821

    def test_exception_chaining_unchanged(self):
        def fail(v):
            try:
                raise KeyError(v)
            except KeyError as exc:
                raise RuntimeError("wrapped") from exc

        with self.assertRaises(RuntimeError) as ctx:
            1 |> fail
        self.assertIsInstance(ctx.exception.__cause__, KeyError)

    def test_stop_iteration_passes_through(self):
        with self.assertRaises(StopIteration):
            iter([]) |> next


class Spy:
    """An object whose every operator records that it was consulted."""

    consulted = []

    def __init__(self, name):
        self.name = name

    def __call__(self, x):
        return ("called", self.name, x)


for _dunder in ("__or__", "__ror__", "__gt__", "__lt__", "__rshift__", "__rrshift__", "__matmul__", "__rmatmul__"):

    def _record(self, other, _dunder=_dunder):
        Spy.consulted.append(_dunder)
        return NotImplemented

    setattr(Spy, _dunder, _record)


class OperatorProtocolTests(unittest.TestCase):
    def setUp(self):
        Spy.consulted.clear()

    def test_dunders_never_consulted(self):
        result = Spy("x") |> Spy("f")
        self.assertEqual(result[:2], ("called", "f"))
        self.assertEqual(Spy.consulted, [])

    def test_or_overload_does_not_make_a_pipe(self):
        class Orable:
            def __or__(self, other):
                return "or"

            def __call__(self, x):
                return "call"

        self.assertEqual(Orable() | Orable(), "or")
        self.assertEqual(Orable() |> Orable(), "call")

    def test_works_on_objects_without_any_operators(self):
        self.assertEqual(object() |> type, object)


class CallableKindTests(unittest.TestCase):
    def test_builtin_function(self):
        self.assertEqual([3, 1, 2] |> sorted, [1, 2, 3])

    def test_builtin_type(self):
        self.assertEqual("12" |> int, 12)

    def test_str_and_tuple_types(self):
        self.assertEqual(12 |> str, "12")
        self.assertEqual([1, 2] |> tuple, (1, 2))

    def test_python_function(self):
        self.assertEqual(4 |> double, 8)

    def test_lambda_in_variable(self):
        half = lambda v: v / 2  # noqa: E731
        self.assertEqual(4 |> half, 2)

    def test_bound_method(self):
        items = []
        "x" |> items.append
        self.assertEqual(items, ["x"])

    def test_unbound_method(self):
        self.assertEqual("abc" |> str.upper, "ABC")

    def test_method_descriptor_of_builtin(self):
        self.assertEqual([1, 2] |> list.copy, [1, 2])

    def test_class_with_init(self):
        class Box:
            def __init__(self, value):
                self.value = value

        self.assertEqual((7 |> Box).value, 7)

    def test_class_with_new(self):
        class Tagged(int):
            def __new__(cls, value):
                return super().__new__(cls, value + 1)

        self.assertEqual(1 |> Tagged, 2)

    def test_callable_instance(self):
        class Adder:
            def __call__(self, v):
                return v + 10

        self.assertEqual(1 |> Adder(), 11)

    def test_super_method(self):
        class Base:
            def m(self, v):
                return ("base", v)

        class Child(Base):
            def m(self, v):
                return ("child", v)

            def via_pipe(self, v):
                return v |> super().m

        self.assertEqual(Child().via_pipe(1), ("base", 1))

    def test_method_of_a_module_attribute_chain(self):
        import os

        self.assertEqual("/a/b" |> os.path.dirname, "/a")

    def test_staticmethod_and_classmethod(self):
        class K:
            @staticmethod
            def s(v):
                return ("s", v)

            @classmethod
            def c(cls, v):
                return (cls.__name__, v)

        self.assertEqual(1 |> K.s, ("s", 1))
        self.assertEqual(1 |> K.c, ("K", 1))

    def test_functools_partial(self):
        self.assertEqual(2 |> functools.partial(pow, 10), 100)

    def test_operator_module_functions(self):
        self.assertEqual([5, 6] |> operator.itemgetter(1), 6)
        self.assertEqual(-3 |> operator.neg, 3)

    def test_subscripted_callable(self):
        table = {"inc": increment}
        self.assertEqual(1 |> table["inc"], 2)

    def test_attribute_chain(self):
        import os.path

        self.assertEqual("/a/b.txt" |> os.path.basename, "b.txt")

    def test_generator_function(self):
        def gen(n):
            yield from range(n)

        self.assertEqual(3 |> gen |> list, [0, 1, 2])

    def test_keyword_only_function_fails_like_a_call(self):
        def kw(*, v):
            return v

        with self.assertRaises(TypeError):
            1 |> kw

    def test_varargs_function_gets_one_argument(self):
        self.assertEqual(1 |> (lambda *a: a), (1,))

    def test_many_call_sites_stay_correct_after_specialization(self):
        # Enough iterations for the specializing interpreter to adapt the CALL.
        funcs = [len, str, double, [].append, int, sorted, Spy("s")]
        for _ in range(100):
            for f in funcs:
                self.assertEqual("7" |> f if f is not double else 7 |> f, f("7") if f is not double else f(7))


class ScopingTests(unittest.TestCase):
    def test_closure_variable(self):
        def outer():
            factor = 3

            def inner(v):
                return v |> (lambda x: x * factor)

            return inner

        self.assertEqual(2 |> outer(), 6)

    def test_class_body(self):
        class C:
            value = 4 |> double

        self.assertEqual(C.value, 8)

    def test_comprehension_scope(self):
        self.assertEqual([v |> double for v in range(3)], [0, 2, 4])

    def test_global_name(self):
        self.assertEqual(1 |> increment, 2)

    def test_module_level_exec(self):
        namespace = {}
        exec("import math\nresult = 16 |> math.sqrt |> int", namespace)
        self.assertEqual(namespace["result"], 4)

    def test_eval(self):
        self.assertEqual(eval("'ab' |> len"), 2)


if __name__ == "__main__":
    unittest.main()
