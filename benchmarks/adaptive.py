"""Adaptive concurrency: against a provider that answers 429 above N requests in flight, the
runner should settle near N instead of flooding it with retries.

A loopback fake takes `--limit` requests at a time (each `--latency` seconds) and answers 429
with `Retry-After: 0` to any request beyond - the worst case, since only the runner's own
limiter can then stop a retry storm. The runner is configured for `--concurrency` (far above
the limit). The same run with the limiter pinned at the ceiling shows what it saves.

    python benchmarks/adaptive.py --json
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import probes  # noqa: E402
from harness import runner  # noqa: E402
from harness.config import EndpointSpec  # noqa: E402
from harness.endpoints import make_endpoint  # noqa: E402
from harness.runner import AdaptiveLimit, RetryPolicy, execute, plan  # noqa: E402
from harness.store import Store  # noqa: E402
from harness.testing.loopback import CountingProxy  # noqa: E402


class FixedLimit(AdaptiveLimit):
    """The limiter with adaptation switched off: always the configured concurrency."""

    def release(self, epoch: int, overloaded: bool, ok: bool) -> None:
        super().release(epoch, False, False)


def adaptive(
    n: int = 300,
    limit: int = 4,
    concurrency: int = 32,
    latency_s: float = 0.02,
    adapt: bool = True,
) -> dict:
    """One run; retries per request, how close the in-flight peak and final limit came to N."""
    with CountingProxy(None, max_inflight=limit, retry_after="0", latency_s=latency_s) as server:
        spec = EndpointSpec("e", "openai-chat", server.url + "/v1", "m", concurrency=concurrency)

        async def go():
            endpoints = {"e": make_endpoint(spec)}
            saved = runner.AdaptiveLimit
            runner.AdaptiveLimit = AdaptiveLimit if adapt else FixedLimit
            try:
                with Store(Path(tempfile.mkdtemp()) / "a.sqlite") as store:
                    return await execute(
                        plan(probes(n), endpoints, 0),
                        endpoints,
                        store,
                        concurrency={"e": concurrency},
                        policy=RetryPolicy(max_retries=1000, base_s=0.0, cap_s=0.0),
                        show_progress=False,
                    )
            finally:
                runner.AdaptiveLimit = saved
                await endpoints["e"].aclose()

        t0 = time.perf_counter()
        stats = asyncio.run(go())
        wall = time.perf_counter() - t0
        st = stats.endpoints["e"]
        served = server.log.forwarded
    return {
        "adaptive": adapt,
        "server_limit": limit,
        "concurrency": concurrency,
        "answered": st.answered,
        "requests": st.requests,
        "retries": st.retries,
        "retries_per_request": round(st.retries / max(1, st.requests), 3),
        "retries_per_answer": round(st.retries / max(1, st.answered), 3),
        "served": served,
        "final_limit": st.concurrency_final,
        "wall_s": round(wall, 2),
        "ideal_wall_s": round(n * latency_s / limit, 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--limit", type=int, default=4)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--latency", type=float, default=0.02)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    args = (a.requests, a.limit, a.concurrency, a.latency)
    on, off = adaptive(*args, adapt=True), adaptive(*args, adapt=False)
    out = {**on, "without_limiter": off}
    if not a.json:
        print("adaptive:", json.dumps(on))
        print("fixed:   ", json.dumps(off))
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
