"""Tiny probe suites for tests that need a real run but not the shipped suites."""

from __future__ import annotations

from pathlib import Path

import yaml

_EXPECT = {"task": "write", "length": "short"}


def mini_suite(probes: list[tuple[str, str, dict]], description: str = "tiny test suite") -> dict:
    """A valid one-family ("style") suite from (probe id, user prompt, sampling) triples."""
    return {
        "suite": "mini",
        "version": "0.1.0",
        "family": "style",
        "description": description,
        "probes": [
            {"id": pid, "language": "en", "user": user, "expect": _EXPECT, "sampling": sampling}
            for pid, user, sampling in probes
        ],
    }


def write_suite(probes_dir: Path, suite: dict) -> Path:
    """Write `suite` as `probes_dir/mini.yaml` (creating the directory); returns the directory."""
    probes_dir.mkdir(parents=True, exist_ok=True)
    (probes_dir / "mini.yaml").write_text(yaml.safe_dump(suite))
    return probes_dir
