"""The terminal face of an Analysis: verdict table first, then per-family evidence."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from harness.analysis import Analysis

_STYLE = {"distilled": "bold red", "related": "yellow", "not distilled": "green"}


def fmt_p(p: float | None) -> str:
    if p is None:
        return "—"
    return f"{p:.2g}" if p >= 1e-4 else f"{p:.1e}"


def print_analysis(analysis: Analysis, console: Console) -> None:
    table = Table(
        title=f"Suspects against reference [bold]{analysis.reference}[/]", title_justify="left"
    )
    for col in ("suspect", "verdict", "p-value", "effect [95% CI]", "probes", "controls"):
        table.add_column(col, justify="right" if col in ("p-value", "probes") else "left")
    for v in analysis.verdicts:
        lo, hi = v.effect_ci
        table.add_row(
            v.suspect,
            f"[{_STYLE.get(v.outcome, 'cyan')}]{v.outcome}[/]",
            fmt_p(v.p_value),
            f"{v.effect:+.3f} [{lo:+.3f}, {hi:+.3f}]",
            str(v.n_probes),
            ", ".join(analysis.controls_of.get(v.suspect, [])) or "—",
        )
    console.print(table)
    for v in analysis.verdicts:
        console.print(f"[bold]{v.suspect}[/]: {v.null}")
        for note in v.notes:
            console.print(f"  • {note}")
        if v.families:
            fam = Table(show_header=True, box=None, padding=(0, 2))
            for col in ("family", "probes", "effect", "p", "p (Holm)"):
                fam.add_column(col)
            for f in v.families:
                fam.add_row(f.family, str(f.n), f"{f.effect:+.3f}", fmt_p(f.p), fmt_p(f.p_holm))
            console.print(fam)
    if analysis.failures:
        console.print(
            f"[yellow]{len(analysis.failures)} sample(s) failed and were left out; "
            "run again to retry them.[/]"
        )
