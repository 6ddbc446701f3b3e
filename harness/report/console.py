"""The terminal face of an Analysis: verdict table first, then per-family evidence.

The numbers come from `json_report.summary_row`, the same selection the file reports use, so
the terminal never shows a different similarity or margin than report.html.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from harness.analysis import Analysis
from harness.report.fmt import (
    ATTRIBUTION_COLUMNS,
    STANDING_LABEL,
    attribution_cells,
    attribution_notes,
    attribution_standing,
    fmt_p,
    standing_text,
    summary_numbers,
)

_STYLE = {"distilled": "bold red", "related": "yellow", "not distilled": "green"}


def print_analysis(analysis: Analysis, console: Console) -> None:
    from harness.report.json_report import decision_rule, sim_to_reference, summary_row

    sim_ref = sim_to_reference(analysis)
    for w in analysis.warnings:
        console.print(f"[bold yellow]warning:[/] {escape(w)}")
    table = Table(
        title=f"Suspects against reference [bold]{analysis.reference}[/]", title_justify="left"
    )
    cols = (
        "suspect",
        "verdict",
        "p-value",
        "sim. to ref.",
        "controls' mean",
        "margin",
        "effect [95% CI]",
        "probes",
        "controls",
    )
    for col in cols:
        table.add_column(
            col, justify="left" if col in ("suspect", "verdict", "controls") else "right"
        )
    rows = [summary_row(analysis, v, sim_ref) for v in analysis.verdicts]
    for r in rows:
        table.add_row(
            Text(r["suspect"]),
            Text(r["outcome"], style=_STYLE.get(r["outcome"], "cyan")),
            *summary_numbers(r),
            str(r["n_probes"]),
            str(r["n_controls"]),
        )
    console.print(table)
    console.print(f"[dim]Verdict rule: {escape(decision_rule(analysis.alpha))}[/]")
    _print_attribution(analysis, console)
    for v in analysis.verdicts:
        panel = ", ".join(analysis.controls_of.get(v.suspect, [])) or "none"
        console.print(Text(v.suspect, style="bold") + Text(f": {v.null}"))
        console.print(Text(f"  controls: {panel}", style="dim"))
        if v.features:
            console.print(Text(f"  {STANDING_LABEL}: {standing_text(v.features)}", style="dim"))
        for note in v.notes:
            console.print(Text(f"  • {note}"))
        if v.families:
            fam = Table(show_header=True, box=None, padding=(0, 2))
            for col in ("family", "probes", "effect [95% CI]", "p", "p (Holm)"):
                fam.add_column(col)
            for f in v.families:
                fam.add_row(
                    Text(f.family),
                    str(f.n),
                    f"{f.effect:+.3f} [{f.ci[0]:+.3f}, {f.ci[1]:+.3f}]",
                    fmt_p(f.p),
                    fmt_p(f.p_holm),
                )
            console.print(fam)
    if analysis.retryable_failures:
        console.print(
            f"[yellow]{analysis.retryable_failures} sample(s) failed and were left out; "
            "run again to retry them.[/]"
        )


def _print_attribution(analysis: Analysis, console: Console) -> None:
    from harness.report.json_report import attribution

    data = attribution(analysis)
    if data is None:
        return
    table = Table(
        title="Which candidate taught it? " + ", ".join(data["candidates"]), title_justify="left"
    )
    for col in ATTRIBUTION_COLUMNS:
        table.add_column(col, justify="right" if col.startswith("p ") else "left")
    for a in data["suspects"]:
        table.add_row(*attribution_cells(a))
    console.print(table)
    console.print(Text(f"  {data['rule']}", style="dim"))
    for line in attribution_standing(data):
        console.print(Text(f"  {STANDING_LABEL}, per candidate — {line}", style="dim"))
    for note in attribution_notes(data):
        console.print(Text(f"  • {note}"))
