"""The examples in docs/workqueue.md run and show what they return.

A top-level expression in an example followed by ``# result`` (on its line or alone on the next)
is evaluated and its ``repr`` compared with the result the page shows.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

DOC = Path(__file__).resolve().parents[2] / "docs" / "workqueue.md"


def is_expression(code: str) -> bool:
    try:
        compile(code, "<doc>", "eval")
    except SyntaxError:
        return False
    return True


def run_example(source: str, namespace: dict[str, Any]) -> list[tuple[str, str]]:
    """Run ``source`` in ``namespace``; return (repr of each shown expression, what the page
    shows)."""
    checks: list[tuple[str, str]] = []
    pending: list[str] = []
    lines = source.splitlines()
    for i, line in enumerate(lines):
        code, _, shown = line.partition("  # ")
        code = code.rstrip()
        if not shown and i + 1 < len(lines) and lines[i + 1].startswith("# "):
            shown = lines[i + 1][2:]
        if line.startswith("# "):
            continue
        if shown and code and not code.startswith(" ") and is_expression(code):
            exec("\n".join(pending), namespace)
            pending = []
            checks.append((repr(eval(code, namespace)), shown.strip()))
        else:
            pending.append(line)
    exec("\n".join(pending), namespace)
    return checks


def test_the_examples_show_what_they_return() -> None:
    examples = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
    namespace: dict[str, Any] = {}  # shared: later examples use the first one's imports
    checks = [check for example in examples for check in run_example(example, namespace)]
    assert len(checks) == 3
    for got, shown in checks:
        assert got == shown
