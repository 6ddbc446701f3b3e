"""Anthropic Messages API: request bodies and answer parsing.

The API has no `n` and no seed: the runner asks once per sample, and the seed is recorded but
cannot be honoured by the provider.
"""

from __future__ import annotations

from typing import Any

from harness.endpoints.base import Choice, EndpointError, GenerateRequest, GenerateResponse

PATH = "/v1/messages"
API_VERSION = "2023-06-01"


def auth_headers(api_key: str | None) -> dict[str, str]:
    headers = {"anthropic-version": API_VERSION}
    if api_key:
        headers["x-api-key"] = api_key
    return headers


def body(req: GenerateRequest, model: str) -> dict[str, Any]:
    if not req.messages:
        raise ValueError("an Anthropic request needs messages")
    if req.n != 1:
        raise ValueError("the Anthropic Messages API returns one answer per request (n=1)")
    system = "\n\n".join(m.content for m in req.messages if m.role == "system")
    out: dict[str, Any] = {
        "model": model,
        "max_tokens": req.max_tokens,
        "temperature": req.temperature,
        "messages": [
            {"role": m.role, "content": m.content} for m in req.messages if m.role != "system"
        ],
    }
    if system:
        out["system"] = system
    if req.top_p is not None:
        out["top_p"] = req.top_p
    if req.stop:
        out["stop_sequences"] = list(req.stop)
    return out


def parse(data: dict[str, Any], who: str) -> GenerateResponse:
    content = data.get("content")
    if not isinstance(content, list):
        raise EndpointError(f"{who}: answer has no content list", retryable=True)
    text = "".join(
        str(block.get("text", ""))
        for block in content
        if isinstance(block, dict) and block.get("type") == "text"
    )
    usage = data.get("usage") or {}
    return GenerateResponse(
        choices=[Choice(text, data.get("stop_reason"))],
        model_reported=str(data.get("model", "")),
        usage={
            "prompt_tokens": int(usage.get("input_tokens", 0) or 0),
            "completion_tokens": int(usage.get("output_tokens", 0) or 0),
        },
        raw=data,
    )
