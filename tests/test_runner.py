"""The runner and store against a real local model, counted at a proxy in front of it."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml

from harness.config import load_config
from harness.manifest import RunDir
from harness.pipeline import run
from harness.runner import derive_seed
from harness.store import Store
from harness.testing.loopback import CountingProxy, json_error
from harness.testing.suites import mini_suite, write_run_config

SUITE = mini_suite(
    [
        ("style.en.t1", "Say hello.", {"max_tokens": 8}),
        ("style.en.t2", "Name a fruit.", {"max_tokens": 8}),
        ("style.en.t3", "Name an animal.", {"max_tokens": 8, "temperature": 1.0, "samples": 3}),
    ],
    "tiny suite for runner tests",
)
PLANNED = 5  # answers per endpoint: 1 + 1 + 3 samples


def write_config(
    tmp_path: Path,
    endpoints: dict[str, str],
    extra: dict | None = None,
    endpoint: dict | None = None,
) -> Path:
    """A run config over the mini suite; `endpoint` adds keys to every endpoint entry."""
    specs = {
        n: {
            "kind": "openai-chat",
            "base_url": url + "/v1",
            "model": "m",
            "concurrency": 1,
            "max_retries": 3,
            **(endpoint or {}),
        }
        for n, url in endpoints.items()
    }
    return write_run_config(tmp_path, SUITE, specs, **{"seed": 5, **(extra or {})})


def test_second_identical_run_sends_zero_requests(local_model, tmp_path):
    server = local_model("smollm2-135m")
    with CountingProxy(server.base_url) as a, CountingProxy(server.base_url) as b:
        cfg = load_config(write_config(tmp_path, {"ref": a.url, "sus": b.url}))
        first = run(cfg, results=tmp_path / "results", show_progress=False)
        assert (a.log.count, b.log.count) == (PLANNED, PLANNED)
        second = run(cfg, results=tmp_path / "results", show_progress=False)
        assert (a.log.count, b.log.count) == (PLANNED, PLANNED)  # nothing new reached the model
    assert second.run_dir == first.run_dir
    assert second.stats.requests == 0
    assert second.manifest["attempts"] == 2


def test_each_endpoint_keeps_its_own_answers_and_samples_their_seeds(local_model, tmp_path):
    smol, gemma = local_model("smollm2-135m"), local_model("gemma3-270m")
    cfg = load_config(write_config(tmp_path, {"smol": smol.base_url, "gem": gemma.base_url}))
    result = run(cfg, results=tmp_path / "results", show_progress=False)
    with Store(result.run_dir.store_path) as store:
        records = list(store.records())
    assert len(records) == 2 * PLANNED
    assert len({r.key for r in records}) == 2 * PLANNED
    by_endpoint = {r.endpoint for r in records}
    assert by_endpoint == {"smol", "gem"}
    assert {r.model_reported for r in records if r.endpoint == "gem"} == {"gemma3-270m"}
    t3 = [r for r in records if r.endpoint == "smol" and r.probe_id == "style.en.t3"]
    assert sorted(r.sample_index for r in t3) == [0, 1, 2]
    assert {r.seed for r in t3} == {derive_seed(5, "style.en.t3", i) for i in range(3)}
    assert len({r.seed for r in t3}) == 3


def test_retryable_faults_are_retried_and_client_errors_fail_fast(local_model, tmp_path):
    server = local_model("smollm2-135m")

    def flaky(n, body):
        if n < 2:
            return json_error(429, "slow down", {"retry-after": "0"})
        if b"Name a fruit" in body:
            return json_error(400, "this prompt is not allowed")
        return None

    with CountingProxy(server.base_url, fault=flaky) as proxy:
        cfg = load_config(write_config(tmp_path, {"ref": proxy.url}, {"suspects": []}))
        result = run(cfg, results=tmp_path / "results", show_progress=False)
    st = result.stats.endpoints["ref"]
    assert st.retries == 2
    assert st.failed == 1 and st.answered == PLANNED - 1
    assert proxy.log.statuses.count(400) == 1  # asked once, never retried
    with Store(result.run_dir.store_path) as store:
        (failure,) = store.failures()
    assert failure["probe_id"] == "style.en.t2" and "not allowed" in failure["error"]
    assert result.manifest["status"] == "incomplete"


def test_killed_run_resumes_without_asking_twice(local_model, tmp_path):
    """kill -9 after two stored answers, with the third request held at the proxy: the kill
    lands mid-run for certain and no request is still on its way when the resume starts
    counting (polling alone left both to timing)."""
    import threading

    server = local_model("smollm2-135m")
    gate = threading.Event()

    def hold_from_the_third(n: int, body: bytes):
        if n >= 2:
            gate.wait(120)
        return None

    with CountingProxy(server.base_url, fault=hold_from_the_third) as proxy:
        cfg_path = write_config(tmp_path, {"ref": proxy.url}, {"suspects": []})
        results = tmp_path / "results"
        cmd = [
            sys.executable,
            "-m",
            "harness.cli",
            "run",
            str(cfg_path),
            "--results",
            str(results),
            "--no-progress",
        ]
        child = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
        )
        deadline = time.time() + 120
        stored = 0
        while time.time() < deadline and (stored < 2 or proxy.log.count < 3):
            time.sleep(0.05)
            dbs = list(results.glob("*/store.sqlite"))
            if dbs:
                with Store(dbs[0]) as store:
                    stored = store.count()
        os.killpg(child.pid, signal.SIGKILL)
        child.wait()
        gate.set()  # the held request goes upstream; its answer has nobody to reach
        assert (stored, proxy.log.count) == (2, 3), "the kill did not land where it was held"
        with Store(dbs[0]) as store:
            stored = store.count()
            kept = {r.key: r.text for r in store.records()}
        sent_before = proxy.log.count
        result = run(load_config(cfg_path), results=results, show_progress=False)
        assert proxy.log.count - sent_before == PLANNED - stored
    with Store(result.run_dir.store_path) as store:
        assert store.count() == PLANNED
        assert store.integrity_ok()
        assert all(kept[k] == r.text for r in store.records() if (k := r.key) in kept)
    assert RunDir(result.run_dir.path).read_manifest()["status"] == "complete"


@pytest.mark.parametrize(
    ("mutation", "message"),
    [
        (
            {"endpoints": {"x": {"kind": "grpc", "base_url": "http://a", "model": "m"}}},
            "unknown endpoint kind 'grpc'",
        ),
        (
            {
                "endpoints": {
                    "x": {"kind": "openai-chat", "base_url": "localhost:8080", "model": "m"}
                }
            },
            "is not an http(s) URL",
        ),
        (
            {
                "endpoints": {
                    "x": {
                        "kind": "openai-chat",
                        "base_url": "http://a/v1",
                        "model": "m",
                        "api_key_env": "FP_UNSET_VAR_X",
                    }
                }
            },
            "FP_UNSET_VAR_X is not set",
        ),
        (
            {
                "endpoints": {
                    "x": {
                        "kind": "openai-chat",
                        "base_url": "http://a/v1",
                        "model": "m",
                        "api_key": "sk-123",
                    }
                }
            },
            "puts a secret in the config",
        ),
    ],
)
def test_bad_config_is_one_line_and_exit_2(tmp_path, capsys, mutation, message):
    from harness.cli import main

    cfg = {"reference": "x", **mutation}
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(cfg))
    assert main(["run", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err
    assert len(err.splitlines()) == 1
    assert "sk-123" not in err


def test_an_endpoint_without_a_role_is_never_asked(tmp_path):
    """A spare endpoint in the config (no reference/suspect/control/candidate role) costs nothing:
    loopback fakes count what reaches each endpoint, and the spare's count stays 0."""
    with CountingProxy(None) as ref, CountingProxy(None) as sus, CountingProxy(None) as spare:
        urls = {"ref": ref.url, "sus": sus.url, "spare": spare.url}
        cfg = load_config(write_config(tmp_path, urls, {"suspects": ["sus"]}))
        result = run(cfg, results=tmp_path / "results", show_progress=False)
        assert (ref.log.count, sus.log.count, spare.log.count) == (PLANNED, PLANNED, 0)
    assert set(result.manifest["endpoints"]) == {"ref", "sus"}
    assert result.stats.requests == 2 * PLANNED
    # Dropping the spare keeps the run id: it never decided which answers the run needed.
    urls.pop("spare")
    again = load_config(write_config(tmp_path, urls, {"suspects": ["sus"]}))
    assert run(again, results=tmp_path / "results", show_progress=False).run_dir == result.run_dir


def test_a_spare_endpoints_unset_key_is_no_error(tmp_path, capsys, monkeypatch):
    """A spare is never called, so its key variable may be unset (it used to fail the config);
    given a role, the same endpoint fails as before, naming the variable."""
    from harness.cli import main

    monkeypatch.delenv("FP_UNSET_SPARE_KEY", raising=False)
    with CountingProxy(None) as ref, CountingProxy(None) as sus, CountingProxy(None) as spare:
        urls = {"ref": ref.url, "sus": sus.url, "spare": spare.url}
        path = write_config(tmp_path, urls, {"suspects": ["sus"]})
        raw = yaml.safe_load(path.read_text())
        raw["endpoints"]["spare"]["api_key_env"] = "FP_UNSET_SPARE_KEY"
        path.write_text(yaml.safe_dump(raw))
        argv = ["run", str(path), "--results", str(tmp_path / "results"), "--no-progress"]
        assert main(argv) == 0, capsys.readouterr().err
        assert (ref.log.count, sus.log.count, spare.log.count) == (PLANNED, PLANNED, 0)
        assert "note: not asking spare" in capsys.readouterr().out
        raw["suspects"] = ["sus", "spare"]
        path.write_text(yaml.safe_dump(raw))
        assert main(argv) == 2
        err = capsys.readouterr().err.strip()
        assert err.splitlines() == [err] and "FP_UNSET_SPARE_KEY is not set" in err
        assert spare.log.count == 0


def _as_from_a_shell() -> None:
    """Give the child the Ctrl-C a terminal gives: some library in this test process ignores
    SIGINT, and an ignored SIGINT is inherited (Python then never installs its handler)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})


def _held_after_one():
    """A fault for CountingProxy that answers once, then holds every request until `.set()`."""
    import threading

    gate = threading.Event()

    def held(n: int, body: bytes):
        if n >= 1:
            gate.wait(60)
        return None

    return gate, held


def _child_mid_run(cfg_path: Path, results: Path, *proxies: CountingProxy) -> subprocess.Popen:
    """`fingerprint run` in a child, returned once each proxy has answered one request and
    holds the next (sent, so paid for, but never answered): the child is mid-run for certain."""
    cmd = [sys.executable, "-m", "harness.cli", "run", str(cfg_path), "--results"]
    child = subprocess.Popen(
        [*cmd, str(results), "--no-progress"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_as_from_a_shell,
    )
    deadline, stored = time.time() + 60, 0
    while time.time() < deadline and (stored < 2 or any(p.log.count < 2 for p in proxies)):
        time.sleep(0.05)
        for db in results.glob("*/store.sqlite"):
            with Store(db) as store:
                stored = len(store.endpoints())
    return child


def _ctrl_c_mid_run(
    cfg_path: Path, results: Path, *proxies: CountingProxy, sig: int = signal.SIGINT
) -> tuple[int, str]:
    """Ctrl-C (or `sig`) to a child `fingerprint run` mid-run (see `_child_mid_run`); returns
    (exit code, stderr)."""
    child = _child_mid_run(cfg_path, results, *proxies)
    child.send_signal(sig)  # mid-run for certain: the rest is being held
    _, err = child.communicate(timeout=60)
    return child.returncode, err


@contextlib.contextmanager
def _stopped_mid_run(tmp_path: Path, sig: int = signal.SIGINT):
    """Two loopback endpoints, a child `fingerprint run` stopped by `sig` mid-run (see
    `_ctrl_c_mid_run`); yields what the tests read, with the servers still up for a resume."""
    gate, held = _held_after_one()
    with CountingProxy(None, fault=held) as proxy, CountingProxy(None, fault=held) as other:
        cfg_path = write_config(tmp_path, {"ref": proxy.url, "sus": other.url})
        results = tmp_path / "results"
        code, err = _ctrl_c_mid_run(cfg_path, results, proxy, other, sig=sig)
        gate.set()
        assert code == (143 if sig == signal.SIGTERM else 130), err
        (run_path,) = (m.parent for m in results.glob("*/manifest.json"))
        yield SimpleNamespace(
            err=err, cfg=cfg_path, results=results, run_path=run_path, proxies=(proxy, other)
        )


def test_an_interrupted_run_says_so_and_its_report_warns_until_resumed(tmp_path):
    """Ctrl-C: exit 130, manifest status `interrupted` (it stayed `running`), a report of
    the partial run warns on top; the resumed run is complete and sums both attempts."""
    from harness.cli import main

    with _stopped_mid_run(tmp_path) as cut:
        cfg_path, results, run_path = cut.cfg, cut.results, cut.run_path
        manifest = RunDir(run_path).read_manifest()
        assert manifest["status"] == "interrupted" and manifest["planned_answers"] == 2 * PLANNED
        assert main(["report", str(run_path), "--quiet"]) == 0
        md = (run_path / "report.md").read_text()
        assert "**Warning:** unfinished run (status: interrupted)" in md
        assert f"of {2 * PLANNED} planned answers are stored" in md
        result = run(load_config(cfg_path), results=results, show_progress=False)
    done = result.manifest
    assert done["status"] == "complete" and done["answers_stored"] == 2 * PLANNED
    assert main(["report", str(run_path), "--quiet"]) == 0
    assert "Warning" not in (run_path / "report.md").read_text()
    # A finished re-run asks nothing; what the earlier attempt sent is still on record.
    again = run(load_config(cfg_path), results=results, show_progress=False).manifest
    ref = again["endpoints"]["ref"]
    assert (
        ref["requests"] == 0
        and ref["all_attempts"]["requests"]
        == done["endpoints"]["ref"]["all_attempts"]["requests"]
        > 0
    )


def test_an_interrupted_attempts_requests_are_in_all_attempts(tmp_path):
    """The requests an attempt sent before Ctrl-C (the held one too: it reached the server) are
    in its manifest and in `all_attempts` after the resume, which equals what the servers
    counted; they used to be lost with the cancelled tasks."""
    with _stopped_mid_run(tmp_path) as stopped:
        proxy, other = stopped.proxies
        cut = RunDir(stopped.run_path).read_manifest()
        assert cut["status"] == "interrupted" and cut["requests"] == 4
        for name in ("ref", "sus"):
            ep = cut["endpoints"][name]
            assert (ep["requests"], ep["answers_new"], ep["all_attempts"]["requests"]) == (2, 1, 2)
            assert ep["completion_tokens"] == ep["all_attempts"]["completion_tokens"] == 3
        done = run(load_config(stopped.cfg), results=stopped.results, show_progress=False)
        done = done.manifest
        sent = {"ref": proxy.log.count, "sus": other.log.count}
    assert done["status"] == "complete" and sent == {"ref": 2 + 4, "sus": 2 + 4}
    for name, count in sent.items():
        ep = done["endpoints"][name]
        assert ep["requests"] == 4 and ep["all_attempts"]["requests"] == count
        assert ep["all_attempts"]["completion_tokens"] == 3 * PLANNED


def test_sigterm_mid_run_is_an_interrupt_that_resumes(tmp_path):
    """SIGTERM (what a CI job's timeout sends) used to kill the run at once: exit -15 and the
    manifest still `running`, its requests uncounted. It now stops the run like Ctrl-C."""
    with _stopped_mid_run(tmp_path, signal.SIGTERM) as stopped:
        err, proxy = stopped.err, stopped.proxies[0]
        assert "terminated: answers received so far are stored" in err and "Traceback" not in err
        cut = RunDir(stopped.run_path).read_manifest()
        assert (cut["status"], cut["signal"], cut["requests"]) == ("interrupted", "SIGTERM", 4)
        with Store(stopped.run_path / "store.sqlite") as store:
            assert len(store.keys()) == 2  # each endpoint's first answer
        done = run(load_config(stopped.cfg), results=stopped.results, show_progress=False)
        done = done.manifest
    assert done["status"] == "complete" and done["answers_stored"] == 2 * PLANNED
    assert done["endpoints"]["ref"]["all_attempts"]["requests"] == proxy.log.count == 2 + 4


def test_a_run_stopped_by_a_store_error_says_failed_not_running(tmp_path):
    """Another process holds the store's write lock from the second request on: the run stops
    with one OperationalError, and the manifest says `failed` with the error's type and what
    was sent (it stayed `running`, as if the run were still live)."""
    import sqlite3

    from harness.errors import OperationalError

    locks: list[sqlite3.Connection] = []

    def lock_store(n: int, body: bytes):
        if n == 1 and not locks:
            (db,) = (tmp_path / "results").glob("*/store.sqlite")
            locks.append(sqlite3.connect(db, isolation_level=None, check_same_thread=False))
            locks[0].execute("BEGIN EXCLUSIVE")
        return None

    with CountingProxy(None, fault=lock_store) as proxy, CountingProxy(None) as other:
        cfg_path = write_config(tmp_path, {"ref": proxy.url, "sus": other.url})
        results = tmp_path / "results"
        with pytest.raises(OperationalError, match="cannot write answers: database is locked"):
            run(load_config(cfg_path), results=results, show_progress=False)
        (run_path,) = (m.parent for m in results.glob("*/manifest.json"))
        cut = RunDir(run_path).read_manifest()
        assert (cut["status"], cut["error"]) == ("failed", "OperationalError")
        assert cut["endpoints"]["ref"]["requests"] == 2 and "failed_at" in cut
        locks[0].rollback()
        locks[0].close()
        done = run(load_config(cfg_path), results=results, show_progress=False).manifest
    assert done["status"] == "complete" and done["answers_stored"] == 2 * PLANNED


def _files(root: Path) -> dict[str, bytes]:
    """Every file under `root` but the run lock, with its bytes."""
    return {str(f): f.read_bytes() for f in root.rglob("*") if f.is_file() and f.name != "run.lock"}


def test_a_second_run_of_a_live_run_is_refused_and_asks_nothing(tmp_path, capsys):
    """A scheduled job starting while the previous one still runs: the second `fingerprint run`
    of the same run id is refused at once with one line naming the first (pid, host, start),
    sends no request and changes no file; a report meanwhile says the run is in progress. Both
    used to ask the endpoints for the same missing answers and both rewrote the manifest."""
    import socket

    from harness.cli import main

    gate, held = _held_after_one()
    with CountingProxy(None, fault=held) as proxy, CountingProxy(None, fault=held) as other:
        cfg_path = write_config(tmp_path, {"ref": proxy.url, "sus": other.url})
        results = tmp_path / "results"
        first = _child_mid_run(cfg_path, results, proxy, other)
        try:
            (run_path,) = (m.parent for m in results.glob("*/manifest.json"))
            live = RunDir(run_path).read_manifest()
            assert live["status"] == "running" and live["process"]["pid"] == first.pid
            before = _files(results)
            argv = ["run", str(cfg_path), "--results", str(results), "--no-progress"]
            assert main(argv) == 1  # had it asked, the held proxies would keep it waiting
            err = capsys.readouterr().err.strip()
            assert err.splitlines() == [err] and "already running" in err, err
            assert f"pid {first.pid} on host {socket.gethostname()}, started 20" in err
            assert (proxy.log.count, other.log.count) == (2, 2)  # the first run's, no more
            assert _files(results) == before
            assert main(["report", str(run_path), "--quiet", "--format", "md"]) == 0
            md = (run_path / "report.md").read_text()
            assert f"**Warning:** run still in progress (pid {first.pid} on host" in md
        finally:
            gate.set()
            _, first_err = first.communicate(timeout=60)
        assert first.returncode == 0, first_err
    assert RunDir(run_path).read_manifest()["status"] == "complete"


def test_a_run_killed_with_sigkill_reads_as_gone_and_resumes(tmp_path):
    """kill -9 (or the OOM killer) leaves `status: running` behind. A report used to say
    `unfinished run (status: running)` as if it might still be live; the lock died with the
    process, so it now says the process is gone and that running again resumes, and the JSON
    says `live: false`. The resume completes without asking again for stored answers."""
    from harness.cli import main

    gate, held = _held_after_one()
    with CountingProxy(None, fault=held) as proxy, CountingProxy(None, fault=held) as other:
        cfg_path = write_config(tmp_path, {"ref": proxy.url, "sus": other.url})
        results = tmp_path / "results"
        child = _child_mid_run(cfg_path, results, proxy, other)
        child.kill()
        child.communicate(timeout=60)
        gate.set()
        assert child.returncode == -signal.SIGKILL
        (run_path,) = (m.parent for m in results.glob("*/manifest.json"))
        cut = RunDir(run_path).read_manifest()
        assert cut["status"] == "running" and cut["process"]["pid"] == child.pid
        assert main(["report", str(run_path), "--quiet"]) == 0
        md = (run_path / "report.md").read_text()
        assert (
            "**Warning:** run stopped without finishing (status: running, but its process is "
            "gone: killed or crashed)"
        ) in md
        assert "run the same command again to resume" in md
        data = json.loads((run_path / "report.json").read_text())
        assert data["run"]["live"] is False and data["run"]["status"] == "running"
        done = run(load_config(cfg_path), results=results, show_progress=False).manifest
        sent = (proxy.log.count, other.log.count)
    assert done["status"] == "complete" and done["answers_stored"] == 2 * PLANNED
    assert sent == (2 + 4, 2 + 4)  # each endpoint's stored first answer was not asked again


def test_a_changed_config_pays_only_for_what_is_new(tmp_path):
    """`run` shares one answer store per results directory: adding a suspect is a new run id,
    and only the new suspect is asked (before, every answer was bought again)."""
    from harness.cli import main

    with CountingProxy(None) as a, CountingProxy(None) as b, CountingProxy(None) as c:
        first = write_config(tmp_path / "one", {"ref": a.url, "sus": b.url})
        results = str(tmp_path / "results")
        assert main(["run", str(first), "--results", results, "--no-progress"]) == 0
        assert (a.log.count, b.log.count, c.log.count) == (PLANNED, PLANNED, 0)
        second = write_config(tmp_path / "two", {"ref": a.url, "sus": b.url, "new": c.url})
        assert main(["run", str(second), "--results", results, "--no-progress"]) == 0
        assert (a.log.count, b.log.count, c.log.count) == (PLANNED, PLANNED, PLANNED)
        assert len(list((tmp_path / "results").glob("*/manifest.json"))) == 2
        argv = ["run", str(second), "--results", str(tmp_path / "fresh"), "--no-progress"]
        assert main([*argv, "--no-cache"]) == 0  # opting out buys everything again
        assert (a.log.count, b.log.count, c.log.count) == (2 * PLANNED,) * 3


def test_an_interrupted_attempt_keeps_what_earlier_attempts_recorded(tmp_path, monkeypatch):
    """A finished attempt's requests and the model its server reported survive a later
    attempt that is interrupted: the interrupted manifest used to start from nothing, and
    the next attempt summed from zero."""
    import harness.pipeline as pipeline

    with CountingProxy(None) as a, CountingProxy(None) as b:
        cfg = load_config(write_config(tmp_path, {"ref": a.url, "sus": b.url}))
        first = run(cfg, results=tmp_path / "results", show_progress=False).manifest
        sent = first["endpoints"]["ref"]["all_attempts"]["requests"]
        assert sent == PLANNED

        async def interrupted(*args, **kwargs):
            raise KeyboardInterrupt

        monkeypatch.setattr(pipeline, "execute", interrupted)
        with pytest.raises(KeyboardInterrupt):
            run(cfg, results=tmp_path / "results", show_progress=False)
        monkeypatch.undo()
        manifest = RunDir(tmp_path / "results" / first["run_id"]).read_manifest()
        assert manifest["status"] == "interrupted"
        assert manifest["endpoints"]["ref"]["all_attempts"]["requests"] == sent
        third = run(cfg, results=tmp_path / "results", show_progress=False).manifest
    assert third["endpoints"]["ref"]["all_attempts"]["requests"] == sent
    assert (
        third["endpoints"]["ref"]["model_reported"] == first["endpoints"]["ref"]["model_reported"]
    )
