"""Where reports go: one last-seen record per agent in the radar table, written only when it says something new.

A report costs a write only when its content changed (services, capacity, region, versions) or the agent's record
is older than `REFRESH` (so `p2pctl fleet` sees it as reporting); every other report is answered from the warm
function's memory of what it last wrote. A function environment that does not know an agent, or finds its record
due for the refresh, reads the record first (an eventually consistent read: a tenth of a write's price), so
several environments refresh an agent once, not once each. Records expire (TTL) `RECORD_TTL` after
their last write. Priced in cost/radar.py.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from p2p_core.radar.report import RadarReport

REFRESH = timedelta(minutes=90)  # six 15-minute reports: an unchanged record is rewritten every 90 minutes (cost)
RECORD_TTL = timedelta(days=2)
CACHED_AGENTS = 20_000  # agents one warm environment remembers (a few MB); the oldest is forgotten first
_serializer, _deserializer = TypeSerializer(), TypeDeserializer()


@dataclass(frozen=True)
class LastWritten:
    """What the radar last wrote for an agent: the report's fingerprint and when."""

    fingerprint: str
    seen: datetime


def needs_write(last: LastWritten | None, report: RadarReport, now: datetime, refresh: timedelta = REFRESH) -> bool:
    """True when the report says something the stored record does not: a new agent, new content, or a stale record."""
    return last is None or last.fingerprint != report.fingerprint() or now - last.seen >= refresh


@dataclass(frozen=True)
class AgentRecord:
    """One agent's last stored report, as `p2pctl fleet` reads it."""

    report: RadarReport
    seen: datetime

    def item(self) -> dict[str, Any]:
        """The DynamoDB item (low-level attribute values)."""
        plain = {
            "pk": self.report.agent,
            **self.report.model_dump(mode="json", exclude_none=True),
            "fingerprint": self.report.fingerprint(),
            "seen": self.seen.isoformat(),
            "expires": int((self.seen + RECORD_TTL).timestamp()),
        }
        return {k: _serializer.serialize(v) for k, v in plain.items()}

    @classmethod
    def from_item(cls, item: dict[str, Any]) -> AgentRecord:
        """Read an item written by `item`."""
        plain = {k: _deserializer.deserialize(v) for k, v in item.items()}
        fields = {k: v for k, v in plain.items() if k in RadarReport.model_fields}
        for name in ("duration", "uptime", "config_version"):
            if name in fields:
                fields[name] = int(fields[name])
        return cls(report=RadarReport(**fields), seen=datetime.fromisoformat(str(plain["seen"])))

    def last_written(self) -> LastWritten:
        """What this record tells the write policy."""
        return LastWritten(self.report.fingerprint(), self.seen)


class RecordTable:
    """The radar table: one item per agent, keyed by `RadarReport.agent`."""

    def __init__(self, db: Any, table: str) -> None:
        self.db = db
        self.table = table

    def get(self, agent: str) -> AgentRecord | None:
        """The agent's record (eventually consistent: half a read unit), or None."""
        found = self.db.get_item(TableName=self.table, Key={"pk": {"S": agent}}).get("Item")
        return AgentRecord.from_item(found) if found else None

    def put(self, record: AgentRecord) -> None:
        """Write the record (one write unit: an item under 1 KB)."""
        self.db.put_item(TableName=self.table, Item=record.item())

    def all(self, now: datetime) -> list[AgentRecord]:
        """Every record (a scan: `p2pctl fleet`); expired ones DynamoDB has not deleted yet are left out."""
        records: list[AgentRecord] = []
        for page in self.db.get_paginator("scan").paginate(TableName=self.table):
            records += [AgentRecord.from_item(item) for item in page["Items"]]
        return [r for r in records if r.seen + RECORD_TTL > now]


class WriteMemory:
    """What this function environment last wrote (or read) per agent, the oldest forgotten first."""

    def __init__(self, size: int = CACHED_AGENTS) -> None:
        self._known: OrderedDict[str, LastWritten] = OrderedDict()
        self._size = size

    def get(self, agent: str) -> LastWritten | None:
        """What is known about `agent`, or None."""
        return self._known.get(agent)

    def remember(self, agent: str, last: LastWritten) -> None:
        """Remember `last` for `agent`."""
        self._known[agent] = last
        self._known.move_to_end(agent)
        while len(self._known) > self._size:
            self._known.popitem(last=False)


def record_report(
    report: RadarReport, now: datetime, table: RecordTable, memory: WriteMemory, refresh: timedelta = REFRESH
) -> bool:
    """Store `report` if it says something new; True when it was written."""
    last = memory.get(report.agent)
    if last is None or (last.fingerprint == report.fingerprint() and needs_write(last, report, now, refresh)):
        # not known here, or due for its refresh: another environment may have written it meanwhile (a read is
        # a tenth of a write's price)
        stored = table.get(report.agent)
        last = stored.last_written() if stored else None
    if last is not None and not needs_write(last, report, now, refresh):
        memory.remember(report.agent, last)
        return False
    table.put(AgentRecord(report, now))
    memory.remember(report.agent, LastWritten(report.fingerprint(), now))
    return True
