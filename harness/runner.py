"""The runner: fan probes x samples x endpoints out, politely, and store every answer on arrival.

Each sample is its own request with its own seed, derived from (run seed, probe id, sample
index), so any single answer can be re-asked and compared. Work already in the store is never
sent again, which is what makes an interrupted run resumable and a finished one free to re-run.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from harness.budget import Budget, BudgetExceeded, Prices
from harness.endpoints import Endpoint, EndpointError, GenerateRequest, GenerateResponse
from harness.endpoints.base import ChatMessage
from harness.errors import redact
from harness.probes import Probe
from harness.store import AnswerRecord, Store, cache_key

# Statuses after which asking again cannot help: stop sending to that endpoint at all.
_FATAL_STATUS = frozenset({401, 403, 404})
FREE = Prices()


def derive_seed(run_seed: int, probe_id: str, sample_index: int) -> int:
    digest = hashlib.sha256(f"{run_seed}\x00{probe_id}\x00{sample_index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def render_transcript(messages: Sequence[ChatMessage]) -> str:
    """A plain transcript for base models that only complete text."""
    lines = []
    for m in messages:
        if m.role == "system":
            lines.append(m.content.strip() + "\n")
        else:
            lines.append(f"{'User' if m.role == 'user' else 'Assistant'}: {m.content.strip()}")
    return "\n".join(lines) + "\nAssistant:"


def build_request(
    probe: Probe, kind: str, seed: int, logprobs: int | None = None
) -> GenerateRequest:
    messages = tuple(ChatMessage(m.role, m.content) for m in probe.messages)
    s = probe.sampling
    common = {
        "temperature": s.temperature,
        "max_tokens": s.max_tokens,
        "seed": seed,
        "top_p": s.top_p,
        "logprobs": logprobs,
    }
    if kind == "openai-completions":
        prompt = probe.prompt if probe.prompt is not None else render_transcript(messages)
        stop = tuple(s.stop) or (() if probe.prompt is not None else ("\nUser:",))
        return GenerateRequest(prompt=prompt, stop=stop, **common)
    return GenerateRequest(messages=messages, stop=tuple(s.stop), **common)


@dataclass(frozen=True)
class WorkItem:
    endpoint: str
    probe: Probe
    sample_index: int
    seed: int
    request: GenerateRequest
    key: str


def plan(
    probes: Iterable[Probe],
    endpoints: dict[str, Endpoint],
    run_seed: int,
    logprobs: int | None = None,
) -> list[WorkItem]:
    """Every (endpoint, probe, sample) the run needs, each with its seed and cache key."""
    items = []
    probes = list(probes)
    for name, ep in endpoints.items():
        for probe in probes:
            for i in range(probe.sampling.samples):
                seed = derive_seed(run_seed, probe.id, i)
                req = build_request(probe, ep.kind, seed, logprobs)
                items.append(
                    WorkItem(
                        name, probe, i, seed, req, cache_key(ep.identity, req.canonical_json(), i)
                    )
                )
    return items


@dataclass
class EndpointStats:
    planned: int = 0
    stored_before: int = 0
    from_cache: int = 0
    requests: int = 0
    retries: int = 0
    answered: int = 0
    failed: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    model_reported: str = ""
    aborted: str = ""


@dataclass
class RunStats:
    endpoints: dict[str, EndpointStats] = field(default_factory=dict)
    wall_s: float = 0.0
    budget_stopped: str = ""

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.endpoints.values())

    @property
    def failed(self) -> int:
        return sum(s.failed for s in self.endpoints.values())

    def to_dict(self) -> dict:
        return {
            "wall_s": round(self.wall_s, 3),
            "requests": self.requests,
            "failed": self.failed,
            "budget_stopped": self.budget_stopped,
            "endpoints": {k: asdict(v) for k, v in self.endpoints.items()},
        }


@dataclass
class RetryPolicy:
    max_retries: int = 6
    base_s: float = 0.5
    cap_s: float = 30.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Honour the server's Retry-After; otherwise exponential backoff with full jitter."""
        if retry_after is not None:
            return min(retry_after, self.cap_s * 4)
        return random.uniform(0, min(self.cap_s, self.base_s * 2**attempt))


def _record(
    item: WorkItem, ep: Endpoint, resp: GenerateResponse, choice_index: int
) -> AnswerRecord:
    choice = resp.choices[choice_index]
    return AnswerRecord(
        key=item.key,
        endpoint=item.endpoint,
        identity=ep.identity,
        probe_id=item.probe.id,
        family=item.probe.family,
        suite=item.probe.suite,
        sample_index=item.sample_index,
        seed=item.seed,
        request=item.request.canonical_json(),
        text=choice.text,
        finish_reason=choice.finish_reason,
        usage=resp.usage,
        logprobs=None if choice.logprobs is None else [asdict(t) for t in choice.logprobs],
        model_reported=resp.model_reported,
        latency_s=resp.latency_s,
        raw=resp.raw,
        created_at=time.time(),
    )


def _prompt_chars(request: GenerateRequest) -> int:
    return len(request.prompt or "") + sum(len(m.content) for m in request.messages)


async def _ask(
    item: WorkItem,
    ep: Endpoint,
    stores: Sequence[Store],
    stats: EndpointStats,
    policy: RetryPolicy,
    secrets: tuple[str, ...],
    budget: Budget | None = None,
    prices: Prices = FREE,
) -> None:
    for attempt in range(policy.max_retries + 1):
        if stats.aborted or (budget is not None and budget.stopped):
            return
        held = (0.0, 0.0)
        if budget is not None:
            try:
                held = budget.reserve(_prompt_chars(item.request), item.request.max_tokens, prices)
            except BudgetExceeded:
                return
        stats.requests += 1
        try:
            resp = await ep.generate(item.request)
        except EndpointError as exc:
            if budget is not None:
                budget.settle(held, {}, prices)
            if exc.retryable and attempt < policy.max_retries:
                stats.retries += 1
                await asyncio.sleep(policy.delay(attempt, exc.retry_after))
                continue
            message = redact(str(exc), secrets)
            stores[0].record_failure(
                item.key, item.endpoint, item.probe.id, item.sample_index, message
            )
            stats.failed += 1
            if exc.status in _FATAL_STATUS:
                stats.aborted = message
            return
        if budget is not None:
            budget.settle(held, resp.usage, prices)
        record = _record(item, ep, resp, 0)
        for store in stores:
            store.put(record)
        stats.answered += 1
        stats.prompt_tokens += resp.usage.get("prompt_tokens", 0)
        stats.completion_tokens += resp.usage.get("completion_tokens", 0)
        stats.model_reported = resp.model_reported or stats.model_reported
        return


async def execute(
    items: Sequence[WorkItem],
    endpoints: dict[str, Endpoint],
    store: Store,
    *,
    concurrency: dict[str, int] | None = None,
    policy: RetryPolicy | None = None,
    cache: Store | None = None,
    console: Console | None = None,
    show_progress: bool = True,
    budget: Budget | None = None,
    prices: dict[str, Prices] | None = None,
) -> RunStats:
    """Send what the store does not hold yet; return counts per endpoint."""
    started = time.perf_counter()
    policy = policy or RetryPolicy()
    stats = RunStats({name: EndpointStats() for name in endpoints})
    have = store.keys()
    todo: dict[str, list[WorkItem]] = {name: [] for name in endpoints}
    for item in items:
        st = stats.endpoints[item.endpoint]
        st.planned += 1
        if item.key in have:
            st.stored_before += 1
        else:
            todo[item.endpoint].append(item)
    if cache is not None:
        _copy_from_cache(todo, cache, store, stats)

    progress = Progress(
        TextColumn("{task.description:<24}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console or Console(stderr=True),
        disable=not show_progress,
        transient=False,
    )

    async def drive(name: str, work: list[WorkItem]) -> None:
        ep = endpoints[name]
        st = stats.endpoints[name]
        task = progress.add_task(name, total=st.planned, completed=st.planned - len(work))
        limit = asyncio.Semaphore((concurrency or {}).get(name, 4))
        secrets = tuple(getattr(ep, "secrets", ()))

        async def one(item: WorkItem) -> None:
            async with limit:
                await _ask(
                    item, ep, sinks, st, policy, secrets, budget, (prices or {}).get(name, Prices())
                )
            progress.advance(task)

        await asyncio.gather(*(one(i) for i in work))

    sinks = [store] if cache is None else [store, cache]
    with progress:
        await asyncio.gather(*(drive(n, w) for n, w in todo.items()))
    stats.wall_s = time.perf_counter() - started
    stats.budget_stopped = budget.stopped if budget is not None else ""
    return stats


def _copy_from_cache(
    todo: dict[str, list[WorkItem]], cache: Store, store: Store, stats: RunStats
) -> None:
    """Move answers a shared cache already holds into this run's store instead of asking."""
    for name, work in todo.items():
        found = cache.get_many([i.key for i in work])
        if not found:
            continue
        for record in found.values():
            record.endpoint = name  # the cache may know this identity under another name
        store.put_many(found.values())
        stats.endpoints[name].from_cache += len(found)
        todo[name] = [i for i in work if i.key not in found]
