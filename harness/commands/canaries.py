"""`fingerprint canaries mine RUN_DIR`: grow a canary list for your reference from stored answers."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.canaries import FAMILIES, MIN_SAMPLES  # stdlib and harness.answers only
from harness.commands import comma_list, output_console


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("canaries", help="mine canaries (the reference's rare, reliable habits)")
    csub = p.add_subparsers(dest="canaries_command", metavar="ACTION", required=True)
    m = csub.add_parser(
        "mine",
        help="find strings the reference says reliably and the controls rarely say",
        description="Reads a run directory's store (no network). Run candidate prompts against "
        "the reference (several samples or deployment variants) and a control panel first; "
        "keep what the reference says in most samples and few controls say.",
    )
    m.add_argument("run_dir")
    m.add_argument("--reference", help="default: the run's reference")
    m.add_argument(
        "--controls",
        help="comma-separated (default: the run's control panel; without one, every model that "
        "is neither the reference nor a suspect)",
    )
    m.add_argument(
        "--families",
        help=f"comma-separated probe families to mine, each one of the run's (default: those "
        f"of {', '.join(FAMILIES)} the run holds)",
    )
    m.add_argument(
        "--min-samples",
        type=int,
        default=MIN_SAMPLES,
        help=f"reference samples a probe needs (variants pooled; default {MIN_SAMPLES}): one "
        "sample makes every string look reliable",
    )
    m.add_argument("--min-reference-rate", type=float, default=0.8)
    m.add_argument("--max-control-rate", type=float, default=0.2)
    m.add_argument("--out", help="write the canaries as YAML (probe id -> strings) to this file")
    m.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import yaml
    from rich.table import Table

    from harness.canaries import mine, mineable
    from harness.errors import InputError
    from harness.manifest import RunDir, run_identities
    from harness.store import Store, to_answers

    run_dir = RunDir(Path(args.run_dir))
    manifest = run_dir.read_manifest()
    with Store(run_dir.store_path) as store:
        answers = to_answers(store, identities=run_identities(manifest))
    cfg = manifest["config"]
    reference = args.reference or cfg["reference"]
    if reference not in answers.texts:
        raise InputError(f"{run_dir.path}: no answers of reference {reference!r} in the store")
    if args.min_samples < 1:
        raise InputError("--min-samples: expected a whole number >= 1")
    families = list(FAMILIES) if args.families is None else comma_list(args.families)
    present = sorted(set(answers.families.values()))
    unknown = [f for f in families if f not in present]
    # A family the user names must be in the run (a typo would quietly mine less); the default
    # names every family canaries live in, and a run often holds only some of them.
    if unknown and (args.families is not None or len(unknown) == len(families)):
        raise InputError(
            f"--families: no probe of {', '.join(unknown)} in this run "
            f"(its families: {', '.join(present) or 'none'})"
        )
    # Default panel: the run's controls; suspects would hide the very strings a student shares.
    suspects = set(cfg.get("suspects") or ())
    controls = comma_list(args.controls) or [
        c for c in (cfg.get("controls") or []) if c != reference
    ]
    if not controls:
        controls = [m for m in answers.models if m != reference and m not in suspects]
    missing = [c for c in controls if c not in answers.texts]
    if missing:
        raise InputError(f"{run_dir.path}: no answers of control {missing[0]!r} in the store")
    if not controls:
        raise InputError("canary mining needs at least one control model")
    found = mine(
        answers,
        reference,
        controls,
        families=families,
        min_reference_rate=args.min_reference_rate,
        max_control_rate=args.max_control_rate,
        min_samples=args.min_samples,
    )
    console = output_console()
    table = Table(
        title=f"Canaries of {reference} against {len(controls)} controls ({', '.join(controls)})"
    )
    for col in ("probe", "canary", "reference rate", "control rate", "samples"):
        table.add_column(col)
    for c in found:
        table.add_row(
            c.probe_id,
            c.text,
            f"{c.reference_rate:.2f}",
            f"{c.control_rate:.2f}",
            str(c.reference_samples),
        )
    console.print(table)
    if not found:
        n, enough = mineable(answers, reference, families, args.min_samples)
        console.print(
            f"no canary found: {reference} answered {n} probe(s) of {', '.join(families)}, "
            f"{enough} with >= {args.min_samples} samples (its families here: "
            f"{', '.join(present)}). Sample the reference several times (or with variants), or "
            "relax --min-reference-rate / --max-control-rate."
        )
    if args.out:
        data: dict[str, dict[str, list[str]]] = {}
        for c in found:
            data.setdefault(c.probe_id, {}).setdefault(reference, []).append(c.text)
        Path(args.out).write_text(
            "# expect.canaries per probe, mined by `fingerprint canaries mine`\n"
            + yaml.safe_dump(data, allow_unicode=True, sort_keys=True),
            encoding="utf-8",
        )
        console.print(f"wrote {len(found)} canaries to {args.out}")
    return 0
