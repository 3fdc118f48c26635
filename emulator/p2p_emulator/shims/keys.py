"""KMS key material: one generated private key per key spec for the process.

moto generates an RSA key pair for every KMS key, symmetric ones included, and EBS creates its default
key in each region of each account at the first encrypted volume: a fresh 2048-bit RSA key each time,
a tenth of a test's CPU. Nothing in the emulator reads key material, and sign/verify still pair up.
"""

from __future__ import annotations

import functools
from typing import Any

from moto.kms import models

_generate = models.generate_private_key  # type: ignore[attr-defined]


@functools.cache
def _generated_once(key_spec: str) -> Any:
    return _generate(key_spec)


def install() -> None:
    """Hand every new KMS key the process's key of its spec."""
    models.generate_private_key = _generated_once  # type: ignore[attr-defined]
