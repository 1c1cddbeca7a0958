"""Spec section 6: `|>` compiles to the ordinary call instructions; tracebacks, .pyc, deep chains."""

import ast
import dis
import importlib.util
import linecache
import marshal
import os
import sys
import tempfile
import traceback
import unittest

from support import double, increment


def opnames(source):
    code = compile(source, "<dis>", "eval")
    return [i.opname for i in dis.get_instructions(code) if i.opname not in ("RESUME", "CACHE")]


CALL_OPS = {"CALL", "PRECALL"}
SHUFFLE_OPS = {"SWAP", "PUSH_NULL"}


class DisTests(unittest.TestCase):
    def test_no_binary_op(self):
        self.assertNotIn("BINARY_OP", opnames("x |> f"))

    def test_no_new_opcode(self):
        self.assertNotIn("PIPE", " ".join(dis.opmap))
        for name in opnames("x |> f |> g"):
            self.assertIn(name, dis.opmap)

    def test_shape_is_loads_shuffle_call(self):
        names = opnames("x |> f")
        self.assertEqual(names[-1], "RETURN_VALUE")
        self.assertEqual([n for n in names if n == "LOAD_NAME"], ["LOAD_NAME", "LOAD_NAME"])
        middle = [n for n in names[:-1] if n != "LOAD_NAME"]
        self.assertEqual(middle[-1], "CALL")
        self.assertTrue(set(middle) <= CALL_OPS | SHUFFLE_OPS, middle)
        # Module-level names: the NULL goes between the two loads, and one SWAP 3 rotates.
        self.assertEqual(middle.count("SWAP"), 1, names)

    def test_same_call_instruction_as_call_syntax(self):
        def calls(source):
            return [(i.opname, i.arg) for i in dis.get_instructions(compile(source, "<dis>", "eval")) if i.opname in CALL_OPS]

        self.assertEqual(calls("x |> f"), calls("f(x)"))

    def test_method_operand_loads_like_a_method_call(self):
        # `x |> o.m` loads `o.m` as `o.m(x)` does: no bound method object, the same CALL.
        def loads_and_calls(source):
            keep = {"LOAD_ATTR", "LOAD_METHOD", "CALL", "PRECALL"}
            code = compile(source, "<dis>", "eval")
            return sorted((i.opname, i.argrepr) for i in dis.get_instructions(code) if i.opname in keep)

        self.assertEqual(loads_and_calls("x |> o.m"), loads_and_calls("o.m(x)"))
        self.assertEqual(loads_and_calls("x |> a.b.m"), loads_and_calls("a.b.m(x)"))

    def test_pure_operand_and_named_callable_compile_to_the_call(self):
        # Loading a constant or a parameter that is never deleted has no effect and cannot fail, so
        # it may be loaded after the callable: the code is that of the call, on every series.
        def instructions(function):
            return [(i.opname, i.argrepr) for i in dis.get_instructions(function) if i.opname != "RESUME"]

        def piped(x):
            return x |> function

        def called(x):
            return function(x)

        def piped_constant(f):
            return 1 |> f

        def called_constant(f):
            return f(1)

        self.assertEqual(instructions(piped), instructions(called))
        self.assertEqual(instructions(piped_constant), instructions(called_constant))

    def test_operand_that_may_be_unbound_is_still_evaluated_first(self):
        def run(bind):
            if bind:
                x = 1
            return x |> undefined_callable

        with self.assertRaises(UnboundLocalError):
            run(False)
        with self.assertRaises(NameError) as caught:
            run(True)
        self.assertIs(type(caught.exception), NameError)

    def test_callable_whose_load_runs_code_is_still_evaluated_second(self):
        class Holder:
            @property
            def stage(self):
                # On 3.13 (PEP 667) this write reaches the caller's local; on 3.11 it is dropped.
                sys._getframe(1).f_locals["x"] = "changed"
                return str

        holder = Holder()

        def run():
            x = "original"
            return x |> holder.stage

        self.assertEqual(run(), "original")

    def test_operand_loaded_before_callable(self):
        code = compile("x |> f", "<dis>", "eval")
        loads = [i.argval for i in dis.get_instructions(code) if i.opname == "LOAD_NAME"]
        self.assertEqual(loads, ["x", "f"])

    def test_chain_has_one_call_per_stage(self):
        self.assertEqual(opnames("x |> f |> g |> h").count("CALL"), 3)

    def test_magic_number_is_upstreams(self):
        # The fork changes no bytecode, so it keeps the magic number of the series' final releases, read from
        # pristine sources (3.11.2's _bootstrap_external.py, 3.13.15's, 3.14.7's pycore_magic_number.h).
        upstream = {(3, 11): 3495, (3, 13): 3571, (3, 14): 3627}
        series = sys.version_info[:2]
        if series not in upstream:
            self.skipTest(f"no upstream magic number recorded for {series}")
        self.assertEqual(importlib.util.MAGIC_NUMBER, upstream[series].to_bytes(2, "little") + b"\r\n")

    def test_call_specializes(self):
        def hot(v):
            return v |> len

        for _ in range(200):
            hot("abc")
        adaptive = [i.opname for i in dis.get_instructions(hot, adaptive=True)]
        specialized = [n for n in adaptive if n.startswith(("CALL_", "PRECALL_")) and n not in dis.opmap]
        self.assertTrue(specialized, adaptive)


def swap_count(code):
    """SWAP instructions in `code` and every code object nested in it."""
    pending, count = [code], 0
    while pending:
        code = pending.pop()
        count += sum(i.opname == "SWAP" for i in dis.get_instructions(code))
        pending += [c for c in code.co_consts if isinstance(c, type(code))]
    return count


class PipeToCall(ast.NodeTransformer):
    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, ast.Pipe):
            return ast.copy_location(ast.Call(node.right, [node.left], []), node)
        return node


def rotations(source):
    """The SWAPs `source` costs beyond the same code with each `x |> f` written `f(x)`.

    Other constructs rotate too (an inlined comprehension does), so the call form is the baseline.
    """
    as_call = ast.fix_missing_locations(PipeToCall().visit(ast.parse(source)))
    return swap_count(compile(source, "<rotations>", "exec")) - swap_count(compile(as_call, "<call>", "exec"))


# Spec section 6's table: per case, the rotations (SWAPs) `x |> f` costs before 3.12 and from 3.12 on.
# Zero is the code of `f(x)`; one is the floor wherever the operand's load may run code or fail and
# so may the callable's, so that their order can be observed; two only for a method-form callable,
# whose load pushes two values.
ROTATIONS = {
    "module-level names": ("x |> g", 1, 1),
    "parameter operand, global callable": ("def probe(x):\n    return x |> g", 0, 0),
    "constant operand, global callable": ("def probe():\n    return 1 |> g", 0, 0),
    "assigned local operand": ("def probe():\n    x = h()\n    return x |> g", 1, 0),
    "deleted and rebound parameter": ("def probe(x):\n    del x\n    x = 1\n    return x |> g", 1, 0),
    # From 3.12 the operand may be unbound (LOAD_FAST_CHECK): the global is loaded after it, without its NULL.
    "except-handler name": (
        "def probe(x):\n    try:\n        pass\n    except E as x:\n        pass\n    return x |> g", 1, 1
    ),
    "call operand, global callable": ("def probe():\n    return h() |> g", 1, 1),
    "call operand, local callable": ("def probe(g):\n    return h() |> g", 1, 1),
    "call operand, closure callable": (
        "def outer():\n    g = h\n    def probe():\n        return h() |> g\n    return probe", 1, 1
    ),
    "parameter operand, closure callable": (
        "def outer():\n    g = h\n    def probe(x):\n        return x |> g\n    return probe", 0, 0
    ),
    "callable that may be unbound": (
        "def probe(c):\n    if c:\n        g = h\n    return h() |> g", 1, 1
    ),
    "subscript callable": ("def probe(x, d):\n    return x |> d[0]", 1, 1),
    "call as callable": ("def probe(x):\n    return x |> h()", 1, 1),
    "method callable": ("def probe(x, o):\n    return x |> o.m", 2, 2),
    "class body names": ("class C:\n    y = x |> g", 1, 1),
    "class body, closure callable": (
        "def outer():\n    g = h\n    class C:\n        y = x |> g\n    return C", 1, 1
    ),
    "comprehension variable": ("def probe(it):\n    return [v |> g for v in it]", 1, 0),
}


class RotationTests(unittest.TestCase):
    def test_rotations_per_case(self):
        for case, (source, before_3_12, since_3_12) in ROTATIONS.items():
            with self.subTest(case):
                expected = since_3_12 if sys.version_info >= (3, 12) else before_3_12
                self.assertEqual(rotations(source), expected, source)

    def test_one_swap_sequence_pushes_the_null_between_the_loads(self):
        # x; PUSH_NULL; f; SWAP 3: the NULL below the callable, so a single rotation suffices.
        names = [(i.opname, i.arg) for i in dis.get_instructions(compile("x |> g", "<r>", "eval"))]
        names = [n for n in names if n[0] not in ("RESUME", "CACHE", "PRECALL")]
        if sys.version_info >= (3, 12):
            expected = [("LOAD_NAME", 0), ("PUSH_NULL", None), ("LOAD_NAME", 1), ("SWAP", 3), ("CALL", 1)]
        else:
            expected = [("LOAD_NAME", 0), ("LOAD_NAME", 1), ("PUSH_NULL", None), ("SWAP", 3), ("CALL", 1)]
        self.assertEqual(names[:-1], expected)


class RecordingLocals(dict):
    """A locals mapping that records every lookup, as `exec` and `__prepare__` may supply one."""

    def __init__(self, values):
        super().__init__(values)
        self.lookups = []

    def __getitem__(self, name):
        self.lookups.append(name)
        return super().__getitem__(name)


class OrderWithEachSequenceTests(unittest.TestCase):
    """Whatever the sequence, the operand is looked up before the callable and the result is f(x)."""

    def test_exec_with_a_recording_locals_mapping(self):
        scope = RecordingLocals({"x": 3, "g": double, "d": [double]})
        cases = (("r = x |> g", 6, ["x", "g"]), ("r = x |> d[0]", 6, ["x", "d"]), ("r = 5 |> g", 10, ["g"]))
        for source, result, lookups in cases:
            with self.subTest(source):
                scope.lookups.clear()
                exec(source, {}, scope)
                self.assertEqual(scope.lookups, lookups)
                self.assertEqual(scope["r"], result)

    def test_class_body_with_a_recording_namespace(self):
        class Meta(type):
            @classmethod
            def __prepare__(mcs, name, bases):
                return RecordingLocals({"x": 4, "g": double})

        class C(metaclass=Meta):
            y = x |> g  # noqa: F821 (the names come from the recording namespace)

        self.assertEqual(C.y, 8)

    def test_class_body_lookups_in_order(self):
        namespace = RecordingLocals({"x": 4, "g": double})
        exec(compile("y = x |> g", "<class body>", "exec"), {}, namespace)
        self.assertEqual(namespace.lookups, ["x", "g"])

    def test_closure_callable_rebound_by_the_operand(self):
        def outer():
            g = double

            def rebind():
                nonlocal g
                g = increment
                return 10

            def probe():
                return rebind() |> g

            return probe

        self.assertEqual(outer()(), 11, "the callable is loaded after the operand ran")

    def test_callable_that_may_be_unbound_fails_after_the_operand(self):
        seen = []

        def probe(c):
            if c:
                g = double
            return (seen.append("operand") or 3) |> g

        with self.assertRaises(UnboundLocalError):
            probe(False)
        self.assertEqual(seen, ["operand"])
        self.assertEqual(probe(True), 6)

    def test_subscript_callable_after_the_operand(self):
        table = [double]

        def operand():
            table[0] = increment
            return 1

        self.assertEqual(operand() |> table[0], 2)

    def test_comprehension(self):
        self.assertEqual([v |> double for v in range(3)], [0, 2, 4])
        self.assertEqual({v |> str for v in (1, 2)}, {"1", "2"})

    def test_parameter_operand_deleted_in_the_function(self):
        def probe(x):
            del x
            return x |> double

        with self.assertRaises(UnboundLocalError):
            probe(1)

    def test_parameter_operand_named_by_an_except_handler(self):
        def probe(x, fail):
            try:
                if fail:
                    raise ValueError
            except ValueError as x:  # noqa: F841 (the handler's end deletes x)
                pass
            return x |> double

        self.assertEqual(probe(2, False), 4)
        with self.assertRaises(UnboundLocalError):
            probe(2, True)

    def test_parameter_deleted_by_an_inner_function(self):
        def probe(x):
            def forget():
                nonlocal x
                del x
                return double

            return x |> forget()

        self.assertEqual(probe(3), 6, "the operand was loaded before the callable's call deleted it")


class TracebackTests(unittest.TestCase):
    def run_source(self, source):
        filename = f"<pipe-traceback-{id(source)}>"
        # Register the source so that tracebacks can show and mark its lines.
        linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
        self.addCleanup(linecache.cache.pop, filename, None)
        namespace = {}
        exec(compile(source, filename, "exec"), namespace)
        return namespace

    def failing_frame_lines(self, source):
        namespace = self.run_source(source)
        try:
            namespace["run"]()
        except Exception as exc:
            return exc, traceback.extract_tb(exc.__traceback__)
        raise AssertionError("no exception")

    def test_location_is_the_pipe_expression(self):
        exc, frames = self.failing_frame_lines("def run():\n    y = 1\n    return y |> 2\n")
        self.assertIsInstance(exc, TypeError)
        frame = frames[-1]
        self.assertEqual(frame.lineno, 3)
        self.assertEqual((frame.colno, frame.end_colno), (11, 17))

    def test_location_of_failing_stage_in_chain(self):
        _, frames = self.failing_frame_lines("def run():\n    return 1 |> str |> 3 |> len\n")
        frame = frames[-1]
        self.assertEqual((frame.colno, frame.end_colno), (11, 24))

    def test_callee_frame_follows_pipe_frame(self):
        source = "def fail(v):\n    raise ValueError(v)\n\ndef run():\n    return 1 |> fail\n"
        _, frames = self.failing_frame_lines(source)
        self.assertEqual([f.name for f in frames[-2:]], ["run", "fail"])
        self.assertEqual(frames[-2].lineno, 5)

    def test_printed_traceback_marks_the_operator(self):
        exc, _ = self.failing_frame_lines("def run():\n    y = 1\n    return y |> 2\n")
        text = "".join(traceback.format_exception(exc))
        self.assertIn("TypeError: 'int' object is not callable", text)
        self.assertIn("    return y |> 2\n           ~~^^~~\n", text)

    def test_multiline_pipe_traceback_line(self):
        source = "def run():\n    return (\n        1\n        |> str\n        |> 5\n    )\n"
        _, frames = self.failing_frame_lines(source)
        self.assertEqual(frames[-1].lineno, 3)
        self.assertEqual(frames[-1].end_lineno, 5)


class PycTests(unittest.TestCase):
    SOURCE = "def run(v):\n    return v |> str |> len\n"

    def test_marshal_round_trip(self):
        code = compile(self.SOURCE, "<pyc>", "exec")
        namespace = {}
        exec(marshal.loads(marshal.dumps(code)), namespace)
        self.assertEqual(namespace["run"](12345), 5)

    def test_import_from_pyc_only(self):
        import py_compile

        with tempfile.TemporaryDirectory() as directory:
            source_path = os.path.join(directory, "piped_module.py")
            with open(source_path, "w") as handle:
                handle.write(self.SOURCE)
            pyc_path = os.path.join(directory, "piped_module.pyc")
            py_compile.compile(source_path, cfile=pyc_path, doraise=True)
            os.remove(source_path)
            spec = importlib.util.spec_from_file_location("piped_module", pyc_path)
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            self.assertEqual(module.run(100), 3)

    def test_import_source_module(self):
        with tempfile.TemporaryDirectory() as directory:
            with open(os.path.join(directory, "piped_source.py"), "w") as handle:
                handle.write(self.SOURCE)
            sys.path.insert(0, directory)
            try:
                import piped_source

                self.assertEqual(piped_source.run(7), 1)
            finally:
                sys.path.remove(directory)
                sys.modules.pop("piped_source", None)


# WASI's parser stack is smaller (MAXSTACK, 4000 frames upstream: Parser/parser.c), so there the parser
# gives out before the tokenizer's 200 levels, upstream too. The deepest nesting pristine CPython compiles
# on WASI (MemoryError one level deeper), measured on 3.11.2 and 3.13.15; the fork scales MAXSTACK to match.
WASI_DEEPEST_NESTING = {"parentheses": 141, "f-string": 140, "list": 137}


def nested(kind, depth):
    if kind == "list":
        return "[" * depth + "]" * depth
    inner = "(" * depth + "1" + ")" * depth
    return inner if kind == "parentheses" else "f'{" + inner + "}'"


# From 3.14 the compiler guards the C stack, which on WebAssembly is the wasm linear-memory stack; the runtime's
# own stack (node's, wasmtime's) can run out first and end the process: under node 10,000 chained `|` do, pristine
# too (docs/explanation/webassembly.md). There only depths the runtimes survive are compiled.
RUNTIME_SURVIVES_STAGES = (
    3_000 if sys.platform in ("emscripten", "wasi") and sys.version_info >= (3, 14) else 100_000
)


def compile_outcome(source):
    """'compiles', or the error compiling `source` raised."""
    try:
        compile(source, "<deep>", "eval")
    except (RecursionError, MemoryError, SyntaxError) as exc:
        return f"{type(exc).__name__}: {exc}"
    return "compiles"


class DeepChainTests(unittest.TestCase):
    def test_long_chain_of_stages(self):
        source = "0" + " |> inc" * 1000
        self.assertEqual(eval(source, {"inc": lambda v: v + 1}), 1000)

    def test_deeply_parenthesised_operand(self):
        source = "(" * 50 + "1 |> f" + ")" * 50
        self.assertEqual(eval(source, {"f": double}), 2)

    def test_nested_right_operands(self):
        source = "1 |> (" * 50 + "f" + ")" * 50
        with self.assertRaises(TypeError):
            # Each parenthesised right operand pipes the callable into the next.
            eval(source, {"f": double})

    def test_chains_past_the_compilers_depth_limit_fail_like_other_operators(self):
        # n stages nest the AST n deep, exactly as n chained `|` do: the same limit, the same error.
        for stages in (3_000, 10_000, 100_000):
            if stages > RUNTIME_SURVIVES_STAGES:
                continue
            with self.subTest(stages=stages):
                self.assertEqual(compile_outcome("0" + " |> f" * stages), compile_outcome("0" + " | f" * stages))
        # 3.14's compiler checks the C stack instead of counting levels, so its limit is deeper.
        if RUNTIME_SURVIVES_STAGES >= 100_000:
            self.assertRegex(compile_outcome("0" + " |> f" * 100_000), "^RecursionError")

    def test_very_long_line(self):
        self.assertEqual(eval("'" + "x" * 10_000_000 + "' |> len"), 10_000_000)

    def test_nesting_limit_matches_upstream(self):
        if sys.platform == "wasi":
            return self.assert_parser_gives_out_where_upstream_does("parentheses")
        # The tokenizer allows 200 levels; the parser's frame limit must not cut in first.
        for depth in (199, 200, 201, 500):
            with self.subTest(depth=depth):
                source = nested("parentheses", depth)
                if depth <= 200:
                    compile(source, "<nest>", "eval")
                else:
                    with self.assertRaisesRegex(SyntaxError, "too many nested parentheses"):
                        compile(source, "<nest>", "eval")

    def test_nesting_limit_in_fstrings_and_lists(self):
        if sys.platform == "wasi":
            self.assert_parser_gives_out_where_upstream_does("f-string")
            return self.assert_parser_gives_out_where_upstream_does("list")
        # The exact f-string limit differs between versions; the parser must never be what gives up.
        for depth in (199, 200, 201, 500):
            with self.subTest(depth=depth):
                try:
                    compile(nested("f-string", depth), "<nest>", "eval")
                except SyntaxError as exc:
                    self.assertRegex(exc.msg, "too many nested parenthes")
                    self.assertGreaterEqual(depth, 200)
        with self.assertRaisesRegex(SyntaxError, "too many nested parenthes"):
            compile(nested("f-string", 500), "<nest>", "eval")
        compile(nested("list", 199), "<nest>", "eval")

    def assert_parser_gives_out_where_upstream_does(self, kind):
        deepest = WASI_DEEPEST_NESTING[kind]
        compile(nested(kind, deepest), "<nest>", "eval")
        with self.assertRaises(MemoryError):  # "Parser stack overflowed" from 3.12 on, no message before
            compile(nested(kind, deepest + 1), "<nest>", "eval")


class GeneratorAndAsyncTests(unittest.TestCase):
    def run_coroutine(self, coroutine):
        try:
            coroutine.send(None)
        except StopIteration as stop:
            return stop.value
        raise AssertionError("coroutine suspended")

    def test_await_binds_tighter(self):
        async def value():
            return 3

        async def main():
            return await value() |> double

        self.assertEqual(self.run_coroutine(main()), 6)

    def test_await_on_piped_coroutine(self):
        async def doubled(v):
            return v * 2

        async def main():
            return await (4 |> doubled)

        self.assertEqual(self.run_coroutine(main()), 8)

    def test_pipe_inside_async_generator(self):
        async def agen():
            for i in range(3):
                yield i |> double

        async def main():
            return [v async for v in agen()]

        self.assertEqual(self.run_coroutine(main()), [0, 2, 4])

    def test_yield_as_left_operand(self):
        def gen():
            received = (yield) |> double
            yield received

        g = gen()
        next(g)
        self.assertEqual(g.send(5), 10)

    def test_yield_from_piped_iterable(self):
        def gen():
            yield from 3 |> range

        self.assertEqual(list(gen()), [0, 1, 2])

    def test_generator_suspended_between_operands(self):
        def gen():
            return (yield "left") |> (yield "right")

        g = gen()
        self.assertEqual(next(g), "left")
        self.assertEqual(g.send(7), "right")
        with self.assertRaises(StopIteration) as stop:
            g.send(double)
        self.assertEqual(stop.exception.value, 14)


if __name__ == "__main__":
    unittest.main()
