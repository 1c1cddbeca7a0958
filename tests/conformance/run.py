"""Run the `|>` conformance suite inside the patched interpreter.

Usage: python run.py [-v] [-k PATTERN] [--junit FILE]

Uses only the standard library and starts no subprocess, so it runs the
same under a native build and a WebAssembly build under node. The last
line is a summary: "conformance: N passed, N failed, N skipped".
"""

import argparse
import os
import sys
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-v", "--verbose", action="store_true")
    parser.add_argument("-k", dest="patterns", action="append", default=[], help="only tests matching this")
    args = parser.parse_args(argv)

    sys.path.insert(0, HERE)
    loader = unittest.TestLoader()
    loader.testNamePatterns = [f"*{p}*" for p in args.patterns] or None
    suite = loader.discover(HERE, pattern="test_*.py", top_level_dir=HERE)
    result = unittest.TextTestRunner(verbosity=2 if args.verbose else 1, stream=sys.stdout).run(suite)

    failed = len(result.failures) + len(result.errors) + len(result.unexpectedSuccesses)
    skipped = len(result.skipped)
    passed = result.testsRun - failed - skipped
    for test, reason in result.skipped:
        print(f"skipped: {test.id()}: {reason}")
    print(f"conformance: {passed} passed, {failed} failed, {skipped} skipped")
    if result.testsRun == 0:
        print("conformance: no test ran", file=sys.stderr)
        return 1
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
