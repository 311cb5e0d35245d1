"""The layering in DEVELOPERS.md holds: a layer imports only the layers below it."""

from __future__ import annotations

import ast
from pathlib import Path

from importlinter.cli import lint_imports

PACKAGE = Path(__file__).resolve().parents[1] / "kube_actors"
PYPROJECT = PACKAGE.parent / "pyproject.toml"


def test_import_linter_contracts_hold() -> None:
    status = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    assert status == 0, "a layering contract is broken: run `lint-imports` for details"


def test_api_imports_nothing_above_it() -> None:
    # A second, dependency-free check of the busiest boundary, so a broken contract file can't
    # silently turn the test above into a no-op.
    allowed = {"kube_actors.api", "kube_actors.runtime"}
    offenders = []
    for path in (PACKAGE / "api").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            else:
                continue
            for name in names:
                if name.startswith("kube_actors") and not any(
                    name == a or name.startswith(a + ".") for a in allowed
                ):
                    offenders.append(f"{path.name}: {name}")
    assert offenders == []
