"""IAM policy evaluation for one request: explicit Deny wins, then an Allow is needed (implicit deny otherwise).

Pure: statements and a request in, a decision out. Supports Action/NotAction and Resource/NotResource
with `*`/`?` wildcards, and the condition operators StringEquals/NotEquals/EqualsIgnoreCase/Like/
NotLike, ArnEquals/Like/NotEquals/NotLike, Bool, Null, each with `...IfExists` and the
`ForAnyValue:`/`ForAllValues:` set operators as AWS documents them, negated operators included
(`ForAllValues:StringNotEquals`: no value of the key is any of the policy's; `ForAnyValue:StringNotLike`:
at least one value matches none of them; a missing key makes `ForAllValues` true and `ForAnyValue`
false). Policy variables in Resource and condition values are substituted from the request context
(variables.py); a statement with a variable that cannot be resolved does not apply. An operator it does
not know denies the request with a message saying so.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from p2p_emulator.iam.variables import LITERAL, Unresolved, arn_segments, plain, substitute
from p2p_emulator.iam.variables import ContextValue as ContextValue


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
    try:  # a variable with no value makes the statement invalid: it does not apply
        if "Resource" in statement and not _any(
            _resources(statement["Resource"], request), request.resource, arn_match
        ):
            return False
        if "NotResource" in statement and _any(
            _resources(statement["NotResource"], request), request.resource, arn_match
        ):
            return False
        return all(
            _condition(operator, key, _strings(expected), request)
            for operator, block in statement.get("Condition", {}).items()
            for key, expected in block.items()
        )
    except Unresolved:
        return False


def _resources(value: Any, request: Request) -> list[str]:
    return [substitute(pattern, request.value) for pattern in _patterns(value)]


def _patterns(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _any(patterns: list[str], value: str, match: Any) -> bool:
    return any(match(pattern, value) for pattern in patterns)


def _strings(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [str(v).lower() if isinstance(v, bool) else str(v) for v in items]


@cache
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body, literal = [], False
    for c in pattern:
        if c == LITERAL:
            literal = True
            continue
        body.append(re.escape(c) if literal else ".*" if c == "*" else "." if c == "?" else re.escape(c))
        literal = False
    return re.compile("".join(body), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """`*` any run of characters, `?` one character (unless marked literal); nothing else is special."""
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def _action_match(pattern: str, action: str) -> bool:
    return glob_match(pattern, action, ignore_case=True)


def arn_match(pattern: str, arn: str) -> bool:
    """ARN matching as IAM does it: segment by segment (the sixth holds the rest), wildcards within each."""
    if pattern == "*":
        return True
    want, have = arn_segments(pattern), arn.split(":", 5)
    return len(want) == len(have) == 6 and all(glob_match(w, h) for w, h in zip(want, have, strict=True))


_STRING: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda p, v: plain(p) == v,
    "StringEqualsIgnoreCase": lambda p, v: plain(p).lower() == v.lower(),
    "StringLike": lambda p, v: glob_match(p, v),
    "ArnEquals": lambda p, v: plain(p) == v,
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
    if qualifier not in ("", "ForAllValues", "ForAnyValue"):
        raise UnsupportedCondition(f"the emulator cannot evaluate condition operator {operator!r}")
    if_exists = op.endswith("IfExists")
    op = op.removesuffix("IfExists")
    present = request.value(key)
    if op == "Null":
        return (present is None) == (expected[0].lower() == "true")
    negated = op in _NEGATED
    match = _STRING.get(_NEGATED.get(op, op))
    if match is None:
        raise UnsupportedCondition(f"the emulator cannot evaluate condition operator {operator!r}")
    if present is None and if_exists:
        return True
    patterns = expected if op == "Bool" else [substitute(p, request.value) for p in expected]
    values = [] if present is None else present if isinstance(present, list) else [present]

    def holds(value: str) -> bool:
        """The operator holds for one value: a match of any policy value; negated, of none (NOR)."""
        found = any(match(p, value) for p in patterns)
        return not found if negated else found

    if qualifier == "ForAllValues":  # every value holds; a missing or empty key: true
        return all(holds(v) for v in values)
    if qualifier == "ForAnyValue":  # at least one value holds; a missing or empty key: false
        return any(holds(v) for v in values)
    if present is None:  # absent key: no match, except negated operators (true), as IAM documents
        return negated
    return all(holds(v) for v in values) if negated else any(holds(v) for v in values)
