"""Faults, rate limits and speed fixes: answers are never lost, duplicated or altered.

Loopback fakes stand in only for what a real server cannot do on demand (faults at a chosen
rate, a provider's in-flight limit, volume); the real-model versions are the benchmarks
(benchmarks/chaos.py against llama.cpp) and the slow-marked test below.
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import asdict

import pytest

from benchmarks.adaptive import adaptive
from benchmarks.chaos import chaos
from harness.endpoints.base import GenerateRequest
from harness.errors import OperationalError
from harness.messages import Message
from harness.runner import AdaptiveLimit, _Writer


def test_thirty_percent_faults_lose_and_duplicate_nothing(tmp_path):
    out = chaos(
        0.3, upstream=None, probes=60, seed=3, timeout_s=0.5, concurrency=8, workdir=tmp_path
    )
    assert out["faults_injected"] >= 10, out  # the faults really happened
    assert out["retries"] >= out["faults_injected"] - out["extra_requests"], out
    assert (out["lost"], out["duplicated"], out["failed"]) == (0, 0, 0), out
    assert out["identical"], out


@pytest.mark.slow
def test_thirty_percent_faults_in_front_of_a_real_model(local_model, tmp_path):
    server = local_model("smollm2-135m")
    out = chaos(0.3, upstream=server.base_url, probes=12, seed=5, workdir=tmp_path)
    assert (out["lost"], out["duplicated"], out["identical"]) == (0, 0, True), out


def _think_time_for_a_storm(limit: int) -> float:
    """Seconds per answer for the fake provider so that this machine, as loaded as it is now,
    refuses about two requests per answer to a runner without the limiter.

    The fake refuses at once with `Retry-After: 0`, so how many refusals such a runner collects
    is how fast its CPU cycles them: a fixed think time gave a storm as small as the limiter's
    retries on a loaded 2-core machine (10 ms: 50 against 59 in CI; 50 ms: 78 against 60 with
    ten busy processes). Measure the rate a flooding runner is refused right now and size the
    think time by it; 50 ms (the unloaded case) is the least.
    """
    probe = adaptive(n=40, limit=limit, concurrency=32, latency_s=0.05, adapt=False)
    refusals_per_s = probe["retries"] / max(probe["wall_s"], 0.01)
    # n answers take n * think / limit seconds: 2n refusals in them at this rate.
    return max(0.05, 2 * limit / max(refusals_per_s, 1.0))


def test_runner_settles_near_a_providers_in_flight_limit():
    think = _think_time_for_a_storm(4)
    on = adaptive(n=200, limit=4, concurrency=32, latency_s=think, adapt=True)
    off = adaptive(n=200, limit=4, concurrency=32, latency_s=think, adapt=False)
    assert on["answered"] == off["answered"] == 200
    assert on["retries_per_answer"] <= 0.5, on  # bounded: not a retry storm
    assert on["final_limit"] <= 8, on  # converged near N = 4
    assert off["retries"] > 2 * on["retries"], (on, off)  # and the limiter is why


def test_adaptive_limit_halves_once_per_window_and_grows_back():
    async def go():
        lim = AdaptiveLimit(16)
        windows = [await lim.acquire() for _ in range(16)]
        for w in windows:  # sixteen 429s from one window: a single cut
            lim.release(w, overloaded=True, ok=False)
        assert lim.limit == 8
        for _ in range(40):
            lim.release(await lim.acquire(), overloaded=False, ok=True)
        assert 8 < lim.limit <= 16
        return lim.limit

    asyncio.run(go())


def _every_field_request() -> GenerateRequest:
    """A live request with every sampling field set, non-ASCII text included."""
    return GenerateRequest(
        messages=(Message("system", "s"), Message("user", "é ✓")),
        temperature=0.7,
        max_tokens=9,
        seed=3,
        top_p=0.9,
        stop=("\n",),
        logprobs=2,
    )


def test_canonical_request_json_is_unchanged_by_the_fast_path():
    """Cache keys hash this JSON: the hand-built dict must equal the dataclasses.asdict one."""
    req = _every_field_request()
    slow = asdict(req)
    assert slow.pop("probe_id") is None  # only set for replay, and then in the JSON as well
    slow["messages"] = [asdict(m) for m in req.messages]
    slow["stop"] = list(req.stop)
    assert req.canonical() == slow
    assert list(req.canonical(with_seed=False)) == [k for k in slow if k != "seed"]


def test_a_live_requests_json_and_cache_key_are_those_existing_stores_hold():
    """Pinned bytes: the replay-only `probe_id` must never reach a live request's JSON, or
    every store built before it would miss its cache and pay for its answers again."""
    from harness.config import EndpointSpec
    from harness.endpoints import make_endpoint
    from harness.probes import Probe, Sampling
    from harness.runner import plan

    req = _every_field_request()
    assert req.canonical_json() == (
        '{"logprobs": 2, "max_tokens": 9, "messages": [{"content": "s", "role": "system"}, '
        '{"content": "é ✓", "role": "user"}], "n": 1, "prompt": null, "seed": 3, '
        '"stop": ["\\n"], "temperature": 0.7, "top_p": 0.9}'
    )
    probe = Probe(
        id="t.hi",
        family="style",
        suite="t",
        messages=(Message("user", "Hi"),),
        prompt=None,
        sampling=Sampling(temperature=0.0, max_tokens=16, samples=1),
        tags=(),
        language="en",
        expect={},
        selections=("core",),
    )
    live = make_endpoint(EndpointSpec("m", "openai-chat", "http://127.0.0.1:9/v1", "m"))
    try:
        (item,) = plan([probe], {"m": live}, run_seed=0)
    finally:
        asyncio.run(live.aclose())
    assert "probe_id" not in item.request_json
    assert item.key == "3f41c24d9613dbad7e8858e9cc405655f5a701e928444cd7abdcb0e9fa85a904"


def test_a_store_that_cannot_write_stops_the_run_with_one_operational_error(tmp_path):
    class Broken:
        path = tmp_path / "broken.sqlite"

        def put_many(self, records):
            raise sqlite3.OperationalError("database or disk is full")

    writer = _Writer([Broken()])
    with pytest.raises(OperationalError, match="cannot write answers: database or disk is full"):
        writer.put(object())  # type: ignore[arg-type]  (committed at once, so it fails at once)
    with pytest.raises(OperationalError, match="disk is full"):
        writer.put(object())  # type: ignore[arg-type]  (and every later answer is refused)


@pytest.mark.slow
def test_kill_9_at_random_points_then_resume_gives_the_uninterrupted_store():
    from benchmarks.crash import crash

    out = crash(n=100, kills=5, seed=11)
    assert out["kills"] == 5 and out["final_exit"] == 0, out
    assert out["identical"] and out["integrity_ok"] and out["lost"] == 0, out
    assert not any(p["had_finished"] for p in out["points"]), out  # each kill interrupted it
    stored = [p["stored_after"] for p in out["points"]]
    assert stored[-1] < out["planned"] and stored[1:] == sorted(set(stored[1:])), out


def test_openers_of_a_new_store_at_once_all_succeed(tmp_path):
    """A run creating its store while `fingerprint report` (or a watcher) opens the same path:
    both saw no schema row and both inserted it, and the loser's run crashed with
    `UNIQUE constraint failed: meta.k` (seen once in CI). Each opener now takes the row the
    first one wrote, and a lock held while the file turns to WAL is waited out (threads stand
    in for the processes here)."""
    import threading

    from harness.store import SCHEMA_VERSION, Store

    errors: list[BaseException] = []
    for attempt in range(40):
        path = tmp_path / f"s{attempt}" / "store.sqlite"
        path.parent.mkdir()
        start = threading.Barrier(6)

        def open_store(path=path, start=start) -> None:
            start.wait()
            try:
                with Store(path) as store:
                    store.keys()
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)

        threads = [threading.Thread(target=open_store) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT v FROM meta").fetchall() == [(str(SCHEMA_VERSION),)]
    assert not errors, errors[:3]


def test_a_store_another_process_keeps_locked_is_said_to_be_locked(tmp_path, monkeypatch):
    """A store held under an exclusive lock (another process mid-write) used to be reported,
    after sqlite's 5 s, as "not a fingerprint store (database is locked)": a wrong diagnosis
    that sends the user looking for a damaged file. A lock that ends in time is waited out."""
    import threading

    from harness import store as store_module
    from harness.store import Store

    monkeypatch.setattr(store_module, "LOCK_PATIENCE_S", 0.3)
    path = tmp_path / "store.sqlite"
    holder = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    holder.execute("BEGIN EXCLUSIVE")
    with pytest.raises(OperationalError, match="store is locked by another process"):
        Store(path)
    monkeypatch.setattr(store_module, "LOCK_PATIENCE_S", 30.0)
    threading.Timer(0.2, holder.rollback).start()
    with Store(path) as store:  # opens once the holder lets go
        assert store.keys() == set()
    holder.close()
