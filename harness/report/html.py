"""HTML report: one self-contained file (inline CSS and SVG, no script, nothing fetched).

It lays out the dict from `json_report.to_dict`; it decides nothing about what to show. Every
string that comes from data (model names, prompts, answers, notes) goes through `esc`, so an
answer containing markup shows as text. The page also forbids every fetch with a
Content-Security-Policy, so a mistake here could not phone home either.
"""

from __future__ import annotations

from typing import Any

from harness.analysis import Analysis
from harness.report import json_report
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
from harness.report.plots import esc, figures

TRUNCATE = 700  # characters of an answer shown before "show all"

CSS = """
body{font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1b1b;
max-width:1200px;margin:0 auto;padding:16px 24px;background:#fff}
h1{font-size:1.6em;margin:.2em 0}h2{border-bottom:2px solid #e3e7ee;padding-bottom:4px;margin-top:2em}
table{border-collapse:collapse;margin:8px 0 16px;font-size:14px}
th,td{border:1px solid #d6dbe3;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f2f4f8}td.num{text-align:right;font-variant-numeric:tabular-nums}
.distilled{color:#fff;background:#c0392b}.related{background:#f5d76e}
.not-distilled{color:#fff;background:#2e8b57}.inconclusive{background:#d5dbe3}
.badge{padding:1px 8px;border-radius:10px;font-weight:600;white-space:nowrap}
.answers{display:grid;grid-template-columns:repeat(3,minmax(0,1fr));gap:10px}
.answer{border:1px solid #d6dbe3;border-radius:6px;padding:6px 8px;background:#fafbfc;min-width:0}
.answer h4{margin:0 0 4px;font-size:13px;color:#555}
pre{white-space:pre-wrap;word-wrap:break-word;margin:0;font:13px/1.4 ui-monospace,monospace}
.prompt{background:#eef3fb;border-left:4px solid #1f4e9c;padding:6px 10px;margin:6px 0}
figure{margin:12px 0 24px;overflow-x:auto}figcaption{color:#555;font-size:13px}
.null{color:#444;font-size:13px}.muted{color:#666}.warning{background:#fff4d6;border-left:4px solid #e0a100;padding:6px 10px}details summary{cursor:pointer;color:#1f4e9c}
"""


def _badge(outcome: str) -> str:
    return f"<span class='badge {esc(outcome.replace(' ', '-'))}'>{esc(outcome)}</span>"


def _answer(title: str, text: str | None) -> str:
    if text is None:
        body = "<p class='muted'>no answer</p>"
    elif len(text) <= TRUNCATE:
        body = f"<pre>{esc(text)}</pre>"
    else:
        body = (
            f"<pre>{esc(text[:TRUNCATE])}… </pre><p class='muted'>[truncated: first {TRUNCATE} "
            f"of {len(text)} characters]</p><details><summary>show all</summary><pre>{esc(text)}</pre></details>"
        )
    return f"<div class='answer'><h4>{esc(title)}</h4>{body}</div>"


def _summary(data: dict[str, Any]) -> list[str]:
    out = [
        "<table><tr><th>suspect</th><th>verdict</th><th>p-value</th><th>similarity to "
        "reference</th><th>controls' mean</th><th>margin</th><th>effect [95% CI]</th>"
        "<th>probes</th><th>controls</th></tr>"
    ]
    for r in data["summary"]:
        nums = "".join(f"<td class='num'>{x}</td>" for x in summary_numbers(r))
        out.append(
            f"<tr><td><b>{esc(r['suspect'])}</b></td><td>{_badge(r['outcome'])}</td>{nums}"
            f"<td class='num'>{r['n_probes']}</td>"
            f"<td>{r['n_controls']}: {esc(', '.join(r['controls'])) or '—'}</td></tr>"
        )
    out.append("</table>")
    for r in data["summary"]:
        out.append(f"<p class='null'><b>{esc(r['suspect'])}</b> — {esc(r['null'])}</p>")
        if r.get("features"):
            out.append(
                f"<p class='null'>{esc(STANDING_LABEL)}: {esc(standing_text(r['features']))}</p>"
            )
        if r["notes"]:
            out.append("<ul>" + "".join(f"<li>{esc(n)}</li>" for n in r["notes"]) + "</ul>")
    return out


def _attribution(data: dict[str, Any]) -> list[str]:
    att = data.get("attribution")
    if not att:
        return []
    head = "".join(f"<th>{esc(c)}</th>" for c in ATTRIBUTION_COLUMNS)
    rows = [
        "<tr>" + "".join(f"<td>{esc(c)}</td>" for c in attribution_cells(a)) + "</tr>"
        for a in att["suspects"]
    ]
    return [
        "<h2 id='attribution'>Which candidate taught it?</h2>",
        f"<p>Candidates: {esc(', '.join(att['candidates']))}. {esc(att['rule'])}.</p>",
        f"<table><tr>{head}</tr>",
        *rows,
        "</table>",
        *(
            f"<p class='null'>{esc(STANDING_LABEL)}, per candidate — {esc(s)}</p>"
            for s in attribution_standing(att)
        ),
        *(f"<p class='null'>{esc(n)}</p>" for n in attribution_notes(att)),
    ]


def _families(data: dict[str, Any]) -> list[str]:
    out = []
    for suspect, fams in data["families"].items():
        if not fams:
            continue
        out.append(
            f"<h3>{esc(suspect)}</h3><table><tr><th>family</th><th>probes</th><th>effect "
            "[95% CI]</th><th>p</th><th>p (Holm)</th></tr>"
        )
        for f in fams:
            name = esc(f["family"]) + (" <i>(origin control)</i>" if f["origin_control"] else "")
            out.append(
                f"<tr><td>{name}</td><td class='num'>{f['n']}</td><td class='num'>"
                f"{fmt_num(f['effect'], '+.3f')} [{fmt_num(f['ci'][0], '+.3f')}, "
                f"{fmt_num(f['ci'][1], '+.3f')}]</td><td class='num'>{fmt_p(f['p'])}</td>"
                f"<td class='num'>{fmt_p(f['p_holm'])}</td></tr>"
            )
        out.append("</table>")
    return out


def _evidence(data: dict[str, Any]) -> list[str]:
    out = []
    ref = data["reference"]
    for ev in data["evidence"]:
        out.append(f"<h3>{esc(ev['suspect'])}</h3>")
        if not ev["probes"]:
            out.append("<p class='muted'>no probe stands out</p>")
        for i, p in enumerate(ev["probes"], 1):
            out.append(
                f"<h4>#{i} {esc(p['prompt_id'])} <span class='muted'>({esc(p['family'])}) — "
                f"similarity to reference {fmt_num(p['sim_reference'])} vs controls' mean "
                f"{fmt_num(p['controls_mean'])}, z = {fmt_num(p['z'], '+.2f')}</span></h4>"
                f"<div class='prompt'><pre>{esc(p['prompt'])}</pre></div><div class='answers'>"
                + _answer(f"reference: {ref}", p["answers"]["reference"])
                + _answer(f"suspect: {ev['suspect']}", p["answers"]["suspect"])
                + _answer(f"control: {ev['control_shown'] or '—'}", p["answers"]["control"])
                + "</div>"
            )
    return out


def _manifest(data: dict[str, Any]) -> list[str]:
    run = data["run"]
    out = [
        "<table>",
        *(
            f"<tr><th>{k}</th><td>{esc(run.get(k))}</td></tr>"
            for k in ("run_id", "harness_version", "python", "started_at", "finished_at")
            + ("status", "seed")
        ),
        f"<tr><th>probes</th><td>{esc(run.get('probes'))}</td></tr></table>",
        "<h3>Suites</h3><table><tr><th>suite</th><th>family</th><th>version</th><th>probes "
        "used</th><th>sha256</th></tr>",
    ]
    for s in run["suites"]:
        out.append(
            f"<tr><td>{esc(s.get('name'))}</td><td>{esc(s.get('family'))}</td>"
            f"<td>{esc(s.get('version'))}</td><td class='num'>{esc(s.get('probes_used'))}</td>"
            f"<td><code>{esc(s.get('hash'))}</code></td></tr>"
        )
    out.append(
        "</table><h3>Endpoints</h3><table><tr><th>name</th><th>identity</th><th>model "
        "reported</th><th>requests</th><th>new / reused answers</th><th>failed</th>"
        "<th>tokens in / out</th><th>cost</th></tr>"
    )
    for name, e in run["endpoints"].items():
        out.append(
            f"<tr><td>{esc(name)}</td><td><code>{esc(e['identity'])}</code></td>"
            f"<td>{esc(e['model_reported'] or '—')}</td><td class='num'>{esc(e['requests'])}</td>"
            f"<td class='num'>{esc(e['answers_new'])} / {esc(e['answers_reused'])}</td>"
            f"<td class='num'>{esc(e['failed'])}</td>"
            f"<td class='num'>{esc(e['prompt_tokens'])} / {esc(e['completion_tokens'])}</td>"
            f"<td class='num'>{esc(e['cost'])}</td></tr>"
        )
    t = run["totals"]
    out.append(
        f"<tr><th colspan='3'>total</th><td class='num'>{esc(t['requests'])}</td><td></td>"
        f"<td></td><td class='num'>{esc(t['prompt_tokens'])} / {esc(t['completion_tokens'])}"
        f"</td><td class='num'>{esc(t['cost'])}</td></tr></table>"
    )
    return out


def render_dict(data: dict[str, Any]) -> str:
    ref = data["reference"]
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; img-src data:\">",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>fingerprint report — {esc(data['run_id'])}</title><style>{CSS}</style></head>",
        "<body>",
        f"<h1>Was it distilled from <span style='color:#1f4e9c'>{esc(ref)}</span>?</h1>",
        f"<p class='muted'>run <code>{esc(data['run_id'])}</code> · {esc(data['generated_by'])}"
        f" · generated {esc(data['generated_at'])}</p>",
        *[f"<p class='warning'><b>Warning:</b> {esc(w)}</p>" for w in data.get("warnings", [])],
        "<h2 id='verdicts'>Verdicts</h2>",
        *_summary(data),
        f"<p class='null'>Verdict rule: {esc(data['decision_rule'])}</p>",
    ]
    if retry := data["retryable_failures"]:
        parts.append(
            f"<p><b>{retry} sample(s) failed</b> and were left out; run again to retry them.</p>"
        )
    parts += _attribution(data)
    parts.append("<h2 id='plots'>Plots</h2>")
    for slug, caption, svg in figures(data):
        parts.append(
            f"<figure id='fig-{esc(slug)}'>{svg}<figcaption>{esc(caption)}</figcaption></figure>"
        )
    parts += ["<h2 id='families'>Evidence by probe family</h2>", *_families(data)]
    parts += [
        "<h2 id='probes'>Most telling probes</h2><p class='muted'>Probes where the suspect's "
        "answer is most similar to the reference's compared with the controls (z = excess over "
        "the controls' mean in control standard deviations). The control shown is the panel "
        "member closest to the reference overall.</p>",
        *_evidence(data),
    ]
    parts += ["<h2 id='manifest'>Run manifest</h2>", *_manifest(data), "</body></html>"]
    return "\n".join(parts) + "\n"


def render(analysis: Analysis) -> str:
    return render_dict(json_report.to_dict(analysis))
