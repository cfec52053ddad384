"""store_network sits below commerce: it never imports commerce, so the two cannot form a cycle
and store rules (control policies, store settings) stay usable without the shop around them."""
from __future__ import annotations

import ast
from pathlib import Path

STORE_NETWORK = Path(__file__).resolve().parents[2] / "store_network"


def _imported_modules(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
    return found


def test_store_network_never_imports_commerce():
    offenders = {
        path.name: sorted(m for m in _imported_modules(path) if m == "commerce" or m.startswith("commerce."))
        for path in sorted(STORE_NETWORK.glob("*.py"))
    }
    assert {name: mods for name, mods in offenders.items() if mods} == {}
