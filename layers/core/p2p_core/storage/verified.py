"""The regions' last full verifications (`pk = "status#verified"`), which tell a scheduled check where two
reads per region suffice (`p2p_core.verification`).

Its own small item: read at every check, written only when a region's verification changes (at most every
`verify_interval`, or after a drift), never at a quiet check. A damaged item reads as empty: every region is then
verified fully, which is always safe.

Drift events write it too (statemachine/scheduled_check.asl.json): each adds its region to `drift_regions` (a
string set) and opens the burst's window (`drift_window`, the execution that waits, then runs). A region named
there has no verification that counts: every run verifies it fully. A run's save removes the regions it loaded
(DynamoDB's DELETE from a set, so a region named since stays) and closes the window; Finalize starts a follow-up
run while regions are still named (an event that came while another run held the lease).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from p2p_core.storage.config import from_dynamodb, to_dynamodb
from p2p_core.verification import Verification

VERIFIED_KEY = "status#verified"
log = logging.getLogger(__name__)


class VerificationStore:
    """Reads and writes the regions' last full verifications in the config table."""

    def __init__(self, dynamodb: Any, table: str) -> None:
        self._db = dynamodb
        self._table = table
        self.drift_regions: list[str] = []  # named by drift events, as last loaded
        self.drift_window: str | None = None  # the open burst window's owner, as last loaded

    def load(self) -> dict[str, Verification]:
        """Each region's last full verification that counts: a region named by a drift event since, or whose
        entry does not read (logged), is left out."""
        item = self._read()
        self.drift_regions = sorted(str(r) for r in item.get("drift_regions") or ())
        window = item.get("drift_window")
        self.drift_window = str(window) if window else None
        regions = item.get("regions", {})
        if not isinstance(regions, dict):
            log.warning("status#verified: 'regions' is not a map; every region is verified fully")
            return {}
        loaded: dict[str, Verification] = {}
        for region, entry in regions.items():
            try:
                loaded[str(region)] = Verification.model_validate(entry)
            except ValidationError as exc:
                log.warning("status#verified: %s does not read (%s); it is verified fully", region, exc.errors()[0])
        return {r: v for r, v in loaded.items() if r not in self.drift_regions}

    def drift_pending(self) -> list[str]:
        """The regions drift events named that no run has verified since (Finalize's follow-up)."""
        return sorted(str(r) for r in self._read().get("drift_regions") or ())

    def _read(self) -> dict[str, Any]:
        found = self._db.get_item(TableName=self._table, Key={"pk": {"S": VERIFIED_KEY}}, ConsistentRead=True)
        return from_dynamodb(found.get("Item", {}))

    @property
    def drift_seen(self) -> bool:
        """The last load found regions named by drift events, or an open window: the next save settles them."""
        return bool(self.drift_regions or self.drift_window)

    def save(self, verifications: Mapping[str, Verification]) -> None:
        """Write `verifications` (the lease holder is their only writer); the drift events' regions loaded are
        settled and the window closed, while regions events named since the load stay named."""
        regions = {name: v.model_dump(mode="json") for name, v in sorted(verifications.items())}
        update, encoded = "SET #regions = :regions REMOVE drift_window", to_dynamodb({":regions": regions})
        if self.drift_regions:
            update += " DELETE drift_regions :settled"
            encoded[":settled"] = {"SS": list(self.drift_regions)}
        self._db.update_item(
            TableName=self._table,
            Key={"pk": {"S": VERIFIED_KEY}},
            UpdateExpression=update,
            ExpressionAttributeNames={"#regions": "regions"},
            ExpressionAttributeValues=encoded,
        )
        self.drift_regions, self.drift_window = [], None
