"""Plan records each selected region's on-demand vCPU headroom: `status` and `run --wait` warn before AWS refuses.

AWS accepts a group's capacity and only then refuses launches beyond the account's vCPU quota (the
region ends `degraded`). Plan keeps, in the `status#quota` item, the fleet's peak need and the quota per
selected region. The quota is read at most once an hour per region (and again when
`instance.type` changes); capacity edits only redo the arithmetic, so a no-op run costs no reads.
A quota AWS will not tell (denied, throttled) is recorded with its error, never fails the run.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from p2p_core.aws.clients import ClientFactory
from p2p_core.config import ConfigItem
from p2p_core.quota import QuotaHeadroom, counts_as_standard, peak_instances, vcpu_quota, vcpus_per_instance
from p2p_core.reconciler.errors import AWS_ERRORS
from p2p_core.storage.config import to_dynamodb
from p2p_core.storage.status import QUOTA_KEY, Status

REFRESH = timedelta(hours=1)
_THREADS = 34


def record_quota_headroom(
    clients: ClientFactory, db: Any, table: str, config: ConfigItem, status: Status, regions: list[str], now: datetime
) -> dict[str, QuotaHeadroom]:
    """The headroom of the `regions` that run instances, stored in the status item when it changed."""
    kind = config.instance.type
    peaks = {r: peak_instances(config, r) for r in regions}
    wanted = sorted(r for r, count in peaks.items() if count > 0) if counts_as_standard(kind) else []
    known = status.quota_headroom
    due = [r for r in wanted if _stale(known.get(r), kind, now)]
    fresh = {r: known[r].model_copy(update={"instances": peaks[r]}) for r in wanted if r not in due}
    if due:
        vcpus, why = _vcpus(clients, known, kind, due[0])
        with ThreadPoolExecutor(max_workers=min(_THREADS, len(due))) as pool:
            quotas = dict(zip(due, pool.map(lambda region: _quota(clients, region), due), strict=True))
        for region, (quota, error) in quotas.items():
            fresh[region] = QuotaHeadroom(
                instance_type=kind,
                instances=peaks[region],
                vcpus_each=vcpus,
                quota_vcpus=quota,
                checked_at=now,
                error=why or error,
            )
    if fresh != known:
        _store(db, table, fresh)
    return fresh


def _stale(seen: QuotaHeadroom | None, kind: str, now: datetime) -> bool:
    return seen is None or seen.instance_type != kind or now - seen.checked_at >= REFRESH


def _vcpus(clients: ClientFactory, known: dict[str, QuotaHeadroom], kind: str, region: str) -> tuple[int, str | None]:
    """vCPUs per instance of `kind`: from an earlier record, else one DescribeInstanceTypes."""
    for seen in known.values():
        if seen.instance_type == kind and seen.vcpus_each:
            return seen.vcpus_each, None
    try:
        return vcpus_per_instance(clients.client("ec2", region), [kind]).get(kind, 0), None
    except AWS_ERRORS as exc:
        return 0, _why(exc)


def _quota(clients: ClientFactory, region: str) -> tuple[float | None, str | None]:
    try:
        return vcpu_quota(clients.client("service-quotas", region)), None
    except AWS_ERRORS as exc:
        return None, _why(exc)


def _why(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code')}: {error.get('Message')}"
    return str(exc)


def _store(db: Any, table: str, headroom: dict[str, QuotaHeadroom]) -> None:
    value = {region: seen.model_dump(mode="json", exclude_none=True) for region, seen in headroom.items()}
    db.update_item(
        TableName=table,
        Key={"pk": {"S": QUOTA_KEY}},  # its own item: the status item is billed by size at each write
        UpdateExpression="SET quota_headroom = :q",
        ExpressionAttributeValues=to_dynamodb({":q": value}),
    )
