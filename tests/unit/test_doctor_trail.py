"""The drift events check's judgement of trails, pure: which event selectors record write management events of
ec2, autoscaling and logs, and which trail covers which regions (the CLI path: tests/cli/test_cli_doctor_trail.py)."""

from __future__ import annotations

from typing import Any

import pytest

from p2pctl.doctor_trail import CREATE_TRAIL_FIX, Trail, judge, records_write_management_events, trail_gaps

MANAGEMENT = {"Field": "eventCategory", "Equals": ["Management"]}


def advanced(*fields: dict[str, Any]) -> dict[str, Any]:
    return {"AdvancedEventSelectors": [{"Name": "s", "FieldSelectors": [MANAGEMENT, *fields]}]}


@pytest.mark.parametrize(
    ("selectors", "recorded"),
    [
        ({}, True),  # none at all: CloudTrail's default, every management event
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": True}]}, True),
        ({"EventSelectors": [{"ReadWriteType": "WriteOnly"}]}, True),  # management events by default
        ({"EventSelectors": [{"ReadWriteType": "ReadOnly", "IncludeManagementEvents": True}]}, False),
        ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]}, False),  # data only
        ({"EventSelectors": [{"ReadWriteType": "All", "ExcludeManagementEventSources": ["kms.amazonaws.com"]}]}, True),
        (
            {
                "EventSelectors": [
                    {"ReadWriteType": "ReadOnly"},
                    {"ReadWriteType": "WriteOnly", "IncludeManagementEvents": True},
                ]
            },
            True,
        ),
        (advanced(), True),
        (advanced({"Field": "readOnly", "Equals": ["false"]}), True),
        (advanced({"Field": "readOnly", "Equals": ["true"]}), False),
        (advanced({"Field": "readOnly", "NotEquals": ["false"]}), False),
        (advanced({"Field": "eventSource", "Equals": ["ec2.amazonaws.com"]}), False),  # autoscaling and logs missed
        (
            advanced(
                {
                    "Field": "eventSource",
                    "Equals": ["ec2.amazonaws.com", "autoscaling.amazonaws.com", "logs.amazonaws.com"],
                }
            ),
            True,
        ),
        (advanced({"Field": "eventSource", "NotEquals": ["ec2.amazonaws.com"]}), False),
        (
            {
                "AdvancedEventSelectors": [
                    {"Name": "data", "FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}
                ]
            },
            False,
        ),
    ],
)
def test_event_selectors_record_write_management_events_of_the_watched_services(
    selectors: dict[str, Any], recorded: bool
) -> None:
    assert records_write_management_events(selectors) is recorded


def trail(name: str = "t", *, home: str = "eu-central-1", multi: bool = True, logging: bool = True) -> Trail:
    return Trail(name, f"arn:aws:cloudtrail:{home}:1:trail/{name}", home, multi, logging, {})


def test_a_single_region_trail_covers_only_its_own_region() -> None:
    assert trail_gaps(trail(multi=False), ["eu-central-1"]) == []
    assert trail_gaps(trail(multi=False), ["eu-central-1", "sa-east-1"]) == [
        "single-region (eu-central-1): misses sa-east-1"
    ]


def test_the_good_trail_wins_and_the_closest_bad_one_gets_the_fix() -> None:
    good, stopped = trail("good"), trail("stopped", logging=False)
    assert judge([stopped, good], ["eu-central-1"]).detail.startswith("trail good (multi-region) records")
    local_only = trail("local", multi=False)
    found = judge([local_only, stopped], ["eu-central-1", "us-east-1"])
    assert found.mark == "warn"
    assert "trail local: single-region (eu-central-1): misses us-east-1; trail stopped: not logging" in found.detail
    assert found.fix == (  # the multi-region one is closer: one step to fix
        f"{CREATE_TRAIL_FIX}, or make trail stopped record write management events: "
        "aws cloudtrail start-logging --name arn:aws:cloudtrail:eu-central-1:1:trail/stopped --region eu-central-1"
    )
