"""Labelled-corpus benchmark: run the detector on every labelled (reference, suspect) case.

Reads `responses.jsonl.gz` and `lineage.json` from a directory. Nothing is hard-coded: the
control panel of each case is derived from the lineage file (`panel_for`), and every metric is
computed from the cases' labels, which are used only for scoring, never for choosing anything.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from harness.answers import Answers
from harness.corpus import load_answers
from harness.detector import similarity
from harness.detector.verdict import verdict_from_table
from harness.errors import InputError

PROMPT_COUNTS = (10, 25, 50, 100, 200)
DRAWS = 3
PANEL_RULE = (
    "controls = every model in the corpus except: the reference; every case reference whose "
    "`models` entry has the same `org` (its vendor family); every suspect of a `distilled` case "
    "of that family; any model whose name contains the leading name token of one of those "
    "(e.g. siblings and renamed copies); and the suspect itself"
)


def name_tokens(name: str) -> list[str]:
    """Alphabetic tokens of length >= 3 of a model name, lower-case ("gpt4_0314" -> ["gpt"])."""
    return [t for t in re.split(r"[^a-z]+", name.lower()) if len(t) >= 3]


def tied_models(lineage: dict, models: list[str], reference: str) -> set[str]:
    """Models the lineage ties to `reference`'s vendor family (see PANEL_RULE)."""
    facts = lineage.get("models", {})
    cases = lineage.get("cases", [])
    refs = {c["reference"] for c in cases}
    org = facts.get(reference, {}).get("org")
    family = {reference} | {r for r in refs if org and facts.get(r, {}).get("org") == org}
    tied = set(family) | {
        c["suspect"] for c in cases if c["reference"] in family and c["label"] == "distilled"
    }
    keys = {name_tokens(m)[0] for m in tied if name_tokens(m)}
    tied |= {m for m in models if keys & set(name_tokens(m))}
    return tied


def panel_for(lineage: dict, models: list[str], reference: str, suspect: str) -> list[str]:
    """Control panel of one case (PANEL_RULE), in corpus order."""
    tied = tied_models(lineage, models, reference)
    return [m for m in models if m not in tied and m != suspect]


@dataclass
class CaseResult:
    reference: str
    suspect: str
    label: str
    p_value: float
    statistic: float
    verdict: str
    n_controls: int


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


def load_lineage(directory: Path) -> dict:
    path = directory / "lineage.json"
    if not path.exists():
        raise InputError(f"{path}: no such file (bench needs lineage.json)")
    try:
        lineage = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    for i, c in enumerate(lineage.get("cases", [])):
        for key in ("reference", "suspect", "label"):
            if key not in c:
                raise InputError(f"{path}: case {i} has no '{key}'")
    return lineage


def run_cases(
    answers: Answers, lineage: dict, table: similarity.SimTable, rows: np.ndarray | None = None
) -> list[CaseResult]:
    models = answers.models
    out = []
    for c in lineage["cases"]:
        ref, sus = c["reference"], c["suspect"]
        if ref not in models or sus not in models:
            continue
        controls = panel_for(lineage, models, ref, sus)
        v = verdict_from_table(table, ref, sus, controls, rows=rows)
        out.append(
            CaseResult(ref, sus, c["label"], v.p_value, v.statistic, v.outcome, len(controls))
        )
    return out


def run_bench(directory: str | Path, prompt_counts=PROMPT_COUNTS, draws: int = DRAWS) -> dict:
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
    results = run_cases(answers, lineage, table)
    out = metrics(results)
    out["n_prompts"] = len(table.prompts)
    out["panel_rule"] = PANEL_RULE
    out["score"] = "statistic (prediction-interval t of the suspect vs its control panel)"
    out["cases"] = [
        {
            "reference": r.reference,
            "suspect": r.suspect,
            "label": r.label,
            "p_value": r.p_value,
            "statistic": r.statistic,
            "verdict": r.verdict,
            "n_controls": r.n_controls,
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
            per.append(metrics(run_cases(answers, lineage, table, rows)))
        by[str(n)] = {
            k: float(np.mean([m[k] for m in per if m[k] is not None])) for k in per[0]
        } | {"draws": draws}
    by["all"] = {k: out[k] for k in metrics(results)} | {"draws": 1}
    out["by_prompts"] = by
    return out
