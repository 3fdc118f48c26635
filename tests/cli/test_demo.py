"""`make demo` stays true: the walkthrough exits 0 only when every step's outcome was verified."""

from __future__ import annotations

import os

from tests.cli.local_cli import p2pctl


def test_demo_verifies_every_step_and_exits_zero() -> None:
    """The one full walkthrough (its own `p2pctl local`); test_cli_local checks the same commands one by one."""
    env = {k: v for k, v in os.environ.items() if k != "AWS_ENDPOINT_URL"}
    done = p2pctl("demo", env=env)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    assert "demo passed in" in done.stdout
    summary = done.stdout.rsplit("─ verified ─", 1)[1]
    verified = [line.strip()[2:] for line in summary.splitlines() if line.strip().startswith("✓ ")]
    assert len(verified) == 11, verified  # the summary lists every check the walkthrough made
    for check in verified:  # each printed as it happened, after its own step's checks ran
        assert done.stdout.count(check) == 2, check
    expected = [
        "CREATE_COMPLETE from template.yaml",
        "5 regions provisioned by a stream-triggered run",
        "each region has exactly one managed VPC",
        "ap-east-1 (opt-in, not enabled in this account) ended skipped",
        "edit → eu-west-1 desired 4",
        "the other four regions kept their capacity",
        "p2p-start at",
        "headers carry the new start time",
        "control plane $",
        "a sweep of 34 regions found nothing left",
        "stopped cleanly on SIGTERM",
    ]
    for check, text in zip(verified, expected, strict=True):
        assert text in check, (text, check)
