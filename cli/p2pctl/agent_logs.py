"""Agent log events of many regions, read in parallel and merged in time order (`p2pctl logs`).

Agents ship to `/p2p/<stack>/agents` in their own region, one stream per instance and file
(`<instance id>/<file>`, see p2p_core.bootstrap.cloudwatch). Each region is read with
FilterLogEvents; `Follower` turns repeated reads into "each event once" for `--follow`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from p2p_core.aws.clients import ClientFactory
from p2p_core.config.durations import parse_duration
from p2p_core.config.rfc3339 import parse_time
from p2p_core.reconciler.errors import NOT_ENABLED_CODES
from p2p_core.regions import is_opt_in
from p2pctl.errors import CliError
from p2pctl.preflight import why

# CloudWatch Logs takes events up to ~minutes after their timestamp: a follow poll looks back this far
LATE_ARRIVALS = timedelta(minutes=2)
MAX_PARALLEL_REGIONS = 16
_SHORT_SINCE = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_SHORT_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
SINCE_FIX = "use --since 1h, 30m, '2 days' or an RFC 3339 time like 2026-12-01T09:00:00Z"


@dataclass(frozen=True, order=True)
class LogLine:
    """One agent log event; lines sort by time, then region, stream and event id."""

    timestamp: int  # milliseconds since the epoch, as CloudWatch Logs counts
    region: str
    stream: str
    event_id: str
    message: str = field(compare=False)

    @property
    def instance(self) -> str:
        """The instance that shipped it (the stream is `<instance id>/<file>`)."""
        return self.stream.partition("/")[0]

    @property
    def file(self) -> str:
        """The shipped file's name ('' for a stream not named by the agent's configuration)."""
        return self.stream.partition("/")[2]

    @property
    def time(self) -> str:
        """The event's time, RFC 3339 with milliseconds."""
        when = datetime.fromtimestamp(self.timestamp / 1000, UTC)
        return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{self.timestamp % 1000:03d}Z"

    def text(self) -> str:
        """The line as printed: region and instance first, then time, file and message."""
        return f"{self.region} {self.instance} {self.time} {self.file}: {self.message.rstrip()}"

    def as_dict(self) -> dict[str, Any]:
        """The line for --json (one object per line)."""
        keys = ("region", "instance", "file", "time", "timestamp", "message")
        return {key: getattr(self, key) for key in keys}


@dataclass(frozen=True)
class Reading:
    """Lines of every region read, merged in time order, and what went wrong per region."""

    lines: list[LogLine]
    problems: dict[str, str]


def parse_since(text: str, now: datetime) -> datetime:
    """`--since`: how far back (`1h`, `30m`, `2 days`) or an RFC 3339 time."""
    short = _SHORT_SINCE.match(text)
    try:
        if short:
            return now - parse_duration(f"{short.group(1)} {_SHORT_UNITS[short.group(2)]}")
        if text.strip()[:1].isdigit() and "-" in text:
            return parse_time(text)
        return now - parse_duration(text)
    except ValueError as exc:
        raise CliError(f"--since {text!r}: {exc}", SINCE_FIX) from None
    except OverflowError:  # "99999999 days" ago is before year 1
        raise CliError(f"--since {text!r}: reaches back before any log could exist", SINCE_FIX) from None


def millis(when: datetime) -> int:
    """CloudWatch Logs' time: milliseconds since the epoch."""
    return int(when.timestamp() * 1000)


def filter_pattern(grep: str | None) -> str | None:
    """CloudWatch's exact-phrase pattern for `--grep` (None when AWS's syntax cannot quote it: matched here only)."""
    if not grep or '"' in grep or "\\" in grep:
        return None
    return f'"{grep}"'


def read_region(clients: ClientFactory, region: str, group: str, start: int, grep: str | None) -> list[LogLine]:
    """Every event of `group` in `region` from `start` (ms) whose message contains `grep`, all pages."""
    logs = clients.client("logs", region)
    request: dict[str, Any] = {"logGroupName": group, "startTime": start}
    pattern = filter_pattern(grep)
    if pattern:
        request["filterPattern"] = pattern
    lines: list[LogLine] = []
    while True:
        page = logs.filter_log_events(**request)
        lines += [
            LogLine(event["timestamp"], region, event.get("logStreamName", ""), event["eventId"], event["message"])
            for event in page.get("events", [])
            if not grep or grep in event["message"]
        ]
        token = page.get("nextToken")
        if not token or token == request.get("nextToken"):
            return lines
        request["nextToken"] = token


def _read_or_problem(
    clients: ClientFactory, region: str, group: str, start: int, grep: str | None
) -> list[LogLine] | str:
    try:
        return read_region(clients, region, group, start, grep)
    except ClientError as exc:
        code = exc.response.get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":
            return f"no log group {group} (no run has built this region, or it was torn down)"
        if code in NOT_ENABLED_CODES and is_opt_in(region):  # it answers as if the credentials were wrong
            return (
                f"not enabled in this account ({code}): no agents can run there; "
                f"'aws account enable-region --region-name {region}' enables it"
            )
        return why(exc)
    except BotoCoreError as exc:
        return why(exc)


def read_regions(clients: ClientFactory, regions: Iterable[str], group: str, start: int, grep: str | None) -> Reading:
    """Every region read in parallel; lines merged in time order; a failed region is a problem, not a stop."""
    chosen = sorted(set(regions))
    if not chosen:
        return Reading([], {})
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_REGIONS, len(chosen))) as pool:
        results = list(pool.map(lambda region: _read_or_problem(clients, region, group, start, grep), chosen))
    lines: list[LogLine] = []
    problems: dict[str, str] = {}
    for region, result in zip(chosen, results, strict=True):
        if isinstance(result, str):
            problems[region] = result
        else:
            lines += result
    return Reading(sorted(lines), problems)


class Follower:
    """Repeated reads as a stream: each event once, each read starting a little before the newest event seen."""

    def __init__(self, start: int) -> None:
        self.start = start  # where the next read begins (ms)
        self._seen: dict[tuple[str, str, str], int] = {}  # (region, stream, event id) -> timestamp

    def fresh(self, lines: list[LogLine]) -> list[LogLine]:
        """The lines not handed out before, in time order; moves the next read's start forward."""
        new = [line for line in lines if (line.region, line.stream, line.event_id) not in self._seen]
        for line in new:
            self._seen[(line.region, line.stream, line.event_id)] = line.timestamp
        if self._seen:
            newest = max(self._seen.values())
            self.start = max(self.start, newest - int(LATE_ARRIVALS.total_seconds() * 1000))
            self._seen = {key: ts for key, ts in self._seen.items() if ts >= self.start}
        return new
