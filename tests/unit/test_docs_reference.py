"""The configuration reference in docs/ is the config model's (one source), and the README's example is valid."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml

from p2p_core.config.model import config_json_schema, parse_config
from p2pctl.config_reference import END, REGENERATE, START, main, missing_descriptions, reference, rewrite

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "configuration.md"


def _section(page: str) -> str:
    return page.split(START + "\n", 1)[1].split(END, 1)[0]


def test_the_reference_in_docs_is_the_one_the_config_model_renders() -> None:
    documented = _section(PAGE.read_text())
    assert documented == reference(), f"docs/configuration.md disagrees with the config model: run {REGENERATE}"


def test_every_field_of_the_config_item_says_what_it_means() -> None:
    assert missing_descriptions() == [], "give each field a pydantic Field(description=...) in p2p_core.config"


def test_every_field_of_the_schema_has_its_row_with_type_and_default() -> None:
    rows = {line.split("`")[1]: line for line in reference().splitlines()[2:]}
    schema = config_json_schema()
    assert set(schema["properties"]) <= set(rows)
    assert "`15 minutes`" in rows["start_offset"] and "`rate(15 minutes)`" in rows["schedule_expression"]
    assert rows["instance.volume_size"].split(" | ")[1] == "integer 8-65536"
    assert "one of `ansible`, `shell`" in rows["agent.type"]
    assert rows["instance.refresh"].split(" | ")[2] == "(its fields' defaults)"
    assert rows["stop_time"].split(" | ")[2] == "none"


def test_a_schema_is_rendered_with_its_sections_bounds_choices_and_markdown_escaped() -> None:
    schema: dict[str, Any] = {
        "properties": {
            "count": {"type": "integer", "minimum": 1, "maximum": 9, "default": 2, "description": "how | many"},
            "when": {"anyOf": [{"const": "now"}, {"type": "string", "format": "date-time"}], "description": "w"},
            "part": {"allOf": [{"$ref": "#/$defs/Part"}], "description": "a part"},
        },
        "$defs": {
            "Part": {"description": "P", "properties": {"kind": {"enum": ["a", "b"], "description": "<k> `<k>`"}}}
        },
    }
    assert reference(schema, {"when": "now", "part": {"kind": "a"}}).splitlines()[2:] == [
        "| `count` | integer 1-9 | `2` | how \\| many |",
        '| `when` | `"now"` or RFC 3339 time | `now` | w |',
        "| `part` | section (below) | (its fields' defaults) | a part |",
        "| `part.kind` | one of `a`, `b` | `a` | &lt;k&gt; `<k>` |",
    ]
    assert missing_descriptions({"properties": {"bare": {"type": "integer"}}}) == ["bare"]


def test_rewrite_replaces_only_what_lies_between_the_markers() -> None:
    page = f"intro\n{START}\nold\n{END}\nafter\n"
    assert rewrite(page, "new\n") == f"intro\n{START}\nnew\n{END}\nafter\n"
    with pytest.raises(ValueError, match="reference:start"):
        rewrite("no markers here\n", "new\n")


def test_the_generator_writes_the_page_and_leaves_an_up_to_date_one_alone(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    page = tmp_path / "configuration.md"
    page.write_text(f"# Configuration\n{START}\nstale\n{END}\nrest\n")
    assert main([str(page)]) == 0
    assert _section(page.read_text()) == reference() and page.read_text().endswith("rest\n")
    assert "rewritten" in capsys.readouterr().out
    assert main([str(page)]) == 0
    assert "up to date" in capsys.readouterr().out


def test_the_readmes_example_config_item_is_valid() -> None:
    readme = (ROOT / "README.md").read_text()
    example = re.search(r"```yaml\n(.*?)```", readme, re.S)
    assert example is not None, "README.md shows an example config item in a ```yaml block"
    config = parse_config(yaml.safe_load(example.group(1)))
    assert config.selected_regions() == ["eu-central-1", "us-east-1"]
