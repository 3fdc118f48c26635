"""The header contract agents read: `cc-w-*` (upstream's per-region watcher's inputs), `cc-a-*` (what agents do)."""

from __future__ import annotations

import json
from typing import Any

from p2p_core.config import ConfigItem
from p2p_core.config.durations import format_duration
from p2p_core.config.rfc3339 import format_time
from p2p_core.control_center.served import FIELD_OF_HEADER
from p2p_core.models.window import Window

NOT_SET = "-"  # "use your default" / "none", as in the seed project


def header_field(name: str | None) -> str:
    """The config field a header's value comes from (`cc-a-main-run` -> `agent.main_run`)."""
    if name is None:
        return "control_center"
    return FIELD_OF_HEADER.get(name, f"control_center.extra_headers.{name}")


def compact(value: Any) -> str:
    """An int as digits, anything else as compact JSON (the capacity grammar's map form)."""
    return str(value) if isinstance(value, (int, str)) else json.dumps(value, separators=(",", ":"), sort_keys=True)


def _stop_as_configured(config: ConfigItem) -> str:
    if config.stop_time is not None:
        return format_time(config.stop_time)
    after = config.stop_after()
    return format_duration(after) if after is not None else NOT_SET


def control_center_headers(config: ConfigItem, window: Window) -> dict[str, str]:
    """Every header the control center serves, in a stable order, values as agents must read them."""
    agent = config.agent
    start = config.start_time
    capacity = compact(config.desired_capacity.dump())
    headers = {
        "cc-w-s-expression": config.schedule_expression,
        "cc-w-a-desired-capacity": capacity,
        "cc-w-a-start": start if isinstance(start, str) else format_time(start),
        "cc-w-a-start-offset": format_duration(config.start_offset),
        "cc-w-a-stop": _stop_as_configured(config),
        "cc-a-delay": str(agent.delay),
        "cc-a-force-run": "true" if agent.force_run else "false",
        "cc-a-main-run": agent.main_run,
        "cc-a-pre-run": agent.pre_run,
        "cc-a-post-run": agent.post_run,
        "cc-a-repository": agent.repository,
        "cc-a-type": agent.type,
        "cc-a-desired-capacity": capacity,
        "cc-a-start": format_time(window.start),
        "cc-a-stop": format_time(window.stop) if window.stop is not None else NOT_SET,
    }
    headers.update(config.control_center.extra_headers)
    return headers
