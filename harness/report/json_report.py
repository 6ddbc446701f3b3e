"""Machine-readable report, and the one place that decides what every report shows.

`to_dict` selects and computes everything (summary rows, evidence probes with answers side by
side, the model map, the manifest digest); the HTML and Markdown renderers only lay this dict
out. So the three formats cannot disagree, and the JSON holds everything the HTML shows.
The schema is documented in docs/report-schema.md; bump SCHEMA_VERSION on any breaking change.
"""

from __future__ import annotations

import json
import math
import time
from typing import Any

import numpy as np

from harness import __version__
from harness.analysis import Analysis
from harness.detector.attribution import RULE as ATTRIBUTION_RULE

SCHEMA_VERSION = "2.6"
SIMILARITY_FEATURE = "char4"  # what `similarity_matrix` uses by default


def _num(x: Any) -> float | None:
    """JSON-safe float: NaN/inf become None, numpy scalars become Python floats."""
    if x is None:
        return None
    x = float(x)
    return round(x, 6) if math.isfinite(x) else None


def roles(analysis: Analysis) -> dict[str, str]:
    controls = {c for panel in analysis.controls_of.values() for c in panel}
    out = {}
    for m in analysis.models:
        if m == analysis.reference:
            out[m] = "reference"
        elif m in analysis.suspects:
            out[m] = "suspect"
        elif m in controls:
            out[m] = "control"
        elif m in analysis.candidates:
            out[m] = "candidate"
        else:
            out[m] = "other"
    return out


def sim_to_reference(analysis: Analysis) -> dict[str, float]:
    if analysis.reference not in analysis.models:
        return {}
    r = analysis.models.index(analysis.reference)
    return {m: float(analysis.similarity[i, r]) for i, m in enumerate(analysis.models)}


def decision_rule(alpha: float) -> str:
    """The one sentence that tells a reader how a p-value became a verdict."""
    return (
        f"distilled when p < α = {alpha:g} (related instead when the suspect is also as close "
        "to the reference as the reference's own samples are); not distilled otherwise; "
        "inconclusive when no calibrated p-value exists. α is set with `fingerprint report --alpha` (or `alpha` in "
        "a check config)."
    )


def summary_row(analysis: Analysis, v: Any, sim_ref: dict[str, float]) -> dict[str, Any]:
    """One verdict line. Similarities come from the Verdict when it carries them, else from the
    report's similarity matrix (char 4-gram, all common probes); `similarity_source` says which."""
    controls = analysis.controls_of.get(v.suspect, [])
    s_ref = _num(getattr(v, "sim_reference", None))
    c_sim = _num(getattr(v, "controls_sim", None))
    source = "verdict"
    if s_ref is None or c_sim is None:  # older Verdicts, or a detector that did not compute them
        source = "similarity matrix"
        s_ref = sim_ref.get(v.suspect)
        vals = [sim_ref[c] for c in controls if c in sim_ref and math.isfinite(sim_ref[c])]
        c_sim = float(np.mean(vals)) if vals else None
    margin = getattr(v, "margin", None)
    if margin is None:
        margin = s_ref - c_sim if source == "verdict" else v.effect
    lo, hi = v.effect_ci
    return {
        "suspect": v.suspect,
        "outcome": v.outcome,
        "p_value": _num(v.p_value),
        "alpha": _num(v.alpha),
        "sim_reference": _num(s_ref),
        "controls_sim": _num(c_sim),
        "similarity_source": source,
        "margin": _num(margin),
        "effect": _num(v.effect),
        "effect_ci": [_num(lo), _num(hi)],
        "n_probes": int(v.n_probes),
        "n_controls": int(v.n_controls),
        "controls": list(controls),
        "null": v.null,
        "features": {f: _num(x) for f, x in getattr(v, "features", {}).items()},
        "notes": list(v.notes),
    }


def _first(texts: dict[str, dict[str, list[str]]], model: str, pid: str) -> str | None:
    samples = texts.get(model, {}).get(pid) or []
    return samples[0] if samples else None


def evidence(analysis: Analysis, v: Any, sim_ref: dict[str, float]) -> dict[str, Any]:
    """The most telling probes of one verdict, with reference / suspect / control answers.

    The control shown is the panel member most similar to the reference overall: the hardest
    comparison, so an answer that still stands out is telling.
    """
    panel = analysis.controls_of.get(v.suspect, [])
    shown = max(panel, key=lambda c: sim_ref.get(c, -math.inf), default=None)
    texts = analysis.answers.texts
    probes = []
    for pe in v.top_probes:
        probes.append(
            {
                "prompt_id": pe.prompt_id,
                "family": pe.family,
                "prompt": analysis.answers.prompts.get(pe.prompt_id, ""),
                "sim_reference": _num(pe.sim_reference),
                "controls_mean": _num(pe.controls_mean),
                "z": _num(pe.z),
                "answers": {
                    "reference": _first(texts, analysis.reference, pe.prompt_id),
                    "suspect": _first(texts, v.suspect, pe.prompt_id),
                    "control": _first(texts, shown, pe.prompt_id) if shown else None,
                },
            }
        )
    return {"suspect": v.suspect, "control_shown": shown, "probes": probes}


def families(v: Any) -> list[dict[str, Any]]:
    return [
        {
            "family": f.family,
            "n": int(f.n),
            "effect": _num(f.effect),
            "ci": [_num(f.ci[0]), _num(f.ci[1])],
            "p": _num(f.p),
            "p_holm": _num(f.p_holm),
            "origin_control": bool(f.origin_control),
        }
        for f in v.families
    ]


def sequential(v: Any) -> list[dict[str, Any]] | None:
    """p-value after each look, when the Verdict records its looks; None otherwise."""
    looks = getattr(v, "looks", None)
    if not looks:
        return None
    out = []
    for lk in looks:
        n = lk.get("probes", lk.get("n")) if isinstance(lk, dict) else lk[0]
        p = lk.get("p", lk.get("p_value")) if isinstance(lk, dict) else lk[1]
        out.append({"probes": int(n), "p": _num(p)})
    return out


def attribution(analysis: Analysis) -> dict[str, Any] | None:
    """Which candidate taught each suspect, if any (None when the run names no candidates)."""
    if not analysis.attributions:
        return None
    return {
        "candidates": [analysis.reference, *analysis.candidates],
        "rule": ATTRIBUTION_RULE,
        "suspects": [
            {
                "suspect": a.suspect,
                "teacher": a.teacher,
                "leading": a.best,
                "p_values": {k: _num(v) for k, v in a.p_values.items()},
                "versus": {k: _num(v) for k, v in a.versus.items()},
                "features": {
                    c: {f: _num(x) for f, x in fs.items()} for c, fs in a.features.items()
                },
                "scored_on": a.scored_on,
                "notes": a.notes,
            }
            for a in analysis.attributions
        ],
    }


def manifest_digest(manifest: dict[str, Any]) -> dict[str, Any]:
    """What a reader needs to reproduce or price the run, out of the full manifest."""
    cfg = manifest.get("config", {})
    endpoints = manifest.get("endpoints", {}) or {}
    eps = {}
    for name, spec in (cfg.get("endpoints") or {}).items():
        st = endpoints.get(name, {})
        eps[name] = {
            "kind": spec.get("kind"),
            "model": spec.get("model"),
            "identity": st.get("identity")
            or f"{spec.get('kind')}|{spec.get('base_url')}|{spec.get('model')}",
            "model_reported": st.get("model_reported"),
            "requests": st.get("requests"),
            "answers_new": st.get("answers_new"),
            "answers_reused": st.get("answers_reused"),
            "failed": st.get("failed"),
            "prompt_tokens": st.get("prompt_tokens"),
            "completion_tokens": st.get("completion_tokens"),
            "cost": st.get("cost"),
        }

    def total(key: str) -> float | int:
        return sum((e.get(key) or 0) for e in eps.values())

    return {
        "run_id": manifest.get("run_id"),
        "harness_version": manifest.get("harness_version"),
        "python": manifest.get("python"),
        "started_at": manifest.get("started_at"),
        "finished_at": manifest.get("finished_at"),
        "status": manifest.get("status"),
        "seed": manifest.get("seed", cfg.get("seed")),
        "probes": cfg.get("probes"),
        "suites": manifest.get("suites", []),
        "endpoints": eps,
        "totals": {
            "requests": manifest.get("requests", total("requests")),
            "prompt_tokens": total("prompt_tokens"),
            "completion_tokens": total("completion_tokens"),
            "cost": round(float(total("cost")), 6),
        },
    }


def to_dict(analysis: Analysis) -> dict[str, Any]:
    sim_ref = sim_to_reference(analysis)
    role = roles(analysis)
    coords = _mds(analysis)
    return {
        "schema_version": SCHEMA_VERSION,
        "generated_by": f"fingerprint {__version__}",
        "generated_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "run_id": analysis.manifest.get("run_id"),
        "reference": analysis.reference,
        "alpha": analysis.alpha,
        "warnings": list(analysis.warnings),
        "decision_rule": decision_rule(analysis.alpha),
        "suspects": analysis.suspects,
        "controls": analysis.controls_of,
        "summary": [summary_row(analysis, v, sim_ref) for v in analysis.verdicts],
        "families": {v.suspect: families(v) for v in analysis.verdicts},
        "evidence": [evidence(analysis, v, sim_ref) for v in analysis.verdicts],
        "sequential": {
            v.suspect: seq for v in analysis.verdicts if (seq := sequential(v)) is not None
        },
        "attribution": attribution(analysis),
        "similarity": {
            "feature": SIMILARITY_FEATURE,
            "models": analysis.models,
            "roles": role,
            "matrix": [[_num(x) for x in row] for row in analysis.similarity],
        },
        "map": {
            "method": "classical MDS of 1 - similarity",
            "points": [
                {"model": m, "role": role[m], "x": _num(coords[i, 0]), "y": _num(coords[i, 1])}
                for i, m in enumerate(analysis.models)
            ],
        },
        "verdicts": [v.to_dict() for v in analysis.verdicts],
        # `live` is derived, not copied: a `running` manifest is a live run only while its
        # process holds the run's lock (a kill -9 leaves `running` behind).
        "run": {**manifest_digest(analysis.manifest), "live": analysis.live},
        "failures": analysis.failures,
        "retryable_failures": analysis.retryable_failures,
        "manifest": analysis.manifest,
    }


def _mds(analysis: Analysis) -> np.ndarray:
    from harness.report.plots import classical_mds

    return classical_mds(analysis.similarity)


def render(analysis: Analysis) -> str:
    return render_dict(to_dict(analysis))


def render_dict(data: dict[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, default=_default) + "\n"


def _default(o: Any) -> Any:
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, tuple | set):
        return list(o)
    raise TypeError(f"not JSON serialisable: {type(o).__name__}")
