"""The differential fuzzer's oracle: runs inside a built interpreter, patched or pristine.

It reads one JSON request per line on stdin and writes one JSON answer per
line on stdout, so the harness keeps one process per interpreter for a whole
run. Standard library only: it runs on every supported CPython, natively.

Requests (`op`):
  inspect   what the tokenizer, the parser and the compiler make of `source`
            (digests; the full text with `detail`), SyntaxErrors and warnings
  round_trip  turn single-argument calls in `source` into pipes, unparse, parse
            again and turn the pipes back: the tree must be the original one
  to_calls  replace each `a |> b` in the expression `source` by `_pipe_call(a, b)`
  evaluate  evaluate the expression `source` among the names of `vocabulary()`
"""

import ast
import hashlib
import io
import json
import random
import sys
import tokenize
import types
import warnings

PIPE = getattr(ast, "Pipe", None)


def digest(text):
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def error(exc):
    """What an exception says, positions included for a SyntaxError."""
    if isinstance(exc, SyntaxError):
        return [type(exc).__name__, exc.msg, exc.lineno, exc.offset, exc.end_lineno, exc.end_offset]
    return [type(exc).__name__, str(exc)]


def tokens(source):
    found = tokenize.generate_tokens(io.StringIO(source).readline)
    return "\n".join(f"{tokenize.tok_name[t.exact_type]} {t.string!r} {t.start} {t.end}" for t in found)


def code_listing(code):
    """Everything the compiler decided about `code` and its nested code objects, as text."""
    lines = [
        f"code {code.co_qualname if hasattr(code, 'co_qualname') else code.co_name}",
        f"  bytes {code.co_code.hex()}",
        f"  names {code.co_names} varnames {code.co_varnames} cellvars {code.co_cellvars} freevars {code.co_freevars}",
        f"  flags {code.co_flags} stacksize {code.co_stacksize} argcount {code.co_argcount}",
        f"  lines {code.co_linetable.hex()} exceptions {getattr(code, 'co_exceptiontable', b'').hex()}",
    ]
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            lines.append(code_listing(const))
        else:
            lines.append(f"  const {const!r}")
    return "\n".join(lines)


def stage(function, source, detail):
    """Run one stage; its result (digest or text), or the error it raised, and its warnings."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            text = function(source)
            outcome = {"text": text} if detail else {"digest": digest(text)}
        except (SyntaxError, ValueError, TypeError, MemoryError, RecursionError, tokenize.TokenError) as exc:
            outcome = {"error": error(exc)}
    outcome["warnings"] = [[w.category.__name__, str(w.message), w.lineno] for w in caught]
    return outcome


def inspect(request):
    detail = request.get("detail", False)
    source = request["source"]
    return {
        "tokens": stage(tokens, source, detail),
        "ast": stage(lambda s: ast.dump(ast.parse(s), include_attributes=True), source, detail),
        "code": stage(lambda s: code_listing(compile(s, "<fuzz>", "exec", dont_inherit=True)), source, detail),
    }


def single_argument_calls(tree):
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and len(node.args) == 1
        and not node.keywords
        and not isinstance(node.args[0], ast.Starred)
    ]


class CallsToPipes(ast.NodeTransformer):
    def __init__(self, chosen):
        self.chosen = chosen

    def visit_Call(self, node):
        self.generic_visit(node)
        if id(node) in self.chosen:
            return ast.BinOp(left=node.args[0], op=PIPE(), right=node.func)
        return node


class PipesToCalls(ast.NodeTransformer):
    def __init__(self, make_call):
        self.make_call = make_call

    def visit_BinOp(self, node):
        self.generic_visit(node)
        if isinstance(node.op, PIPE):
            return self.make_call(node.left, node.right)
        return node


def unparse_and_parse(tree):
    return ast.parse(ast.unparse(tree))


def round_trip(request):
    """Pipes made from calls must survive unparse and parse, and turn back into the very same calls."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return unparsed_pipes(request)


def unparsed_pipes(request):
    if PIPE is None:
        return {"skipped": "this interpreter has no |>"}
    try:
        original = ast.parse(request["source"])
        baseline = ast.dump(unparse_and_parse(original))
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return {"skipped": "does not parse or unparse"}
    if baseline != ast.dump(original):
        return {"skipped": "ast.unparse does not round-trip it even without pipes"}
    calls = single_argument_calls(original)
    if not calls:
        return {"skipped": "no single-argument call"}
    rng = random.Random(request.get("seed", 0))
    chosen = {id(call) for call in calls if rng.random() < request.get("ratio", 0.5)} or {id(rng.choice(calls))}
    piped = CallsToPipes(chosen).visit(original)
    pipe_source = ast.unparse(piped)
    answer = {"pipes": len(chosen), "pipe_source": pipe_source}
    try:
        reparsed = ast.parse(pipe_source)
    except SyntaxError as exc:
        return {**answer, "problem": f"the unparsed pipes do not parse: {error(exc)}"}
    back = PipesToCalls(lambda left, right: ast.Call(func=right, args=[left], keywords=[])).visit(reparsed)
    if ast.dump(back) != baseline:
        return {**answer, "problem": "parsing the unparsed pipes gives another tree"}
    return answer


def to_calls(request):
    def call(left, right):
        return ast.Call(func=ast.Name("_pipe_call", ast.Load()), args=[left, right], keywords=[])

    try:
        tree = PipesToCalls(call).visit(ast.parse(request["source"], mode="eval"))
    except (SyntaxError, RecursionError, MemoryError) as exc:
        return {"error": error(exc)}
    return {"source": ast.unparse(ast.fix_missing_locations(tree))}


def vocabulary():
    """Names the generated expressions use; every effect is recorded in `events`, in order."""
    events = []

    def recorded(name, function):
        def stage(x):
            events.append(f"{name}({x!r})")
            return function(x)

        return stage

    stages = {
        "inc": recorded("inc", lambda x: x + 1),
        "dbl": recorded("dbl", lambda x: x * 2),
        "neg": recorded("neg", lambda x: -x),
        "first": recorded("first", lambda x: x[0]),
        "wrap": recorded("wrap", lambda x: [x]),
        "pair": recorded("pair", lambda x: (x, x)),
    }

    class Box:
        def __init__(self, item):
            events.append(f"Box({item!r})")
            self.item = item

        def put(self, x):
            events.append(f"Box.put({x!r})")
            return [self.item, x]

        def __repr__(self):
            return f"Box({self.item!r})"

    def value(x):
        events.append(f"v({x!r})")
        return x

    def pick(name):
        events.append(f"s({name!r})")
        return stages[name]

    def _pipe_call(x, f):
        return f(x)

    return {
        "events": events,
        "v": value,
        "s": pick,
        "Box": Box,
        "box": Box(0),
        "_pipe_call": _pipe_call,
        "a": 5,
        "b": "xy",
        **stages,
    }


def evaluate(request):
    """The value (or exception) and the effects of an expression, at module level or as locals of a function."""
    names = vocabulary()
    events = names["events"]
    del events[:]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            answer = {"value": repr(evaluated(request["source"], names, request.get("in_function", False)))}
        except Exception as exc:
            answer = {"error": error(exc)}
    return {**answer, "events": events, "warnings": [[w.category.__name__, str(w.message)] for w in caught]}


def evaluated(source, names, in_function):
    if not in_function:
        return eval(compile(source, "<fuzz>", "eval", dont_inherit=True), names)
    # As parameters, the names are locals bound on every path: the optimizer may reorder their loads.
    parameters = sorted(name for name in names if name != "events")
    definition = f"def evaluate({', '.join(parameters)}):\n    return (\n{source}\n)\n"
    namespace = {}
    exec(compile(definition, "<fuzz>", "exec", dont_inherit=True), namespace)
    return namespace["evaluate"](**{name: names[name] for name in parameters})


OPERATIONS = {"inspect": inspect, "round_trip": round_trip, "to_calls": to_calls, "evaluate": evaluate}


def serve(stdin=sys.stdin, stdout=sys.stdout):
    for line in stdin:
        request = json.loads(line)
        try:
            answer = OPERATIONS[request["op"]](request)
        except Exception as exc:
            # Not the interpreter dying, but reported the same way: the input is kept and minimised.
            answer = {"crash": f"the oracle raised {error(exc)}"}
        stdout.write(json.dumps(answer) + "\n")
        stdout.flush()


if __name__ == "__main__":
    serve()
