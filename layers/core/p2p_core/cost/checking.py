"""How scheduled checks read the regions and what else starts runs: the parameters of the control plane's model.

Pure: no AWS calls. The replay (usage.py) measures a check that verifies every managed resource of every region
(`reads_per_region` reads each) over plain HTTP; on AWS each check also opens HTTPS connections, one per regional
service it reads (AWS closes an idle keep-alive connection long before the next check, so none is kept), each
costing the client CPU `benchmarks/tls.py` measured with one TLS context per process.

Today's behaviour is the default (`TODAY`): tiered verification (`p2p_core.verification`) — a check reads each
region's group and security groups (2 calls, 2 services) and verifies every managed resource every
`verify_interval` (6 hours unless the config says otherwise: `for_config`); drift events start runs of the regions
they name (`drift`: the assumptions of drift_events.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from p2p_core.config.model import DEFAULT_VERIFY_INTERVAL, ConfigItem
from p2p_core.config.schedule_expression import Cron, normalize_schedule, schedule_period
from p2p_core.config.validation import show_value
from p2p_core.cost.drift_events import DriftEvents
from p2p_core.cost.fleet import HOURS_PER_MONTH, CostError
from p2p_core.cost.usage import LambdaProfile, PerRegion, read_measured

_MEASURED = read_measured()
EVENTS_PER_DRIFT_RUN = 1  # Run Finished (notifications.py), and Drift Repaired per region: `events_of_run`


@dataclass(frozen=True)
class Https:
    """Client CPU of HTTPS with one TLS context per process (benchmarks/tls.py), in seconds."""

    new_connection: float = float(_MEASURED["https"]["cpu_seconds_per_new_connection"])
    # a call on a kept connection: reported, not added; the replay's calls already carry botocore's own CPU
    call: float = float(_MEASURED["https"]["cpu_seconds_per_call"])
    home_connections: int = 1  # the config table's, in the home region


@dataclass(frozen=True)
class Checking:
    """How a check reads each region and what starts runs besides the schedule."""

    full_reads_per_region: int = int(_MEASURED["check"]["reads_per_region"])  # every managed resource verified
    services_per_region: int = int(_MEASURED["check"]["services_per_region"])  # a new HTTPS connection each
    quiet_reads_per_region: int | None = None  # a check between full verifications; None: every check is full
    quiet_services_per_region: int = 2  # what a quiet check reads: autoscaling and ec2 (reconciler/quiet.py)
    verify_every_seconds: float | None = None  # a full verification at least this often; None: every check
    drift: DriftEvents | None = None  # drift events from the regions (None: the design before them)
    https: Https = field(default_factory=Https)

    def __post_init__(self) -> None:
        quiet = self.quiet_reads_per_region
        if quiet is not None and not 0 <= quiet <= self.full_reads_per_region:
            raise CostError(
                "quiet_reads_per_region",
                quiet,
                f"must be between 0 and the full verification's {self.full_reads_per_region}, got {show_value(quiet)}",
            )
        if self.verify_every_seconds is not None and self.verify_every_seconds <= 0:
            raise CostError("verify_every_seconds", self.verify_every_seconds, "must be more than 0")

    def full_share(self, check_seconds: float) -> float:
        """Share of checks `check_seconds` apart that verify every managed resource."""
        if self.quiet_reads_per_region is None or self.verify_every_seconds is None:
            return 1.0
        return min(1.0, check_seconds / self.verify_every_seconds)

    def reads_per_region(self, check_seconds: float) -> float:
        """Regional read calls of an average check, per region."""
        share = self.full_share(check_seconds)
        quiet = self.full_reads_per_region if self.quiet_reads_per_region is None else self.quiet_reads_per_region
        return share * self.full_reads_per_region + (1 - share) * quiet

    def services(self, check_seconds: float | None = None) -> float:
        """Regional services an average check reads per region (a new HTTPS connection each)."""
        share = 1.0 if check_seconds is None else self.full_share(check_seconds)
        return share * self.services_per_region + (1 - share) * self.quiet_services_per_region

    def connections(self, regions: int, check_seconds: float | None = None) -> float:
        """New HTTPS connections of an average check: one per regional service read, and the home table's."""
        return regions * self.services(check_seconds) + self.https.home_connections

    def check_profile(self, measured: LambdaProfile, check_seconds: float) -> LambdaProfile:
        """The check's Lambda as billed on AWS: its per-region CPU and waits scaled to the reads it makes (the
        replay made `full_reads_per_region`), plus the CPU of its new HTTPS connections."""
        scale = self.reads_per_region(check_seconds) / self.full_reads_per_region
        tls = self.https.new_connection

        def cpu(line: PerRegion) -> PerRegion:
            return PerRegion(
                line.base + self.https.home_connections * tls,
                line.per_region * scale + self.services(check_seconds) * tls,
            )

        wait = PerRegion(measured.wait.base, measured.wait.per_region * scale)
        return replace(measured, cold_cpu=cpu(measured.cold_cpu), warm_cpu=cpu(measured.warm_cpu), wait=wait)


QUIET_READS_PER_REGION = 2  # the group and the security groups (reconciler/quiet.py; test_tiered_verification.py)
EVERY_CHECK = Checking()  # the design before tiers: every check verifies every managed resource
TODAY = Checking(
    quiet_reads_per_region=QUIET_READS_PER_REGION,
    verify_every_seconds=DEFAULT_VERIFY_INTERVAL.total_seconds(),
    drift=DriftEvents(),
)  # what the control plane does today, with the default verify_interval and drift events


def for_config(config: ConfigItem) -> Checking:
    """How the control plane checks the regions of `config` (its `verify_interval`)."""
    return replace(TODAY, verify_every_seconds=config.verify_interval.total_seconds())


def runs_per_month(schedule_expression: str) -> float:
    """How many runs a schedule gives in a 730-hour month (a cron's weekday/month fields counted over a year)."""
    try:
        expression = normalize_schedule(schedule_expression)
        period = schedule_period(expression)
        if period is not None:
            return HOURS_PER_MONTH * 3600 / period.total_seconds()
        cron = replace(Cron.parse(expression), years=frozenset(range(1970, 2200)))  # any year: a typical month
    except ValueError as exc:
        raise CostError("schedule_expression", schedule_expression, str(exc)) from exc
    first = datetime(2027, 1, 1, tzinfo=UTC)
    share = sum(cron.matches_day(first + timedelta(days=d)) for d in range(365)) / 365
    return len(cron.minutes) * len(cron.hours) * share * HOURS_PER_MONTH / 24


def events_of_run(drifted_regions: float) -> float:
    """Events a run that repaired `drifted_regions` regions publishes on the home bus (notifications.py)."""
    return EVENTS_PER_DRIFT_RUN + drifted_regions
