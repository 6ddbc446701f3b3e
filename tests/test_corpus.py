"""Corpus reader: records, Answers grouping, file:line errors, gzip."""

import gzip
import json

import pytest

from harness.corpus import iter_records, load_answers, load_merged, record_family, write_records
from harness.errors import InputError

RECS = [
    {"model": "a", "prompt_id": "alpacaeval:000", "prompt": "Hi", "response": "Hello"},
    {"model": "b", "prompt_id": "alpacaeval:000", "prompt": "Hi", "response": ""},
    {"model": "a", "prompt_id": "identity:who", "prompt": "Who?", "response": "Me", "sample": 1},
    {"model": "a", "prompt_id": "identity:who", "prompt": "Who?", "response": "Me again"},
]


def test_roundtrip_plain_and_gzip(tmp_path):
    for name in ("c.jsonl", "c.jsonl.gz"):
        path = tmp_path / name
        assert write_records(path, RECS) == 4
        ans = load_answers(path)
        assert ans.texts["a"]["identity:who"] == ["Me", "Me again"]
        assert ans.texts["b"]["alpacaeval:000"] == [""]
        assert ans.families == {"alpacaeval:000": "alpacaeval", "identity:who": "identity"}
        assert ans.prompts["identity:who"] == "Who?"
        assert ans.common_prompts() == ["alpacaeval:000"]


@pytest.mark.parametrize(
    "line, message",
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        ('{"model": "a", "prompt_id": "p"}', "missing field 'response'"),
        ('{"model": "a", "prompt_id": "p", "response": 3}', "field 'response' must be a string"),
        ('{"model": "a", "prompt_id": 1.5, "response": ""}', "field 'prompt_id' must be a string"),
        ('{"model": "a", "prompt_id": true, "response": ""}', "field 'prompt_id' must be a string"),
        ('{"model": "a", "prompt_id": [1], "response": ""}', "field 'prompt_id' must be a string"),
    ],
)
def test_malformed_line_names_file_and_line(tmp_path, line, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(json.dumps(RECS[0]) + "\n\n" + line + "\n")
    with pytest.raises(InputError) as err:
        list(iter_records(path))
    assert f"{path}:3:" in str(err.value)
    assert message in str(err.value)


def test_corrupt_gzip_is_input_error(tmp_path):
    path = tmp_path / "bad.jsonl.gz"
    data = gzip.compress((json.dumps(RECS[0]) + "\n").encode() * 50)
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(InputError):
        list(iter_records(path))


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match="no such corpus file"):
        list(iter_records(tmp_path / "nope.jsonl"))


def test_family_precedence():
    assert record_family({"prompt_id": "x:1", "family": "style"}) == "style"
    assert record_family({"prompt_id": "x:1", "meta": {"family": "refusal"}}) == "refusal"
    assert record_family({"prompt_id": "plain"}) == "default"


def test_subsample_and_restrict(tmp_path):
    recs = [
        {"model": m, "prompt_id": f"p:{i}", "response": f"{m} {i}"} for m in "ab" for i in range(9)
    ]
    ans = load_answers(_write(tmp_path, recs))
    sub = ans.subsample_prompts(4, seed=1)
    assert len(sub.common_prompts()) == 4
    assert sub.common_prompts() == ans.subsample_prompts(4, seed=1).common_prompts()
    assert ans.restrict(["a"]).models == ["a"]


def _write(tmp_path, recs):
    path = tmp_path / "c.jsonl"
    write_records(path, recs)
    return path


def test_byte_order_mark_and_crlf_are_read(tmp_path):
    # Windows tools write a UTF-8 BOM and CRLF; the BOM made line 1 "not valid JSON".
    text = "\r\n".join(json.dumps(r) for r in RECS) + "\r\n"
    for name, opener in (("c.jsonl", open), ("c.jsonl.gz", gzip.open)):
        with opener(tmp_path / name, "wb") as fh:
            fh.write(("\ufeff" + text).encode("utf-8"))
        assert [r["model"] for r in iter_records(tmp_path / name)] == ["a", "b", "a", "a"]


def test_merged_corpora_take_each_model_once(tmp_path):
    """A model in two corpora with the same answers counts once (no doubled samples); models
    only in the later file are added; different answers for one model are refused by name."""

    def rec(model, pid, text):
        return {"model": model, "prompt_id": pid, "prompt": f"say {pid}", "response": text}

    first, second, clash = tmp_path / "a.jsonl.gz", tmp_path / "b.jsonl", tmp_path / "c.jsonl"
    write_records(first, [rec("ref", "p1", "one"), rec("ref", "p2", "two"), rec("s", "p1", "x")])
    write_records(second, [rec("ref", "p2", "two"), rec("ref", "p1", "one"), rec("new", "p1", "n")])
    write_records(clash, [rec("ref", "p1", "one"), rec("ref", "p2", "TWO")])
    merged = load_merged([first, second])
    assert merged.models == ["ref", "s", "new"]
    assert merged.texts["ref"] == {"p1": ["one"], "p2": ["two"]}
    assert merged.texts["new"] == {"p1": ["n"]} and merged.prompts["p1"] == "say p1"
    assert load_merged([first]).texts == load_answers(first).texts
    with pytest.raises(
        InputError, match=r"ref answers differently in .*a\.jsonl\.gz and .*c\.jsonl"
    ):
        load_merged([first, clash])


@pytest.mark.parametrize("gz", [False, True])
def test_a_byte_that_is_not_utf8_names_its_own_line(tmp_path, gz):
    """The decoder reads ahead in chunks: the error named line 1 for a bad byte on line 6."""
    lines = [json.dumps(r).encode() for r in RECS + RECS[:1]]
    lines.append(json.dumps({"model": "a", "prompt_id": "p", "response": "caf\u00e9"}).encode())
    lines[-1] = lines[-1].replace(b"\\u00e9", b"\xe9")  # latin-1 "é"
    data = b"\n".join(lines) + b"\n"
    path = tmp_path / ("latin1.jsonl.gz" if gz else "latin1.jsonl")
    path.write_bytes(gzip.compress(data) if gz else data)
    with pytest.raises(InputError) as err:
        list(iter_records(path))
    assert f"{path}:6: not UTF-8 (byte 0xe9 at character" in str(err.value)


def test_integer_prompt_ids_are_read_as_their_decimal_strings(tmp_path):
    """Other corpora in this format number their prompts; 7 and "7" are one prompt."""
    path = tmp_path / "ids.jsonl"
    recs = [{"model": m, "prompt_id": pid, "response": m} for m in "ab" for pid in (0, 7, "7")]
    path.write_text("".join(json.dumps(r) + "\n" for r in recs))
    assert [r["prompt_id"] for r in iter_records(path)] == ["0", "7", "7"] * 2
    assert load_answers(path).texts["b"] == {"0": ["b"], "7": ["b", "b"]}


def test_compression_is_read_from_the_bytes_not_the_name(tmp_path):
    # Before: a plain file named .gz failed with "unreadable (BadGzipFile)" and a gzipped
    # file named .jsonl with "not UTF-8 (byte 0x8b)".
    plain = "".join(json.dumps(r) + "\n" for r in RECS).encode()
    (tmp_path / "plain.jsonl.gz").write_bytes(plain)
    (tmp_path / "zipped.jsonl").write_bytes(gzip.compress(plain))
    for name in ("plain.jsonl.gz", "zipped.jsonl"):
        assert [r["response"] for r in iter_records(tmp_path / name)] == [
            r["response"] for r in RECS
        ]


def test_damaged_gzip_is_one_line_saying_what_is_wrong(tmp_path):
    # A cut file says so; a damaged deflate block raised zlib.error (not an OSError), which
    # escaped as a traceback.
    data = gzip.compress("".join(json.dumps(r) + "\n" for r in RECS * 200).encode())
    (tmp_path / "cut.jsonl.gz").write_bytes(data[: len(data) // 2])
    (tmp_path / "damaged.jsonl.gz").write_bytes(data[:10] + bytes(range(50, 100)) + data[60:])
    with pytest.raises(InputError, match=r"cut\.jsonl\.gz:\d+: the gzip data ends early"):
        list(iter_records(tmp_path / "cut.jsonl.gz"))
    with pytest.raises(InputError, match=r"damaged\.jsonl\.gz:1: unreadable, the gzip data is dam"):
        list(iter_records(tmp_path / "damaged.jsonl.gz"))


def test_half_an_emoji_is_replaced_in_text_and_refused_in_names(tmp_path):
    # A lone surrogate ("\ud83d" escaped in JSON, half an emoji cut in two) made the n-gram
    # features fail with a UnicodeEncodeError traceback; in an answer it is now U+FFFD.
    path = tmp_path / "c.jsonl"
    rec = dict(RECS[0], response="cut \\ud83d here", prompt="\\ude00")
    path.write_text(json.dumps(RECS[0]) + "\n" + json.dumps(rec).replace("\\\\", "\\") + "\n")
    got = list(iter_records(path))[1]
    assert (got["response"], got["prompt"]) == ("cut \ufffd here", "\ufffd")
    got["response"].encode("utf-8")  # before: UnicodeEncodeError
    path.write_text(json.dumps(RECS[0]).replace('"a"', '"a\\ud83d"') + "\n")
    with pytest.raises(InputError, match=r"c\.jsonl:1: field 'model' holds a lone UTF-16 sur"):
        list(iter_records(path))


@pytest.mark.parametrize("indent", [None, 1])
def test_a_json_array_of_records_says_the_file_must_be_json_lines(tmp_path, indent):
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps(RECS, indent=indent))
    with pytest.raises(InputError, match="must be JSON Lines, one record object per line"):
        list(iter_records(path))


def test_a_missing_field_names_the_fields_the_record_has(tmp_path):
    # AlpacaEval's own files say generator / instruction / output: before, only "missing
    # field 'model'", which did not show that the record is another format.
    path = tmp_path / "c.jsonl"
    path.write_text(json.dumps({"instruction": "Hi", "output": "Hello", "generator": "a"}))
    with pytest.raises(InputError, match="the record's fields: 'instruction', 'output', 'gen"):
        list(iter_records(path))
