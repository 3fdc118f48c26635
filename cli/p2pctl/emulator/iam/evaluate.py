"""IAM policy evaluation for one request: explicit Deny wins, then an Allow is needed (implicit deny otherwise).

Pure: statements and a request in, a decision out. Supports Action/NotAction and Resource/NotResource
with `*`/`?` wildcards, and the condition operators StringEquals/NotEquals/EqualsIgnoreCase/Like/
NotLike, ArnEquals/Like/NotEquals/NotLike, Bool, Null, each with `...IfExists` and the
`ForAnyValue:`/`ForAllValues:` set prefixes. An operator it does not know denies the request with
a message saying so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

ContextValue = str | list[str]


@dataclass(frozen=True)
class Request:
    """What IAM authorizes: one action on one resource, with the request context's condition keys."""

    action: str
    resource: str
    context: Mapping[str, ContextValue] = field(default_factory=dict)
    why: str = ""  # e.g. "implied by autoscaling:CreateAutoScalingGroup"

    def value(self, key: str) -> ContextValue | None:
        """A condition key's value; key names are case-insensitive, as in IAM."""
        wanted = key.lower()
        for name, value in self.context.items():
            if name.lower() == wanted:
                return value
        return None


@dataclass(frozen=True)
class Decision:
    """The outcome, and the statement that decided it (None for an implicit deny)."""

    allowed: bool
    statement: str | None
    reason: str


class UnsupportedCondition(Exception):
    """A condition operator the emulator cannot evaluate: denied, never passed."""


def decide(statements: Iterable[tuple[str, Mapping[str, Any]]], request: Request) -> Decision:
    """Evaluate named statements (name, statement) against `request`."""
    allowed_by: str | None = None
    for name, statement in statements:
        try:
            applies = _applies(statement, request)
        except UnsupportedCondition as exc:
            return Decision(False, name, f"denied: {exc}")
        if not applies:
            continue
        if statement.get("Effect") == "Deny":
            return Decision(False, name, f"explicitly denied by {name}")
        allowed_by = allowed_by or name
    if allowed_by is not None:
        return Decision(True, allowed_by, f"allowed by {allowed_by}")
    return Decision(False, None, f"no identity-based policy allows the {request.action} action")


def _applies(statement: Mapping[str, Any], request: Request) -> bool:
    if "Action" in statement and not _any(_patterns(statement["Action"]), request.action, _action_match):
        return False
    if "NotAction" in statement and _any(_patterns(statement["NotAction"]), request.action, _action_match):
        return False
    if "Resource" in statement and not _any(_patterns(statement["Resource"]), request.resource, arn_match):
        return False
    if "NotResource" in statement and _any(_patterns(statement["NotResource"]), request.resource, arn_match):
        return False
    return all(
        _condition(operator, key, _strings(expected), request)
        for operator, block in statement.get("Condition", {}).items()
        for key, expected in block.items()
    )


def _patterns(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _any(patterns: list[str], value: str, match: Any) -> bool:
    return any(match(pattern, value) for pattern in patterns)


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in items]


@cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """`*` any run of characters, `?` one character; nothing else is special."""
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def _action_match(pattern: str, action: str) -> bool:
    return glob_match(pattern, action, ignore_case=True)


def arn_match(pattern: str, arn: str) -> bool:
    """ARN matching as IAM does it: segment by segment (the sixth holds the rest), wildcards within each."""
    if pattern == "*":
        return True
    want, have = pattern.split(":", 5), arn.split(":", 5)
    return len(want) == len(have) == 6 and all(glob_match(w, h) for w, h in zip(want, have, strict=True))


_STRING: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda p, v: p == v,
    "StringEqualsIgnoreCase": lambda p, v: p.lower() == v.lower(),
    "StringLike": lambda p, v: glob_match(p, v),
    "ArnEquals": lambda p, v: p == v,
    "ArnLike": arn_match,
    "Bool": lambda p, v: p.lower() == v.lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _condition(operator: str, key: str, expected: list[str], request: Request) -> bool:
    qualifier, _, op = operator.rpartition(":")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    present = request.value(key)
    if op == "Null":
        return (present is None) == (expected[0].lower() == "true")
    if present is None:
        # absent key: no match, except IfExists (true) and negated operators (true), as IAM documents
        return if_exists or op in _NEGATED or qualifier == "ForAllValues"
    negated = op in _NEGATED
    match = _STRING.get(_NEGATED.get(op, op))
    if match is None:
        raise UnsupportedCondition(f"the emulator cannot evaluate condition operator {operator!r}")
    values = present if isinstance(present, list) else [present]

    def one(value: str) -> bool:
        return any(match(p, value) for p in expected)

    # ForAllValues: every value of the request matches; ForAnyValue or a single-valued key: one does
    found = all(one(v) for v in values) if qualifier == "ForAllValues" else any(one(v) for v in values)
    return not found if negated else found
