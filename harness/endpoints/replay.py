"""Replay: a corpus of answers that were already collected, served as if it were an endpoint.

Published answer sets (and answers bought earlier) then flow through exactly the same runner,
store and detector as live ones. The answer is found by prompt id, which is what a corpus keys
its records on: two ids may share one text, and a corpus may hold no text at all. Only a request
whose probe id the corpus lacks (a published corpus replayed against one of the harness's own
suites) is matched by its prompt text. A prompt the corpus never saw is a non-retryable error,
so a mismatched probe suite is reported instead of guessed.

The endpoint's identity carries a digest of its model's records, so an edited corpus is a new
endpoint for every model whose answers changed: the store never serves the old answers for it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.endpoints.base import Choice, EndpointError, GenerateRequest, GenerateResponse
from harness.errors import InputError


@dataclass
class ModelAnswers:
    """One model's records in a corpus, as the replay endpoint looks them up."""

    by_id: dict[str, str] = field(default_factory=dict)  # prompt id -> first response
    by_text: dict[str, str] = field(default_factory=dict)  # non-empty prompt -> first response
    digest: str = ""  # sha256 of the model's (prompt id, prompt, response) records in file order
    conflicts: int = 0  # records repeating a prompt id with another response (the first is kept)
    nulls: int = 0  # records with a null response (a failed generation): read as unanswered


@functools.lru_cache(maxsize=4)
def _index(path: str, version: tuple[int, int]) -> dict[str, ModelAnswers]:
    """model -> its answers; cached per file version (mtime, size) across endpoints."""
    from harness.corpus import iter_records

    index: dict[str, ModelAnswers] = {}
    hashers: dict[str, hashlib._Hash] = {}
    nulls: dict[str, int] = {}
    for rec in iter_records(path, nulls):
        model, pid, response = rec["model"], rec["prompt_id"], rec["response"]
        prompt = rec["prompt"]
        answers = index.setdefault(model, ModelAnswers())
        line = json.dumps([pid, prompt, response], ensure_ascii=False) + "\n"
        hashers.setdefault(model, hashlib.sha256()).update(line.encode("utf-8"))
        kept = answers.by_id.setdefault(pid, response)
        answers.conflicts += kept != response
        if prompt:
            answers.by_text.setdefault(prompt, response)
    for model, hasher in hashers.items():
        index[model].digest = hasher.hexdigest()
    for model, n in nulls.items():  # a model with only nulls is still a model of the corpus
        index.setdefault(model, ModelAnswers()).nulls = n
    return index


def corpus_index(path: str | Path) -> dict[str, ModelAnswers]:
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{p}: no such corpus file")
    st = p.stat()
    return _index(str(p.resolve()), (st.st_mtime_ns, st.st_size))


class ReplayEndpoint:
    """Answers from a corpus file for one of its models; `base_url` is the corpus path."""

    kind = "replay"
    max_n = 1
    answers_by_probe_id = True  # the runner names the probe in each request (`build_request`)
    metered = False  # reads a file: its requests count against a budget, tokens do not

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
        """The spec's `replay|path|model` plus the digest of this model's records."""
        return f"{self.spec.identity}|{self._answers.digest[:16]}"

    def answer(self, request: GenerateRequest) -> str | None:
        """The recorded response: by probe id, else by prompt text; None when there is none."""
        if request.probe_id is not None and request.probe_id in self._answers.by_id:
            return self._answers.by_id[request.probe_id]
        if request.prompt is not None:
            prompt = request.prompt
        else:
            prompt = next((m.content for m in reversed(request.messages) if m.role == "user"), "")
        return self._answers.by_text.get(prompt) if prompt else None

    async def generate(self, request: GenerateRequest) -> GenerateResponse:
        started = time.perf_counter()
        text = self.answer(request)
        if text is None:
            raise EndpointError(
                f"endpoint {self.name!r}: the corpus holds no answer of {self.model!r} to this prompt",
                retryable=False,
            )
        return GenerateResponse(
            choices=[Choice(text, "stop")],
            model_reported=self.model,
            latency_s=time.perf_counter() - started,
            raw={"replay": True},
        )

    async def aclose(self) -> None:
        return None
