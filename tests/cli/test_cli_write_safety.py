"""Writes that destroy must be meant; extending the run never restarts it (issue 22 §1, §2; SPEC §3).

`p2pctl config set|unset|put|edit` as a subprocess against `p2pctl local`: a write whose next run stops running
agents or removes regions says what it does and asks (`--yes` skips the question; without a terminal nothing
is written, exit 1); an empty or versionless file is refused; a kept edit stays conditional; only a start
field restarts the window, and each command says so exactly when it does.
"""

from __future__ import annotations

import functools
import json
import os
import pty
import re
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from p2p_core.config import parse_config
from p2p_core.config.rfc3339 import format_time
from p2p_core.storage.config import to_dynamodb
from tests.cli.local_cli import P2PCTL, STACK, Local, eventually

REGIONS = ["eu-west-1", "us-east-1"]
FLEET = {"regions": REGIONS, "desired_capacity": 2, "start_offset": "0 minutes"}


def agents_running(local: Local) -> None:
    """Wait until each region's group has its two instances."""
    for region in REGIONS:
        eventually(functools.partial(has_instances, local, region, 2))


def has_instances(local: Local, region: str, count: int) -> bool:
    return len((local.asg(region) or {}).get("Instances", [])) == count


def running_fleet(local: Local, **fields: Any) -> int:
    """Two agents in each of two regions, running now; returns the stored version."""
    version = local.reset(**{**FLEET, **fields})
    agents_running(local)
    return version


def running_for_an_hour(local: Local, **fields: Any) -> None:
    """The fleet with `fields`, its start fields first seen an hour ago (as if it ran since), after one run."""
    local.reset(**{**FLEET, **fields})
    since = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    anchor = {"digest": parse_config(local.stored()).window_digest(), "since": format_time(since)}
    local.client("dynamodb").update_item(  # as Plan recorded it an hour ago
        TableName=local.info["config_table"],
        Key={"pk": {"S": "status"}},
        UpdateExpression="SET window_anchor = :a",
        ExpressionAttributeValues=to_dynamodb({":a": anchor}),
    )
    local.ok("run", "--wait")
    agents_running(local)


def editor(tmp_path: Path, body: str) -> dict[str, str]:
    """An $EDITOR that runs `body` (python, `path` is the file) instead of a person."""
    script = tmp_path / "editor.py"
    script.write_text(f"import pathlib, subprocess, sys\npath = pathlib.Path(sys.argv[1])\n{body}\n")
    return {"EDITOR": f"{sys.executable} {script}"}


def replacing(old: str, new: str) -> str:
    return f"path.write_text(path.read_text().replace({old!r}, {new!r}))"


def write_by(
    local: Local, tmp_path: Path, command: str, key: str, value: Any, *extra: str, process: bool = False
) -> Any:
    """Write `key: value` with `command` (set, unset -> the default, put, edit), as an operator would
    (in the test process; `process`: as its own process)."""
    run = local.as_process if process else local.p2pctl
    if command == "set":
        return run("config", "set", key, json.dumps(value), *extra)
    if command == "unset":
        return run("config", "unset", key, *extra)
    item = {k: v for k, v in local.stored().items() if k not in ("updated_at", "updated_by")}
    if command == "put":
        path = tmp_path / "item.yaml"
        path.write_text(yaml.safe_dump({**item, key: value}))
        return run("config", "put", str(path), *extra)
    body = f"import yaml\nitem = yaml.safe_load(path.read_text()) or {{}}\nitem[{key!r}] = {value!r}\n"
    body += "path.write_text(yaml.safe_dump(item))"
    return run("config", "edit", *extra, env={**local.env, **editor(tmp_path, body)})


COMMANDS = ["set", "unset", "put", "edit"]


# --- §1: empty and versionless files, kept edits ----------------------------------------------------


@pytest.mark.parametrize("text", ["", "  \n\t\n", "# only a comment\n"])
def test_put_of_an_empty_file_is_refused_naming_it(local: Local, tmp_path: Path, text: str) -> None:
    version = local.reset(**FLEET)
    empty = tmp_path / "config.yaml"
    empty.write_text(text)
    done = local.p2pctl("config", "put", str(empty))
    assert done.returncode == 2, done.stderr
    assert f"{empty} is empty: nothing written" in done.stderr and "Traceback" not in done.stderr
    assert local.stored()["version"] == version


def test_put_of_a_file_without_version_is_refused_unless_forced(local: Local, tmp_path: Path) -> None:
    version = local.reset(**FLEET)
    mine = tmp_path / "config.yaml"
    mine.write_text(yaml.safe_dump({**FLEET, "desired_capacity": 3}))
    done = local.p2pctl("config", "put", str(mine))
    assert done.returncode == 3, done.stderr
    assert f"has no version, and the stored item is at version {version}" in done.stderr
    assert f"add 'version: {version}'" in done.stderr and "--force" in done.stderr
    assert local.stored()["version"] == version
    local.ok("config", "put", str(mine), "--force")
    assert local.stored()["desired_capacity"] == 3 and local.stored()["version"] == version + 1


def test_an_edit_kept_after_a_conflict_carries_its_version_so_put_stays_conditional(
    local: Local, tmp_path: Path
) -> None:
    version = local.reset(**FLEET)
    other_writer = f"subprocess.run({[*P2PCTL, '--stack-name', STACK, 'config', 'set', 'desired_capacity', '4']!r})"
    env = {
        **local.env,
        **editor(tmp_path, f"{other_writer}\n{replacing('desired_capacity: 2', 'desired_capacity: 3')}"),
    }
    done = local.p2pctl("config", "edit", env=env)
    assert done.returncode == 3, done.stderr
    kept = re.search(r"your edit is kept in (\S+)\)", done.stderr)
    assert kept is not None, done.stderr
    path = Path(kept.group(1))
    assert yaml.safe_load(path.read_text())["version"] == version  # a field, not only the header comment
    assert yaml.safe_load(path.read_text())["desired_capacity"] == 3  # the operator's text kept
    again = local.p2pctl("config", "put", str(path))
    assert again.returncode == 3 and "config changed since version" in again.stderr
    assert local.stored()["desired_capacity"] == 4  # the other writer's change stands
    path.unlink()


# --- §1: a write that stops agents or removes regions asks ------------------------------------------

DESTRUCTIVE = {
    "set": ("desired_capacity", 0, "stops 4 running instances in eu-west-1, us-east-1 (desired capacity lowered)"),
    "unset": ("regions", None, "decommissions eu-west-1, us-east-1: every resource there is deleted"),
    "put": ("regions", [], "decommissions eu-west-1, us-east-1: every resource there is deleted"),
    "edit": ("regions", ["eu-west-1"], "decommissions us-east-1: every resource there is deleted"),
}


@pytest.mark.parametrize("command", COMMANDS)
def test_a_write_that_stops_agents_without_a_terminal_writes_nothing_and_with_yes_is_written(
    local: Local, tmp_path: Path, command: str
) -> None:
    version = running_fleet(local)
    key, value, said = DESTRUCTIVE[command]
    done = write_by(local, tmp_path, command, key, value, process=command == "set")  # one as the console script
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"the next run {said}" in done.stderr
    assert "nothing written" in done.stderr and "--yes" in done.stderr and "Traceback" not in done.stderr
    assert local.stored()["version"] == version
    written = write_by(local, tmp_path, command, key, value, "--yes")
    assert written.returncode == 0, written.stderr
    assert f"the next run {said}" in written.stderr and local.stored()["version"] == version + 1


def run_on_a_terminal(local: Local, answer: str, *args: str) -> tuple[int, str]:
    """Run p2pctl with a terminal as stdin, answer its question, return the exit code and what it printed."""
    primary, secondary = pty.openpty()
    process = subprocess.Popen(
        [*P2PCTL, "--stack-name", STACK, *args],
        stdin=secondary,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=local.env,
        text=True,
    )
    os.close(secondary)
    os.write(primary, f"{answer}\n".encode())
    out, _ = process.communicate(timeout=120)
    os.close(primary)
    return process.returncode, out


@pytest.mark.parametrize(("answer", "code"), [("y", 0), ("n", 1), ("", 1)])
def test_on_a_terminal_the_write_asks_and_only_yes_writes_it(local: Local, answer: str, code: int) -> None:
    version = running_fleet(local)
    returned, out = run_on_a_terminal(local, answer, "config", "set", "stop_time", "2020-01-01T00:00:00Z")
    assert "the next run stops 4 running instances in eu-west-1, us-east-1 (the run window is over" in out
    assert "Write it?" in out and returned == code, out
    assert local.stored()["version"] == (version + 1 if code == 0 else version)


def test_a_write_that_rolls_instances_says_so_and_needs_no_confirmation(local: Local) -> None:
    running_fleet(local)
    done = local.ok("config", "set", "agent.main_run", "site.yml")
    assert "the next run rolls 4 running instances in eu-west-1, us-east-1 (instance refresh, min healthy 90 %)" in (
        done.stderr
    )
    quiet = local.ok("config", "set", "logs.retention_days", "30")  # no new template version: nothing to say
    assert "the next run" not in quiet.stderr


# --- §2: extending the run never restarts it; the restart is said exactly when it happens ------------


@pytest.mark.parametrize(
    ("args", "fleet"),
    [
        (("config", "set", "run_duration", "14 days"), {"start_offset": "15 minutes"}),
        (("config", "unset", "start_offset"), {"start_offset": "15 minutes"}),  # the same value as its default
        (("config", "set", "run_duration", "null"), {"start_offset": "15 minutes"}),
    ],
    ids=["run-duration-14-days", "unset-start-offset-at-its-default", "run-until-changed"],
)
def test_extending_a_running_fleet_keeps_its_capacity(
    local: Local, args: tuple[str, ...], fleet: dict[str, Any]
) -> None:
    running_for_an_hour(local, **fleet)  # with a 15-minute offset: a restart would stop every agent for 15 minutes
    done = local.ok(*args)  # no --yes and no terminal: nothing to ask
    assert "restarts" not in done.stdout + done.stderr and "the next run" not in done.stderr
    local.settle(local.stored()["version"])
    assert [(local.asg(r) or {}).get("DesiredCapacity") for r in REGIONS] == [2, 2]


@pytest.mark.parametrize("command", COMMANDS)
def test_each_command_says_the_window_restarts_exactly_when_it_does(local: Local, tmp_path: Path, command: str) -> None:
    running_fleet(local, window_version=1)  # start_offset 0: a restart keeps agents running, nothing to ask
    unchanged = write_by(local, tmp_path, command, "run_duration", "14 days") if command != "unset" else None
    if unchanged is not None:
        assert unchanged.returncode == 0 and "restarts" not in unchanged.stdout, unchanged.stderr
    restarted = write_by(local, tmp_path, command, "window_version", 2)  # unset: back to 0
    assert restarted.returncode == 0, restarted.stderr
    assert re.search(r"the run window restarts: agents start 0 \w+ after the next run begins", restarted.stdout)
