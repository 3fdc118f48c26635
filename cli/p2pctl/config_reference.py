"""The configuration reference: every field of the config item as a Markdown table, from the model's JSON Schema.

One source: the field names, types, bounds and descriptions are `p2pctl config schema`'s, the defaults the model's
own. `python -m p2pctl.config_reference [FILE]` rewrites the part of FILE (default docs/configuration.md) between
the reference markers; tests/unit/test_docs_reference.py fails when the two disagree.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from p2p_core.config.model import ConfigItem, config_json_schema

START, END = "<!-- reference:start -->", "<!-- reference:end -->"
DEFAULT_PAGE = Path("docs/configuration.md")
REGENERATE = "python -m p2pctl.config_reference (make reference)"
Schema = Mapping[str, Any]


def reference(schema: Schema | None = None, defaults: Mapping[str, Any] | None = None) -> str:
    """The reference table: one row per field, sections' fields as dotted names after their section."""
    schema = config_json_schema() if schema is None else schema
    defaults = ConfigItem().model_dump(mode="json") if defaults is None else defaults
    rows = ["| field | type | default | meaning |", "|---|---|---|---|"]
    for name, field, default in _fields(schema, schema, "", defaults):
        shown = "(its fields' defaults)" if _section(schema, field) is not None else _default(field, default)
        rows.append(f"| `{name}` | {_kind(schema, field)} | {shown} | {_meaning(schema, field)} |")
    return "\n".join(rows) + "\n"


def missing_descriptions(schema: Schema | None = None) -> list[str]:
    """Fields whose schema carries no description (each field of the item must say what it means)."""
    schema = config_json_schema() if schema is None else schema
    return [name for name, field, _ in _fields(schema, schema, "", {}) if not _meaning(schema, field)]


def _fields(root: Schema, node: Schema, prefix: str, defaults: Mapping[str, Any]) -> Iterator[tuple[str, Schema, Any]]:
    for key, field in node.get("properties", {}).items():
        name = f"{prefix}{key}"
        yield name, field, defaults.get(key)
        section = _section(root, field)
        if section is not None:
            inner = defaults.get(key)
            yield from _fields(root, section, f"{name}.", inner if isinstance(inner, Mapping) else {})


def _section(root: Schema, field: Schema) -> Schema | None:
    """The model a field refers to (`$ref`, or pydantic's `allOf: [$ref]` beside a description)."""
    ref = field.get("$ref") or next((part["$ref"] for part in field.get("allOf", []) if "$ref" in part), None)
    if ref is None:
        return None
    found: Schema = root["$defs"][ref.rsplit("/", 1)[-1]]
    return found


def _kind(root: Schema, field: Schema) -> str:
    if _section(root, field) is not None:
        return "section (below)"
    if "anyOf" in field:
        return " or ".join(_kind(root, part) for part in field["anyOf"])
    if "const" in field:
        return f"`{json.dumps(field['const'])}`"
    if "enum" in field:
        return "one of " + ", ".join(f"`{value}`" for value in field["enum"])
    kind = field.get("type")
    if kind == "array":
        items = f"list of {_kind(root, field['items'])}" if "items" in field else "list"
        return items + (f" (at most {field['maxItems']})" if "maxItems" in field else "")
    if kind == "object":
        if "additionalProperties" in field and isinstance(field["additionalProperties"], Mapping):
            return f"map of {_kind(root, field['additionalProperties'])}"
        keys = ", ".join(field.get("properties", {}))
        return f"map {{{keys}}}" if keys else "map"
    if kind == "integer":
        return "integer" + _bounds(field)
    if kind == "string":
        if field.get("format") == "date-time":
            return "RFC 3339 time"
        examples = field.get("examples")
        return "text" + (" (e.g. " + ", ".join(f"`{e}`" for e in examples) + ")" if examples else "")
    return {"boolean": "`true` or `false`", "null": "`null`"}.get(str(kind), str(kind))


def _bounds(field: Schema) -> str:
    low, high = field.get("minimum"), field.get("maximum")
    if low is not None and high is not None:
        return f" {low}-{high}"
    if low is not None:
        return f" ≥ {low}"
    return f" ≤ {high}" if high is not None else ""


def _default(field: Schema, model_default: Any) -> str:
    value = field.get("default", model_default)
    return "none" if value is None else f"`{_compact(value)}`"


def _compact(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, separators=(", ", ": "))
    return text.replace("|", "\\|")


def _meaning(root: Schema, field: Schema) -> str:
    section = _section(root, field)
    text = field.get("description") or (section.get("description", "") if section is not None else "")
    spans = " ".join(str(text).split()).replace("|", "\\|").split("`")
    # outside code spans `<region>` would be read as an HTML tag: escaped there, kept as typed inside
    return "`".join(span if i % 2 else span.replace("<", "&lt;").replace(">", "&gt;") for i, span in enumerate(spans))


def rewrite(page: str, table: str) -> str:
    """`page` with the part between the reference markers replaced by `table`."""
    if START not in page or END not in page:
        raise ValueError(f"the page has no {START} ... {END} markers to write the reference between")
    head, rest = page.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{table}{END}{tail}"


def main(argv: list[str]) -> int:
    """Rewrite the reference in the given page (default docs/configuration.md); prints what it did."""
    path = Path(argv[0]) if argv else DEFAULT_PAGE
    page = path.read_text()
    updated = rewrite(page, reference())
    if updated == page:
        print(f"{path}: the reference is up to date")
        return 0
    path.write_text(updated)
    print(f"{path}: reference rewritten from the config model")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
