"""Number formatting shared by the console, Markdown and HTML reports, so they print alike."""

from __future__ import annotations

from typing import Any


def fmt_p(p: float | None) -> str:
    """A p-value: two significant digits, scientific below 1e-4, a dash when missing or NaN."""
    if p is None or p != p:
        return "—"
    return f"{p:.2g}" if p >= 1e-4 else f"{p:.1e}"


def fmt_num(x: Any, spec: str = ".3f") -> str:
    """A number in `spec`, a dash when missing."""
    return "—" if x is None else format(x, spec)


def summary_numbers(r: dict[str, Any]) -> list[str]:
    """The numeric cells of one summary row (report.json `summary`), in column order:
    p-value, similarity to the reference, controls' mean, margin, effect [95% CI]."""
    lo, hi = r["effect_ci"]
    return [
        fmt_p(r["p_value"]),
        fmt_num(r["sim_reference"]),
        fmt_num(r["controls_sim"]),
        fmt_num(r["margin"], "+.3f"),
        f"{fmt_num(r['effect'], '+.3f')} [{fmt_num(lo, '+.3f')}, {fmt_num(hi, '+.3f')}]",
    ]


ATTRIBUTION_COLUMNS = (
    "suspect",
    "attributed to",
    "leading candidate",
    "p (closer than controls)",
    "p (beats the others, Holm)",
)


def attribution_cells(a: dict[str, Any]) -> list[str]:
    """One report.json `attribution.suspects` row in ATTRIBUTION_COLUMNS order."""
    lead = a["leading"]
    versus = [v for v in a["versus"].values() if v is not None]
    return [
        a["suspect"],
        a["teacher"] or ("no single teacher" if lead else "not tested"),
        lead or "—",
        fmt_p(a["p_values"].get(lead)) if lead else "—",
        fmt_p(max(versus)) if versus else "—",
    ]


STANDING_LABEL = "feature standing (suspect vs controls, in the controls' sds)"


def standing_text(features: dict[str, Any]) -> str:
    """`char4 +2.2 · word2 +1.9 · layout +2.5`: which features carry a score."""
    cells = [f"{f} {v:+.1f}" for f, v in features.items() if v is not None]
    return " · ".join(cells) or "—"


def attribution_standing(att: dict[str, Any]) -> list[str]:
    """Per suspect, its feature standing against each candidate, one line each: which
    features point to which candidate, where the table gives only their sum."""
    return [
        f"{a['suspect']}: "
        + "; ".join(f"{c}: {standing_text(fs)}" for c, fs in a["features"].items())
        for a in att["suspects"]
        if a.get("features")
    ]


def attribution_notes(att: dict[str, Any]) -> list[str]:
    """The attribution's notes as `suspect: note` lines for under the table: why nobody was
    named, or was not tested (too few controls, a candidate without answers)."""
    return [f"{a['suspect']}: {n}" for a in att["suspects"] for n in a["notes"]]
