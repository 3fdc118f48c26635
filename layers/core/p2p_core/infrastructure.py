"""Which config settings a region's infrastructure is built from, and their hash."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from p2p_core.config import ConfigItem

# Bump when the reconciler builds resources differently from the same settings.
LAYOUT_VERSION = 1


def infrastructure_settings(config: ConfigItem) -> dict[str, Any]:
    """The parts of the config that shape VPC, SG, launch template and log group."""
    return {
        "layout": LAYOUT_VERSION,
        # how running instances follow a new version is no part of what a version holds
        "instance": config.instance.model_dump(mode="json", exclude={"refresh"}),
        "network": config.network.model_dump(mode="json"),
        "logs": config.logs.model_dump(mode="json"),
        "agent": config.agent.model_dump(mode="json"),
    }


def infrastructure_hash(config: ConfigItem) -> str:
    """Short stable hash stored as a tag on the managed resources."""
    text = json.dumps(infrastructure_settings(config), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]
