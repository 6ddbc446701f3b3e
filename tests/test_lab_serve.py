"""Lab student servers: real llama.cpp hosts on a real GGUF (smollm2-135m stands in for a
student; any GGUF serves the same way). Run L once failed after training because an earlier
lab dir's idle servers held the default ports; these tests keep that from coming back."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import socket
from pathlib import Path

import httpx
import pytest

from harness.errors import InputError
from harness.lab import serve
from harness.testing.loopback import free_port_range


@pytest.fixture(scope="module")
def gguf() -> Path:
    if importlib.util.find_spec("xllamacpp") is None:
        pytest.skip("xllamacpp is not installed: pip install 'fingerprint[local]'")
    from harness import local
    from harness.local.catalog import MODELS
    from harness.local.install import model_path

    (result,) = local.install(["smollm2-135m"])
    if not result.ok:
        pytest.skip(f"smollm2-135m could not be installed: {result.message}")
    return model_path(MODELS["smollm2-135m"], local.cache_dir())


def _lab(root: Path, gguf: Path, *students: str) -> dict[str, Path]:
    """A lab dir laid out as the lab writes it: <lab>/students/<student>/<file>.gguf."""
    paths = {}
    for name in students:
        folder = root / "students" / f"{name}-n8-e1"
        folder.mkdir(parents=True)
        target = folder / f"{name}.gguf"
        try:
            os.link(gguf, target)
        except OSError:
            shutil.copyfile(gguf, target)
        paths[name] = target
    return paths


def _serves(url: str, model: str) -> bool:
    models = httpx.get(f"{url}/models", timeout=10).json()["data"]
    return [m["id"] for m in models] == [model]


def test_ports_are_kept_per_lab_and_busy_ones_skipped(tmp_path):
    base = free_port_range(4)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", base))
        squatter.listen()
        ports = serve.assign_ports(tmp_path, ["a", "b"], base)
    assert ports == {"a": base + 1, "b": base + 2}
    # Kept once the squatter is gone: the answers cached for `a` are keyed by base + 1.
    assert serve.assign_ports(tmp_path, ["a", "b", "c"], base) == {**ports, "c": base + 3}
    assert serve.assign_ports(tmp_path, ["c"], base) == {"c": base + 3}
    # Past the last port: one clear line, and the ports kept so far stay kept.
    with pytest.raises(InputError, match="d: no free port from 65536 up"):
        serve.assign_ports(tmp_path, ["d"], 65536)
    assert serve.assign_ports(tmp_path, ["a"], base) == {"a": base + 1}


def test_a_fresh_lab_serves_beside_another_labs_idle_server(tmp_path, gguf):
    base = free_port_range(4)
    first, second = tmp_path / "l7", tmp_path / "l8"
    try:
        urls = serve.start(first, _lab(first, gguf, "student-teacher"), base)
        assert urls == {"student-teacher": f"http://127.0.0.1:{base}/v1"}
        # Run L's failure: the second lab wanted the same port while the first still served.
        students = _lab(second, gguf, "student-teacher")
        again = serve.start(second, students, base)
        assert again == {"student-teacher": f"http://127.0.0.1:{base + 1}/v1"}
        assert _serves(urls["student-teacher"], "student-teacher-n8-e1")
        assert _serves(again["student-teacher"], "student-teacher-n8-e1")
        # Restarting the second lab reuses its live server on its kept port.
        pid = json.loads((second / "servers.json").read_text())["student-teacher"]["pid"]
        assert serve.start(second, students, base) == again
        assert json.loads((second / "servers.json").read_text())["student-teacher"]["pid"] == pid
    finally:
        serve.stop(first)
        serve.stop(second)


def test_a_kept_port_held_by_another_lab_names_it_and_the_stop_command(tmp_path, gguf):
    base = free_port_range(4)
    first, second = tmp_path / "l7", tmp_path / "l8"
    students = _lab(second, gguf, "student-gemma")
    serve.assign_ports(second, ["student-gemma"], base)  # second keeps base, then stops
    try:
        serve.start(first, _lab(first, gguf, "student-teacher"), base)  # first takes base
        with pytest.raises(InputError) as err:
            serve.start(second, students, base)
        message = str(err.value)
        assert f"port {base}" in message and "student-teacher-n8-e1" in message
        assert f"fingerprint lab stop --lab-dir {first}" in message
        # Nothing of the second lab was started, and the first still serves.
        assert serve.stop(second) == []
        assert _serves(f"http://127.0.0.1:{base}/v1", "student-teacher-n8-e1")
    finally:
        serve.stop(first)


def test_a_lab_dir_from_before_ports_json_keeps_its_old_slots(tmp_path):
    """Its cached answers are keyed by `port_base + i`: a busy slot is kept (and refused at
    start, naming the holder), never silently moved, which would re-ask every probe."""
    base = free_port_range(4)
    (tmp_path / "cache.sqlite").write_bytes(b"")  # it has probed before
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", base))
        squatter.listen()
        assert serve.assign_ports(tmp_path, ["a", "b"], base) == {"a": base, "b": base + 1}


def test_a_kept_port_held_by_a_local_model_server_says_so(tmp_path, gguf, local_servers):
    info = next(iter(local_servers.values()))
    (tmp_path / "ports.json").write_text(json.dumps({"student-teacher": info.port}))
    students = _lab(tmp_path, gguf, "student-teacher")
    with pytest.raises(InputError, match=f"port {info.port} .* local model server of .*gguf"):
        serve.start(tmp_path, students, info.port)
    assert httpx.get(f"{info.base_url}/health", timeout=5).status_code == 200
