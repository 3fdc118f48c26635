"""Validation errors that name the field and the value, one line each."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from pydantic_core import PydanticCustomError

_MAX_VALUE_CHARS = 60


def show_value(value: Any) -> str:
    """A short repr of a bad value for an error line."""
    text = repr(value)
    if len(text) > _MAX_VALUE_CHARS:
        text = text[: _MAX_VALUE_CHARS - 3] + "..."
    return text


@dataclass(frozen=True)
class FieldError:
    """One bad field: dotted path, the value given, what is wrong with it."""

    field: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ConfigError(ValueError):
    """The config item is invalid; `errors` names every bad field."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        self.errors = list(errors)
        super().__init__(self.summary())

    def summary(self) -> str:
        """All field errors, one per line."""
        count = len(self.errors)
        head = f"invalid config ({count} error{'s' if count != 1 else ''})"
        return head + ":\n" + "\n".join(f"  {e}" for e in self.errors)

    def as_dicts(self) -> list[dict[str, str]]:
        """JSON-friendly form, for the workflow's error cause and `--json` output."""
        return [{"field": e.field, "value": show_value(e.value), "message": e.message} for e in self.errors]


def problems(found: Iterable[tuple[str, str]]) -> PydanticCustomError:
    """Wrap several (sub-path, message) problems of one field as one pydantic error."""
    items = list(found)
    text = "; ".join(f"{path}: {msg}" if path else msg for path, msg in items)
    return PydanticCustomError("p2p_problems", text, {"problems": items})


def problem(message: str, subpath: str = "") -> PydanticCustomError:
    """One problem of a field, optionally deeper inside it (`aws.eu-west-1`)."""
    return problems([(subpath, message)])


def _join(loc: Iterable[Any], subpath: str = "", *, key_last: bool = False) -> str:
    """Dotted path of an error; with `key_last` the last part is a key the user wrote, kept verbatim."""
    found = list(loc)
    last = found.pop() if key_last and found else None
    parts = [str(p) for p in found if not _is_union_tag(p)]
    if last is not None:
        parts.append(str(last) if str(last) else "''")
    if subpath:
        parts.append(subpath)
    return ".".join(parts) or "(item)"


def _is_union_tag(part: Any) -> bool:
    # pydantic adds the name of the union member or validator to `loc`; it is noise to an operator
    return isinstance(part, str) and ("[" in part or part in {"str", "int", "list", "dict", "float", "bool"})


def _value_at(value: Any, subpath: str) -> Any:
    """The part of `value` a problem's sub-path names (`aws.eu-west-1`, `0`); the whole value if it names none."""
    found = value
    for part in subpath.split(".") if subpath else []:
        if isinstance(found, dict) and part in found:
            found = found[part]
        elif isinstance(found, list) and part.isdigit() and int(part) < len(found):
            found = found[int(part)]
        else:
            return value
    return found


def from_validation_error(exc: ValidationError) -> ConfigError:
    """Turn pydantic's errors into field errors with operator-facing wording."""
    found: list[FieldError] = []
    for err in exc.errors(include_url=False):
        value = err.get("input")
        ctx = err.get("ctx") or {}
        if err["type"] == "p2p_problems":
            for subpath, message in ctx["problems"]:
                found.append(FieldError(_join(err["loc"], subpath), _value_at(value, subpath), message))
            continue
        message = err["msg"]
        if err["type"] == "extra_forbidden":
            message = "unknown field"
        elif err["type"] == "missing":
            message = "is required"
        else:
            message = f"{message[0].lower()}{message[1:]} (got {show_value(value)})"
        found.append(FieldError(_join(err["loc"], key_last=err["type"] == "extra_forbidden"), value, message))
    return ConfigError(found)
