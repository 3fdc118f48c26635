"""Which trails make CloudTrail's events in the emulated account (shims/cloudtrail.py): a logging trail of the
region (or multi-region) whose selectors record write management events, judged as `p2pctl doctor` judges them."""

from __future__ import annotations

from typing import Any

import pytest

from p2p_core.aws.clients import ClientFactory
from p2p_emulator import shims
from p2p_emulator.shims import cloudtrail
from p2pctl.doctor_trail import records_write_management_events
from tests.integration.test_aws_events import (
    ACCOUNT,
    HOME,
    MANAGED,
    clients,
    ingress_events,
    open_ssh,
    received,
    relay_to_home_queue,
    trail,
)

__all__ = ["clients"]  # the fixture


@pytest.mark.parametrize(
    ("setup", "recorded"),
    [
        (lambda c: None, False),  # no trail
        (lambda c: trail(c, logging=False), False),  # a trail that is not logging
        (lambda c: trail(c).stop_logging(Name="account-trail"), False),
        (lambda c: trail(c, region=HOME, multi_region=False), False),  # a trail of another region only
        (lambda c: trail(c, region=MANAGED, multi_region=False), True),
        (
            lambda c: trail(c).put_event_selectors(
                TrailName="account-trail", EventSelectors=[{"ReadWriteType": "ReadOnly"}]
            ),
            False,
        ),
        (
            lambda c: trail(c).put_event_selectors(
                TrailName="account-trail", EventSelectors=[{"ReadWriteType": "WriteOnly"}]
            ),
            True,
        ),
        (
            lambda c: trail(c).put_event_selectors(
                TrailName="account-trail", EventSelectors=[{"ReadWriteType": "All", "IncludeManagementEvents": False}]
            ),
            False,
        ),
        (
            lambda c: trail(c).put_event_selectors(
                TrailName="account-trail", AdvancedEventSelectors=[management(readOnly=["true"])]
            ),
            False,
        ),
        (
            lambda c: trail(c).put_event_selectors(
                TrailName="account-trail", AdvancedEventSelectors=[management(readOnly=["false"])]
            ),
            True,
        ),
        (
            lambda c: trail(c).put_event_selectors(TrailName="account-trail", AdvancedEventSelectors=[management()]),
            True,
        ),
    ],
    ids=[
        "no-trail",
        "never-logging",
        "stopped",
        "other-region",
        "this-region",
        "read-only",
        "write-only",
        "no-management",
        "advanced-read-only",
        "advanced-writes",
        "advanced-all",
    ],
)
def test_an_event_only_when_a_logging_trail_records_the_regions_write_management_events(
    clients: ClientFactory, setup: Any, recorded: bool
) -> None:
    setup(clients)
    queue = relay_to_home_queue(clients)
    open_ssh(clients)
    assert shims.write_events_recorded(ACCOUNT, MANAGED) is recorded
    assert len(ingress_events(received(clients, queue))) == (1 if recorded else 0)


def management(**fields: list[str]) -> dict[str, Any]:
    selectors = [{"Field": "eventCategory", "Equals": ["Management"]}]
    selectors += [{"Field": name, "Equals": values} for name, values in fields.items()]
    return {"Name": "management", "FieldSelectors": selectors}


SELECTORS = [
    ({}, True),  # CloudTrail's default
    ({"EventSelectors": [{"ReadWriteType": "WriteOnly"}]}, True),
    ({"EventSelectors": [{"ReadWriteType": "ReadOnly"}]}, False),
    ({"EventSelectors": [{"ReadWriteType": "All", "IncludeManagementEvents": False}]}, False),
    ({"AdvancedEventSelectors": [management()]}, True),
    ({"AdvancedEventSelectors": [management(readOnly=["false"])]}, True),
    ({"AdvancedEventSelectors": [management(readOnly=["true"])]}, False),
    ({"AdvancedEventSelectors": [management(eventSource=list(cloudtrail.EVENT_SOURCES.values()))]}, True),
    ({"AdvancedEventSelectors": [management(eventSource=["s3.amazonaws.com"])]}, False),
    ({"AdvancedEventSelectors": [management(eventName=["AuthorizeSecurityGroupIngress"])]}, True),
]


@pytest.mark.parametrize(("selectors", "recorded"), SELECTORS)
def test_the_emulator_and_p2pctl_doctor_say_the_same_of_a_trails_selectors(
    clients: ClientFactory, selectors: dict[str, Any], recorded: bool
) -> None:
    cloudtrail_client = trail(clients)
    if selectors:
        cloudtrail_client.put_event_selectors(TrailName="account-trail", **selectors)
    answer = cloudtrail_client.get_event_selectors(TrailName="account-trail")
    emulator = all(shims.write_events_recorded(ACCOUNT, MANAGED, s) for s in cloudtrail.EVENT_SOURCES.values())
    assert emulator is records_write_management_events(answer) is recorded
