"""The one exception type the harness raises for problems a user can fix."""

from __future__ import annotations


class HarnessError(Exception):
    """A failure with a message for the user and, ideally, what to do about it.

    The command line prints these without a traceback: they are expected
    outcomes (bad input, missing dependency, network down), not bugs.
    """

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\n  hint: {self.hint}"
        return self.message


class Skipped(HarnessError):
    """What cannot be done here, as a fact rather than a failure: the step exits with EXIT_SKIPPED and this
    message, and per-series sessions report a skip with it (never a pass)."""


class SourceUnavailable(Skipped):
    """No origin offers the release asked for and the cache holds none (the default series falls back)."""
