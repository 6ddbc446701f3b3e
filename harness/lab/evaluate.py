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
from harness.errors import InputError
from harness.lab.experiment import CORPUS_CONTROLS, TEACHER, LabConfig, controls_of

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
        }
    return out


def _attribution(answers: Answers, suspects, controls) -> dict[str, dict]:
    out = {}
    for s in suspects:
        others = [m for m in (*controls, *suspects) if m != s and independent_of_candidates(m)]
        a = attribute(answers, s, list(CANDIDATES), others)
        out[s] = {
            "teacher": a.teacher,
            "p": a.p_values,
            "versus": a.versus,
            "panel": others,
            "notes": a.notes,
        }
    return out


def evaluate_answers(
    answers: Answers,
    *,
    teacher: str = TEACHER,
    suspects=SUSPECTS,
    controls=None,
) -> dict[str, dict]:
    """Per view: full verdicts, attribution and the verdicts-versus-probes curve.

    `controls` defaults to every lab control the answers hold (runs A and B: the first five).
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
            "attribution": _attribution(a, suspects, controls),
            "curve": curve,
        }
    if not result:
        raise InputError(
            f"no view has 3 probes answered by all of {', '.join(models)}: nothing to score"
        )
    return result


def evaluate(run_dirs: dict[str, Path], cfg=None) -> dict[str, dict]:
    """Score the lab's run directories (the persona run holds both views)."""
    from harness.manifest import RunDir
    from harness.store import Store, to_answers

    path = run_dirs.get("lab-persona") or next(iter(run_dirs.values()))
    with Store(RunDir(Path(path)).store_path) as store:
        answers = to_answers(store)
    return evaluate_answers(answers)


def export_corpus(run_dir: Path, out: Path, models: Iterable[str] | None = None) -> int:
    """Write every model's answers in a lab run (or only `models`') as a JSONL corpus (the
    committed test data)."""
    keep = None if models is None else set(models)
    from harness.corpus import write_records
    from harness.manifest import RunDir
    from harness.store import Store, prompt_text

    with Store(RunDir(Path(run_dir)).store_path) as store:
        records = [
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
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_records(out, records)


def attributed_to(attribution: dict) -> str:
    """The named teacher, "no single teacher", or why attribution was not tested."""
    if attribution["teacher"]:
        return attribution["teacher"]
    if attribution["p"]:
        return "no single teacher"
    return "not tested: " + "; ".join(attribution["notes"])


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
