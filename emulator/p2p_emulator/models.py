"""One botocore data loader per process for the emulator, the handlers it runs and the tests.

Every `ClientFactory` makes its own `boto3.Session`, and each session its own loader, which parses
the service models (megabytes of JSON) again for its first client of each service. In AWS each
Lambda process pays that once; in the emulator every function's factory in every emulated account
did. Installed by the emulator only: production code keeps botocore's own behaviour.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from botocore import loaders, session

_original_create_loader = loaders.create_loader
_lock = threading.Lock()


class _Paths(list[str]):
    """The shared loader's search paths: each `boto3.Session` appends boto3's data folder; keep it once."""

    def append(self, path: str) -> None:
        if path not in self:
            super().append(path)


@functools.cache
def _shared_loader(search_path_string: str | None) -> Any:
    loader = _original_create_loader(search_path_string)
    vars(loader)["_search_paths"] = _Paths(loader.search_paths)  # botocore exposes no setter
    return loader


def _create_loader(search_path_string: str | None = None) -> Any:
    with _lock:
        return _shared_loader(search_path_string)


def share_loader() -> None:
    """Make every botocore session created from now on use one loader per data path (idempotent)."""
    session.create_loader = _create_loader
