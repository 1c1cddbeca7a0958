"""JSON stamp files: what a finished step was made from, so the next run knows whether to redo it.

Every step that records its inputs (configure, a library build, an applied
series, a fetched source, a Debian root) goes through `Stamp`: written
atomically (a killed run leaves the old stamp or none, never half of one),
and compared as a whole, so a step is skipped only when every input is the same.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any


class Stamp:
    def __init__(self, path: Path) -> None:
        self.path = path

    def read(self) -> Any | None:
        """The recorded inputs, or None when there is no stamp (or only an unreadable one)."""
        try:
            return json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except ValueError:
            # Stamps are written atomically, so this is a hand edit or another tool's file: redo the step.
            return None

    def matches(self, inputs: Any) -> bool:
        # Compared as JSON reads back, so a tuple in `inputs` equals the list it was stored as.
        return self.read() == json.loads(json.dumps(inputs))

    def write(self, inputs: Any) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        partial.write_text(json.dumps(inputs, indent=2, sort_keys=True) + "\n")
        os.replace(partial, self.path)

    def clear(self) -> None:
        self.path.unlink(missing_ok=True)

    def exists(self) -> bool:
        return self.path.exists()
