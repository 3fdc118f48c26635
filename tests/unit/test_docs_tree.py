"""docs/ names only code that exists, and docs/layout.md names every package, module and top-level folder.

The layout page is a list of sections whose heading holds a folder in backticks (`layers/core/p2p_core/`; the
first, `the repository`, is the root), each with a table whose first column names paths under that folder.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DOCS = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md"]
PACKAGES = {"p2p_core": "layers/core/p2p_core", "p2pctl": "cli/p2pctl", "p2p_emulator": "emulator/p2p_emulator"}
TICKED = re.compile(r"`([^`\s]+)`")
ROOTS = ("layers/", "cli/", "emulator/", "functions/", "statemachine/", "tests/", "benchmarks/", "scripts/")


def _layout() -> dict[str, set[Path]]:
    """Section folder → the paths its table's first column names."""
    named: dict[str, set[Path]] = {}
    folder = ""
    for line in (ROOT / "docs" / "layout.md").read_text().splitlines():
        if line.startswith("## "):
            heading = TICKED.findall(line)
            folder = heading[0] if heading else ""
            named.setdefault(folder, set())
        elif line.startswith("| `"):
            first = line.split(" | ")[0]
            named.setdefault(folder, set()).update(ROOT / folder / name for name in TICKED.findall(first))
    return named


def test_every_path_the_layout_names_exists() -> None:
    missing = [str(path.relative_to(ROOT)) for paths in _layout().values() for path in paths if not path.exists()]
    assert missing == [], f"docs/layout.md names paths that are not in the tree: {missing}"


def test_the_layout_names_every_top_level_folder_package_and_module() -> None:
    named = {path.resolve() for paths in _layout().values() for path in paths}
    wanted = [p for p in ROOT.iterdir() if p.is_dir() and not p.name.startswith(".") and p.name not in _IGNORED]
    for folder in PACKAGES.values():
        package = ROOT / folder
        wanted += [p.parent for p in package.rglob("__init__.py") if p.parent != package]
        wanted += [p for p in package.glob("*.py") if p.name != "__init__.py"]
    unnamed = sorted(str(p.relative_to(ROOT)) for p in wanted if p.resolve() not in named)
    assert unnamed == [], f"docs/layout.md does not say what these hold, add a row for each: {unnamed}"


_IGNORED = {"site", "build", "dist", "__pycache__"} | {p.name for p in ROOT.glob("*.egg-info")}


def _code_paths(text: str) -> set[str]:
    found = set()
    for token in TICKED.findall(text):
        token = token.rstrip(".,:;")
        if "<" in token or "*" in token or "..." in token or "…" in token:
            continue
        for package, folder in PACKAGES.items():
            if token.startswith(package + "/"):
                token = folder + token[len(package) :]
        if token.startswith(ROOTS) and re.fullmatch(r"[\w./-]+", token):
            found.add(token.split("::")[0])
    return found


def test_every_file_the_docs_and_readme_name_exists() -> None:
    missing = sorted(
        f"{page.name}: {path}" for page in DOCS for path in _code_paths(page.read_text()) if not (ROOT / path).exists()
    )
    assert missing == []


def _dotted(text: str) -> set[str]:
    return {t for t in TICKED.findall(text) if re.fullmatch(r"(p2p_core|p2pctl|p2p_emulator)(\.\w+)+", t)}


def test_every_module_and_name_the_docs_and_readme_name_imports() -> None:
    unknown = []
    for page in DOCS:
        for dotted in _dotted(page.read_text()):
            parts = dotted.split(".")
            for cut in range(len(parts), 0, -1):
                try:
                    found: object = importlib.import_module(".".join(parts[:cut]))
                    break
                except ModuleNotFoundError:
                    continue
            for attribute in parts[cut:]:
                found = getattr(found, attribute, None)
            if found is None:
                unknown.append(f"{page.name}: {dotted}")
    assert unknown == []
