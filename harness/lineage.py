"""Rules derived from a corpus's `lineage.json`: which models may serve as controls or foils.

Everything here reads the lineage facts only (`org`, `distilled` / `independent` cases, model
names), never similarities or scores, so a panel cannot be chosen to make a case easy. Used by
the detection benchmark (`harness/bench.py`) and the attribution benchmark
(`harness/bench_attribution.py`).
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

from harness.detector.verdict import MIN_CONTROLS
from harness.errors import InputError

PANEL_RULE = (
    "controls = documented independents of the reference's vendor family (its `org` in "
    "`models`): the suspects of every `independent` case whose reference is of that family, plus "
    "every other case reference of another `org`; minus the family itself, the suspects of its "
    "`distilled` cases, any model sharing the leading name token of one of those (a token more "
    "than a quarter of the corpus's models, and at least 10, carry is no family mark) unless "
    "an `independent` case documents it, and the suspect. Score: plain mean similarity (no "
    "foils) and layout habits. With 5 or fewer such controls (5 must remain with any one of "
    "them as the suspect) the fallback panel is used for every suspect of that reference (see "
    "fallback_rule)"
)
FALLBACK_RULE = (
    "controls = every model in the corpus except: the reference; every case reference whose "
    "`models` entry has the same `org` (its vendor family); every suspect of a `distilled` case "
    "of that family; any model whose name contains the leading name token of one of those "
    "(e.g. siblings and renamed copies; a token more than a quarter of the corpus's models, "
    "and at least 10, carry is no family mark); and the suspect itself. With foils, the same is "
    "removed for every foil's family too (a foil's students would be extreme low outliers of the "
    "contrast and widen the null); the score is then the foil contrast"
)
FOIL_RULE = (
    "foils = every other case reference present in the corpus whose `models` entry has a "
    "different `org` (or none), except the suspect; none when the corpus has one reference "
    "(then the score is the plain similarity, detector v1); used only by the fallback panel"
)


LABELS = ("distilled", "independent")  # the labels the metrics score; others are only shown


def load_lineage(directory: Path) -> dict:
    """Read and check `directory/lineage.json`; every problem is one `InputError` line.

    Checked here, once, so the rules below can index cases and model facts without guarding:
    an object with a `cases` list of objects whose `reference`, `suspect` and `label` are
    non-empty strings, an optional `models` object of objects, and no (reference, suspect)
    pair labelled twice with different labels. A UTF-8 byte-order mark is accepted, and so is
    UTF-16 with its byte-order mark.
    A label that is one of LABELS but for case and spaces is read as it (`normal_label`; the
    case keeps what was written under `label_as_written`). Other labels are allowed (shown,
    not scored: see `harness/bench.py`).
    """
    path = directory / "lineage.json"
    if not path.is_file():
        raise InputError(f"{path}: no such file (bench needs lineage.json)")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror or exc}") from None
    # UTF-16 with its byte-order mark is what Windows PowerShell's Out-File and `>` write.
    utf16 = raw[:2] in (b"\xff\xfe", b"\xfe\xff")
    try:
        lineage = json.loads(raw.decode("utf-16" if utf16 else "utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: not valid JSON ({exc.msg})") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 (or UTF-16) text") from None
    if not isinstance(lineage, dict):
        raise InputError(f"{path}: expected a JSON object, got {type(lineage).__name__}")
    cases = lineage.get("cases")
    if not isinstance(cases, list):
        raise InputError(f"{path}: 'cases' must be a list of cases")
    if not cases:
        raise InputError(f"{path}: 'cases' is empty (no labelled case to measure)")
    seen: dict[tuple[str, str], tuple[int, str]] = {}
    for i, c in enumerate(cases):
        if not isinstance(c, dict):
            raise InputError(f"{path}: case {i} must be an object, got {type(c).__name__}")
        for key in ("reference", "suspect", "label"):
            if key not in c:
                raise InputError(f"{path}: case {i} has no '{key}'")
            if not isinstance(c[key], str) or not c[key]:
                raise InputError(f"{path}: case {i}: '{key}' must be a non-empty string")
        if (label := normal_label(c["label"])) != c["label"]:
            c["label_as_written"] = c["label"]
            c["label"] = label
        j, label = seen.setdefault((c["reference"], c["suspect"]), (i, c["label"]))
        if label != c["label"]:
            raise InputError(
                f"{path}: case {i} labels ({c['reference']}, {c['suspect']}) '{c['label']}' "
                f"but case {j} labels it '{label}'"
            )
    if lineage.get("models") is None:
        lineage["models"] = {}  # no facts: every rule then treats each model as its own vendor
    models = lineage["models"]
    if not isinstance(models, dict):
        raise InputError(f"{path}: 'models' must be an object (model name -> facts)")
    for name, facts in models.items():
        if not isinstance(facts, dict):
            raise InputError(f"{path}: models['{name}'] must be an object of facts (\"org\", ...)")
    return lineage


def _folded(text: str) -> str:
    """`text` without what hand-written lineage files vary: case, surrounding and repeated
    spaces (labels and `org` are compared so; names add Unicode form, `loose_name`)."""
    return " ".join(text.split()).casefold()


def normal_label(label: str) -> str:
    """One of LABELS when `label` is that label but for case and surrounding or repeated
    spaces ("Distilled", "INDEPENDENT ", as hand-written lineage files spell them): every rule
    and metric compares labels exactly, so a capital letter used to leave a case unscored and
    its reference without a documented panel. Any other label is returned unchanged."""
    folded = _folded(label)
    return folded if folded in LABELS else label


def runnable_cases(lineage: dict, models: list[str]) -> tuple[list[dict], list[dict]]:
    """(cases to run, cases skipped with a reason), both in lineage order.

    Why skip rather than fail: a corpus may label models it holds no answers for, and one such
    case should not cost the user the whole benchmark; the skipped ones are reported. A case
    whose suspect is its reference measures nothing (a model is closest to itself), and a
    repeated case would be counted twice, so both are skipped too.
    """
    have = set(models)
    run: list[dict] = []
    skipped: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for i, c in enumerate(lineage.get("cases", [])):
        ref, sus = c["reference"], c["suspect"]
        missing = [m for m in (ref, sus) if m not in have]
        if missing:
            reason = "no answers for " + ", ".join(f"'{m}'" for m in dict.fromkeys(missing))
            reason += near_names_hint(missing, models)
        elif ref == sus:
            reason = "suspect is the reference"
        elif (ref, sus) in seen:
            reason = "repeats an earlier case"
        else:
            seen.add((ref, sus))
            run.append(c)
            continue
        skipped.append(skip_record(i, c, reason))
    return run, skipped


def loose_name(name: str) -> str:
    """`name` without what a hand-written file varies unseen: case, surrounding or repeated
    spaces, Unicode composition ("á" as one code point or as "a" and an accent)."""
    return _folded(unicodedata.normalize("NFC", name))


def near_names_hint(missing: list[str], models: list[str]) -> str:
    """ " (the responses have ...)" for names in `missing` that a model of the responses
    matches but for case, spaces or Unicode form; "" when none does.

    Names are matched exactly (two models may differ only in case), so such a case is
    skipped; without the hint "no answers for 'Alpaca-7B'" sent the user looking for answers
    that are there under another spelling."""
    loose: dict[str, list[str]] = {}
    for m in models:
        loose.setdefault(loose_name(m), []).append(m)
    near = {m: n for m in dict.fromkeys(missing) for n in loose.get(loose_name(m), [])}
    if not near:
        return ""
    # A way of writing differs when the names still differ with every other way undone.
    undo = {
        "spaces": lambda x: unicodedata.normalize("NFC", x).casefold(),
        "case": lambda x: unicodedata.normalize("NFC", " ".join(x.split())),
        "Unicode form": lambda x: " ".join(x.split()).casefold(),
    }
    how = [w for w, f in undo.items() if any(f(m) != f(n) for m, n in near.items())]
    have = ", ".join(f"'{n}'" for n in near.values())
    return (
        f" (the responses have {have}: names must match exactly; these differ in {', '.join(how)})"
    )


def skip_record(index: int, case: dict, reason: str) -> dict:
    """One entry of the bench's `skipped_cases`: which lineage case, and why it did not run."""
    return {
        "case": index,
        "reference": case["reference"],
        "suspect": case["suspect"],
        "label": case["label"],
        "reason": reason,
    }


def org_of(lineage: dict, model: str) -> str | None:
    """`model`'s vendor (`org` in `models`) as the rules compare it: case, surrounding and
    repeated spaces ignored ("OpenAI" and "openai " are one vendor; compared as written, a
    hand-written lineage split one vendor's references into two families, each the other's
    foil and in the other's panel), and an empty `org` is none. A non-string `org` is
    compared as it is."""
    org = lineage.get("models", {}).get(model, {}).get("org")
    if isinstance(org, str):
        return _folded(org) or None
    return org


def foils_for(lineage: dict, models: list[str], reference: str, suspect: str) -> list[str]:
    """Other-vendor case references to contrast against (FOIL_RULE), sorted."""
    org = org_of(lineage, reference)
    refs = {c["reference"] for c in lineage.get("cases", [])}
    return sorted(
        r
        for r in refs
        if r in models
        and r not in (reference, suspect)
        and (org is None or org_of(lineage, r) != org)
    )


@functools.lru_cache(maxsize=1 << 16)
def name_tokens(name: str) -> tuple[str, ...]:
    """Alphabetic tokens of length >= 3 of a model name, lower-case ("gpt4_0314" -> ("gpt",)).

    Cached: every panel asks it of every model, and a corpus with a few hundred models and
    cases asked it millions of times (most of the bench's time)."""
    return tuple(t for t in re.split(r"[^a-z]+", name.lower()) if len(t) >= 3)


# A name token carried by more than this share of a corpus's models, and by at least
# COMMON_TOKEN_MODELS of them, marks no family: in names such as "model-07" it would tie the
# whole corpus to every reference. (A small corpus keeps the rule: there a family of three is a
# large share.) On the development corpus no token is that common (at most 8 of 60 models).
COMMON_TOKEN_SHARE = 0.25
COMMON_TOKEN_MODELS = 10


def common_name_tokens(models: list[str]) -> frozenset[str]:
    """Name tokens too common in `models` to tie a model to a family (see above)."""
    return _common_tokens(frozenset(models))


@functools.lru_cache(maxsize=8)  # every panel of a corpus asks it of the same models
def _common_tokens(models: frozenset[str]) -> frozenset[str]:
    count = Counter(t for m in models for t in set(name_tokens(m)))
    floor = max(COMMON_TOKEN_SHARE * len(models), COMMON_TOKEN_MODELS - 1)
    return frozenset(t for t, n in count.items() if n > floor)


def tied_models(lineage: dict, models: list[str], reference: str) -> set[str]:
    """Models the lineage ties to `reference`'s vendor family (see PANEL_RULE)."""
    cases = lineage.get("cases", [])
    family = family_of(lineage, reference)
    tied = set(family) | {
        c["suspect"] for c in cases if c["reference"] in family and c["label"] == "distilled"
    }
    keys = {name_tokens(m)[0] for m in tied if name_tokens(m)} - common_name_tokens(models)
    tied |= {m for m in models if not keys.isdisjoint(name_tokens(m))}
    return tied


def panel_for(
    lineage: dict,
    models: list[str],
    reference: str,
    suspect: str,
    foils: list[str] | tuple[str, ...] = (),
) -> list[str]:
    """Control panel of one case (PANEL_RULE), in corpus order."""
    tied = tied_models(lineage, models, reference)
    for f in foils:
        tied |= tied_models(lineage, models, f)
    return [m for m in models if m not in tied and m != suspect]


def family_of(lineage: dict, reference: str) -> set[str]:
    """The reference and every case reference with the same `org` (its vendor family)."""
    org = org_of(lineage, reference)
    refs = {c["reference"] for c in lineage.get("cases", [])}
    return {reference} | {r for r in refs if org and org_of(lineage, r) == org}


def documented_panel(lineage: dict, models: list[str], reference: str, suspect: str) -> list[str]:
    """Controls the lineage documents as independent of `reference`'s family (PANEL_RULE).

    An explicit `independent` case outranks the name-token heuristic of `tied_models` (which
    exists to catch undocumented siblings and copies): e.g. claude2-alpaca-13b is documented
    independent of text_davinci_003 although its name shares "alpaca" with alpaca-7b.
    """
    cases = lineage.get("cases", [])
    fam = family_of(lineage, reference)
    refs = {c["reference"] for c in cases}
    indep = {c["suspect"] for c in cases if c["reference"] in fam and c["label"] == "independent"}
    students = {c["suspect"] for c in cases if c["reference"] in fam and c["label"] == "distilled"}
    tied = (tied_models(lineage, models, reference) - indep) | fam | students
    keep = indep | (refs - fam)
    return [m for m in models if m in keep and m not in tied and m != suspect]


def case_panel(
    lineage: dict, models: list[str], reference: str, suspect: str
) -> tuple[list[str], list[str], str]:
    """(controls, foils, rule used) of one case: documented panel, else the fallback.

    The rule is chosen per reference, not per case: the documented panel is used when it keeps
    MIN_CONTROLS with any one of its members as the suspect. Else, at exactly MIN_CONTROLS, a
    reference's distilled suspects were tested against its documented panel and each
    independent one (a member, so left out) against the fallback with foils: two scores mixed
    in one comparison."""
    whole = documented_panel(lineage, models, reference, "")
    if len(whole) > MIN_CONTROLS:
        return [m for m in whole if m != suspect], [], "documented"
    foils = foils_for(lineage, models, reference, suspect)
    return (
        panel_for(lineage, models, reference, suspect, foils),
        foils,
        f"fallback ({len(whole)} documented controls: {MIN_CONTROLS} must remain with any "
        "one of them as the suspect)",
    )
