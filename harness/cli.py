"""Command-line entry point: one argparse root, one module per subcommand under `commands/`.

Each command module exposes `register(subparsers)`, which adds its parser and sets
`func(args) -> int`. Errors derived from `FingerprintError` become one line and an exit code.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from rich.console import Console
from rich.text import Text

from harness import __version__
from harness.errors import FingerprintError, Terminated, redact, secret_values

# Order is the order shown in --help.
COMMANDS = [
    "run",
    "report",
    "check",
    "probes",
    "canaries",
    "local",
    "import_",
    "export",
    "bench",
    "lab",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="fingerprint",
        description="Tell whether a language model was distilled from another, from its answers.",
    )
    parser.add_argument("--version", action="version", version=f"fingerprint {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"harness.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"harness.commands.{name}":
                continue  # command not built yet
            raise
        module.register(sub)
    return parser


def _innermost(parser: argparse.ArgumentParser, args: argparse.Namespace):
    """The parser of the (sub)command the user typed, following `dest` of each subparsers."""
    while True:
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        chosen = getattr(args, subs[0].dest or "", None) if subs else None
        if not subs or chosen not in subs[0].choices:
            return parser
        parser = subs[0].choices[chosen]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    # parse_args would report an unknown flag with the top-level usage ("fingerprint [-h]
    # COMMAND ..."), which says nothing about the command typed; the subcommand's parser
    # reports it instead, with its own usage line (exit 2).
    args, unknown = parser.parse_known_args(argv)
    if unknown:
        _innermost(parser, args).error(f"unrecognized arguments: {' '.join(unknown)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    err = Console(stderr=True, highlight=False)
    try:
        return int(args.func(args) or 0)
    except FingerprintError as exc:
        # Text, not markup: messages quote user input, which may contain [brackets].
        err.print(
            Text("error: ", style="bold red") + Text(redact(str(exc), secret_values())),
            soft_wrap=True,
        )
        return exc.exit_code
    except Terminated:
        err.print("terminated: answers received so far are stored; run again to resume")
        return Terminated.exit_code
    except KeyboardInterrupt:
        err.print("interrupted: answers received so far are stored; run again to resume")
        return 130


if __name__ == "__main__":
    sys.exit(main())
