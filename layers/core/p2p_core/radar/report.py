"""One radar report: upstream's query string (p2p-way/p2p-agent-infra `roles/radar`), plus our runner's fields.

Upstream's agents send `GET <url>?cloud=&region=&autoscaler=&capacity=&services=&duration=&uptime=[&auth=]`;
`services` is space-joined and URL-encoded. Our runner adds `instance`, `config_version` and `agent_version`.
Pure: parsing and the agent's identity, no AWS calls.
"""

from __future__ import annotations

import hashlib
import json
import re
import urllib.parse

from pydantic import BaseModel, ConfigDict, Field

from p2p_core.config.validation import show_value

REQUIRED = ("cloud", "region", "autoscaler", "capacity", "services", "duration", "uptime")
OPTIONAL = ("instance", "config_version", "agent_version", "auth")
MAX_VALUE_CHARS = 256  # each field; upstream's values are short words and numbers
_WORD = re.compile(r"^[A-Za-z0-9._:/@+-]*$")
_INSTANCE = re.compile(r"^i-[0-9a-f]{8,17}$")


class RadarError(ValueError):
    """A report the radar refuses (400): names the field and the value."""

    def __init__(self, field: str, value: object, message: str) -> None:
        super().__init__(f"{field}: {message}, got {show_value(value)}")
        self.field = field


class RadarReport(BaseModel):
    """What one agent said about itself in one report."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    cloud: str
    region: str
    autoscaler: bool
    capacity: str = Field(description="the desired capacity the agent saw: a number, '-' or empty")
    services: tuple[str, ...] = ()
    duration: int = Field(description="seconds since the fleet's start, as the agent counts it")
    uptime: int = Field(description="the host's uptime in seconds")
    instance: str | None = None
    config_version: int | None = None
    agent_version: str | None = None
    source_ip: str = ""

    @property
    def agent(self) -> str:
        """The agent's key: its EC2 instance id when it sent one, else `host:<source address>`."""
        return self.instance or f"host:{self.source_ip or 'unknown'}"

    @property
    def managed(self) -> bool:
        """True for an AWS instance that named itself (our runner): it can belong to one of the groups."""
        return self.cloud == "aws" and self.instance is not None

    def fingerprint(self) -> str:
        """What identifies the report's content apart from its clocks: a change is written at once."""
        fields = self.model_dump(mode="json", exclude={"duration", "uptime"})
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()[:16]


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    if values is None:
        return None
    if len(values) != 1:
        raise RadarError(name, values, "must be given once")
    value = values[0]
    if len(value) > MAX_VALUE_CHARS:
        raise RadarError(name, value, f"must be at most {MAX_VALUE_CHARS} characters")
    return value


def _integer(name: str, value: str) -> int:
    try:
        return int(value.strip())
    except ValueError:
        raise RadarError(name, value, "must be a whole number") from None


def _printable(name: str, value: str) -> str:
    if not value.isprintable():
        raise RadarError(name, value, "must hold no control characters")
    return value


def _word(name: str, value: str) -> str:
    if not _WORD.match(value):
        raise RadarError(name, value, "must be letters, digits and ._:/@+- only")
    return value


def parse_query(raw_query: str) -> dict[str, list[str]]:
    """The query string's fields, decoded as a browser (and Ansible's `urlencode`) encodes them."""
    return urllib.parse.parse_qs(raw_query, keep_blank_values=True)


def parse_report(query: dict[str, list[str]], source_ip: str = "") -> RadarReport:
    """The report in a query (`parse_query`); RadarError naming the first bad or missing field."""
    unknown = sorted(set(query) - set(REQUIRED) - set(OPTIONAL))
    if unknown:
        raise RadarError(unknown[0], query[unknown[0]], "is not a radar field")
    given = {name: _one(query, name) for name in (*REQUIRED, *OPTIONAL)}
    missing = [name for name in REQUIRED if given[name] is None]
    if missing:
        raise RadarError(missing[0], None, "is required")
    autoscaler = str(given["autoscaler"]).lower()
    if autoscaler not in ("true", "false"):
        raise RadarError("autoscaler", given["autoscaler"], "must be true or false")
    instance = given["instance"] or None
    if instance is not None and not _INSTANCE.match(instance):
        raise RadarError("instance", instance, "must be an EC2 instance id (i-0123456789abcdef0)")
    version = given["config_version"]
    return RadarReport(
        cloud=_word("cloud", str(given["cloud"])).lower(),
        region=_word("region", str(given["region"])),
        autoscaler=autoscaler == "true",
        capacity=_printable("capacity", str(given["capacity"])),  # a number, '-', or the capacity map as JSON
        services=tuple(sorted({_word("services", s) for s in str(given["services"]).split()})),
        duration=_integer("duration", str(given["duration"])),
        uptime=_integer("uptime", str(given["uptime"])),
        instance=instance,
        config_version=_integer("config_version", version) if version else None,
        agent_version=_word("agent_version", given["agent_version"]) if given["agent_version"] else None,
        source_ip=source_ip,
    )
