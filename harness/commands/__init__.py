"""One module per `fingerprint` subcommand: its arguments (`register`) and what it runs."""


def comma_list(value: str | None) -> list[str]:
    """A comma-separated option as names, blanks dropped ("a, b," -> ["a", "b"]; None -> [])."""
    return [v.strip() for v in value.split(",") if v.strip()] if value else []


def attribution_features(value: str | None) -> tuple[str, ...]:
    """`--attribution-features`: scored feature names ('all': every one, the pre-v7 rule; not
    given: the lexical default)."""
    from harness.detector.attribution import LEXICAL
    from harness.detector.features import PRIMARY
    from harness.errors import InputError

    if value is None:
        return LEXICAL
    names = tuple(dict.fromkeys(comma_list(value)))
    if names == ("all",):
        return PRIMARY
    bad = [n for n in names if n not in PRIMARY]
    if bad or not names:
        raise InputError(
            f"--attribution-features: {', '.join(bad) or 'no name given'}; scored features: "
            f"{', '.join(PRIMARY)} (or 'all')"
        )
    return names
