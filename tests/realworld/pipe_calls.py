"""Rewrite every .py file under a directory with each one-argument call `f(x)` written `x |> f`.

Runs in the patched interpreter (it parses and unparses with the fork's `ast`), standard library only:
    python pipe_calls.py DIR
Prints one line: files rewritten, calls piped, files left as they were (none to pipe, or not parseable).
Comments and formatting go (the file is `ast.unparse`d); what the code does stays, but for the operand now
being evaluated before the callable, which is the spec.
"""

import ast
import os
import sys
import warnings

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "differential"))
from oracle import CallsToPipes, single_argument_calls


def pipe_file(path):
    """The number of calls piped in the file at `path` (rewritten in place), or None if it does not parse."""
    with open(path, encoding="utf-8") as handle:
        source = handle.read()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            tree = ast.parse(source, path)
        except SyntaxError:
            return None
    calls = single_argument_calls(tree)
    if calls:
        piped = ast.fix_missing_locations(CallsToPipes({id(call) for call in calls}).visit(tree))
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(ast.unparse(piped) + "\n")
    return len(calls)


def main(directory):
    files = calls = untouched = 0
    for root, _, names in os.walk(directory):
        for name in sorted(names):
            if name.endswith(".py"):
                piped = pipe_file(os.path.join(root, name))
                if piped:
                    files, calls = files + 1, calls + piped
                else:
                    untouched += 1
    print(f"piped: {files} files, {calls} calls; {untouched} files unchanged")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
