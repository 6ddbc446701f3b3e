"""Machine-readable report: everything the HTML shows, under a versioned schema."""

from __future__ import annotations

import json
from typing import Any

from harness.analysis import Analysis

SCHEMA_VERSION = "1.0"


def to_dict(analysis: Analysis) -> dict[str, Any]:
    return {
        "schema_version": SCHEMA_VERSION,
        "run_id": analysis.manifest.get("run_id"),
        "reference": analysis.reference,
        "suspects": analysis.suspects,
        "controls": analysis.controls_of,
        "verdicts": [v.to_dict() for v in analysis.verdicts],
        "similarity": {
            "models": analysis.models,
            "matrix": [[round(float(x), 6) for x in row] for row in analysis.similarity],
        },
        "failures": analysis.failures,
        "manifest": analysis.manifest,
    }


def render(analysis: Analysis) -> str:
    return json.dumps(to_dict(analysis), indent=2, ensure_ascii=False) + "\n"
