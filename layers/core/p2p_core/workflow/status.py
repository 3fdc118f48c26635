"""The status item (`pk = "status"`): what the last runs did, which regions hold resources, and anchors.

It is the workflow's memory between runs: `managed_regions` tells Plan where to look for regions that
left the selection, and `first_seen` keeps `start_time: "now"` stable for items written without
`updated_at` (SPEC §3).
"""

from __future__ import annotations

import contextlib
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from p2p_core.config_store import from_dynamodb, to_dynamodb
from p2p_core.results import RegionResult
from p2p_core.timestamps import format_time, parse_time
from p2p_core.workflow.events import StepOutcome

STATUS_KEY = "status"
RECENT_RUNS = 20
WRITE_ATTEMPTS = 8
RunStatus = Literal["ok", "degraded", "failed", "skipped", "noop"]


class RunRecord(BaseModel):
    """One run, as `p2pctl status` shows it."""

    model_config = ConfigDict(extra="ignore")

    execution: str
    source: str = "manual"
    status: RunStatus
    started_at: str
    finished_at: str
    config_version: int = 0
    config_digest: str = ""
    skip_reason: str | None = None
    regions: list[RegionResult] = Field(default_factory=list)
    unchanged_regions: list[str] = Field(default_factory=list)
    control_center: StepOutcome | None = None
    schedule: StepOutcome | None = None
    errors: list[str] = Field(default_factory=list)
    follow_up: str | None = Field(None, description="the run started because the config changed during this one")

    @property
    def failed_regions(self) -> list[RegionResult]:
        """Regions whose reconcile failed."""
        return [r for r in self.regions if r.status == "failed"]

    @property
    def degraded_regions(self) -> list[RegionResult]:
        """Regions whose group accepted its capacity but whose launches fail."""
        return [r for r in self.regions if r.status == "degraded"]

    @property
    def skipped_regions(self) -> list[RegionResult]:
        """Selected regions the account has not enabled."""
        return [r for r in self.regions if r.status == "skipped"]


class Status(BaseModel):
    """The status item's fields."""

    model_config = ConfigDict(extra="ignore")

    revision: int = Field(0, description="bumped by every write; record_run writes conditional on it")
    managed_regions: list[str] = Field(default_factory=list)
    first_seen: dict[str, str] = Field(default_factory=dict, description="config digest -> RFC 3339 time")
    last_run: RunRecord | None = None
    recent_runs: list[RunRecord] = Field(default_factory=list)

    def first_seen_at(self, digest: str) -> datetime | None:
        """When this config content was first seen, if ever."""
        seen = self.first_seen.get(digest)
        return parse_time(seen) if seen else None


class StatusStore:
    """Reads and updates the status item in the config table."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def load(self) -> Status:
        """The status item, or an empty one before the first run."""
        found = self._db.get_item(TableName=self._table, Key={"pk": {"S": STATUS_KEY}}, ConsistentRead=True)
        return Status.model_validate(from_dynamodb(found.get("Item", {})))

    def remember_first_seen(self, digest: str, moment: datetime) -> datetime:
        """Record when `digest` was first seen (only the first writer wins) and return that time."""
        found = self._db.update_item(
            TableName=self._table,
            Key={"pk": {"S": STATUS_KEY}},
            UpdateExpression="SET first_seen = if_not_exists(first_seen, :empty) ADD revision :one",
            ExpressionAttributeValues={":empty": {"M": {}}, ":one": {"N": "1"}},
            ReturnValues="ALL_NEW",
        )
        seen = from_dynamodb(found["Attributes"]).get("first_seen", {})
        if digest in seen:
            return parse_time(seen[digest])
        self._db.update_item(
            TableName=self._table,
            Key={"pk": {"S": STATUS_KEY}},
            UpdateExpression="SET first_seen.#d = if_not_exists(first_seen.#d, :t) ADD revision :one",
            ExpressionAttributeNames={"#d": digest},
            ExpressionAttributeValues={":t": {"S": format_time(moment)}, ":one": {"N": "1"}},
        )
        return moment

    def record_run(self, run: RunRecord, managed_regions: list[str] | None, keep_digest: str | None = None) -> None:
        """Store `run` as the last run (and in the recent list); update managed regions when given.

        `keep_digest` prunes `first_seen` to the config content in force, so the item never grows.
        """
        for _ in range(WRITE_ATTEMPTS):
            status = self.load()
            recent = [run, *status.recent_runs][:RECENT_RUNS]
            fields: dict[str, Any] = {
                "last_run": run.model_dump(mode="json", exclude_none=True),
                "recent_runs": [r.model_dump(mode="json", exclude_none=True) for r in recent],
                "revision": status.revision + 1,
            }
            if managed_regions is not None:
                fields["managed_regions"] = sorted(managed_regions)
            if keep_digest is not None:
                fields["first_seen"] = {k: v for k, v in status.first_seen.items() if k == keep_digest}
            names = {f"#{i}": name for i, name in enumerate(fields)}
            values = {f":{i}": value for i, value in enumerate(fields.values())}
            # read-modify-write: only if nobody wrote since our read, else read again (runs may finish together)
            values[":read"] = status.revision
            try:
                self._db.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": STATUS_KEY}},
                    UpdateExpression="SET " + ", ".join(f"#{i} = :{i}" for i in range(len(fields))),
                    ConditionExpression="attribute_not_exists(revision) OR revision = :read"
                    if status.revision == 0
                    else "revision = :read",
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=to_dynamodb(values),
                )
                return
            except self._db.exceptions.ConditionalCheckFailedException:
                continue
        raise RuntimeError(f"status item kept changing: run {run.execution} not recorded after {WRITE_ATTEMPTS} tries")

    def note_follow_up(self, execution: str, follow_up: str) -> None:
        """Say on the last run (if it is still `execution`) which run it started for a newer config."""
        # a newer run may already have recorded itself: then there is nothing to annotate
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": STATUS_KEY}},
                UpdateExpression="SET last_run.follow_up = :f ADD revision :one",
                ConditionExpression="last_run.execution = :e",
                ExpressionAttributeValues={":f": {"S": follow_up}, ":e": {"S": execution}, ":one": {"N": "1"}},
            )
