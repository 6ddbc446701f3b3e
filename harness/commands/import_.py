"""`fingerprint import CORPUS`: load an answer corpus into a run directory, as a replayed run.

The corpus becomes one replay endpoint per model and its prompts become the probes, so the
imported answers sit in the store under exactly the keys a replay run would use, and every
scorer and report works on them unchanged.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands import comma_list, output_console


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "import",
        help="load an answer corpus or dataset into a run directory",
        description="Import a corpus of answers (one JSON object per line with model, prompt_id, "
        "prompt, response) into results/<run-id>/ so it can be scored and reported like a run. "
        "A dataset with those columns works too, and a `fingerprint export dataset` folder is "
        "restored exactly as it was stored.",
    )
    p.add_argument(
        "corpus",
        help="a .jsonl / .jsonl.gz corpus, a .parquet / .arrow file, a folder (saved dataset, "
        "export, or .parquet / .jsonl files), or a Hugging Face hub name (owner/name)",
    )
    p.add_argument("--models", help="comma-separated models to import (default: all)")
    p.add_argument(
        "--reference", help="the reference model (default: the first model in the corpus)"
    )
    p.add_argument("--suspects", help="comma-separated suspects (default: every other model)")
    p.add_argument(
        "--controls",
        help="comma-separated control panel, models known to be independent of the reference "
        "(default: none, and each suspect is judged against the other suspects)",
    )
    p.add_argument(
        "--candidates",
        help="comma-separated other candidate teachers: each suspect is also attributed "
        "(which of the reference and these taught it, if any)",
    )
    p.add_argument("--limit", type=int, help="only the first N prompts")
    p.add_argument("--results", default="results", help="where run directories go")
    p.add_argument("--run-id", help="run directory name (default: derived from the corpus)")
    p.add_argument("--no-progress", action="store_true")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from harness.config import EndpointSpec, ProbeSelection, RunConfig, check_roles
    from harness.endpoints.replay import corpus_index
    from harness.errors import InputError
    from harness.interop.datasets_io import prepare_import
    from harness.pipeline import run

    if args.limit is not None and args.limit < 1:  # 0 read as "no records" in the corpus
        raise InputError(f"--limit: expected a number of prompts of at least 1, got {args.limit}")
    if (done := prepare_import(args)) is not None:  # dataset sources (Hugging Face, exports)
        return done
    corpus = Path(args.corpus).resolve()
    index = corpus_index(corpus)
    available = list(index)
    if not available:
        raise InputError(f"{corpus}: the corpus holds no records")
    models = comma_list(args.models) or available
    missing = [m for m in models if m not in available]
    if missing:
        raise InputError(f"{corpus}: no model {missing[0]!r} in this corpus")
    reference = args.reference or models[0]
    controls = comma_list(args.controls)
    candidates = comma_list(args.candidates)
    suspects = comma_list(args.suspects)
    for m in [reference, *suspects, *controls, *candidates]:
        if m not in available:
            raise InputError(f"{corpus}: no model {m!r} in this corpus")
        if m not in models:
            models.append(m)
    suspects = check_roles(
        str(corpus), models, reference, tuple(suspects), tuple(controls), tuple(candidates)
    )
    config = RunConfig(
        name=f"import-{corpus.name.split('.')[0]}",
        reference=reference,
        suspects=suspects,
        controls=tuple(controls),
        candidates=tuple(candidates),
        endpoints={
            m: EndpointSpec(name=m, kind="replay", base_url=str(corpus), model=m, concurrency=64)
            for m in models
        },
        probes=ProbeSelection(selection="full", corpus=str(corpus), limit=args.limit),
    )
    console = output_console(stderr=True)
    warnings = []
    if conflicts := {m: index[m].conflicts for m in models if index[m].conflicts}:
        warnings.append(
            f"{_records(sum(conflicts.values()))} a model's prompt_id with another response "
            f"({_by_model(conflicts)}); the first of each is imported"
        )
    if nulls := {m: index[m].nulls for m in models if index[m].nulls}:
        warnings.append(
            f"{_records(sum(nulls.values()), 'has', 'have')} a null response "
            f"({_by_model(nulls)}), read as no answer"
        )
    for w in warnings:  # plain text: model names may look like markup
        console.print(f"warning: {w}", markup=False, highlight=False, soft_wrap=True)
    result = run(
        config,
        results=Path(args.results),
        run_id=args.run_id,
        show_progress=not args.no_progress,
        console=console,
    )
    new = sum(s.answered for s in result.stats.endpoints.values())
    reused = sum(s.stored_before + s.from_cache for s in result.stats.endpoints.values())
    # A corpus probe is asked once, so an endpoint's failures are its unanswered prompts.
    unanswered = {n: s.failed for n, s in result.stats.endpoints.items() if s.failed}
    console.print(
        f"imported {new + reused} answers ({new} new, {reused} already stored) of {len(models)} "
        f"models to {len(result.probes)} prompts into {result.run_dir.path}"
        + (f"; prompts without an answer, by model: {_by_model(unanswered)}" if unanswered else ""),
        markup=False,
        highlight=False,
        soft_wrap=True,  # one line however long the path: it is read and grepped
    )
    roles = {m: "candidate" for m in candidates} | {m: "control" for m in controls}
    roles |= {m: "suspect" for m in suspects} | {reference: "reference"}
    for m, role in roles.items():  # named, yet the report will have nothing of it to read
        s = result.stats.endpoints[m]
        if s.answered + s.stored_before + s.from_cache == 0:
            console.print(
                f"warning: {m} ({role}) has no answer in the corpus, so the report cannot use it",
                markup=False,
                highlight=False,
                soft_wrap=True,
            )
    return 0


def _by_model(counts: dict[str, int]) -> str:
    """Counts per model, largest first ('b 3, c 1'), the rest summed after eight."""
    ranked = sorted(counts.items(), key=lambda kv: -kv[1])
    text = ", ".join(f"{m} {n}" for m, n in ranked[:8])
    if len(ranked) > 8:
        text += f" and {sum(n for _, n in ranked[8:])} in {len(ranked) - 8} more models"
    return text


def _records(n: int, verb: str = "repeats", verb_plural: str = "repeat") -> str:
    return f"1 record {verb}" if n == 1 else f"{n} records {verb_plural}"
