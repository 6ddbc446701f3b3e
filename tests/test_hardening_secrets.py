"""A key must never leave the request headers: not into files, logs, output or exception texts.

The real CLI runs with a recognisable fake key against a loopback fake that rejects it (401,
echoing the key and the header back, as some gateways do) and one that answers; then every
file the run wrote, everything printed, every log record (httpx and httpcore at DEBUG included)
and every exception text is searched for the key.
"""

from __future__ import annotations

import base64
import json
import logging

import pytest

from harness.cli import main as cli
from harness.testing.loopback import CountingProxy, Reply, fake_answer, json_error

# A neutral variable name: the CLI's scrub of KEY/TOKEN-named variables must not be what saves us.
ENV = "FP_HARDENING_CREDENTIAL"
KEY = "sk-fp-canary-7f3a9c1e5b2d4f60a8e1"
NEEDLES = [KEY, KEY[6:], base64.b64encode(KEY.encode()).decode()]


def _reject(n: int, body: bytes):
    echo = f"invalid api key {KEY}; request had Authorization: Bearer {KEY}"
    return json_error(401, echo, {"www-authenticate": f'Bearer realm="{KEY}"'})


def _html_reject(n: int, body: bytes):
    page = f"<html><title>Forbidden {KEY}</title><body>Authorization: Bearer {KEY}</body></html>"
    return 403, {"content-type": "text/html"}, page.encode()


def _flaky(n: int, body: bytes):
    return json_error(503, f"overloaded (key {KEY})", {"retry-after": "0"}) if n % 3 == 0 else None


def _echo(n: int, body: bytes):
    # A 200 answer that echoes the request's headers, as some debugging gateways do: in the
    # answer text and in the response's own fields (which the store keeps as `raw`).
    answer = json.loads(fake_answer("/v1/chat/completions", body))
    answer["choices"][0]["message"]["content"] += f" (you sent Authorization: Bearer {KEY})"
    answer["echo"] = {"headers": {"authorization": f"Bearer {KEY}"}}
    return Reply(200, {"content-type": "application/json"}, json.dumps(answer).encode())


def _config(tmp_path, urls: dict[str, str]):
    from tests.test_runner import write_config

    return write_config(tmp_path, urls, endpoint={"api_key_env": ENV, "max_retries": 2})


def _leaks(text: str) -> list[str]:
    return [n for n in NEEDLES if n in text]


@pytest.mark.parametrize(
    "faults",
    [
        {"ok": None, "rejected": _reject},
        {"ok": None, "forbidden": _html_reject},
        {"ok": None, "flaky": _flaky},
        {"rejected": _reject},
        {"ok": None, "echoing": _echo},
    ],
    ids=["ok+401", "ok+403-html", "ok+503", "401-only", "ok+200-echo"],
)
def test_key_appears_nowhere_after_a_run(tmp_path, monkeypatch, capsys, caplog, faults):
    monkeypatch.setenv(ENV, KEY)
    caplog.set_level(logging.DEBUG)  # root: httpx, httpcore, asyncio, everything
    for name in ("httpx", "httpcore", "asyncio", "harness"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    servers = {n: CountingProxy(None, fault=f) for n, f in faults.items()}
    for s in servers.values():
        s.__enter__()
    results = tmp_path / "results"
    try:
        cfg = _config(tmp_path, {n: s.url for n, s in servers.items()})
        try:
            code = cli(["run", str(cfg), "--results", str(results), "--no-progress"])
            texts = [f"exit {code}"]
        except Exception as exc:  # noqa: BLE001 - an escaping exception is itself a finding
            texts = [repr(exc), str(exc)]
            code = None
    finally:
        for s in servers.values():
            s.__exit__(None, None, None)
    assert any(s.log.count for s in servers.values()), "no request reached a server"
    out = capsys.readouterr()
    texts += [out.out, out.err, caplog.text]
    texts += [repr(r.__dict__) for r in caplog.records]
    written = [p for p in results.rglob("*") if p.is_file()]
    assert written, "the run wrote nothing"
    for path in written:
        data = path.read_bytes()
        assert not [n for n in NEEDLES if n.encode() in data], f"key in {path}"
    for text in texts:
        assert not _leaks(text), f"key in output or logs: {text[:300]}"
    # 0: retries got every answer; 1: an endpoint refused the key (an operational failure,
    # also when it was the reference and nothing is left to analyse: not bad input).
    refused = "rejected" in faults or "forbidden" in faults
    assert code == (1 if refused else 0), out.err
    if "ok" in faults and "rejected" in faults:  # a suspect refused: every report says so
        (md,) = results.rglob("report.md")
        assert "**Warning:** no verdict for rejected: no answer of it is stored" in md.read_text()
        assert "HTTP 401" in md.read_text()
    if "ok" not in faults:  # the reference itself refused: the error line says so and why
        assert "no answer of the reference" in out.err and "HTTP 401" in out.err, out.err
    if "rejected" in faults:
        assert "invalid api key ***" in out.out + out.err  # the server's words, key redacted


def test_server_error_echoing_the_authorization_header_is_shown_redacted(monkeypatch):
    import asyncio

    from harness.config import EndpointSpec
    from harness.endpoints import EndpointError, GenerateRequest, make_endpoint
    from harness.messages import Message

    monkeypatch.setenv(ENV, KEY)
    with CountingProxy(None, fault=_reject) as server:
        spec = EndpointSpec("p", "openai-chat", server.url + "/v1", "m", api_key_env=ENV)

        async def go():
            ep = make_endpoint(spec)
            try:
                await ep.generate(GenerateRequest(messages=(Message("user", "hi"),)))
            finally:
                await ep.aclose()

        with pytest.raises(EndpointError) as info:
            asyncio.run(go())
    message = str(info.value)
    assert "HTTP 401" in message and "Authorization: Bearer ***" in message
    assert not _leaks(message) and not _leaks(repr(info.value))


@pytest.mark.parametrize(
    "pasted",
    [KEY, "sk-proj-abcdefSECRET123", "sk_live_51HabcDEF0123456789", "ghp_" + "a1B2" * 9],
    ids=["dashes", "openai-proj", "underscored-vendor-prefix", "github-token"],
)
def test_a_key_pasted_into_api_key_env_is_refused_without_echoing_it(tmp_path, capsys, pasted):
    """`api_key_env: sk-...` used to print "environment variable sk-... is not set": the key in
    the terminal and the CI log. A value that cannot be a variable name is refused unquoted."""
    cfg = _config(tmp_path, {"ref": "http://127.0.0.1:9"})
    cfg.write_text(cfg.read_text().replace(ENV, pasted))
    results = tmp_path / "results"
    assert cli(["run", str(cfg), "--results", str(results)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert "must name an environment variable, not hold a key" in err
    assert pasted not in err and pasted[6:] not in err
    assert not results.exists()  # refused before anything was built or sent


def test_a_plausible_variable_name_that_is_unset_is_still_named(tmp_path, capsys):
    """The name check must not swallow the common case: an unset variable is named, exit 2."""
    cfg = _config(tmp_path, {"ref": "http://127.0.0.1:9"})
    cfg.write_text(cfg.read_text().replace(ENV, "FP_SURELY_UNSET_azure_key_2"))
    assert cli(["run", str(cfg)]) == 2
    assert "FP_SURELY_UNSET_azure_key_2 is not set" in capsys.readouterr().err
