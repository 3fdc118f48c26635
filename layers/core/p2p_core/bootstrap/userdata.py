"""The launch template's user data: install the agent runner, its defaults and its cron entry."""

from __future__ import annotations

import ast
import base64
import gzip
import io
import json
import threading
import tokenize
from pathlib import Path

from p2p_core.bootstrap.cloudwatch import RUNNER_LOG, install_script
from p2p_core.config import ConfigItem
from p2p_core.models.deployment import Deployment

MAX_USER_DATA_BYTES = 16_384  # EC2's limit on user data (before base64)
RUNNER = Path(__file__).with_name("agent_runner.py")
RADAR = Path(__file__).with_name("agent_radar.py")  # installed where the runner looks for it (RADAR_LIBRARY)
INSTALL_HELPERS = Path(__file__).with_name("install.sh")
# the OS's own interpreter, never a python3 found first on PATH (/usr/local/bin, pyenv): the runner is tested
# under each OS's /usr/bin/python3 (p2p_core.config.instance.OS_PYTHON)
RUNNER_COMMAND = "/usr/bin/python3 /usr/local/bin/p2p-agent-runner --state /var/lib/p2p-agent/last.json"
_SCRIPT = """\
#!/bin/bash
# p2p agent bootstrap, rendered by the control plane from the config item.
set -euo pipefail
install -d -m 0755 /etc/p2p-agent /var/log/p2p-agent /var/lib/p2p-agent
echo '{runner}' | base64 -d | gunzip > /usr/local/bin/p2p-agent-runner
chmod 0755 /usr/local/bin/p2p-agent-runner
echo '{defaults}' | base64 -d > /etc/p2p-agent/defaults.json
{radar}\
{keys}\
{helpers}\
{packages}\
{cloudwatch}\
cat > /etc/cron.d/p2p-agent <<'P2P_CRON'
SHELL=/bin/bash
PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
{cron} root {runner_command} >> {runner_log} 2>&1
P2P_CRON
chmod 0644 /etc/cron.d/p2p-agent
# first run at boot, without the random delay
{runner_command} --no-delay >> {runner_log} 2>&1 || true
"""
# a failed install is recorded (install.sh) and reported by every run of the runner: boot goes on
_ANSIBLE = "p2p_install ansible-core git || true\n"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


_SHIPPED: dict[Path, bytes] = {}
_SHIPPED_LOCK = threading.Lock()  # CPython 3.11's ast is not thread-safe (SystemError: recursion depth mismatch)


def shipped(module: Path) -> bytes:
    """A Python module as the user data carries it: its own text without comments, blank lines and the
    docstrings of its functions and classes (the module's own stays: the runner's --help prints it). The
    runner, the radar module and their docstrings are most of EC2's 16 KB; the code runs as written.

    Lines are removed, never rewritten: `ast.unparse` on Python 3.12+ writes f-strings with nested quotes of
    the same kind (PEP 701), which Ubuntu 22.04's Python 3.10 cannot read, and Lambda renders user data on
    3.13. Made once per process: regions render their user data in threads."""
    with _SHIPPED_LOCK:
        if module not in _SHIPPED:
            _SHIPPED[module] = _without_comments_and_docstrings(module.read_text()).encode()
        return _SHIPPED[module]


def _without_comments_and_docstrings(source: str) -> str:
    docstrings: set[int] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) and ast.get_docstring(node):
            first = node.body[0]
            docstrings.update(range(first.lineno, (first.end_lineno or first.lineno) + 1))
    comments = {
        token.start[0]: token.start[1]
        for token in tokenize.generate_tokens(io.StringIO(source).readline)
        if token.type == tokenize.COMMENT and not token.string.startswith("#!")
    }
    kept = []
    for number, line in enumerate(source.splitlines(), start=1):
        if number in docstrings:
            continue
        text = line[: comments[number]].rstrip() if number in comments else line
        if text.strip():
            kept.append(text + "\n")
    return "".join(kept)


def install_helpers() -> str:
    """install.sh as the user data carries it: its functions, without the comment lines (EC2's 16 KB limit)."""
    lines = INSTALL_HELPERS.read_text().splitlines(keepends=True)
    return "".join(line for line in lines if line.strip() and not line.lstrip().startswith("#"))


def agent_defaults(config: ConfigItem, deployment: Deployment) -> dict[str, object]:
    """What the runner falls back to (the config's agent values at launch), where it polls, where its key is.

    The deploy key's location (an SSM parameter name and region), never the key: the runner fetches it.
    """
    agent = config.agent
    settings = {
        "delay": str(agent.delay),
        "force-run": "true" if agent.force_run else "false",
        "main-run": agent.main_run,
        "pre-run": agent.pre_run,
        "post-run": agent.post_run,
        "repository": agent.repository,
        "type": agent.type,
    }
    deploy_key = {"parameter": deployment.deploy_key_parameter, "region": deployment.home_region}
    baked: dict[str, object] = {"urls": deployment.control_center_urls, "settings": settings, "deploy_key": deploy_key}
    if reports_to_radar(config, deployment):  # the radar's URL and where its token is, never the token
        token = {"parameter": deployment.radar_token_parameter, "region": deployment.home_region}
        baked["radar"] = {"url": deployment.radar_url, **token}
    return baked


def reports_to_radar(config: ConfigItem, deployment: Deployment) -> bool:
    """True when agents report after each run: `agent.radar` (on by default) and the stack has a radar."""
    return config.agent.radar and bool(deployment.radar_url)


def _radar_install(config: ConfigItem, deployment: Deployment) -> str:
    if not reports_to_radar(config, deployment):
        return ""
    module = _b64(gzip.compress(shipped(RADAR), mtime=0))
    return (
        "install -d -m 0755 /usr/local/lib/p2p-agent\n"
        f"echo '{module}' | base64 -d | gunzip > /usr/local/lib/p2p-agent/agent_radar.py\n"
    )


def render_user_data(config: ConfigItem, deployment: Deployment) -> str:
    """The bash user data for the launch template; ValueError when it would exceed EC2's 16 KB."""
    defaults = json.dumps(agent_defaults(config, deployment), sort_keys=True).encode()
    keys = "".join(
        f"echo '{_b64(key.encode())}' | base64 -d >> /home/ubuntu/.ssh/authorized_keys\n"
        for key in config.network.public_keys
    )
    if keys:
        keys = "install -d -m 0700 -o ubuntu -g ubuntu /home/ubuntu/.ssh\n" + keys
    script = _SCRIPT.format(
        runner=_b64(gzip.compress(shipped(RUNNER), mtime=0)),
        radar=_radar_install(config, deployment),
        defaults=_b64(defaults),
        keys=keys,
        helpers=install_helpers(),
        runner_command=RUNNER_COMMAND,
        packages=_ANSIBLE if config.agent.type == "ansible" else "",
        cloudwatch=install_script(config, deployment.stack_name),
        runner_log=RUNNER_LOG,
        cron=config.agent.cron,
    )
    size = len(script.encode())
    if size > MAX_USER_DATA_BYTES:
        field, added = max(field_sizes(config).items(), key=lambda pair: pair[1])
        limit = f"over EC2's {MAX_USER_DATA_BYTES}-byte limit"
        raise UserDataTooLarge(field, f"user data is {size} bytes, {limit} ({field} adds about {added} bytes)")
    return script


class UserDataTooLarge(ValueError):
    """The user data would exceed EC2's limit; `field` is the config field that adds the most to it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _base64_size(size: int) -> int:
    return 4 * ((size + 2) // 3)


def field_sizes(config: ConfigItem) -> dict[str, int]:
    """Bytes each configurable field adds to the user data, as encoded there."""
    agent = config.agent
    sizes = {
        f"agent.{name}": _base64_size(len(json.dumps(getattr(agent, name)).encode()))  # in the defaults JSON
        for name in ("main_run", "pre_run", "post_run", "repository")
    }
    sizes["network.public_keys"] = sum(_base64_size(len(key.encode())) + 64 for key in config.network.public_keys)
    sizes["agent.cron"] = len(agent.cron.encode())
    return sizes
