#!/usr/bin/env python3
"""p2p agent runner: poll the control center, then run pre-run, the main run and post-run.

Installed on every agent by the launch template's user data and run by cron. Python 3 standard
library only, and nothing newer than Python 3.10: it runs under the OS's own /usr/bin/python3 (3.10 on
Ubuntu 22.04, 3.12 on 24.04: p2p_core.config.instance.OS_PYTHON), and the tests run it under each.
`--dry-run` prints the commands instead of running them, so the runner can be tested off-cloud
against a local HTTP server that serves what the CloudFront Function returns.

What the user data could not install at boot (install.sh records it) is logged by every run, and a
run whose steps succeeded then exits INSTALL_FAILED instead of 0: never silent.

A repository reached over SSH (`git@host:org/repo.git`, `ssh://...`) gets the stack's deploy key:
before each main run the runner reads it from SSM Parameter Store in the stack's home region with
the instance role (a SigV4-signed GetParameter, standard library only), writes it with mode 0600
and hands it to git through GIT_SSH_COMMAND. The key itself is never printed.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import hmac
import json
import os
import random
import re
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

PREFIX = "cc-a-"
NOT_SET = ("", "-")
SETTINGS = ("delay", "force-run", "main-run", "pre-run", "post-run", "repository", "type")
SSH_REPOSITORY = re.compile(r"^(ssh://|git\+ssh://|[\w.-]+@[\w.-]+:)")  # ssh:// or scp-like user@host:path
IMDS = "http://169.254.169.254"
STAGED_KEY_SUFFIX = "-next"  # p2pctl deploy-key rotate stages the new key beside the current one
UTC = timezone.utc  # datetime.UTC is Python 3.11+, and Ubuntu 22.04's python3 is 3.10
INSTALL_FAILURES = "/var/lib/p2p-agent/install-failed"  # written by the user data, read by every run
INSTALL_FAILED = 4  # the exit code of a run whose steps succeeded while a boot-time install had failed


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


def is_ssh_repository(repository: str) -> bool:
    """True for a repository git reaches over SSH (and so needs the deploy key)."""
    return bool(SSH_REPOSITORY.match(repository))


def git_ssh_command(*key_files: str) -> str:
    """How git runs ssh with the deploy keys (tried in order): only those, a new host's key accepted and remembered."""
    keys = [part for key_file in key_files for part in ("-i", key_file)]
    return shlex.join(["ssh", *keys, "-o", "IdentitiesOnly=yes", "-o", "StrictHostKeyChecking=accept-new"])


def commands(settings: dict[str, str], *key_files: str) -> list[list[str]]:
    """The commands of one run, in order: pre-run, main run (with the deploy keys, if any), post-run."""
    steps: list[list[str]] = []
    if settings["pre-run"] not in NOT_SET:
        steps.append(["bash", "-c", settings["pre-run"]])
    main = settings["main-run"]
    if settings["type"] == "ansible":
        if settings["repository"] in NOT_SET:
            log("no repository configured: main run skipped")
        elif main not in NOT_SET:
            pull = ["ansible-pull", "-U", settings["repository"], main]
            pull = pull if settings["force-run"] == "true" else [*pull, "--only-if-changed"]
            steps.append(["env", f"GIT_SSH_COMMAND={git_ssh_command(*key_files)}", *pull] if key_files else pull)
    elif main not in NOT_SET:
        steps.append(["bash", "-c", main])
    if settings["post-run"] not in NOT_SET:
        steps.append(["bash", "-c", settings["post-run"]])
    return steps


def role_credentials(timeout: float, imds: str = IMDS) -> dict[str, str]:
    """The instance role's credentials from IMDSv2 (AWS_ACCESS_KEY_ID & co. first: tests, hosts off EC2)."""
    if os.environ.get("AWS_ACCESS_KEY_ID") and os.environ.get("AWS_SECRET_ACCESS_KEY"):
        return {
            "AccessKeyId": os.environ["AWS_ACCESS_KEY_ID"],
            "SecretAccessKey": os.environ["AWS_SECRET_ACCESS_KEY"],
            "Token": os.environ.get("AWS_SESSION_TOKEN", ""),
        }
    ttl = {"X-aws-ec2-metadata-token-ttl-seconds": "300"}
    ask = urllib.request.Request(imds + "/latest/api/token", method="PUT", headers=ttl)
    with urllib.request.urlopen(ask, timeout=timeout) as got:
        token = {"X-aws-ec2-metadata-token": got.read().decode()}
    roles = imds + "/latest/meta-data/iam/security-credentials/"
    with urllib.request.urlopen(urllib.request.Request(roles, headers=token), timeout=timeout) as got:
        role = got.read().decode().split()[0]
    with urllib.request.urlopen(urllib.request.Request(roles + role, headers=token), timeout=timeout) as got:
        found: dict[str, str] = json.loads(got.read())
    return found


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode(), hashlib.sha256).digest()


def get_parameter_request(
    name: str, region: str, credentials: dict[str, str], endpoint: str | None, amz_date: str
) -> urllib.request.Request:
    """SSM GetParameter (decrypted) signed with Signature Version 4, as botocore would sign it."""
    url = endpoint or f"https://ssm.{region}.amazonaws.com/"
    parts = urllib.parse.urlsplit(url)
    body = json.dumps({"Name": name, "WithDecryption": True}).encode()
    headers = {
        "content-type": "application/x-amz-json-1.1",
        "host": parts.netloc,
        "x-amz-date": amz_date,
        "x-amz-target": "AmazonSSM.GetParameter",
    }
    if credentials.get("Token"):
        headers["x-amz-security-token"] = credentials["Token"]
    signed = ";".join(sorted(headers))
    lines = ["POST", parts.path or "/", "", *(f"{k}:{headers[k]}" for k in sorted(headers)), "", signed]
    canonical = "\n".join([*lines, hashlib.sha256(body).hexdigest()])
    scope = f"{amz_date[:8]}/{region}/ssm/aws4_request"
    to_sign = "\n".join(["AWS4-HMAC-SHA256", amz_date, scope, hashlib.sha256(canonical.encode()).hexdigest()])
    key = ("AWS4" + credentials["SecretAccessKey"]).encode()
    for part in (amz_date[:8], region, "ssm", "aws4_request"):
        key = _hmac(key, part)
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    headers["authorization"] = (
        f"AWS4-HMAC-SHA256 Credential={credentials['AccessKeyId']}/{scope}, SignedHeaders={signed}, "
        f"Signature={signature}"
    )
    return urllib.request.Request(url, data=body, headers=headers, method="POST")


def write_private(path: Path, text: str) -> None:
    """Replace `path` with `text`, readable by its owner only (mode 0600 from the first byte)."""
    new = path.with_name(path.name + ".new")
    descriptor = os.open(new, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(text if text.endswith("\n") else text + "\n")
    os.chmod(new, 0o600)  # even if an older file had other bits
    os.replace(new, path)


def fetch_deploy_key(
    location: dict[str, str],
    key_file: Path,
    timeout: float,
    ssm_endpoint: str | None = None,
    imds: str = IMDS,
    staged: bool = False,
) -> Path | None:
    """Read the deploy key from SSM into `key_file`; the file to use, or None (no key: git tries without).

    `staged`: the key `p2pctl deploy-key rotate` staged beside it (usually none: nothing is logged then).
    """
    name, region = location.get("parameter", ""), location.get("region", "")
    if staged and name and region:
        name = name + STAGED_KEY_SUFFIX
    elif staged:
        return None
    if not name or not region:
        log("no deploy key location in the defaults: cloning without a key")
        return None
    where = f"SSM parameter {name} in {region}"
    try:
        credentials = role_credentials(timeout, imds)
        now = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        request = get_parameter_request(name, region, credentials, ssm_endpoint, now)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            value = str(json.loads(response.read())["Parameter"]["Value"])
    except urllib.error.HTTPError as exc:
        code = _error_code(exc)
        # NoOtherParameters denies a missing (untagged) key
        if code == "ParameterNotFound" or (staged and code == "AccessDeniedException"):
            if not staged:
                log(f"no deploy key: {where} does not exist (p2pctl deploy-key create): cloning without a key")
            key_file.unlink(missing_ok=True)  # a deleted key stops being used
            return None
        log(f"deploy key not read from {where}: {code}")
        return _earlier(key_file)
    except (urllib.error.URLError, OSError, ValueError, KeyError, IndexError) as exc:
        log(f"deploy key not read from {where}: {type(exc).__name__}: {exc}")
        return _earlier(key_file)
    write_private(key_file, value)
    log(f"deploy key fetched from {where}, written to {key_file} (mode 0600)")
    return key_file


def _error_code(error: urllib.error.HTTPError) -> str:
    """AWS's error code from a JSON error body (`__type`), else the HTTP status."""
    try:
        found = json.loads(error.read() or b"{}").get("__type")
    except (ValueError, AttributeError, OSError):
        found = None
    return str(found or error.code).rsplit("#", 1)[-1]


def _earlier(key_file: Path) -> Path | None:
    if key_file.is_file():
        log(f"using the deploy key fetched earlier: {key_file}")
        return key_file
    return None


def run(steps: list[list[str]], dry_run: bool) -> int:
    """Run (or print) each step; stop at the first failure and return its exit code."""
    for step in steps:
        if dry_run:
            print("DRY-RUN: " + shlex.join(step), flush=True)
            continue
        log(f"running: {shlex.join(step)}")
        try:
            code = subprocess.run(step, check=False).returncode
        except OSError as exc:  # not installed (a failed install at boot) or not executable: as bash would say
            log(f"could not start {step[0]}: {exc.strerror or exc}")
            code = 127
        log(f"finished with exit code {code}: {shlex.join(step)}")
        if code != 0:
            return code
    return 0


RADAR_LIBRARY = "/usr/local/lib/p2p-agent"  # where the user data installs agent_radar.py


def read_radar_token(radar: dict[str, str], timeout: float, ssm_endpoint: str | None, imds: str) -> str | None:
    """The radar's current token from SSM (`radar.parameter` in `radar.region`), or None (logged)."""
    where = f"SSM parameter {radar.get('parameter')} in {radar.get('region')}"
    try:
        credentials = role_credentials(timeout, imds)
        now = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        request = get_parameter_request(radar["parameter"], radar["region"], credentials, ssm_endpoint, now)
        with urllib.request.urlopen(request, timeout=timeout) as response:
            value = str(json.loads(response.read())["Parameter"]["Value"])
    except urllib.error.HTTPError as exc:
        log(f"radar token not read from {where}: {_error_code(exc)}")
        return None
    except (urllib.error.URLError, OSError, ValueError, KeyError) as exc:
        log(f"radar token not read from {where}: {type(exc).__name__}")
        return None
    try:
        return str(json.loads(value)["current"])  # {"current", "previous", "previous_until"}
    except (ValueError, KeyError, TypeError):
        return value.strip()


def report_to_radar(radar: dict[str, str], headers: dict[str, str], args: argparse.Namespace) -> list[int]:
    """After a run: report to the radar file's lines (agent_radar.py), the stack's radar among them."""
    try:
        from p2p_core.bootstrap import agent_radar
    except ImportError:  # on an instance: beside the runner, without the package
        sys.path.append(RADAR_LIBRARY)
        import agent_radar  # type: ignore[import-not-found, no-redef]

    def read_token() -> str | None:
        return read_radar_token(radar, args.timeout, args.ssm_endpoint, args.imds_endpoint)

    reporter = agent_radar.Reporter(Path(args.radar_file), radar.get("url", ""), read_token, write_private, log)
    services = Path(args.services_file).read_text() if Path(args.services_file).is_file() else ""
    identity = agent_radar.instance_identity(args.timeout, args.imds_endpoint)
    query = agent_radar.radar_query(headers, identity, services, time.time())
    statuses: list[int] = reporter.report(query, args.timeout, args.radar_tries, args.radar_pause)
    return statuses


def install_failures(path: Path) -> list[str]:
    """What the user data could not install at boot, one line each (its `p2p_install` writes them)."""
    try:
        text = path.read_text(errors="replace")
    except FileNotFoundError:
        return []
    return [line.strip() for line in text.splitlines() if line.strip()]


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
    parser.add_argument("--deploy-key-file", default="/var/lib/p2p-agent/deploy-key", help="where the key is kept")
    parser.add_argument("--ssm-endpoint", default=None, help="SSM endpoint override (tests)")
    parser.add_argument("--imds-endpoint", default=IMDS, help="instance metadata endpoint override (tests)")
    parser.add_argument("--radar-file", default="/opt/p2p-radar.url", help="radar lines: <url> [auth]")
    parser.add_argument("--services-file", default="/var/lib/p2p-agent/services", help="services this agent runs")
    parser.add_argument("--radar-tries", type=int, default=3, help="tries per radar until it answers 200")
    parser.add_argument("--radar-pause", type=float, default=2.0, help="seconds between radar tries")
    parser.add_argument("--install-failures", default=INSTALL_FAILURES, help="boot-time installs that failed")
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
    failed = install_failures(Path(args.install_failures))
    for line in failed:
        log(f"ERROR: install at boot failed: {line}")
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
    key_files: list[str] = []
    if settings["type"] == "ansible" and is_ssh_repository(settings["repository"]):
        location = {k: str(v) for k, v in baked.get("deploy_key", {}).items()}
        current = Path(args.deploy_key_file)
        # a staged key (deploy-key rotate) first, then the current one: ssh tries them in this order
        for path, staged in ((current.with_name(current.name + STAGED_KEY_SUFFIX), True), (current, False)):
            found = fetch_deploy_key(location, path, args.timeout, args.ssm_endpoint, args.imds_endpoint, staged)
            key_files += [str(found)] if found else []
    code = run(commands(settings, *key_files), args.dry_run)
    if baked.get("radar"):  # agent.radar (on by default): report after each run, whatever its result
        report_to_radar({k: str(v) for k, v in baked["radar"].items()}, headers or {}, args)
    if code == 0 and failed:
        log(f"exit code {INSTALL_FAILED}: the steps ran, but {len(failed)} install(s) at boot failed (above)")
        return INSTALL_FAILED
    return code


if __name__ == "__main__":
    sys.exit(main())
