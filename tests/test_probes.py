"""Probe suites: the shipped suites meet their floors, the loader rejects broken files precisely.

The suites are the harness's measuring instrument: if a typo slips through or a suite silently
shrinks, every later verdict is measured with a different ruler. These tests pin both.
"""

from __future__ import annotations

import contextlib
import json
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import harness.cli as cli
from harness.errors import InputError
from harness.probes import (
    FAMILIES,
    PERSONA,
    Probe,
    SuiteError,
    expand_variants,
    load_suite,
    load_suites,
    parse_suite,
    probes_dir,
    select,
    suite_hash,
)

SHIPPED = Path(__file__).resolve().parent.parent / "probes"

MINIMAL = """\
suite: demo
version: 1.0.0
family: identity
description: A tiny suite for tests.
defaults:
  sampling: {temperature: 0.0, max_tokens: 64}
  variants: [persona, t0.7]
probes:
  - id: demo.en.who
    language: en
    user: Who made you?
    selections: [core]
    expect: {claims: [vendor]}
  - id: demo.zh.who
    language: zh
    system: 请简短回答。
    user: 你是谁开发的？
    expect: {claims: [vendor]}
"""


@pytest.fixture(autouse=True)
def _only_probes_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """Build the CLI with this command only, so other commands under construction cannot break it."""
    monkeypatch.setattr(cli, "COMMANDS", ["probes"])


@pytest.fixture(scope="module")
def suites():
    return load_suites(SHIPPED)


def write(tmp_path: Path, text: str, name: str = "suite.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def errors_of(path: Path) -> list[str]:
    with pytest.raises(SuiteError) as info:
        load_suite(path)
    return info.value.errors


# ------------------------------------------------------------------------- shipped suites


def test_shipped_suites_validate_via_cli(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["probes", "validate", str(SHIPPED)]) == 0
    assert "OK: 7 suites" in capsys.readouterr().out


def test_default_directory_is_the_shipped_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FINGERPRINT_PROBES", raising=False)
    assert probes_dir().resolve() == SHIPPED
    monkeypatch.setenv("FINGERPRINT_PROBES", str(SHIPPED / "random.yaml"))
    assert [s.name for s in load_suites()] == ["random"]


def test_one_suite_per_family_with_size_floors(suites) -> None:
    by_family = {s.family: s for s in suites}
    assert sorted(by_family) == sorted(FAMILIES)
    for family, suite in by_family.items():
        # random 1.0.1: the hex-colour prompt is quoted, its '#1A2B3C' had been a YAML comment
        assert suite.version == ("1.0.1" if family == "random" else "1.0.0")
        floor = 20 if family == "random" else 40
        assert len(suite.probes) >= floor, family


@pytest.mark.parametrize("family", ["identity", "refusal", "sensitive"])
def test_chinese_share_at_least_30_percent(suites, family: str) -> None:
    suite = next(s for s in suites if s.family == family)
    languages = Counter(p.language for p in suite.probes)
    assert languages["zh"] / len(suite.probes) >= 0.30


def test_core_is_small_balanced_and_cheap(suites) -> None:
    core = select(suites, "core", variants=False)
    assert 0 < len(core) <= 100
    per_family = Counter(p.family for p in core)
    assert set(per_family) == set(FAMILIES)
    assert max(per_family.values()) <= 2 * min(per_family.values())
    expanded = select(suites, "core")
    # Upper bound on generated tokens per endpoint; actual answers are mostly shorter.
    assert sum(p.sampling.samples * p.sampling.max_tokens for p in expanded) <= 24_000
    assert all(p.sampling.max_tokens <= 256 for p in expanded)


def test_full_is_everything_and_smoke_is_in_core(suites) -> None:
    full = select(suites, "full", variants=False)
    assert len(full) == sum(len(s.probes) for s in suites)
    core_ids = {p.id for p in select(suites, "core", variants=False)}
    assert {p.id for p in select(suites, "smoke", variants=False)} <= core_ids
    assert {p.family for p in select(suites, "full", families=["random"])} == {"random"}


def test_ids_unique_and_well_formed(suites) -> None:
    ids = [p.id for s in suites for p in s.probes]
    assert len(ids) == len(set(ids))
    for suite in suites:
        for probe in suite.probes:
            assert probe.id.startswith(f"{suite.family}.{probe.language.split('-')[0]}.")
            assert probe.base_id == probe.id and probe.variant == ""
    expanded = [p.id for p in select(suites, "full")]
    assert len(expanded) == len(set(expanded))


def test_sensitive_is_an_origin_control(suites) -> None:
    for suite in suites:
        assert suite.origin_control == (suite.family == "sensitive")
        assert all(p.origin_control == suite.origin_control for p in suite.probes)


def test_reasoning_probes_carry_answers(suites) -> None:
    reasoning = next(s for s in suites if s.family == "reasoning")
    assert all(str(p.expect["answer"]).strip() for p in reasoning.probes)


def test_expect_is_read_only(suites) -> None:
    probe = suites[0].probes[0]
    with pytest.raises(TypeError):
        probe.expect["kind"] = "x"  # type: ignore[index]
    hash(probe)  # frozen probes stay hashable even though expect is a mapping


# -------------------------------------------------------------------------------- variants


def test_variants_expand_as_documented(tmp_path: Path) -> None:
    suite = load_suite(write(tmp_path, MINIMAL))
    en, zh = suite.probes
    base, persona, hot = expand_variants(en)
    assert base is en
    assert (persona.id, persona.variant, persona.base_id) == (
        "demo.en.who@persona",
        "persona",
        en.id,
    )
    assert persona.messages[0].role == "system" and persona.messages[0].content == PERSONA["en"]
    assert persona.messages[1:] == en.messages and persona.sampling == en.sampling
    assert hot.id == "demo.en.who@t0.7"
    assert (hot.sampling.temperature, hot.sampling.samples) == (0.7, 3)
    assert hot.messages == en.messages and hot.variants == () and persona.variants == ()
    zh_persona = expand_variants(zh)[1]
    # The persona goes first, in the probe's language; the probe's own system text is kept.
    assert zh_persona.messages[0].content == f"{PERSONA['zh']}\n\n请简短回答。"
    assert len(select([suite], "full")) == 6
    assert [p.id for p in select([suite], "core", variants=False)] == ["demo.en.who"]


def test_shipped_random_variant_is_greedy(suites) -> None:
    probe = next(s for s in suites if s.family == "random").probes[0]
    base, greedy = expand_variants(probe)
    assert base.sampling.temperature == 0.7 and base.sampling.samples >= 3
    assert (greedy.sampling.temperature, greedy.sampling.samples) == (0.0, 1)


def test_useless_variant_rejected(tmp_path: Path) -> None:
    text = MINIMAL.replace("variants: [persona, t0.7]", "variants: [t0]")
    (error,) = errors_of(write(tmp_path, text))[:1]
    assert ":9: variant 't0' (from defaults.variants) would not change probe 'demo.en.who'" in error


# ------------------------------------------------------------------------------------ hash


def test_hash_ignores_formatting_but_not_content(tmp_path: Path) -> None:
    path = write(tmp_path, MINIMAL)
    h = suite_hash(path)
    assert h == load_suite(path).hash == suite_hash(path)
    reformatted = "# a comment\n" + MINIMAL.replace(
        "{temperature: 0.0, max_tokens: 64}", "\n    max_tokens: 64\n    temperature: 0.0"
    )
    assert suite_hash(write(tmp_path, reformatted, "b.yaml")) == h
    changed = MINIMAL.replace("Who made you?", "Who made you ?")
    assert suite_hash(write(tmp_path, changed, "c.yaml")) != h
    assert len(h) == 64


def test_shipped_hashes_are_pinned_by_content(suites) -> None:
    for suite in suites:
        assert suite.hash == suite_hash(suite.path)


# ------------------------------------------------------------------------- broken suites

BROKEN = {
    "bad_yaml": (
        MINIMAL.replace("user: Who made you?", "user: [Who made you?"),
        11,
        "invalid YAML",
    ),
    "unknown_key": (
        MINIMAL.replace("    selections: [core]\n", "    selection: [core]\n"),
        12,
        "unknown key 'selection' (did you mean 'selections'?)",
    ),
    "missing_content": (
        MINIMAL.replace("    user: Who made you?\n", "    messages: [{role: user}]\n"),
        11,
        "message needs 'content'",
    ),
    "empty_content": (
        MINIMAL.replace("user: Who made you?", 'user: "  "'),
        11,
        "user must not be empty",
    ),
    "bad_temperature": (
        MINIMAL.replace("    selections: [core]\n", "    sampling: {temperature: 2.5}\n"),
        12,
        "sampling.temperature must be in 0-2, got 2.5",
    ),
    "duplicate_id": (
        MINIMAL.replace("demo.zh.who", "demo.en.who"),
        14,
        "duplicate probe id 'demo.en.who'",
    ),
    "bad_role": (
        MINIMAL.replace(
            "    user: Who made you?\n", "    messages: [{role: robot, content: hi}]\n"
        ),
        11,
        "unknown role 'robot'",
    ),
    "comment_cuts_text": (
        MINIMAL.replace("user: Who made you?", "user: Who made you, like #1?"),
        11,
        "starts a YAML comment, so the text ends at 'Who made you, like'",
    ),
    "comment_cuts_message": (
        MINIMAL.replace(
            "    user: Who made you?\n",
            "    messages:\n      - role: user\n        content: Hi #1\n",
        ),
        13,
        "message content: a ' #' in unquoted text",
    ),
    "bad_language": (MINIMAL.replace("language: en", "language: english"), 10, "unknown language"),
    "bad_selection": (MINIMAL.replace("[core]", "[cor]"), 12, "unknown value 'cor'"),
    "bad_family": (
        MINIMAL.replace("family: identity", "family: identiy"),
        3,
        "did you mean 'identity'",
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_suite_reports_file_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    text, line, message = BROKEN[case]
    path = write(tmp_path, text)
    assert cli.main(["probes", "validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:{line}: " in err and message in err, err


def test_a_hash_that_belongs_to_the_text_is_kept(tmp_path: Path) -> None:
    quoted = MINIMAL.replace("user: Who made you?", 'user: "Who made you, like #1?"')
    glued = MINIMAL.replace("user: Who made you?", "user: Who wrote C# and F#?")
    for text, want in ((quoted, "Who made you, like #1?"), (glued, "Who wrote C# and F#?")):
        probe = next(p for p in load_suite(write(tmp_path, text)).probes if p.language == "en")
        assert probe.messages[-1].content == want


def test_all_errors_reported_at_once(tmp_path: Path) -> None:
    text = MINIMAL.replace("temperature: 0.0", "temperature: -1").replace("[core]", "[cor]")
    errors = errors_of(write(tmp_path, text))
    assert len(errors) == 2
    assert errors[0].endswith(":6: defaults.sampling.temperature must be in 0-2, got -1")


def test_duplicate_id_across_files(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL, "a.yaml")
    write(tmp_path, MINIMAL.replace("suite: demo", "suite: other"), "b.yaml")
    with pytest.raises(SuiteError) as info:
        load_suites(tmp_path)
    assert any(
        e.startswith(f"{tmp_path / 'b.yaml'}:9: duplicate probe id 'demo.en.who'")
        and f"{tmp_path / 'a.yaml'}:9" in e
        for e in info.value.errors
    )


def test_other_commands_exit_2_on_broken_dir(tmp_path: Path) -> None:
    write(tmp_path, MINIMAL.replace("version: 1.0.0", "version: 1.0"))
    assert cli.main(["probes", "list", "--dir", str(tmp_path)]) == 2
    assert cli.main(["probes", "show", "nothing"]) == 2


def test_selection_and_family_names_checked(suites) -> None:
    with pytest.raises(InputError):
        select(suites, "everything")
    with pytest.raises(InputError):
        select(suites, "core", families=["identiy"])


# ------------------------------------------------------------------------------ commands


def test_list_json_keys(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["probes", "list", "--json", "--dir", str(SHIPPED)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 7
    for row in rows:
        assert {"family", "suite", "version", "hash", "count", "languages", "selections"} <= set(
            row
        )
        assert sum(row["languages"].values()) == row["count"] == row["selections"]["full"]
        assert row["selections"]["core"] > 0


def test_show_probe_variant_and_suite(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["probes", "show", "identity.zh.multiturn-cat@persona"]) == 0
    out = capsys.readouterr().out
    assert "Nimbus Labs" in out and "小橘" in out
    assert cli.main(["probes", "show", "random"]) == 0
    assert "random.en.coin-flip" in capsys.readouterr().out


# ----------------------------------------------------------------------------------- fuzz

_FRAGMENTS = st.sampled_from(
    [
        MINIMAL,
        "suite: x\n",
        "probes:\n  - id: a\n",
        "- [1, 2\n",
        "{a: b, a: c}\n",
        "&a [*a]\n",
        "!!python/object:os.system {}\n",
        "version: !!int abc\n",
        "key: !!binary '%%%'\n",
        "\t- tab\n",
        "expect: {claims: 1}\n",
        "sampling: {temperature: .nan}\n",
        "when: 2020-01-01\n",
        "? [complex, key]\n: v\n",
        "<<: {a: 1}\n",
        "\x00\x01\ufeff",
        "---\na: 1\n---\nb: 2\n",
    ]
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.one_of(_FRAGMENTS, st.text(alphabet=st.sampled_from(list(":-[]{}#&*!|>'\"\n ab1.,?")))),
        max_size=5,
    ),
    st.integers(min_value=0, max_value=400),
)
def test_loader_only_raises_input_error(parts: list[str], cut: int) -> None:
    text = "".join(parts)
    text = text[: len(text) - cut] if cut < len(text) else text
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.yaml"
        path.write_bytes(text.encode("utf-8", "surrogatepass"))
        try:
            suite = load_suite(path)
        except InputError as exc:
            assert str(exc)
        else:
            assert all(isinstance(p, Probe) for p in suite.probes)
        with contextlib.suppress(InputError):
            parse_suite(text, path)


_VALUES = st.sampled_from(
    [
        "",
        "~",
        "0",
        "-1",
        "1e999",
        ".inf",
        "true",
        "[]",
        "{}",
        "[1, [2]]",
        "{a: {b: c}}",
        "'x'",
        "ü",
        "@x",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=30), _VALUES)
def test_mutated_suite_only_raises_input_error(line_no: int, value: str) -> None:
    """Swap one value of a valid suite for something odd: validation, never a crash."""
    lines = MINIMAL.splitlines()
    index = line_no % len(lines)
    key, sep, _ = lines[index].partition(": ")
    if sep:
        lines[index] = f"{key}: {value}"
    try:
        parse_suite("\n".join(lines) + "\n", "mutated.yaml")
    except InputError as exc:
        assert "mutated.yaml:" in str(exc)


def test_list_counts_the_generations_a_default_core_run_asks(
    suites, capsys: pytest.CaptureFixture[str]
) -> None:
    # A run's default is variants off: the headline must be that run's cost, not the
    # variant-expanded one (which the line gives second).
    plain = sum(p.sampling.samples for p in select(suites, "core", variants=False))
    expanded = sum(p.sampling.samples for p in select(suites, "core"))
    assert plain < expanded
    assert cli.main(["probes", "list", "--dir", str(SHIPPED)]) == 0
    said = " ".join(capsys.readouterr().out.split())
    assert f"{plain} generations per endpoint (" in said
    assert f"{expanded} generations with `variants: true`" in said
