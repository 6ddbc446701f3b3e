"""`fingerprint bench --corpus DIR`: the detector's accuracy on a labelled answer corpus."""

from __future__ import annotations

import argparse
import json
import math

from rich.markup import escape
from rich.table import Table

from harness.commands import attribution_features, output_console
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
        "--corpus",
        required=True,
        help="directory with responses.jsonl.gz (or responses.jsonl) + lineage.json",
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
        help="moderate each panel's spread by the other references' panels (empirical Bayes: "
        "more df; liberal when the tested panel alone is wider, so opt-in; docs/detector-experiments.md, Round 6)",
    )
    p.add_argument(
        "--attribution-features",
        metavar="F1,F2",
        help="score attribution candidates on these features only (default char4,word2, "
        "attribution v7, docs/lab.md; 'all': every scored feature, the pre-v7 rule)",
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
    """A number for the tables; "n/a" where it is undefined (None: no case of a label, or no
    p-value because the panel is too small)."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    return f"{x:.3g}" if isinstance(x, float) else str(x)


def _counted(per_model: dict[str, int]) -> str:
    """'name (n), ...' with model names escaped (they come from the corpus)."""
    return ", ".join(f"{escape(m)} ({n})" for m, n in per_model.items())


def _table(title: str, columns: tuple[str, ...]) -> Table:
    t = Table(title=title)
    for col in columns:
        t.add_column(col)
    return t


def run(args: argparse.Namespace) -> int:
    from harness.bench import run_bench
    from harness.bench_tables import PROMPT_LOSS_KEPT
    from harness.detector.verdict import EMPTY_SHARE_NOTED

    feats = attribution_features(args.attribution_features)
    result = run_bench(
        args.corpus, _counts(args.prompts), pool=args.pool_scale, attribution_features=feats
    )
    if args.json:
        # allow_nan=False: NaN / Infinity are not JSON; run_bench already turned them into None
        print(json.dumps(result, default=lambda o: None, allow_nan=False))
        return 0
    # Model names, labels and skip reasons come from the corpus: escape them, or a name such
    # as "[/x]" is read as rich markup (and raises).
    e = escape
    con = output_console()
    own = result["cases_on_own_prompts"]
    con.print(
        f"[bold]prompts:[/] {result['n_prompts']} answered by every model (of "
        f"{result['n_prompts_in_corpus']} in the corpus); "
        + (
            f"{own} case(s) are scored on the more prompts their own models answered "
            f"(column 'prompts'; {result['coverage_rule']})"
            if own
            else "every case is scored on those"
        )
    )
    if result["responses_not_read"]:
        con.print(
            f"  [bold yellow]read {e(result['responses_read'])}[/]; "
            f"{e(result['responses_not_read'])} beside it is not read"
        )
    if result["n_prompts"] < result["n_prompts_in_corpus"]:
        short = result["n_models_short"]
        of = f" ({short} models answered fewer than all)" if short > 3 else ""
        con.print(f"  fewest prompts answered: {_counted(result['fewest_answered'])}{of}")
    notes = {  # JSON key -> what the models it counts have in common
        "left_out_models": "left out (in no case or panel, and kept they would cost more than a "
        "tenth of the prompts)",
        "controls_left_out": "controls left out of a case's panel, having answered less than "
        f"{PROMPT_LOSS_KEPT:.0%} of its prompts (cases)",
        "empty_answers": f"models whose answers are empty on at least {EMPTY_SHARE_NOTED:.0%} "
        "of their prompts (scored as no overlap; in a panel they widen it)",
        "null_responses": "records with a null response, read as unanswered",
    }
    for key, what in notes.items():
        if result[key]:
            con.print(f"  {what}: {_counted(result[key])}")
    if result["models_sharing_no_prompt"]:
        con.print(
            "[bold yellow]  no other model answered any prompt id of:[/] "
            + ", ".join(e(m) for m in result["models_sharing_no_prompt"])
            + " (are their prompt ids written differently?)"
        )
    if result["name_tokens_ignored"]:
        con.print(
            "  name tokens too common to mark a family (no model is tied by them): "
            + ", ".join(e(t) for t in result["name_tokens_ignored"])
        )
    if unread := result["facts_for_unknown_models"]:
        more = f" and {len(unread) - 5} more" if len(unread) > 5 else ""
        hint = f" ({e(result['facts_hint'])})" if result["facts_hint"] else ""
        con.print(
            "[bold yellow]facts not read:[/] lineage.json 'models' has entries for "
            f"{', '.join(e(m) for m in unread[:5])}{more}, named by no case and without answers"
            f"{hint}"
        )
    for s in result["skipped_cases"]:
        con.print(
            f"[bold yellow]skipped case {s['case']}[/] ({e(s['reference'])}, {e(s['suspect'])}, "
            f"{e(s['label'])}): {e(s['reason'])}"
        )
    if result["unscored_labels"]:
        labels = ", ".join(f"'{e(k)}' ({v})" for k, v in result["unscored_labels"].items())
        con.print(
            f"[bold yellow]not scored:[/] cases labelled {labels} are shown but left out of "
            "every metric (only 'distilled' and 'independent' are scored)"
        )
    if result["labels_normalised"]:
        con.print(
            "  labels read as 'distilled' / 'independent' (case and spaces ignored): "
            + _counted({f"'{k}'": v for k, v in result["labels_normalised"].items()})
        )
    con.print(f"[bold]panel:[/] {result['panel_rule']}")
    con.print(f"[bold]fallback panel:[/] {result['fallback_rule']}")
    con.print(f"[bold]foils:[/] {result['foil_rule']}")
    con.print(f"[bold]scale:[/] {result['scale_rule']}")
    columns = ("reference", "suspect", "label", "panel", "foils", "controls", "p", "verdict")
    cases = _table("cases", columns + (("prompts",) if own else ()))
    for c in result["cases"]:
        cases.add_row(
            e(c["reference"]),
            e(c["suspect"]),
            e(c["label"]),
            e(c["panel_rule_used"]),
            e(", ".join(c["foils"])) or "-",
            str(c["n_controls"]),
            _fmt(c["p_value"]),
            c["verdict"],
            *((str(c["n_prompts"]),) if own else ()),
        )
    con.print(cases)
    summary = _table(
        "by number of prompts (mean over draws)",
        ("prompts", "cases", "AUC", "TPR@FPR.01", "TPR@FPR.05", "FPR@a.05", "TPR@a.05"),
    )
    for n, m in result["by_prompts"].items():
        summary.add_row(
            n,
            str(m["n_cases"]),
            _fmt(m["auc"]),
            _fmt(m["tpr_at_fpr_01"]),
            _fmt(m["tpr_at_fpr_05"]),
            _fmt(m["fpr_at_alpha_05"]),
            _fmt(m["tpr_at_alpha_05"]),
        )
    con.print(summary)
    att = result["attribution"]
    con.print(f"[bold]attribution:[/] {att['rule']}")
    named = _table(
        "attribution (which vendor taught it?)",
        ("reference", "suspect", "label", "candidates", "controls", "named", "outcome"),
    )
    for c in att["cases"]:
        named.add_row(
            e(c["reference"]),
            e(c["suspect"]),
            e(c["label"]),
            e(", ".join(c["candidates"])),
            str(c["n_controls"]),
            e(c["teacher"] or "no single teacher"),
            c["outcome"],
        )
    con.print(named)
    for why, n in att["skipped"].items():
        con.print(f"  attribution skipped {n} case(s): {e(why)}")
    con.print(
        f"named right {att['named_right']}, wrong {att['named_wrong']}, undocumented "
        f"{att['named_undocumented']}, no single teacher "
        f"{att['no_single_teacher']} of {att['n_cases']}; right when the documented teacher is "
        f"a candidate: {_fmt(att['right_when_teacher_is_a_candidate'])}"
    )
    return 0
