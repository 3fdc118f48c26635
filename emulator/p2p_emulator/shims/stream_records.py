"""DynamoDB Streams: a record appended wakes whoever waits for one (the Pipe's stand-in in `p2pctl local`).

EventBridge Pipes polls a shard several times a second. `p2pctl local` did the same over HTTP, and an idle
emulator spent ~7 % of a CPU on it (DescribeStream and GetRecords every 0.2 s, each through moto's server, the
IAM evaluator and botocore): with a few `p2pctl local` servers kept up through a test session, a tenth of its CPU.
The stand-in now reads the stream, through the same API calls, once moto has appended a record to a shard (and
at least every few seconds, in case a record came some other way); an edit starts its run sooner, not later.
"""

from __future__ import annotations

import threading
from typing import Any

from moto.dynamodb.models.table import StreamShard

_appended = threading.Condition()
_count = 0  # records appended to any shard of this process's emulated accounts
_original_add = StreamShard.add


def _add(self: StreamShard, old: Any, new: Any) -> None:
    global _count
    _original_add(self, old, new)
    with _appended:
        _count += 1
        _appended.notify_all()


def appended() -> int:
    """How many stream records were appended so far: what `wait_for_records` compares with."""
    return _count


def wait_for_records(seen: int, timeout: float, stop: threading.Event) -> int:
    """Block until a record is appended after `seen` (an earlier `appended()`), `stop` is set and `wake()` called,
    or `timeout` seconds pass; the count then."""
    with _appended:
        _appended.wait_for(lambda: _count != seen or stop.is_set(), timeout)
        return _count


def wake() -> None:
    """Wake the waiters (to see their stop event)."""
    with _appended:
        _appended.notify_all()


def install() -> None:
    """Count appended records (idempotent)."""
    StreamShard.add = _add  # type: ignore[method-assign]
