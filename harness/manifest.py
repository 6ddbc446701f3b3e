"""The run directory and its manifest: what was asked, of whom, with which suites and seeds.

`manifest.json` is rewritten at the start and the end of a run, so even a killed run leaves a
record of what it was doing; the store beside it holds the answers themselves.
"""

from __future__ import annotations

import json
import os
import platform
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness import __version__
from harness.errors import InputError

MANIFEST = "manifest.json"
STORE = "store.sqlite"


@dataclass(frozen=True)
class RunDir:
    path: Path

    @property
    def store_path(self) -> Path:
        return self.path / STORE

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    def read_manifest(self) -> dict[str, Any]:
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"{self.path}: not a run directory (no {MANIFEST})") from None
        except ValueError as exc:
            raise InputError(f"{self.manifest_path}: unreadable manifest ({exc})") from None

    def write_manifest(self, data: dict[str, Any]) -> None:
        """Atomic write: a crash mid-write leaves the previous manifest, never half a file."""
        self.path.mkdir(parents=True, exist_ok=True)
        tmp = self.manifest_path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")
        os.replace(tmp, self.manifest_path)


def run_identities(manifest: dict[str, Any]) -> dict[str, str]:
    """Endpoint -> the identity its answers carry in the store, as this run recorded it.

    `identities` is written at the start of a run; manifests from before it have the same
    value per endpoint in `endpoints` (end of a run), and an empty result reads every row.
    """
    if isinstance(manifest.get("identities"), dict):
        return dict(manifest["identities"])
    endpoints = manifest.get("endpoints")
    if not isinstance(endpoints, dict):
        return {}
    return {
        n: e["identity"] for n, e in endpoints.items() if isinstance(e, dict) and e.get("identity")
    }


def new_manifest(
    run_id: str, config: dict[str, Any], suites: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        "run_id": run_id,
        "harness_version": __version__,
        "python": platform.python_version(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "finished_at": None,
        "status": "running",
        "suites": suites,
        "config": config,
    }
