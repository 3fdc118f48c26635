"""`p2pctl logs`' reading: agent log events of several regions (put into moto) merged in time order."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from moto import mock_aws

from p2p_core import names
from p2p_core.aws.clients import ClientFactory
from p2pctl.agent_logs import Follower, LogLine, filter_pattern, millis, parse_since, read_regions
from p2pctl.errors import CliError

GROUP = names.agents_log_group("p2p-test")
NOW = datetime.now(UTC).replace(microsecond=0)


def put(region: str, stream: str, *events: tuple[timedelta, str]) -> None:
    """Events as the CloudWatch agent ships them: `ago` before NOW, into `<instance>/<file>`."""
    logs = boto3.client("logs", region_name=region)
    if not logs.describe_log_groups(logGroupNamePrefix=GROUP)["logGroups"]:
        logs.create_log_group(logGroupName=GROUP)
    if not logs.describe_log_streams(logGroupName=GROUP, logStreamNamePrefix=stream)["logStreams"]:
        logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
    batch = [{"timestamp": millis(NOW - ago), "message": text} for ago, text in events]
    logs.put_log_events(logGroupName=GROUP, logStreamName=stream, logEvents=batch)


@pytest.fixture
def clients() -> Iterator[ClientFactory]:
    with mock_aws():
        yield ClientFactory()


def test_events_of_several_regions_come_back_merged_in_time_order(clients: ClientFactory) -> None:
    minutes = timedelta(minutes=1)
    put("eu-west-1", "i-0aaa/runner.log", (5 * minutes, "polled"), (2 * minutes, "ran main.yml"))
    put("us-east-1", "i-0bbb/runner.log", (4 * minutes, "polled"), (1 * minutes, "ran main.yml"))
    put("us-east-1", "i-0ccc/cloud-init-output.log", (3 * minutes, "Cloud-init finished"))
    put("ap-south-1", "i-0ddd/runner.log", (3 * timedelta(hours=1), "long ago"))

    reading = read_regions(clients, ["us-east-1", "eu-west-1", "ap-south-1"], GROUP, millis(NOW - 60 * minutes), None)

    assert [(line.region, line.instance, line.file, line.message) for line in reading.lines] == [
        ("eu-west-1", "i-0aaa", "runner.log", "polled"),
        ("us-east-1", "i-0bbb", "runner.log", "polled"),
        ("us-east-1", "i-0ccc", "cloud-init-output.log", "Cloud-init finished"),
        ("eu-west-1", "i-0aaa", "runner.log", "ran main.yml"),
        ("us-east-1", "i-0bbb", "runner.log", "ran main.yml"),
    ]
    assert reading.problems == {}
    first = reading.lines[0]
    assert first.text() == f"eu-west-1 i-0aaa {first.time} runner.log: polled"
    assert first.time == (NOW - 5 * minutes).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def test_grep_keeps_only_events_containing_the_text(clients: ClientFactory) -> None:
    ago = timedelta(minutes=1)
    put("eu-west-1", "i-0aaa/runner.log", (ago, "finished with exit code 2: ansible-pull"), (ago, "polled"))
    put("us-east-1", "i-0bbb/runner.log", (ago, 'said "exit code 2" twice'), (ago, "exit code 0"))
    for grep in ("exit code 2", '"exit code 2"'):
        reading = read_regions(clients, ["eu-west-1", "us-east-1"], GROUP, millis(NOW - 2 * ago), grep)
        assert all(grep in line.message for line in reading.lines)
        assert len(reading.lines) == (2 if grep == "exit code 2" else 1)


def test_a_region_without_the_log_group_is_a_problem_not_a_stop(clients: ClientFactory) -> None:
    put("eu-west-1", "i-0aaa/runner.log", (timedelta(minutes=1), "polled"))
    reading = read_regions(clients, ["eu-west-1", "sa-east-1"], GROUP, millis(NOW - timedelta(hours=1)), None)
    assert [line.message for line in reading.lines] == ["polled"]
    assert reading.problems == {
        "sa-east-1": f"no log group {GROUP} (no run has built this region, or it was torn down)"
    }


def test_all_pages_are_read(clients: ClientFactory) -> None:
    events = [(timedelta(seconds=600 - i), f"line {i}") for i in range(3)]
    put("eu-west-1", "i-0aaa/runner.log", *events)
    logs = clients.client("logs", "eu-west-1")
    original = logs.filter_log_events
    logs.filter_log_events = lambda **kw: original(**kw, limit=1)  # one event per page
    reading = read_regions(clients, ["eu-west-1"], GROUP, millis(NOW - timedelta(hours=1)), None)
    assert [line.message for line in reading.lines] == ["line 0", "line 1", "line 2"]


def line(timestamp: int, event_id: str, region: str = "eu-west-1") -> LogLine:
    return LogLine(timestamp, region, "i-0aaa/runner.log", event_id, f"event {event_id}")


def test_following_hands_out_each_event_once_and_looks_back_for_late_arrivals() -> None:
    follower = Follower(start=0)
    minute = 60_000
    assert follower.fresh([line(10 * minute, "a"), line(11 * minute, "b")]) == [
        line(10 * minute, "a"),
        line(11 * minute, "b"),
    ]
    assert follower.start == 9 * minute  # two minutes before the newest event
    late = line(10 * minute, "c")  # arrived after b, stamped before it
    assert follower.fresh([line(10 * minute, "a"), late, line(11 * minute, "b")]) == [late]
    assert follower.fresh([line(11 * minute, "b"), line(11 * minute, "b", "us-east-1")]) == [
        line(11 * minute, "b", "us-east-1")  # event ids are per log group: the region is part of the key
    ]


@pytest.mark.parametrize(
    ("text", "ago"),
    [
        ("1h", timedelta(hours=1)),
        ("30m", timedelta(minutes=30)),
        ("2 days", timedelta(days=2)),
        ("45s", timedelta(seconds=45)),
    ],
)
def test_since_takes_short_and_long_durations(text: str, ago: timedelta) -> None:
    assert parse_since(text, NOW) == NOW - ago


def test_since_takes_an_rfc_3339_time_and_names_itself_when_bad() -> None:
    assert parse_since("2026-12-01T09:00:00Z", NOW) == datetime(2026, 12, 1, 9, tzinfo=UTC)
    with pytest.raises(CliError, match=r"^--since 'yesterday': not a duration 'yesterday'"):
        parse_since("yesterday", NOW)


@pytest.mark.parametrize(
    ("text", "words"), [("99999999 days", "before any log"), ("9999999999 days", "too long"), ("99999999d", "before")]
)
def test_since_too_far_back_is_one_error_not_an_overflow(text: str, words: str) -> None:
    with pytest.raises(CliError, match=f"^--since '{text}': .*{words}"):
        parse_since(text, NOW)


def test_grep_text_is_quoted_as_an_exact_phrase_when_cloudwatch_can_quote_it() -> None:
    assert filter_pattern("exit code 2") == '"exit code 2"'
    assert filter_pattern('say "hi"') is None  # matched client-side only
    assert filter_pattern(None) is None
