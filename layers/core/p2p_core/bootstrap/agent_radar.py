"""p2p agent radar: after each run, report to the radar with upstream's protocol (p2p-way/p2p-agent-infra).

Installed beside the agent runner by the user data (standard library only, as the runner) and called by it.
Reads upstream's `/opt/p2p-radar.url` (`<url> [auth]` per line) every run and reports to each line with
`GET <url>?cloud=&region=&autoscaler=&capacity=&services=&duration=&uptime=[&auth=]`, plus `instance` and
`agent_version`, trying until it answers 200 (three tries, as upstream). The stack's own radar line is kept in
that file: its token is read from SSM when the file has none, and again when the radar refuses it (rotated).
"""

from __future__ import annotations

import calendar
import hashlib
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

PREFIX = "cc-a-"
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"  # the control center's cc-a-start


def instance_identity(timeout: float, imds: str) -> dict[str, str]:
    """The instance's id and region from IMDSv2 (`instance`, `region`); {} off EC2."""
    try:
        ttl = {"X-aws-ec2-metadata-token-ttl-seconds": "60"}
        ask = urllib.request.Request(imds + "/latest/api/token", method="PUT", headers=ttl)
        with urllib.request.urlopen(ask, timeout=timeout) as got:
            token = {"X-aws-ec2-metadata-token": got.read().decode()}
        found = {}
        for name, path in (("instance", "instance-id"), ("region", "placement/region")):
            meta = urllib.request.Request(f"{imds}/latest/meta-data/{path}", headers=token)
            with urllib.request.urlopen(meta, timeout=timeout) as got:
                found[name] = got.read().decode().strip()
        return found
    except (urllib.error.URLError, OSError, ValueError):
        return {}


def radar_lines(path: Path) -> list[list[str]]:
    """`[url, auth]` per line of the radar file (`<url> [auth]`); [] without the file."""
    text = path.read_text() if path.is_file() else ""
    return [[*line.split(), ""][:2] for line in text.splitlines() if line.strip()]


def _seconds_since(start: str, now: float) -> int:
    try:
        return int(now - calendar.timegm(time.strptime(start, TIME_FORMAT)))  # UTC, on Python 3.10 too
    except ValueError:
        return 0


def _uptime(proc: Path = Path("/proc/uptime")) -> int:
    try:
        return int(float(proc.read_text().split()[0]))
    except (OSError, ValueError, IndexError):
        return 0


def radar_query(headers: dict[str, str], identity: dict[str, str], services: str, now: float) -> str:
    """Upstream's fields in upstream's order, then ours (`instance` when known, `agent_version`)."""
    fields = [
        ("cloud", "aws"),
        ("region", identity.get("region", "unknown")),
        ("autoscaler", "true"),
        ("capacity", headers.get(PREFIX + "desired-capacity", "-")),
        ("services", " ".join(sorted(set(services.split())))),
        ("duration", str(_seconds_since(headers.get(PREFIX + "start", ""), now))),
        ("uptime", str(_uptime())),
    ]
    if identity.get("instance"):
        fields.append(("instance", identity["instance"]))
    fields.append(("agent_version", hashlib.sha256(Path(__file__).read_bytes()).hexdigest()[:12]))
    return urllib.parse.urlencode(fields, quote_via=urllib.parse.quote)


def send_report(url: str, query: str, auth: str, timeout: float, tries: int, pause: float) -> int:
    """GET `url?query[&auth=]` until it answers 200 or 401 (`tries` at most); the last status (0: no answer)."""
    full = url + ("&" if "?" in url else "?") + query + (f"&auth={urllib.parse.quote(auth)}" if auth else "")
    status = 0
    for attempt in range(tries):
        if attempt:
            time.sleep(pause)
        try:
            with urllib.request.urlopen(full, timeout=timeout) as response:
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError, ValueError):
            status = 0
        if status in (200, 401):
            break
    return status


class Reporter:
    """One run's reports: the radar file, the stack's radar URL and how to read its token from SSM."""

    def __init__(
        self,
        path: Path,
        url: str,
        read_token: Callable[[], str | None],
        write: Callable[[Path, str], None],
        log: Callable[[str], None],
    ) -> None:
        self.path, self.url, self.read_token, self.write, self.log = path, url, read_token, write, log
        self.lines = radar_lines(path)

    def refresh(self, stale: str) -> str | None:
        """Read the token from SSM; a new one replaces the stack's line in the file (mode 0600). None: no news."""
        token = self.read_token()
        if token is None or token == stale:
            return None
        self.lines = [line for line in self.lines if line[0] != self.url] + [[self.url, token]]
        self.write(self.path, "\n".join(" ".join(line) for line in self.lines))
        return token

    def report(self, query: str, timeout: float, tries: int, pause: float) -> list[int]:
        """Report to every line; the stack's radar retried once with a fresh token when it answers 401."""
        if self.url and not any(url == self.url and auth for url, auth in self.lines):
            self.refresh("")
        statuses = []
        for number, (url, auth) in enumerate(list(self.lines), start=1):
            status = send_report(url, query, auth, timeout, tries, pause)
            if status == 401 and url == self.url:
                token = self.refresh(auth)
                status = send_report(url, query, token, timeout, tries, pause) if token else status
            host = urllib.parse.urlsplit(url).netloc or "not a URL"
            self.log(f"radar {number} ({host}) answered {status or 'nothing'}")  # never the token
            statuses.append(status)
        return statuses
