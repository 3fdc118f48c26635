"""The Lambda layer ships what production uses; test and emulator seams live with the emulator and tests (issue 23 §3).

Read from the source (AST), so a seam that creeps back in fails here, naming itself:
- every public function, class and method of layers/ is used by the handlers, the layer, the CLI or the
  emulator: a name only tests or benchmarks use belongs with them;
- the client hooks live in p2p_emulator.handler_clients, not in the layer;
- `p2p_core.clock.now` is called through its module (the emulator runs the handlers on its account's clock);
- benchmarks/ imports neither tests/ nor pytest.
"""

from __future__ import annotations

import ast
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYER = ROOT / "layers" / "core" / "p2p_core"
PRODUCTION = [LAYER, ROOT / "functions", ROOT / "cli", ROOT / "emulator"]
HOOKS_MOVED = {
    "add_client_hook",
    "remove_client_hook",
    "on_new_factory",
    "reset_clients",
    "event_hooks",
    "deployment_scope",
}
# used by tests only today, and moved by work under way elsewhere (remove a name once it is gone or used)
KNOWN = {"fit": "PerRegion.fit (p2p_core/cost/usage.py): fits measured figures, which the benchmarks own"}


def sources(*folders: Path) -> Iterator[tuple[Path, ast.Module]]:
    for folder in folders:
        for path in sorted(folder.rglob("*.py")):
            yield path, ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def public_definitions(tree: ast.Module) -> Iterator[tuple[str, int]]:
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.ClassDef) and not node.name.startswith("_"):
            yield node.name, node.lineno
        if isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, ast.FunctionDef) and not member.name.startswith("_"):
                    yield member.name, member.lineno


def names_used(*folders: Path) -> Counter[str]:
    used: Counter[str] = Counter()
    for _, tree in sources(*folders):
        for node in ast.walk(tree):
            if isinstance(node, ast.Name):
                used[node.id] += 1
            elif isinstance(node, ast.Attribute):
                used[node.attr] += 1
            elif isinstance(node, ast.alias):
                used[node.name.rsplit(".", 1)[-1]] += 1
    return used


def layer_names_production_never_uses() -> dict[str, str]:
    used = names_used(*PRODUCTION)
    return {
        name: f"{path.relative_to(ROOT)}:{line}"
        for path, tree in sources(LAYER)
        for name, line in public_definitions(tree)
        if used[name] == 0
    }


def test_every_public_name_of_the_layer_is_used_by_production_code() -> None:
    unused = layer_names_production_never_uses()
    assert {name: where for name, where in unused.items() if name not in KNOWN} == {}, (
        "only tests or benchmarks use these: move them there"
    )
    assert set(KNOWN) <= set(unused), f"no longer test-only, drop from KNOWN: {sorted(set(KNOWN) - set(unused))}"


def test_the_client_hooks_live_with_the_emulator_not_in_the_layer() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', 0)} {name}"
        for path, tree in sources(LAYER, ROOT / "functions")
        for node in ast.walk(tree)
        for name in [getattr(node, "name", None) or getattr(node, "arg", None) or getattr(node, "attr", None)]
        if name in HOOKS_MOVED
    ]
    assert found == []
    factory = next(
        node
        for _, tree in sources(LAYER / "aws")
        for node in tree.body
        if isinstance(node, ast.ClassDef) and node.name == "ClientFactory"
    )
    methods = {m.name for m in factory.body if isinstance(m, ast.FunctionDef) and not m.name.startswith("_")}
    assert methods == {"client", "calls"}  # no register/unregister: hooks are added from outside


def test_the_clock_is_read_through_its_module_so_the_emulator_can_run_the_handlers_on_its_own() -> None:
    imported_by_name = [
        f"{path.relative_to(ROOT)}:{node.lineno}"
        for path, tree in sources(*PRODUCTION, ROOT / "tests", ROOT / "benchmarks")
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "p2p_core.clock"
    ]
    assert imported_by_name == []


def test_benchmarks_import_neither_the_tests_nor_pytest() -> None:
    imports = [
        (f"{path.relative_to(ROOT)}:{node.lineno}", module)
        for path, tree in sources(ROOT / "benchmarks")
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for module in ([a.name for a in node.names] if isinstance(node, ast.Import) else [node.module or ""])
    ]
    assert [(where, m) for where, m in imports if m.split(".")[0] in ("tests", "pytest", "_pytest")] == []
