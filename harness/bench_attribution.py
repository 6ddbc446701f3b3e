"""Attribution measured on a labelled corpus: does `attribute` name the documented teacher?

`fingerprint bench` measures detection ("distilled from R or not?"); this asks the other
question a researcher has, "which of these vendors taught it?", on the same labelled cases and
with panels derived from `lineage.json` only (never from similarities), so the numbers carry
over to any corpus in the same format.
"""

from __future__ import annotations

from collections import Counter

from harness.answers import Answers
from harness.bench_tables import CaseTables
from harness.detector import attribute
from harness.detector.attribution import LEXICAL
from harness.detector.verdict import MIN_CONTROLS
from harness.lineage import documented_panel, family_of, foils_for, runnable_cases

ATTRIBUTION_RULE = (
    "per case (R, S): candidates = R plus every other case reference of another `org` (the "
    "bench's foils), i.e. one vendor family against the others; controls = the models the "
    "lineage documents as independent of every candidate (the intersection of their documented "
    "panels), minus the candidates and S. The named teacher is right when a `distilled` case "
    "ties S to that candidate's family; wrong when an `independent` case frees S of it, or no "
    "`distilled` case gives S any teacher (a human-data model named after anyone is wrong); "
    "undocumented when S has a documented teacher elsewhere and the lineage says nothing of "
    "S and the one named; 'no single teacher' is none of these. Cases with one candidate, "
    f"fewer than {MIN_CONTROLS} such controls or no prompt their models all answered are "
    "skipped, counted by reason"
)


def teacher_families(lineage: dict, suspect: str) -> set[str]:
    """Every case reference whose family a `distilled` case documents as `suspect`'s teacher."""
    return _families_labelled(lineage, suspect, "distilled")


def freed_families(lineage: dict, suspect: str) -> set[str]:
    """Every case reference whose family an `independent` case documents `suspect` free of."""
    return _families_labelled(lineage, suspect, "independent")


def _families_labelled(lineage: dict, suspect: str, label: str) -> set[str]:
    out: set[str] = set()
    for c in lineage.get("cases", []):
        if c["suspect"] == suspect and c["label"] == label:
            out |= family_of(lineage, c["reference"])
    return out


def outcome(lineage: dict, suspect: str, teacher: str | None) -> str:
    """right / wrong / undocumented / none for the teacher named for `suspect` (the rule)."""
    if teacher is None:
        return "none"
    truth = teacher_families(lineage, suspect)
    if teacher in truth:
        return "right"
    if not truth or teacher in freed_families(lineage, suspect):
        return "wrong"
    return "undocumented"


def attribution_panel(
    lineage: dict, models: list[str], candidates: list[str], suspect: str
) -> list[str]:
    """Controls documented independent of every candidate (ATTRIBUTION_RULE), corpus order."""
    keep = set(models)
    for c in candidates:
        keep &= set(documented_panel(lineage, models, c, suspect))
    return [m for m in models if m in keep and m not in candidates]


def run_attribution(
    answers: Answers,
    lineage: dict,
    tables: CaseTables,
    features: tuple[str, ...] = LEXICAL,
) -> dict:
    """One attribution per labelled case, on the prompts its suspect, candidates and controls
    all answered (`tables`, as detection's; a case sharing none is left out). `features`: as
    `attribute`'s (default: the lexical ones)."""
    models = answers.models
    cases = []
    skipped: Counter[str] = Counter()
    for c in runnable_cases(lineage, models)[0]:  # the bench's cases (same skips)
        ref, sus = c["reference"], c["suspect"]
        candidates = [ref, *foils_for(lineage, models, ref, sus)]
        controls = attribution_panel(lineage, models, candidates, sus)
        if len(candidates) < 2:
            skipped["one candidate only (no case reference of another org)"] += 1
            continue
        if len(controls) < MIN_CONTROLS:
            skipped[f"fewer than {MIN_CONTROLS} controls independent of every candidate"] += 1
            continue
        controls, short = tables.keep_covering([sus, *candidates], controls)
        table = tables.for_models([sus, *candidates, *controls])
        if table is None:
            skipped["no prompt its suspect, candidates and controls all answered"] += 1
            continue
        a = attribute(answers, sus, candidates, controls, table=table, features=features)
        truth = teacher_families(lineage, sus)
        cases.append(
            {
                "reference": ref,
                "suspect": sus,
                "label": c["label"],
                "candidates": candidates,
                "n_controls": len(controls),
                "controls_left_out": short,
                "n_prompts": len(table.prompts),
                "teacher": a.teacher,
                "documented_teacher_among_candidates": bool(truth & set(candidates)),
                "outcome": outcome(lineage, sus, a.teacher),
                "p_values": a.p_values,
                "versus": a.versus,
            }
        )
    taught = [c for c in cases if c["documented_teacher_among_candidates"]]
    return {
        "rule": ATTRIBUTION_RULE,
        "features": list(features),
        "n_cases": len(cases),
        "named_right": sum(c["outcome"] == "right" for c in cases),
        "named_wrong": sum(c["outcome"] == "wrong" for c in cases),
        "named_undocumented": sum(c["outcome"] == "undocumented" for c in cases),
        "no_single_teacher": sum(c["outcome"] == "none" for c in cases),
        "right_when_teacher_is_a_candidate": (
            sum(c["outcome"] == "right" for c in taught) / len(taught) if taught else None
        ),
        "skipped": dict(skipped.most_common()),
        "cases": cases,
    }
