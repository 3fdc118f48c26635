"""template.yaml's alarms watch metrics the handlers really emit, and the reads they need are allowed."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from p2p_core.storage.status import RunRecord
from p2p_core.workflow.finalize_step import run_metrics
from p2p_emulator.template import load_template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = load_template(ROOT / "template.yaml")
RESOURCES: dict[str, dict[str, Any]] = TEMPLATE["Resources"]
SETTINGS = TEMPLATE["Globals"]["Function"]["Environment"]["Variables"]


def emitted_metrics() -> set[str]:
    """Names every handler passes to Powertools' add_metric / single_metric, and the run metrics Plan and Finalize
    both emit (`run_metrics`)."""
    names: set[str] = set()
    for app in (ROOT / "functions").glob("*/app.py"):
        names |= set(re.findall(r'metric\(name="(\w+)"', app.read_text()))
    run = RunRecord(execution="r", status="ok", started_at="2026-11-26T00:00:00Z", finished_at="2026-11-26T00:00:01Z")
    return names | set(run_metrics(run))


def own_metric_alarms() -> dict[str, dict[str, Any]]:
    return {
        name: r["Properties"]
        for name, r in RESOURCES.items()
        if r["Type"] == "AWS::CloudWatch::Alarm"
        and r["Properties"].get("Namespace") == SETTINGS["POWERTOOLS_METRICS_NAMESPACE"]
    }


def test_degraded_regions_are_alarmed_to_the_alarm_topic() -> None:
    alarm = own_metric_alarms()["DegradedRegionsAlarm"]
    assert alarm["MetricName"] == "DegradedRegions"
    assert alarm["ComparisonOperator"] == "GreaterThanOrEqualToThreshold" and alarm["Threshold"] == 1
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def test_each_alarm_on_our_namespace_watches_an_emitted_metric_with_powertools_service_dimension() -> None:
    assert own_metric_alarms()
    for name, alarm in own_metric_alarms().items():
        assert alarm["MetricName"] in emitted_metrics(), name
        assert alarm["Dimensions"] == [{"Name": "service", "Value": SETTINGS["POWERTOOLS_SERVICE_NAME"]}], name


def test_plan_and_reconcile_may_read_enabled_regions_and_scaling_activities() -> None:
    reads = RESOURCES["ObserveRegionsPolicy"]["Properties"]["PolicyDocument"]["Statement"][0]["Action"]
    assert {"ec2:DescribeRegions", "autoscaling:DescribeScalingActivities", "ec2:DescribeAvailabilityZones"} <= set(
        reads
    )
    for function in ("PlanFunction", "ReconcileRegionFunction"):
        assert {"Ref": "ObserveRegionsPolicy"} in RESOURCES[function]["Properties"]["Policies"], function


def test_fleet_agents_missing_compares_the_in_service_count_plan_emits_with_the_radars_reports() -> None:
    alarm = RESOURCES["FleetAgentsMissing"]["Properties"]
    queries = {q["Id"]: q for q in alarm["Metrics"]}
    stat = queries["inservice"]["MetricStat"]
    assert stat["Metric"]["MetricName"] == "AgentsInService" and "AgentsInService" in emitted_metrics()
    assert stat["Metric"]["Dimensions"] == [{"Name": "service", "Value": SETTINGS["POWERTOOLS_SERVICE_NAME"]}]
    assert stat["Metric"]["Namespace"] == SETTINGS["POWERTOOLS_METRICS_NAMESPACE"]
    reports = queries["reports"]["Expression"]
    assert "SUM(AgentReports)" in reports and "AgentReports" in emitted_metrics()
    # the radar's single_metric carries the Powertools service dimension and its own Region
    assert f"SCHEMA({SETTINGS['POWERTOOLS_METRICS_NAMESPACE']}, Region, service)" in reports
    assert queries["missing"]["Expression"] == "inservice - reports" and queries["missing"]["ReturnData"]
    assert stat["Period"] == queries["reports"]["Period"] == 900
    assert alarm["EvaluationPeriods"] * 900 == 1800  # 30 minutes below in-service
    assert alarm["AlarmActions"] == [{"Ref": "AlarmTopic"}]


def dashboard_metrics() -> list[list[Any]]:
    body = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    text = re.sub(r"\$\{[^}]+\}", "x", body)  # the substitutions are ARNs and names: any string parses
    widgets = json.loads(text)["widgets"]
    return [m for w in widgets if w["type"] == "metric" for m in w["properties"]["metrics"]]


def test_the_dashboard_shows_only_metrics_the_handlers_emit_with_their_service_dimension() -> None:
    ours = [m for m in dashboard_metrics() if m[0] == SETTINGS["POWERTOOLS_METRICS_NAMESPACE"]]
    assert {m[1] for m in ours} >= {"RegionsChanged", "DegradedRegions", "RegionsFailed", "DriftRepaired"}
    for metric in ours:
        assert metric[1] in emitted_metrics(), metric
        assert metric[2:4] == ["service", SETTINGS["POWERTOOLS_SERVICE_NAME"]], metric


def test_the_dashboard_watches_both_workflows_and_every_function() -> None:
    body = RESOURCES["Dashboard"]["Properties"]["DashboardBody"]["Fn::Sub"]
    functions = {k for k, r in RESOURCES.items() if r["Type"] == "AWS::Serverless::Function"}
    functions -= {"ControlCenterFunction"}  # the CloudFront Function's own, not a Lambda
    for logical in {"ReconcileStateMachine", "ScheduledCheckStateMachine"} | functions:
        assert "${" + logical + "}" in body, logical
