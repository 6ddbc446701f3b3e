"""One module per `fingerprint` subcommand: its arguments (`register`) and what it runs."""


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
