"""Verdicts of the lab: the detector on the students' answers, per view and per number of probes.

Works from `Answers` alone, so the same function scores a fresh lab run (its run directories)
and the committed test corpus (`tests/data/lab/answers-*.jsonl.gz`); the test checks exactly what
docs/lab.md reports.

Views: `plain` (the base probes) and `persona` (the same probes behind the persona system
prompt, i.e. the students re-deployed as "Aria by Nimbus Labs"). Probe-count curve: the verdict
on random subsets of 10, 25, 50, 100, 200 probes (3 fixed draws each; sizes below the view's
probe count) and on all of them.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from harness.answers import Answers
from harness.detector import attribute, detect
from harness.detector.attribution import LEXICAL
from harness.errors import InputError
from harness.lab.experiment import CORPUS_CONTROLS, TEACHER, LabConfig, controls_of
from harness.report.fmt import STANDING_LABEL, standing_text

# The lab's roles, from the documented experiment's sources (one place: `LabConfig`). Controls
# are in the order they were added; runs A and B hold only the first five, runs C-G the first
# seven (no corpus controls).
_LAB = LabConfig()
SUSPECTS = _LAB.suspects
CONTROLS = controls_of((*_LAB.sources, *CORPUS_CONTROLS))
# The local model whose answers each student was trained on (students of human text: none).
TAUGHT_BY = {s.name: s.model for s in _LAB.sources if s.model}
# Attribution asks "which of these local models taught it?". Its panel follows the product's
# rule (harness.bench_attribution): only models independent of every candidate, i.e. neither a
# candidate nor a student of one, so no candidate's student calibrates the candidate contrast.
CANDIDATES = (TEACHER, "gemma3-270m")
SIZES = (10, 25, 50, 100, 200)
# Outcomes that flag a suspect as taught by the reference ("related": p < alpha but as close to
# the reference as its own samples are to each other; see docs/detector.md).
FLAGGED = ("distilled", "related")
DRAWS = 3


def view(answers: Answers, name: str) -> Answers:
    """`plain`: base probes only; `persona`: the persona variants only."""
    keep = [p for p in answers.common_prompts() if ("@persona" in p) == (name == "persona")]
    return answers.restrict(None, keep)


def panel(suspect: str, controls) -> list[str]:
    """A suspect's detection panel: every control but its siblings (students of the suspect's
    own source model, e.g. student-gemma-t1 for student-gemma), so the matched control student
    is never judged against a copy of itself."""
    own = TAUGHT_BY.get(suspect)
    return [c for c in controls if own is None or TAUGHT_BY.get(c) != own]


def independent_of_candidates(model: str) -> bool:
    """Neither an attribution candidate nor a student of one (the product's attribution panel)."""
    return model not in CANDIDATES and TAUGHT_BY.get(model) not in CANDIDATES


def _verdicts(answers: Answers, teacher: str, suspects, controls) -> dict[str, dict]:
    """One `detect` call per suspect, as `fingerprint run` does (harness.analysis): the
    similarity table (and its per-prompt IDF) then holds the reference, that suspect and the
    controls only, so one suspect's answers never move another suspect's verdict."""
    out = {}
    for s in suspects:
        v = detect(answers, teacher, [s], panel(s, controls))[0]
        out[v.suspect] = {
            "outcome": v.outcome,
            "p": v.p_value,
            "t": v.statistic,
            "effect": v.effect,
            "n_probes": v.n_probes,
            "n_controls": v.n_controls,
            "features": v.features,
        }
    return out


def _attribution(answers: Answers, suspects, controls, features=LEXICAL) -> dict[str, dict]:
    out = {}
    for s in suspects:
        others = [m for m in (*controls, *suspects) if m != s and independent_of_candidates(m)]
        a = attribute(answers, s, list(CANDIDATES), others, features=features)
        out[s] = {
            "teacher": a.teacher,
            "leading": a.best,
            "p": a.p_values,
            "versus": a.versus,
            "panel": others,
            "features": a.features,
            "notes": a.notes,
            "scored_on": a.scored_on,
        }
    return out


def evaluate_answers(
    answers: Answers,
    *,
    teacher: str = TEACHER,
    suspects=SUSPECTS,
    controls=None,
    attribution_features: tuple[str, ...] = LEXICAL,
) -> dict[str, dict]:
    """Per view: full verdicts, attribution and the verdicts-versus-probes curve.

    `controls` defaults to every lab control the answers hold (runs A and B: the first five).
    `attribution_features`: as `attribute`'s `features` (default: the lexical ones).
    """
    missing = [m for m in (teacher, *suspects) if m not in answers.models]
    if missing:
        raise InputError(
            f"not a lab corpus: no answers from {', '.join(missing)} (a lab corpus holds the "
            f"teacher {teacher}, the suspects {', '.join(suspects)} and the controls)"
        )
    if controls is None:
        controls = [c for c in CONTROLS if c in answers.models]
    models = [teacher, *suspects, *controls]
    answers = answers.on_common_prompts(models)
    result = {}
    for name in ("plain", "persona"):
        a = view(answers, name)
        n = len(a.common_prompts())
        if n < 3:
            continue
        curve = {}
        for size in [s for s in SIZES if s < n]:
            curve[str(size)] = [
                _verdicts(a.subsample_prompts(size, seed), teacher, suspects, controls)
                for seed in range(DRAWS)
            ]
        result[name] = {
            "n_prompts": n,
            "verdicts": _verdicts(a, teacher, suspects, controls),
            "attribution": _attribution(a, suspects, controls, attribution_features),
            "curve": curve,
        }
    if not result:
        raise InputError(
            f"no view has 3 probes answered by all of {', '.join(models)}: nothing to score"
        )
    return result


def store_records(run_dir: Path, models: Iterable[str] | None = None) -> list[dict]:
    """Every answer in a lab run's store (or only `models`') as corpus records."""
    from harness.manifest import RunDir
    from harness.store import Store, prompt_text

    keep = None if models is None else set(models)
    with Store(RunDir(Path(run_dir)).store_path) as store:
        return [
            {
                "model": r.endpoint,
                "prompt_id": r.probe_id,
                "prompt": prompt_text(r.request),
                "response": r.text,
                "family": r.family,
                "sample": r.sample_index,
            }
            for r in sorted(store.records(), key=lambda r: (r.endpoint, r.probe_id, r.sample_index))
            if keep is None or r.endpoint in keep
        ]


def run_records(run_dir: Path, cfg=None) -> list[dict]:
    """A lab run's answers as corpus records. With a panel corpus: the run's two suspects, then
    every other model of the corpus (the teacher too: the panel was compared with those
    answers; the run's own teacher answers only show how far re-asking moves them)."""
    if cfg is None or not cfg.panel_corpus:
        return store_records(run_dir)
    return with_panel(store_records(run_dir, cfg.suspects), cfg.panel_corpus, cfg.suspects)


def with_panel(suspect_records: list[dict], corpora, suspects) -> list[dict]:
    """Suspects' records joined to the panel corpus's other models (see `refuse_changed`)."""
    from harness.corpus import merged_records

    panel = [r for r in merged_records(corpora) if r["model"] not in suspects]
    refuse_changed(panel, [(r["prompt_id"], r["prompt"]) for r in suspect_records])
    return suspect_records + panel


def refuse_changed(panel: list[dict], asked: Iterable[tuple[str, str]]) -> None:
    """Refuse when a probe the panel corpus holds was asked with other text (`asked`: probe id
    and prompt text pairs): the suite changed since the corpus was recorded, so the suspects
    and the panel would not have answered the same question."""
    then = {r["prompt_id"]: r.get("prompt") for r in panel}
    changed = sorted({pid for pid, text in asked if then.get(pid) not in (None, text)})
    if changed:
        raise InputError(
            f"{len(changed)} probes were asked differently than in the panel corpus "
            f"(e.g. {changed[0]}): the probe suites changed since it was recorded"
        )


def teacher_drift(run_dir: Path, records: list[dict]) -> dict:
    """How many of the teacher's answers in this run equal those in `records` (`run_records`
    of a panel-corpus run: the corpus's). llama.cpp batching lets some differ between runs
    (docs/local-models.md); the verdicts use the corpus's, against which the panel was
    measured, and this says how much that choice matters."""

    def keyed(recs):
        return {(r["prompt_id"], r.get("sample", 0)): r["response"] for r in recs}

    now = keyed(store_records(run_dir, [TEACHER]))
    then = keyed(r for r in records if r["model"] == TEACHER)
    both = set(now) & set(then)
    return {"answers": len(both), "identical": sum(now[k] == then[k] for k in both)}


def export_corpus(run_dir: Path, out: Path, models: Iterable[str] | None = None, cfg=None) -> int:
    """Write a lab run's answers (or only `models`') as a JSONL corpus (the committed test
    data); with a panel corpus, the whole record: new suspects, the corpus's teacher and panel."""
    from harness.corpus import write_records

    keep = None if models is None else set(models)
    records = [r for r in run_records(run_dir, cfg) if keep is None or r["model"] in keep]
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_records(out, records)


def attributed_to(attribution: dict) -> str:
    """The named teacher or "no single teacher", with the leading candidate's p-values, or why
    attribution was not tested. The numbers show how near a call was: K1's plain "no single
    teacher" missed by a Holm p of 0.0506 (docs/lab.md)."""
    ps = attribution["p"]
    if not ps:
        return "not tested: " + "; ".join(attribution["notes"])
    lead = attribution.get("leading")  # absent from reports written before session 13
    if lead is None or ps.get(lead) is None:
        return attribution["teacher"] or "no single teacher"
    versus = attribution.get("versus") or {}
    ahead = [f"ahead of {c} at Holm p {q:.2g}" for c, q in versus.items() if q is not None]
    evidence = ", ".join([f"p {ps[lead]:.2g}", *ahead])
    if attribution["teacher"]:
        return f"{attribution['teacher']} ({evidence})"
    return f"no single teacher (leading: {lead}, {evidence})"


def standing(ev: dict, suspect: str) -> list[str]:
    """The suspect's feature standing against the teacher (the verdict's), then against each
    attribution candidate: which features carry the verdict and which point where."""
    per = ev["attribution"][suspect].get("features", {})
    return [
        f"verdict: {standing_text(ev['verdicts'][suspect].get('features', {}))}",
        *(f"against {c}: {standing_text(fs)}" for c, fs in per.items()),
    ]


def markdown(evaluation: dict) -> str:
    """The tables docs/lab.md shows: verdicts, attribution and p versus number of probes."""
    lines = []
    for view, ev in evaluation.items():
        lines += [
            f"**{view}** ({ev['n_prompts']} probes)",
            "",
            "| suspect | outcome | p | t | effect | controls | attributed to |",
            "|---|---|---|---|---|---|---|",
        ]
        for s, v in ev["verdicts"].items():
            att = attributed_to(ev["attribution"][s])
            lines.append(
                f"| {s} | {v['outcome']} | {v['p']:.2g} | {v['t']:.2f} | {v['effect']:.3f} "
                f"| {v['n_controls']} | {att} |"
            )
        lines += ["", f"{STANDING_LABEL}:", ""]
        lines += [f"- {s}: " + "; ".join(standing(ev, s)) for s in ev["verdicts"]]
        lines += ["", "| probes | " + " | ".join(ev["verdicts"]) + " |", "|---|---|---|"]
        for size, draws in ev["curve"].items():
            cells = []
            for s in ev["verdicts"]:
                ps = ", ".join(f"{d[s]['p']:.2g}" for d in draws)
                flagged = sum(d[s]["outcome"] in FLAGGED for d in draws)
                cells.append(f"p = {ps} ({flagged}/{len(draws)} flagged)")
            lines.append(f"| {size} | " + " | ".join(cells) + " |")
        cells = [f"p = {v['p']:.2g} ({v['outcome']})" for v in ev["verdicts"].values()]
        lines += [f"| all {ev['n_prompts']} | " + " | ".join(cells) + " |", ""]
    return "\n".join(lines)
