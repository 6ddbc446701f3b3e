"""Labelled-corpus benchmark: run the detector on every labelled (reference, suspect) case.

Reads `responses.jsonl.gz` and `lineage.json` from a directory. Nothing is hard-coded: the
control panel of each case is derived from the lineage file (`harness/lineage.py`:
documented independents, else the fallback panel), and every metric is computed from the
cases' labels, which are used only for scoring, never for choosing anything. Attribution is
measured alongside (`harness/bench_attribution.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.answers import Answers
from harness.bench_attribution import run_attribution
from harness.corpus import load_answers
from harness.detector import similarity
from harness.detector.pooling import PooledNull, pooled_null
from harness.detector.verdict import verdict_from_table
from harness.errors import InputError
from harness.lineage import (
    FALLBACK_RULE,
    FOIL_RULE,
    PANEL_RULE,
    case_panel,
    load_lineage,
)

PROMPT_COUNTS = (10, 25, 50, 100, 200)
DRAWS = 3
SCALE_RULE = (
    "scale = the spread of the control scores pooled over the documented panels of every "
    "case reference in the corpus (each without the suspect; location stays per reference), "
    "when there are at least two such panels and a Brown-Forsythe test does not reject equal "
    "spread at 0.05; otherwise each panel's own spread. Opt-in (--pool-scale)"
)


@dataclass
class CaseResult:
    reference: str
    suspect: str
    label: str
    p_value: float
    statistic: float
    verdict: str
    n_controls: int
    foils: tuple[str, ...] = ()
    panel_rule_used: str = ""


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Probability a distilled case scores above an independent one (ties count half)."""
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    d = pos[:, None] - neg[None, :]
    return float(((d > 0) + 0.5 * (d == 0)).mean())


def tpr_at_fpr(pos: np.ndarray, neg: np.ndarray, fpr: float) -> float:
    """Share of distilled cases above the strictest threshold letting <= fpr of negatives pass."""
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    allowed = int(np.floor(fpr * len(neg)))
    thr = np.sort(neg)[::-1][allowed] if allowed < len(neg) else -np.inf
    return float((pos > thr).mean())


def metrics(results: list[CaseResult], alpha: float = 0.05) -> dict:
    """AUC / TPR@FPR on the statistic, and empirical FPR of p < alpha over independent cases."""
    score = np.array([r.statistic for r in results], float)
    score = np.nan_to_num(score, nan=-np.inf)
    lab = np.array([r.label == "distilled" for r in results])
    indep = [r for r in results if r.label != "distilled"]
    return {
        "auc": auc(score[lab], score[~lab]),
        "tpr_at_fpr_01": tpr_at_fpr(score[lab], score[~lab], 0.01),
        "tpr_at_fpr_05": tpr_at_fpr(score[lab], score[~lab], 0.05),
        "fpr_at_alpha_05": float(np.mean([r.p_value < alpha for r in indep])) if indep else None,
        "tpr_at_alpha_05": float(
            np.mean([r.p_value < alpha for r in results if r.label == "distilled"])
        )
        if lab.any()
        else None,
    }


def case_scale(
    lineage: dict, table: similarity.SimTable, suspect: str, rows: np.ndarray
) -> PooledNull | None:
    """The null scale pooled over every reference's documented panel without `suspect`
    (SCALE_RULE); None when it cannot be pooled or the equal-spread check rejects."""
    panels = {}
    for ref in table.anchors:
        controls, foils, _ = case_panel(lineage, table.models, ref, suspect)
        if not foils and ref != suspect:
            panels[ref] = controls
    pooled = pooled_null(table, panels, rows)
    return pooled if pooled is not None and pooled.usable else None


def run_cases(
    answers: Answers,
    lineage: dict,
    table: similarity.SimTable,
    rows: np.ndarray | None = None,
    pool: bool = False,
) -> list[CaseResult]:
    models = answers.models
    all_rows = np.arange(len(table.prompts)) if rows is None else rows
    scales: dict[str, PooledNull | None] = {}  # the pooled scale depends on the suspect only
    out = []
    for c in lineage["cases"]:
        ref, sus = c["reference"], c["suspect"]
        if ref not in models or sus not in models:
            continue
        controls, foils, used = case_panel(lineage, models, ref, sus)
        pooled = None
        if pool and not foils:
            if sus not in scales:
                scales[sus] = case_scale(lineage, table, sus, all_rows)
            if scales[sus] is not None and ref in scales[sus].references:
                pooled = scales[sus]
        v = verdict_from_table(table, ref, sus, controls, rows=rows, foils=foils, pooled=pooled)
        if pooled is not None:
            used += f"; scale pooled over {len(pooled.references)} panels ({pooled.df} df)"
        out.append(
            CaseResult(
                ref,
                sus,
                c["label"],
                v.p_value,
                v.statistic,
                v.outcome,
                len(controls),
                tuple(foils),
                used,
            )
        )
    return out


def run_bench(
    directory: str | Path, prompt_counts=PROMPT_COUNTS, draws: int = DRAWS, pool: bool = False
) -> dict:
    """Full benchmark; returns the JSON-ready result (see `fingerprint bench --json`)."""
    directory = Path(directory)
    corpus = directory / "responses.jsonl.gz"
    if not corpus.exists():
        raise InputError(f"{corpus}: no such file (bench needs responses.jsonl.gz)")
    lineage = load_lineage(directory)
    answers = load_answers(corpus)
    refs = sorted({c["reference"] for c in lineage["cases"] if c["reference"] in answers.texts})
    if not refs:
        raise InputError(f"{directory}: no case reference has answers in the corpus")
    table = similarity.compute(answers, refs, answers.models)
    results = run_cases(answers, lineage, table, pool=pool)
    out = metrics(results)
    out["n_prompts"] = len(table.prompts)
    out["panel_rule"] = PANEL_RULE
    out["fallback_rule"] = FALLBACK_RULE
    out["foil_rule"] = FOIL_RULE
    out["scale_rule"] = (
        SCALE_RULE if pool else "each panel's own spread (default; --pool-scale pools it)"
    )
    out["score"] = (
        "statistic (prediction-interval t of the suspect vs its control panel; model score = "
        "mean similarity to the reference, or with the fallback panel the rank contrast "
        "reference minus foils, combined with the layout-habit score; see docs/detector.md)"
    )
    out["cases"] = [
        {
            "reference": r.reference,
            "suspect": r.suspect,
            "label": r.label,
            "p_value": r.p_value,
            "statistic": r.statistic,
            "verdict": r.verdict,
            "n_controls": r.n_controls,
            "foils": list(r.foils),
            "panel_rule_used": r.panel_rule_used,
        }
        for r in results
    ]
    by = {}
    n_all = len(table.prompts)
    for n in prompt_counts:
        if n >= n_all:
            continue
        per = []
        for d in range(draws):
            rows = np.sort(np.random.default_rng(d).choice(n_all, size=n, replace=False))
            per.append(metrics(run_cases(answers, lineage, table, rows, pool)))
        by[str(n)] = {
            k: float(np.mean([m[k] for m in per if m[k] is not None])) for k in per[0]
        } | {"draws": draws}
    by["all"] = {k: out[k] for k in metrics(results)} | {"draws": 1}
    out["by_prompts"] = by
    out["attribution"] = run_attribution(answers, lineage, table)
    return out
