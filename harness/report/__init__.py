"""Reports: the same Analysis rendered for a terminal, a browser, a pull request or a machine.

`json_report.to_dict` is computed once per call and every file format is laid out from it, so
report.html, report.md and report.json always agree.
"""

from __future__ import annotations

from pathlib import Path

from harness.analysis import Analysis
from harness.errors import InputError

FORMATS = ("html", "md", "json")


def parse_formats(values: list[str] | None) -> tuple[str, ...]:
    """`--format html --format md,json` -> ("html", "md", "json"); unknown names are input errors."""
    if not values:
        return FORMATS
    out: list[str] = []
    for value in values:
        for name in (v.strip().lower() for v in value.split(",")):
            if not name:
                continue
            name = {"markdown": "md", "htm": "html"}.get(name, name)
            if name not in FORMATS:
                raise InputError(f"--format: unknown format {name!r} (known: {', '.join(FORMATS)})")
            if name not in out:
                out.append(name)
    return tuple(out) or FORMATS


def write_reports(
    analysis: Analysis, directory: Path, formats: tuple[str, ...] = FORMATS
) -> list[Path]:
    """Write each requested format as report.<ext> in `directory`; returns the paths."""
    from harness.report import html, json_report, markdown

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    data = json_report.to_dict(analysis)
    written = []
    for fmt in formats:
        if fmt == "html":
            path = directory / "report.html"
            path.write_text(html.render_dict(data), encoding="utf-8")
        elif fmt == "md":
            path = markdown.write(data, directory)
        elif fmt == "json":
            path = directory / "report.json"
            path.write_text(json_report.render_dict(data), encoding="utf-8")
        else:
            raise InputError(f"unknown report format {fmt!r} (known: {', '.join(FORMATS)})")
        written.append(path)
    return written
