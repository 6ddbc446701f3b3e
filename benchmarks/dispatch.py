"""Dispatch speed: fingerprint's runner against bare HTTP client loops and lm-eval, side by side.

The question is whether the harness is ever the bottleneck. 2,000 chat requests with distinct
prompts go to a minimal fake server (its own process, pinned to core 0; this client on core 1)
at each concurrency, through:

* fingerprint   - `plan` + `execute` with a real SQLite store (every answer stored), in process;
* httpx         - a bare `httpx.AsyncClient` loop, one client (the baseline to beat), with
  the same sniffio import fix the harness applies (see harness/endpoints/http.py);
* httpx_stock   - that loop as httpx ships today (no sniffio installed, no fix);
* httpx_multi   - the same with one client per 8 in-flight requests (httpx's pool degrades);
* aiohttp       - a bare aiohttp loop, the ceiling reference (benchmark-only dependency);
* fingerprint_cold / lmeval - `fingerprint run` and `lm_eval --model local-chat-completions`
  as fresh processes, end to end from a cold start (lm-eval: null when not importable).

    python benchmarks/dispatch.py --json     # last line: JSON with the concurrency-32 figures
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ROOT, FakeServerProcess, pin, probes, suite_yaml  # noqa: E402
from harness.config import EndpointSpec  # noqa: E402
from harness.endpoints import make_endpoint  # noqa: E402
from harness.endpoints.openai import chat_body  # noqa: E402
from harness.runner import build_request, execute, plan  # noqa: E402
from harness.store import Store  # noqa: E402

MODEL = "fake-model"


def _bodies(n: int) -> list[dict]:
    return [chat_body(build_request(p, "openai-chat", 0), MODEL) for p in probes(n)]


async def _pool(c: int, n: int, one) -> None:
    """`c` workers sharing one iterator of request indices: the classic bounded fan-out."""
    it = iter(range(n))

    async def worker(k: int) -> None:
        for i in it:
            await one(k, i)

    await asyncio.gather(*(worker(k) for k in range(min(c, n))))


async def run_httpx_stock(url: str, bodies: list[dict], c: int) -> None:
    """The bare loop without the sniffio negative cache harness.endpoints.http installs."""
    cached = sys.modules.pop("sniffio", "absent")
    try:
        await run_httpx(url, bodies, c)
    finally:
        if cached != "absent":
            sys.modules["sniffio"] = cached


async def run_httpx(url: str, bodies: list[dict], c: int, per_client: int | None = None) -> None:
    clients_n = 1 if per_client is None else max(1, math.ceil(c / per_client))
    size = math.ceil(c / clients_n)
    clients = [
        httpx.AsyncClient(
            timeout=60, limits=httpx.Limits(max_connections=size, max_keepalive_connections=size)
        )
        for _ in range(clients_n)
    ]
    target = url + "/v1/chat/completions"

    async def one(k: int, i: int) -> None:
        r = await clients[k % clients_n].post(target, json=bodies[i])
        r.raise_for_status()
        r.json()

    try:
        await _pool(c, len(bodies), one)
    finally:
        for cl in clients:
            await cl.aclose()


async def run_aiohttp(url: str, bodies: list[dict], c: int) -> None:
    import aiohttp

    target = url + "/v1/chat/completions"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=c)) as session:

        async def one(k: int, i: int) -> None:
            async with session.post(target, json=bodies[i]) as r:
                r.raise_for_status()
                await r.json()

        await _pool(c, len(bodies), one)


async def run_fingerprint(url: str, n: int, c: int, store_path: Path) -> None:
    spec = EndpointSpec("bench", "openai-chat", url + "/v1", MODEL, concurrency=c)
    endpoints = {"bench": make_endpoint(spec)}
    try:
        with Store(store_path) as store:
            stats = await execute(
                plan(probes(n), endpoints, 0),
                endpoints,
                store,
                concurrency={"bench": c},
                show_progress=False,
            )
            assert stats.endpoints["bench"].answered == n and store.count() == n, stats.to_dict()
    finally:
        await endpoints["bench"].aclose()


def measure(fn) -> dict:
    """Wall time and this process's CPU time for one awaited run."""
    wall0, cpu0 = time.perf_counter(), time.process_time()
    asyncio.run(fn())
    return {"wall_s": time.perf_counter() - wall0, "cpu_s": time.process_time() - cpu0}


def cold_fingerprint(url: str, n: int, c: int, workdir: Path) -> float:
    """`fingerprint run CONFIG` in a fresh process: start-up, run, analysis, reports."""
    import yaml

    probes_dir = workdir / "probes"
    probes_dir.mkdir(parents=True, exist_ok=True)
    (probes_dir / "bench.yaml").write_text(suite_yaml(n))
    ep = {"kind": "openai-chat", "base_url": url + "/v1", "concurrency": c}
    cfg = {
        "name": "dispatch",
        "reference": "ref",
        "endpoints": {"ref": {**ep, "model": MODEL}},
        "probes": {"selection": "full", "dir": str(probes_dir)},
    }
    (workdir / "run.yaml").write_text(yaml.safe_dump(cfg))
    cmd = [sys.executable, "-m", "harness.cli", "run", str(workdir / "run.yaml"), "--no-progress"]
    cmd += ["--results", str(workdir / "results"), "--json"]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    if "requests sent" not in proc.stderr:
        raise RuntimeError(f"fingerprint run failed: {proc.stderr[-500:]}")
    return wall


def cold_lmeval(url: str, n: int, c: int, workdir: Path) -> float | None:
    """lm-eval's local-chat-completions over the same prompts, end to end; None if absent."""
    if importlib.util.find_spec("lm_eval") is None:
        return None
    data = workdir / "prompts.jsonl"
    data.write_text(
        "".join(
            json.dumps({"prompt": p.messages[0].content, "target": ""}) + "\n" for p in probes(n)
        )
    )
    (workdir / "fp_dispatch.yaml").write_text(
        "task: fp_dispatch\n"
        "dataset_path: json\n"
        f"dataset_kwargs:\n  data_files:\n    test: {data}\n"
        "test_split: test\n"
        "output_type: generate_until\n"
        'doc_to_text: "{{prompt}}"\n'
        'doc_to_target: "{{target}}"\n'
        "generation_kwargs:\n  until: []\n  max_gen_toks: 16\n  do_sample: false\n"
        "metric_list:\n  - metric: exact_match\n"
    )
    args = f"model={MODEL},base_url={url}/v1/chat/completions,num_concurrent={c},max_retries=1"
    cmd = [sys.executable, "-m", "lm_eval", "--model", "local-chat-completions"]
    cmd += ["--model_args", args, "--tasks", "fp_dispatch", "--include_path", str(workdir)]
    cmd += ["--apply_chat_template", "--batch_size", "1"]
    env = {**os.environ, "HF_DATASETS_OFFLINE": "1", "HF_HUB_OFFLINE": "1", "TQDM_DISABLE": "1"}
    env["HF_DATASETS_CACHE"] = str(workdir / "hf")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, cwd=workdir, env=env)
    wall = time.perf_counter() - t0
    if proc.returncode != 0 or "fp_dispatch" not in proc.stdout:
        raise RuntimeError(f"lm_eval failed ({proc.returncode}): {proc.stderr[-800:]}")
    return wall


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--concurrency", default="1,8,32")
    ap.add_argument("--repeat", type=int, default=1, help="best of N runs per client")
    ap.add_argument("--no-cold", action="store_true", help="skip the end-to-end cold runs")
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    levels = [int(x) for x in a.concurrency.split(",")]
    pinned = pin(1)
    n = a.requests
    bodies = _bodies(n)
    table: dict[str, dict] = {}
    tmp = Path(tempfile.mkdtemp(prefix="fp-dispatch-"))
    try:
        with FakeServerProcess(cpu=0) as server:
            url = server.url
            for c in levels:
                runs = {
                    "fingerprint": lambda c=c, k=[0]: run_fingerprint(
                        url, n, c, tmp / f"fp-{c}-{k.__setitem__(0, k[0] + 1) or k[0]}.sqlite"
                    ),
                    "httpx": lambda c=c: run_httpx(url, bodies, c),
                    "httpx_stock": lambda c=c: run_httpx_stock(url, bodies, c),
                    "httpx_multi": lambda c=c: run_httpx(url, bodies, c, per_client=8),
                    "aiohttp": lambda c=c: run_aiohttp(url, bodies, c),
                }
                row: dict[str, float] = {}
                for name, fn in runs.items():
                    best = min((measure(fn) for _ in range(a.repeat)), key=lambda m: m["wall_s"])
                    row[f"rps_{name}"] = round(n / best["wall_s"], 1)
                    row[f"cpu_us_per_req_{name}"] = round(1e6 * best["cpu_s"] / n, 1)
                row["ratio_httpx"] = round(row["rps_fingerprint"] / row["rps_httpx"], 3)
                table[str(c)] = row
                if not a.json:
                    print(f"concurrency {c}: {json.dumps(row)}", flush=True)
            top = levels[-1]
            cold_fp = cold_lm = None
            if not a.no_cold:
                cold_fp = cold_fingerprint(url, n, top, tmp / "cold-fp")
                lm_dir = tmp / "cold-lm"
                lm_dir.mkdir(parents=True)
                cold_lm = cold_lmeval(url, n, top, lm_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    row = table[str(top)]
    result = {
        "requests": n,
        "concurrency": top,
        "pinned": pinned,
        "rps_fingerprint": row["rps_fingerprint"],
        "rps_httpx": row["rps_httpx"],
        "rps_httpx_multi": row["rps_httpx_multi"],
        "rps_httpx_stock": row["rps_httpx_stock"],
        "rps_aiohttp": row["rps_aiohttp"],
        "rps_fingerprint_cold": None if cold_fp is None else round(n / cold_fp, 1),
        "rps_lmeval": None if cold_lm is None else round(n / cold_lm, 1),
        "ratio_httpx": row["ratio_httpx"],
        "ratio_lmeval": None if cold_lm is None or cold_fp is None else round(cold_lm / cold_fp, 3),
        "cpu_us_per_req_fingerprint": row["cpu_us_per_req_fingerprint"],
        "by_concurrency": table,
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
