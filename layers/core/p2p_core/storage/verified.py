"""The regions' last full verifications (`pk = "status#verified"`), which tell a scheduled check where two
reads per region suffice (`p2p_core.verification`).

Its own small item: read at every check, written only when a region's verification changes (at most every
`verify_interval`, or after a drift), never at a quiet check. A damaged item reads as empty: every region is then
verified fully, which is always safe.
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

    def load(self) -> dict[str, Verification]:
        """Each region's last full verification; a region whose entry does not read is left out (and logged)."""
        found = self._db.get_item(TableName=self._table, Key={"pk": {"S": VERIFIED_KEY}}, ConsistentRead=True)
        regions = from_dynamodb(found.get("Item", {})).get("regions", {})
        if not isinstance(regions, dict):
            log.warning("status#verified: 'regions' is not a map; every region is verified fully")
            return {}
        loaded: dict[str, Verification] = {}
        for region, entry in regions.items():
            try:
                loaded[str(region)] = Verification.model_validate(entry)
            except ValidationError as exc:
                log.warning("status#verified: %s does not read (%s); it is verified fully", region, exc.errors()[0])
        return loaded

    def save(self, verifications: Mapping[str, Verification]) -> None:
        """Replace the item with `verifications` (the lease holder is the only writer)."""
        regions = {name: v.model_dump(mode="json") for name, v in sorted(verifications.items())}
        self._db.put_item(TableName=self._table, Item=to_dynamodb({"pk": VERIFIED_KEY, "regions": regions}))
