"""Start, find and stop one detached llama.cpp server process per model on 127.0.0.1.

Servers outlive the command that started them (their own session, logs in the cache), so a
JSON state file records pid and port; every reader re-checks that the pid is still our server
and that `/health` answers before trusting it, because pids and ports get reused.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import httpx

from harness.errors import InputError, OperationalError
from harness.local.catalog import (
    CTX_PER_SLOT,
    DEFAULT_PORT_BASE,
    DEFAULT_SLOTS,
    DEFAULT_THREADS,
    MODELS,
    Api,
    ModelSpec,
    cache_dir,
    port_for,
    resolve,
)
from harness.local.install import cache_lock, model_path, unavailable_notes, verified

STATE_FILE = "servers.json"
HOST = "127.0.0.1"
_SERVE_MODULE = "harness.local.serve"
# Popen handles of servers this process started, kept so `stop` can reap them (no zombies).
_CHILDREN: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class ServerInfo:
    name: str
    base_url: str
    api: Api
    slots: int  # parallel slots: the most choices (`n`) one request may ask for
    pid: int
    port: int
    model_path: str


@dataclass(frozen=True)
class ModelStatus:
    name: str
    title: str
    licence: str
    api: Api
    installed: bool
    sha_ok: bool
    running: bool
    base_url: str | None
    slots: int | None
    pid: int | None
    path: str
    note: str = ""


def _state_path(root: Path) -> Path:
    return root / STATE_FILE


def _load_state(root: Path) -> dict[str, dict]:
    try:
        data = json.loads(_state_path(root).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _save_state(root: Path, state: dict[str, dict]) -> None:
    tmp = _state_path(root).with_suffix(".tmp")
    tmp.write_text(json.dumps(state, indent=2, sort_keys=True) + "\n")
    tmp.replace(_state_path(root))


def _reap(pid: int) -> None:
    child = _CHILDREN.get(pid)
    if child is not None and child.poll() is not None:
        _CHILDREN.pop(pid, None)


def _pid_is_server(pid: int) -> bool:
    """Alive and running our serve module: a recycled pid must never be signalled."""
    _reap(pid)
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    cmdline = Path(f"/proc/{pid}/cmdline")
    if not cmdline.exists():
        return True  # no procfs (macOS): liveness plus /health is the best available check
    try:
        raw = cmdline.read_bytes()
    except OSError:
        return False
    return _SERVE_MODULE.encode() in raw


def healthy(base_url: str, timeout: float = 2.0) -> bool:
    """Whether a llama.cpp host answers `/health` with 200 (loaded and ready)."""
    try:
        return httpx.get(f"{base_url}/health", timeout=timeout).status_code == 200
    except httpx.HTTPError:
        return False


def port_free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def _info(entry: dict) -> ServerInfo:
    return ServerInfo(
        name=entry["name"],
        base_url=f"http://{HOST}:{entry['port']}",
        api=entry["api"],
        slots=int(entry["slots"]),
        pid=int(entry["pid"]),
        port=int(entry["port"]),
        model_path=entry["model_path"],
    )


def _live(entry: dict | None) -> ServerInfo | None:
    if not entry:
        return None
    try:
        info = _info(entry)
    except (KeyError, TypeError, ValueError):
        return None
    if _pid_is_server(info.pid) and healthy(info.base_url):
        return info
    return None


def running() -> dict[str, ServerInfo]:
    """Servers recorded in the state file that are alive and answering right now."""
    state = _load_state(cache_dir())
    live = {name: _live(entry) for name, entry in state.items()}
    return {name: info for name, info in live.items() if info is not None}


def _reason(path: Path) -> str:
    """The most telling log line: llama.cpp's first error (the root cause) or the last line."""
    try:
        lines = path.read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    errors = [line for line in lines if " E " in line[:24]]
    return (errors[:1] or lines[-1:] or [""])[0].strip()


def _launch(
    spec: ModelSpec, root: Path, port: int, slots: int, threads: int
) -> tuple[subprocess.Popen, Path]:
    logs = root / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    log_path = logs / f"{spec.name}.log"
    cmd = [
        sys.executable,
        "-m",
        _SERVE_MODULE,
        "--model",
        str(model_path(spec, root)),
        "--alias",
        spec.name,
        "--port",
        str(port),
        "--slots",
        str(slots),
        "--ctx-per-slot",
        str(CTX_PER_SLOT),
        "--threads",
        str(threads),
    ]
    if spec.chat_template:
        cmd += ["--chat-template", spec.chat_template]
    if not spec.jinja:
        cmd.append("--no-jinja")
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=root,
            start_new_session=True,
        )
    _CHILDREN[proc.pid] = proc
    return proc, log_path


def _wait_healthy(
    spec: ModelSpec, proc: subprocess.Popen, log_path: Path, base_url: str, timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        code = proc.poll()
        if code is not None:
            _CHILDREN.pop(proc.pid, None)
            raise OperationalError(
                f"{spec.name}: server exited during start (exit {code}): "
                f"{_reason(log_path) or 'no output'} (log: {log_path})"
            )
        if healthy(base_url, timeout=1.0):
            return
        time.sleep(0.2)
    _terminate(proc.pid)
    raise OperationalError(
        f"{spec.name}: /health did not answer within {timeout:.0f}s (log: {log_path})"
    )


def start(
    names: Iterable[str] | None = None,
    port_base: int = DEFAULT_PORT_BASE,
    *,
    slots: int = DEFAULT_SLOTS,
    threads: int = DEFAULT_THREADS,
    timeout: float = 120.0,
) -> list[ServerInfo]:
    """Start the named models (all installed ones by default); already-running ones are kept.

    Returns once every server answers `/health`. A model keeps the port it is running on even if
    `port_base` differs, so starting twice never moves a server under a caller's feet.
    """
    if slots < 1:
        raise InputError(f"--slots must be at least 1, got {slots}")
    if threads < 0:
        raise InputError(f"--threads must be 0 (all cores) or more, got {threads}")
    if not 1024 <= port_base <= 65535 - len(MODELS):
        raise InputError(f"--port-base must be between 1024 and {65535 - len(MODELS)}")
    if importlib.util.find_spec("xllamacpp") is None:
        raise InputError(
            "xllamacpp is not installed; run: pip install 'fingerprint[local]' "
            "(pins xllamacpp==2026.10.11549)"
        )
    root = cache_dir()
    explicit = names is not None
    specs = resolve(names)
    with cache_lock(root):
        ready = [s for s in specs if verified(s, root)]
        missing = [s.name for s in specs if s not in ready]
        if explicit and missing:
            raise InputError(
                f"not installed: {', '.join(missing)}; run: fingerprint local install {' '.join(missing)}"
            )
        if not ready:
            raise InputError("no local model is installed; run: fingerprint local install")
        state = _load_state(root)
        infos: dict[str, ServerInfo] = {}
        to_launch = []
        for spec in ready:
            live = _live(state.get(spec.name))
            if live is not None:
                infos[spec.name] = live
                continue
            state.pop(spec.name, None)
            to_launch.append((spec, port_for(spec, port_base)))
        # Check every port before launching anything, so a refusal leaves nothing half-started.
        for spec, port in to_launch:
            if not port_free(port):
                raise InputError(
                    f"port {port} for {spec.name} is in use by another process; "
                    "pick other ports with --port-base, or run `fingerprint local stop` "
                    "if a stale server of ours holds it"
                )
        pending = []
        for spec, port in to_launch:
            proc, log_path = _launch(spec, root, port, slots, threads)
            entry = {
                "name": spec.name,
                "pid": proc.pid,
                "port": port,
                "slots": slots,
                "threads": threads,
                "api": spec.api,
                "model_path": str(model_path(spec, root)),
                "log": str(log_path),
                "started_at": time.time(),
            }
            state[spec.name] = entry
            _save_state(root, state)
            pending.append((spec, proc, log_path, entry))
        try:
            for spec, proc, log_path, entry in pending:
                info = _info(entry)
                _wait_healthy(spec, proc, log_path, info.base_url, timeout)
                infos[spec.name] = info
        except OperationalError:
            for spec, proc, _, _ in pending:
                _terminate(proc.pid)
                state.pop(spec.name, None)
            _save_state(root, state)
            raise
    return [infos[s.name] for s in ready]


def _terminate(pid: int, grace: float = 10.0) -> None:
    """SIGTERM, then SIGKILL after `grace` seconds; reaps our own children so none linger."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline:
        child = _CHILDREN.get(pid)
        if child is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                child.wait(timeout=0.1)
            if child.returncode is not None:
                _CHILDREN.pop(pid, None)
                return
        elif not _pid_is_server(pid):
            return
        else:
            time.sleep(0.1)
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    child = _CHILDREN.pop(pid, None)
    if child is not None:
        child.wait(timeout=5)


def stop(names: Iterable[str] | None = None) -> list[str]:
    """Stop the named servers (all by default); returns the names that were running."""
    specs = resolve(names)
    root = cache_dir()
    stopped = []
    with cache_lock(root):
        state = _load_state(root)
        for spec in specs:
            entry = state.pop(spec.name, None)
            if not entry:
                continue
            pid = int(entry.get("pid", 0))
            if pid > 0 and _pid_is_server(pid):
                _terminate(pid)
                stopped.append(spec.name)
        _save_state(root, state)
    return stopped


def status() -> list[ModelStatus]:
    """One row per catalogued model, whether or not it is installed, verified or running."""
    root = cache_dir()
    live = running()
    notes = unavailable_notes(root)
    rows = []
    for spec in MODELS.values():
        path = model_path(spec, root)
        installed = path.is_file()
        info = live.get(spec.name)
        rows.append(
            ModelStatus(
                name=spec.name,
                title=spec.title,
                licence=spec.licence,
                api=spec.api,
                installed=installed,
                sha_ok=installed and verified(spec, root),
                running=info is not None,
                base_url=info.base_url if info else None,
                slots=info.slots if info else None,
                pid=info.pid if info else None,
                path=str(path),
                note="" if installed else notes.get(spec.name, ""),
            )
        )
    return rows
