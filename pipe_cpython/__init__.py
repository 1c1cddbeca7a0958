"""pipe-cpython: build CPython with a `|>` pipe operator, natively and for WebAssembly."""

from .core.errors import HarnessError

__all__ = ["HarnessError"]
