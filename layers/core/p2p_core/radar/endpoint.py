"""The radar endpoint's logic: check the token, parse the report, store it if new, count it; answer as upstream.

200 with JSON holding a `radar` object; 401 `{"Auth": "Failed"}` on a missing or wrong `auth`; 400 naming the bad
field. The Lambda handler (functions/radar/app.py) and `p2pctl local`'s radar server call `Radar.answer`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from p2p_core.aws.clients import ClientFactory
from p2p_core.models.deployment import Deployment
from p2p_core.radar.records import REFRESH, RecordTable, WriteMemory, record_report
from p2p_core.radar.report import RadarError, parse_query, parse_report
from p2p_core.radar.token import RadarToken, TokenStore

TOKEN_CACHE = timedelta(minutes=1)  # a rotation reaches a warm environment within a minute
# a token this environment does not know makes it read the parameter again (a new rotation), at most this often:
# a stranger's wrong tokens cost one SSM read per interval, not one each
RECHECK_UNKNOWN = timedelta(seconds=5)
METRICS_EVERY = timedelta(minutes=1)  # reports are counted in memory and emitted at most once a minute
AUTH_FAILED = {"Auth": "Failed"}
OTHER_HOSTS = "other"  # the metrics' Region of reports from other clouds and hosts that did not name an instance


@dataclass(frozen=True)
class RadarAnswer:
    """The HTTP answer: status and JSON body."""

    status: int
    body: dict[str, Any]


@dataclass
class ReportTally:
    """Reports counted per region since the last emission (one EMF line a minute, not one per report)."""

    since: datetime | None = None
    counts: Counter[str] = field(default_factory=Counter)

    def add(self, region: str, now: datetime) -> None:
        """Count one report from `region`."""
        self.since = self.since or now
        self.counts[region] += 1

    def take_due(self, now: datetime, every: timedelta = METRICS_EVERY) -> dict[str, int]:
        """The counts to emit now (and forget), or {} until `every` has passed since the first one counted."""
        if self.since is None or now - self.since < every:
            return {}
        due, self.counts, self.since = dict(self.counts), Counter(), None
        return due


@dataclass
class Radar:
    """One function environment's radar: the token (re-read every `TOKEN_CACHE`), the table, what it remembers."""

    load_token: Callable[[], RadarToken]
    table: RecordTable
    memory: WriteMemory = field(default_factory=WriteMemory)
    tally: ReportTally = field(default_factory=ReportTally)
    refresh: timedelta = REFRESH
    _token: RadarToken | None = None
    _token_read: datetime | None = None

    def token(self, now: datetime, older_than: timedelta = TOKEN_CACHE) -> RadarToken:
        """The token in force, read again when the copy in memory is `older_than` or more."""
        if self._token is None or self._token_read is None or now - self._token_read >= older_than:
            self._token, self._token_read = self.load_token(), now
        return self._token

    def accepts(self, given: list[str], now: datetime) -> bool:
        """True for exactly one `auth` that is the token in force (re-read once for one not known here)."""
        if len(given) != 1:
            return False
        return self.token(now).accepts(given[0], now) or self.token(now, RECHECK_UNKNOWN).accepts(given[0], now)

    def answer(self, raw_query: str, source_ip: str, now: datetime) -> RadarAnswer:
        """Answer one report sent as `GET <url>?<raw_query>` from `source_ip`."""
        query = parse_query(raw_query)
        if not self.accepts(query.get("auth", [""]), now):
            return RadarAnswer(401, AUTH_FAILED)
        try:
            report = parse_report(query, source_ip)
        except RadarError as exc:
            return RadarAnswer(400, {"error": str(exc), "field": exc.field})
        written = record_report(report, now, self.table, self.memory, self.refresh)
        self.tally.add(report.region if report.managed else OTHER_HOSTS, now)
        shown = report.model_dump(mode="json", exclude={"source_ip"}, exclude_none=True)
        return RadarAnswer(200, {"radar": {**shown, "agent": report.agent, "seen": now.isoformat(), "stored": written}})


_radars: dict[tuple[str | None, str | None], Radar] = {}


def radar_for(deployment: Deployment, clients: ClientFactory) -> Radar:
    """The function environment's radar, made on its first report (the token made then if there is none)."""
    key = (deployment.endpoint_url, deployment.function_name)
    if key not in _radars:
        if not deployment.radar_table:
            raise ValueError("P2P_RADAR_TABLE is not set: the radar has no table to write to")
        home = deployment.home_region
        store = TokenStore(clients.client("ssm", home), deployment.stack_name)
        table = RecordTable(clients.client("dynamodb", home), deployment.radar_table)
        _radars[key] = Radar(load_token=store.ensure, table=table)
    return _radars[key]
