"""`fingerprint bench --corpus DIR`: the detector's accuracy on a labelled answer corpus."""

from __future__ import annotations

import argparse
import json
import math

from rich.console import Console
from rich.table import Table

from harness.errors import InputError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "bench",
        help="measure the detector on a labelled corpus (AUC, TPR at FPR, empirical FPR, "
        "attribution)",
        description="Run the detector on every labelled case of DIR/lineage.json using the "
        "answers in DIR/responses.jsonl.gz.",
    )
    p.add_argument(
        "--corpus", required=True, help="directory with responses.jsonl.gz + lineage.json"
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.add_argument(
        "--prompts",
        default="10,25,50,100,200,all",
        help="prompt counts for the by-prompts table (comma list; 'all' is always included)",
    )
    p.add_argument(
        "--pool-scale",
        action="store_true",
        help="estimate the null's spread over every reference's panel (more df, assumes equal "
        "spread; docs/detector.md)",
    )
    p.set_defaults(func=run)


def _counts(text: str) -> tuple[int, ...]:
    out = []
    for part in text.split(","):
        part = part.strip()
        if not part or part == "all":
            continue
        if not part.isdigit() or int(part) < 3:
            raise InputError(f"--prompts: '{part}' is not a count >= 3 or 'all'")
        out.append(int(part))
    return tuple(out)


def _fmt(x) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "-"
    return f"{x:.3g}" if isinstance(x, float) else str(x)


def run(args: argparse.Namespace) -> int:
    from harness.bench import run_bench

    result = run_bench(args.corpus, _counts(args.prompts), pool=args.pool_scale)
    if args.json:
        print(json.dumps(result, default=lambda o: None))
        return 0
    con = Console()
    con.print(f"[bold]panel:[/] {result['panel_rule']}")
    con.print(f"[bold]fallback panel:[/] {result['fallback_rule']}")
    con.print(f"[bold]foils:[/] {result['foil_rule']}")
    con.print(f"[bold]scale:[/] {result['scale_rule']}")
    cases = Table(title="cases")
    for col in ("reference", "suspect", "label", "panel", "foils", "controls", "p", "verdict"):
        cases.add_column(col)
    for c in result["cases"]:
        cases.add_row(
            c["reference"],
            c["suspect"],
            c["label"],
            c["panel_rule_used"],
            ", ".join(c["foils"]) or "-",
            str(c["n_controls"]),
            _fmt(c["p_value"]),
            c["verdict"],
        )
    con.print(cases)
    summary = Table(title="by number of prompts (mean over draws)")
    for col in ("prompts", "AUC", "TPR@FPR.01", "TPR@FPR.05", "FPR@a.05", "TPR@a.05"):
        summary.add_column(col)
    for n, m in result["by_prompts"].items():
        summary.add_row(
            n,
            _fmt(m["auc"]),
            _fmt(m["tpr_at_fpr_01"]),
            _fmt(m["tpr_at_fpr_05"]),
            _fmt(m["fpr_at_alpha_05"]),
            _fmt(m["tpr_at_alpha_05"]),
        )
    con.print(summary)
    att = result["attribution"]
    con.print(f"[bold]attribution:[/] {att['rule']}")
    named = Table(title="attribution (which vendor taught it?)")
    for col in ("reference", "suspect", "label", "candidates", "controls", "named", "outcome"):
        named.add_column(col)
    for c in att["cases"]:
        named.add_row(
            c["reference"],
            c["suspect"],
            c["label"],
            ", ".join(c["candidates"]),
            str(c["n_controls"]),
            c["teacher"] or "no single teacher",
            c["outcome"],
        )
    con.print(named)
    con.print(
        f"named right {att['named_right']}, wrong {att['named_wrong']}, no single teacher "
        f"{att['no_single_teacher']} of {att['n_cases']}; right when the documented teacher is "
        f"a candidate: {_fmt(att['right_when_teacher_is_a_candidate'])}"
    )
    return 0
