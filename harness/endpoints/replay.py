"""Replay: a corpus of answers that were already collected, served as if it were an endpoint.

Published answer sets (and answers bought earlier) then flow through exactly the same runner,
store and detector as live ones. The answer is found by prompt text; a prompt the corpus never
saw is a non-retryable error, so a mismatched probe suite is reported instead of guessed.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path

from harness.endpoints.base import Choice, EndpointError, GenerateRequest, GenerateResponse
from harness.errors import InputError


@functools.lru_cache(maxsize=4)
def _index(path: str, mtime: float) -> dict[str, dict[str, str]]:
    """model -> prompt text -> first response; cached per file version across endpoints."""
    from harness.corpus import iter_records

    index: dict[str, dict[str, str]] = {}
    for rec in iter_records(path):
        index.setdefault(rec["model"], {}).setdefault(rec["prompt"], rec["response"])
    return index


def corpus_index(path: str | Path) -> dict[str, dict[str, str]]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such corpus file")
    return _index(str(p.resolve()), p.stat().st_mtime)


class ReplayEndpoint:
    """Answers from a corpus file for one of its models; `base_url` is the corpus path."""

    kind = "replay"
    max_n = 1

    def __init__(self, spec):
        self.spec = spec
        self.name = spec.name
        self.model = spec.model
        self.secrets: tuple[str, ...] = ()
        models = corpus_index(spec.base_url)
        if spec.model not in models:
            raise InputError(
                f"endpoint {spec.name!r}: model {spec.model!r} is not in corpus {spec.base_url}"
            )
        self._answers = models[spec.model]

    @property
    def identity(self) -> str:
        return self.spec.identity

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        started = time.perf_counter()
        if request.prompt is not None:
            prompt = request.prompt
        else:
            prompt = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        if prompt not in self._answers:
            raise EndpointError(
                f"endpoint {self.name!r}: the corpus holds no answer of {self.model!r} to this prompt",
                retryable=False,
            )
        text = self._answers[prompt]
        return GenerateResponse(
            choices=[Choice(text, "stop")],
            model_reported=self.model,
            latency_s=time.perf_counter() - started,
            raw={"replay": True},
        )

    async def aclose(self) -> None:
        return None
