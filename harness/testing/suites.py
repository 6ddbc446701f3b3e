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


def write_run_config(
    tmp_path: Path, suite: dict, endpoints: dict[str, dict], name: str = "t", **extra
) -> Path:
    """`tmp_path/run.yaml` over `suite` (written to `tmp_path/probes`): the first endpoint is
    the reference, the others suspects; `extra` adds top-level keys (seed, logprobs, ...)."""
    probes_dir = write_suite(tmp_path / "probes", suite)
    names = list(endpoints)
    cfg = {
        "name": name,
        "reference": names[0],
        "suspects": names[1:],
        "endpoints": endpoints,
        "probes": {"selection": "full", "dir": str(probes_dir)},
        **extra,
    }
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path
