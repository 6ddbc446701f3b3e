"""`fingerprint probes`: list, show and validate probe suites.

Suites are data that users edit, so the command line offers a way to see what a run would ask
(`list`, `show`) and to check an edited suite before spending endpoint budget on it (`validate`).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from harness.commands import output_console
from harness.errors import InputError
from harness.probes import (
    SELECTIONS,
    Probe,
    Suite,
    SuiteError,
    expand_variants,
    load_suites,
    select,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add `probes list|show|validate` to the root parser."""
    parser = subparsers.add_parser("probes", help="list, show and validate probe suites")
    sub = parser.add_subparsers(dest="probes_command", metavar="ACTION")
    parser.set_defaults(func=lambda args: _help(parser))

    p_list = sub.add_parser("list", help="one line per suite: version, hash, counts")
    p_list.add_argument("--json", action="store_true", help="print a JSON list instead of a table")
    p_list.add_argument("--dir", type=Path, default=None, help="suite directory (default: shipped)")
    p_list.set_defaults(func=cmd_list)

    p_show = sub.add_parser("show", help="print one probe, or every probe of a suite")
    p_show.add_argument("target", metavar="ID_OR_SUITE", help="probe id (base@variant ok) or suite")
    p_show.add_argument("--dir", type=Path, default=None, help="suite directory (default: shipped)")
    p_show.set_defaults(func=cmd_show)

    p_val = sub.add_parser("validate", help="check suite files; exit 2 listing every error")
    p_val.add_argument(
        "paths", nargs="*", type=Path, help="files or directories (default: shipped)"
    )
    p_val.set_defaults(func=cmd_validate)


def _help(parser: argparse.ArgumentParser) -> int:
    parser.print_help()
    return 2


def suite_summary(suite: Suite) -> dict[str, Any]:
    """The JSON shape of `probes list --json` for one suite."""
    languages = Counter(p.language for p in suite.probes)
    selections = {s: sum(s in p.selections for p in suite.probes) for s in SELECTIONS}
    selections["full"] = len(suite.probes)
    return {
        "family": suite.family,
        "suite": suite.name,
        "version": suite.version,
        "hash": suite.hash,
        "count": len(suite.probes),
        "languages": dict(sorted(languages.items(), key=lambda kv: (-kv[1], kv[0]))),
        "selections": selections,
        "origin_control": suite.origin_control,
        "path": str(suite.path),
    }


def cmd_list(args: argparse.Namespace) -> int:
    suites = load_suites(args.dir)
    rows = [suite_summary(s) for s in suites]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return 0
    table = Table(title="probe suites")
    for column in ("family", "suite", "version", "hash", "probes", "languages", "selections"):
        table.add_column(column, justify="right" if column == "probes" else "left")
    for row in rows:
        family = row["family"] + ("*" if row["origin_control"] else "")
        selections = {k: v for k, v in row["selections"].items() if k != "full" and v}
        table.add_row(
            escape(family),
            escape(row["suite"]),
            escape(row["version"]),
            row["hash"][:8],
            str(row["count"]),
            escape(" ".join(f"{k}:{v}" for k, v in row["languages"].items())),
            " ".join(f"{k}:{v}" for k, v in selections.items()),
        )
    console = output_console()
    console.print(table)
    core = select(suites, "core", variants=False)
    expanded = select(suites, "core")
    calls = sum(p.sampling.samples for p in core)
    calls_variants = sum(p.sampling.samples for p in expanded)
    if any(r["origin_control"] for r in rows):
        console.print("* origin control: shows who deployed a model, not who taught it")
    console.print(
        f"{sum(r['count'] for r in rows)} base probes; core: {len(core)} base probes, "
        f"{calls} generations per endpoint ({len(expanded)} probes and {calls_variants} "
        "generations with `variants: true`)"
    )
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    suites = load_suites(args.dir)
    console = output_console()
    for suite in suites:
        if suite.name == args.target:
            _print_suite(console, suite)
            return 0
    wanted_base = args.target.split("@", 1)[0]
    for suite in suites:
        for probe in suite.probes:
            if probe.id != wanted_base:
                continue
            for candidate in expand_variants(probe):
                if candidate.id == args.target:
                    _print_probe(console, candidate, suite)
                    return 0
            names = ", ".join(probe.variants) or "none"
            asked = args.target.split("@", 1)[1] if "@" in args.target else ""
            raise InputError(f"probe {wanted_base} has no variant {asked} (it has: {names})")
    raise InputError(f"no probe or suite named {args.target} (see: fingerprint probes list)")


def _print_suite(console: Console, suite: Suite) -> None:
    origin = "  origin control" if suite.origin_control else ""
    console.print(
        f"[bold]{escape(suite.name)}[/] {escape(suite.version)}  family {suite.family}  "
        f"hash {suite.hash[:12]}{origin}",
        highlight=False,
    )
    console.print(escape(suite.description), highlight=False)
    table = Table(show_lines=False)
    for column in ("id", "lang", "selections", "variants", "prompt"):
        table.add_column(column, overflow="fold")
    for probe in suite.probes:
        last = probe.messages[-1].content.replace("\n", " ")
        table.add_row(
            escape(probe.id),
            probe.language,
            ",".join(probe.selections),
            ",".join(probe.variants),
            escape(last if len(last) <= 90 else last[:87] + "..."),
        )
    console.print(table)


def _print_probe(console: Console, probe: Probe, suite: Suite) -> None:
    s = probe.sampling
    console.print(f"[bold]{escape(probe.id)}[/]", highlight=False)
    facts = {
        "suite": f"{suite.name} {suite.version} ({suite.path}:{probe.line})",
        "family": probe.family + (" (origin control)" if probe.origin_control else ""),
        "language": probe.language,
        "selections": ", ".join(("full", *probe.selections)),
        "variant": probe.variant or "(base)",
        "variants": ", ".join(probe.variants) or "-",
        "sampling": (
            f"temperature {s.temperature}, max_tokens {s.max_tokens}, samples {s.samples}"
            + (f", top_p {s.top_p}" if s.top_p is not None else "")
            + (f", stop {list(s.stop)}" if s.stop else "")
        ),
        "tags": ", ".join(probe.tags) or "-",
        "expect": json.dumps(_plain(probe.expect), ensure_ascii=False),
    }
    for key, value in facts.items():
        console.print(f"  [dim]{key:>10}[/] {escape(value)}", highlight=False)
    for message in probe.messages:
        console.print(
            f"  [bold cyan]{message.role:>10}[/] {escape(message.content)}", highlight=False
        )
    if probe.prompt is not None:
        console.print(f"  [bold cyan]{'raw prompt':>10}[/] {escape(probe.prompt)}", highlight=False)


def _plain(value: Any) -> Any:
    """Read-only expect data back to JSON-ready dicts and lists."""
    if hasattr(value, "items"):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v) for v in value]
    return value


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        suites = load_suites(args.paths or None)
    except SuiteError as exc:
        for line in exc.errors:
            print(line, file=sys.stderr)
        print(f"{len(exc.errors)} error(s)", file=sys.stderr)
        return 2
    except InputError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    total = sum(len(s.probes) for s in suites)
    expanded = sum(len(expand_variants(p)) for s in suites for p in s.probes)
    for suite in suites:
        print(f"OK {suite.path}: {suite.name} {suite.version}, {len(suite.probes)} probes")
    core = len(select(suites, "core", variants=False))
    print(
        f"OK: {len(suites)} suites, {total} base probes ({expanded} with variants), {core} in core"
    )
    return 0
