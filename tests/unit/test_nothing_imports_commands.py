"""Commands sit on top: argv -> typed options -> the service or the backtest. Nothing below them
imports ``detector.commands`` (only the CLI's table and the commands themselves do)."""

from __future__ import annotations

import ast
from pathlib import Path

DETECTOR = Path(__file__).resolve().parents[2] / "detector"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_module_outside_the_commands_and_the_cli_imports_a_command():
    below = [p for p in DETECTOR.rglob("*.py") if "commands" not in p.relative_to(DETECTOR).parts and p.name != "cli.py"]
    offenders = {str(p.relative_to(DETECTOR)): sorted(n for n in imported_modules(p) if n.startswith("detector.commands")) for p in below}
    assert {path: names for path, names in offenders.items() if names} == {}
    assert len(below) > 50  # the walk saw the package
