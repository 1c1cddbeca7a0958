"""Spec section 6: `|>` compiles to the ordinary call instructions; tracebacks, .pyc, deep chains."""

import dis
import importlib.util
import linecache
import marshal
import os
import sys
import tempfile
import traceback
import unittest

from support import double


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
        self.assertEqual(names[:2], ["LOAD_NAME", "LOAD_NAME"])
        self.assertEqual(names[-1], "RETURN_VALUE")
        middle = names[2:-1]
        self.assertEqual(middle[-1], "CALL")
        self.assertTrue(set(middle) <= CALL_OPS | SHUFFLE_OPS, middle)
        self.assertLessEqual(sum(n in SHUFFLE_OPS for n in middle), 3, middle)

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
        # 3.12+ knows which locals are bound on every path (LOAD_FAST vs LOAD_FAST_CHECK), so the
        # optimizer can load such an operand after the callable; 3.11 cannot, and keeps the rotation.
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

        if sys.version_info >= (3, 12):
            self.assertEqual(instructions(piped), instructions(called))
            self.assertEqual(instructions(piped_constant), instructions(called_constant))
        else:
            self.assertIn("SWAP", [name for name, _ in instructions(piped)])

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
        # The fork changes no bytecode, so it keeps CPython's own magic for this version.
        self.assertEqual(len(importlib.util.MAGIC_NUMBER), 4)
        from importlib._bootstrap_external import _RAW_MAGIC_NUMBER, MAGIC_NUMBER

        self.assertEqual(MAGIC_NUMBER[:2], _RAW_MAGIC_NUMBER.to_bytes(4, "little")[:2])

    def test_call_specializes(self):
        def hot(v):
            return v |> len

        for _ in range(200):
            hot("abc")
        adaptive = [i.opname for i in dis.get_instructions(hot, adaptive=True)]
        specialized = [n for n in adaptive if n.startswith(("CALL_", "PRECALL_")) and n not in dis.opmap]
        self.assertTrue(specialized, adaptive)


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
            with self.subTest(stages=stages):
                self.assertEqual(compile_outcome("0" + " |> f" * stages), compile_outcome("0" + " | f" * stages))
        self.assertRegex(compile_outcome("0" + " |> f" * 10_000), "^RecursionError")

    def test_very_long_line(self):
        self.assertEqual(eval("'" + "x" * 10_000_000 + "' |> len"), 10_000_000)

    def test_nesting_limit_matches_upstream(self):
        # The tokenizer allows 200 levels; the parser's frame limit must not cut in first.
        for depth in (199, 200, 201, 500):
            with self.subTest(depth=depth):
                source = "(" * depth + "1" + ")" * depth
                if depth <= 200:
                    compile(source, "<nest>", "eval")
                else:
                    with self.assertRaisesRegex(SyntaxError, "too many nested parentheses"):
                        compile(source, "<nest>", "eval")

    def test_nesting_limit_in_fstrings_and_lists(self):
        # The exact f-string limit differs between versions; the parser must never be what gives up.
        for depth in (199, 200, 201, 500):
            with self.subTest(depth=depth):
                try:
                    compile("f'{" + "(" * depth + "1" + ")" * depth + "}'", "<nest>", "eval")
                except SyntaxError as exc:
                    self.assertRegex(exc.msg, "too many nested parenthes")
                    self.assertGreaterEqual(depth, 200)
        with self.assertRaisesRegex(SyntaxError, "too many nested parenthes"):
            compile("f'{" + "(" * 500 + "1" + ")" * 500 + "}'", "<nest>", "eval")
        compile("[" * 199 + "]" * 199, "<nest>", "eval")


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
