"""Labelled-corpus benchmark: run the detector on every labelled (reference, suspect) case.

Reads `responses.jsonl.gz` and `lineage.json` from a directory. Nothing is hard-coded: the
control panel of each case is derived from the lineage file (`case_panel`: documented
independents, else `panel_for`), and every metric is computed from the cases' labels, which are
used only for scoring, never for choosing anything.
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
from harness.detector.pooling import PooledNull, pooled_null
from harness.detector.verdict import MIN_CONTROLS, verdict_from_table
from harness.errors import InputError

PROMPT_COUNTS = (10, 25, 50, 100, 200)
DRAWS = 3
PANEL_RULE = (
    "controls = documented independents of the reference's vendor family (its `org` in "
    "`models`): the suspects of every `independent` case whose reference is of that family, plus "
    "every other case reference of another `org`; minus the family itself, the suspects of its "
    "`distilled` cases, any model sharing the leading name token of one of those unless an "
    "`independent` case documents it, and the suspect. Score: plain mean similarity (no foils) "
    "and layout habits. With fewer than 5 such controls the fallback panel is used (see "
    "fallback_rule)"
)
FALLBACK_RULE = (
    "controls = every model in the corpus except: the reference; every case reference whose "
    "`models` entry has the same `org` (its vendor family); every suspect of a `distilled` case "
    "of that family; any model whose name contains the leading name token of one of those "
    "(e.g. siblings and renamed copies); and the suspect itself. With foils, the same is "
    "removed for every foil's family too (a foil's students would be extreme low outliers of the "
    "contrast and widen the null); the score is then the foil contrast"
)
SCALE_RULE = (
    "scale = the spread of the control scores pooled over the documented panels of every "
    "case reference in the corpus (each without the suspect; location stays per reference), "
    "when there are at least two such panels and a Brown-Forsythe test does not reject equal "
    "spread at 0.05; otherwise each panel's own spread. Opt-in (--pool-scale)"
)
FOIL_RULE = (
    "foils = every other case reference present in the corpus whose `models` entry has a "
    "different `org` (or none), except the suspect; none when the corpus has one reference "
    "(then the score is the plain similarity, detector v1); used only by the fallback panel"
)


def foils_for(lineage: dict, models: list[str], reference: str, suspect: str) -> list[str]:
    """Other-vendor case references to contrast against (FOIL_RULE), sorted."""
    facts = lineage.get("models", {})
    org = facts.get(reference, {}).get("org")
    refs = {c["reference"] for c in lineage.get("cases", [])}
    return sorted(
        r
        for r in refs
        if r in models
        and r not in (reference, suspect)
        and (org is None or facts.get(r, {}).get("org") != org)
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


def panel_for(
    lineage: dict,
    models: list[str],
    reference: str,
    suspect: str,
    foils: list[str] | tuple[str, ...] = (),
) -> list[str]:
    """Control panel of one case (PANEL_RULE), in corpus order."""
    tied = tied_models(lineage, models, reference)
    for f in foils:
        tied |= tied_models(lineage, models, f)
    return [m for m in models if m not in tied and m != suspect]


def family_of(lineage: dict, reference: str) -> set[str]:
    """The reference and every case reference with the same `org` (its vendor family)."""
    facts = lineage.get("models", {})
    org = facts.get(reference, {}).get("org")
    refs = {c["reference"] for c in lineage.get("cases", [])}
    return {reference} | {r for r in refs if org and facts.get(r, {}).get("org") == org}


def documented_panel(lineage: dict, models: list[str], reference: str, suspect: str) -> list[str]:
    """Controls the lineage documents as independent of `reference`'s family (PANEL_RULE).

    An explicit `independent` case outranks the name-token heuristic of `tied_models` (which
    exists to catch undocumented siblings and copies): e.g. claude2-alpaca-13b is documented
    independent of text_davinci_003 although its name shares "alpaca" with alpaca-7b.
    """
    cases = lineage.get("cases", [])
    fam = family_of(lineage, reference)
    refs = {c["reference"] for c in cases}
    indep = {c["suspect"] for c in cases if c["reference"] in fam and c["label"] == "independent"}
    students = {c["suspect"] for c in cases if c["reference"] in fam and c["label"] == "distilled"}
    tied = (tied_models(lineage, models, reference) - indep) | fam | students
    keep = indep | (refs - fam)
    return [m for m in models if m in keep and m not in tied and m != suspect]


def case_panel(
    lineage: dict, models: list[str], reference: str, suspect: str
) -> tuple[list[str], list[str], str]:
    """(controls, foils, rule used) of one case: documented panel, else the fallback."""
    controls = documented_panel(lineage, models, reference, suspect)
    if len(controls) >= MIN_CONTROLS:
        return controls, [], "documented"
    foils = foils_for(lineage, models, reference, suspect)
    return (
        panel_for(lineage, models, reference, suspect, foils),
        foils,
        f"fallback ({len(controls)} documented controls < {MIN_CONTROLS})",
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
    return out
