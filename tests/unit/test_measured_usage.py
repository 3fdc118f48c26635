"""The measured figures are data the benchmark writes and the layer reads: the shipped file is what the schema says."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from benchmarks import measured
from p2p_core.cost import usage
from p2p_core.cost.usage import PLAN, ItemSizes, LambdaProfile, PerRegion, measured_profile, read_measured


def shipped() -> dict[str, Any]:
    figures: dict[str, Any] = json.loads(measured.MEASURED.read_text(encoding="utf-8"))
    return figures


def test_the_shipped_file_is_what_the_benchmarks_schema_says() -> None:
    measured.validate(shipped())
    assert read_measured() == shipped()  # the layer reads that very file (package data)


def test_the_layers_defaults_are_the_files_figures_not_constants() -> None:
    figures = read_measured()
    plan = figures["lambda"]["profiles"]["Plan"]
    assert PLAN.init == PerRegion(**plan["init"]) and PLAN.warm_cpu == PerRegion(**plan["warm_cpu"])
    assert ItemSizes().status == PerRegion(**figures["item_bytes"]["status"])
    assert figures["lambda"]["measured_at"] == usage.MEASURED_AT

    plan["warm_cpu"] = {"base": 9.0, "per_region": 1.0}  # another measurement: another profile
    other = measured_profile(read_measured(json.dumps(figures)), "Plan", 384)
    assert other.warm_cpu.at(2) == 11.0 and other.billed_seconds(2, cold=False) > PLAN.billed_seconds(2, cold=False)


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("https", "cpu_seconds_per_new_connection"), -1, "cpu_seconds_per_new_connection"),
        (("check", "reads_per_region"), 0, "reads_per_region"),
        (("lambda", "measured_at"), "26 Nov", "measured_at"),
        (("lambda", "profiles", "Plan", "wait", "base"), "0.7", "base"),
    ],
)
def test_the_schema_refuses_a_bad_figure_naming_it(path: tuple[str, ...], value: Any, field: str) -> None:
    figures = shipped()
    inner = figures
    for key in path[:-1]:
        inner = inner[key]
    inner[path[-1]] = value
    with pytest.raises(jsonschema.ValidationError) as refused:
        measured.validate(figures)
    assert list(refused.value.path)[-1] == field


def test_a_missing_function_is_refused() -> None:
    figures = shipped()
    del figures["lambda"]["profiles"]["ReconcileRegion"]
    with pytest.raises(jsonschema.ValidationError, match="ReconcileRegion"):
        measured.validate(figures)


def test_the_benchmark_writes_a_section_whole_keeps_the_rest_and_the_layer_reads_it_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "measured_usage.json"
    target.write_text(measured.MEASURED.read_text(encoding="utf-8"), encoding="utf-8")
    monkeypatch.setattr(measured, "MEASURED", target)
    replayed = LambdaProfile("Plan", 384, PerRegion(1.0, 0.5), PerRegion(0.2, 0.1), PerRegion(0.05), PerRegion(0.7))

    section = measured.lambda_section({"Plan": replayed}, "2027-01-02", "2 CPUs")
    written = measured.write(**{"lambda": section})

    assert written["https"] == shipped()["https"]  # the other sections kept
    kept = shipped()["lambda"]["profiles"]["ReconcileRegion"]
    assert written["lambda"]["profiles"]["ReconcileRegion"] == kept  # not replayed: kept
    assert measured_profile(read_measured(target.read_text(encoding="utf-8")), "Plan", 384) == replayed
    with pytest.raises(jsonschema.ValidationError):
        measured.write(check={"measured_at": "2027-01-02", "reads_per_region": 2})  # services_per_region missing
    assert json.loads(target.read_text(encoding="utf-8")) == written  # a refused section never reaches the file
