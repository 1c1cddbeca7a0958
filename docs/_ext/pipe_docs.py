"""pipe-cpython's own Sphinx extension: the reference pages generated from what the code says, links to the
repository's files, and a check that every session, step, option and environment variable the pages (and the
README) name exists, so that no page describes a feature the code no longer has.

- ``{source}`path``` names a file of the repository: checked to exist, linked to GitHub where the build knows
  the repository (``pipe_docs_repository``), plain text elsewhere.
- ``pipe-sessions``: the sessions, from nox's own listing (``nox -l --json``; ``nox -s docs`` writes it and
  names it in PIPE_CPYTHON_NOX_LISTING).
- ``pipe-options``: the options of ``python -m pipe_cpython`` and of each of its steps, from its argparse parser.
- ``pipe-targets``: the build targets, from ``pipe_cpython.builds.targets.TARGETS``.
- ``pipe-docstring``: a module's docstring, where the code keeps a reference (the cache's layout).
"""

from __future__ import annotations

import argparse
import importlib
import re
from typing import ClassVar

from docutils import nodes
from docutils.parsers.rst import Directive, directives
from docutils.statemachine import StringList
from references import ROOT, nox_listing, problems, steps
from sphinx.util import logging

logger = logging.getLogger(__name__)


def check_source(app, docname: str, source: list[str]) -> None:
    for line, problem in problems(source[0]):
        logger.warning(problem, location=(docname, line))


def check_readme(app) -> None:
    """The README is the site's front door, outside it: checked all the same."""
    for line, problem in problems((ROOT / "README.md").read_text()):
        logger.warning(problem, location=f"{ROOT / 'README.md'}:{line}")


# -- {source} ------------------------------------------------------------------------------------------------


def source_role(name, rawtext, text, lineno, inliner, options=None, content=()):
    """``{source}`path``` or ``{source}`label <path>```: a file of the repository, which must exist."""
    match = re.fullmatch(r"(.*?)\s*<([^>]+)>", text)
    label, path = (match[1], match[2]) if match else (text, text)
    config = inliner.document.settings.env.config
    messages = []
    if not (ROOT / path.split("#")[0]).exists():
        messages.append(inliner.reporter.warning(f"{{source}} names {path}, which the repository does not have"))
    literal = nodes.literal(label, label)
    if not config.pipe_docs_repository:
        return [literal], messages
    kind = "tree" if (ROOT / path).is_dir() else "blob"
    url = f"https://github.com/{config.pipe_docs_repository}/{kind}/{config.pipe_docs_revision}/{path}"
    return [nodes.reference(rawtext, "", literal, refuri=url)], messages


# -- generated references ------------------------------------------------------------------------------------


def cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


class MarkdownDirective(Directive):
    """A directive that writes Markdown and lets MyST parse it where it stands."""

    def markdown(self) -> list[str]:
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        container = nodes.container()
        self.state.nested_parse(StringList(self.markdown()), self.content_offset, container)
        return container.children


class SessionsDirective(MarkdownDirective):
    """Every session: its series, whether `ci` runs it, and its docstring (nox's listing)."""

    def markdown(self) -> list[str]:
        rows: dict[str, dict] = {}
        for session in nox_listing():
            row = rows.setdefault(session["name"], {"description": session["description"], "series": [], "ci": []})
            series = session["call_spec"].get("cpython")
            if series:
                row["series"].append(series)
            if "ci" in session["tags"]:
                row["ci"].append(series or "yes")
        lines = ["| session | series | in `ci` | what it does |", "|---|---|---|---|"]
        for name, row in rows.items():
            ci = ", ".join(row["ci"]) if row["ci"] else ""
            lines.append(f"| `{name}` | {', '.join(row['series'])} | {ci} | {cell(row['description'] or '')} |")
        return lines


class OptionsDirective(MarkdownDirective):
    """The options every step takes, then each step with its own (argparse's own parser)."""

    def markdown(self) -> list[str]:
        common = {option for action in _common_actions() for option in action.option_strings}
        lines = ["## Every step", "", *_options_table(_common_actions())]
        for name, parser in steps().items():
            own = [a for a in parser._actions if a.option_strings and not set(a.option_strings) & common]
            own = [a for a in own if not isinstance(a, argparse._HelpAction)]
            lines += ["", f"## `{name}`", "", cell(parser.description or "")]
            if own:
                lines += ["", *_options_table(own)]
        return lines


def _common_actions() -> list[argparse.Action]:
    options = importlib.import_module("pipe_cpython.plan.options")
    parser = argparse.ArgumentParser(add_help=False)
    options.add_arguments(parser)
    return parser._actions


def _options_table(actions: list[argparse.Action]) -> list[str]:
    lines = ["| option | default | meaning |", "|---|---|---|"]
    for action in actions:
        value = f" `{action.metavar or action.dest.upper()}`" if action.nargs != 0 else ""
        flags = " / ".join(f"`{flag}`{value}" for flag in action.option_strings)
        unset = action.default in (None, False, argparse.SUPPRESS) or action.nargs == 0
        default = "" if unset else f"`{action.default}`"
        # The defaults some options read from the environment are this machine's: say where they come from.
        if "env " in (action.help or "") or action.dest in ("cache", "patches"):
            default = ""
        lines.append(f"| {flags} | {default} | {cell(action.help or '')} |")
    return lines


class TargetsDirective(MarkdownDirective):
    """The build targets of `pipe_cpython.builds.targets.TARGETS`: the keys of `paths --json`'s builds."""

    def markdown(self) -> list[str]:
        targets = importlib.import_module("pipe_cpython.builds.targets")
        lines = ["| target | build directory | what it is |", "|---|---|---|"]
        for name, target in targets.TARGETS.items():
            doc = (type(target).__doc__ or "").strip().split("\n\n")[0]
            lines.append(f"| `{name}` | `{target.directory}` | {cell(doc)} |")
        return lines


class DocstringDirective(Directive):
    """A module's docstring, as reStructuredText (where the code is the reference)."""

    required_arguments = 1
    option_spec: ClassVar[dict] = {"skip-first-paragraph": directives.flag}

    def run(self) -> list[nodes.Node]:
        text = importlib.import_module(self.arguments[0]).__doc__ or ""
        if "skip-first-paragraph" in self.options:
            text = text.split("\n\n", 1)[1]
        node = nodes.literal_block(text, text) if "::" not in text else None
        if node is not None:
            return [node]
        # A literal block introduced by `::`: shown as it is written.
        head, _, block = text.partition("::")
        return [nodes.paragraph(head, head.strip() + ":"), nodes.literal_block(block, _dedent(block))]


def _dedent(block: str) -> str:
    lines = [line for line in block.splitlines() if line.strip()]
    indent = min(len(line) - len(line.lstrip()) for line in lines)
    return "\n".join(line[indent:] for line in block.strip("\n").splitlines())


def setup(app):
    app.add_config_value("pipe_docs_repository", None, "env")
    app.add_config_value("pipe_docs_revision", "main", "env")
    app.add_role("source", source_role)
    app.add_directive("pipe-sessions", SessionsDirective)
    app.add_directive("pipe-options", OptionsDirective)
    app.add_directive("pipe-targets", TargetsDirective)
    app.add_directive("pipe-docstring", DocstringDirective)
    app.connect("source-read", check_source)
    app.connect("builder-inited", check_readme)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
