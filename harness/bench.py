"""Labelled-corpus benchmark: run the detector on every labelled (reference, suspect) case.

Reads `responses.jsonl.gz` (or a plain `responses.jsonl`) and `lineage.json` from a directory.
Nothing is hard-coded: the control panel of each case is derived from the lineage file
(`harness/lineage.py`: documented independents, else the fallback panel), and every metric is
computed from the cases' labels, which are used only for scoring, never for choosing anything.
Attribution is measured alongside (`harness/bench_attribution.py`). Each case reads the
prompts its own models answered (`harness/bench_tables.py`).

Any corpus in that format must give a result or one `InputError` line: cases that cannot run
(a model without answers, suspect = reference, a repeat, models that share no answered
prompt) are listed under `skipped_cases`; cases labelled other than `distilled` /
`independent` are run and shown but not scored (`unscored_labels`); a metric that is undefined
(no case of one label, no p-value) is None, never NaN, so `--json` is strict JSON. Several
records of one (model, prompt) are samples (`harness/corpus.py`).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from harness.answers import Answers
from harness.bench_attribution import attribution_panel, run_attribution
from harness.bench_tables import (
    COVERAGE_RULE,
    PROMPT_LOSS_KEPT,
    SPARSE_CONTROL_RULE,
    CaseTables,
    case_tables,
)
from harness.corpus import load_answers, responses_file
from harness.detector import similarity
from harness.detector.attribution import LEXICAL
from harness.detector.pooling import ModeratedNull, moderated_null
from harness.detector.verdict import EMPTY_SHARE_NOTED, verdict_from_table
from harness.errors import InputError
from harness.jsonable import json_ready
from harness.lineage import (
    FALLBACK_RULE,
    FOIL_RULE,
    LABELS,
    PANEL_RULE,
    case_panel,
    common_name_tokens,
    foils_for,
    load_lineage,
    near_names_hint,
    runnable_cases,
    skip_record,
)

PROMPT_COUNTS = (10, 25, 50, 100, 200)
DRAWS = 3
SCALE_RULE = (
    "scale = each panel's own spread moderated by the documented panels of every case "
    "reference in the corpus (each without the suspect; location stays per reference): an "
    "empirical-Bayes prior of the panels' variances (Smyth 2004), worth at most the df the "
    "other panels hold, when there are at least three such panels; otherwise each panel's own "
    "spread. Opt-in (--pool-scale): liberal when the tested panel alone is wider than the "
    "others (docs/detector.md)"
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
    features: dict[str, float] = field(default_factory=dict)  # `Verdict.features`
    n_prompts: int = 0
    controls_left_out: tuple[str, ...] = ()  # SPARSE_CONTROL_RULE


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    """Probability a distilled case scores above an independent one (ties count half).

    Compared, not subtracted: cases without a statistic score -inf (see `metrics`), and
    -inf - -inf is NaN, which would count a tie of two such cases as neither.
    """
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    p, n = pos[:, None], neg[None, :]
    return float(((p > n) + 0.5 * (p == n)).mean())


def tpr_at_fpr(pos: np.ndarray, neg: np.ndarray, fpr: float) -> float:
    """Share of distilled cases above the strictest threshold letting <= fpr of negatives pass."""
    if len(pos) == 0 or len(neg) == 0:
        return float("nan")
    allowed = int(np.floor(fpr * len(neg)))
    thr = np.sort(neg)[::-1][allowed] if allowed < len(neg) else -np.inf
    return float((pos > thr).mean())


def _defined(x: float) -> float | None:
    return None if x is None or not math.isfinite(x) else float(x)


def metrics(results: list[CaseResult], alpha: float = 0.05) -> dict:
    """AUC / TPR@FPR on the statistic, and empirical FPR of p < alpha over independent cases.

    Only `distilled` and `independent` cases are scored (a "related" or misspelt label is
    neither a positive nor a negative). A case without a statistic (inconclusive) scores
    -inf and, having no p-value, is never a call. Undefined metrics (no case of a label, or
    no case with a statistic) are None.
    """
    scored = [r for r in results if r.label in LABELS]
    score = np.array([r.statistic for r in scored], float)
    score = np.nan_to_num(score, nan=-np.inf)
    lab = np.array([r.label == "distilled" for r in scored], bool)
    indep = [r for r in scored if r.label == "independent"]
    # No statistic at all (every case inconclusive): nothing was ranked, so no AUC, rather
    # than the 0.5 that ties of -inf would give.
    ranked = bool(np.isfinite(score).any())
    return {
        "auc": _defined(auc(score[lab], score[~lab])) if ranked else None,
        "tpr_at_fpr_01": _defined(tpr_at_fpr(score[lab], score[~lab], 0.01)) if ranked else None,
        "tpr_at_fpr_05": _defined(tpr_at_fpr(score[lab], score[~lab], 0.05)) if ranked else None,
        "fpr_at_alpha_05": float(np.mean([r.p_value < alpha for r in indep])) if indep else None,
        "tpr_at_alpha_05": float(
            np.mean([r.p_value < alpha for r in scored if r.label == "distilled"])
        )
        if lab.any()
        else None,
    }


def case_scale(
    lineage: dict, table: similarity.SimTable, suspect: str, rows: np.ndarray
) -> ModeratedNull | None:
    """The variance prior of every reference's documented panel without `suspect`
    (SCALE_RULE); None when there are too few panels for one."""
    panels = {}
    for ref in table.anchors:
        controls, foils, _ = case_panel(lineage, table.models, ref, suspect)
        if not foils and ref != suspect:
            panels[ref] = controls
    pooled = moderated_null(table, panels, rows)
    return pooled if pooled is not None and pooled.usable else None


def run_cases(
    answers: Answers,
    lineage: dict,
    tables: CaseTables,
    sample: tuple[int, int] | None = None,
    pool: bool = False,
) -> tuple[list[CaseResult], list[dict]]:
    """Every runnable case's result, and the cases whose models share no answered prompt.

    `sample` = (n, seed): each case on n of its prompts, drawn with `seed` (a case with at most
    n prompts is left out: it has no such draw)."""
    models = answers.models
    # The variance prior depends on the suspect and the table only.
    scales: dict[tuple[str, int], ModeratedNull | None] = {}
    out, unscorable = [], []
    for c in runnable_cases(lineage, models)[0]:
        ref, sus = c["reference"], c["suspect"]
        controls, foils, used = case_panel(lineage, models, ref, sus)
        controls, short = tables.keep_covering([ref, sus, *foils], controls)
        if short:
            used += f"; {len(short)} control(s) with too few answers left out"
        table = tables.for_models([ref, sus, *controls, *foils])
        if table is None:
            unscorable.append(c)
            continue
        rows = None
        if sample is not None:
            n, seed = sample
            if n >= len(table.prompts):
                continue
            draw = np.random.default_rng(seed).choice(len(table.prompts), size=n, replace=False)
            rows = np.sort(draw)
        all_rows = np.arange(len(table.prompts)) if rows is None else rows
        pooled = None
        if pool and not foils:
            key = (sus, id(table))
            if key not in scales:
                scales[key] = case_scale(lineage, table, sus, all_rows)
            if scales[key] is not None and ref in scales[key].references:
                pooled = scales[key]
        v = verdict_from_table(table, ref, sus, controls, rows=rows, foils=foils, pooled=pooled)
        if pooled is not None:
            d0 = pooled.prior_weight(ref)
            used += f"; scale moderated by {len(pooled.references)} panels (prior {d0:.0f} df)"
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
                v.features,
                len(all_rows),
                tuple(short),
            )
        )
    return out, unscorable


def run_bench(
    directory: str | Path,
    prompt_counts=PROMPT_COUNTS,
    draws: int = DRAWS,
    pool: bool = False,
    attribution_features: tuple[str, ...] = LEXICAL,
) -> dict:
    """Full benchmark; returns the JSON-ready result (see `fingerprint bench --json`).
    `attribution_features`: as `attribute`'s `features` (default: the lexical ones)."""
    directory = Path(directory)
    corpus = responses_file(
        directory, "bench needs a directory with responses.jsonl.gz and lineage.json"
    )
    lineage = load_lineage(directory)
    nulls: dict[str, int] = {}
    answers = load_answers(corpus, nulls=nulls)
    if not answers.models:
        why = "every response is null" if nulls else "the file has no records"
        raise InputError(f"{corpus}: no answers ({why})")
    cases, skipped = runnable_cases(lineage, answers.models)
    if not cases:
        reasons = list(dict.fromkeys(s["reason"] for s in skipped))
        more = f"; and {len(reasons) - 3} more" if len(reasons) > 3 else ""
        raise InputError(
            f"{directory}: none of the {len(skipped)} labelled cases can run "
            f"({'; '.join(reasons[:3])}{more})"
        )
    refs = sorted({c["reference"] for c in cases})
    # Facts are looked up by exact name: an entry for "Alpaca-7B" gives alpaca-7b no `org`.
    named = set(answers.models) | {c[k] for c in lineage["cases"] for k in ("reference", "suspect")}
    unread = [m for m in lineage["models"] if m not in named]
    n_in_corpus = len({p for per in answers.texts.values() for p in per})
    answers, left_out = _drop_sparse_bystanders(answers, lineage, cases, refs)
    tables = case_tables(answers, refs)
    results, unscorable = run_cases(answers, lineage, tables, pool=pool)
    if not results:
        raise InputError(f"{corpus}: {_no_common_prompt(answers)}")
    number = {id(c): i for i, c in enumerate(lineage["cases"])}  # runnable cases are those dicts
    alone = _sharing_no_prompt(answers)
    for c in unscorable:
        why = "its reference, suspect and panel share no answered prompt"
        if own := [m for m in (c["reference"], c["suspect"]) if m in alone]:
            why += (
                f" ({', '.join(repr(m) for m in own)} shares no prompt id with any other model: "
                "are its ids written differently?)"
            )
        skipped.append(skip_record(number[id(c)], c, why))
    skipped.sort(key=lambda s: s["case"])
    out = metrics(results)
    out["responses_read"] = corpus.name
    # Both names present: only the first is read (responses_file), which the user may not
    # expect when the two differ (e.g. a plain file edited after compressing the original).
    unread_file = directory / "responses.jsonl"
    out["responses_not_read"] = (
        unread_file.name if unread_file != corpus and unread_file.is_file() else None
    )
    out["n_prompts"] = len(tables.shared.prompts)
    out["n_prompts_in_corpus"] = n_in_corpus
    out["coverage_rule"] = COVERAGE_RULE
    out["sparse_control_rule"] = SPARSE_CONTROL_RULE
    out["cases_on_own_prompts"] = sum(r.n_prompts != out["n_prompts"] for r in results)
    # The shared table holds the prompts every model answered: name (up to 3, ties by name)
    # that answered fewest, and how many missed one (they shrink the cases that read them).
    n_answered = {m: len(answers.answered(m)) for m in answers.models}
    short = [(m, n) for m, n in n_answered.items() if n < out["n_prompts_in_corpus"]]
    out["fewest_answered"] = dict(sorted(short, key=lambda x: (x[1], x[0]))[:3])
    out["n_models_short"] = len(short)
    out["left_out_models"] = left_out
    # A model none of whose prompt ids another model answered: its ids are keyed differently.
    out["models_sharing_no_prompt"] = alone
    # Controls a case left out for answering too few of its prompts: {model: cases}.
    out["controls_left_out"] = dict(
        Counter(m for r in results for m in r.controls_left_out).most_common()
    )
    out["name_tokens_ignored"] = sorted(common_name_tokens(answers.models))
    # Empty answers score as no overlap: a control with many widens its panel, costing power.
    out["empty_answers"] = _mostly_empty(answers)
    # A null response is a generation that failed: read as no answer (the coverage rule applies).
    out["null_responses"] = dict(sorted(nulls.items()))
    out["skipped_cases"] = skipped
    out["facts_for_unknown_models"] = unread
    out["facts_hint"] = near_names_hint(unread[:5], answers.models).strip(" ()")  # as shown
    out["unscored_labels"] = dict(
        Counter(r.label for r in results if r.label not in LABELS).most_common()
    )
    # Labels spelt with other case or spaces, read as the label they spell (`normal_label`).
    out["labels_normalised"] = dict(
        Counter(c["label_as_written"] for c in lineage["cases"] if "label_as_written" in c)
    )
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
            "features": r.features,
            "n_prompts": r.n_prompts,
            "controls_left_out": list(r.controls_left_out),
        }
        for r in results
    ]
    by = {}
    for n in prompt_counts:
        per, n_cases = [], 0
        for d in range(draws):
            drawn = run_cases(answers, lineage, tables, (n, d), pool)[0]
            if drawn:
                per.append(metrics(drawn))
                n_cases = len(drawn)
        # No case with more than n prompts: the row stays, empty, so a requested count is
        # never silently missing.
        row = {k: _mean_defined([m[k] for m in per]) for k in metrics(results)}
        by[str(n)] = row | {"draws": draws if per else 0, "n_cases": n_cases}
    by["all"] = {k: out[k] for k in metrics(results)} | {"draws": 1, "n_cases": len(results)}
    out["by_prompts"] = by
    out["attribution"] = run_attribution(answers, lineage, tables, attribution_features)
    return json_ready(out)


def _mean_defined(values: list[float | None]) -> float | None:
    """Mean over the draws where the metric is defined; None when it is in none."""
    ok = [v for v in values if v is not None]
    return float(np.mean(ok)) if ok else None


def _drop_sparse_bystanders(
    answers: Answers, lineage: dict, cases: list[dict], refs: list[str]
) -> tuple[Answers, dict[str, int]]:
    """Leave out models no case, panel or attribution reads when, kept, they would cost the
    cases more than a tenth of the prompts the models they do read all answered; returns the
    answers kept and {left-out model: prompts it answered}.

    Every model in the table must answer every scored prompt, and a bystander only adds to
    the per-prompt IDF, so one sparse bystander used to shrink every case to its prompts. A
    small loss (the development corpus: 802 of 805) keeps every model, as before.
    """
    models = answers.models
    needed: set[str] = set()
    for c in cases:
        ref, sus = c["reference"], c["suspect"]
        candidates = [ref, *foils_for(lineage, models, ref, sus)]  # as run_attribution's
        needed |= {sus, *candidates, *attribution_panel(lineage, models, candidates, sus)}
        for anchor in refs:  # every panel the moderated scale may read for this suspect
            controls, foils, _ = case_panel(lineage, models, anchor, sus)
            needed |= {*controls, *foils}
    common = set(answers.common_prompts(sorted(needed)))
    if len(answers.common_prompts()) >= PROMPT_LOSS_KEPT * len(common):
        return answers, {}
    answered = {m: answers.answered(m) for m in models}
    left_out = {
        m: len(answered[m]) for m in models if m not in needed and not common <= answered[m]
    }
    if not left_out:
        return answers, {}
    return answers.restrict([m for m in models if m not in left_out]), left_out


def _sharing_no_prompt(answers: Answers) -> list[str]:
    """Models that answered prompts, none of which another model answered (corpus order)."""
    answered = {m: answers.answered(m) for m in answers.models}
    count = Counter(p for ps in answered.values() for p in ps)
    if len(answered) < 2:
        return []
    return [m for m, ps in answered.items() if ps and all(count[p] == 1 for p in ps)]


def _mostly_empty(answers: Answers) -> dict[str, int]:
    """{model: prompts answered only with empty text} for models where that is at least
    EMPTY_SHARE_NOTED of the prompts they answered (the share a verdict notes too)."""
    out = {}
    for m, per in answers.texts.items():
        answered = [s for s in per.values() if s]
        empty = sum(1 for s in answered if not any(t.strip() for t in s))
        if answered and empty >= EMPTY_SHARE_NOTED * len(answered):
            out[m] = empty
    return dict(sorted(out.items(), key=lambda x: -x[1]))


def _no_common_prompt(answers: Answers) -> str:
    """Why no prompt can be scored, naming the models that lack the most widely answered ids."""
    answered = {m: answers.answered(m) for m in answers.models}
    count = Counter(p for ps in answered.values() for p in ps)
    top = max(count.values(), default=0)
    head = f"no prompt id is answered by all {len(answered)} models"
    if top <= 1:
        return f"{head}, nor by any two of them: are prompt ids written differently per model?"
    best = {p for p, k in count.items() if k == top}
    have = {m: len(ps & best) for m, ps in answered.items()}
    fewest = ", ".join(f"{m} ({have[m]})" for m in sorted(have, key=have.get)[:3])
    return (
        f"{head} (and no case's reference, suspect and panel share one): {len(best)} ids are "
        f"answered by {top} of them; fewest of those answered by {fewest}. Check that prompt ids "
        "match across models"
    )
