"""OpenAI-compatible chat completions and (legacy) completions: request bodies and answer parsing.

Parsing accepts both the OpenAI shapes and the ones llama.cpp's server emits, so the same adapter
serves hosted APIs and local models.
"""

from __future__ import annotations

from typing import Any

from harness.endpoints.base import (
    Choice,
    EndpointError,
    GenerateRequest,
    GenerateResponse,
    TokenLogprob,
)

CHAT_PATH = "/chat/completions"
COMPLETIONS_PATH = "/completions"


def auth_headers(api_key: str | None) -> dict[str, str]:
    return {"Authorization": f"Bearer {api_key}"} if api_key else {}


def _common(req: GenerateRequest, model: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": model,
        "temperature": req.temperature,
        "max_tokens": req.max_tokens,
        "n": req.n,
    }
    if req.seed is not None:
        body["seed"] = req.seed
    if req.top_p is not None:
        body["top_p"] = req.top_p
    if req.stop:
        body["stop"] = list(req.stop)
    return body


def chat_body(req: GenerateRequest, model: str) -> dict[str, Any]:
    if not req.messages:
        raise ValueError("a chat request needs messages")
    body = _common(req, model)
    body["messages"] = [{"role": m.role, "content": m.content} for m in req.messages]
    if req.logprobs is not None:
        body["logprobs"] = True
        body["top_logprobs"] = req.logprobs
    return body


def completions_body(req: GenerateRequest, model: str) -> dict[str, Any]:
    if req.prompt is None:
        raise ValueError("a completions request needs a prompt")
    body = _common(req, model)
    body["prompt"] = req.prompt
    if req.logprobs is not None:
        body["logprobs"] = req.logprobs
    # llama.cpp reuses the KV cache across requests otherwise, which perturbs logprobs.
    body["cache_prompt"] = False
    return body


def _top_list(items: Any) -> dict[str, float]:
    out: dict[str, float] = {}
    for item in items or []:
        if isinstance(item, dict) and "logprob" in item:
            out[str(item.get("token", item.get("tok_str", "")))] = float(item["logprob"])
    return out


def parse_logprobs(lp: Any) -> list[TokenLogprob] | None:
    """Token logprobs from any of the three shapes seen in the wild, or None."""
    if not lp:
        return None
    if isinstance(lp, dict) and isinstance(lp.get("content"), list):  # chat / llama.cpp
        return [
            TokenLogprob(
                str(t.get("token", "")),
                float(t.get("logprob", 0.0)),
                _top_list(t.get("top_logprobs")),
            )
            for t in lp["content"]
            if isinstance(t, dict)
        ]
    if isinstance(lp, dict) and isinstance(lp.get("tokens"), list):  # legacy OpenAI completions
        tops = lp.get("top_logprobs") or [None] * len(lp["tokens"])
        values = lp.get("token_logprobs") or [0.0] * len(lp["tokens"])
        return [
            TokenLogprob(str(tok), float(val if val is not None else 0.0), dict(top or {}))
            for tok, val, top in zip(lp["tokens"], values, tops, strict=False)
        ]
    return None


def _usage(data: dict[str, Any]) -> dict[str, int]:
    usage = data.get("usage") or {}
    return {k: int(v) for k, v in usage.items() if isinstance(v, int | float)}


def parse(data: dict[str, Any], who: str) -> GenerateResponse:
    """Chat or completions answer -> GenerateResponse; an answer with no choices is retryable."""
    raw_choices = data.get("choices")
    if not isinstance(raw_choices, list) or not raw_choices:
        raise EndpointError(f"{who}: answer has no choices", retryable=True)
    choices: list[Choice] = []
    for c in sorted(raw_choices, key=lambda c: c.get("index", 0) if isinstance(c, dict) else 0):
        if not isinstance(c, dict):
            raise EndpointError(f"{who}: malformed choice in answer", retryable=True)
        if isinstance(c.get("message"), dict):
            text = c["message"].get("content")
            reasoning = c["message"].get("reasoning_content")
            if text is None and reasoning:
                text = reasoning
        else:
            text = c.get("text")
        if text is None:
            text = ""
        if not isinstance(text, str):
            raise EndpointError(f"{who}: choice text is not a string", retryable=True)
        choices.append(Choice(text, c.get("finish_reason"), parse_logprobs(c.get("logprobs"))))
    return GenerateResponse(
        choices=choices, model_reported=str(data.get("model", "")), usage=_usage(data), raw=data
    )
