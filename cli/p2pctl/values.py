"""What an operator types, read as they meant it: YAML 1.2 values, and text kept as typed for text fields.

`config set agent.main_run no` stores the text `no` (YAML 1.1 would store `false`), `0x10` and `010`
stay text where the field is text, and a date-time is never turned into an object. Numbers, booleans,
lists and maps elsewhere are YAML 1.2 (ruamel.yaml). Files (`config put`, `edit`, `validate`) are read
the same way, with line and column in syntax errors.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from functools import cache
from io import StringIO
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.constructor import SafeConstructor
from ruamel.yaml.error import MarkedYAMLError

from p2p_core.config.capacity import as_map
from p2p_core.config.model import config_json_schema
from p2p_core.config.validation import show_value
from p2pctl.errors import CliError

Schema = dict[str, Any]


@dataclass(frozen=True)
class _Typed:
    """A plain (unquoted) YAML scalar: its text and its YAML 1.2 value; the field's type decides which counts."""

    text: str
    value: Any


class _TypedConstructor(SafeConstructor):
    """Plain numbers and booleans keep their text; timestamps are text (the config parses RFC 3339 itself)."""


def _typed(kind: str) -> Any:
    build = SafeConstructor.yaml_constructors[f"tag:yaml.org,2002:{kind}"]
    return lambda loader, node: _Typed(node.value, build(loader, node))


for _kind in ("int", "float", "bool"):
    _TypedConstructor.add_constructor(f"tag:yaml.org,2002:{_kind}", _typed(_kind))
_TypedConstructor.add_constructor("tag:yaml.org,2002:timestamp", SafeConstructor.construct_yaml_str)


def _reader() -> YAML:
    reader = YAML(typ="safe", pure=True)
    reader.Constructor = _TypedConstructor
    return reader


class ValueSyntaxError(ValueError):
    """Text that is not YAML; `where` is `line L, column C` when known."""

    def __init__(self, problem: str, where: str) -> None:
        super().__init__(f"{where}: {problem}" if where else problem)
        self.problem, self.where = problem, where


def read_yaml(text: str, schema: Schema | None) -> Any:
    """YAML 1.2 text as Python, text fields (per `schema`) keeping the typed text."""
    try:
        loaded = _reader().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        raise ValueSyntaxError(str(exc.problem or exc.context or "not YAML"), where) from None
    return _settle(loaded, schema)


def read_json(text: str) -> Any:
    """JSON text as Python, with line and column in errors."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueSyntaxError(exc.msg, f"line {exc.lineno}, column {exc.colno}") from None


def read_item(text: str, *, json_text: bool) -> Any:
    """A whole config item from a JSON or YAML 1.2 document (text fields keep their text)."""
    return read_json(text) if json_text else read_yaml(text, _root())


def parse_value(key: str, text: str) -> Any:
    """A command-line value for the dotted `key`: YAML 1.2, and exactly the typed text for a text field."""
    schema = field_schema(key)
    stripped = text.strip()
    if stripped in ("", "-"):  # "-" is "leave alone" in the capacity grammar, not a YAML list item
        return stripped
    try:
        return read_yaml(text, schema)
    except ValueSyntaxError:
        if schema is not None and _is_text(schema):
            return text  # a text field takes any text, YAML or not
        raise


def _settle(value: Any, schema: Schema | None) -> Any:
    if isinstance(value, _Typed):
        return value.text if schema is not None and _is_text(schema) else value.value
    if isinstance(value, dict):
        return {k: _settle(v, _child(schema, str(k))) for k, v in value.items()}
    if isinstance(value, list):
        return [_settle(v, _items(schema)) for v in value]
    return value


# --- the config item's JSON Schema, walked by dotted path ---------------------------------------


@cache
def _root() -> Schema:
    return config_json_schema()


def _resolved(schema: Schema) -> Schema:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        resolved: Schema = _root()["$defs"][ref.removeprefix("#/$defs/")]
        return resolved
    return schema


def _choices(schema: Schema) -> list[Schema]:
    schema = _resolved(schema)
    return [_resolved(s) for s in schema["anyOf"]] if "anyOf" in schema else [schema]


def _child(schema: Schema | None, key: str) -> Schema | None:
    for choice in _choices(schema) if schema is not None else []:
        properties = choice.get("properties", {})
        if key in properties:
            return _resolved(properties[key])
        extra = choice.get("additionalProperties")
        if isinstance(extra, dict):
            return _resolved(extra)
    return None


def _items(schema: Schema | None) -> Schema | None:
    for choice in _choices(schema) if schema is not None else []:
        if isinstance(choice.get("items"), dict):
            return _resolved(choice["items"])
    return None


def _is_text(schema: Schema) -> bool:
    """Only text (or null) is valid here: a string type, a string enum or a string constant."""
    kinds = []
    for choice in _choices(schema):
        if choice.get("type") == "null":
            continue
        values = choice.get("enum", [choice["const"]] if "const" in choice else None)
        kinds.append(choice.get("type") == "string" or (values is not None and all(isinstance(v, str) for v in values)))
    return bool(kinds) and all(kinds)


def field_schema(key: str) -> Schema | None:
    """The JSON Schema of a dotted field, or None when the item has no such field."""
    schema: Schema | None = _root()
    for part in key.split("."):
        schema = _child(schema, part)
    return schema


def null_is_a_value(key: str) -> bool:
    """True where `null` means something other than the default (`run_duration: null` = run until changed)."""
    schema = field_schema(key)
    if schema is None:
        return False
    nullable = any(choice.get("type") == "null" for choice in _choices(schema))
    return nullable and schema.get("default") is not None


# --- dotted edits -------------------------------------------------------------------------------


def with_value(item: dict[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of `item` with the dotted `key` set; `None` stores null where null is a value, else removes the key."""
    changed = copy.deepcopy(item)
    *parents, leaf = key.split(".")
    node = changed
    for index, part in enumerate(parents):
        above = ".".join(parents[: index + 1])
        child = node.get(part)
        if child is None:
            child = node[part] = {}
        elif not isinstance(child, dict) and above.startswith("desired_capacity"):
            child = node[part] = as_map(child)  # `3` becomes `{all: 3}`, then region keys can be added
        if not isinstance(child, dict):
            raise CliError(
                f"{above} is {show_value(child)}, not a map: cannot set {key}",
                "see 'p2pctl config schema' for the fields that have fields of their own",
            )
        node = child
    if value is None and not null_is_a_value(key):
        node.pop(leaf, None)
    else:
        node[leaf] = value
    return changed


def without_key(item: dict[str, Any], key: str) -> dict[str, Any]:
    """A copy of `item` without the dotted `key` (unchanged when it is not there)."""
    changed = copy.deepcopy(item)
    *parents, leaf = key.split(".")
    found, parent = value_at(changed, ".".join(parents)) if parents else (True, changed)
    if found and isinstance(parent, dict):
        parent.pop(leaf, None)
    return changed


def value_at(item: dict[str, Any], key: str) -> tuple[bool, Any]:
    """(found, value) of the dotted `key` in `item`."""
    node: Any = item
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def as_yaml(data: Any) -> str:
    """YAML text for people (block style, keys in item order)."""
    writer = YAML(typ="safe", pure=True)
    writer.default_flow_style = False
    writer.allow_unicode = True
    out = StringIO()
    writer.dump(data, out)
    return out.getvalue()


def as_flow(value: Any) -> str:
    """A stored value on one line, as it could be typed back: `3`, `no`, `{all: 2}`, `null`."""
    if isinstance(value, str):
        return value
    return json.dumps(value, ensure_ascii=False)
