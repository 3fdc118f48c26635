"""The config item's smaller sections: what agents run (`agent`), the control center's headers
(`control_center`) and the agents' CloudWatch logs (`logs`)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    SerializerFunctionWrapHandler,
    WithJsonSchema,
    field_validator,
    model_serializer,
)

from p2p_core.config.validation import problem, problems, show_value
from p2p_core.control_center.served import FIELD_OF_HEADER, SERVED_HEADERS

_HEADER_NAME = re.compile(r"^cc-[a-z0-9-]+$")
LOG_RETENTION_DAYS: tuple[int, ...] = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731)
LOG_RETENTION_DAYS += (1096, 1827, 2192, 2557, 2922, 3288, 3653)


def _reject_control_chars(value: str) -> str:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate (JSON "\ud800"): not text any header can carry
        raise problem(f"must be valid unicode text (lone surrogate), got {show_value(value)}") from None
    for char, name in (("\r", "CR"), ("\n", "LF"), ("\0", "NUL")):
        if char in value:
            raise problem(f"must not contain {name} (header values are one line), got {show_value(value)}")
    return value


HeaderValue = Annotated[
    str, PlainValidator(lambda v: _reject_control_chars(_as_text(v))), WithJsonSchema({"type": "string"})
]


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (str, int)):
        return str(value)
    raise problem(f"must be a string, got {show_value(value)}")


class Section(BaseModel):
    """A part of the config item: unknown fields refused, values frozen, defaults validated too."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class AgentSettings(Section):
    """What agents run; served as `cc-a-*` headers and baked into user data as defaults."""

    delay: int = Field(60, ge=0, le=3600, description="max random delay before polling, seconds")
    force_run: bool = Field(False, description="true: ansible-pull runs without --only-if-changed")
    main_run: HeaderValue = Field(
        "main.yml", description="the playbook ansible-pull runs (type ansible), or the command bash -c runs (shell)"
    )
    pre_run: HeaderValue = Field("-", description="a command bash -c runs before the main run; '-': none")
    post_run: HeaderValue = Field("-", description="a command bash -c runs after the main run; '-': none")
    repository: HeaderValue = Field(
        "-", description="the git URL ansible-pull clones (HTTPS, or SSH with a deploy key); '-': no main run"
    )
    type: Literal["ansible", "shell"] = Field("ansible", description="ansible: ansible-pull; shell: bash -c")
    cron: str = Field("*/15 * * * *", description="when the runner polls: a 5-field crontab line on the instance")
    radar: bool = Field(True, description="report to the stack's radar after each run (p2pctl fleet); false: never")

    @field_validator("cron")
    @classmethod
    def _cron(cls, value: str) -> str:
        _reject_control_chars(value)
        if len(value.split()) != 5:
            raise problem(f"cron needs 5 fields (minute hour day month weekday), got {show_value(value)}")
        return value

    @model_serializer(mode="wrap")
    def _without_later_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # `radar` came later: left out while on (its default), so configs written before it keep their hashes
        # and digests (agents get the radar through the launch template's user data, verified on its own)
        data: dict[str, Any] = handler(self)
        if self.radar:
            data.pop("radar", None)
        return data


def _header_name_problem(name: str) -> str:
    if not _HEADER_NAME.match(name):
        return f"header name must match cc-[a-z0-9-]+, got {show_value(name)}"
    if name in SERVED_HEADERS:  # the agents would read the config's own value there, not this one
        source = FIELD_OF_HEADER[name]
        return f"{show_value(name)} is served by the control center itself (from {source}): pick another name"
    return ""


class ControlCenterSettings(Section):
    """The headers agents poll; `extra_headers` must be `cc-` prefixed."""

    enabled: bool = Field(
        True, description="false: it answers 404 everywhere, agents use the defaults baked into user data"
    )
    extra_headers: dict[str, HeaderValue] = Field(
        default_factory=dict,
        description="more headers to serve: names matching cc-[a-z0-9-]+, none the control center serves itself",
    )

    @field_validator("extra_headers", mode="before")
    @classmethod
    def _names(cls, value: Any) -> Any:
        if isinstance(value, Mapping):
            bad = [(str(k), _header_name_problem(str(k))) for k in value if _header_name_problem(str(k))]
            if bad:
                raise problems(bad)
        return value


class LogSettings(Section):
    """Per-region CloudWatch log group; when enabled, agents ship their logs to it (CloudWatch agent)."""

    enabled: bool = Field(True, description="agents ship the runner's log and cloud-init output to CloudWatch Logs")
    retention_days: int = Field(7, description="days the agents' log group keeps events: a CloudWatch Logs value")
    metrics: bool = Field(False, description="agents also send memory, disk and CPU metrics (namespace CWAgent)")

    @field_validator("retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in LOG_RETENTION_DAYS:
            raise problem(f"CloudWatch accepts {', '.join(map(str, LOG_RETENTION_DAYS))}; got {show_value(value)}")
        return value

    @model_serializer(mode="wrap")
    def _without_later_defaults(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # `metrics` came later: left out while off, so configs written before it keep their hashes and digests
        data: dict[str, Any] = handler(self)
        if not self.metrics:
            data.pop("metrics", None)
        return data
