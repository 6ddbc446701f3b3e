"""`fingerprint canaries mine RUN_DIR`: grow a canary list for your reference from stored answers."""

from __future__ import annotations

import argparse
from pathlib import Path

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
    m.add_argument("--controls", help="comma-separated (default: every other model in the run)")
    m.add_argument("--families", default="canary,random,identity", help="probe families to mine")
    m.add_argument("--min-reference-rate", type=float, default=0.8)
    m.add_argument("--max-control-rate", type=float, default=0.2)
    m.add_argument("--out", help="write the canaries as YAML (probe id -> strings) to this file")
    m.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    import yaml
    from rich.table import Table

    from harness.canaries import mine
    from harness.errors import InputError
    from harness.manifest import RunDir, run_identities
    from harness.store import Store, to_answers

    run_dir = RunDir(Path(args.run_dir))
    manifest = run_dir.read_manifest()
    with Store(run_dir.store_path) as store:
        answers = to_answers(store, identities=run_identities(manifest))
    reference = args.reference or manifest["config"]["reference"]
    if reference not in answers.texts:
        raise InputError(f"{run_dir.path}: no answers of reference {reference!r} in the store")
    controls = (
        comma_list(args.controls)
        if args.controls
        else [m for m in answers.models if m != reference]
    )
    missing = [c for c in controls if c not in answers.texts]
    if missing:
        raise InputError(f"{run_dir.path}: no answers of control {missing[0]!r} in the store")
    if not controls:
        raise InputError("canary mining needs at least one control model")
    found = mine(
        answers,
        reference,
        controls,
        families=comma_list(args.families),
        min_reference_rate=args.min_reference_rate,
        max_control_rate=args.max_control_rate,
    )
    console = output_console()
    table = Table(title=f"Canaries of {reference} against {len(controls)} controls")
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
