"""One run, end to end up to the store: config -> probes -> endpoints -> runner -> run directory.

Scoring and reports read the run directory afterwards, never the network, so a report can be
rebuilt at any time from what was stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.text import Text

from harness import runlock
from harness.budget import Budget, BudgetExceeded, Prices
from harness.config import RunConfig
from harness.endpoints import Endpoint, answers_from_corpus, make_endpoint
from harness.errors import InputError, OperationalError, Terminated
from harness.manifest import RunDir, new_manifest
from harness.probes import Probe, corpus_suite, load_suites, select
from harness.runner import EndpointStats, RunStats, execute, plan
from harness.store import Store


@dataclass
class RunResult:
    run_dir: RunDir
    stats: RunStats
    manifest: dict[str, Any]
    probes: list[Probe]
    # The endpoints asked (closed by now): what each declares (`metered`, `answers_by_probe_id`)
    # is read from here, never guessed from its kind.
    endpoints: dict[str, Endpoint]


def _suite_summary(suites, probes: list[Probe]) -> list[dict[str, Any]]:
    used = {p.suite for p in probes}
    return [
        {
            "name": s.name,
            "family": s.family,
            "version": s.version,
            "hash": s.hash,
            "probes_used": sum(1 for p in probes if p.suite == s.name),
        }
        for s in suites
        if s.name in used
    ]


def resolve_probes(config: RunConfig) -> tuple[list, list[Probe]]:
    sel = config.probes
    if sel.corpus:
        suites = [corpus_suite(sel.corpus, sel.limit)]
        probes = [p for p in suites[0].probes if not sel.families or p.family in sel.families]
    else:
        suites = load_suites(sel.directory)
        probes = select(
            suites, sel.selection, families=list(sel.families) or None, variants=sel.variants
        )
        probes = probes[: sel.limit]
    if not probes:
        raise InputError(
            f"no probes match selection {config.probes.selection!r}"
            + (f" and families {list(config.probes.families)}" if config.probes.families else "")
        )
    return suites, probes


def run(
    config: RunConfig,
    *,
    results: Path = Path("results"),
    run_id: str | None = None,
    cache: Path | None = None,
    show_progress: bool = True,
    console: Console | None = None,
    budget: Budget | None = None,
) -> RunResult:
    """Ask every endpoint in a role every probe it has not answered yet; the run id is stable
    by default."""
    suites, probes = resolve_probes(config)
    summary = _suite_summary(suites, probes)
    run_id = (
        run_id
        or f"{config.name}-{config.fingerprint({s['name']: s['hash'] for s in summary})[:10]}"
    )
    run_dir = RunDir(Path(results) / run_id)
    # Only endpoints with a role are asked; a spare endpoint in the config costs nothing.
    endpoints = {name: make_endpoint(config.endpoints[name]) for name in config.in_use}
    if config.unused and console is not None:
        console.print(
            Text(
                f"note: not asking {', '.join(config.unused)}: no role in this config "
                "(reference, suspect, control or candidate)"
            ),
            soft_wrap=True,
        )
    manifest = new_manifest(run_id, config.public_dict(), summary)
    # Who answers, as the store's identity column names them, written before any request so
    # the analysis of even a killed run reads only these answers (a replay endpoint's identity
    # carries its corpus digest: an edited corpus must not mix old answers with new ones).
    manifest["identities"] = {name: ep.identity for name, ep in endpoints.items()}
    # Before the manifest is read or written and before any request: a second process of this
    # run is refused here, having asked nothing (see harness/runlock.py).
    try:
        lock = runlock.acquire(run_dir.path, run_id)
    except OperationalError:
        asyncio.run(_close(endpoints))
        raise
    # Who runs this attempt: with the lock, a reader can tell a live run from a dead one.
    manifest["process"] = lock.record if lock else runlock.process_record()
    try:
        return _attempt(
            config,
            run_dir,
            manifest,
            probes,
            endpoints,
            cache=cache,
            show_progress=show_progress,
            console=console,
            budget=budget,
        )
    finally:
        if lock is not None:  # after the last manifest write, so it never says `running` unlocked
            lock.release()


async def _close(endpoints: dict[str, Endpoint]) -> None:
    await asyncio.gather(*(ep.aclose() for ep in endpoints.values()))


def _attempt(
    config: RunConfig,
    run_dir: RunDir,
    manifest: dict[str, Any],
    probes: list[Probe],
    endpoints: dict[str, Endpoint],
    *,
    cache: Path | None,
    show_progress: bool,
    console: Console | None,
    budget: Budget | None,
) -> RunResult:
    """One attempt at the run, under its lock: manifest, asking, manifest again."""
    previous: dict = {}
    if run_dir.manifest_path.exists():
        previous = run_dir.read_manifest()
        manifest["started_at"] = previous.get("started_at", manifest["started_at"])
        manifest["attempts"] = previous.get("attempts", 1) + 1
        if previous.get("endpoints"):  # kept until this attempt ends: a kill -9 keeps them
            manifest["endpoints"] = previous["endpoints"]
    manifest["planned_answers"] = sum(p.sampling.samples for p in probes) * len(endpoints)
    run_dir.write_manifest(manifest)
    # Counted into as requests go out, so an interrupted attempt's counts outlive its tasks.
    stats = RunStats({name: EndpointStats() for name in endpoints})
    terminated: list[int] = []

    async def go() -> RunStats:
        _cancel_on_sigterm(terminated)
        try:
            with Store(run_dir.store_path) as store:
                cache_store = Store(cache) if cache else None
                try:
                    return await execute(
                        plan(probes, endpoints, config.seed, config.logprobs),
                        endpoints,
                        store,
                        concurrency={n: s.concurrency for n, s in config.endpoints.items()},
                        cache=cache_store,
                        console=console,
                        show_progress=show_progress,
                        budget=budget,
                        prices={
                            n: Prices(
                                config.endpoints[n].price_in,
                                config.endpoints[n].price_out,
                                metered=getattr(ep, "metered", True),
                            )
                            for n, ep in endpoints.items()
                        },
                        stats=stats,
                    )
                finally:
                    if cache_store is not None:
                        cache_store.close()
        finally:
            await _close(endpoints)

    try:
        asyncio.run(go())
    except BaseException as exc:
        # The answers are in the store already; the manifest must not look like a live run,
        # and what this attempt sent before it stopped was paid for, so it is counted.
        stopped = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        by_signal = isinstance(exc, KeyboardInterrupt) or bool(terminated)
        if by_signal:
            manifest.update(
                status="interrupted",
                interrupted_at=stopped,
                signal="SIGTERM" if terminated else "SIGINT",
            )
        else:  # only the type: a message may quote a server or a path the report should not
            manifest.update(status="failed", failed_at=stopped, error=type(exc).__name__)
        manifest.update(
            endpoints=_endpoint_records(config, endpoints, stats), requests=stats.requests
        )
        _carry_totals(manifest, previous)
        with contextlib.suppress(OSError):  # the error that stopped the run is the one to report
            run_dir.write_manifest(manifest)
        if terminated:
            raise Terminated() from None
        raise
    # A corpus endpoint fails where its corpus holds no answer: asking again cannot add one, so
    # those prompts are unanswered in a run that is as complete as it can be.
    missing = {
        n: st.failed
        for n, st in stats.endpoints.items()
        if st.failed and answers_from_corpus(endpoints[n])
    }
    manifest.update(
        finished_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        status="complete" if stats.failed == sum(missing.values()) else "incomplete",
        not_in_corpus=missing,
        seed=config.seed,
        seeding="per sample: sha256(run seed, probe id, sample index), stored with each answer",
        endpoints=_endpoint_records(config, endpoints, stats),
        requests=stats.requests,
        answers_stored=sum(
            st.answered + st.stored_before + st.from_cache for st in stats.endpoints.values()
        ),
        wall_s=round(stats.wall_s, 3),
    )
    _carry_totals(manifest, previous)
    if stats.budget_stopped:
        manifest.update(status="stopped by budget", budget_stopped=stats.budget_stopped)
    run_dir.write_manifest(manifest)
    if stats.budget_stopped:
        raise BudgetExceeded(
            f"{stats.budget_stopped}; {stats.requests} requests sent, answers so far are stored "
            f"in {run_dir.path}"
        )
    return RunResult(run_dir, stats, manifest, probes, endpoints)


def _cancel_on_sigterm(terminated: list[int]) -> None:
    """Make SIGTERM cancel the running task, as asyncio makes Ctrl-C do: workers stop at their
    next await, never inside a store write, and `run` records the attempt as interrupted.
    Without it SIGTERM (a CI timeout) kills the process with the manifest still `running`.
    `terminated` is appended to when it arrives. Only possible in the main thread."""
    loop, task = asyncio.get_running_loop(), asyncio.current_task()
    if task is None:
        return

    def cancel() -> None:
        terminated.append(signal.SIGTERM)
        task.cancel()

    # Not in a thread other than the main one, nor on a platform without loop signal handlers.
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGTERM, cancel)


def _endpoint_records(
    config: RunConfig, endpoints: dict[str, Endpoint], stats: RunStats
) -> dict[str, dict[str, Any]]:
    """Per endpoint, what this attempt sent, stored and spent (the manifest's `endpoints`)."""
    return {
        name: {
            "identity": endpoints[name].identity,
            "model_reported": st.model_reported,
            "requests": st.requests,
            "retries": st.retries,
            "answers_new": st.answered,
            "answers_reused": st.stored_before + st.from_cache,
            "failed": st.failed,
            "prompt_tokens": st.prompt_tokens,
            "completion_tokens": st.completion_tokens,
            "cost": round(
                st.prompt_tokens * config.endpoints[name].price_in / 1e6
                + st.completion_tokens * config.endpoints[name].price_out / 1e6,
                6,
            ),
            **({"aborted": st.aborted} if st.aborted else {}),
            **({"from_corpus": True} if answers_from_corpus(endpoints[name]) else {}),
        }
        for name, st in stats.endpoints.items()
    }


_SUMMED = ("requests", "prompt_tokens", "completion_tokens", "cost")


def _carry_totals(manifest: dict, previous: dict) -> None:
    """Per endpoint, `all_attempts` sums what every attempt that ended (finished or
    interrupted) sent and spent, and the model a server reported is kept when a resumed
    attempt asked nothing: a re-run must not erase what an earlier, paid attempt recorded."""
    before = previous.get("endpoints") or {}
    for name, now in manifest["endpoints"].items():
        old = before.get(name) or {}
        old_total = old.get("all_attempts") or {k: old.get(k, 0) for k in _SUMMED}
        now["all_attempts"] = {
            k: round((old_total.get(k) or 0) + (now.get(k) or 0), 6) for k in _SUMMED
        }
        if not now.get("model_reported") and old.get("model_reported"):
            now["model_reported"] = old["model_reported"]
