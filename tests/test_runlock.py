"""The run lock's edges: a reader's probe is no second run, children do not inherit the lock,
and a platform without fcntl runs unlocked as before (the live runs: tests/test_runner.py)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time

import pytest

from harness import runlock
from harness.analysis import _warnings
from harness.answers import Answers
from harness.config import load_config
from harness.errors import OperationalError
from harness.pipeline import run
from harness.testing.loopback import CountingProxy
from tests.test_runner import write_config

fcntl = pytest.importorskip("fcntl")


def test_a_second_holder_is_refused_naming_the_first(tmp_path):
    with runlock.acquire(tmp_path / "r", "r-1") as lock:
        assert runlock.is_held(tmp_path / "r") is True
        with pytest.raises(OperationalError, match=r"run r-1 is already running \(pid \d+ on"):
            runlock.acquire(tmp_path / "r", "r-1")
        assert runlock.holder(tmp_path / "r") == lock.record
    assert runlock.is_held(tmp_path / "r") is False
    assert runlock.is_held(tmp_path / "never-ran") is None  # no lock file: cannot tell


def test_a_readers_probe_is_waited_out_not_taken_for_a_run(tmp_path, monkeypatch):
    """`fingerprint report` probes with a shared lock; a run starting in that instant must
    start, not be refused as if another run held the directory. (The patience is widened so a
    loaded machine firing the timer late cannot fail the test; what it checks is the wait.)"""
    monkeypatch.setattr(runlock, "PATIENCE_S", 30.0)
    (tmp_path / "r").mkdir()
    fd = open(tmp_path / "r" / runlock.LOCK, "w")  # noqa: SIM115 (the timer closes it)
    fcntl.flock(fd, fcntl.LOCK_SH)
    threading.Timer(0.1, fd.close).start()
    t0 = time.monotonic()
    with runlock.acquire(tmp_path / "r", "r-1"):
        assert time.monotonic() - t0 > 0.05  # it waited for the reader, then took the lock


def test_a_child_process_does_not_keep_the_lock(tmp_path):
    """A run that starts a server must not leave it holding the lock once the run is gone."""
    lock = runlock.acquire(tmp_path / "r", "r-1")
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        lock.release()
        assert runlock.is_held(tmp_path / "r") is False
    finally:
        child.kill()
        child.wait()


def test_without_fcntl_there_is_no_lock_and_readers_keep_the_old_wording(tmp_path, monkeypatch):
    monkeypatch.setattr(runlock, "fcntl", None)
    assert runlock.acquire(tmp_path / "r", "r-1") is None
    assert runlock.is_held(tmp_path / "r") is None
    manifest = {"status": "running", "planned_answers": 4}
    (line,) = _warnings(manifest, [], [], [], Answers({}), live=None)
    assert line.startswith("unfinished run (status: running): 0 of 4 planned answers")
    with CountingProxy(None) as ref, CountingProxy(None) as sus:
        cfg = write_config(tmp_path, {"ref": ref.url, "sus": sus.url})
        result = run(load_config(cfg), results=tmp_path / "results", show_progress=False)
    assert result.manifest["status"] == "complete" and result.manifest["process"]["pid"]
    assert not (result.run_dir.path / runlock.LOCK).exists()
