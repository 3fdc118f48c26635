"""IAM policy variables in Resource and Condition values, substituted from the request context as AWS does.

`${aws:PrincipalAccount}`, `${aws:username}`, `${aws:PrincipalTag/team}`, `${aws:RequestedRegion}`, ...
take the single value the request context has for that key (key names are case-insensitive).
`${*}`, `${?}` and `${$}` are a literal `*`, `?` and `$`; `${key, 'default'}` takes `default` when the
key has no value (`''` inside the quotes is one `'`; spaces around the key and the default are
ignored). Substitution is one pass: what a value or default contains is never substituted again and
never acts as a wildcard. A variable with no value and no default (a multivalued key has none either)
cannot be resolved: AWS then treats the statement as not matching, and so does the emulator.

Substituted text keeps literal characters marked (`LITERAL` before them), so the matchers can tell a
literal `*` from a wildcard; `plain()` gives the text to compare exactly.
"""

from __future__ import annotations

import re
from collections.abc import Callable

ContextValue = str | list[str]
LITERAL = "\x00"  # marks the next character as literal (never in an ARN or a condition value of a request)
_ESCAPES = {"*", "?", "$"}
_VARIABLE = re.compile(r"\$\{((?:[^}']|'(?:[^']|'')*')*)\}")  # a quoted default may hold "}"
_WITH_DEFAULT = re.compile(r"\s*([^\s,']+)\s*(?:,\s*'((?:[^']|'')*)'\s*)?")


class Unresolved(Exception):
    """A variable with no value in the request context and no default."""


def literal(text: str) -> str:
    """`text` with every character marked literal."""
    return "".join(LITERAL + c for c in text)


def plain(pattern: str) -> str:
    """The text without its literal marks."""
    return pattern.replace(LITERAL, "")


def substitute(text: str, value_of: Callable[[str], ContextValue | None]) -> str:
    """`text` with every policy variable replaced; raises Unresolved for one without a value or default."""

    def one(found: re.Match[str]) -> str:
        inside = found.group(1)
        if inside in _ESCAPES:
            return LITERAL + inside
        parsed = _WITH_DEFAULT.fullmatch(inside)
        if parsed is None:
            raise Unresolved(f"policy variable {found.group(0)!r} is malformed")
        key, default = parsed.group(1), parsed.group(2)
        value = value_of(key)
        if isinstance(value, str):
            return literal(value)
        if default is not None:
            return literal(default.replace("''", "'"))
        raise Unresolved(f"policy variable {found.group(0)!r} has no value in the request")

    return _VARIABLE.sub(one, text) if "${" in text else text


def arn_segments(pattern: str) -> list[str]:
    """An ARN pattern's six segments (the sixth holds the rest); a literal `:` (from a variable) never splits."""
    segments: list[str] = []
    start = index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == LITERAL:
            index += 2
            continue
        if char == ":" and len(segments) < 5:
            segments.append(pattern[start:index])
            start = index + 1
        index += 1
    return [*segments, pattern[start:]]
