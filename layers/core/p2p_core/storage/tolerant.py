"""Reading an item someone may have damaged by hand: what validates is kept, what does not is named and left out.

The status item is the workflow's memory, not its source of truth (that is the config item): a field of the
wrong type, a history that is not a list, one run that does not parse must not stop `p2pctl status`,
`p2pctl run --wait` or any run. Each field is validated on its own; a list or map that does not validate
keeps its entries that do. Every part left out is named in a warning, and the next run rewrites it.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError

from p2p_core.config.validation import show_value

Model = TypeVar("Model", bound=BaseModel)


@cache
def _adapter(annotation: Any) -> TypeAdapter[Any]:
    return TypeAdapter(annotation)


def _why(exc: ValidationError) -> str:
    first = exc.errors(include_url=False)[0]
    where = ".".join(str(p) for p in first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] != "value_error":  # a value error of ours names the value already
        message += f", got {show_value(first.get('input'))}"
    return f"{where + ': ' if where else ''}{message}"


def _entries(annotation: Any, value: Any, name: str, warnings: list[str]) -> Any:
    """The entries of a list or map field that validate one by one (None: the field is no list or map at all)."""
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is list and isinstance(value, list):
        kept_list = []
        for number, entry in enumerate(value):
            try:
                kept_list.append(_adapter(args[0]).validate_python(entry))
            except ValidationError as exc:
                warnings.append(f"{name}[{number}] is unreadable ({_why(exc)}): left out")
        return kept_list
    if origin is dict and isinstance(value, dict):
        kept_map = {}
        for key, entry in value.items():
            try:
                kept_map[key] = _adapter(args[1]).validate_python(entry)
            except ValidationError as exc:
                warnings.append(f"{name}.{key} is unreadable ({_why(exc)}): left out")
        return kept_map
    return None


def read_tolerantly(model: type[Model], raw: Mapping[str, Any]) -> tuple[Model, list[str], set[str]]:
    """`model` from `raw` field by field: (the model, a warning per part left out, the names of damaged fields)."""
    kept: dict[str, Any] = {}
    warnings: list[str] = []
    damaged: set[str] = set()
    for name, info in model.model_fields.items():
        if name not in raw:
            continue
        annotation: Any = info.annotation
        try:
            kept[name] = _adapter(annotation).validate_python(raw[name])
            continue
        except ValidationError as exc:
            damaged.add(name)
            salvaged = _entries(annotation, raw[name], name, warnings)
            if salvaged is None:
                warnings.append(f"{name} is unreadable ({_why(exc)}): left out")
            else:
                kept[name] = salvaged
    return model.model_validate(kept), warnings, damaged
