"""The status item (`pk = "status"`): what the last runs did, which regions hold resources, and the window anchor.

It is the workflow's memory between runs: `managed_regions` tells Plan where to look for regions that
left the selection, and `window_anchor` records when the start fields took their current values, so
`start_time: "now"` stays put whoever edits the item and whatever else changes (SPEC §3).

Every run is recorded, and a skipped one never hides a real result: `last_run` is the last run that
did work (including one that stopped in Plan on an invalid config), `last_skipped` the last run that
found the lease taken (naming the holder), `regions` the last known result of every region across
runs, and `recent_runs` the last runs of any kind, newest first.

A scheduled check that found every region as configured (a quiet check) is recorded in a small item of its
own (`pk = "status#checks"`: the last one and how many since when) instead, and the quota headroom Plan
refreshes hourly has its own item too (`status#quota`): DynamoDB bills a write by the item's size, and the
status item of 34 regions is over 20 KB, so recording every 15-minute check there would cost more than the
rest of the control plane's table use together. `StatusStore.load` reads the three as one `Status`.
"""

from __future__ import annotations

import contextlib
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator

from p2p_core.config import ConfigItem
from p2p_core.config.rfc3339 import format_time, parse_time
from p2p_core.models.events import StepOutcome
from p2p_core.models.observed import WindowAnchor
from p2p_core.models.results import RegionResult
from p2p_core.quota import QuotaHeadroom
from p2p_core.storage.config import from_dynamodb, to_dynamodb
from p2p_core.storage.tolerant import read_tolerantly

STATUS_KEY = "status"
DETAILED_RUNS = 0  # recent runs keep each region's status, counts and errors; the actions are in `last_run` and
# in `regions` (each region's last changes): not twice more in the history, read and billed at every check
RECENT_RUNS_BYTES = 200_000  # DynamoDB refuses an item over 400 KB: the history never takes half of it
CHECKS_KEY = "status#checks"
CHECK_FIELDS = ("last_check", "quiet_checks", "quiet_since")
QUOTA_KEY = "status#quota"  # checks/quota_headroom.py writes it at most hourly, so the status item is not rewritten
RECENT_RUNS = 20
WRITE_ATTEMPTS = 8
RunStatus = Literal["ok", "degraded", "failed", "skipped", "noop"]
RegionStatus = Literal["ok", "degraded", "failed", "skipped", "unchanged"]


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
    held_by: str | None = Field(None, description="a skipped run: the execution that held the lease")
    stopped_by: str | None = Field(None, description="the error that stopped the run in Plan, e.g. ConfigInvalid")
    regions: list[RegionResult] = Field(default_factory=list)
    unchanged_regions: list[str] = Field(default_factory=list)
    control_center: StepOutcome | None = None
    schedule: StepOutcome | None = None
    errors: list[str] = Field(default_factory=list)
    follow_up: str | None = Field(None, description="the run started because the config changed during this one")

    @field_validator("started_at", "finished_at")
    @classmethod
    def _rfc3339(cls, value: str) -> str:
        parse_time(value)  # a time edited into something else makes the record unreadable, not `status` crash
        return value

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


class RegionRecord(BaseModel):
    """A region's last known result, and the run that found it (`unchanged`: it matched the config then)."""

    model_config = ConfigDict(extra="ignore")

    status: RegionStatus
    run: str
    finished_at: str
    actions: list[str] = Field(default_factory=list)
    mutating_calls: int = 0
    error_code: str | None = None
    error_message: str | None = None
    warnings: list[str] = Field(default_factory=list, description="as the region was last built: types dropped")


def remember_regions(
    before: dict[str, RegionRecord], run: RunRecord, managed_regions: list[str] | None
) -> dict[str, RegionRecord]:
    """Each region's last known result after `run`; regions neither managed nor selected any more are dropped."""
    found = dict(before)
    for name in run.unchanged_regions:
        # a region left as it was keeps the warnings of how it was built (its group records them)
        warnings = before[name].warnings if name in before else []
        found[name] = RegionRecord(
            status="unchanged", run=run.execution, finished_at=run.finished_at, warnings=warnings
        )
    for result in run.regions:
        include = {"status", "actions", "mutating_calls", "error_code", "error_message", "warnings"}
        fields = result.model_dump(include=include)
        found[result.region] = RegionRecord(**fields, run=run.execution, finished_at=run.finished_at)
    if managed_regions is None:  # the run stopped before it knew the regions: keep what earlier runs found
        return found
    kept = set(managed_regions) | {r.region for r in run.skipped_regions}  # selected, but not enabled
    return {name: record for name, record in sorted(found.items()) if name in kept}


def recent_runs(runs: list[RunRecord]) -> list[RunRecord]:
    """The history to keep, newest first: at most `RECENT_RUNS`, region actions only in the newest
    `DETAILED_RUNS`, and no more than `RECENT_RUNS_BYTES` of it (a 34-region provisioning run lists ~700
    actions, 45 KB: twenty of them would make the item too big to write, and any of them every read dearer)."""
    kept: list[RunRecord] = []
    size = 0
    for number, run in enumerate(runs[:RECENT_RUNS]):
        if number >= DETAILED_RUNS and any(r.actions for r in run.regions):
            run = run.model_copy(update={"regions": [r.model_copy(update={"actions": []}) for r in run.regions]})
        size += len(run.model_dump_json(exclude_none=True))
        if kept and size > RECENT_RUNS_BYTES:
            break
        kept.append(run)
    return kept


class Status(BaseModel):
    """The status item's fields."""

    model_config = ConfigDict(extra="ignore")

    revision: int = Field(0, description="bumped by every write; record_run writes conditional on it")
    managed_regions: list[str] = Field(default_factory=list)
    window_anchor: WindowAnchor | None = None
    first_seen: dict[str, str] = Field(
        default_factory=dict, description="before window anchors: config digest -> RFC 3339 time (read once, removed)"
    )
    last_run: RunRecord | None = Field(None, description="the last run that did work (never a skipped one)")
    last_skipped: RunRecord | None = Field(None, description="the last run that found the lease taken")
    regions: dict[str, RegionRecord] = Field(default_factory=dict, description="last known result per region")
    recent_runs: list[RunRecord] = Field(default_factory=list, description="runs of any kind, newest first")
    quota_headroom: dict[str, QuotaHeadroom] = Field(
        default_factory=dict, description="per selected region: the fleet's peak vCPUs and the on-demand quota"
    )
    last_check: RunRecord | None = Field(None, description="the last quiet scheduled check (its own item)")
    quiet_checks: int = Field(0, description="quiet scheduled checks recorded since `quiet_since`")
    quiet_since: str | None = None
    warnings: list[str] = Field(
        default_factory=list, exclude=True, description="parts of the stored items that were unreadable, left out"
    )
    _damaged: set[str] = PrivateAttr(default_factory=set)
    _stored_revision: Any = PrivateAttr(None)

    @property
    def damaged(self) -> set[str]:
        """The fields that were unreadable as stored (what is left of them is in the model)."""
        return set(self._damaged)

    @property
    def stored_revision(self) -> Any:
        """The revision as stored, even when damaged: what the next write is conditional on."""
        return self._stored_revision if "revision" in self._damaged else self.revision

    def repaired(self, written: set[str]) -> dict[str, Any]:
        """The status item's damaged fields a write does not set anyway, as read (None: removed)."""
        own = self.damaged - written - {*CHECK_FIELDS, "quota_headroom", "revision", "warnings"}
        dumped = self.model_dump(mode="json", include=own, exclude_none=True)
        return {name: dumped.get(name) or None for name in sorted(own)}

    def run(self, execution: str) -> RunRecord | None:
        """The recorded run of that execution name: the last run, skipped run or quiet check in full, else one of
        the recent runs (without their regions' actions)."""
        for whole in (self.last_run, self.last_skipped, self.last_check):
            if whole is not None and whole.execution == execution:
                return whole
        return next((r for r in self.recent_runs if r.execution == execution), None)

    @property
    def latest(self) -> RunRecord | None:
        """The last run that did work or the last quiet check, whichever finished later."""
        # the check first: within the same second (finished_at's precision) it is the later record
        records = [r for r in (self.last_check, self.last_run) if r is not None]
        return max(records, key=lambda r: parse_time(r.finished_at)) if records else None

    def is_quiet_check(self, run: RunRecord, managed_regions: list[str] | None) -> bool:
        """A scheduled run that changed nothing and found nothing new to manage: recorded in the checks item."""
        return (
            run.source == "schedule"
            and run.status == "noop"
            and not run.regions
            and managed_regions is not None
            and sorted(managed_regions) == sorted(self.managed_regions)
        )

    def recorded_anchor(self, config: ConfigItem) -> WindowAnchor | None:
        """The recorded window anchor; for a control plane upgraded from the `updated_at` model, the anchor it used."""
        if self.window_anchor is not None or self.last_run is None:
            return self.window_anchor
        # the previous model anchored "now" at updated_at, else at when the content was first seen: keep that
        # instant for the window in force, so upgrading does not restart a running fleet
        legacy = config.updated_at
        if legacy is None and len(self.first_seen) == 1:
            legacy = parse_time(next(iter(self.first_seen.values())))
        return WindowAnchor(digest=config.window_digest(), since=legacy) if legacy is not None else None


def _revision_damaged(loaded: Status | None) -> bool:
    return loaded is not None and "revision" in loaded.damaged


class StatusStore:
    """Reads and updates the status item in the config table."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def load(self) -> Status:
        """The status item with the last quiet check, or an empty one before the first run."""
        found = self._item(STATUS_KEY)
        checks = self._item(CHECKS_KEY)
        quota = self._item(QUOTA_KEY)  # a status item written before it had its own item holds it itself
        status, warnings, damaged = read_tolerantly(
            Status,
            {
                **found,
                **{k: checks[k] for k in CHECK_FIELDS if k in checks},
                **{k: quota[k] for k in ("quota_headroom",) if k in quota},
            },
        )
        status.warnings = [f"status item: {w}; the next run rewrites it" for w in warnings]
        status._damaged = damaged
        status._stored_revision = found.get("revision")  # the write after this read is conditional on it
        return status

    def _item(self, key: str) -> dict[str, Any]:
        found = self._db.get_item(TableName=self._table, Key={"pk": {"S": key}}, ConsistentRead=True)
        item: dict[str, Any] = from_dynamodb(found.get("Item", {}))
        return item

    def remember_anchor(self, anchor: WindowAnchor, loaded: Status | None = None) -> WindowAnchor:
        """Record `anchor` unless one for the same window digest is there already; return the one in force.

        Plan records it once its plan is made (a Plan that fails writes nothing but its lease); `loaded` is the
        status it read (a revision damaged by hand cannot be added to: it starts again).
        """
        value = {"digest": anchor.digest, "since": format_time(anchor.since)}
        update = (
            "SET window_anchor = :a, revision = :one REMOVE first_seen"
            if _revision_damaged(loaded)
            else "SET window_anchor = :a REMOVE first_seen ADD revision :one"
        )
        try:
            self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": STATUS_KEY}},
                UpdateExpression=update,
                # no digest there (none recorded, or a value damaged by hand): recorded now
                ConditionExpression="attribute_not_exists(window_anchor.digest) OR window_anchor.digest <> :d",
                ExpressionAttributeValues=to_dynamodb({":a": value, ":d": anchor.digest, ":one": 1}),
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            recorded = self.load().window_anchor  # the same window was recorded first by another run
            return recorded if recorded is not None else anchor
        return anchor

    def record_run(self, run: RunRecord, managed_regions: list[str] | None, loaded: Status | None = None) -> None:
        """Store `run` in the recent list and as the last (or last skipped) run; update managed regions when given.
        A quiet scheduled check goes to the checks item instead (`Status.is_quiet_check`)."""
        for _ in range(WRITE_ATTEMPTS):
            # the caller's fresh read saves one (each read of the status item is billed by its size); the write
            # below is conditional on its revision, so a stale one is only retried
            status, loaded = loaded or self.load(), None
            if status.is_quiet_check(run, managed_regions):
                self._record_check(run, damaged=bool(status.damaged & set(CHECK_FIELDS)))
                return
            recent = recent_runs([run, *status.recent_runs])
            as_last = "last_skipped" if run.status == "skipped" else "last_run"  # a skip never hides a real result
            fields: dict[str, Any] = {
                as_last: run.model_dump(mode="json", exclude_none=True),
                "recent_runs": [r.model_dump(mode="json", exclude_none=True) for r in recent],
                "revision": status.revision + 1,
            }
            if run.status != "skipped":
                regions = remember_regions(status.regions, run, managed_regions)
                fields["regions"] = {name: r.model_dump(mode="json", exclude_none=True) for name, r in regions.items()}
            if managed_regions is not None:
                fields["managed_regions"] = sorted(managed_regions)
            fields.update(status.repaired(set(fields)))
            removed = [name for name, value in fields.items() if value is None]
            fields = {name: value for name, value in fields.items() if value is not None}
            names = {f"#{i}": name for i, name in enumerate([*fields, *removed])}
            values = {f":{i}": value for i, value in enumerate(fields.values())}
            # read-modify-write: only if nobody wrote since our read, else read again (runs may finish together)
            values[":read"] = status.stored_revision
            update = "SET " + ", ".join(f"#{i} = :{i}" for i in range(len(fields)))
            if removed:
                update += " REMOVE " + ", ".join(f"#{i}" for i in range(len(fields), len(names)))
            try:
                self._db.update_item(
                    TableName=self._table,
                    Key={"pk": {"S": STATUS_KEY}},
                    UpdateExpression=update,
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

    def _record_check(self, run: RunRecord, damaged: bool = False) -> None:
        """The last quiet check, counted since the first one (one small write, whatever the region count);
        `damaged`: the checks item was unreadable, so the count starts again."""
        self._db.update_item(
            TableName=self._table,
            Key={"pk": {"S": CHECKS_KEY}},
            UpdateExpression="SET last_check = :run, quiet_since = :t, quiet_checks = :one"
            if damaged
            else "SET last_check = :run, quiet_since = if_not_exists(quiet_since, :t) ADD quiet_checks :one",
            ExpressionAttributeValues=to_dynamodb(
                {":run": run.model_dump(mode="json", exclude_none=True), ":t": run.started_at, ":one": 1}
            ),
        )

    def note_follow_up(self, execution: str, follow_up: str) -> None:
        """Say on the last run or quiet check (if it is still `execution`) which run it started for a newer config."""
        status = self.load()
        key, field = (
            (CHECKS_KEY, "last_check") if status.run(execution) is status.last_check else (STATUS_KEY, "last_run")
        )
        update = f"SET {field}.follow_up = :f"
        if key == STATUS_KEY:
            update += ", revision = :one" if _revision_damaged(status) else " ADD revision :one"
        values = {":f": {"S": follow_up}, ":e": {"S": execution}}
        if key == STATUS_KEY:
            values[":one"] = {"N": "1"}
        # a newer run may already have recorded itself: then there is nothing to annotate
        with contextlib.suppress(self._db.exceptions.ConditionalCheckFailedException):
            self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": key}},
                UpdateExpression=update,
                ConditionExpression=f"{field}.execution = :e",
                ExpressionAttributeValues=values,
            )
