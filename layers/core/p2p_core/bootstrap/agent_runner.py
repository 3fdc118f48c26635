#!/usr/bin/env python3
"""p2p agent runner: poll the control center, then run pre-run, the main run and post-run.

Installed on every agent by the launch template's user data and run by cron. Python 3 standard
library only (Ubuntu ships it). `--dry-run` prints the commands instead of running them, so the
runner can be tested off-cloud against a local HTTP server that serves what the CloudFront
Function returns.
"""

from __future__ import annotations

import argparse
import fcntl
import json
import random
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PREFIX = "cc-a-"
NOT_SET = ("", "-")
SETTINGS = ("delay", "force-run", "main-run", "pre-run", "post-run", "repository", "type")


def log(message: str) -> None:
    """One timestamped line on stdout (cron appends it to the runner's log file)."""
    print(f"{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} {message}", flush=True)


def _utf8(value: str) -> str:
    """http.client decodes header bytes as latin-1; the control center sends UTF-8."""
    try:
        return value.encode("latin-1").decode("utf-8")
    except UnicodeError:
        return value


def shown(url: str, number: int) -> str:
    """How the log names a control-center URL: its number and host, never its path (the secret).

    The log is shipped to CloudWatch Logs (`logs.enabled`), where the path must not appear.
    """
    host = urllib.parse.urlsplit(url).netloc if "://" in url else ""
    return f"{number} ({host or 'not a URL'})"


def poll(urls: list[str], timeout: float) -> dict[str, str] | None:
    """HEAD each control-center URL in turn; the cc-a-* headers of the first that answers 200."""
    for number, url in enumerate(urls, start=1):
        name = shown(url, number)
        try:
            request = urllib.request.Request(url, method="HEAD")
            with urllib.request.urlopen(request, timeout=timeout) as response:
                if response.status == 200:
                    log(f"control center {name} answered")
                    return {k.lower(): _utf8(v) for k, v in response.headers.items() if k.lower().startswith(PREFIX)}
                log(f"control center {name} answered {response.status}")
        except urllib.error.HTTPError as exc:  # it answered, with an error status (urllib raises for 4xx/5xx)
            log(f"control center {name} answered {exc.code}")
        except (urllib.error.URLError, OSError, ValueError) as exc:
            log(f"control center {name} did not answer: {str(exc).replace(url, '<url>')}")
    return None


def effective(headers: dict[str, str] | None, defaults: dict[str, str]) -> dict[str, str]:
    """The control center's value per setting, or the baked-in default when missing, empty or '-'."""
    headers = headers or {}
    chosen = {}
    for name in SETTINGS:
        value = headers.get(PREFIX + name)
        chosen[name] = defaults.get(name, "-") if value is None or value.strip() in NOT_SET else value
    return chosen


def commands(settings: dict[str, str]) -> list[list[str]]:
    """The commands of one run, in order: pre-run, main run, post-run."""
    steps: list[list[str]] = []
    if settings["pre-run"] not in NOT_SET:
        steps.append(["bash", "-c", settings["pre-run"]])
    main = settings["main-run"]
    if settings["type"] == "ansible":
        if settings["repository"] in NOT_SET:
            log("no repository configured: main run skipped")
        elif main not in NOT_SET:
            pull = ["ansible-pull", "-U", settings["repository"], main]
            steps.append(pull if settings["force-run"] == "true" else [*pull, "--only-if-changed"])
    elif main not in NOT_SET:
        steps.append(["bash", "-c", main])
    if settings["post-run"] not in NOT_SET:
        steps.append(["bash", "-c", settings["post-run"]])
    return steps


def run(steps: list[list[str]], dry_run: bool) -> int:
    """Run (or print) each step; stop at the first failure and return its exit code."""
    for step in steps:
        if dry_run:
            print("DRY-RUN: " + shlex.join(step), flush=True)
            continue
        log(f"running: {shlex.join(step)}")
        code = subprocess.run(step, check=False).returncode
        log(f"finished with exit code {code}: {shlex.join(step)}")
        if code != 0:
            return code
    return 0


def _delay(seconds: str) -> float:
    try:
        return max(0.0, float(seconds))
    except ValueError:
        return 0.0


def main(argv: list[str] | None = None) -> int:
    """Entry point: one poll-and-run cycle, never two at once."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--defaults", default="/etc/p2p-agent/defaults.json", help="baked-in defaults and URLs")
    parser.add_argument("--url", action="append", default=[], help="control center URL (repeatable)")
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per control center request")
    parser.add_argument("--lock", default="/run/lock/p2p-agent-runner.lock", help="lock file")
    parser.add_argument("--state", default="", help="file remembering the last headers seen (delay)")
    parser.add_argument("--dry-run", action="store_true", help="print the commands instead of running them")
    parser.add_argument("--no-delay", action="store_true", help="skip the random delay")
    args = parser.parse_args(argv)
    baked: dict[str, Any] = json.loads(Path(args.defaults).read_text())
    defaults = {k: str(v) for k, v in baked.get("settings", {}).items()}
    urls = args.url or list(baked.get("urls", []))
    lock = open(args.lock, "w")  # noqa: SIM115 - held for the whole run
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log("another run is in progress: exiting")
        return 0
    state = Path(args.state) if args.state else None
    last = json.loads(state.read_text()) if state and state.is_file() else {}
    if not args.no_delay:
        pause = random.uniform(0, _delay(last.get("delay", defaults.get("delay", "0"))))
        log(f"waiting {pause:.0f} s before polling")
        time.sleep(pause)
    headers = poll(urls, args.timeout)
    if headers is None:
        log("no control center answered: using baked-in defaults")
    settings = effective(headers, defaults)
    if state:
        state.write_text(json.dumps(settings))
    log("settings: " + json.dumps(settings, sort_keys=True))
    return run(commands(settings), args.dry_run)


if __name__ == "__main__":
    sys.exit(main())
