"""The GitHub Actions matrix read off nox's listing."""

import dataclasses
import json

from pipe_cpython import ci
from pipe_cpython.series import profiles


def session(name, tags, **call_spec):
    return {"session": name, "name": name, "tags": ["ci", *tags], "call_spec": call_spec, "python": False}


LISTING = [
    session("conformance", ["native"], cpython="3.11"),
    session("conformance", ["native"], cpython="3.13"),
    session("build-wasm", ["emscripten"], cpython="3.11"),
    session("build-wasm", ["emscripten"], cpython="3.13"),
    session("browser-test", ["emscripten"]),
    session("conformance-wasi", ["wasi"], cpython="3.13"),
    session("tests", []),
    session("lint", []),
]


def test_one_job_per_series_and_target_plus_the_harness():
    jobs = {job["name"]: job for job in ci.jobs(LISTING)}
    assert set(jobs) == {"native 3.11", "native 3.13", "emscripten 3.11", "emscripten 3.13", "wasi 3.13", "harness"}
    assert jobs["native 3.11"]["sessions"] == "conformance(cpython='3.11')"
    assert jobs["harness"]["sessions"] == "tests lint"


def test_the_browser_test_and_the_page_go_with_the_newest_series():
    jobs = {job["name"]: job for job in ci.jobs(LISTING)}
    assert jobs["emscripten 3.13"]["sessions"] == "build-wasm(cpython='3.13') browser-test"
    assert [name for name, job in jobs.items() if job["page"]] == ["emscripten 3.13"]


def test_a_new_series_is_a_new_job():
    listing = [*LISTING, session("conformance", ["native"], cpython="3.14")]
    jobs = {job["name"]: job for job in ci.jobs(listing)}
    assert "native 3.14" in jobs
    assert jobs["emscripten 3.13"]["page"], "the page follows the newest series that has the target"
    assert "emscripten 3.14" not in jobs


def test_matrix_json_is_what_fromjson_expects():
    assert json.loads(ci.matrix_json(json.dumps(LISTING)))["include"][0]["target"] == "emscripten"


def test_the_page_goes_with_the_newest_series_that_has_an_emscripten_build(monkeypatch):
    without = dataclasses.replace(profiles.PROFILES["3.13"], emscripten=None)
    monkeypatch.setitem(profiles.PROFILES, "3.14", without)
    listing = [*LISTING, session("build-wasm", ["emscripten"], cpython="3.14")]
    jobs = {job["name"]: job for job in ci.jobs(listing)}
    assert jobs["emscripten 3.14"]["sessions"] == "build-wasm(cpython='3.14')"
    assert [name for name, job in jobs.items() if job["page"]] == ["emscripten 3.13"]
