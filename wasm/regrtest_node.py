"""Run CPython's regrtest in the WebAssembly interpreter under node (used by `regrtest-wasm`).

Emscripten's NODERAWFS reports every stream as a terminal, and calling
termios.tcgetattr on such a stream ends node with a JavaScript TypeError
rather than a Python exception. regrtest (3.12 and later) probes the
terminal's echo flag that way around every test module. This driver answers
that one probe with "no terminal", which is what regrtest itself answers when
stdin is not a tty; the tests run unchanged.
"""

import sys

from test.libregrtest import save_env
from test.libregrtest.main import main

if hasattr(save_env.saved_test_environment, "get_stty_echo"):
    save_env.saved_test_environment.get_stty_echo = lambda self: None

if __name__ == "__main__":
    sys.exit(main())
