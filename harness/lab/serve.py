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

from harness.errors import InputError
from harness.local.server import healthy
from harness.local.server import port_free as _port_free


def _healthy(port: int) -> bool:
    return healthy(f"http://127.0.0.1:{port}")


def _alive(pid: int, gguf: str) -> bool:
    try:
        cmd = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return False
    return "harness.local.serve" in cmd and gguf in cmd


def start(lab_dir: Path, students: dict[str, Path], port_base: int = 8091) -> dict[str, str]:
    """Start one server per student (reusing live ones); returns name -> base URL (`.../v1`).

    The port is part of an endpoint's identity, hence of its cached answers' keys, so a lab
    dir keeps each student's port for good (`<lab>/ports.json`, kept by `stop`). A student
    new to the lab gets `port_base + i` (i its place in `students`) when that port is free,
    else the next free one: a fresh lab never clashes with another lab's idle servers.

    Each server's model id is the GGUF's folder name (e.g. `student-teacher-n96-e1`), so a
    student trained with another recipe has another endpoint identity and never shares cached
    answers with this one. A live server of the same name on an older GGUF is stopped first.
    """
    pidfile = lab_dir / "servers.json"
    known = json.loads(pidfile.read_text()) if pidfile.exists() else {}
    urls = {}
    for name, port in assign_ports(lab_dir, list(students), port_base).items():
        gguf = students[name]
        entry = known.get(name)
        if entry and _alive(entry["pid"], entry["gguf"]):
            if entry["gguf"] == str(gguf) and entry["port"] == port and _healthy(port):
                urls[name] = f"http://127.0.0.1:{port}/v1"
                continue
            _terminate(entry["pid"], entry["port"])
        if not _port_free(port):
            raise InputError(f"{name}: port {port} (kept by {lab_dir}) is {_holder(port)}")
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


def assign_ports(lab_dir: Path, names: list[str], port_base: int) -> dict[str, int]:
    """Each student's port in this lab dir: the kept one, else the first free from its slot.

    A lab dir that probed before `ports.json` existed served student i on `port_base + i`;
    its cached answers are keyed by those ports, so they are kept even when busy (`start`
    then says who holds one) rather than silently moved, which would re-ask every probe.
    """
    portfile = lab_dir / "ports.json"
    ports: dict[str, int] = json.loads(portfile.read_text()) if portfile.exists() else {}
    legacy = not portfile.exists() and (lab_dir / "cache.sqlite").exists()
    for i, name in enumerate(names):
        if name in ports:
            continue
        port = port_base + i
        while not legacy and port <= 65535 and (port in ports.values() or not _port_free(port)):
            port += 1
        if port > 65535:
            raise InputError(f"{name}: no free port from {port_base} up (--port-base)")
        ports[name] = port
    lab_dir.mkdir(parents=True, exist_ok=True)
    portfile.write_text(json.dumps(ports, indent=2))
    return {name: ports[name] for name in names}


def _holder(port: int) -> str:
    """Say what holds a port, and how to free it when it is another lab's student server."""
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        if "harness.local.serve" not in argv or _flag(argv, "--port") != str(port):
            continue
        gguf, pid = Path(_flag(argv, "--model")), cmdline.parent.name
        if gguf.parent.parent.name == "students":  # <lab>/students/<student>/<file>.gguf
            return (
                f"held by {gguf.parent.name} (pid {pid}) of another lab; "
                f"stop it with `fingerprint lab stop --lab-dir {gguf.parent.parent.parent}`"
            )
        return f"held by the local model server of {gguf.name} (pid {pid}); see `fingerprint local`"
    return "held by another process; free it (this lab keys its cached answers by that port)"


def _flag(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1] if flag in argv[:-1] else ""


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
