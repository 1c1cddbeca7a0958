"""The GitHub Actions matrix, read off the noxfile (`nox -l --json -t ci`): one job per (series, build target).

A session's target is its target tag (`native`, `emscripten`, `wasi`); its series is
its `cpython` parameter. A target's sessions without a series (the browser
test) go to the job of the newest series that has a build for that target (a profile says
which), which also publishes the static page.
Sessions with no target tag (unit tests, e2e, lint) make one `harness` job.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from .series import profiles

TARGETS = ("native", "emscripten", "wasi")
HARNESS = "harness"


def _series_key(series: str) -> tuple[int, ...]:
    return tuple(int(n) for n in series.split("."))


def jobs(listing: Iterable[dict]) -> list[dict]:
    """Matrix entries: name, series, target, sessions (space-separated nox names), whether to publish the page."""
    grouped: dict[tuple[str, str | None], list[str]] = {}
    for session in listing:
        key = (_target(session), session["call_spec"].get("cpython"))
        grouped.setdefault(key, []).append(session["name"] + _call(session["call_spec"]))
    newest: dict[str, str] = {}
    for target, series in sorted((key for key in grouped if key[1]), key=lambda key: _series_key(key[1])):
        if _has_build(target, series):
            newest[target] = series
    # A target's sessions without a series run after those of its newest series, in that job.
    for target, series in newest.items():
        grouped[(target, series)] += grouped.pop((target, None), [])
    overall = max(newest.values(), key=_series_key)
    return [
        {
            "name": f"{target} {series or ''}".strip(),
            "series": series or overall,
            "target": target,
            "sessions": " ".join(names),
            "page": target == "emscripten" and series == newest.get(target),
        }
        for (target, series), names in sorted(
            grouped.items(), key=lambda item: (item[0][0], _series_key(item[0][1] or "0"))
        )
    ]


def _has_build(target: str, series: str) -> bool:
    """Whether the harness builds `series` for `target` (a series without a profile is taken to)."""
    profile = profiles.PROFILES.get(series)
    return profile is None or target not in ("emscripten", "wasi") or getattr(profile, target) is not None


def _target(session: dict) -> str:
    return next((tag for tag in session["tags"] if tag in TARGETS), HARNESS)


def _call(call_spec: dict) -> str:
    """nox's own spelling of a parametrized session: conformance(cpython='3.13')."""
    if not call_spec:
        return ""
    return "(" + ", ".join(f"{key}={value!r}" for key, value in call_spec.items()) + ")"


def matrix_json(listing_text: str) -> str:
    return json.dumps({"include": jobs(json.loads(listing_text))})
