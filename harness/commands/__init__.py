"""One module per `fingerprint` subcommand: its arguments (`register`) and what it runs."""


def comma_list(value: str | None) -> list[str]:
    """A comma-separated option as names, blanks dropped ("a, b," -> ["a", "b"]; None -> [])."""
    return [v.strip() for v in value.split(",") if v.strip()] if value else []
