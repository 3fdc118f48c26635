"""`p2pctl cost` prices the fleet on-demand and on Spot side by side and names where the Spot prices came from."""

from __future__ import annotations

import json
import os
from pathlib import Path

from tests.cli.local_cli import Local, p2pctl

SPOT = {
    "regions": ["eu-central-1", "us-east-1"],
    "desired_capacity": 4,
    "instance": {"market": "spot", "on_demand_base": 1},
}


def _config(tmp_path: Path) -> Path:
    path = tmp_path / "spot.json"
    path.write_text(json.dumps(SPOT))
    return path


def test_cost_reads_current_spot_prices_from_describe_spot_price_history(local: Local, tmp_path: Path) -> None:
    path = _config(tmp_path)
    estimate = local.json("cost", "--file", str(path), "--json")
    spot = estimate["spot"]
    assert spot["price_source"].startswith("DescribeSpotPriceHistory at ")
    assert spot["instance_types"] == ["t3.micro", "t3a.micro", "t2.micro"]
    assert {r: (v["on_demand"], v["spot"]) for r, v in spot["regions"].items()} == {
        "eu-central-1": (1, 3),
        "us-east-1": (1, 3),
    }
    assert 0 < spot["per_day_usd"] < estimate["fleet"]["per_day_usd"]
    done = local.p2pctl("cost", "--file", str(path), env={**local.env, "COLUMNS": "100"})
    assert done.returncode == 0, done.stderr
    text = done.stdout
    assert "on-demand $" in text and "Spot $" in text
    assert "Spot prices: DescribeSpotPriceHistory at " in text


def test_cost_falls_back_to_the_dated_spot_table_and_says_so(tmp_path: Path) -> None:
    path = _config(tmp_path)
    offline = {**os.environ, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "COLUMNS": "100"}
    dead = ("--region", "eu-central-1", "--endpoint-url", "http://127.0.0.1:9")  # nothing listens: never real AWS
    done = p2pctl(*dead, "cost", "--file", str(path), env=offline)
    assert done.returncode == 0, done.stderr
    assert "Spot prices: table as of 2026-11-01 (DescribeSpotPriceHistory not reachable" in done.stdout
    assert "fleet on Spot: $" in done.stdout
    assert (
        "regions enabled: DescribeRegions not reachable: EndpointConnectionError: every selected region" in done.stdout
    )
    as_json = json.loads(p2pctl(*dead, "cost", "--file", str(path), "--json", env=offline).stdout)
    assert as_json["spot"]["price_source"].startswith("table as of 2026-11-01")
    # 1 on-demand base + 3 Spot per region at the table's price: less than 4 on-demand
    assert 0 < as_json["spot"]["per_day_usd"] < as_json["fleet"]["per_day_usd"]
