"""The documentation's check of what its pages name (docs/_ext/references.py), on a listing made up here."""

from __future__ import annotations

import sys

import pytest

from pipe_cpython.core import project

sys.path.insert(0, str(project.ROOT / "docs" / "_ext"))
import references

# Spelled in two parts: the check reads the variables named in the tests too.
UNKNOWN = "PIPE_CPYTHON_" + "NOT_READ"
LISTING = [
    {"name": "build", "tags": [], "call_spec": {}},
    {"name": "conformance", "tags": ["ci", "native"], "call_spec": {"cpython": "3.14"}},
    {"name": "e2e", "tags": ["ci"], "call_spec": {}},
]


@pytest.fixture(autouse=True)
def listing(monkeypatch):
    monkeypatch.setattr(references, "nox_listing", lambda: LISTING)


def test_what_exists_passes():
    text = (
        "Run `./nox -s build -- --clean -- --with-pydebug`, then `nox -t ci`, then\n"
        "`python -m pipe_cpython paths --json`, with PIPE_CPYTHON_VERSION set; `./nox -s e2e -- -m e2e --lf`."
    )
    assert references.problems(text) == []


def test_a_session_tag_step_option_or_variable_the_code_lacks_is_named_with_its_line():
    text = (
        "fine line\n"
        "`./nox -s build lint`\n"
        "`nox -t nightly`\n"
        "`python -m pipe_cpython launch`\n"
        "`./nox -s build -- --turbo`\n"
        f"{UNKNOWN}=1\n"
    )
    assert references.problems(text) == [
        (2, "no session named 'lint'"),
        (3, "no session is tagged 'nightly'"),
        (4, "`python -m pipe_cpython` has no step 'launch'"),
        (5, "no step takes the option --turbo"),
        (6, f"the code reads no variable {UNKNOWN}"),
    ]
