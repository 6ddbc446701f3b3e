"""The runner: fan probes x samples x endpoints out, politely, and store every answer on arrival.

Each sample is its own request with its own seed, derived from (run seed, probe id, sample
index), so any single answer can be re-asked and compared. Work already in the store is never
sent again, which is what makes an interrupted run resumable and a finished one free to re-run.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import sqlite3
import time
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from harness.budget import Budget, BudgetExceeded, Prices
from harness.endpoints import (
    Endpoint,
    EndpointError,
    GenerateRequest,
    GenerateResponse,
    answers_from_corpus,
)
from harness.errors import FingerprintError, OperationalError, redact, scrub
from harness.messages import Message
from harness.probes import Probe
from harness.store import AnswerRecord, Store, cache_key

# Statuses after which asking again cannot help: stop sending to that endpoint at all.
_FATAL_STATUS = frozenset({401, 403, 404})
FREE = Prices()


def derive_seed(run_seed: int, probe_id: str, sample_index: int) -> int:
    digest = hashlib.sha256(f"{run_seed}\x00{probe_id}\x00{sample_index}".encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF


def render_transcript(messages: Sequence[Message]) -> str:
    """A plain transcript for base models that only complete text."""
    lines = []
    for m in messages:
        if m.role == "system":
            lines.append(m.content.strip() + "\n")
        else:
            lines.append(f"{'User' if m.role == 'user' else 'Assistant'}: {m.content.strip()}")
    return "\n".join(lines) + "\nAssistant:"


def build_request(
    probe: Probe, kind: str, seed: int, logprobs: int | None = None, *, by_id: bool = False
) -> GenerateRequest:
    """The request for one sample; `by_id` names the probe in it, for an endpoint that answers
    by probe id (replay: two prompt ids may share a text, and a corpus may hold no text)."""
    messages = probe.messages
    s = probe.sampling
    common = {
        "temperature": s.temperature,
        "max_tokens": s.max_tokens,
        "seed": seed,
        "top_p": s.top_p,
        "logprobs": logprobs,
        "probe_id": probe.id if by_id else None,
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
    # The canonical request JSON, computed once in `plan` (it is in the key and in the record).
    request_json: str = field(default="", compare=False, repr=False)


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
        by_id = answers_from_corpus(ep)
        for probe in probes:
            for i in range(probe.sampling.samples):
                seed = derive_seed(run_seed, probe.id, i)
                req = build_request(probe, ep.kind, seed, logprobs, by_id=by_id)
                request_json = req.canonical_json()
                key = cache_key(ep.identity, request_json, i)
                items.append(WorkItem(name, probe, i, seed, req, key, request_json))
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
    overloaded: int = 0  # answers saying "too many requests" (429/503/529): the limiter's signal
    concurrency_final: float = 0.0  # the adaptive limit when the endpoint finished


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


# Statuses that mean "you are sending too much", as opposed to "something broke".
_OVERLOAD_STATUS = frozenset({429, 503, 529})


class AdaptiveLimit:
    """How many requests one endpoint may have in flight: AIMD, like TCP congestion control.

    The configured concurrency is a ceiling, not a promise: a provider that answers 429 above N
    in-flight requests would otherwise get a flood of retries. Each success adds 1/limit (about
    +1 per round trip of the whole window); an overload answer halves the limit, but only once
    per window - the answers to requests sent before the last cut say nothing new about the cut.
    """

    def __init__(self, ceiling: int, floor: float = 1.0):
        self.ceiling = float(max(1, ceiling))
        self.floor = floor
        self.limit = self.ceiling
        self.inflight = 0
        self._epoch = 0
        self._waiters: deque[asyncio.Future[None]] = deque()

    async def acquire(self) -> int:
        """Wait for a slot; returns the window the request is sent in (for `release`)."""
        while self.inflight >= int(self.limit):
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter in self._waiters:
                    self._waiters.remove(waiter)
                raise
        self.inflight += 1
        return self._epoch

    def release(self, epoch: int, overloaded: bool, ok: bool) -> None:
        self.inflight -= 1
        if overloaded:
            if epoch == self._epoch:
                self.limit = max(self.floor, self.limit / 2)
                self._epoch += 1
        elif ok:
            self.limit = min(self.ceiling, self.limit + 1 / self.limit)
        free = int(self.limit) - self.inflight
        while free > 0 and self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                free -= 1


class _Writer:
    """Commit every answer the moment it arrives (`interval_s` = 0, the default).

    Every answer is paid for, so `put` commits it before the worker that received it moves on:
    a kill -9 can never lose an answer that was received. A positive `interval_s` would batch
    commits (at most one transaction per interval) for raw throughput, at the price of a window
    in which a kill loses answers; the project's rule is that nothing paid for may be lost, so
    it ships at 0. A failing store stops the run with one OperationalError line.
    """

    interval_s = 0.0

    def __init__(self, stores: Sequence[Store]):
        self.stores = stores
        self.pending: list[AnswerRecord] = []
        self._wake = asyncio.Event()
        self._closing = False
        self.error: OperationalError | None = None

    def put(self, record: AnswerRecord) -> None:
        if self.error is not None:
            raise self.error
        self.pending.append(record)
        if self.interval_s == 0:
            self.flush()  # commit before the caller moves on: nothing paid for is ever pending
        else:
            self._wake.set()

    def flush(self) -> None:
        if not self.pending:
            return
        records, self.pending = self.pending, []
        for store in self.stores:
            try:
                store.put_many(records)
            except sqlite3.Error as exc:
                self.error = OperationalError(f"store {store.path}: cannot write answers: {exc}")
                raise self.error from None

    async def run(self) -> None:
        try:
            while True:
                await self._wake.wait()
                self._wake.clear()
                self.flush()
                if self._closing:
                    return
                await asyncio.sleep(self.interval_s)
        except OperationalError as exc:
            self.error = exc  # raised by the next `put` and at the end of `execute`

    def close(self) -> None:
        self._closing = True
        self._wake.set()


def _record(
    item: WorkItem,
    ep: Endpoint,
    resp: GenerateResponse,
    choice_index: int,
    secrets: tuple[str, ...] = (),
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
        request=item.request_json or item.request.canonical_json(),
        text=scrub(choice.text, secrets),
        finish_reason=choice.finish_reason,
        usage=resp.usage,
        logprobs=None if choice.logprobs is None else [asdict(t) for t in choice.logprobs],
        model_reported=resp.model_reported,
        latency_s=resp.latency_s,
        raw=scrub(resp.raw, secrets),  # a server may echo the key back
        created_at=time.time(),
    )


def _prompt_chars(request: GenerateRequest) -> int:
    return len(request.prompt or "") + sum(len(m.content) for m in request.messages)


async def _ask(
    item: WorkItem,
    ep: Endpoint,
    writer: _Writer,
    failures: Store,
    stats: EndpointStats,
    policy: RetryPolicy,
    secrets: tuple[str, ...],
    limit: AdaptiveLimit,
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
        window = await limit.acquire()
        if stats.aborted:  # another request learnt the endpoint refuses us while we waited
            limit.release(window, False, False)
            if budget is not None:
                budget.settle(held, {}, prices)
            return
        stats.requests += 1
        try:
            resp = await ep.generate(item.request)
        except EndpointError as exc:
            overloaded = exc.status in _OVERLOAD_STATUS
            limit.release(window, overloaded, False)
            stats.overloaded += overloaded
            if budget is not None:
                budget.settle(held, {}, prices)
            if exc.retryable and attempt < policy.max_retries:
                stats.retries += 1
                await asyncio.sleep(policy.delay(attempt, exc.retry_after))
                continue
            _fail(item, failures, stats, redact(str(exc), secrets))
            if exc.status in _FATAL_STATUS:
                stats.aborted = redact(str(exc), secrets)
            return
        except (FingerprintError, asyncio.CancelledError):
            limit.release(window, False, False)
            raise
        except Exception as exc:  # a bug in an adapter must cost one answer, not the run
            limit.release(window, False, False)
            if budget is not None:
                budget.settle(held, {}, prices)
            detail = redact(f"{type(exc).__name__}: {exc}", secrets)
            _fail(item, failures, stats, f"endpoint {item.endpoint!r}: unexpected error: {detail}")
            return
        limit.release(window, False, True)
        if budget is not None:
            budget.settle(held, resp.usage, prices)
        writer.put(_record(item, ep, resp, 0, secrets))
        stats.answered += 1
        stats.prompt_tokens += resp.usage.get("prompt_tokens", 0)
        stats.completion_tokens += resp.usage.get("completion_tokens", 0)
        stats.model_reported = resp.model_reported or stats.model_reported
        return


def _fail(item: WorkItem, failures: Store, stats: EndpointStats, message: str) -> None:
    failures.record_failure(item.key, item.endpoint, item.probe.id, item.sample_index, message)
    stats.failed += 1


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
    stats: RunStats | None = None,
) -> RunStats:
    """Send what the store does not hold yet; return counts per endpoint.

    Each endpoint gets `concurrency` workers pulling from its queue, gated by an adaptive limit
    (see `AdaptiveLimit`); answers go to the store through one batching writer (see `_Writer`).
    Counts go into `stats` as they happen when a caller passes one: a run cut short (Ctrl-C
    cancels this coroutine) still leaves the caller what it sent and spent.
    """
    started = time.perf_counter()
    stats = RunStats() if stats is None else stats
    for name in endpoints:
        stats.endpoints.setdefault(name, EndpointStats())
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
        refresh_per_second=4,  # each refresh takes the GIL from the event loop
    )
    writer = _Writer([store] if cache is None else [store, cache])

    async def drive(name: str, work: list[WorkItem]) -> None:
        ep = endpoints[name]
        st = stats.endpoints[name]
        task = progress.add_task(name, total=st.planned, completed=st.planned - len(work))
        ceiling = (concurrency or {}).get(name, 4)
        # Without an explicit policy each endpoint retries as often as its config says.
        spec = getattr(ep, "spec", None)
        retry = policy or RetryPolicy(max_retries=getattr(spec, "max_retries", 6))
        limit = AdaptiveLimit(ceiling)
        secrets = tuple(getattr(ep, "secrets", ()))
        price = (prices or {}).get(name, FREE)
        queue = iter(work)

        async def worker() -> None:
            for item in queue:
                await _ask(item, ep, writer, store, st, retry, secrets, limit, budget, price)
                if show_progress:
                    progress.advance(task)

        try:
            await asyncio.gather(*(worker() for _ in range(min(ceiling, len(work)))))
        finally:
            st.concurrency_final = round(limit.limit, 2)

    writing = asyncio.ensure_future(writer.run())
    try:
        with progress:
            await asyncio.gather(*(drive(n, w) for n, w in todo.items()))
    finally:
        writer.close()
        await writing
        if writer.error is None:
            writer.flush()
    if writer.error is not None:
        raise writer.error
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
