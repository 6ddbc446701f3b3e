"""A loopback HTTP proxy for tests: counts what really reaches the model, and can inject faults.

Counting at a proxy in front of the real server (rather than trusting the store or the runner's
own counters) is what makes "a second run sends 0 requests" a claim that can fail.
"""

from __future__ import annotations

import asyncio
import json
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

Fault = Callable[[int, bytes], tuple[int, dict[str, str], bytes] | None]


@dataclass
class ProxyLog:
    requests: list[bytes] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.requests)


class CountingProxy:
    """Forward every request to `upstream`; `fault(n, body)` may answer instead (status, headers, body)."""

    def __init__(self, upstream: str, fault: Fault | None = None):
        self.upstream = upstream.rstrip("/")
        self.fault = fault
        self.log = ProxyLog()
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> CountingProxy:
        self._thread.start()
        self._ready.wait(10)
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._client = httpx.AsyncClient(timeout=300)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        self._loop.run_forever()

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = dict(line.split(": ", 1) for line in lines[1:] if ": " in line)
                length = int(
                    next((v for k, v in headers.items() if k.lower() == "content-length"), 0)
                )
                body = await reader.readexactly(length) if length else b""
                n = self.log.count
                self.log.requests.append(body)
                injected = self.fault(n, body) if self.fault else None
                if injected is not None:
                    status, extra, payload = injected
                    if status == 0:  # reset the connection without answering
                        writer.transport.abort()
                        return
                else:
                    fwd = {
                        k: v
                        for k, v in headers.items()
                        if k.lower() not in ("host", "content-length")
                    }
                    resp = await self._client.request(
                        method, self.upstream + path, content=body, headers=fwd
                    )
                    status, extra, payload = (
                        resp.status_code,
                        {"content-type": resp.headers.get("content-type", "application/json")},
                        resp.content,
                    )
                self.log.statuses.append(status)
                hdrs = {"content-length": str(len(payload)), **extra}
                out = f"HTTP/1.1 {status} X\r\n" + "".join(f"{k}: {v}\r\n" for k, v in hdrs.items())
                writer.write(out.encode("latin-1") + b"\r\n" + payload)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


def json_error(status: int, message: str, headers: dict[str, str] | None = None):
    return (
        status,
        {"content-type": "application/json", **(headers or {})},
        json.dumps({"error": {"message": message}}).encode(),
    )


def random_faults(rate: float, seed: int = 0) -> Fault:
    rng = random.Random(seed)

    def fault(n: int, body: bytes):
        if rng.random() >= rate:
            return None
        return rng.choice(
            [
                json_error(429, "slow down", {"retry-after": "0"}),
                json_error(503, "overloaded"),
                (200, {"content-type": "application/json"}, b'{"choices": [{"mess'),
                (200, {"content-type": "application/json"}, b'{"choices": []}'),
                (502, {"content-type": "text/html"}, b"<html><title>Bad Gateway</title></html>"),
                (0, {}, b""),
            ]
        )

    return fault
