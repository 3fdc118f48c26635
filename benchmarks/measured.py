"""The measured figures the cost model reads, as data: `layers/core/p2p_core/cost/measured_usage.json`.

The layer ships the file and reads it (p2p_core/cost/usage.py); the benchmark writes it, each section with the
date it was measured: `lambda` and `item_bytes` (benchmarks/costs.py: the replayed check), `https`
(benchmarks/tls.py) and `check` (benchmarks/run.py: a no-op run's reads). `SCHEMA` is what the file must be
(tests/unit/test_measured_usage.py checks the shipped one); a section is only ever written whole and validated.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema

MEASURED = Path(__file__).resolve().parents[1] / "layers" / "core" / "p2p_core" / "cost" / "measured_usage.json"
FUNCTIONS = ("Plan", "Finalize", "ReconcileRegion")
FIGURES = ("init", "cold_cpu", "warm_cpu", "wait")

_SECONDS = {"type": "number", "minimum": 0}
_DATE = {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}
_LINE = {  # a figure growing with the regions a run checks: base + per_region x regions
    "type": "object",
    "properties": {"base": {"type": "number"}, "per_region": {"type": "number"}},
    "required": ["base", "per_region"],
    "additionalProperties": False,
}
_PROFILE = {
    "type": "object",
    "properties": {name: _LINE for name in FIGURES},
    "required": list(FIGURES),
    "additionalProperties": False,
}
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "about": {"type": "string"},
        "lambda": {
            "type": "object",
            "properties": {
                "measured_at": _DATE,
                "machine": {"type": "string"},
                "profiles": {
                    "type": "object",
                    "properties": {name: _PROFILE for name in FUNCTIONS},
                    "required": list(FUNCTIONS),
                    "additionalProperties": False,
                },
            },
            "required": ["measured_at", "machine", "profiles"],
            "additionalProperties": False,
        },
        "item_bytes": {
            "type": "object",
            "properties": {name: _LINE for name in ("config", "quota", "status", "verified")},
            "required": ["config", "quota", "status"],
            "additionalProperties": False,
        },
        "https": {
            "type": "object",
            "properties": {
                "measured_at": _DATE,
                "cpu_seconds_per_new_connection": _SECONDS,
                "cpu_seconds_per_call": _SECONDS,
            },
            "required": ["measured_at", "cpu_seconds_per_new_connection", "cpu_seconds_per_call"],
            "additionalProperties": False,
        },
        "check": {
            "type": "object",
            "properties": {
                "measured_at": _DATE,
                "reads_per_region": {"type": "integer", "minimum": 1},
                "services_per_region": {"type": "integer", "minimum": 1},
            },
            "required": ["measured_at", "reads_per_region", "services_per_region"],
            "additionalProperties": False,
        },
    },
    "required": ["about", "lambda", "item_bytes", "https", "check"],
    "additionalProperties": False,
}


def validate(figures: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError (naming the field) unless `figures` is what `SCHEMA` says."""
    jsonschema.validate(figures, SCHEMA)


def write(**sections: dict[str, Any]) -> dict[str, Any]:
    """Replace the named sections of the measured file (the others kept), validate, write; the new figures."""
    figures: dict[str, Any] = json.loads(MEASURED.read_text(encoding="utf-8"))
    figures.update(sections)
    validate(figures)
    MEASURED.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
    return figures


def line(figure: Any) -> dict[str, float]:
    """A PerRegion as the file holds it."""
    return {"base": float(figure.base), "per_region": float(figure.per_region)}


def lambda_section(profiles: dict[str, Any], measured_at: str, machine: str) -> dict[str, Any]:
    """The `lambda` section: the replayed functions' profiles (`LambdaProfile`s by name); a function the check did
    not replay (ReconcileRegion: its emulator wall time, by hand) keeps the file's figures."""
    kept = json.loads(MEASURED.read_text(encoding="utf-8"))["lambda"]["profiles"]
    replayed = {name: {key: line(getattr(p, key)) for key in FIGURES} for name, p in profiles.items()}
    return {"measured_at": measured_at, "machine": machine, "profiles": {**kept, **replayed}}
