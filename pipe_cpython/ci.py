"""The GitHub Actions matrix, read off the noxfile (`nox -l --json -t ci`): one job per (series, build target).

A session's target is its target tag (`native`, `emscripten`); its series is
its `cpython` parameter. A target's sessions without a series (the browser
test) go to the newest series' job, which also publishes the static page.
Sessions with no target tag (unit tests, e2e, lint) make one `harness` job.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

TARGETS = ("native", "emscripten")
HARNESS = "harness"


def _series_key(series: str) -> tuple[int, ...]:
    return tuple(int(n) for n in series.split("."))


def jobs(listing: Iterable[dict]) -> list[dict]:
    """Matrix entries: name, series, target, sessions (space-separated nox names), whether to publish the page."""
    listing = [(_target(session), session) for session in listing]
    everywhere = [session["call_spec"]["cpython"] for _, session in listing if "cpython" in session["call_spec"]]
    newest = {
        target: max(
            [s["call_spec"]["cpython"] for t, s in listing if t == target and "cpython" in s["call_spec"]]
            or everywhere,
            key=_series_key,
        )
        for target, _ in listing
    }
    grouped: dict[tuple[str, str], list[str]] = {}
    for target, session in listing:
        series = session["call_spec"].get("cpython", "" if target == HARNESS else newest[target])
        grouped.setdefault((target, series), []).append(session["name"] + _call(session["call_spec"]))
    entries = []
    for (target, series), names in sorted(
        grouped.items(), key=lambda item: (item[0][0], _series_key(item[0][1] or "0"))
    ):
        entries.append(
            {
                "name": f"{target} {series}".strip(),
                "series": series or newest[target],
                "target": target,
                "sessions": " ".join(names),
                "page": target == "emscripten" and series == newest[target],
            }
        )
    return entries


def _target(session: dict) -> str:
    return next((tag for tag in session["tags"] if tag in TARGETS), HARNESS)


def _call(call_spec: dict) -> str:
    """nox's own spelling of a parametrized session: conformance(cpython='3.13')."""
    if not call_spec:
        return ""
    return "(" + ", ".join(f"{key}={value!r}" for key, value in call_spec.items()) + ")"


def matrix_json(listing_text: str) -> str:
    return json.dumps({"include": jobs(json.loads(listing_text))})
