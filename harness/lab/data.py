"""Training data for the lab: the lab prompts answered by each source, kept in a fingerprint store.

The answers go through the project's own runner (`plan` / `execute`) into an ordinary SQLite
`Store`, so collection is resumable (answers already stored are never asked again), seeded, and
inspectable with the same tools as any run. The human source needs no endpoint: its answers are
the ones written in `prompts.py`. A corpus source needs none either: its answers are one model's
in an external answer corpus (`LabConfig.control_corpus`), to that corpus's own prompts.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType

from harness.config import EndpointSpec
from harness.endpoints import make_endpoint
from harness.errors import InputError
from harness.lab.prompts import LabPrompt, lab_prompts
from harness.lab.self_prompts import self_prompts
from harness.probes import Message, Probe, Sampling
from harness.runner import execute, plan
from harness.store import Store

HUMAN = "human"
HUMAN_ALT = "human-alt"  # the second human-written answer set (`LabPrompt.alt`)


@dataclass(frozen=True)
class Source:
    """Who answers the lab prompts for one student: a local model (and how it is sampled), a
    human answer set, or one model of an external answer corpus."""

    name: str  # store endpoint name, also the student's data name
    model: str  # local model name (harness.local catalogue); "" for a human or corpus source
    temperature: float = 0.0
    human: str = HUMAN  # which human answer set, when model == "" and corpus == ""
    corpus: str = ""  # a model of the external answer corpus (its prompts, not the lab's)


def probes_for(prompts: list[LabPrompt], source: Source, max_tokens: int) -> list[Probe]:
    """The lab prompts as runner probes (family "lab", never a probe-suite family)."""
    return [
        Probe(
            id=p.id,
            family="lab",
            suite="lab",
            messages=(Message("user", p.text),),
            prompt=None,
            sampling=Sampling(temperature=source.temperature, max_tokens=max_tokens, samples=1),
            tags=("lab",),
            language="en",
            expect=MappingProxyType({}),
            selections=("full",),
        )
        for p in prompts
    ]


def endpoint_spec(source: Source, servers: dict) -> EndpointSpec:
    """Endpoint for a source's local server: chat for instruct models, completions for bases."""
    info = servers[source.model]
    return EndpointSpec(
        name=source.name,
        kind="openai-chat" if info.api == "chat" else "openai-completions",
        base_url=info.base_url.rstrip("/") + "/v1",
        model=source.model,
        concurrency=4,
        timeout_s=600.0,
    )


def collect(
    store_path: Path,
    sources: list[Source],
    servers: dict,
    *,
    n_prompts: int | None = None,
    n_self: int = 0,
    max_tokens: int = 128,
    seed: int = 0,
    show_progress: bool = True,
) -> dict[str, dict]:
    """Ask every model source every lab prompt it has not answered yet (the first `n_prompts`
    of the bank, None: all of it, and the first `n_self` self prompts); returns run stats."""
    endpoints, items = planned(sources, servers, n_prompts, n_self, max_tokens, seed)

    async def go():
        try:
            with Store(store_path) as store:
                return await execute(items, endpoints, store, show_progress=show_progress)
        finally:
            await asyncio.gather(*(ep.aclose() for ep in endpoints.values()))

    stats = asyncio.run(go()) if items else None
    return stats.to_dict() if stats else {}


def planned(
    sources: list[Source],
    servers: dict,
    n_prompts: int | None,
    n_self: int,
    max_tokens: int,
    seed: int = 0,
) -> tuple[dict, list]:
    """The endpoints and work items (each with its cache key) `collect` asks for."""
    prompts = _prompts(n_prompts, n_self)
    model_sources = [s for s in sources if s.model]
    endpoints = {s.name: make_endpoint(endpoint_spec(s, servers)) for s in model_sources}
    items = [
        item
        for s in model_sources
        for item in plan(probes_for(prompts, s, max_tokens), {s.name: endpoints[s.name]}, seed)
    ]
    return endpoints, items


def _prompts(n_prompts: int | None, n_self: int) -> list[LabPrompt]:
    return lab_prompts()[:n_prompts] + self_prompts()[:n_self]


def _corpus_key(corpus: Path) -> tuple[Path, float]:
    """The corpus file (given, or a directory's responses file) and its mtime: the cache key."""
    from harness.corpus import responses_file

    path = responses_file(
        corpus, "a control corpus is a directory holding responses.jsonl.gz, or that file", True
    )
    return path.resolve(), path.stat().st_mtime


@lru_cache(maxsize=1)
def _corpus_answers(path: Path, mtime: float):
    """One parse per corpus file and version: the CLI check, the data sizes and each corpus
    student's training pairs all read the same 48k-answer file."""
    from harness.corpus import load_answers

    return load_answers(path)


def corpus_pairs(
    corpus: Path, model: str, n_prompts: int | None = None
) -> list[tuple[str, str, bool]]:
    """(prompt, answer, True) for one model of an answer corpus, in prompt-id order.

    Empty answers are skipped. Long answers are cut by the trainer at `max_answer_tokens`, which
    then appends no end-of-turn token (`train.encode`), as for a local model cut at max_tokens.
    """
    answers = _corpus_answers(*_corpus_key(corpus))
    if model not in answers.models:
        raise InputError(f"{corpus}: no answers from {model} (needed for a control student)")
    texts = answers.texts[model]
    pairs = [
        (answers.prompts.get(pid, ""), texts[pid][0].strip(), True)
        for pid in sorted(texts)
        if answers.prompts.get(pid) and texts[pid] and texts[pid][0].strip()
    ]
    return pairs[:n_prompts]


def training_pairs(
    store_path: Path,
    source: Source,
    n_prompts: int | None = None,
    corpus: Path | None = None,
    n_self: int = 0,
) -> list[tuple[str, str, bool]]:
    """(prompt, answer, complete) for one source, in lab-prompt order then the first `n_self`
    self prompts (corpus sources: in the corpus's prompt order, from `corpus`).

    `complete` is False when the model stopped at max_tokens: such an answer is cut, so the
    student must not learn to end there (no end-of-turn token is appended for it).
    """
    if n_self and not source.model:
        raise InputError(f"{source.name}: self prompts have no human or corpus answers")
    if source.corpus:
        if corpus is None:
            raise InputError(f"{source.name} is trained on a corpus: no control corpus given")
        return corpus_pairs(corpus, source.corpus, n_prompts)
    prompts = _prompts(n_prompts, n_self)
    if source.name == HUMAN:
        return [(p.text, p.human, True) for p in prompts]
    if source.name == HUMAN_ALT:
        return [(p.text, p.alt, True) for p in prompts]
    with Store(store_path) as store:
        got = {r.probe_id: r for r in store.records([source.name])}
    missing = [p.id for p in prompts if p.id not in got]
    if missing:
        raise RuntimeError(f"{source.name}: {len(missing)} lab prompts unanswered ({missing[0]})")
    return [(p.text, got[p.id].text.strip(), got[p.id].finish_reason != "length") for p in prompts]


def describe_n(
    store_path: Path,
    sources: list[Source],
    n_prompts: int | None = None,
    corpus: Path | None = None,
    n_self: int = 0,
) -> dict[str, dict]:
    """Size of each source's training data (answers, characters, how many cut at max_tokens).

    A corpus source's cut count is None: its answers are cut by the trainer's tokenizer, not by
    a server, so it is not known here (docs/lab.md, run H, gives the measured counts).
    """
    out = {}
    for s in sources:
        pairs = training_pairs(store_path, s, n_prompts, corpus, n_self)
        out[s.name] = {
            "answers": len(pairs),
            "chars": sum(len(a) for _, a, _ in pairs),
            "cut_at_max_tokens": None if s.corpus else sum(1 for *_, ok in pairs if not ok),
        }
    return out


def export_answers(store_path: Path, out: Path) -> int:
    """Write every answer of the lab store to a `.jsonl[.gz]` answer corpus that another
    machine loads back with `read_answers`. Why: collection is the slowest step of a large
    lab run on a fresh machine (1 h 43 min for qwen's 1,000 answers in session 12), and greedy
    answers of the same local models do not change, so they can travel with the project.

    Each line is the store's own flat row (`store.record_row`): an ordinary corpus record
    that every corpus tool reads, with every stored field, cache key included."""
    from harness.corpus import write_records
    from harness.store import record_row

    with Store(store_path) as store:
        rows = [record_row(r) for r in store.records()]
    out.parent.mkdir(parents=True, exist_ok=True)
    return write_records(out, rows)


def read_answers(path: Path) -> list:
    """The stored records of a file `export_answers` wrote, checked before any is stored: a
    row whose cache key does not match its endpoint and request is refused with its number,
    since it would be served for a question it does not answer."""
    from harness.corpus import iter_records
    from harness.store import cache_key, row_record

    records = []
    for n, row in enumerate(iter_records(path), 1):
        if not {"key", "identity", "request", "sample"} <= row.keys():
            raise InputError(f"{path}: answer {n} has no stored record (not a lab data file)")
        record = row_record(row)
        if record.key != cache_key(record.identity, record.request, record.sample_index):
            raise InputError(f"{path}: answer {n}: its cache key does not match its request")
        records.append(record)
    return records


def store_answers(store_path: Path, records: list) -> int:
    """Put records into the lab store (answers already stored are kept); returns how many
    were new."""
    store_path.parent.mkdir(parents=True, exist_ok=True)
    with Store(store_path) as store:
        return store.put_many(records)
