"""The package's folders show its architecture: each imports only from the folders below it, and no two modules
import each other (docs/explanation/design.md, "The package")."""

from __future__ import annotations

import ast
import re
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "pipe_cpython"
# Bottom to top; the modules at the package's top (the command line, CI's matrix, ./nox's bootstrap) come last.
LAYERS = ["core", "series", "host", "checkout", "proofs", "builds", "plan", "web", "environments", ""]


def layer(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""


def imports() -> dict[str, set[str]]:
    """Each module of the package (dotted) and the package's modules it imports, at run time or for types."""
    found = {}
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(".__init__")
        package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
        targets = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                prefix = ".".join([*base, *(node.module.split(".") if node.module else [])])
                for alias in node.names:
                    candidate = f"{prefix}.{alias.name}"
                    is_module = (PACKAGE.parent / (candidate.replace(".", "/") + ".py")).exists()
                    targets.add(candidate if is_module else prefix)
        found[module] = targets
    return found


def test_imports_only_go_down():
    upward = [
        f"{module} imports {target}"
        for module, targets in imports().items()
        for target in targets
        if LAYERS.index(layer(target)) > LAYERS.index(layer(module))
    ]
    assert not upward, upward


def test_no_two_modules_import_each_other():
    graph = imports()
    pairs = sorted({tuple(sorted((a, b))) for a, targets in graph.items() for b in targets if a in graph.get(b, ())})
    assert not pairs, pairs


def test_every_folder_has_a_layer():
    folders = {path.name for path in PACKAGE.iterdir() if path.is_dir() and (path / "__init__.py").exists()}
    assert folders == set(LAYERS) - {""}


def test_every_documentation_page_the_code_names_exists():
    """Hints and messages send users to pages of docs/: those pages must be there."""
    named = {
        page
        for path in [*PACKAGE.rglob("*.py"), PACKAGE.parent / "noxfile.py"]
        for page in re.findall(r"docs/[\w/.-]+\.md", path.read_text())
    }
    assert named, "the code names no page of the documentation"
    assert [page for page in sorted(named) if not (PACKAGE.parent / page).is_file()] == []
