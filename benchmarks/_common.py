"""Helpers the hardening benchmarks share: a fake server in its own process, pinned, and probes.

The server runs in a separate process on its own core so the client's numbers are the client's:
a fake in the same process would steal the event loop it is measuring.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from harness.probes import Message, Probe, Sampling

ROOT = Path(__file__).resolve().parent.parent


def pin(cpu: int) -> bool:
    """Pin this process to one core when the machine has more than one; True if pinned."""
    if not hasattr(os, "sched_setaffinity") or os.cpu_count() is None or os.cpu_count() < 2:
        return False
    os.sched_setaffinity(0, {cpu % os.cpu_count()})
    return True


class FakeServerProcess:
    """`python -m harness.testing.loopback` in a child process; `.url` once it listens."""

    def __init__(self, cpu: int | None = 0, latency_s: float = 0.0):
        self.cmd = [sys.executable, "-m", "harness.testing.loopback", "--port", "0"]
        if cpu is not None and (os.cpu_count() or 1) >= 2:
            self.cmd += ["--cpu", str(cpu)]
        if latency_s:
            self.cmd += ["--latency", str(latency_s)]
        self.url = ""

    def __enter__(self) -> FakeServerProcess:
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, text=True, cwd=ROOT)
        line = self.proc.stdout.readline()  # "listening on 127.0.0.1:PORT"
        if not line.startswith("listening on "):
            self.proc.kill()
            raise RuntimeError(f"fake server did not start: {line!r}")
        self.url = "http://" + line.split()[-1]
        return self

    def __exit__(self, *exc: object) -> None:
        self.proc.terminate()
        self.proc.wait(10)


def probes(n: int, max_tokens: int = 16, samples: int = 1, tag: str = "") -> list[Probe]:
    """`n` chat probes with distinct prompts (so no cache or server can fold them together)."""
    return [
        Probe(
            id=f"bench.en.p{i:05d}",
            family="style",
            suite="bench",
            messages=(Message("user", f"{tag}Question number {i}: name a colour."),),
            prompt=None,
            sampling=Sampling(temperature=0.0, max_tokens=max_tokens, samples=samples),
            tags=(),
            language="en",
            expect={},
            selections=("core",),
        )
        for i in range(n)
    ]


def suite_yaml(n: int, max_tokens: int = 16, samples: int = 1) -> str:
    """The same probes as a suite file, for runs through the real CLI."""
    import yaml

    return yaml.safe_dump(
        {
            "suite": "bench",
            "version": "0.1.0",
            "family": "style",
            "description": "distinct prompts for benchmarks",
            "probes": [
                {
                    "id": f"style.en.p{i:05d}",
                    "language": "en",
                    "user": f"Question number {i}: name a colour.",
                    "expect": {"task": "write", "length": "short"},
                    "sampling": {"max_tokens": max_tokens, "samples": samples},
                }
                for i in range(n)
            ],
        },
        sort_keys=False,
    )
