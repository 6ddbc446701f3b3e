"""One live process per run directory, and how a reader tells a live run from a dead one.

A run holds an exclusive `flock` on `<run dir>/run.lock` while it runs. An OS lock, not a pid
file, because the kernel drops it when the holder dies, however it dies (kill -9, OOM, a crash):
a stale lock cannot exist, and nobody has to guess whether pid 1234 on some host is still ours.
So a second `fingerprint run` of the same run is refused before it asks anything (no double
spend, no two writers of one manifest), and a manifest that says `running` while nobody holds
the lock belongs to a run whose process is gone. The file's content (pid, host, start) only
names the holder in the refusal; the lock is the truth.

The file is never deleted: unlinking it while another process has it open would let two
processes lock two different files of the same name. Where `fcntl` does not exist (Windows) or
the filesystem refuses `flock`, no lock is taken and liveness is unknown (`None`): the behaviour
from before the lock.
"""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from typing import Any

from harness.errors import OperationalError

try:
    import fcntl
except ImportError:  # Windows: no lock, as before
    fcntl = None  # type: ignore[assignment]

LOCK = "run.lock"
# A reader's probe holds a shared lock for microseconds; a starting run waits that out rather
# than mistaking a `fingerprint report` for a second run. A real holder keeps it for the run.
PATIENCE_S = 0.5


def process_record() -> dict[str, Any]:
    """Who this process is, as the manifest and the lock file record it."""
    return {
        "pid": os.getpid(),
        "host": socket.gethostname(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }


class RunLock:
    """The held lock (an open descriptor); `release` gives it back, as process exit would."""

    def __init__(self, fd: int, record: dict[str, Any]):
        self._fd: int | None = fd
        self.record = record

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)  # closing the only descriptor releases the flock

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def acquire(run_path: Path, run_id: str) -> RunLock | None:
    """Lock `run_path` for this process, or raise OperationalError naming the holder.

    None when locking is not possible here (no fcntl, a filesystem without flock).
    """
    if fcntl is None:
        return None
    run_path.mkdir(parents=True, exist_ok=True)
    fd = os.open(run_path / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + PATIENCE_S
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() < deadline:
                time.sleep(0.02)
                continue
            holder = _read(fd)
            os.close(fd)
            raise OperationalError(_refusal(run_id, holder)) from None
        except OSError:  # e.g. ENOLCK: this filesystem cannot lock; run unlocked, as before
            os.close(fd)
            return None
    record = process_record()
    os.ftruncate(fd, 0)
    os.pwrite(fd, (json.dumps(record) + "\n").encode(), 0)
    return RunLock(fd, record)


def is_held(run_path: Path) -> bool | None:
    """True while a process holds the run's lock, False when none does, None when this cannot
    be told (no fcntl, no lock file: a run directory from before the lock or written by another
    tool, or a filesystem without flock)."""
    if fcntl is None:
        return None
    try:
        fd = os.open(run_path / LOCK, os.O_RDONLY)
    except OSError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    except OSError:
        return None
    else:
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    finally:
        os.close(fd)


def holder(run_path: Path) -> dict[str, Any]:
    """What the lock file says about its holder (the last one, if none holds it now)."""
    try:
        fd = os.open(run_path / LOCK, os.O_RDONLY)
    except OSError:
        return {}
    try:
        return _read(fd)
    finally:
        os.close(fd)


def _read(fd: int) -> dict[str, Any]:
    """The holder's record; empty in the microseconds between its lock and its write."""
    try:
        data = json.loads(os.pread(fd, 4096, 0) or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def holder_text(record: dict[str, Any] | None) -> str:
    """`pid 1234 on host ci-7, started 2026-12-06T21:00:00Z`, with `?` for what is unknown."""
    record = record or {}
    return (
        f"pid {record.get('pid', '?')} on host {record.get('host', '?')}, "
        f"started {record.get('started_at', '?')}"
    )


def _refusal(run_id: str, holder: dict[str, Any]) -> str:
    return (
        f"run {run_id} is already running ({holder_text(holder)}); nothing was asked: wait for "
        "it to end, or stop it, then run the same command again to resume"
    )
