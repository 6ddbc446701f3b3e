"""Endpoints: every provider behind one async `generate(request) -> response`.

An `HttpEndpoint` pairs an `EndpointSpec` with a codec (how to build a body and read an answer)
for its kind. Construction reads the API key from the environment; the key lives only in the
request headers and is scrubbed from every error message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from harness.config import EndpointSpec
from harness.endpoints import anthropic, openai
from harness.endpoints.base import (
    ChatMessage,
    Endpoint,
    EndpointError,
    GenerateRequest,
    GenerateResponse,
)
from harness.endpoints.http import post_json
from harness.errors import InputError

__all__ = [
    "ChatMessage",
    "Endpoint",
    "EndpointError",
    "GenerateRequest",
    "GenerateResponse",
    "HttpEndpoint",
    "make_endpoint",
]

_Codec = tuple[
    str,
    Callable[[GenerateRequest, str], dict],
    Callable[[dict, str], GenerateResponse],
    Callable[[str | None], dict],
]

CODECS: dict[str, _Codec] = {
    "openai-chat": (openai.CHAT_PATH, openai.chat_body, openai.parse, openai.auth_headers),
    "openai-completions": (
        openai.COMPLETIONS_PATH,
        openai.completions_body,
        openai.parse,
        openai.auth_headers,
    ),
    "anthropic": (anthropic.PATH, anthropic.body, anthropic.parse, anthropic.auth_headers),
}


class HttpEndpoint:
    """A model reached over HTTP. One pooled client per endpoint, sized to its concurrency."""

    def __init__(self, spec: EndpointSpec, client: httpx.AsyncClient | None = None):
        if spec.kind not in CODECS:
            raise InputError(f"endpoint {spec.name!r}: unknown kind {spec.kind!r}")
        self.spec = spec
        self.name = spec.name
        self.kind = spec.kind
        self.model = spec.model
        self.max_n = 1 if spec.kind == "anthropic" else spec.max_n
        self._path, self._build, self._parse, auth = CODECS[spec.kind]
        key = spec.api_key()
        self._secrets = (key,) if key else ()
        self._headers = auth(key)
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=httpx.Timeout(spec.timeout_s, connect=min(10.0, spec.timeout_s)),
            limits=httpx.Limits(
                max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency
            ),
        )

    @property
    def identity(self) -> str:
        return self.spec.identity

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        if request.n > self.max_n:
            raise InputError(
                f"endpoint {self.name!r}: n={request.n} exceeds max_n={self.max_n} for this endpoint"
            )
        body: dict[str, Any] = self._build(request, self.model)
        who = f"endpoint {self.name!r}"
        data, latency = await post_json(
            self._client,
            self.spec.base_url + self._path,
            body,
            headers=self._headers,
            secrets=self._secrets,
            who=who,
        )
        response = self._parse(data, who)
        response.latency_s = latency
        return response

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def make_endpoint(spec: EndpointSpec, client: httpx.AsyncClient | None = None) -> Endpoint:
    if spec.kind == "replay":
        from harness.endpoints.replay import ReplayEndpoint

        return ReplayEndpoint(spec)
    return HttpEndpoint(spec, client)
