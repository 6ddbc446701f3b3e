"""Crash: kill -9 `fingerprint run` at random points, resume, and end with the same store.

The run goes through the real CLI in a child process (its own session, killed with SIGKILL on
the whole group) against a loopback fake that answers deterministically. Kill points are drawn
at random: after a random number of stored answers, and one at a random moment after start
(which may land in start-up, planning or the middle of a commit). After each kill the store
must pass SQLite's integrity check; after the final resume it must hold exactly the answers of
an uninterrupted run, byte for byte.

    python benchmarks/crash.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ROOT, suite_yaml  # noqa: E402
from harness.store import Store  # noqa: E402
from harness.testing.loopback import CountingProxy  # noqa: E402

COMPARED = ("endpoint", "probe_id", "sample_index", "seed", "request", "text", "usage")


def write_config(workdir: Path, url: str, n: int) -> Path:
    probes_dir = workdir / "probes"
    probes_dir.mkdir(parents=True, exist_ok=True)
    (probes_dir / "bench.yaml").write_text(suite_yaml(n, max_tokens=8))
    ep = {"kind": "openai-chat", "base_url": url + "/v1", "concurrency": 4}
    cfg = {
        "name": "crash",
        "reference": "ref",
        "suspects": ["sus"],
        "endpoints": {"ref": {**ep, "model": "a"}, "sus": {**ep, "model": "b"}},
        "probes": {"selection": "full", "dir": str(probes_dir)},
        "seed": 3,
    }
    path = workdir / "run.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return path


def _cmd(config: Path, results: Path) -> list[str]:
    return [sys.executable, "-m", "harness.cli", "run", str(config), "--results", str(results)]


def _stored(results: Path) -> int:
    """Answers committed so far, read through a read-only connection (never blocks the run)."""
    dbs = list(results.glob("*/store.sqlite"))
    if not dbs:
        return 0
    try:
        with sqlite3.connect(f"file:{dbs[0]}?mode=ro", uri=True, timeout=5) as db:
            return db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    except sqlite3.Error:
        return 0


def _snapshot(results: Path) -> dict[str, tuple]:
    (db,) = results.glob("*/store.sqlite")
    with Store(db) as store:
        return {r.key: tuple(getattr(r, f) for f in COMPARED) for r in store.records()}


def _integrity_ok(results: Path) -> bool:
    """SQLite's own integrity check on the store, if the run got as far as creating one."""
    dbs = list(results.glob("*/store.sqlite"))
    if not dbs:
        return True
    with Store(dbs[0]) as store:
        return store.integrity_ok()


def crash(n: int = 150, kills: int = 5, seed: int = 0, latency_s: float = 0.03) -> dict:
    rng = random.Random(seed)
    workdir = Path(tempfile.mkdtemp(prefix="fp-crash-"))
    planned = 2 * n
    with CountingProxy(None, latency_s=latency_s) as server:
        config = write_config(workdir, server.url, n)
        t0 = time.perf_counter()
        clean = subprocess.run(
            _cmd(config, workdir / "clean") + ["--no-progress"], capture_output=True, cwd=ROOT
        )
        clean_wall = time.perf_counter() - t0
        assert clean.returncode == 0, clean.stderr.decode()[-600:]
        before = server.log.forwarded
        expected = _snapshot(workdir / "clean")
        results = workdir / "crashy"
        points = []
        integrity = True
        for k in range(kills):
            stored_now = _stored(results)
            if k == 0:  # anywhere from start-up to mid-run
                how, at = "time", round(rng.uniform(0.0, 0.6 * clean_wall), 3)
            else:  # after a random share of what is left, leaving room for the kills to come
                room = max(1, (planned - stored_now) // (kills - k + 1))
                how, at = "stored", stored_now + rng.randint(1, room)
            child = subprocess.Popen(
                _cmd(config, results),
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
                cwd=ROOT,
            )
            started = time.perf_counter()
            while child.poll() is None:
                if how == "time" and time.perf_counter() - started >= at:
                    break
                if how == "stored" and _stored(results) >= at:
                    break
                time.sleep(0.005)
            finished = child.poll() is not None
            try:
                os.killpg(child.pid, signal.SIGKILL)
            except ProcessLookupError:  # it finished (and its group with it) just before
                finished = True
            child.wait()
            count = _stored(results)
            integrity &= _integrity_ok(results)
            points.append({"kill": how, "at": at, "stored_after": count, "had_finished": finished})
        resumed = subprocess.run(
            _cmd(config, results) + ["--no-progress"], capture_output=True, cwd=ROOT
        )
        integrity &= _integrity_ok(results)
        got = _snapshot(results)
        asked = server.log.forwarded - before
    return {
        "planned": planned,
        "kills": len(points),
        "points": points,
        "final_exit": resumed.returncode,
        "identical": got == expected,
        "lost": len(set(expected) - set(got)),
        "extra_rows": len(set(got) - set(expected)),
        "integrity_ok": integrity,
        "requests_to_model": asked,
        "re_asked": asked - planned,  # in flight at a kill, or in the last unflushed 50 ms
        "clean_wall_s": round(clean_wall, 2),
    }


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--probes", type=int, default=150, help="probes per endpoint (2 endpoints)")
    ap.add_argument("--kills", type=int, default=5)
    ap.add_argument("--seed", type=int, default=int(time.time()))
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()
    out = {"seed": a.seed, **crash(a.probes, a.kills, a.seed)}
    if not a.json:
        for p in out.pop("points"):
            print(p)
    print(json.dumps(out))
    ok = out["identical"] and out["integrity_ok"] and out["final_exit"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
