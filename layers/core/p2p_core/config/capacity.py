"""The capacity grammar: `3`, `"-"`, or `{"all": 3, "aws": {"all": 2, "eu-central-1": 1}}`.

Precedence for a region: its key under `aws` > `aws.all` > `all` > the field default.
`"-"` at any level means "leave this region's capacity alone". Keys of other clouds are kept
(so the item round-trips) and ignored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from p2p_core.config.validation import problems, show_value
from p2p_core.regions import is_known_region

LEAVE = "-"
DEFAULT_CAPACITY = 1
Level = int | Literal["-"]


@dataclass(frozen=True)
class CapacitySpec:
    """A parsed `desired_capacity`; `resolve(region)` gives the count or None (leave alone)."""

    all: Level | None = None
    aws_all: Level | None = None
    aws_regions: Mapping[str, Level] = field(default_factory=dict)
    other_clouds: Mapping[str, Any] = field(default_factory=dict)
    flat: bool = False  # written as a bare number or "-", dumped back the same way

    def resolve(self, region: str) -> int | None:
        """Count for `region`, or None when it is `"-"` (leave alone)."""
        for level in (self.aws_regions.get(region), self.aws_all, self.all):
            if level is not None:
                return None if level == LEAVE else int(level)
        return DEFAULT_CAPACITY

    def dump(self) -> Any:
        """Back to the item's native form."""
        if self.flat:
            return self.all
        out: dict[str, Any] = dict(self.other_clouds)
        if self.all is not None:
            out["all"] = self.all
        if self.aws_all is not None or self.aws_regions:
            aws: dict[str, Any] = dict(self.aws_regions)
            if self.aws_all is not None:
                aws["all"] = self.aws_all
            out["aws"] = aws
        return out


def as_map(level: Any) -> dict[str, Any]:
    """A bare level (`3`, `"-"`) in the map form `{"all": level}`, to which region keys can be added."""
    return {"all": level}


def _whole(value: int | Decimal | float) -> bool:
    try:
        return bool(value == int(value))
    except (OverflowError, ValueError):  # infinity, NaN
        return False


def _level(value: Any, path: str, found: list[tuple[str, str]]) -> Level | None:
    if value == LEAVE:
        return "-"
    if isinstance(value, bool):
        found.append((path, f"must be a whole number >= 0 or '-', got {show_value(value)}"))
        return None
    if isinstance(value, (int, Decimal, float)) and _whole(value) and value >= 0:
        return int(value)
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    found.append((path, f"must be a whole number >= 0 or '-', got {show_value(value)}"))
    return None


def parse_capacity(value: Any) -> CapacitySpec:
    """Validate the grammar; raises one pydantic error listing every bad key."""
    if isinstance(value, CapacitySpec):
        return value
    found: list[tuple[str, str]] = []
    if not isinstance(value, Mapping):
        level = _level(value, "", found)
        if found:
            raise problems(found)
        return CapacitySpec(all=level, flat=True)
    top_all = _level(value["all"], "all", found) if "all" in value else None
    aws_all: Level | None = None
    aws_regions: dict[str, Level] = {}
    other: dict[str, Any] = {}
    for key, sub in value.items():
        if key == "all":
            continue
        if key != "aws":
            if is_known_region(str(key)):
                found.append((str(key), f"region keys go under 'aws' (write aws.{key})"))
            else:
                other[str(key)] = sub
            continue
        if not isinstance(sub, Mapping):
            aws_all = _level(sub, "aws", found)
            continue
        for region, count in sub.items():
            path = f"aws.{region}"
            if region == "all":
                aws_all = _level(count, path, found)
            elif not is_known_region(str(region)):
                found.append((path, f"unknown region {show_value(region)}"))
            elif (level := _level(count, path, found)) is not None:
                aws_regions[str(region)] = level
    if found:
        raise problems(found)
    return CapacitySpec(all=top_all, aws_all=aws_all, aws_regions=aws_regions, other_clouds=other)


CAPACITY_JSON_SCHEMA: dict[str, Any] = {
    "description": "instances per region: a count, '-' (leave alone), or {all, aws: {all, <region>}}",
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"const": "-"},
        {
            "type": "object",
            "properties": {
                "all": {"anyOf": [{"type": "integer", "minimum": 0}, {"const": "-"}]},
                "aws": {
                    "anyOf": [
                        {"type": "integer", "minimum": 0},
                        {"const": "-"},
                        {
                            "type": "object",
                            "additionalProperties": {"anyOf": [{"type": "integer", "minimum": 0}, {"const": "-"}]},
                        },
                    ]
                },
            },
        },
    ],
}
