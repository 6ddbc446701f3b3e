"""Markdown report: the same content as the HTML, as tables plus SVG plots linked as files.

Fit for a pull request or a paper appendix. Cells are escaped (pipes, newlines, HTML-looking
text), answers are truncated, saying how much of how much is shown; the JSON report keeps full texts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from harness.report.fmt import (
    ATTRIBUTION_COLUMNS,
    STANDING_LABEL,
    attribution_cells,
    attribution_notes,
    attribution_standing,
    fmt_num,
    fmt_p,
    standing_text,
    summary_numbers,
)
from harness.report.plots import figures

TRUNCATE = 400
PLOTS_DIR = "plots"


def cell(value: Any, limit: int | None = None) -> str:
    """One table cell: no raw pipes, newlines or tags can break the table or inject markup."""
    text = "—" if value is None else str(value)
    suffix = ""
    if limit is not None and len(text) > limit:
        suffix = f" … [truncated: first {limit} of {len(text)} characters]"
        text = text[:limit]
    text = (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("|", "\\|")
        .replace("`", "\\`")
        .replace("\r", "")
        .replace("\n", "<br>")
    )
    return text + suffix


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def render_dict(data: dict[str, Any], plot_links: dict[str, str] | None = None) -> str:
    """`plot_links` maps a figure slug to the relative path its SVG was written to."""
    plot_links = plot_links or {}
    ref = cell(data["reference"])
    lines = [
        f"# Was it distilled from {ref}?",
        "",
        f"Run `{cell(data['run_id'])}` · {cell(data['generated_by'])} · generated "
        f"{cell(data['generated_at'])}",
        "",
        *[f"> **Warning:** {cell(w)}" for w in data.get("warnings", [])],
        *([""] if data.get("warnings") else []),
        "## Verdicts",
        "",
        _row(
            "suspect",
            "verdict",
            "p-value",
            "similarity to reference",
            "controls' mean",
            "margin",
            "effect [95% CI]",
            "probes",
            "controls",
        ),
        _row(*["---"] * 9),
    ]
    for r in data["summary"]:
        lines.append(
            _row(
                f"**{cell(r['suspect'])}**",
                f"**{cell(r['outcome'])}**",
                *summary_numbers(r),
                str(r["n_probes"]),
                f"{r['n_controls']}: " + cell(", ".join(r["controls"])),
            )
        )
    lines += ["", f"Verdict rule: {cell(data['decision_rule'])}", ""]
    for r in data["summary"]:
        lines.append(f"- **{cell(r['suspect'])}**: {cell(r['null'])}")
        if r.get("features"):
            lines.append(f"  - {STANDING_LABEL}: {cell(standing_text(r['features']))}")
        lines += [f"  - {cell(n)}" for n in r["notes"]]
    if retry := data["retryable_failures"]:
        lines += ["", f"**{retry} sample(s) failed** and were left out; run again to retry them."]
    if data.get("attribution"):
        att = data["attribution"]
        lines += ["", "## Which candidate taught it?", ""]
        lines += [f"Candidates: {cell(', '.join(att['candidates']))}. {cell(att['rule'])}.", ""]
        lines += [_row(*ATTRIBUTION_COLUMNS), _row(*["---"] * len(ATTRIBUTION_COLUMNS))]
        lines += [_row(*(cell(c) for c in attribution_cells(a))) for a in att["suspects"]]
        if standing := attribution_standing(att):
            lines += ["", f"{cell(STANDING_LABEL)}, per candidate:", ""]
            lines += [f"- {cell(s)}" for s in standing]
        if notes := attribution_notes(att):
            lines += ["", *(f"- {cell(n)}" for n in notes)]
    lines += ["", "## Plots", ""]
    for slug, caption, _svg in figures(data):
        if slug in plot_links:
            lines += [f"![{cell(caption)}]({plot_links[slug]})", "", f"*{cell(caption)}*", ""]
    lines += ["## Evidence by probe family", ""]
    for suspect, fams in data["families"].items():
        if not fams:
            continue
        lines += [
            f"### {cell(suspect)}",
            "",
            _row("family", "probes", "effect [95% CI]", "p", "p (Holm)"),
            _row(*["---"] * 5),
        ]
        for f in fams:
            lines.append(
                _row(
                    cell(f["family"]) + (" *(origin control)*" if f["origin_control"] else ""),
                    str(f["n"]),
                    f"{fmt_num(f['effect'], '+.3f')} [{fmt_num(f['ci'][0], '+.3f')}, "
                    f"{fmt_num(f['ci'][1], '+.3f')}]",
                    fmt_p(f["p"]),
                    fmt_p(f["p_holm"]),
                )
            )
        lines.append("")
    lines += ["## Most telling probes", ""]
    for ev in data["evidence"]:
        lines += [
            f"### {cell(ev['suspect'])}",
            "",
            _row(
                "probe",
                "prompt",
                f"reference: {ref}",
                f"suspect: {cell(ev['suspect'])}",
                f"control: {cell(ev['control_shown'])}",
                "sim / controls / z",
            ),
            _row(*["---"] * 6),
        ]
        for p in ev["probes"]:
            a = p["answers"]
            lines.append(
                _row(
                    f"{cell(p['prompt_id'])} ({cell(p['family'])})",
                    cell(p["prompt"], TRUNCATE),
                    cell(a["reference"], TRUNCATE),
                    cell(a["suspect"], TRUNCATE),
                    cell(a["control"], TRUNCATE),
                    f"{fmt_num(p['sim_reference'])} / {fmt_num(p['controls_mean'])} / {fmt_num(p['z'], '+.2f')}",
                )
            )
        lines.append("")
    run = data["run"]
    lines += ["## Run manifest", "", _row("field", "value"), _row("---", "---")]
    for k in ("run_id", "harness_version", "python", "started_at", "finished_at", "status"):
        lines.append(_row(k, cell(run.get(k))))
    lines += [_row("seed", cell(run.get("seed"))), _row("probes", cell(run.get("probes"))), ""]
    lines += [_row("suite", "family", "version", "probes used", "sha256"), _row(*["---"] * 5)]
    for s in run["suites"]:
        lines.append(
            _row(
                cell(s.get("name")),
                cell(s.get("family")),
                cell(s.get("version")),
                cell(s.get("probes_used")),
                f"`{cell(s.get('hash'))}`",
            )
        )
    lines += [
        "",
        _row(
            "endpoint", "identity", "requests", "new / reused", "failed", "tokens in / out", "cost"
        ),
        _row(*["---"] * 7),
    ]
    for name, e in run["endpoints"].items():
        lines.append(
            _row(
                cell(name),
                f"`{cell(e['identity'])}`",
                cell(e["requests"]),
                f"{cell(e['answers_new'])} / {cell(e['answers_reused'])}",
                cell(e["failed"]),
                f"{cell(e['prompt_tokens'])} / {cell(e['completion_tokens'])}",
                cell(e["cost"]),
            )
        )
    t = run["totals"]
    lines.append(
        _row(
            "**total**",
            "",
            cell(t["requests"]),
            "",
            "",
            f"{t['prompt_tokens']} / {t['completion_tokens']}",
            cell(t["cost"]),
        )
    )
    return "\n".join(lines) + "\n"


def write(data: dict[str, Any], directory: Path) -> Path:
    """Write report.md and its plots/*.svg into `directory`; returns report.md's path."""
    plots = Path(directory) / PLOTS_DIR
    plots.mkdir(parents=True, exist_ok=True)
    links = {}
    for slug, _caption, svg in figures(data):
        (plots / f"{slug}.svg").write_text(svg, encoding="utf-8")
        links[slug] = f"{PLOTS_DIR}/{slug}.svg"
    path = Path(directory) / "report.md"
    path.write_text(render_dict(data, links), encoding="utf-8")
    return path
