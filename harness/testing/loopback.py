"""A loopback HTTP server that counts what reaches a model and injects faults on demand.

Two modes, one implementation shared by tests and benchmarks:

* proxy: forward every request to a real upstream (a local llama.cpp server), so counts are
  taken in front of the real model rather than trusted from the runner's own counters;
* fake: answer OpenAI-shaped JSON itself, deterministically from the request, for volume.

Faults are what a real server cannot produce on demand: 429 with Retry-After, 5xx, read
timeouts, connection resets, truncated bodies, malformed JSON, empty choices, HTML error pages,
and a limit on requests in flight (429 above it). The HTTP/1.1 handling is deliberately minimal
(keep-alive, Content-Length or chunked bodies) so the fake is never the bottleneck it measures.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx


@dataclass(frozen=True)
class Reply:
    """What to do instead of (or on top of) answering normally.

    `reset` aborts the connection; `hang_s` waits that long and closes without a word (a read
    timeout on the client); `truncate` sends the real answer's headers and half its body.
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    reset: bool = False
    hang_s: float = 0.0
    truncate: bool = False


# fault(n, body) -> None (answer normally), a Reply, or the legacy (status, headers, body)
# tuple where status 0 means "reset the connection".
Fault = Callable[[int, bytes], "Reply | tuple[int, dict[str, str], bytes] | None"]


def json_error(status: int, message: str, headers: dict[str, str] | None = None):
    return (
        status,
        {"content-type": "application/json", **(headers or {})},
        json.dumps({"error": {"message": message}}).encode(),
    )


FAULT_KINDS = (
    "429",
    "500",
    "503",
    "timeout",
    "reset",
    "truncate",
    "malformed",
    "empty",
    "html",
)


def make_fault(kind: str, hang_s: float = 5.0) -> Reply:
    """One fault of a named kind, as a real provider or its gateway would produce it."""
    if kind == "429":
        return Reply(*json_error(429, "rate limited", {"retry-after": "0"}))
    if kind in ("500", "503"):
        return Reply(*json_error(int(kind), "server error"))
    if kind == "timeout":
        return Reply(hang_s=hang_s)
    if kind == "reset":
        return Reply(reset=True)
    if kind == "truncate":
        return Reply(truncate=True)
    if kind == "malformed":
        return Reply(200, {"content-type": "application/json"}, b'{"choices": [{"mess')
    if kind == "empty":
        return Reply(200, {"content-type": "application/json"}, b'{"choices": []}')
    if kind == "html":
        return Reply(502, {"content-type": "text/html"}, b"<html><title>Bad Gateway</title></html>")
    raise ValueError(f"unknown fault kind {kind!r} (known: {', '.join(FAULT_KINDS)})")


def random_faults(
    rate: float, seed: int = 0, kinds: tuple[str, ...] = FAULT_KINDS, hang_s: float = 5.0
) -> Fault:
    """Each request fails with probability `rate`, with a kind drawn uniformly from `kinds`."""
    rng = random.Random(seed)

    def fault(n: int, body: bytes) -> Reply | None:
        if rng.random() >= rate:
            return None
        return make_fault(rng.choice(kinds), hang_s)

    return fault


def fake_answer(path: str, body: bytes) -> bytes:
    """A deterministic OpenAI-shaped answer: the same request always gets the same bytes."""
    req = json.loads(body or b"{}")
    if req.get("messages"):
        prompt = str(req["messages"][-1].get("content", ""))
    else:
        prompt = str(req.get("prompt", ""))
    digest = hashlib.sha256(f"{prompt}\x00{req.get('seed')}".encode()).hexdigest()
    text = f"answer {digest[:16]}"
    if path.endswith("/chat/completions"):
        choice = {"index": 0, "message": {"role": "assistant", "content": text}}
    else:
        choice = {"index": 0, "text": text}
    choice["finish_reason"] = "stop"
    usage = {"prompt_tokens": len(prompt) // 4 + 1, "completion_tokens": 3, "total_tokens": 0}
    usage["total_tokens"] = usage["prompt_tokens"] + 3
    answer = {"id": "fake", "model": req.get("model", ""), "choices": [choice], "usage": usage}
    return json.dumps(answer).encode()


@dataclass
class ProxyLog:
    requests: list[bytes] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    forwarded: int = 0  # requests that reached the model (or the fake's answer)
    delivered: Counter = field(default_factory=Counter)  # body -> complete 200 answers sent
    peak_inflight: int = 0

    @property
    def count(self) -> int:
        return len(self.requests)


class CountingProxy:
    """Serve on 127.0.0.1 in a thread; forward to `upstream`, or answer as a fake when None.

    `fault(n, body)` may answer instead. `max_inflight` answers 429 (with `retry_after`) to any
    request that arrives while that many are already being served, like a provider's limiter.
    `latency_s` delays each real answer (a model's think time, for concurrency tests).
    """

    def __init__(
        self,
        upstream: str | None = None,
        fault: Fault | None = None,
        *,
        max_inflight: int | None = None,
        retry_after: str = "1",
        latency_s: float = 0.0,
        port: int = 0,
    ):
        self.upstream = upstream.rstrip("/") if upstream else None
        self.fault = fault
        self.max_inflight = max_inflight
        self.retry_after = retry_after
        self.latency_s = latency_s
        self.log = ProxyLog()
        self.port = port
        self._inflight = 0
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------------ lifecycle

    def __enter__(self) -> CountingProxy:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run_thread, daemon=True)
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("loopback server did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._thread is not None
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _run_thread(self) -> None:
        assert self._loop is not None
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(self.start())
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            tasks = asyncio.all_tasks(self._loop)
            for task in tasks:
                task.cancel()
            self._loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            if self._client is not None:
                self._loop.run_until_complete(self._client.aclose())
            self._loop.close()

    async def start(self) -> asyncio.Server:
        """Listen (in the running loop); used directly by `serve` in a separate process."""
        if self.upstream:
            self._client = httpx.AsyncClient(timeout=300)
        server = await asyncio.start_server(self._handle, "127.0.0.1", self.port, backlog=1024)
        self.port = server.sockets[0].getsockname()[1]
        return server

    # ------------------------------------------------------------------ HTTP

    async def _read_request(self, reader: asyncio.StreamReader) -> tuple[str, str, dict, bytes]:
        head = await reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if ": " in line:
                k, v = line.split(": ", 1)
                headers[k.lower()] = v
        if headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).strip().split(b";")[0], 16)
                if size == 0:
                    await reader.readuntil(b"\r\n")
                    break
                parts.append(await reader.readexactly(size))
                await reader.readexactly(2)
            body = b"".join(parts)
        else:
            length = int(headers.get("content-length", 0))
            body = await reader.readexactly(length) if length else b""
        return method, path, headers, body

    async def _answer(self, method: str, path: str, headers: dict, body: bytes):
        self.log.forwarded += 1
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if self.upstream is None:
            return 200, {"content-type": "application/json"}, fake_answer(path, body)
        assert self._client is not None
        fwd = {k: v for k, v in headers.items() if k not in ("host", "content-length")}
        resp = await self._client.request(method, self.upstream + path, content=body, headers=fwd)
        ctype = resp.headers.get("content-type", "application/json")
        return resp.status_code, {"content-type": ctype}, resp.content

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                method, path, headers, body = await self._read_request(reader)
                n = self.log.count
                self.log.requests.append(body)
                reply = self.fault(n, body) if self.fault else None
                if isinstance(reply, tuple):
                    status, extra, payload = reply
                    reply = Reply(reset=True) if status == 0 else Reply(status, extra, payload)
                if reply is not None and reply.reset:
                    writer.transport.abort()
                    return
                if reply is not None and reply.hang_s:
                    await asyncio.sleep(reply.hang_s)
                    writer.transport.abort()
                    return
                self._inflight += 1
                try:
                    self.log.peak_inflight = max(self.log.peak_inflight, self._inflight)
                    if self.max_inflight is not None and self._inflight > self.max_inflight:
                        status, extra, payload = json_error(
                            429, "too many requests in flight", {"retry-after": self.retry_after}
                        )
                    elif reply is None or reply.truncate:
                        status, extra, payload = await self._answer(method, path, headers, body)
                    else:
                        status, extra, payload = reply.status, reply.headers, reply.body
                finally:
                    self._inflight -= 1
                self.log.statuses.append(status)
                hdrs = {"content-length": str(len(payload)), **extra}
                out = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
                if reply is not None and reply.truncate:
                    writer.write(out.encode("latin-1") + b"\r\n" + payload[: len(payload) // 2])
                    await writer.drain()
                    writer.transport.abort()
                    return
                writer.write(out.encode("latin-1") + b"\r\n" + payload)
                await writer.drain()
                if status == 200 and reply is None:
                    self.log.delivered[body] += 1
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        except asyncio.CancelledError:  # the server is shutting down: end quietly
            pass
        finally:
            writer.close()


def serve(port: int, cpu: int | None = None, latency_s: float = 0.0) -> None:
    """Run a fake in this process until killed (benchmarks pin it to its own core)."""
    if cpu is not None and hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {cpu})

    async def main() -> None:
        server = await CountingProxy(None, port=port, latency_s=latency_s).start()
        print(f"listening on 127.0.0.1:{server.sockets[0].getsockname()[1]}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


def free_port_range(width: int) -> int:
    """A port with its `width - 1` successors free, away from the shared defaults: for tests
    that start their own servers and must not meet anyone else's."""
    from harness.local.server import port_free

    for _ in range(50):
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            base = sock.getsockname()[1]
        if base < 65000 and all(port_free(base + i) for i in range(width)):
            return base
    raise RuntimeError("no free port range found")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description="a fast deterministic fake chat server on 127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--cpu", type=int, default=None)
    ap.add_argument("--latency", type=float, default=0.0)
    a = ap.parse_args()
    serve(a.port, a.cpu, a.latency)
