"""A status item damaged by hand is read as far as it can be, each damaged part named; the next write repairs it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws

from p2p_core.storage.config import to_dynamodb
from p2p_core.storage.status import STATUS_KEY, RunRecord, Status, StatusStore
from p2p_core.storage.tolerant import read_tolerantly

WHEN = "2030-01-01T00:00:00Z"
GOOD_RUN = {"execution": "good", "status": "ok", "started_at": WHEN, "finished_at": WHEN}
TABLE = "p2p-config"


def test_an_intact_item_reads_without_warnings() -> None:
    status, warnings, damaged = read_tolerantly(Status, {"revision": 3, "recent_runs": [GOOD_RUN]})
    assert (status.revision, [r.execution for r in status.recent_runs], warnings, damaged) == (3, ["good"], [], set())


def test_recent_runs_that_is_not_a_list_is_left_out_naming_it() -> None:
    status, warnings, damaged = read_tolerantly(Status, {"recent_runs": "oops", "managed_regions": ["eu-west-1"]})
    assert status.recent_runs == [] and status.managed_regions == ["eu-west-1"]
    assert warnings == ["recent_runs is unreadable (Input should be a valid list, got 'oops'): left out"]
    assert damaged == {"recent_runs"}


def test_one_unreadable_run_of_the_history_loses_only_that_run() -> None:
    broken = {**GOOD_RUN, "execution": "broken", "finished_at": "yesterday"}
    status, warnings, _ = read_tolerantly(Status, {"recent_runs": [broken, GOOD_RUN, 7]})
    assert [r.execution for r in status.recent_runs] == ["good"]
    assert [w.split(" is ")[0] for w in warnings] == ["recent_runs[0]", "recent_runs[2]"]
    assert "finished_at: not an RFC 3339 time" in warnings[0] and "'yesterday'" in warnings[0]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("revision", "seven"),
        ("last_run", {"execution": "x"}),
        ("window_anchor", "now"),
        ("regions", ["eu-west-1"]),
        ("quota_headroom", 12),
        ("quiet_checks", {"n": 1}),
    ],
)
def test_any_field_of_the_wrong_type_is_left_at_its_default_naming_it(field: str, value: Any) -> None:
    status, warnings, damaged = read_tolerantly(Status, {field: value, "managed_regions": ["eu-west-1"]})
    assert getattr(status, field) == Status.model_fields[field].get_default(call_default_factory=True)
    assert status.managed_regions == ["eu-west-1"]
    assert damaged == {field} and warnings[0].startswith(f"{field} is unreadable (")


@pytest.fixture
def store() -> Iterator[StatusStore]:
    with mock_aws():
        db = boto3.client("dynamodb", region_name="eu-central-1")
        db.create_table(
            TableName=TABLE,
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        yield StatusStore(db, TABLE)


def _put(store: StatusStore, **fields: Any) -> None:
    store._db.put_item(TableName=TABLE, Item=to_dynamodb({"pk": STATUS_KEY, **fields}))


def test_the_next_recorded_run_rewrites_every_damaged_field(store: StatusStore) -> None:
    _put(
        store,
        revision="seven",
        recent_runs="oops",
        regions={"eu-west-1": 5},
        window_anchor="now",
        first_seen=[1],
        managed_regions=["eu-west-1"],
    )
    loaded = store.load()
    assert len(loaded.warnings) == 5 and all(w.endswith("the next run rewrites it") for w in loaded.warnings)
    store.record_run(RunRecord(**GOOD_RUN), managed_regions=["eu-west-1"])
    repaired = store.load()
    assert repaired.warnings == []
    assert (repaired.revision, [r.execution for r in repaired.recent_runs]) == (1, ["good"])
    assert repaired.managed_regions == ["eu-west-1"]
    raw = store._item(STATUS_KEY)
    assert "window_anchor" not in raw and "first_seen" not in raw


def test_a_quiet_check_over_a_damaged_checks_item_starts_its_count_again(store: StatusStore) -> None:
    store._db.put_item(
        TableName=TABLE, Item=to_dynamodb({"pk": "status#checks", "quiet_checks": "many", "last_check": 3})
    )
    assert {w.split(" is ")[0] for w in store.load().warnings} == {
        "status item: quiet_checks",
        "status item: last_check",
    }
    check = RunRecord(**{**GOOD_RUN, "execution": "check", "source": "schedule", "status": "noop"})
    store.record_run(check, managed_regions=[])
    found = store.load()
    assert (found.warnings, found.quiet_checks, found.last_check) == ([], 1, check)
