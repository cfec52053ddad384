"""Import direction the README promises: schema modules do not reach into resolvers at import
time (only schema/root.py, which assembles the schema from both), and app infrastructure
lives outside resolvers/."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _module_level_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.parse(path.read_text()).body:  # module level only: function-local imports run later
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_schema_modules_do_not_import_resolvers_at_import_time():
    offenders = {
        path.name: sorted(m for m in _module_level_imports(path) if m == "resolvers" or m.startswith("resolvers."))
        for path in (ROOT / "schema").glob("*.py")
        if path.name != "root.py"
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}


def test_resolvers_do_not_hold_app_infrastructure():
    present = {p.stem for p in (ROOT / "resolvers").glob("*.py")}
    assert present.isdisjoint({"context", "services", "limits", "response_cache", "validation", "list_caps"})
