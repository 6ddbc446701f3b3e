"""The one interface every provider sits behind: `await endpoint.generate(request)`.

Requests are plain data so they can be hashed into a cache key; responses keep the raw body so
the store holds exactly what the provider said.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

from harness.errors import OperationalError
from harness.messages import Message


@dataclass(frozen=True)
class GenerateRequest:
    """What to ask. Exactly one of `messages` (chat) or `prompt` (raw completion) is set."""

    messages: tuple[Message, ...] = ()
    prompt: str | None = None
    temperature: float = 0.0
    max_tokens: int = 256
    n: int = 1
    seed: int | None = None
    top_p: float | None = None
    stop: tuple[str, ...] = ()
    logprobs: int | None = None  # how many top alternatives per token; None = no logprobs
    # Which probe asks, for endpoints that answer by probe id rather than by text (replay). It
    # enters `canonical` only when set, so every live request, and its cache key, is unchanged.
    probe_id: str | None = None

    def canonical(self, *, with_seed: bool = True) -> dict[str, Any]:
        """A JSON-ready form with stable key order, used in cache keys and the store."""
        # Built by hand, not with dataclasses.asdict: same dict, a fifth of the CPU (it runs
        # once per planned sample). tests/test_hardening_dispatch.py pins the equivalence.
        data = {
            "messages": [{"role": m.role, "content": m.content} for m in self.messages],
            "prompt": self.prompt,
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
            "n": self.n,
            "seed": self.seed,
            "top_p": self.top_p,
            "stop": list(self.stop),
            "logprobs": self.logprobs,
        }
        if not with_seed:
            data.pop("seed")
        if self.probe_id is not None:
            data["probe_id"] = self.probe_id
        return data

    def canonical_json(self, *, with_seed: bool = True) -> str:
        return json.dumps(self.canonical(with_seed=with_seed), sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class TokenLogprob:
    token: str
    logprob: float
    top: dict[str, float] = field(default_factory=dict)


@dataclass
class Choice:
    text: str
    finish_reason: str | None = None
    logprobs: list[TokenLogprob] | None = None


@dataclass
class GenerateResponse:
    choices: list[Choice]
    model_reported: str = ""
    usage: dict[str, int] = field(default_factory=dict)
    latency_s: float = 0.0
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def texts(self) -> list[str]:
        return [c.text for c in self.choices]


class EndpointError(OperationalError):
    """A failed call. `retryable` says whether the runner may try again."""

    def __init__(
        self,
        message: str,
        *,
        retryable: bool,
        status: int | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message)
        self.retryable = retryable
        self.status = status
        self.retry_after = retry_after


def answers_from_corpus(endpoint: object) -> bool:
    """Whether the endpoint answers from a corpus by probe id, as a replay endpoint declares
    (`answers_by_probe_id`): each request must name its probe, and a prompt the corpus lacks
    stays unanswered however often it is asked."""
    return bool(getattr(endpoint, "answers_by_probe_id", False))


class Endpoint(Protocol):
    """A model behind some API. `identity` names who answers, for cache keys."""

    name: str
    kind: str
    model: str
    max_n: int

    @property
    def identity(self) -> str: ...

    async def generate(self, request: GenerateRequest) -> GenerateResponse: ...

    async def aclose(self) -> None: ...
