"""Serve students with the project's own llama.cpp host (`python -m harness.local.serve`).

Students are GGUF files (see `export.py`), so they run behind exactly the same OpenAI-compatible
server as the teacher and the controls: same chat-template handling, same seeds, same sampling
code. Any difference the detector sees therefore comes from the weights, not from the serving
stack. The lab keeps its own pid file (`<lab>/servers.json`) and never touches the servers that
`fingerprint local` manages.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _healthy(port: int) -> bool:
    try:
        return httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def _alive(pid: int, gguf: str) -> bool:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return "harness.local.serve" in cmd and gguf in cmd


def start(lab_dir: Path, students: dict[str, Path], port_base: int = 8091) -> dict[str, str]:
    """Start one server per student (reusing live ones); returns name -> base URL (`.../v1`).

    Student i of `students` (in the given order) is served on port `port_base + i`; the port is
    part of an endpoint's identity, hence of its cached answers' keys.

    Each server's model id is the GGUF's folder name (e.g. `student-teacher-n96-e1`), so a
    student trained with another recipe has another endpoint identity and never shares cached
    answers with this one. A live server of the same name on an older GGUF is stopped first.
    """
    pidfile = lab_dir / "servers.json"
    known = json.loads(pidfile.read_text()) if pidfile.exists() else {}
    urls = {}
    for i, (name, gguf) in enumerate(students.items()):
        entry = known.get(name)
        if entry and _alive(entry["pid"], entry["gguf"]):
            if entry["gguf"] == str(gguf) and _healthy(entry["port"]):
                urls[name] = f"http://127.0.0.1:{entry['port']}/v1"
                continue
            _terminate(entry["pid"], entry["port"])
        port = port_base + i
        if _healthy(port):
            raise RuntimeError(f"port {port} is already serving something else")
        log = open(lab_dir / f"{name}.server.log", "w")  # noqa: SIM115 - owned by the child
        proc = subprocess.Popen(
            [sys.executable, "-m", "harness.local.serve", "--model", str(gguf)]
            + ["--alias", model_id(gguf), "--port", str(port), "--slots", "4"]
            + ["--ctx-per-slot", "2048", "--threads", "1"],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        known[name] = {"pid": proc.pid, "port": port, "gguf": str(gguf)}
        pidfile.write_text(json.dumps(known, indent=2))
        deadline = time.monotonic() + 180
        while not _healthy(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{name}: server did not start; see {log.name}")
            time.sleep(0.5)
        urls[name] = f"http://127.0.0.1:{port}/v1"
    return urls


def model_id(gguf: Path) -> str:
    """The model id a student's server reports: its folder name (name, data size, epochs)."""
    return Path(gguf).parent.name


def _terminate(pid: int, port: int) -> None:
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while _healthy(port) and time.monotonic() < deadline:
        time.sleep(0.3)


def stop(lab_dir: Path) -> list[str]:
    """Stop every lab student server this lab directory started (pid checked first)."""
    pidfile = lab_dir / "servers.json"
    if not pidfile.exists():
        return []
    stopped = []
    for name, entry in json.loads(pidfile.read_text()).items():
        if _alive(entry["pid"], entry["gguf"]):
            os.kill(entry["pid"], signal.SIGTERM)
            stopped.append(name)
    pidfile.unlink()
    return stopped
