"""`fingerprint report RUN_DIR`: rebuild the reports of a run from its store alone (no network)."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands import output_console


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "report",
        help="rebuild HTML / Markdown / JSON reports of a run directory (no network)",
        description="Read RUN_DIR's store and manifest, recompute the verdicts and write "
        "report.html, report.md (+ plots/*.svg) and report.json. Nothing is sent to any model.",
    )
    p.add_argument("run_dir", help="a run directory (results/<run-id>)")
    p.add_argument(
        "--format",
        action="append",
        metavar="FMT",
        help="html, md, json; repeat or comma-separate (default: all three)",
    )
    p.add_argument("--out", help="where to write the reports (default: RUN_DIR)")
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (default 0.05)")
    p.add_argument(
        "--sequential",
        action="store_true",
        help="judge in looks after 10, 25, 50, ... probes and say where each verdict settled "
        "(each look at alpha / looks, so stopping early keeps the error rate)",
    )
    p.add_argument("--quiet", action="store_true", help="do not print the verdict table")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:

    from harness.analysis import analyse
    from harness.errors import InputError
    from harness.manifest import RunDir
    from harness.report import parse_formats, write_reports
    from harness.report.console import print_analysis

    formats = parse_formats(args.format)
    if not 0 < args.alpha < 1:
        raise InputError("--alpha: expected a number between 0 and 1")
    run_dir = RunDir(Path(args.run_dir))
    if not run_dir.path.is_dir():
        raise InputError(f"{run_dir.path}: no such run directory")
    analysis = analyse(run_dir, alpha=args.alpha, sequential=args.sequential)
    written = write_reports(analysis, Path(args.out) if args.out else run_dir.path, formats)
    console = output_console()
    if not args.quiet:
        print_analysis(analysis, console)
    console.print("reports: " + ", ".join(str(p) for p in written), soft_wrap=True)
    return 0
