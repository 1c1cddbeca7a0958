"""Sphinx configuration: MyST Markdown, built by `nox -s docs` with warnings as errors."""

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(Path(__file__).parent / "_ext")]

project = "pipe-cpython"
author = "the pipe-cpython authors"
extensions = ["myst_parser", "pipe_docs"]
source_suffix = {".md": "markdown"}
exclude_patterns = ["_build", "requirements.txt"]
# Every heading gets an anchor, so `page.md#a-heading` links are checked like pages.
myst_heading_anchors = 4
myst_enable_extensions = ["colon_fence"]
html_theme = "furo"
html_title = "pipe-cpython"
# Where {source} links point on GitHub (its Actions set GITHUB_REPOSITORY); elsewhere they are plain text.
pipe_docs_repository = os.environ.get("GITHUB_REPOSITORY")
pipe_docs_revision = os.environ.get("GITHUB_SHA", "main")
