"""README.md is the front page: short, and every link of it reaches a page and heading of docs/ that exist."""

from __future__ import annotations

import re
from pathlib import Path

from markdown.extensions.toc import slugify

ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"\]\(([^)\s]+)\)")


def _anchors(page: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)  # no headings inside code blocks
    return {slugify(line.lstrip("#").strip(), "-") for line in text.splitlines() if line.startswith("#")}


def test_the_readme_is_a_front_page_of_at_most_250_lines() -> None:
    assert len((ROOT / "README.md").read_text().splitlines()) <= 250


def test_every_link_of_the_readme_reaches_an_existing_page_and_heading() -> None:
    broken = []
    for target in LINK.findall((ROOT / "README.md").read_text()):
        if "://" in target:
            continue
        path, _, anchor = target.partition("#")
        page = ROOT / path
        if not page.exists() or (anchor and anchor not in _anchors(page)):
            broken.append(target)
    assert broken == []


def test_every_docs_page_is_reachable_from_the_readme() -> None:
    linked = {target.partition("#")[0] for target in LINK.findall((ROOT / "README.md").read_text())}
    pages = {f"docs/{page.name}" for page in (ROOT / "docs").glob("*.md")}
    assert pages - linked == set()


def test_every_command_and_option_of_the_cli_is_in_the_operating_pages_command_table() -> None:
    import typer.main

    from p2pctl.main import cli

    rows = [line for line in (ROOT / "docs" / "operating.md").read_text().splitlines() if line.startswith("| `p2pctl")]
    missing = []
    for name, command in typer.main.get_command(cli).commands.items():
        own = [row for row in rows if re.search(rf"`p2pctl {re.escape(name)}[ `\[\\]", row)]
        subcommands = getattr(command, "commands", {})
        missing += [name] if not own else []
        missing += [f"{name} {sub}" for sub in subcommands if not any(re.search(rf"\b{sub}\b", r) for r in own)]
        for each in [command, *subcommands.values()]:
            options = [o for param in each.params for o in param.opts if o.startswith("--")]
            missing += [f"{name} {option}" for option in options if not any(option in row for row in own)]
    assert missing == [], "docs/operating.md's command table does not list these p2pctl commands and options"


def test_the_deploying_pages_parameter_table_is_the_templates_parameters_with_their_defaults() -> None:
    from p2p_emulator.template import load_template

    parameters = load_template(ROOT / "template.yaml")["Parameters"]
    rows = {}
    for line in (ROOT / "docs" / "deploying.md").read_text().splitlines():
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        if line.startswith("| `") and len(cells) == 3 and cells[0].strip("`") in parameters:
            rows[cells[0].strip("`")] = cells[1]
    assert set(rows) == set(parameters)
    for name, spec in parameters.items():
        default = str(spec.get("Default", "")).lower()
        assert rows[name] == (f"`{default}`" if default else "empty"), name


def test_the_operating_page_lists_every_event_the_control_plane_publishes_and_every_exit_code() -> None:
    from p2p_core.notifications import DETAIL_TYPES
    from p2pctl.config_write import CONFLICT_EXIT
    from p2pctl.main import INTERRUPTED_EXIT, cli

    page = (ROOT / "docs" / "operating.md").read_text()
    assert [kind for kind in DETAIL_TYPES if f"| `{kind}` |" not in page] == []
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", page, re.M)}
    announced = {int(code) for code in re.findall(r"(\d+) \w+", (cli.info.help or "").split("Exit codes:")[1])}
    assert documented == announced == {0, 1, 2, CONFLICT_EXIT, INTERRUPTED_EXIT}
