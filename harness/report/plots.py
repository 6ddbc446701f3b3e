"""SVG plots as plain strings: no plotting library, no JavaScript, nothing fetched when opened.

Hand-written SVG keeps the HTML report one self-contained file and lets the Markdown report link
the very same pictures. Every label that comes from data goes through `esc`.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np

FONT = "font-family='system-ui,-apple-system,Segoe UI,Roboto,sans-serif'"
ROLE_COLOUR = {"reference": "#1f4e9c", "suspect": "#c0392b", "control": "#5d6d7e"}


def esc(text: object) -> str:
    return escape(str(text), quote=True)


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (
        f"<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 {width:.0f} {height:.0f}' "
        f"width='{width:.0f}' height='{height:.0f}' role='img' {FONT} font-size='12'>"
        f"<title>{esc(title)}</title>" + "".join(body) + "</svg>"
    )


def _short(name: str, n: int = 22) -> str:
    return name if len(name) <= n else name[: n - 1] + "…"


def _blue(x: float, lo: float, hi: float) -> str:
    """White (lo) to dark blue (hi); grey for missing values."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "#dddddd"
    t = 0.0 if hi <= lo else min(1.0, max(0.0, (x - lo) / (hi - lo)))
    r, g, b = (round(255 + t * (c - 255)) for c in (8, 48, 107))
    return f"rgb({r},{g},{b})"


def heatmap(models: list[str], matrix: list[list[float | None]], roles: dict[str, str]) -> str:
    """Pairwise answer similarity; the diagonal is left blank (a model against itself)."""
    n = len(models)
    cell = max(14, min(40, 520 // max(n, 1)))
    longest = max((len(_short(m)) for m in models), default=4)
    left, top = 16 + 7 * longest, 16 + 6 * longest
    off = [
        v
        for i, row in enumerate(matrix)
        for j, v in enumerate(row)
        if i != j and v is not None and not math.isnan(v)
    ]
    lo, hi = (min(off), max(off)) if off else (0.0, 1.0)
    body = []
    for i, m in enumerate(models):
        colour = ROLE_COLOUR.get(roles.get(m, "control"), "#333")
        y = top + i * cell + cell / 2 + 4
        body.append(
            f"<text x='{left - 6}' y='{y:.1f}' text-anchor='end' fill='{colour}'>"
            f"{esc(_short(m))}</text>"
        )
        x = left + i * cell + cell / 2
        body.append(
            f"<text transform='translate({x + 4:.1f},{top - 6}) rotate(-60)' fill='{colour}'>"
            f"{esc(_short(m))}</text>"
        )
        for j, v in enumerate(matrix[i]):
            fill = "#ffffff" if i == j else _blue(v, lo, hi)
            label = "" if v is None else f"{v:.3f}"
            body.append(
                f"<rect x='{left + j * cell}' y='{top + i * cell}' width='{cell}' height='{cell}' "
                f"fill='{fill}' stroke='#fff'><title>{esc(m)} × {esc(models[j])}: {label}</title>"
                "</rect>"
            )
            if cell >= 34 and i != j and v is not None:
                ink = "#fff" if hi > lo and (v - lo) / (hi - lo) > 0.55 else "#222"
                body.append(
                    f"<text x='{left + j * cell + cell / 2:.1f}' y='{top + i * cell + cell / 2 + 4:.1f}' "
                    f"text-anchor='middle' font-size='10' fill='{ink}'>{v:.2f}</text>"
                )
    legend_y = top + n * cell + 24
    body.append(
        f"<text x='{left}' y='{legend_y}'>similarity (char 4-gram cosine): "
        f"light {lo:.3f} → dark {hi:.3f}</text>"
    )
    return _svg(
        max(left + n * cell + 20, left + 400),
        legend_y + 12,
        body,
        "similarity heatmap of all models",
    )


def forest(rows: list[dict], title: str, zero_label: str = "no difference") -> str:
    """Effects with confidence intervals, one row each: {label, effect, lo, hi, note}."""
    vals = [v for r in rows for v in (r["effect"], r["lo"], r["hi"]) if _finite(v)]
    if not vals:
        vals = [0.0]
    lo, hi = min(0.0, *vals), max(0.0, *vals)
    pad = (hi - lo) * 0.08 or 0.01
    lo, hi = lo - pad, hi + pad
    left, width, row_h, top = 210, 360, 24, 28
    height = top + row_h * len(rows) + 34

    def x(v: float) -> float:
        return left + (v - lo) / (hi - lo) * width

    body = [
        f"<text x='{left}' y='16' font-weight='600'>{esc(title)}</text>",
        f"<line x1='{x(0):.1f}' y1='{top - 6}' x2='{x(0):.1f}' y2='{height - 30}' "
        "stroke='#888' stroke-dasharray='4 3'/>",
    ]
    for i, r in enumerate(rows):
        y = top + i * row_h + row_h / 2
        body.append(
            f"<text x='{left - 8}' y='{y + 4:.1f}' text-anchor='end'>{esc(_short(r['label'], 30))}</text>"
        )
        if _finite(r["lo"]) and _finite(r["hi"]):
            body.append(
                f"<line x1='{x(r['lo']):.1f}' y1='{y:.1f}' x2='{x(r['hi']):.1f}' y2='{y:.1f}' "
                "stroke='#1f4e9c' stroke-width='2'/>"
            )
        if _finite(r["effect"]):
            body.append(
                f"<circle cx='{x(r['effect']):.1f}' cy='{y:.1f}' r='4.5' fill='#1f4e9c'>"
                f"<title>{esc(r['label'])}: {r['effect']:+.4f}</title></circle>"
            )
        if r.get("note"):
            body.append(
                f"<text x='{left + width + 8}' y='{y + 4:.1f}' fill='#555'>{esc(r['note'])}</text>"
            )
    axis_y = height - 14
    body.append(
        f"<line x1='{left}' y1='{height - 30}' x2='{left + width}' y2='{height - 30}' stroke='#bbb'/>"
        f"<text x='{left}' y='{axis_y}' fill='#555'>{lo:+.3f}</text>"
        f"<text x='{left + width}' y='{axis_y}' text-anchor='end' fill='#555'>{hi:+.3f}</text>"
        f"<text x='{left - 8}' y='{axis_y}' text-anchor='end' fill='#555'>dashed line: 0 = "
        f"{esc(zero_label)}</text>"
    )
    return _svg(left + width + 200, height, body, title)


def _finite(v: object) -> bool:
    return isinstance(v, int | float) and math.isfinite(v)


def classical_mds(similarity: np.ndarray) -> np.ndarray:
    """2-D coordinates whose distances approximate 1 − similarity (Torgerson's classical MDS)."""
    s = np.array(similarity, dtype=float)
    n = len(s)
    if n < 2:
        return np.zeros((n, 2))
    s = np.where(np.isnan(s), np.nanmean(s) if np.isfinite(np.nanmean(s)) else 0.0, s)
    d = 1.0 - s
    np.fill_diagonal(d, 0.0)
    j = np.eye(n) - 1.0 / n
    b = -0.5 * j @ (d**2) @ j
    vals, vecs = np.linalg.eigh((b + b.T) / 2)
    order = np.argsort(vals)[::-1][:2]
    coords = vecs[:, order] * np.sqrt(np.clip(vals[order], 0, None))
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((n, 2 - coords.shape[1]))])
    # Fix the sign so the same data always draws the same picture.
    for k in range(2):
        if coords[np.argmax(np.abs(coords[:, k])), k] < 0:
            coords[:, k] *= -1
    return coords


def scatter_map(points: list[dict]) -> str:
    """Models placed by classical MDS: {model, x, y, role}; near means answers alike."""
    size, pad = 460, 40
    xs = [p["x"] for p in points] or [0.0]
    ys = [p["y"] for p in points] or [0.0]
    span = max(max(xs) - min(xs), max(ys) - min(ys)) or 1.0
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2

    def pos(v: float, c: float) -> float:
        return size / 2 + (v - c) / span * (size - 2 * pad)

    margin = 150  # room for labels left of points at the edge
    body = [
        f"<rect x='{margin + 0.5}' y='0.5' width='{size - 1}' height='{size - 1}' fill='none' "
        "stroke='#ccc'/>"
    ]
    # Draw the reference and suspects last so their labels sit on top.
    for p in sorted(points, key=lambda p: {"reference": 2, "suspect": 1}.get(p["role"], 0)):
        colour = ROLE_COLOUR.get(p["role"], "#333")
        px, py = margin + pos(p["x"], cx), pos(-p["y"], -cy)
        if p["role"] == "reference":
            px_label, anchor = px - 9, "end"
        else:
            px_label, anchor = px + 9, "start"
        body.append(
            f"<circle cx='{px:.1f}' cy='{py:.1f}' r='6' fill='{colour}'><title>{esc(p['model'])} "
            f"({esc(p['role'])})</title></circle>"
            f"<text x='{px_label:.1f}' y='{py + 4:.1f}' text-anchor='{anchor}' fill='{colour}'>"
            f"{esc(_short(p['model']))}</text>"
        )
    legend = "".join(
        f"<tspan fill='{c}' font-weight='600'>● {k}</tspan>  " for k, c in ROLE_COLOUR.items()
    )
    body.append(f"<text x='{margin + 8}' y='{size + 18}'>{legend}</text>")
    return _svg(
        size + 2 * margin, size + 26, body, "map of models by answer similarity (classical MDS)"
    )


def pvalue_path(looks: list[dict], alpha: float) -> str:
    """p-value after each sequential look ({probes, p}) on a log scale, with the stopping level."""
    pts = [(lk["probes"], lk["p"]) for lk in looks if _finite(lk.get("p"))]
    left, top, w, h = 60, 20, 420, 220
    if not pts:
        return _svg(w + 80, 60, ["<text x='10' y='30'>no p-values to plot</text>"], "p-values")
    max_n = max(n for n, _ in pts)
    floor = min(min(p for _, p in pts), alpha) / 10
    lmin, lmax = math.log10(max(floor, 1e-300)), 0.0

    def x(n: float) -> float:
        return left + n / max_n * w

    def y(p: float) -> float:
        return top + (lmax - math.log10(max(p, 1e-300))) / (lmax - lmin) * h

    body = [
        f"<rect x='{left}' y='{top}' width='{w}' height='{h}' fill='none' stroke='#ccc'/>",
        f"<line x1='{left}' y1='{y(alpha):.1f}' x2='{left + w}' y2='{y(alpha):.1f}' "
        "stroke='#c0392b' stroke-dasharray='5 3'/>",
        f"<text x='{left + w - 4}' y='{y(alpha) - 4:.1f}' text-anchor='end' fill='#c0392b'>"
        f"stop level {alpha:.3g}</text>",
        "<polyline fill='none' stroke='#1f4e9c' stroke-width='2' points='"
        + " ".join(f"{x(n):.1f},{y(p):.1f}" for n, p in pts)
        + "'/>",
    ]
    for n, p in pts:
        body.append(
            f"<circle cx='{x(n):.1f}' cy='{y(p):.1f}' r='3.5' fill='#1f4e9c'>"
            f"<title>{n} probes: p = {p:.3g}</title></circle>"
        )
    body.append(
        f"<text x='{left}' y='{top + h + 18}' fill='#555'>probes sent → (max {max_n}); "
        "p-value on a log scale</text>"
    )
    return _svg(w + 80, h + 50, body, "p-value against probes sent")


def figures(data: dict) -> list[tuple[str, str, str]]:
    """Every plot of a report dict (see json_report.to_dict) as (slug, caption, svg), in order.

    HTML inlines these and Markdown links them as files, so both show the same pictures.
    """
    out = []
    sim = data["similarity"]
    if len(sim["models"]) >= 2:
        out.append(
            (
                "similarity",
                "Answer similarity between every pair of models (mean over common probes). "
                "Blue names: reference; red: suspects; grey: controls.",
                heatmap(sim["models"], sim["matrix"], sim["roles"]),
            )
        )
    rows = [
        {
            "label": r["suspect"],
            "effect": r["effect"],
            "lo": r["effect_ci"][0],
            "hi": r["effect_ci"][1],
            "note": r["outcome"],
        }
        for r in data["summary"]
    ]
    if rows:
        out.append(
            (
                "effects",
                "Effect per suspect: mean excess similarity to the reference over the controls "
                "(per probe), with its 95% bootstrap CI.",
                forest(rows, "suspect − controls similarity to the reference"),
            )
        )
    for suspect, fams in data["families"].items():
        frows = [
            {
                "label": f["family"] + (" (origin control)" if f["origin_control"] else ""),
                "effect": f["effect"],
                "lo": f["ci"][0],
                "hi": f["ci"][1],
                "note": f"n={f['n']}"
                + (f", p_Holm={_p(f['p_holm'])}" if f["p_holm"] is not None else ""),
            }
            for f in fams
        ]
        if frows:
            out.append(
                (
                    f"families-{_slug(suspect)}",
                    f"Per-family evidence for {suspect}: effect with 95% CI per probe family.",
                    forest(frows, f"{suspect}: effect by probe family"),
                )
            )
    if len(data["map"]["points"]) >= 3:
        out.append(
            (
                "map",
                "Map of models: classical MDS of 1 − similarity; models close together answer "
                "alike. Distances are approximate (two dimensions).",
                scatter_map(data["map"]["points"]),
            )
        )
    for suspect, looks in data.get("sequential", {}).items():
        alpha = next((r["alpha"] for r in data["summary"] if r["suspect"] == suspect), None)
        out.append(
            (
                f"sequential-{_slug(suspect)}",
                f"Sequential test for {suspect}: p-value after each look.",
                pvalue_path(looks, alpha or 0.05),
            )
        )
    return out


def _p(p: float) -> str:
    return f"{p:.2g}" if p >= 1e-4 else f"{p:.1e}"


def _slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in name)
