"""The plugin on the fork, through pytest's own pytester: each test runs pytest, in a process of its own as a user
would, on a small test module. They need the fork: on another interpreter the modules they write do not parse."""

HELPERS = """
def double(v):
    return v * 2

def increment(v):
    return v + 1
"""


def run(pytester, body, *args):
    pytester.makepyfile(test_piped=HELPERS + body)
    return pytester.runpytest_subprocess(*args)


def test_header_says_the_rewriter_knows_the_pipe(pytester):
    result = run(pytester, "def test_ok():\n    assert 2 |> double == 4\n")
    result.stdout.fnmatch_lines(["pipe operator: assertion rewriting explains |>"])
    result.assert_outcomes(passed=1)


def test_a_failing_pipe_shows_its_operand_and_what_the_call_gave(pytester):
    result = run(pytester, "def test_fails():\n    assert 2 |> double == 5\n")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E       *assert 4 == 5", "E        +  where 4 = 2 |> double"])


def test_a_local_operand_shows_its_value(pytester):
    result = run(pytester, "def test_fails():\n    x = 20\n    assert x |> double < 30\n")
    result.stdout.fnmatch_lines(["E       *assert 40 < 30", "E        +  where 40 = 20 |> double"])


def test_a_chain_explains_every_stage(pytester):
    result = run(pytester, "def test_fails():\n    assert 2 |> double |> increment == 6\n")
    result.stdout.fnmatch_lines(
        ["E       *assert 5 == 6", "E        +  where 5 = 4 |> increment", "E        +    where 4 = 2 |> double"]
    )


def test_a_method_callable(pytester):
    result = run(pytester, "def test_fails():\n    words = ['a']\n    assert 'b' |> words.count == 1\n")
    result.stdout.fnmatch_lines(
        [
            "E       *assert 0 == 1",
            "E        +  where 0 = 'b' |> <built-in method count of list object at *>",
            "E        +    where <built-in method count of list object at *> = *'a'*.count",
        ]
    )


def test_the_operand_is_still_evaluated_before_the_callable(pytester):
    body = """
events = []

def operand():
    events.append("operand")
    return 1

def stage():
    events.append("callable")
    return double

def test_order():
    assert operand() |> stage() == 2
    assert events == ["operand", "callable"]
"""
    run(pytester, body).assert_outcomes(passed=1)


def test_other_operators_are_explained_as_before(pytester):
    result = run(pytester, "def test_fails():\n    a = 1\n    assert a + 1 == 3\n")
    result.stdout.fnmatch_lines(["E       *assert (1 + 1) == 3"])


def test_pipes_in_conftest_and_fixtures(pytester):
    pytester.makeconftest(HELPERS + "\nimport pytest\n\n@pytest.fixture\ndef four():\n    return 2 |> double\n")
    pytester.makepyfile(test_fixture="def test_four(four):\n    assert four |> str == '4'\n")
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_without_the_plugin_collection_fails_as_reported(pytester):
    # What users met before the plugin (pytest's KeyError at collection), so the tests above prove the plugin.
    result = run(pytester, "def test_ok():\n    assert 2 |> double == 4\n", "-p", "no:pipe_operator")
    result.stdout.fnmatch_lines(["*KeyError: <class 'ast.Pipe'>*"])
    assert result.ret != 0
