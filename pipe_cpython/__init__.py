"""pipe-cpython: build CPython with a `|>` pipe operator, natively and for WebAssembly."""

from .errors import HarnessError

__all__ = ["HarnessError"]
