"""Reports: the same Analysis rendered for a terminal, a browser, a pull request or a machine."""

from __future__ import annotations

from pathlib import Path

from harness.analysis import Analysis

FORMATS = ("json",)


def write_reports(
    analysis: Analysis, directory: Path, formats: tuple[str, ...] = FORMATS
) -> list[Path]:
    """Write each requested format as report.<ext> in `directory`; returns the paths."""
    from harness.report import json_report

    renderers = {"json": ("report.json", json_report.render)}
    written = []
    for fmt in formats:
        name, render = renderers[fmt]
        path = Path(directory) / name
        path.write_text(render(analysis), encoding="utf-8")
        written.append(path)
    return written
