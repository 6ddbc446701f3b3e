"""`fingerprint check`: the exit-code contract CI relies on, end to end through the real CLI.

- corpus: real answers replayed (text_davinci_003 vs alpaca-7b / guanaco-33b, controls chosen
  from lineage.json by the bench's panel rule) give exit 0, then 100 once alpaca-7b joins the
  watchlist, and a repeat sends nothing (request count and store rows unchanged).
- local: real llama.cpp servers behind a counting proxy: honest `inconclusive`, well-formed
  JUnit, a second check reaching the servers 0 times, and a budget cap that stops at 2 requests.
- bad input: exit 2 with one line.
"""

from __future__ import annotations

import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from harness.testing.loopback import CountingProxy

REPO = Path(__file__).resolve().parents[1]
REAL = REPO.parent / "shared" / "data" / "real-responses"


def fingerprint(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "harness.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        timeout=900,
    )


def store_rows(path: Path) -> int:
    from harness.store import Store

    with Store(path) as s:
        return s.count()


# ---------------------------------------------------------------- real corpus, replayed


@pytest.fixture(scope="module")
def real_panel() -> tuple[str, list[str]]:
    if not (REAL / "responses.jsonl.gz").exists():
        pytest.skip(f"real corpus not found at {REAL} (see docs/detector.md)")
    from harness.endpoints.replay import corpus_index
    from harness.lineage import load_lineage, panel_for

    corpus = REAL / "responses.jsonl.gz"
    models = list(corpus_index(corpus))
    # Controls: every corpus model the lineage does not tie to text_davinci_003 (the bench's
    # panel rule), minus the suspects of this test. 31 models.
    panel = [
        m
        for m in panel_for(load_lineage(REAL), models, "text_davinci_003", "alpaca-7b")
        if m != "guanaco-33b"
    ]
    assert len(panel) >= 8
    return str(corpus), panel


def _corpus_config(tmp: Path, corpus: str, panel: list[str], watch: list[str]) -> Path:
    ref = "text_davinci_003"
    raw = {
        "name": "nightly",
        "reference": ref,
        "watchlist": watch,
        "controls": panel,
        "endpoints": {
            m: {"kind": "replay", "base_url": corpus, "model": m, "concurrency": 16}
            for m in [ref, *watch, *panel]
        },
        # 100 prompts: alpaca-7b p = 0.0049, guanaco-33b p = 0.20 (measured); ~17 s a check.
        "probes": {"corpus": corpus, "limit": 100},
        "alpha": 0.05,
        "store": "store.sqlite",
        "output": "out",
    }
    path = tmp / f"check-{len(watch)}.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.mark.corpus
def test_corpus_watchlist_flags_the_distilled_suspect(tmp_path, real_panel) -> None:
    corpus, panel = real_panel
    store = tmp_path / "store.sqlite"
    out = tmp_path / "out"

    clear = fingerprint("check", str(_corpus_config(tmp_path, corpus, panel, ["guanaco-33b"])))
    assert clear.returncode == 0, clear.stderr
    data = json.loads((out / "check.json").read_text())
    (g,) = data["suspects"]
    assert g["outcome"] == "not distilled" and not g["flagged"]
    assert data["requests"] == 100 * (2 + len(panel)) == store_rows(store)

    grown = _corpus_config(tmp_path, corpus, panel, ["guanaco-33b", "alpaca-7b"])
    flagged = fingerprint("check", str(grown))
    assert flagged.returncode == 100, flagged.stderr
    data = json.loads((out / "check.json").read_text())
    by = {r["suspect"]: r for r in data["suspects"]}
    assert by["alpaca-7b"]["outcome"] == "distilled" and by["alpaca-7b"]["flagged"]
    assert by["alpaca-7b"]["p_value"] < 0.05
    assert not by["guanaco-33b"]["flagged"]
    assert data["requests"] == 100  # only the new suspect was asked
    assert data["requests_by_endpoint"]["alpaca-7b"] == 100
    rows = store_rows(store)
    assert rows == 100 * (3 + len(panel))

    again = fingerprint("check", str(grown))
    assert again.returncode == 100, again.stderr
    data = json.loads((out / "check.json").read_text())
    assert data["requests"] == 0
    assert data["store"]["rows_before"] == data["store"]["rows_after"] == rows == store_rows(store)
    suite = ET.parse(out / "junit.xml").getroot().find("testsuite")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert set(cases) == {"guanaco-33b", "alpaca-7b"}
    assert cases["alpaca-7b"].find("failure") is not None
    assert "distilled" in cases["alpaca-7b"].find("failure").get("message")
    assert cases["guanaco-33b"].find("failure") is None
    assert (out / "report.html").exists() and (out / "report.json").exists()


# ---------------------------------------------------------------- real local servers


def _local_config(tmp: Path, servers: dict, proxies: dict, name: str, **extra) -> Path:
    endpoints = {
        n: {
            "kind": "openai-chat" if s.api == "chat" else "openai-completions",
            "base_url": proxies[n].url + "/v1",
            "model": n,
            "concurrency": 1,
            "timeout_s": 300,
        }
        for n, s in servers.items()
    }
    raw = {
        "name": name,
        "reference": "qwen2.5-coder-0.5b",
        "watchlist": ["smollm2-135m"],
        "controls": ["gemma3-270m"],
        "endpoints": endpoints,
        "probes": {"selection": "core", "limit": 2},
        "store": f"{name}-store.sqlite",
        "output": f"{name}-out",
        **extra,
    }
    path = tmp / f"{name}.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return path


@pytest.fixture
def local_three(local_model) -> dict:
    return {n: local_model(n) for n in ("qwen2.5-coder-0.5b", "smollm2-135m", "gemma3-270m")}


def test_local_check_is_honest_and_resumes(tmp_path, local_three) -> None:
    proxies = {n: CountingProxy(s.base_url) for n, s in local_three.items()}
    for p in proxies.values():
        p.__enter__()
    try:
        cfg = _local_config(tmp_path, local_three, proxies, "local")
        first = fingerprint("check", str(cfg))
        sent = sum(p.log.count for p in proxies.values())
        assert first.returncode == 0, first.stderr
        data = json.loads((tmp_path / "local-out" / "check.json").read_text())
        (row,) = data["suspects"]
        # One control cannot calibrate a p-value: the verdict says so instead of guessing.
        assert row["outcome"] == "inconclusive" and not row["flagged"]
        assert data["requests"] == sent > 0
        root = ET.parse(tmp_path / "local-out" / "junit.xml").getroot()
        cases = list(root.iter("testcase"))
        assert [c.get("name") for c in cases] == ["smollm2-135m"]
        assert cases[0].find("skipped") is not None and cases[0].find("failure") is None

        second = fingerprint("check", str(cfg))
        assert second.returncode == 0, second.stderr
        assert sum(p.log.count for p in proxies.values()) == sent  # nothing reached a server
        assert json.loads((tmp_path / "local-out" / "check.json").read_text())["requests"] == 0
    finally:
        for p in proxies.values():
            p.__exit__(None, None, None)


def test_local_budget_cap_stops_at_two_requests(tmp_path, local_three) -> None:
    proxies = {n: CountingProxy(s.base_url) for n, s in local_three.items()}
    for p in proxies.values():
        p.__enter__()
    try:
        cfg = _local_config(tmp_path, local_three, proxies, "capped", budget={"max_requests": 2})
        res = fingerprint("check", str(cfg))
        reached = sum(p.log.count for p in proxies.values())
    finally:
        for p in proxies.values():
            p.__exit__(None, None, None)
    assert res.returncode == 1, res.stderr
    errors = [line for line in res.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "max_requests=2" in errors[0], res.stderr
    assert 0 < reached <= 2
    data = json.loads((tmp_path / "capped-out" / "check.json").read_text())
    assert data["status"] == "error" and data["exit_code"] == 1
    assert data["budget"]["used"]["requests"] == reached
    cases = list(ET.parse(tmp_path / "capped-out" / "junit.xml").getroot().iter("testcase"))
    assert len(cases) == 1 and cases[0].find("error") is not None


# ---------------------------------------------------------------- small replayed corpus


def _replay_check(
    tmp: Path, answered: dict[str, int], prompts: int = 6, **extra
) -> tuple[Path, Path]:
    """A check over a replay corpus written to `tmp`: `answered` maps each model to how many of
    the `prompts` it answers (fewer = the corpus lacks the rest, so those requests fail). The
    first model is the reference, the second the watchlist, the next five the controls; any
    further models are endpoints with no role. Returns (config, output directory)."""
    corpus = tmp / "corpus.jsonl"
    corpus.write_text(
        "".join(
            json.dumps(
                {
                    "model": m,
                    "prompt_id": f"p{i}",
                    "prompt": f"Question {i}: name a colour.",
                    "response": f"{m} says colour {i * (j + 1)}.",
                }
            )
            + "\n"
            for j, (m, n) in enumerate(answered.items())
            for i in range(n)
        ),
        encoding="utf-8",
    )
    models = list(answered)
    raw = {
        "name": "small",
        "reference": models[0],
        "watchlist": [models[1]],
        "controls": models[2:7],
        "endpoints": {
            m: {"kind": "replay", "base_url": "corpus.jsonl", "model": m} for m in models
        },
        "probes": {"corpus": "corpus.jsonl", "limit": prompts},
        "store": "store.sqlite",
        "output": "out",
        "reports": [],
        **extra,
    }
    cfg = tmp / "check.yaml"
    cfg.write_text(yaml.safe_dump(raw), encoding="utf-8")
    return cfg, tmp / "out"


PANEL = ["ref", "sus", "c1", "c2", "c3", "c4", "c5"]


def test_an_endpoint_in_no_role_is_not_asked(tmp_path) -> None:
    """Docs: appending a suspect costs only that suspect's requests; a spare endpoint costs 0,
    and its key variable need not be set in the job (it is never called)."""
    cfg, out = _replay_check(tmp_path, {**dict.fromkeys(PANEL, 6), "spare": 6})
    raw = yaml.safe_load(cfg.read_text())
    raw["endpoints"]["spare"] = {
        "kind": "openai-chat",
        "base_url": "http://127.0.0.1:9/v1",
        "model": "m",
        "api_key_env": "FP_UNSET_SPARE_KEY",
    }
    cfg.write_text(yaml.safe_dump(raw))
    res = fingerprint("check", str(cfg))
    assert res.returncode == 0, res.stderr
    data = json.loads((out / "check.json").read_text())
    assert "spare" not in data["requests_by_endpoint"]
    assert data["requests"] == 6 * len(PANEL) == store_rows(tmp_path / "store.sqlite")
    assert data["endpoints_unused"] == ["spare"]
    assert "note: not asking spare" in res.stderr


def _error_lines(res: subprocess.CompletedProcess) -> list[str]:
    return [line for line in res.stderr.splitlines() if line.startswith("error:")]


def test_failed_requests_name_the_endpoint_and_land_in_check_json(tmp_path) -> None:
    """The contract: one `error:` line says which endpoint failed. A replay corpus missing
    answers is not something a second run fixes, so the line must not say "run again"."""
    cfg, out = _replay_check(tmp_path, {**dict.fromkeys(PANEL, 6), "c3": 4})
    res = fingerprint("check", str(cfg))
    assert res.returncode == 1, res.stderr
    (line,) = _error_lines(res)
    assert "2 request(s) failed (c3: 2)" in line
    assert "run again" not in line
    assert line.endswith("; the replay corpus of c3 lacks those answers (retrying cannot help)")
    assert "below" not in line  # printed after the verdicts, and check.json has no "below"
    assert res.stderr.rstrip().splitlines()[-1] == line  # the last thing a CI log shows
    data = json.loads((out / "check.json").read_text())
    assert data["failed_by_endpoint"] == {"c3": 2}
    assert data["error"] == line.removeprefix("error: ")
    assert data["suspects"][0]["outcome"] != "error"  # verdicts from the answers that arrived


def _check_with_c5_behind(cfg: Path, fault) -> subprocess.CompletedProcess:
    """Run `check` with control c5 served by a loopback fake (`fault` shapes its replies)."""
    raw = yaml.safe_load(cfg.read_text())
    with CountingProxy(None, fault=fault) as server:
        raw["endpoints"]["c5"] = {
            "kind": "openai-chat",
            "base_url": server.url + "/v1",
            "model": "m",
        }
        cfg.write_text(yaml.safe_dump(raw))
        return fingerprint("check", str(cfg))


def test_a_failing_remote_endpoint_is_named_with_a_retry_hint(tmp_path) -> None:
    from harness.testing.loopback import json_error

    def refuse_two(n: int, body: bytes):
        return (
            json_error(400, "not allowed")
            if b"Question 1" in body or b"Question 4" in body
            else None
        )

    cfg, out = _replay_check(tmp_path, dict.fromkeys(PANEL, 6))
    res = _check_with_c5_behind(cfg, refuse_two)
    assert res.returncode == 1, res.stderr
    (line,) = _error_lines(res)
    assert "(c5: 2)" in line and "run again to retry c5" in line
    assert "replay" not in line
    assert json.loads((out / "check.json").read_text())["failed_by_endpoint"] == {"c5": 2}


def test_no_failures_is_an_empty_failed_by_endpoint(tmp_path) -> None:
    cfg, out = _replay_check(tmp_path, dict.fromkeys(PANEL, 6))
    res = fingerprint("check", str(cfg))
    assert res.returncode == 0 and not _error_lines(res), res.stderr
    assert json.loads((out / "check.json").read_text())["failed_by_endpoint"] == {}


def test_replay_answers_spend_no_tokens_of_the_budget(tmp_path) -> None:
    """A replay endpoint reads a file: its requests count, its tokens are 0. Each used to be
    charged its worst case (prompt estimate + max_tokens), so `used.tokens` reported tokens no
    model produced and a max_tokens cap stopped a check that spent nothing."""
    budget = {"max_requests": 1000, "max_tokens": 100}
    cfg, out = _replay_check(tmp_path, dict.fromkeys(PANEL, 6), budget=budget)
    res = fingerprint("check", str(cfg))
    assert res.returncode == 0, res.stderr
    used = json.loads((out / "check.json").read_text())["budget"]["used"]
    assert used == {"requests": 6 * len(PANEL), "tokens": 0, "tokens_estimated": 0, "cost": 0}


@pytest.mark.parametrize("reports_usage", [True, False], ids=["usage", "no-usage"])
def test_remote_tokens_are_what_was_reported_or_a_named_estimate(tmp_path, reports_usage) -> None:
    """A remote endpoint's tokens are its reported usage; an answer without usage is charged the
    worst case (the cap must hold), and `tokens_estimated` says how much of `tokens` that is."""
    from harness.testing.loopback import Reply, fake_answer

    def strip_usage(n: int, body: bytes):
        answer = json.loads(fake_answer("/v1/chat/completions", body))
        del answer["usage"]
        return Reply(200, {"content-type": "application/json"}, json.dumps(answer).encode())

    cfg, out = _replay_check(tmp_path, dict.fromkeys(PANEL, 6), budget={"max_requests": 1000})
    res = _check_with_c5_behind(cfg, None if reports_usage else strip_usage)
    assert res.returncode == 0, res.stderr
    data = json.loads((out / "check.json").read_text())
    used, run_dir = data["budget"]["used"], Path(data["run_dir"])
    c5 = json.loads((run_dir / "manifest.json").read_text())["endpoints"]["c5"]
    if reports_usage:
        assert used["tokens"] == c5["prompt_tokens"] + c5["completion_tokens"] > 0
        assert used["tokens_estimated"] == 0
    else:
        assert used["tokens"] == used["tokens_estimated"] > 0


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"watchlist": None}, "missing 'watchlist'"),
        ({"alpha": 2}, "alpha"),
        ({"flag": {"outcomes": ["guilty"]}}, "flag.outcomes"),
        ({"budget": {"max_requests": -1}}, "max_requests"),
        ({"surprise": 1}, "unknown key 'surprise'"),
        # The unknown-key line lists what a check config accepts, not a run config's keys.
        (
            {"surprise": 1},
            "known: alpha, budget, candidates, controls, endpoints, flag, logprobs, name, "
            "output, probes, reference, reports, seed, store, watchlist)",
        ),
        ({"watchlist": ["nobody"]}, "'nobody' is not an endpoint"),
    ],
)
def test_bad_input_exits_2(tmp_path, change, message) -> None:
    corpus = tmp_path / "c.jsonl"
    corpus.write_text(
        "".join(
            json.dumps({"model": m, "prompt_id": "p0", "prompt": "hi", "response": "hello"}) + "\n"
            for m in ("r", "s", "c")
        )
    )
    raw = {
        "reference": "r",
        "watchlist": ["s"],
        "controls": ["c"],
        "endpoints": {m: {"kind": "replay", "base_url": str(corpus), "model": m} for m in "rsc"},
    }
    raw.update(change)
    raw = {k: v for k, v in raw.items() if v is not None}
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(yaml.safe_dump(raw))
    res = fingerprint("check", str(cfg))
    assert res.returncode == 2, res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and message in lines[0], res.stderr
    assert not (tmp_path / "fingerprint-check").exists()  # nothing was run


def test_missing_config_exits_2(tmp_path) -> None:
    res = fingerprint("check", str(tmp_path / "absent.yaml"))
    assert res.returncode == 2 and "no such config file" in res.stderr


# ---------------------------------------------------------------- examples/


EXAMPLES = REPO / "examples"
KEY_VARS = ("OPENAI_API_KEY", "SUSPECT_API_KEY", "TOGETHER_API_KEY", "MISTRAL_API_KEY")
KEY_VARS += ("DEEPSEEK_API_KEY", "ANTHROPIC_API_KEY")


def test_example_configs_load(monkeypatch) -> None:
    from harness.check import load_check_config
    from harness.config import load_config

    for var in KEY_VARS:
        monkeypatch.setenv(var, "placeholder-not-a-key")
    run = load_config(EXAMPLES / "run.yaml")
    assert run.reference == "gpt-4o-mini" and len(run.controls) >= 5
    check = load_check_config(EXAMPLES / "check.yaml")
    assert check.run.suspects == ("new-model-a", "new-model-b")
    assert check.limits.max_requests == 2000 and check.flag.min_effect == 0.01
    assert check.store == EXAMPLES / ".." / ".fingerprint" / "store.sqlite"


def test_example_workflow_runs_check_and_keeps_the_store() -> None:
    wf = yaml.safe_load((EXAMPLES / "github-actions" / "fingerprint-nightly.yml").read_text())
    steps = wf["jobs"]["check"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("actions/cache/restore@") for u in uses)
    save = next(s for s in steps if s.get("uses", "").startswith("actions/cache/save@"))
    assert save["if"] == "always()"
    upload = next(s for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert "report.html" in upload["with"]["path"]
    assert any("fingerprint check examples/check.yaml" in s.get("run", "") for s in steps)
    assert "schedule" in wf[True]  # YAML 1.1 reads the key `on` as True
