"""The radar's logic read like the issue: upstream's request parsed unchanged, the token, what is written when."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from moto import mock_aws

from p2p_core.bootstrap.agent_radar import radar_query
from p2p_core.radar.endpoint import AUTH_FAILED, OTHER_HOSTS, RECHECK_UNKNOWN, Radar, ReportTally
from p2p_core.radar.records import REFRESH, AgentRecord, LastWritten, RecordTable, WriteMemory, needs_write
from p2p_core.radar.report import RadarError, RadarReport, parse_query, parse_report
from p2p_core.radar.token import RadarToken, TokenStore, radar_token_parameter

NOW = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
UPSTREAM = "cloud=aws&region=eu-central-1&autoscaler=true&capacity=3&services=bitcoin%20ipfs&duration=600&uptime=99"


def parsed(query: str, ip: str = "203.0.113.7") -> RadarReport:
    return parse_report(parse_query(query), ip)


# ------------------------------------------------------------------ the request


def test_upstreams_request_is_read_unchanged_with_services_split_and_the_host_as_identity() -> None:
    report = parsed(UPSTREAM)
    assert (report.cloud, report.region, report.autoscaler, report.capacity) == ("aws", "eu-central-1", True, "3")
    assert report.services == ("bitcoin", "ipfs") and (report.duration, report.uptime) == (600, 99)
    assert report.agent == "host:203.0.113.7" and not report.managed


def test_our_runners_fields_name_the_instance() -> None:
    report = parsed(UPSTREAM + "&instance=i-0123456789abcdef0&config_version=7&agent_version=abc123")
    assert report.agent == "i-0123456789abcdef0" and report.managed
    assert (report.config_version, report.agent_version) == (7, "abc123")


def test_the_query_our_runner_sends_is_read_back_as_what_it_saw() -> None:
    headers = {"cc-a-desired-capacity": "3", "cc-a-start": "2027-03-01T11:50:00Z"}
    identity = {"region": "eu-central-1", "instance": "i-0123456789abcdef0"}
    query = radar_query(headers, identity, "ipfs bitcoin ipfs", now=NOW.timestamp())
    report = parsed(query + "&auth=t")
    assert (report.cloud, report.region, report.autoscaler, report.capacity) == ("aws", "eu-central-1", True, "3")
    assert (report.services, report.duration, report.instance) == (("bitcoin", "ipfs"), 600, "i-0123456789abcdef0")
    assert report.agent_version is not None and len(report.agent_version) == 12


@pytest.mark.parametrize(
    ("query", "field", "words"),
    [
        (UPSTREAM.replace("&uptime=99", ""), "uptime", "is required"),
        (UPSTREAM.replace("uptime=99", "uptime=soon"), "uptime", "'soon'"),
        (UPSTREAM.replace("autoscaler=true", "autoscaler=maybe"), "autoscaler", "true or false"),
        (UPSTREAM + "&colour=blue", "colour", "not a radar field"),
        (UPSTREAM + "&uptime=5", "uptime", "once"),
        (UPSTREAM + "&instance=my-box", "instance", "EC2 instance id"),
        (UPSTREAM.replace("region=eu-central-1", "region=eu%0Acentral"), "region", "letters, digits"),
        (UPSTREAM.replace("capacity=3", "capacity=" + "9" * 300), "capacity", "at most 256"),
        (UPSTREAM.replace("capacity=3", "capacity=3%0D"), "capacity", "control characters"),
    ],
)
def test_a_bad_report_names_the_field_and_the_value(query: str, field: str, words: str) -> None:
    with pytest.raises(RadarError) as raised:
        parsed(query)
    assert raised.value.field == field and words in str(raised.value)


def test_the_fingerprint_ignores_the_clocks_and_sees_everything_else() -> None:
    base = parsed(UPSTREAM)
    assert parsed(UPSTREAM.replace("uptime=99", "uptime=1000")).fingerprint() == base.fingerprint()
    assert parsed(UPSTREAM.replace("bitcoin%20", "")).fingerprint() != base.fingerprint()


# ------------------------------------------------------------------ the token


def test_the_previous_token_works_until_it_expires_and_the_current_one_always() -> None:
    token = RadarToken(current="old").rotated("new", NOW, timedelta(minutes=15))
    assert token.accepts("new", NOW) and token.accepts("old", NOW + timedelta(minutes=14))
    assert not token.accepts("old", NOW + timedelta(minutes=15)) and not token.accepts("other", NOW)
    assert RadarToken.from_json(token.to_json()) == token
    assert RadarToken.from_json("  typed-by-hand\n") == RadarToken(current="typed-by-hand")


@mock_aws
def test_the_token_is_made_once_tagged_with_the_stack_and_rotation_keeps_the_old_one() -> None:
    ssm = boto3.client("ssm", region_name="eu-central-1")
    store = TokenStore(ssm, "p2p-x")
    first = store.ensure()
    assert store.ensure() == first and len(first.current) >= 32
    tags = ssm.list_tags_for_resource(ResourceType="Parameter", ResourceId=radar_token_parameter("p2p-x"))
    assert tags["TagList"] == [{"Key": "p2p:stack", "Value": "p2p-x"}]
    rotated = store.rotate(NOW)
    assert rotated.previous == first.current and store.load() == rotated


# ------------------------------------------------------------------ what is written when


class CountingTable(RecordTable):
    """The table's interface over a dict, counting the calls (each priced in p2p_core/cost/radar.py)."""

    def __init__(self) -> None:
        self.items: dict[str, AgentRecord] = {}
        self.gets = self.puts = 0

    def get(self, agent: str) -> AgentRecord | None:
        self.gets += 1
        return self.items.get(agent)

    def put(self, record: AgentRecord) -> None:
        self.puts += 1
        self.items[record.report.agent] = record


def radar(table: RecordTable, token: str = "t") -> Radar:
    return Radar(load_token=lambda: RadarToken(current=token), table=table)


def test_a_new_agent_is_written_and_its_unchanged_reports_are_not_until_the_refresh() -> None:
    table, one = CountingTable(), radar(CountingTable())
    one.table = table
    for minutes in range(0, 60, 15):  # four reports within the hour: one write
        assert one.answer(UPSTREAM + "&auth=t", "198.51.100.1", NOW + timedelta(minutes=minutes)).status == 200
    assert (table.gets, table.puts) == (1, 1)
    one.answer(UPSTREAM + "&auth=t", "198.51.100.1", NOW + REFRESH)
    assert table.puts == 2


def test_a_changed_report_is_written_at_once() -> None:
    table = CountingTable()
    one = radar(table)
    one.answer(UPSTREAM + "&auth=t", "198.51.100.1", NOW)
    answer = one.answer(UPSTREAM.replace("capacity=3", "capacity=4") + "&auth=t", "198.51.100.1", NOW)
    assert answer.body["radar"]["stored"] and table.puts == 2


def test_an_environment_that_does_not_know_the_agent_reads_its_record_instead_of_writing() -> None:
    table = CountingTable()
    radar(table).answer(UPSTREAM + "&auth=t", "198.51.100.1", NOW)
    second = radar(table)  # another environment, cold
    assert not second.answer(UPSTREAM + "&auth=t", "198.51.100.1", NOW + timedelta(minutes=15)).body["radar"]["stored"]
    assert (table.gets, table.puts) == (2, 1)


def test_needs_write_for_new_changed_or_stale_only() -> None:
    report = parsed(UPSTREAM)
    fresh = LastWritten(report.fingerprint(), NOW)
    assert needs_write(None, report, NOW)
    assert not needs_write(fresh, report, NOW + REFRESH - timedelta(seconds=1))
    assert needs_write(fresh, report, NOW + REFRESH)
    assert needs_write(LastWritten("other", NOW), report, NOW)


def test_memory_forgets_the_oldest_agent_first() -> None:
    memory = WriteMemory(size=2)
    for agent in ("a", "b", "c"):
        memory.remember(agent, LastWritten("f", NOW))
    assert memory.get("a") is None and memory.get("c") is not None


def test_wrong_or_missing_auth_is_401_auth_failed_and_nothing_is_stored() -> None:
    table = CountingTable()
    one = radar(table)
    assert one.answer(UPSTREAM + "&auth=wrong", "198.51.100.1", NOW).body == AUTH_FAILED
    assert one.answer(UPSTREAM, "198.51.100.1", NOW).status == 401
    assert one.answer(UPSTREAM + "&auth=t&auth=t", "198.51.100.1", NOW).status == 401
    assert table.gets == table.puts == 0


def test_a_token_rotated_elsewhere_is_read_again_but_a_strangers_guesses_cost_one_read_per_interval() -> None:
    tokens, reads = ["old"], []

    def load() -> RadarToken:
        reads.append(tokens[0])
        return RadarToken(current=tokens[0])

    one = Radar(load_token=load, table=CountingTable())
    assert one.answer(UPSTREAM + "&auth=old", "198.51.100.1", NOW).status == 200
    tokens[0] = "new"  # `p2pctl radar rotate`
    later = NOW + RECHECK_UNKNOWN
    assert one.answer(UPSTREAM + "&auth=new", "198.51.100.1", later).status == 200
    for _ in range(10):
        one.answer(UPSTREAM + "&auth=guess", "198.51.100.9", later)
    assert reads == ["old", "new"]


def test_reports_are_counted_per_region_and_emitted_once_a_minute() -> None:
    one = radar(CountingTable())
    one.answer(UPSTREAM + "&instance=i-0123456789abcdef0&auth=t", "198.51.100.1", NOW)
    one.answer(UPSTREAM.replace("cloud=aws", "cloud=gcp") + "&auth=t", "198.51.100.2", NOW)
    assert one.tally.take_due(NOW + timedelta(seconds=59)) == {}
    assert one.tally.take_due(NOW + timedelta(minutes=1)) == {"eu-central-1": 1, OTHER_HOSTS: 1}
    assert one.tally.take_due(NOW + timedelta(minutes=5)) == {}
    assert ReportTally().take_due(NOW) == {}


@mock_aws
def test_records_round_trip_through_dynamodb_and_expire() -> None:
    db: Any = boto3.client("dynamodb", region_name="eu-central-1")
    db.create_table(
        TableName="radar",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    table = RecordTable(db, "radar")
    record = AgentRecord(parsed(UPSTREAM + "&instance=i-0123456789abcdef0&config_version=3"), datetime.now(UTC))
    table.put(record)
    assert table.get("i-0123456789abcdef0") == record and table.all(record.seen) == [record]
    assert table.all(record.seen + timedelta(days=3)) == []  # past its TTL, not yet deleted by DynamoDB
    item = db.get_item(TableName="radar", Key={"pk": {"S": "i-0123456789abcdef0"}})["Item"]
    assert len(str(item)) < 1024  # one write unit
    assert int(item["expires"]["N"]) > int(record.seen.timestamp())


def test_an_agent_due_for_its_refresh_is_written_once_whichever_environments_see_it() -> None:
    table = CountingTable()
    first, second = radar(table), radar(table)
    first.answer(UPSTREAM + "&auth=t", "198.51.100.1", NOW)
    second.answer(UPSTREAM + "&auth=t", "198.51.100.1", NOW + timedelta(minutes=15))  # reads, no write
    first.answer(UPSTREAM + "&auth=t", "198.51.100.1", NOW + REFRESH)  # due: reads, then writes
    second.answer(UPSTREAM + "&auth=t", "198.51.100.1", NOW + REFRESH + timedelta(minutes=15))  # reads the new one
    assert table.puts == 2
