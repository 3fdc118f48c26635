"""The events a run publishes (SPEC §11), built as pure functions of the recorded run and the plan."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from p2p_core.aws.clients import ClientFactory
from p2p_core.models.deployment import Deployment
from p2p_core.models.events import FinalState
from p2p_core.models.plan import RegionPlan
from p2p_core.models.results import RegionResult
from p2p_core.notifications import (
    DRIFT_REPAIRED,
    QUOTA_LOW,
    REGION_DEGRADED,
    RUN_FINISHED,
    SOURCE,
    Notification,
    publish,
    quota_notifications,
    run_notifications,
)
from p2p_core.quota import QuotaHeadroom
from p2p_core.storage.status import RunRecord

NOW = datetime(2026, 12, 6, 12, 0, tzinfo=UTC)


def run(status: str, *regions: RegionResult, errors: list[str] | None = None, version: int = 7) -> RunRecord:
    return RunRecord(
        execution="run-1",
        status=status,  # type: ignore[arg-type]
        started_at="2026-12-06T12:00:00Z",
        finished_at="2026-12-06T12:01:00Z",
        config_version=version,
        regions=list(regions),
        errors=errors or [],
    )


def ok(region: str, **fields: Any) -> RegionResult:
    return RegionResult(region=region, status="ok", **fields)


def state(*plans: RegionPlan) -> FinalState:
    return FinalState(run_id="run-1", regions=list(plans))


def kinds(events: list[Notification]) -> list[tuple[str, str]]:
    return [(e.detail_type, e.detail["severity"]) for e in events]


def test_quiet_runs_publish_nothing() -> None:
    assert run_notifications(run("noop"), None, "p2p", 7) == []
    assert run_notifications(run("skipped"), None, "p2p", 7) == []


def test_a_successful_run_is_one_info_event_with_regions_by_outcome() -> None:
    events = run_notifications(run("ok", ok("eu-west-1"), ok("us-east-1")), state(), "p2p", 6)
    assert kinds(events) == [(RUN_FINISHED, "info")]
    assert events[0].detail["regions"] == {"ok": ["eu-west-1", "us-east-1"]}
    assert events[0].detail["summary"] == "run ok: 2 ok"
    assert events[0].detail["stack"] == "p2p"


def test_a_failed_run_is_an_error_naming_its_first_error() -> None:
    failed = RegionResult(region="ap-south-1", status="failed", error_code="X", error_message="boom")
    events = run_notifications(run("failed", failed, errors=["ap-south-1: X: boom"]), state(), "p2p", 7)
    assert kinds(events) == [(RUN_FINISHED, "error")]
    assert events[0].detail["summary"] == "run failed: 1 failed; ap-south-1: X: boom"


def test_a_config_that_stopped_plan_is_an_error_without_regions() -> None:
    events = run_notifications(run("failed", errors=["plan: ConfigInvalid: regions: bad"]), None, "p2p", None)
    assert kinds(events) == [(RUN_FINISHED, "error")]
    assert events[0].detail["regions"] == {}


def test_each_degraded_region_is_a_warning_with_aws_reason() -> None:
    short = RegionResult(
        region="sa-east-1", status="degraded", error_code="LaunchFailed", error_message="no t3.micro capacity"
    )
    events = run_notifications(run("degraded", short, ok("eu-west-1")), state(), "p2p", 7)
    assert kinds(events) == [(RUN_FINISHED, "warning"), (REGION_DEGRADED, "warning")]
    assert events[1].detail["reason"] == "no t3.micro capacity"
    assert events[1].detail["region"] == "sa-east-1"


def test_drift_under_an_unchanged_config_was_made_outside_the_control_plane() -> None:
    plan = RegionPlan(region="eu-west-1", reasons=["x"], drifts=["security group: 22/tcp from 0.0.0.0/0 added"])
    result = ok("eu-west-1", actions=["revoked 22/tcp from 0.0.0.0/0"])
    events = run_notifications(run("ok", result, version=7), state(plan), "p2p", 7)
    assert kinds(events) == [(RUN_FINISHED, "info"), (DRIFT_REPAIRED, "warning")]
    assert events[1].detail["cause"] == "changed outside the control plane"
    assert events[1].detail["actions"] == ["revoked 22/tcp from 0.0.0.0/0"]


def test_drift_right_after_an_edit_is_the_edit_taking_effect() -> None:
    plan = RegionPlan(region="eu-west-1", drifts=["security group: 4001/udp missing"])
    events = run_notifications(run("ok", ok("eu-west-1"), version=8), state(plan), "p2p", 7)
    assert kinds(events)[1] == (DRIFT_REPAIRED, "info")
    assert events[1].detail["cause"] == "config edit"


def test_no_drift_event_for_failed_or_decommissioned_regions() -> None:
    plans = state(RegionPlan(region="a", drifts=["d"]), RegionPlan(region="b", drifts=["d"]))
    failed = RegionResult(region="a", status="failed", error_message="e")
    gone = ok("b", decommissioned=True)
    events = run_notifications(run("failed", failed, gone, errors=["a: e"]), plans, "p2p", 7)
    assert [e.detail_type for e in events] == [RUN_FINISHED]


def test_summaries_are_one_line_safe_inside_a_json_template() -> None:
    short = RegionResult(region="sa-east-1", status="degraded", error_message='He said "no"\nat\\all')
    summary = run_notifications(run("degraded", short), state(), "p2p", 7)[1].detail["summary"]
    assert summary == "sa-east-1: launches fail: He said 'no' at/all"
    assert json.loads(f'{{"text": "{summary}"}}')["text"] == summary


def headroom(instances: int, quota: float | None, **fields: Any) -> QuotaHeadroom:
    return QuotaHeadroom(
        instance_type="t3.micro", instances=instances, vcpus_each=2, quota_vcpus=quota, checked_at=NOW, **fields
    )


def test_quota_low_only_when_the_record_changed_and_is_low() -> None:
    before = {"a": headroom(3, 4), "b": headroom(1, 32), "c": headroom(15, 32)}
    after = {"a": headroom(3, 4), "b": headroom(14, 32), "c": headroom(15, 32), "d": headroom(1, None)}
    events = quota_notifications(before, after, "p2p")
    assert kinds(events) == [(QUOTA_LOW, "warning")]  # b: 28 of 32 vCPUs; a and c unchanged; d unknown
    assert events[0].detail["region"] == "b"
    assert (
        events[0].detail["summary"] == "b: 14 × t3.micro = 28 vCPUs, under 20 % headroom of the on-demand vCPU quota 32"
    )


def test_over_the_quota_is_an_error() -> None:
    events = quota_notifications({}, {"a": headroom(3, 4)}, "p2p")
    assert kinds(events) == [(QUOTA_LOW, "error")]
    assert events[0].detail["over_quota"] is True


class _Bus:
    def __init__(self, refuse: int = 0) -> None:
        self.batches: list[list[dict[str, Any]]] = []
        self.refuse = refuse

    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        self.batches.append(Entries)
        failed = [{"ErrorCode": "InternalFailure"}] * min(self.refuse, len(Entries))
        return {"FailedEntryCount": len(failed), "Entries": failed + [{"EventId": "x"}] * (len(Entries) - len(failed))}


class _Clients(ClientFactory):
    def __init__(self, bus: _Bus) -> None:
        super().__init__()
        self.bus = bus

    def client(self, service: str, region: str) -> Any:
        assert (service, region) == ("events", "eu-central-1")
        return self.bus


def test_publish_puts_at_most_ten_entries_per_call_on_the_home_default_bus() -> None:
    bus = _Bus()
    events = [Notification(detail_type=RUN_FINISHED, detail={"n": i}) for i in range(23)]
    assert publish(_Clients(bus), Deployment(home_region="eu-central-1"), events) == 0
    assert [len(b) for b in bus.batches] == [10, 10, 3]
    entry = bus.batches[2][2]
    assert (entry["Source"], entry["DetailType"], entry["EventBusName"]) == (SOURCE, RUN_FINISHED, "default")
    assert json.loads(entry["Detail"]) == {"n": 22}


def test_publish_counts_refused_entries_and_never_raises() -> None:
    bus = _Bus(refuse=2)
    events = [Notification(detail_type=RUN_FINISHED, detail={})] * 3
    assert publish(_Clients(bus), Deployment(home_region="eu-central-1"), events) == 2
    assert publish(_Clients(_Bus()), Deployment(home_region="eu-central-1"), []) == 0


class _DownBus:
    def put_events(self, Entries: list[dict[str, Any]]) -> dict[str, Any]:
        from botocore.exceptions import ClientError

        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "PutEvents")


def test_a_bus_that_refuses_the_call_never_fails_the_run() -> None:
    events = [Notification(detail_type=RUN_FINISHED, detail={})] * 12
    assert publish(_Clients(_DownBus()), Deployment(home_region="eu-central-1"), events) == 12  # type: ignore[arg-type]
