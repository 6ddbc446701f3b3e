"""Bad input: fuzzed suites and configs, hostile answers, URLs without scheme, HTML error pages.

Whatever a user or an endpoint sends, the harness answers with one clear line (exit 2 when the
input is at fault) or stores the answer exactly as sent; it never crashes and never loses what
it already stored.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.cli import main as cli
from harness.config import config_from_dict, load_config
from harness.errors import InputError
from harness.probes import load_suite, parse_suite
from harness.store import Store
from harness.testing.loopback import CountingProxy, Reply, fake_answer

FUZZ = settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=True),
    st.text(max_size=20),
)
trees = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5)
    ),
    max_leaves=20,
)
SUITE_KEYS = ["suite", "version", "family", "description", "probes", "defaults", "origin_control"]
PROBE_KEYS = ["id", "language", "user", "system", "prompt", "expect", "sampling", "messages"]
suite_like = st.fixed_dictionaries(
    {},
    optional={
        k: trees
        | st.lists(st.dictionaries(st.sampled_from(PROBE_KEYS), trees, max_size=6), max_size=3)
        for k in SUITE_KEYS
    },
)
ENDPOINT_KEYS = ["kind", "base_url", "model", "concurrency", "timeout_s", "max_n", "max_retries"]
endpoint_like = st.dictionaries(
    st.sampled_from(ENDPOINT_KEYS + ["price_in", "api_key_env"]),
    trees | st.sampled_from(["openai-chat", "replay", "http://127.0.0.1:1/v1", "x:1"]),
    max_size=8,
)
config_like = st.fixed_dictionaries(
    {},
    optional={
        "name": trees,
        "reference": trees | st.just("a"),
        "suspects": trees,
        "controls": trees,
        "endpoints": st.dictionaries(st.sampled_from(["a", "b"]), endpoint_like | trees),
        "probes": trees | st.dictionaries(st.sampled_from(["selection", "limit", "dir"]), trees),
        "seed": trees,
        "logprobs": trees,
    },
)


def only_input_errors(fn, *args) -> None:
    try:
        fn(*args)
    except InputError as exc:
        assert str(exc).strip(), "an InputError must say what is wrong"


@FUZZ
@given(st.text(max_size=300))
def test_parse_suite_on_any_text_raises_only_input_error(text):
    only_input_errors(parse_suite, text, "fuzz.yaml")


@FUZZ
@given(suite_like)
def test_parse_suite_on_suite_shaped_yaml_raises_only_input_error(doc):
    only_input_errors(parse_suite, yaml.safe_dump(doc, allow_unicode=True), "fuzz.yaml")


@FUZZ
@given(st.binary(max_size=200))
def test_load_suite_and_load_config_on_any_bytes_raise_only_input_error(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("fuzz") / "f.yaml"
    path.write_bytes(data)
    only_input_errors(load_suite, path)
    only_input_errors(load_config, path)


@FUZZ
@given(config_like)
def test_config_from_dict_raises_only_input_error(raw):
    only_input_errors(config_from_dict, raw, "fuzz.yaml")


@FUZZ
@given(trees)
def test_config_from_dict_on_any_tree_raises_only_input_error(raw):
    only_input_errors(config_from_dict, raw, "fuzz.yaml")


@pytest.mark.parametrize(
    "url", ["localhost:8080/v1", "127.0.0.1:8080", "//127.0.0.1/v1", "ftp://a/v1"]
)
def test_url_without_http_scheme_is_one_line_and_exit_2(tmp_path, capsys, url):
    path = tmp_path / "bad.yaml"
    ep = {"kind": "openai-chat", "base_url": url, "model": "m"}
    path.write_text(yaml.safe_dump({"reference": "x", "endpoints": {"x": ep}}))
    assert cli(["run", str(path), "--results", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err.strip()
    assert "is not an http(s) URL" in err and len(err.splitlines()) == 1
    assert not (tmp_path / "r").exists()


# ------------------------------------------------------------------ hostile answers

BIG = "x" * (10 * 1024 * 1024)
HOSTILE = {
    "Say hello.": "<script>alert('pwned')</script><img src=x onerror=alert(1)>]]>{{7*7}}",
    "Name a fruit.": BIG,
    "Name an animal.": None,  # answered with bytes that are not UTF-8
}
NOT_UTF8 = b"caf\xe9 \xff\xfe na\xefve"


def _hostile(n: int, body: bytes) -> Reply:
    req = json.loads(body)
    prompt = req["messages"][-1]["content"]
    answer = json.loads(fake_answer("/v1/chat/completions", body))
    if prompt not in HOSTILE:
        return Reply(200, {"content-type": "application/json"}, json.dumps(answer).encode())
    if HOSTILE[prompt] is None:
        answer["choices"][0]["message"]["content"] = "@@"
        raw = json.dumps(answer).encode().replace(b"@@", NOT_UTF8)
        return Reply(200, {"content-type": "application/json"}, raw)
    answer["choices"][0]["message"]["content"] = HOSTILE[prompt]
    return Reply(200, {"content-type": "application/json"}, json.dumps(answer).encode())


def _config(tmp_path: Path, url: str, **extra) -> Path:
    from tests.test_runner import SUITE

    probes = tmp_path / "probes"
    probes.mkdir(exist_ok=True)
    (probes / "mini.yaml").write_text(yaml.safe_dump(SUITE))
    ep = {"kind": "openai-chat", "base_url": url + "/v1", "model": "m", "max_retries": 1}
    cfg = {
        "name": "h",
        "reference": "ref",
        "endpoints": {"ref": {**ep, **extra}},
        "probes": {"selection": "full", "dir": str(probes)},
    }
    path = tmp_path / "run.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def test_oversized_script_and_non_utf8_answers_are_stored_exactly(tmp_path, capsys):
    with CountingProxy(None, fault=_hostile) as server:
        code = cli(["run", str(_config(tmp_path, server.url)), "--results", str(tmp_path / "r")])
    assert code == 0, capsys.readouterr().err
    (db,) = (tmp_path / "r").glob("*/store.sqlite")
    with Store(db) as store:
        records = {r.probe_id: r for r in store.records()}
    assert records["style.en.t1"].text == HOSTILE["Say hello."]
    assert records["style.en.t2"].text == BIG
    odd = records["style.en.t3"]
    assert odd.text == NOT_UTF8.decode("utf-8", "replace")
    import base64

    assert NOT_UTF8 in base64.b64decode(odd.raw["_body_base64"])  # the exact bytes survive


def test_html_error_pages_fail_one_line_each_and_keep_the_other_answers(tmp_path, capsys):
    page = b"<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body>" + b"x" * 5000

    def gateway(n: int, body: bytes):
        if b"Name a fruit" in body:
            return Reply(502, {"content-type": "text/html"}, page)
        if b"Say hello" in body:
            return Reply(200, {"content-type": "text/html"}, b"<html>captive portal</html>")
        return None

    with CountingProxy(None, fault=gateway) as server:
        cfg = _config(tmp_path, server.url)
        code = cli(["run", str(cfg), "--results", str(tmp_path / "r"), "--no-progress"])
    assert code == 1  # operational, not the user's input
    (db,) = (tmp_path / "r").glob("*/store.sqlite")
    with Store(db) as store:
        kept = store.count()
        failures = {f["probe_id"]: f["error"] for f in store.failures()}
    assert kept == 3  # the three samples of t3 are stored despite the failures
    assert "HTML error page: 502 Bad Gateway" in failures["style.en.t2"]
    assert "not JSON" in failures["style.en.t1"]
    assert all("\n" not in e and len(e) < 400 for e in failures.values())


VALID_ENDPOINT = {"kind": "openai-chat", "base_url": "http://127.0.0.1:1/v1", "model": "m"}


@FUZZ
@given(
    st.sampled_from(
        ["concurrency", "timeout_s", "max_n", "max_retries", "price_in", "price_out", "api_key_env"]
    ),
    trees,
)
def test_one_bad_field_in_a_valid_endpoint_raises_only_input_error(key, value):
    raw = {"reference": "a", "endpoints": {"a": {**VALID_ENDPOINT, key: value}}}
    only_input_errors(config_from_dict, raw, "fuzz.yaml")
