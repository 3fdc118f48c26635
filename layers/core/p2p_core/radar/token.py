"""The radar's token: one SSM SecureString in the home region, `/p2p/<stack>/radar-token`.

Its value is JSON: `{"current": …, "previous": …, "previous_until": <RFC 3339>}`. CloudFormation cannot create a
SecureString, so the token is made where it is first needed: by the radar function's first invocation, or by
`p2pctl radar` (`ensure_token`, whichever comes first; a race keeps the first one written). `rotate` keeps the
old token working until `previous_until` (one report interval), so agents that still hold it are not refused.
"""

from __future__ import annotations

import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from p2p_core import STACK_TAG
from p2p_core.models.deployment import Deployment

TOKEN_BYTES = 24  # 192 bits, 32 URL-safe characters: fits upstream's `<url> <auth>` line and a query string
ROTATION_GRACE = timedelta(minutes=15)  # the default report interval (agent.cron "*/15 * * * *")


def radar_token_parameter(stack_name: str) -> str:
    """The token's parameter name; template.yaml grants GetParameter on exactly this."""
    return Deployment(stack_name=stack_name).radar_token_parameter


def new_token() -> str:
    """A fresh random token."""
    return secrets.token_urlsafe(TOKEN_BYTES)


@dataclass(frozen=True)
class RadarToken:
    """The tokens the radar accepts now."""

    current: str
    previous: str | None = None
    previous_until: datetime | None = None

    def accepts(self, given: str, now: datetime) -> bool:
        """True for the current token, or the previous one before it expires (compared in constant time)."""
        ok = hmac.compare_digest(given.encode(), self.current.encode())
        if self.previous and self.previous_until and now < self.previous_until:
            ok = hmac.compare_digest(given.encode(), self.previous.encode()) or ok
        return ok

    def rotated(self, new: str, now: datetime, grace: timedelta = ROTATION_GRACE) -> RadarToken:
        """`new` as the current token; this one accepted for `grace` more."""
        return RadarToken(current=new, previous=self.current, previous_until=now + grace)

    def to_json(self) -> str:
        """The parameter's value."""
        until = self.previous_until.isoformat() if self.previous_until else None
        return json.dumps({"current": self.current, "previous": self.previous, "previous_until": until})

    @classmethod
    def from_json(cls, value: str) -> RadarToken:
        """Read a parameter's value; a bare token (written by hand) is the current one."""
        try:
            found = json.loads(value)
        except ValueError:
            found = value.strip()
        if isinstance(found, str):
            return cls(current=found)
        until = found.get("previous_until")
        return cls(
            current=str(found["current"]),
            previous=found.get("previous") or None,
            previous_until=datetime.fromisoformat(until) if until else None,
        )


class TokenStore:
    """The token's SSM parameter, read and written with one SSM client of the home region."""

    def __init__(self, ssm: Any, stack_name: str) -> None:
        self.ssm = ssm
        self.stack_name = stack_name
        self.name = radar_token_parameter(stack_name)

    def load(self) -> RadarToken | None:
        """The stored token, or None when there is none yet."""
        try:
            found = self.ssm.get_parameter(Name=self.name, WithDecryption=True)
        except self.ssm.exceptions.ParameterNotFound:
            return None
        return RadarToken.from_json(str(found["Parameter"]["Value"]))

    def ensure(self) -> RadarToken:
        """The stored token, made now if there is none (the first writer wins a race)."""
        found = self.load()
        if found is not None:
            return found
        token = RadarToken(current=new_token())
        try:
            self.ssm.put_parameter(
                Name=self.name,
                Value=token.to_json(),
                Type="SecureString",
                Description=f"radar token of the p2p stack {self.stack_name} (p2pctl radar)",
                Tags=[{"Key": STACK_TAG, "Value": self.stack_name}],
            )
        except self.ssm.exceptions.ParameterAlreadyExists:
            return self.load() or token
        return token

    def rotate(self, now: datetime, grace: timedelta = ROTATION_GRACE) -> RadarToken:
        """Replace the current token; the old one keeps working for `grace`."""
        token = self.ensure().rotated(new_token(), now, grace)
        # AWS refuses Tags together with Overwrite; the parameter keeps the tags it has
        self.ssm.put_parameter(Name=self.name, Value=token.to_json(), Type="SecureString", Overwrite=True)
        return token
