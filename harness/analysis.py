"""From a run directory to evidence: answers out of the store, verdicts out of the detector.

Everything a report shows is computed here once, from the store alone (no network), so the
console table, HTML, Markdown and JSON reports can never disagree with each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from harness import runlock
from harness.answers import Answers
from harness.detector import Attribution, Verdict, attribute, detect, similarity_matrix
from harness.errors import InputError, OperationalError
from harness.manifest import RunDir, run_identities
from harness.store import Store, to_answers


@dataclass
class Analysis:
    manifest: dict[str, Any]
    reference: str
    suspects: list[str]
    controls_of: dict[str, list[str]]
    answers: Answers
    verdicts: list[Verdict]
    models: list[str]
    similarity: np.ndarray
    failures: list[dict[str, Any]] = field(default_factory=list)
    # One per suspect when the run names other candidate teachers (`candidates` in the config).
    candidates: list[str] = field(default_factory=list)
    attributions: list[Attribution] = field(default_factory=list)
    alpha: float = 0.05  # the level every verdict here was decided at
    # What a reader must see before the verdicts: an unfinished run, models without answers.
    warnings: list[str] = field(default_factory=list)
    # Failed samples that asking again may answer (a replay corpus's gaps are not among them).
    retryable_failures: int = 0
    # Whether a process still runs this run: True, False, or None when that cannot be told.
    live: bool | None = False


def panel(reference: str, suspects: list[str], controls: list[str]) -> dict[str, list[str]]:
    """Controls for each suspect: the configured panel, else every other suspect.

    Judging each suspect against the others is the leave-one-out panel a small run can afford;
    it is only as good as the assumption that the others are independent of the reference.
    """
    return {
        s: list(controls) if controls else [o for o in suspects if o not in (s, reference)]
        for s in suspects
    }


def _coverage_note(answers: Answers, reference: str, models: list[str]) -> str | None:
    """Say which models' gaps cut a verdict's probes, relative to what the reference answered."""
    asked = set(answers.texts.get(reference, {}))
    common = set(answers.common_prompts([reference, *models]))
    if len(common) == len(asked):
        return None
    have = {m: asked & set(answers.texts.get(m, {})) for m in models}
    short = [f"{m} ({len(h)})" for m, h in have.items() if h != asked]
    return (
        f"judged on the {len(common)} of the reference's {len(asked)} probes that the suspect "
        f"and every control answered; answered fewer: {', '.join(short)}"
    )


def _failure_cause(manifest: dict[str, Any], failures: list[dict[str, Any]], model: str):
    """(requests of `model` that failed, why: the reason it was cut off, else the first error)."""
    failed = [f for f in failures if f["endpoint"] == model]
    aborted = ((manifest.get("endpoints") or {}).get(model) or {}).get("aborted")
    return len(failed), aborted or (failed[0]["error"] if failed else "")


def _warnings(
    manifest: dict[str, Any],
    models: list[str],
    present: list[str],
    failures: list[dict[str, Any]],
    answers: Answers,
    live: bool | None = None,
    holder: dict[str, Any] | None = None,
) -> list[str]:
    """An unfinished run and every configured model without answers, each said in one line.

    `live` (see `run_liveness`) tells a run in progress (run by `holder`) from one whose
    process is gone."""
    out = []
    if missing := manifest.get("not_in_corpus"):
        by_model = ", ".join(f"{m} ({n})" for m, n in missing.items())
        out.append(
            f"{sum(missing.values())} prompt(s) have no answer in the replay corpus and are "
            f"left out ({by_model}); running again cannot add them"
        )
    status = manifest.get("status", "complete")
    if status != "complete":
        planned = manifest.get("planned_answers")
        got = answers.n_samples()
        of = f"{got} of {planned} planned answers" if planned else f"{got} answers"
        if live:
            out.append(
                f"run still in progress ({runlock.holder_text(holder)}): {of} are stored so "
                "far and the verdicts use only those; report again once it has ended"
            )
        elif status == "running" and live is False:
            out.append(
                "run stopped without finishing (status: running, but its process is gone: "
                f"killed or crashed): {of} are stored and the verdicts use only those; run the "
                "same command again to resume"
            )
        else:
            out.append(
                f"unfinished run (status: {status}): {of} are stored and the verdicts use only "
                "those; run the same command again to resume"
            )
    for m in models:
        if m in present:
            continue
        n_failed, why = _failure_cause(manifest, failures, m)
        out.append(
            f"no verdict for {m}: no answer of it is stored"
            + (f" ({n_failed} request(s) failed: {why})" if why else "")
        )
    return out


def run_liveness(run_dir: RunDir, manifest: dict[str, Any]) -> bool | None:
    """Is a process still running this run? Only a `running` manifest asks the lock (a kill -9
    leaves that status behind); any other status is the record of an attempt that ended."""
    if manifest.get("status") != "running":
        return False
    return runlock.is_held(run_dir.path)


def analyse(run_dir: RunDir, *, alpha: float = 0.05, sequential: bool = False) -> Analysis:
    """`sequential`: judge each suspect in looks over a growing share of its probes
    (detector/sequential.py) and report how many it took to settle."""
    manifest = run_dir.read_manifest()
    live = run_liveness(run_dir, manifest)
    if not run_dir.store_path.exists():
        raise InputError(f"{run_dir.path}: no store in this run directory")
    cfg = manifest["config"]
    reference, suspects, controls = cfg["reference"], list(cfg["suspects"]), list(cfg["controls"])
    candidates = list(cfg.get("candidates") or [])
    models = [reference, *suspects, *[c for c in controls if c not in suspects], *candidates]
    with Store(run_dir.store_path) as store:
        stored = to_answers(store, models, run_identities(manifest))
        failures = store.failures()
    present = [m for m in models if m in stored.texts]
    if reference not in present:
        n_failed, why = _failure_cause(manifest, failures, reference)
        if why:
            # The input was fine; the endpoint failed: an operational error (exit 1), saying why.
            raise OperationalError(
                f"{run_dir.path}: no answer of the reference {reference!r} arrived "
                f"({n_failed} request(s) failed; {why}); run again once it answers"
            )
        raise InputError(
            f"{run_dir.path}: the store holds no answers of the reference {reference!r}"
        )
    answers = stored.restrict(present)
    controls_of = panel(
        reference, [s for s in suspects if s in present], [c for c in controls if c in present]
    )
    # Each verdict compares like with like on the probes its own models all answered (the
    # detector restricts to them), so one model's gaps never shrink another suspect's evidence.
    verdicts = []
    for s, panel_s in controls_of.items():
        for v in detect(answers, reference, [s], panel_s, alpha=alpha, sequential=sequential):
            note = _coverage_note(answers, reference, [s, *panel_s])
            if note:
                v.notes.append(note)
            if not controls:
                v.notes.append(
                    "no control panel was configured, so the controls are the other suspects: "
                    "the p-value assumes none of them learnt from the reference either"
                )
            verdicts.append(v)
    missing = [c for c in candidates if c not in present]
    candidates = [c for c in candidates if c in present]
    attributions = []
    if candidates or missing:
        # One table per suspect, as in `detect`: its per-prompt IDF then holds that suspect, its
        # panel and the candidates only, so one suspect never moves another's attribution.
        for s, panel_s in controls_of.items():
            a = attribute(answers, s, [reference, *candidates], panel_s, alpha=alpha)
            if missing:
                a.notes.append(f"candidates without answers, left out: {', '.join(missing)}")
            attributions.append(a)
    return Analysis(
        manifest=manifest,
        reference=reference,
        suspects=list(controls_of),
        controls_of=controls_of,
        answers=answers,
        verdicts=verdicts,
        models=present,
        similarity=similarity_matrix(answers, present),
        failures=failures,
        candidates=candidates,
        attributions=attributions,
        alpha=alpha,
        warnings=_warnings(
            manifest,
            models,
            present,
            failures,
            answers,
            live,
            (runlock.holder(run_dir.path) or manifest.get("process")) if live else None,
        ),
        retryable_failures=sum(f["endpoint"] not in _corpus_endpoints(manifest) for f in failures),
        live=live,
    )


def _corpus_endpoints(manifest: dict[str, Any]) -> set[str]:
    """Endpoints that answered from a corpus (their failures are gaps of the corpus)."""
    return {n for n, e in (manifest.get("endpoints") or {}).items() if e.get("from_corpus")}
