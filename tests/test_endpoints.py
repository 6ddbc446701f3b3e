"""Every adapter against real llama.cpp servers: chat, completions, Anthropic Messages."""

from __future__ import annotations

import asyncio

import pytest

from harness.config import EndpointSpec
from harness.endpoints import EndpointError, GenerateRequest, Message, make_endpoint
from harness.errors import InputError
from harness.testing.loopback import CountingProxy, json_error

HELLO = (Message("user", "Name three colours."),)


def spec(server, kind="openai-chat", **kw) -> EndpointSpec:
    base = server.base_url if kind == "anthropic" else server.base_url + "/v1"
    return EndpointSpec(name=server.name, kind=kind, base_url=base, model=server.name, **kw)


def ask(endpoint_spec: EndpointSpec, request: GenerateRequest):
    async def go():
        ep = make_endpoint(endpoint_spec)
        try:
            return await ep.generate(request)
        finally:
            await ep.aclose()

    return asyncio.run(go())


def test_chat_returns_text_usage_and_reported_model(local_model):
    server = local_model("smollm2-135m")
    resp = ask(spec(server), GenerateRequest(messages=HELLO, max_tokens=16))
    assert len(resp.choices) == 1
    assert resp.texts[0].strip()
    assert resp.model_reported == "smollm2-135m"
    assert resp.usage["completion_tokens"] > 0
    assert resp.latency_s > 0
    assert resp.raw["choices"][0]["message"]["content"] == resp.texts[0]


def test_chat_n_greater_than_one_returns_n_choices(local_model):
    server = local_model("smollm2-135m")
    req = GenerateRequest(messages=HELLO, max_tokens=12, n=2, temperature=1.0, seed=7)
    resp = ask(spec(server, max_n=server.slots), req)
    assert len(resp.choices) == 2
    assert all(isinstance(t, str) for t in resp.texts)


def test_n_above_max_n_is_refused_before_sending(local_model):
    server = local_model("smollm2-135m")
    with pytest.raises(InputError, match="exceeds max_n"):
        ask(spec(server, max_n=1), GenerateRequest(messages=HELLO, n=2))


def test_seed_makes_sampling_repeatable(local_model):
    server = local_model("smollm2-135m")
    s = spec(server)

    def sample(seed):
        req = GenerateRequest(messages=HELLO, max_tokens=24, temperature=1.2, seed=seed)
        return ask(s, req).texts[0]

    assert sample(11) == sample(11)
    assert len({sample(seed) for seed in (1, 2, 3, 4)}) > 1


def test_chat_logprobs_have_top_alternatives_and_repeat(local_model):
    server = local_model("smollm2-135m")
    req = GenerateRequest(messages=HELLO, max_tokens=8, logprobs=3)
    first = ask(spec(server), req).choices[0].logprobs
    second = ask(spec(server), req).choices[0].logprobs
    assert first and len(first) >= 1
    assert all(t.logprob <= 0 for t in first)
    assert all(1 <= len(t.top) <= 3 for t in first)
    assert [t.token for t in first] == [t.token for t in second]
    assert [round(t.logprob, 4) for t in first] == [round(t.logprob, 4) for t in second]


def test_completions_on_base_model_with_logprobs(local_model):
    server = local_model("gemma3-270m")
    req = GenerateRequest(prompt="The capital of France is", max_tokens=6, logprobs=2)
    resp = ask(spec(server, kind="openai-completions"), req)
    assert resp.texts[0]
    lp = resp.choices[0].logprobs
    assert lp and all(len(t.top) <= 2 for t in lp)
    assert "".join(t.token for t in lp) == resp.texts[0]


def test_anthropic_messages_with_system_prompt(local_model):
    server = local_model("smollm2-135m")
    req = GenerateRequest(messages=(Message("system", "You are terse."), *HELLO), max_tokens=16)
    resp = ask(spec(server, kind="anthropic"), req)
    assert resp.texts[0].strip()
    assert resp.choices[0].finish_reason in ("end_turn", "max_tokens", "stop_sequence")
    assert resp.usage["completion_tokens"] > 0


def test_client_errors_fail_fast_with_the_servers_message_and_no_key(local_model, monkeypatch):
    server = local_model("smollm2-135m")
    key = "sk-test-DO-NOT-LEAK-1234567890"
    monkeypatch.setenv("FP_TEST_KEY", key)

    def reject(n, body):
        return json_error(401, f"invalid api key {key} for Bearer {key}")

    with CountingProxy(server.base_url, fault=reject) as proxy:
        s = EndpointSpec("p", "openai-chat", proxy.url + "/v1", "m", api_key_env="FP_TEST_KEY")
        with pytest.raises(EndpointError) as info:
            ask(s, GenerateRequest(messages=HELLO, max_tokens=4))
    assert info.value.status == 401 and not info.value.retryable
    assert "invalid api key" in str(info.value)
    assert key not in str(info.value)
    assert proxy.log.count == 1


def test_html_error_pages_become_one_line(local_model):
    server = local_model("smollm2-135m")

    def gateway(n, body):
        return (
            502,
            {"content-type": "text/html"},
            b"<html><head><title>502 Bad Gateway</title></head></html>",
        )

    with CountingProxy(server.base_url, fault=gateway) as proxy:
        s = EndpointSpec("p", "openai-chat", proxy.url + "/v1", "m")
        with pytest.raises(EndpointError) as info:
            ask(s, GenerateRequest(messages=HELLO, max_tokens=4))
    assert info.value.retryable
    assert "HTML error page: 502 Bad Gateway" in str(info.value)
    assert "\n" not in str(info.value)
