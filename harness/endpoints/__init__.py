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
    Endpoint,
    EndpointError,
    GenerateRequest,
    GenerateResponse,
    answers_from_corpus,
)
from harness.endpoints.http import post_json, register_secrets
from harness.errors import InputError
from harness.messages import Message

__all__ = [
    "Endpoint",
    "EndpointError",
    "GenerateRequest",
    "GenerateResponse",
    "HttpEndpoint",
    "Message",
    "answers_from_corpus",
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


# httpcore's pool re-scans every queued request against every connection whenever one finishes,
# so one client with 32 connections spends more CPU per request than four with 8 each: 2.5x
# fewer requests per second at concurrency 32 (benchmarks/dispatch.py, docs/hardening.md).
CONNECTIONS_PER_CLIENT = 8


class HttpEndpoint:
    """A model reached over HTTP: pooled clients of at most 8 connections, sized to concurrency.

    Each request goes to the client with the fewest requests in flight, which keeps every pool
    small (see CONNECTIONS_PER_CLIENT) without ever queueing behind a busy one.
    """

    def __init__(self, spec: EndpointSpec, client: httpx.AsyncClient | None = None):
        if spec.kind not in CODECS:
            raise InputError(f"endpoint {spec.name!r}: unknown kind {spec.kind!r}")
        self.spec = spec
        self.name = spec.name
        self.kind = spec.kind
        self.model = spec.model
        self.max_n = 1 if spec.kind == "anthropic" else spec.max_n
        self._path, self._build, self._parse, auth = CODECS[spec.kind]
        self._url = spec.base_url + self._path
        self._who = f"endpoint {spec.name!r}"
        key = spec.api_key()
        self._secrets = (key,) if key else ()
        register_secrets(self._secrets)
        self._headers = auth(key)
        self._owns_client = client is None
        if client is not None:
            self._clients = [client]
        else:
            n = -(-spec.concurrency // CONNECTIONS_PER_CLIENT)
            size = -(-spec.concurrency // n)
            self._clients = [
                httpx.AsyncClient(
                    timeout=httpx.Timeout(spec.timeout_s, connect=min(10.0, spec.timeout_s)),
                    limits=httpx.Limits(max_connections=size, max_keepalive_connections=size),
                )
                for _ in range(n)
            ]
        self._inflight = [0] * len(self._clients)

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
        who = self._who
        i = self._inflight.index(min(self._inflight)) if len(self._clients) > 1 else 0
        self._inflight[i] += 1
        try:
            data, latency = await post_json(
                self._clients[i],
                self._url,
                body,
                headers=self._headers,
                secrets=self._secrets,
                who=who,
            )
        finally:
            self._inflight[i] -= 1
        try:
            response = self._parse(data, who)
        except EndpointError:
            raise
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            # Valid JSON of the wrong shape is as transient as a garbled body: ask again.
            raise EndpointError(
                f"{who}: unreadable answer ({type(exc).__name__})", retryable=True
            ) from None
        response.latency_s = latency
        return response

    async def aclose(self) -> None:
        if self._owns_client:
            for client in self._clients:
                await client.aclose()


def make_endpoint(spec: EndpointSpec, client: httpx.AsyncClient | None = None) -> Endpoint:
    if spec.kind == "replay":
        from harness.endpoints.replay import ReplayEndpoint

        return ReplayEndpoint(spec)
    return HttpEndpoint(spec, client)
