"""The run lease: a conditional write with an expiry, so two runs never mutate at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

LEASE_KEY = "lease"


class Lease:
    """`pk = "lease"` in the config table: owner (execution name) and expiry (epoch seconds)."""

    def __init__(self, dynamodb: Any, table: str, duration: timedelta) -> None:
        self._db = dynamodb
        self._table = table
        self._duration = duration

    def acquire(self, owner: str, now: datetime) -> bool:
        """Take the lease when free, expired, or already ours; False when another run holds it."""
        expires = int((now + self._duration).timestamp())
        try:
            self._db.put_item(
                TableName=self._table,
                Item={
                    "pk": {"S": LEASE_KEY},
                    "owner": {"S": owner},
                    "expires_at": {"N": str(expires)},
                    "acquired_at": {"S": now.isoformat()},
                },
                ConditionExpression="attribute_not_exists(pk) OR expires_at < :now OR #owner = :me",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":now": {"N": str(int(now.timestamp()))}, ":me": {"S": owner}},
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def release(self, owner: str) -> bool:
        """Give the lease back if we still hold it; False when it had expired and someone else took it."""
        try:
            self._db.delete_item(
                TableName=self._table,
                Key={"pk": {"S": LEASE_KEY}},
                ConditionExpression="#owner = :me",
                ExpressionAttributeNames={"#owner": "owner"},
                ExpressionAttributeValues={":me": {"S": owner}},
            )
        except self._db.exceptions.ConditionalCheckFailedException:
            return False
        return True

    def holder(self) -> dict[str, Any] | None:
        """The current lease item (owner, expires_at), or None."""
        found = self._db.get_item(TableName=self._table, Key={"pk": {"S": LEASE_KEY}}, ConsistentRead=True)
        item = found.get("Item")
        if not item:
            return None
        return {"owner": item["owner"]["S"], "expires_at": int(item["expires_at"]["N"])}
