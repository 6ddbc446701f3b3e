"""One module per `fingerprint` subcommand: its arguments (`register`) and what it runs."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from rich.console import Console

PIPED_WIDTH = 160  # columns for tables written to a file or a CI log


def output_console(stderr: bool = False, **options) -> Console:
    """A rich console for a command's output. Written to a file or a CI log (not a terminal)
    rich would wrap tables at 80 columns and cut model names short, so it gets
    `PIPED_WIDTH` columns unless COLUMNS gives a width (a number, as rich reads it)."""
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    piped = not stream.isatty() and not os.environ.get("COLUMNS", "").isdigit()
    return Console(stderr=stderr, width=PIPED_WIDTH if piped else None, **options)


def comma_list(value: str | None) -> list[str]:
    """A comma-separated option as names, blanks dropped ("a, b," -> ["a", "b"]; None -> [])."""
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def known_names(option: str, value: str, allowed, what: str) -> list[str]:
    """A comma-separated option whose names must all be in `allowed` (repeats dropped); none,
    or an unknown one, is one error line that lists the choices."""
    from harness.errors import InputError

    names = list(dict.fromkeys(comma_list(value)))
    unknown = [n for n in names if n not in allowed]
    if unknown or not names:
        raise InputError(
            f"{option}: {', '.join(unknown) or 'no name given'}; {what}: {', '.join(allowed)}"
        )
    return names


def attribution_features(value: str | None) -> tuple[str, ...]:
    """`--attribution-features`: scored feature names ('all': every one, the pre-v7 rule; not
    given: the lexical default)."""
    from harness.detector.attribution import LEXICAL
    from harness.detector.features import PRIMARY

    if value is None:
        return LEXICAL
    if comma_list(value) == ["all"]:
        return PRIMARY
    what = "scored features (or 'all')"
    return tuple(known_names("--attribution-features", value, PRIMARY, what))
