"""The radar through the real paths: upstream's request sent with curl to `p2pctl local`'s radar URL, the token
from `p2pctl radar`, a rotation, and `p2pctl fleet --json` comparing the groups with the agents that report.
"""

from __future__ import annotations

import json
import subprocess
import urllib.parse
from typing import Any

from p2p_core.radar.endpoint import RECHECK_UNKNOWN
from tests.cli.local_cli import Local, eventually

# what upstream's Ansible role sends (roles/radar/tasks/radar.yml): services space-joined and URL-encoded
UPSTREAM_QUERY = (
    "cloud=aws&region=eu-central-1&autoscaler=true&capacity=2&services=bitcoin%20ipfs&duration=600&uptime=1234"
)


def curl(url: str) -> tuple[int, Any]:
    """GET `url` with curl, as upstream's agents (and operators) would: status and JSON body."""
    done = subprocess.run(["curl", "-s", "-w", "\n%{http_code}", url], capture_output=True, text=True, check=True)
    body, status = done.stdout.rsplit("\n", 1)
    return int(status), json.loads(body)


def report(local: Local, query: str, auth: str | None = None) -> tuple[int, Any]:
    line = local.json("radar")
    token = line["auth"] if auth is None else auth
    return curl(f"{line['url']}?{query}&auth={urllib.parse.quote(token)}")


def test_local_prints_the_radar_url_and_the_stack_output_is_it(local: Local) -> None:
    assert local.info["radar_url"].startswith("http://127.0.0.1:")
    assert local.output("RadarUrl") == local.info["radar_url"]


def test_upstreams_report_sent_with_curl_is_answered_200_with_a_radar_object(local: Local) -> None:
    status, body = report(local, UPSTREAM_QUERY)
    assert status == 200
    assert body["radar"]["services"] == ["bitcoin", "ipfs"]
    assert body["radar"]["cloud"] == "aws" and body["radar"]["uptime"] == 1234


def test_a_wrong_token_is_answered_401_auth_failed(local: Local) -> None:
    assert report(local, UPSTREAM_QUERY, auth="not-the-token") == (401, {"Auth": "Failed"})
    assert curl(f"{local.info['radar_url']}?{UPSTREAM_QUERY}") == (401, {"Auth": "Failed"})  # no auth at all


def test_a_bad_field_is_answered_400_naming_it(local: Local) -> None:
    status, body = report(local, UPSTREAM_QUERY.replace("uptime=1234", "uptime=soon"))
    assert status == 400
    assert body["field"] == "uptime" and "'soon'" in body["error"]


def test_radar_prints_the_line_for_p2p_radar_url(local: Local) -> None:
    line = local.ok("radar").stdout.strip()
    url, auth = line.split(" ")
    assert url == local.info["radar_url"] and auth == local.json("radar")["auth"]


def test_rotate_replaces_the_token_and_the_old_one_works_for_one_interval(local: Local) -> None:
    old = local.json("radar")["auth"]
    rotated = local.json("radar", "rotate")
    assert rotated["auth"] != old and local.json("radar")["auth"] == rotated["auth"]
    # the new token: a token the radar does not know makes it read the parameter again, at most every
    # RECHECK_UNKNOWN (the wrong tokens of the tests above may have just made it read)
    eventually(lambda: report(local, UPSTREAM_QUERY)[0] == 200, timeout=RECHECK_UNKNOWN.total_seconds() + 10)
    assert report(local, UPSTREAM_QUERY, auth=old)[0] == 200  # the previous one, for one interval


def in_service(local: Local) -> list[str]:
    group = local.asg("eu-central-1") or {}
    return sorted(i["InstanceId"] for i in group.get("Instances", []) if i["LifecycleState"] == "InService")


def test_fleet_json_shows_reporting_and_missing_agents_and_others_apart(local: Local) -> None:
    local.reset(regions=["eu-central-1"], desired_capacity=2, start_offset="0 minutes")
    reporting, silent = in_service(local)
    ours = UPSTREAM_QUERY.replace("bitcoin%20ipfs", "ipfs") + f"&instance={reporting}"
    assert report(local, ours)[0] == 200
    assert (
        report(local, UPSTREAM_QUERY.replace("cloud=aws", "cloud=gcp").replace("eu-central-1", "europe-west1"))[0]
        == 200
    )

    fleet = local.json("fleet")

    (row,) = [r for r in fleet["regions"] if r["region"] == "eu-central-1"]
    assert (row["desired"], row["in_service"], row["reporting"]) == (2, 2, 1)
    assert row["services"] == ["ipfs"] and row["oldest_report"] is not None
    assert [m["instance"] for m in row["missing"]] == [silent] and row["missing"][0]["launched"]
    assert fleet["missing"] == 1
    assert {(a["cloud"], a["region"]) for a in fleet["elsewhere"]} >= {("gcp", "europe-west1")}
    assert all(a["agent"] != reporting for a in fleet["elsewhere"])
    text = local.ok("fleet").stdout
    assert f"not reporting: {silent} in eu-central-1" in text
