"""The config item (SPEC §3): one DynamoDB item, every field defaulted, so `{}` is valid."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator

from p2p_core.config.capacity import CapacitySpec
from p2p_core.config.durations import format_duration
from p2p_core.config.field_types import Capacity, Duration, ScheduleExpression, StartTime, Timestamp
from p2p_core.config.instance import InstanceSettings
from p2p_core.config.network import NetworkSettings
from p2p_core.config.rfc3339 import format_time
from p2p_core.config.sections import AgentSettings, ControlCenterSettings, LogSettings, Section
from p2p_core.config.validation import ConfigError, FieldError, from_validation_error, problems, show_value
from p2p_core.regions import commercial_regions, is_known_region

CONFIG_KEY = "config"
DEFAULT_VERIFY_INTERVAL = timedelta(hours=6)


class ConfigItem(Section):
    """The whole config item (without its `pk`)."""

    regions: list[str] | Literal["all"] = Field(
        default_factory=lambda: ["eu-central-1"],
        description="where agents run: region names, or 'all' = the 34 commercial regions of regions.json "
        "(opt-in regions the account has not enabled are skipped)",
    )
    exclude_regions: list[str] = Field(default_factory=list, description="regions removed from the selection")
    desired_capacity: Capacity = Field(default_factory=lambda: CapacitySpec(all=1, flat=True))
    min_size: int = Field(
        0, ge=0, description="the Auto Scaling groups' minimum; each region's capacity must lie in min_size..max_size"
    )
    max_size: int = Field(
        30, ge=0, description="the Auto Scaling groups' maximum; one you set must fit the region's network"
    )
    start_time: StartTime = Field(
        "now",
        description="when agents start: 'now' (when the start fields took their values) or a time, "
        "1970-01-01 to 2199-12-31T23:59:59Z",
    )
    # the schema's default in the item's own grammar (pydantic would write ISO 8601 "PT15M")
    start_offset: Duration = Field(
        timedelta(minutes=15),
        json_schema_extra={"default": "15 minutes"},
        description="added to start_time: the effective start S",
    )
    run_duration: Duration | None = Field(
        timedelta(days=7),
        json_schema_extra={"default": "7 days"},
        description="stop this long after the effective start; null: run until changed",
    )
    stop_time: Timestamp | None = Field(
        None, description="an absolute stop instead of run_duration (its default then does not apply); after the start"
    )
    window_version: int = Field(
        0, ge=0, description="bump to restart the run window: 'now' becomes the next run's start (restart-window)"
    )
    schedule_expression: ScheduleExpression = Field(
        "rate(15 minutes)",
        description="cadence of the scheduled check: a duration, rate(...) or cron(...) as EventBridge Scheduler takes",
    )
    verify_interval: Duration = Field(
        DEFAULT_VERIFY_INTERVAL,
        json_schema_extra={"default": "6 hours"},
        description="how often a scheduled check verifies every managed resource of a region; between, it reads "
        "only the group and the security group (2 calls per region). Runs an edit starts always verify everything",
    )
    instance: InstanceSettings = Field(default_factory=InstanceSettings)
    network: NetworkSettings = Field(default_factory=NetworkSettings)
    agent: AgentSettings = Field(default_factory=AgentSettings)
    control_center: ControlCenterSettings = Field(default_factory=ControlCenterSettings)
    logs: LogSettings = Field(default_factory=LogSettings)
    version: int = Field(0, ge=0, description="the write counter every write is conditional on (optimistic locking)")
    updated_at: Timestamp | None = Field(None, description="when the item was last written (p2pctl stamps it)")
    updated_by: str | None = Field(None, description="who last wrote the item (p2pctl stamps it)")

    @field_validator("regions", "exclude_regions", mode="before")
    @classmethod
    def _known_regions(cls, value: Any) -> Any:
        if value == "all" or not isinstance(value, list):
            return value
        bad = [(str(i), f"unknown region {show_value(r)}") for i, r in enumerate(value) if not is_known_region(str(r))]
        if bad:
            raise problems(bad)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> ConfigItem:
        found: list[tuple[str, str]] = []
        if self.min_size > self.max_size:
            found.append(("min_size", f"min_size {self.min_size} is greater than max_size {self.max_size}"))
        room, over = self.network.instance_room(), set[str]()
        if "max_size" in self.model_fields_set and self.max_size > room:  # the default 30 is no request
            found.append(
                ("max_size", f"max_size {self.max_size} is more than the network holds: {self.network.room_text()}")
            )
        for region in self.selected_regions():
            count = self.desired_capacity.resolve(region)
            if count is not None and not self.min_size <= count <= self.max_size:
                found.append(
                    (
                        f"desired_capacity.{region}",
                        f"{count} is outside min_size..max_size ({self.min_size}..{self.max_size})",
                    )
                )
            if count is not None and count > room and (region_key := self._capacity_key(region)) not in over:
                over.add(region_key)
                found.append((region_key, f"{count} is more than the network holds: {self.network.room_text()}"))
        if self.stop_time is not None and "run_duration" in self.model_fields_set and self.run_duration is not None:
            found.append(("stop_time", "set stop_time or run_duration, not both (set run_duration to null)"))
        start = self.start_time
        if self.stop_time is not None and isinstance(start, datetime) and self.stop_time <= start + self.start_offset:
            found.append(("stop_time", f"{format_time(self.stop_time)} is not after start_time + start_offset"))
        if found:
            raise problems(found)
        return self

    def _capacity_key(self, region: str) -> str:
        """Where a region's count is written: the one number of a flat capacity, else the region's entry."""
        return "desired_capacity" if self.desired_capacity.flat else f"desired_capacity.{region}"

    def selected_regions(self) -> list[str]:
        """`regions` expanded (`"all"`) minus `exclude_regions`, sorted."""
        chosen = commercial_regions() if self.regions == "all" else self.regions
        return sorted(set(chosen) - set(self.exclude_regions))

    def stop_after(self) -> timedelta | None:
        """run_duration when it decides the stop (stop_time wins when given)."""
        return None if self.stop_time is not None else self.run_duration

    def to_item(self) -> dict[str, Any]:
        """The stored form: only the fields someone set (normalized: durations as text, times RFC 3339).

        Defaults stay out of the item, so a default never conflicts with a field set later
        (`stop_time` with the default `run_duration`); `run_duration: null` is kept ("run until changed").
        """
        return self.model_dump(mode="json", exclude_unset=True)

    def effective_item(self) -> dict[str, Any]:
        """Every field with its default filled in, as the workflow reads it (`config show --effective`)."""
        item = self.model_dump(mode="json", exclude_none=True)
        if self.stop_after() is None and self.stop_time is None:
            item["run_duration"] = None  # no stop: say so rather than leave the field out
        elif self.stop_time is not None:
            item.pop("run_duration", None)  # the stop time decides; the default duration does not apply
        return item

    def content_digest(self) -> str:
        """Hash of what the item asks for, without the writer's bookkeeping fields."""
        exclude = {"version", "updated_at", "updated_by"}
        if not self.window_version:  # added later: a config that never restarted its window keeps its digest
            exclude.add("window_version")
        if self.verify_interval == DEFAULT_VERIFY_INTERVAL:  # likewise (and it changes no resource)
            exclude.add("verify_interval")
        return _digest(self.model_dump(mode="json", exclude=exclude))

    def window_digest(self) -> str:
        """Hash of the start fields' values (not their spelling): `start_time: "now"` is re-anchored only when it
        changes. The stop fields move only the stop, never the start (SPEC §3)."""
        return "s:" + _digest(self.model_dump(mode="json", include=set(START_FIELDS)))

    def legacy_window_digest(self) -> str:
        """The digest anchors were recorded under before the stop fields stopped moving the start (upgrades)."""
        body = self.model_dump(mode="json", include={"start_time", "start_offset", "stop_time", "window_version"})
        body["run_duration"] = format_duration(after) if (after := self.stop_after()) is not None else None
        return _digest(body)


START_FIELDS = ("start_time", "start_offset", "window_version")  # changing one restarts the window
STOP_FIELDS = ("run_duration", "stop_time")  # changing one moves only the stop


def _digest(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]


def parse_config(raw: Mapping[str, Any]) -> ConfigItem:
    """Validate a config item (DynamoDB's `pk` is ignored); raises ConfigError naming every bad field."""
    if not isinstance(raw, Mapping):
        raise ConfigError([_top_level_error(raw)])
    body = {k: v for k, v in raw.items() if k != "pk"}
    try:
        return ConfigItem.model_validate(body)
    except ValidationError as exc:
        raise from_validation_error(exc) from None


def _top_level_error(raw: Any) -> FieldError:
    return FieldError("(item)", raw, f"must be a map of fields, got {type(raw).__name__}")


def config_json_schema() -> dict[str, Any]:
    """The JSON Schema of the config item (`p2pctl config schema`)."""
    return ConfigItem.model_json_schema(mode="validation")
