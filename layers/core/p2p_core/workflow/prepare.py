"""Plan's clients, made while Lambda initializes the function (INIT), before its first invocation.

A Plan over 34 regions makes about a hundred boto3 clients (an EC2 client builds one method per API
operation). Inside an invocation that CPU is throttled to the function's share of a vCPU (29 % at 512 MB)
and billed at that pace; INIT runs with unthrottled CPU and is billed at the function's memory like an
invocation, so the same clients cost about a third there, and the first check runs sooner. Best effort
and bounded: whatever INIT did not make, the invocation makes when it needs it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from botocore.exceptions import BotoCoreError, ClientError

from p2p_core.aws.clients import ClientFactory
from p2p_core.config.validation import ConfigError
from p2p_core.models.deployment import Deployment
from p2p_core.storage.config import ConfigStore

OBSERVED_SERVICES = ("ec2", "autoscaling", "logs")  # what observing a region reads (reconciler/context.py)
INIT_BUDGET_SECONDS = 3.0  # Lambda allows INIT 10 s; importing the handler takes about 1 s of it

log = logging.getLogger(__name__)


def prepare_clients(
    deployment: Deployment,
    clients: ClientFactory,
    budget_seconds: float = INIT_BUDGET_SECONDS,
    clock: Callable[[], float] = time.monotonic,
) -> list[str]:
    """Make the observing clients of every region the config item selects, until `budget_seconds` have passed;
    return the regions prepared. An unreadable or invalid item prepares nothing: Plan reports it."""
    began = clock()
    try:
        db = clients.client("dynamodb", deployment.home_region)
        regions = ConfigStore(db, deployment.config_table).load().selected_regions()
    except (BotoCoreError, ClientError, ConfigError) as exc:
        log.warning("no clients prepared: %s", exc)
        return []
    prepared = []
    for region in regions:
        if clock() - began >= budget_seconds:
            break
        for service in OBSERVED_SERVICES:
            clients.client(service, region)
        prepared.append(region)
    return prepared
