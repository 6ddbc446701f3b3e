"""lm-eval hooks for fingerprint probe tasks: load a task's probes, score every kept repeat.

`fingerprint export lm-eval` copies this file verbatim into the export directory as
``fp_hooks.py``, next to the task YAML that names it (``!function fp_hooks.load``). It imports
nothing from fingerprint, so an exported directory runs in any lm-eval install with any model;
only the `fingerprint` LM (harness.interop.lmeval) also reads the ``fp_probe`` column to send a
probe exactly as ``fingerprint run`` would (system prompt and turns kept as chat messages).

Why the scores are simple: a distillation verdict needs two models' answers side by side, which
lm-eval's one-model-per-run design cannot give. These metrics only show that every repeat came
back (`answers` must equal the task's `repeats`), how many were non-empty, and, for reasoning
probes, how many contained the expected answer.
"""

from __future__ import annotations

import json
from pathlib import Path


def load(fp_data: str, **_metadata):
    """The task's probes as ``{"test": datasets.Dataset}``; `fp_data` is relative to this file."""
    import datasets

    path = Path(fp_data)
    if not path.is_absolute():
        path = Path(__file__).resolve().parent / path
    with open(path, encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    return {"test": datasets.Dataset.from_list(rows)}


def _expected(doc) -> list[str]:
    expect = json.loads(doc.get("expect") or "{}")
    if "answer" not in expect:
        return []
    accept = expect.get("accept") or []
    if isinstance(accept, str):
        accept = [accept]
    return [str(a).strip().lower() for a in [expect["answer"], *accept] if str(a).strip()]


def process_results(doc, results):
    """Metrics over every repeat of one probe; `results[0]` is the list the filter kept."""
    kept = results[0]
    answers = list(kept) if isinstance(kept, list | tuple) else [kept]
    n = len(answers)
    out = {
        "answers": n,
        "nonempty": sum(1 for a in answers if a.strip()) / n if n else 0.0,
    }
    if doc.get("family") == "reasoning":  # the metric every reasoning task declares
        expected = _expected(doc)
        hits = sum(1 for a in answers if any(e in a.lower() for e in expected))
        out["contains_answer"] = hits / n if n else 0.0
    return out
