"""The config item in DynamoDB: read it, and write it only when valid and at the expected version."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime
from decimal import Decimal
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer

from p2p_core.config.model import CONFIG_KEY, ConfigItem, parse_config
from p2p_core.config.rfc3339 import format_time

_SERIALIZER = TypeSerializer()
_DESERIALIZER = TypeDeserializer()


class ConfigConflict(RuntimeError):
    """Someone else wrote the item since it was read; nothing was written."""

    @classmethod
    def since(cls, expected_version: int) -> ConfigConflict:
        """The conflict of a write that expected `expected_version`."""
        return cls(
            f"config changed since version {expected_version} was read (someone else wrote it); "
            "re-read with 'p2pctl config show' and apply your change again"
        )


def from_dynamodb(image: Mapping[str, Any]) -> dict[str, Any]:
    """A low-level DynamoDB item (`{"n": {"N": "3"}}`) as plain Python, numbers as int/float."""
    return {k: plain(_DESERIALIZER.deserialize(v)) for k, v in image.items()}


def to_dynamodb(item: Mapping[str, Any]) -> dict[str, Any]:
    """Plain Python as a low-level DynamoDB item."""
    return {k: _SERIALIZER.serialize(_numbers_as_decimal(v)) for k, v in item.items()}


def plain(value: Any) -> Any:
    """Decimal -> int/float, recursively (DynamoDB gives Decimals; the model wants numbers)."""
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, (list, set, tuple)):
        return [plain(v) for v in value]
    return value


def _numbers_as_decimal(value: Any) -> Any:
    if isinstance(value, float):
        return Decimal(str(value))
    if isinstance(value, dict):
        return {k: _numbers_as_decimal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_numbers_as_decimal(v) for v in value]
    return value


class ConfigStore:
    """Reads and writes `pk = "config"` in the config table through a low-level DynamoDB client."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table

    def load_raw(self) -> dict[str, Any] | None:
        """The item's fields (without `pk`), or None when there is no item yet."""
        found = self._db.get_item(TableName=self._table, Key={"pk": {"S": CONFIG_KEY}}, ConsistentRead=True)
        if "Item" not in found:
            return None
        return {k: v for k, v in from_dynamodb(found["Item"]).items() if k != "pk"}

    def load(self) -> ConfigItem:
        """The validated config; an absent item is the all-defaults config `{}`."""
        return parse_config(self.load_raw() or {})

    def save(self, config: ConfigItem, *, expected_version: int, updated_by: str, now: datetime) -> ConfigItem:
        """Write `config` as version expected_version + 1; ConfigConflict if the stored version moved."""
        written = config.model_copy(
            update={"version": expected_version + 1, "updated_at": now, "updated_by": updated_by}
        )
        item = {"pk": CONFIG_KEY, **written.to_item()}
        with self._conflict_if_moved(expected_version):
            self._db.put_item(
                TableName=self._table,
                Item=to_dynamodb(item),
                ConditionExpression=_version_is(expected_version),
                ExpressionAttributeValues={":v": {"N": str(expected_version)}},
            )
        return written

    def select_no_regions(self, *, expected_version: int, updated_by: str, now: datetime) -> None:
        """Write `regions: []` and nothing else, whatever the other fields hold (teardown's emergency exit).

        The rest of the item is left as it is, valid or not: a bad field written by another client must
        not keep the fleet running. Conditional on the version like every write.
        """
        values = {":r": [], ":n": expected_version + 1, ":t": format_time(now), ":b": updated_by}
        with self._conflict_if_moved(expected_version):
            self._db.update_item(
                TableName=self._table,
                Key={"pk": {"S": CONFIG_KEY}},
                UpdateExpression="SET regions = :r, version = :n, updated_at = :t, updated_by = :b",
                ConditionExpression=_version_is(expected_version),
                ExpressionAttributeValues=to_dynamodb({**values, ":v": expected_version}),
            )

    @contextmanager
    def _conflict_if_moved(self, expected_version: int) -> Iterator[None]:
        try:
            yield
        except self._db.exceptions.ConditionalCheckFailedException:
            raise ConfigConflict.since(expected_version) from None


def _version_is(expected_version: int) -> str:
    # version 0 is "never written": the item may be absent, or written by hand without a version
    if expected_version:
        return "version = :v"
    return "attribute_not_exists(pk) OR attribute_not_exists(version) OR version = :v"
