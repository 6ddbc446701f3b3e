"""Chaos: a run through a proxy that fails 30 % of requests must keep every answer, once, intact.

A clean run and a faulty run of the same deterministic config (temperature 0, fixed seeds,
concurrency 1 so llama.cpp answers repeatably) go through two loopback proxies in front of the
same model. The faulty proxy injects, at `--faults` rate, every kind in FAULT_KINDS: 429 with
Retry-After, 500, 503, read timeouts, connection resets, truncated bodies, malformed JSON, empty
choices, HTML error pages. Then:

* lost        - planned answers missing from the faulty run's store;
* duplicated  - answers the model delivered complete more than once for one request (the runner
                asked again for something it already had), plus duplicate store rows;
* extra       - requests that reached the model beyond one per answer (a truncated answer is
                paid for and asked again: the price of a fault, not of the harness);
* identical   - every stored answer (text, finish reason, request, seed, usage) equals the clean
                run's, byte for byte.

    python benchmarks/chaos.py --faults 0.3 --json            # real local model on :8081
    python benchmarks/chaos.py --faults 0.3 --fake --probes 200 --json   # loopback fake, volume
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import suite_yaml  # noqa: E402
from harness.config import load_config  # noqa: E402
from harness.pipeline import run  # noqa: E402
from harness.store import Store  # noqa: E402
from harness.testing.loopback import CountingProxy, random_faults  # noqa: E402

COMPARED = ("probe_id", "sample_index", "seed", "request", "text", "finish_reason", "usage")


def _config(workdir: Path, url: str, n: int, timeout_s: float, concurrency: int) -> Path:
    probes_dir = workdir / "probes"
    probes_dir.mkdir(parents=True, exist_ok=True)
    (probes_dir / "bench.yaml").write_text(suite_yaml(n, max_tokens=8))
    cfg = {
        "name": "chaos",
        "reference": "ref",
        "endpoints": {
            "ref": {
                "kind": "openai-chat",
                "base_url": url + "/v1",
                "model": "m",
                "concurrency": concurrency,
                "timeout_s": timeout_s,
                "max_retries": 12,
            }
        },
        "probes": {"selection": "full", "dir": str(probes_dir)},
        "seed": 7,
    }
    path = workdir / "run.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _answers(store_path: Path) -> tuple[dict[tuple, tuple], int]:
    with Store(store_path) as store:
        rows = [tuple(getattr(r, f) for f in COMPARED) for r in store.records()]
    return {row[:2]: row for row in rows}, len(rows)


def chaos(
    faults: float,
    *,
    upstream: str | None,
    probes: int = 20,
    seed: int = 1,
    timeout_s: float = 5.0,
    concurrency: int = 1,
    workdir: Path | None = None,
) -> dict:
    """One clean run and one faulty run of the same config; the figures listed above."""
    workdir = Path(workdir or tempfile.mkdtemp(prefix="fp-chaos-"))
    fault = random_faults(faults, seed=seed, hang_s=timeout_s + 1.0)
    with CountingProxy(upstream) as clean, CountingProxy(upstream, fault=fault) as faulty:
        cfg_clean = load_config(_config(workdir / "clean", clean.url, probes, timeout_s, 1))
        ref = run(cfg_clean, results=workdir / "clean" / "results", show_progress=False)
        cfg = load_config(_config(workdir / "chaos", faulty.url, probes, timeout_s, concurrency))
        t0 = time.perf_counter()
        result = run(cfg, results=workdir / "chaos" / "results", show_progress=False)
        wall = time.perf_counter() - t0
        log = faulty.log
    expected, _ = _answers(ref.run_dir.store_path)
    got, rows = _answers(result.run_dir.store_path)
    st = result.stats.endpoints["ref"]
    planned = st.planned
    return {
        "faults": faults,
        "planned": planned,
        "stored": len(got),
        "lost": planned - len(got),
        "duplicated": sum(c - 1 for c in log.delivered.values() if c > 1) + rows - len(got),
        "extra_requests": log.forwarded - planned,
        "identical": got == expected and len(expected) == planned,
        "requests": log.count,
        "faults_injected": log.count - log.forwarded,
        "retries": st.retries,
        "failed": st.failed,
        "wall_s": round(wall, 2),
        "clean_wall_s": round(ref.stats.wall_s, 2),
        "model": "fake" if upstream is None else upstream,
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faults", type=float, default=0.3, help="fraction of requests to fail")
    ap.add_argument("--probes", type=int, default=20)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--upstream", default="http://127.0.0.1:8081", help="a real model server")
    ap.add_argument("--fake", action="store_true", help="use the loopback fake, not a model")
    ap.add_argument("--concurrency", type=int, default=1)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    upstream = None if a.fake else a.upstream
    if upstream is not None:
        try:
            httpx.get(upstream + "/health", timeout=5).raise_for_status()
        except httpx.HTTPError as exc:
            print(f"no model at {upstream} ({exc}); start one or use --fake", file=sys.stderr)
            return 2
    out = chaos(
        a.faults,
        upstream=upstream,
        probes=a.probes,
        seed=a.seed,
        timeout_s=1.0 if a.fake else 5.0,
        concurrency=a.concurrency,
    )
    if not a.json:
        for k, v in out.items():
            print(f"{k:>16}: {v}")
    print(json.dumps(out))
    ok = out["lost"] == 0 and out["duplicated"] == 0 and out["identical"]
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
