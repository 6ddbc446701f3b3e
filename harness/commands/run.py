"""`fingerprint run`: ask the probes, store the answers, print the verdicts, write the reports."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from rich.text import Text

from harness.commands import output_console
from harness.errors import InputError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "run",
        help="probe endpoints, store answers, print verdicts",
        description="Send the probe suite to every endpoint in CONFIG (or to the local models "
        "with --local), store every answer as it arrives, and print a verdict for each suspect "
        "against the reference, calibrated on the control panel. Re-running resumes: answers "
        "already stored are never asked again.",
    )
    p.add_argument("config", nargs="?", help="run config (YAML); see examples/run.yaml")
    p.add_argument(
        "--local",
        action="store_true",
        help="use the local llama.cpp models (installs and starts them)",
    )
    p.add_argument("--reference", help="with --local: which local model is the reference")
    p.add_argument("--selection", help="probe selection to use (core, full); overrides the config")
    p.add_argument(
        "--results", default="results", help="where run directories go (default: results)"
    )
    p.add_argument(
        "--run-id", help="run directory name (default: derived from the config, so re-runs resume)"
    )
    p.add_argument(
        "--cache",
        help="a store shared across runs, consulted before asking and filled as answers arrive "
        f"(default: RESULTS/{DEFAULT_CACHE}, so a changed config re-asks only what is new)",
    )
    p.add_argument(
        "--no-cache", action="store_true", help="do not use the shared store (only the run's own)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars")
    p.add_argument("--json", action="store_true", help="print the verdicts as JSON on stdout")
    p.set_defaults(func=main)


DEFAULT_CACHE = "cache.sqlite"


def _cache(args: argparse.Namespace) -> Path | None:
    """The shared answer store: every run under one results directory reads it before asking
    (a config with one more suspect pays for that suspect only) and adds what it buys."""
    if args.no_cache:
        if args.cache:
            raise InputError("give either --cache FILE or --no-cache")
        return None
    return Path(args.cache) if args.cache else Path(args.results) / DEFAULT_CACHE


def _local(args: argparse.Namespace):
    from harness import local
    from harness.config import local_config

    local.install()
    servers = local.start()
    return local_config(servers, args.reference)


def main(args: argparse.Namespace) -> int:
    from harness.analysis import analyse
    from harness.config import load_config
    from harness.pipeline import run
    from harness.report import write_reports
    from harness.report.console import print_analysis

    if bool(args.config) == bool(args.local):
        raise InputError("give either a CONFIG file or --local")
    config = _local(args) if args.local else load_config(args.config)
    if args.selection:
        from dataclasses import replace

        config = replace(config, probes=replace(config.probes, selection=args.selection))
    console = output_console(stderr=args.json)
    result = run(
        config,
        results=Path(args.results),
        run_id=args.run_id,
        cache=_cache(args),
        show_progress=not args.no_progress,
        console=console,
    )
    stats = result.stats
    console.print(
        f"run [bold]{result.manifest['run_id']}[/]: {stats.requests} requests sent, "
        f"{sum(s.stored_before + s.from_cache for s in stats.endpoints.values())} answers reused, "
        f"{stats.failed} failed, {stats.wall_s:.1f} s → {result.run_dir.path}"
    )
    for name, st in stats.endpoints.items():
        if st.aborted:
            console.print(
                Text(f"{name}: stopped asking: {st.aborted}", style="red"), soft_wrap=True
            )
    analysis = analyse(result.run_dir)
    written = write_reports(analysis, result.run_dir.path)
    if args.json:
        print(json.dumps([v.to_dict() for v in analysis.verdicts], indent=2))
    else:
        print_analysis(analysis, console)
        console.print("reports: " + ", ".join(str(p) for p in written))
    return 1 if stats.failed else 0
