"""`fingerprint check CONFIG`: the scheduled-job command; exit 0 clear, 100 flagged, 1, 2."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands import output_console


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "check",
        help="check a watchlist of suspects for CI (exit 0 clear, 100 flagged, 1 error, 2 input)",
        description="Ask the watchlist, reference and control endpoints whatever the persistent "
        "store does not hold yet, judge every suspect, and write check.json, junit.xml and the "
        "reports to the output directory. Exit codes: 0 no suspect flagged, 100 at least one "
        "flagged, 1 operational error (including a budget cap reached), 2 bad input. "
        "See examples/check.yaml and docs/reports.md.",
    )
    p.add_argument("config", help="check config (YAML)")
    p.add_argument("--output", help="output directory (overrides the config's output:)")
    p.add_argument("--store", help="persistent answer store (overrides the config's store:)")
    p.add_argument("--progress", action="store_true", help="show progress bars")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from rich.text import Text

    from harness.check import load_check_config, run_check, verdict_lines
    from harness.errors import OperationalError

    cfg = load_check_config(args.config)
    if args.output:
        cfg = replace(cfg, output=Path(args.output))
    if args.store:
        cfg = replace(cfg, store=Path(args.store))
    console = output_console(stderr=True, highlight=False)
    result = run_check(cfg, show_progress=args.progress, console=console)
    data = result.data
    for line in verdict_lines(data):
        console.print(Text(line), soft_wrap=True)
    console.print(
        Text(
            f"{data['requests']} request(s) sent; store {data['store']['path']}: "
            f"{data['store']['rows_before']} -> {data['store']['rows_after']} answers; "
            f"results in {cfg.output}"
        ),
        soft_wrap=True,
    )
    if result.exit_code == 1:
        raise OperationalError(result.message)
    return result.exit_code
