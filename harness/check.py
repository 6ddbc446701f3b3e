"""`fingerprint check`: a scheduled job's contract — query what is new, judge the watchlist, exit.

A check config is a run config (same endpoints, probes and roles; parsed by `harness.config`)
plus the keys in CHECK_KEYS. Answers live in a persistent store used as the runner's
read-through cache, so a nightly job that restores the store only asks models (or prompts) it
has not asked before. Exit codes are the contract CI relies on:

    0    no suspect flagged
    100  at least one suspect flagged (outcome in `flag.outcomes`, effect >= `flag.min_effect`)
    1    operational error (endpoint failures, budget hit); outputs are still written
    2    bad input (config, paths)
"""

from __future__ import annotations

import json
import math
import time
import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import yaml

from harness.budget import Budget, BudgetExceeded
from harness.config import RUN_KEYS, RunConfig, config_from_dict
from harness.detector.verdict import OUTCOMES
from harness.errors import FingerprintError, InputError

EXIT_CLEAR, EXIT_FLAGGED, EXIT_ERROR, EXIT_INPUT = 0, 100, 1, 2
CHECK_SCHEMA_VERSION = "1.0"
CHECK_KEYS = {"watchlist", "alpha", "flag", "store", "output", "budget", "reports"}


@dataclass(frozen=True)
class FlagRule:
    """When a verdict counts as a finding: its outcome is listed and its effect is big enough."""

    outcomes: tuple[str, ...] = ("distilled",)
    min_effect: float | None = None

    def flags(self, outcome: str, effect: float) -> bool:
        if outcome not in self.outcomes:
            return False
        if self.min_effect is None:
            return True
        return math.isfinite(effect) and effect >= self.min_effect


@dataclass(frozen=True)
class Limits:
    max_requests: int | None = None
    max_tokens: int | None = None
    max_cost: float | None = None

    def budget(self) -> Budget | None:
        if self.max_requests is None and self.max_tokens is None and self.max_cost is None:
            return None
        return Budget(self.max_requests, self.max_tokens, self.max_cost)


@dataclass(frozen=True)
class CheckConfig:
    source: str
    run: RunConfig
    alpha: float = 0.05
    flag: FlagRule = field(default_factory=FlagRule)
    store: Path | None = None
    output: Path = Path("fingerprint-check")
    limits: Limits = field(default_factory=Limits)
    reports: tuple[str, ...] = ("html", "md", "json")


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except (FileNotFoundError, IsADirectoryError):
        raise InputError(f"{path}: no such config file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise InputError(f"{path}{line}: invalid YAML: {getattr(exc, 'problem', exc)}") from None


def _number(raw: dict, key: str, where: str, kind: type, low: float, high: float | None = None):
    value = raw.get(key)
    if value is None:
        return None
    ok = isinstance(value, int | float) and not isinstance(value, bool)
    if kind is int:
        ok = ok and float(value).is_integer()
    if not ok or value < low or (high is not None and value > high):
        bound = f">= {low}" if high is None else f"in ({low}, {high})"
        raise InputError(f"{where}.{key}: expected a {kind.__name__} {bound}, got {value!r}")
    return kind(value)


def check_config_from_dict(raw: Any, source: str, base_dir: Path | None = None) -> CheckConfig:
    """Split off the check keys, hand the rest (with watchlist as suspects) to config_from_dict."""
    if not isinstance(raw, dict):
        raise InputError(f"{source}: expected a mapping at the top level")
    run_raw = {k: v for k, v in raw.items() if k not in CHECK_KEYS}
    if "suspects" in run_raw:
        raise InputError(f"{source}: a check config names its suspects under 'watchlist'")
    # Checked here, not left to config_from_dict: its message would list the run keys, with
    # `suspects` (refused above) and without watchlist, alpha, flag, store, budget, reports.
    known = (RUN_KEYS - {"suspects"}) | CHECK_KEYS
    unknown = set(raw) - known
    if unknown:
        raise InputError(
            f"{source}: unknown key '{sorted(unknown, key=str)[0]}' "
            f"(known: {', '.join(sorted(known))})"
        )
    if not raw.get("watchlist"):
        raise InputError(f"{source}: missing 'watchlist' (the suspects to check)")
    if not raw.get("controls"):
        raise InputError(
            f"{source}: missing 'controls': a check needs a fixed control panel of models "
            "independent of the reference"
        )
    run_raw["suspects"] = raw["watchlist"]
    run_raw.setdefault("name", Path(source).stem)
    run = config_from_dict(run_raw, source, base_dir)

    alpha = _number(raw, "alpha", source, float, 0.0, 1.0)
    if alpha is not None and not 0 < alpha < 1:
        raise InputError(f"{source}.alpha: expected a number in (0, 1), got {alpha!r}")
    flag_raw = raw.get("flag") or {}
    if not isinstance(flag_raw, dict) or set(flag_raw) - {"outcomes", "min_effect"}:
        raise InputError(f"{source}.flag: expected a mapping with 'outcomes' and/or 'min_effect'")
    outcomes = flag_raw.get("outcomes", ["distilled"])
    if isinstance(outcomes, str):
        outcomes = [outcomes]
    if not isinstance(outcomes, list) or not outcomes or any(o not in OUTCOMES for o in outcomes):
        raise InputError(
            f"{source}.flag.outcomes: expected a list of outcomes from {', '.join(OUTCOMES)}"
        )
    min_effect = flag_raw.get("min_effect")
    if min_effect is not None and (
        not isinstance(min_effect, int | float) or isinstance(min_effect, bool)
    ):
        raise InputError(f"{source}.flag.min_effect: expected a number")
    budget_raw = raw.get("budget") or {}
    if not isinstance(budget_raw, dict) or set(budget_raw) - {
        "max_requests",
        "max_tokens",
        "max_cost",
    }:
        raise InputError(
            f"{source}.budget: expected a mapping with max_requests, max_tokens, max_cost"
        )
    limits = Limits(
        max_requests=_number(budget_raw, "max_requests", f"{source}.budget", int, 0),
        max_tokens=_number(budget_raw, "max_tokens", f"{source}.budget", int, 0),
        max_cost=_number(budget_raw, "max_cost", f"{source}.budget", float, 0),
    )
    from harness.report import parse_formats

    reports = raw.get("reports", ["html", "md", "json"])
    if isinstance(reports, str):
        reports = [reports]
    if not isinstance(reports, list):
        raise InputError(f"{source}.reports: expected a list of html, md, json")
    formats = parse_formats([str(r) for r in reports]) if reports else ()

    def path(key: str) -> Path | None:
        value = raw.get(key)
        if value is None:
            return None
        if not isinstance(value, str) or not value:
            raise InputError(f"{source}.{key}: expected a path")
        p = Path(value).expanduser()
        return p if p.is_absolute() or base_dir is None else base_dir / p

    return CheckConfig(
        source=source,
        run=run,
        alpha=0.05 if alpha is None else alpha,
        flag=FlagRule(tuple(outcomes), None if min_effect is None else float(min_effect)),
        store=path("store"),
        output=path("output") or (base_dir or Path(".")) / "fingerprint-check",
        limits=limits,
        reports=formats,
    )


def load_check_config(path: str | Path) -> CheckConfig:
    """Paths in the file (store, output, replay corpora, probe dirs) are relative to its folder."""
    path = Path(path)
    return check_config_from_dict(_read_yaml(path), str(path), path.parent)


def _store_rows(path: Path | None) -> int | None:
    if path is None or not path.exists():
        return 0 if path is not None else None
    from harness.store import Store

    with Store(path) as store:
        return store.count()


@dataclass
class CheckResult:
    """What `fingerprint check` decided and why; `data` is check.json."""

    exit_code: int
    data: dict[str, Any]
    message: str = ""


def _suspect_rows(cfg: CheckConfig, analysis: Any) -> list[dict[str, Any]]:
    from harness.report.json_report import sim_to_reference, summary_row

    sim_ref = sim_to_reference(analysis)
    by = {v.suspect: v for v in analysis.verdicts}
    rows = []
    for s in cfg.run.suspects:
        v = by.get(s)
        if v is None:
            rows.append({"suspect": s, "outcome": "error", "flagged": False, "error": "no answers"})
            continue
        row = summary_row(analysis, v, sim_ref)
        row["flagged"] = cfg.flag.flags(v.outcome, v.effect)
        rows.append(row)
    return rows


def _failure_line(stats: Any, endpoints: dict[str, Any]) -> str:
    """The one `error:` line for failed requests: which endpoints, how many, and whether asking
    again can help. An endpoint that answers from a corpus by probe id (replay, as it declares)
    fails because the corpus lacks the answer, so retrying it changes nothing; only the other
    endpoints are worth a second run."""
    failed = {n: s for n, s in stats.endpoints.items() if s.failed}
    parts = [
        f"{n}: {s.failed}" + (f" (stopped asking: {s.aborted})" if s.aborted else "")
        for n, s in failed.items()
    ]
    from harness.endpoints import answers_from_corpus

    replay = [n for n in failed if answers_from_corpus(endpoints[n])]
    retry = [n for n in failed if n not in replay]
    hints = []
    if retry:
        hints.append(f"run again to retry {', '.join(retry)}")
    if replay:
        hints.append(
            f"the replay corpus of {', '.join(replay)} lacks those answers (retrying cannot help)"
        )
    return (
        f"{stats.failed} request(s) failed ({'; '.join(parts)}); the verdicts use only the "
        "answers that arrived; " + "; ".join(hints)
    )


def run_check(cfg: CheckConfig, *, show_progress: bool = False, console: Any = None) -> CheckResult:
    """Query what the store lacks, judge every suspect, write check.json, junit.xml, reports."""
    from harness.analysis import analyse
    from harness.pipeline import run
    from harness.report import write_reports

    cfg.output.mkdir(parents=True, exist_ok=True)
    rows_before = _store_rows(cfg.store)
    budget = cfg.limits.budget()
    data: dict[str, Any] = {
        "schema_version": CHECK_SCHEMA_VERSION,
        "kind": "fingerprint-check",
        "config": cfg.source,
        "checked_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "reference": cfg.run.reference,
        "watchlist": list(cfg.run.suspects),
        "controls": list(cfg.run.controls),
        # Listed under `endpoints` but in no role, so never asked (see RunConfig.in_use).
        "endpoints_unused": list(cfg.run.unused),
        "alpha": cfg.alpha,
        "flag": asdict(cfg.flag),
        "budget": {"limits": asdict(cfg.limits)},
        "store": {"path": str(cfg.store) if cfg.store else None, "rows_before": rows_before},
    }
    exit_code, message, analysis, stats = EXIT_CLEAR, "", None, None
    try:
        result = run(
            cfg.run,
            results=cfg.output / "runs",
            cache=cfg.store,
            show_progress=show_progress,
            console=console,
            budget=budget,
        )
        stats = result.stats
        data["run_dir"] = str(result.run_dir.path)
        analysis = analyse(result.run_dir, alpha=cfg.alpha)
        if stats.failed:
            exit_code, message = EXIT_ERROR, _failure_line(stats, result.endpoints)
    except BudgetExceeded as exc:
        exit_code, message = EXIT_ERROR, str(exc)
    except InputError:
        raise
    except FingerprintError as exc:
        exit_code, message = exc.exit_code, str(exc)
    data["requests"] = (
        stats.requests if stats is not None else (budget.requests if budget else None)
    )
    if stats is not None:
        data["requests_by_endpoint"] = {n: s.requests for n, s in stats.endpoints.items()}
        data["failed_by_endpoint"] = {n: s.failed for n, s in stats.endpoints.items() if s.failed}
        data["answers_reused"] = sum(
            s.stored_before + s.from_cache for s in stats.endpoints.values()
        )
    if budget is not None:
        data["budget"]["used"] = {
            "requests": budget.requests,
            "tokens": round(budget.tokens, 1),
            "tokens_estimated": round(budget.tokens_estimated, 1),
            "cost": round(budget.cost, 6),
        }
    data["store"]["rows_after"] = _store_rows(cfg.store)
    suspects = _suspect_rows(cfg, analysis) if analysis is not None else []
    if analysis is not None and any(r["outcome"] == "error" for r in suspects):
        missing = [r["suspect"] for r in suspects if r["outcome"] == "error"]
        exit_code = EXIT_ERROR
        message = message or f"no verdict for {', '.join(missing)}: no answers stored"
    flagged = [r["suspect"] for r in suspects if r.get("flagged")]
    if exit_code == EXIT_CLEAR and flagged:
        exit_code = EXIT_FLAGGED
    data["suspects"] = suspects
    data["flagged"] = flagged
    if analysis is not None and analysis.attributions:
        from harness.report.json_report import attribution

        data["attribution"] = attribution(analysis)
    data["status"] = {EXIT_CLEAR: "clear", EXIT_FLAGGED: "flagged"}.get(exit_code, "error")
    data["exit_code"] = exit_code
    data["error"] = message or None
    if analysis is not None and cfg.reports:
        data["reports"] = [str(p) for p in write_reports(analysis, cfg.output, cfg.reports)]
    (cfg.output / "check.json").write_text(
        json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    (cfg.output / "junit.xml").write_bytes(junit_xml(data))
    return CheckResult(exit_code, data, message)


def junit_xml(data: dict[str, Any]) -> bytes:
    """One testcase per watched suspect: flagged = failure, inconclusive = skipped, none = error."""
    ref = data["reference"]
    cases = []
    failures = errors = skipped = 0
    for r in data.get("suspects", []):
        case = ET.Element("testcase", classname=f"fingerprint.{ref}", name=r["suspect"])
        summary = _verdict_line(r)
        if r.get("outcome") == "error":
            errors += 1
            ET.SubElement(case, "error", message=summary, type="error").text = summary
        elif r["flagged"]:
            failures += 1
            body = "\n".join([summary, r.get("null", ""), *r.get("notes", [])])
            ET.SubElement(case, "failure", message=summary, type=r["outcome"]).text = body
        elif r["outcome"] == "inconclusive":
            skipped += 1
            ET.SubElement(case, "skipped", message=summary)
        ET.SubElement(case, "system-out").text = summary
        cases.append(case)
    if not cases and data.get("error"):
        # The run never got to verdicts (e.g. budget hit): one error per watched suspect.
        for s in data["watchlist"]:
            case = ET.Element("testcase", classname=f"fingerprint.{ref}", name=s)
            ET.SubElement(case, "error", message=data["error"], type="operational")
            cases.append(case)
            errors += 1
    suite = ET.Element(
        "testsuite",
        name=f"fingerprint check against {ref}",
        tests=str(len(cases)),
        failures=str(failures),
        errors=str(errors),
        skipped=str(skipped),
        timestamp=data["checked_at"],
    )
    props = ET.SubElement(suite, "properties")
    for k in ("reference", "alpha", "config", "requests", "status"):
        ET.SubElement(props, "property", name=k, value=str(data.get(k)))
    suite.extend(cases)
    root = ET.Element(
        "testsuites",
        name="fingerprint check",
        tests=str(len(cases)),
        failures=str(failures),
        errors=str(errors),
    )
    root.append(suite)
    ET.indent(root)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True) + b"\n"


def _verdict_line(r: dict[str, Any]) -> str:
    if r.get("outcome") == "error":
        return f"{r['suspect']}: {r.get('error', 'error')}"
    p = r.get("p_value")
    lo, hi = r.get("effect_ci", [None, None])

    def f(x: float | None) -> str:
        return "n/a" if x is None else f"{x:+.3f}"

    return (
        f"{r['suspect']}: {r['outcome']} (p = {'n/a' if p is None else f'{p:.3g}'}, "
        f"effect {f(r.get('effect'))} [{f(lo)}, {f(hi)}], {r.get('n_probes')} probes, "
        f"{r.get('n_controls')} controls)" + (" — FLAGGED" if r.get("flagged") else "")
    )


def verdict_lines(data: dict[str, Any]) -> list[str]:
    return [_verdict_line(r) for r in data.get("suspects", [])]


__all__ = [
    "CheckConfig",
    "CheckResult",
    "EXIT_CLEAR",
    "EXIT_ERROR",
    "EXIT_FLAGGED",
    "EXIT_INPUT",
    "FlagRule",
    "junit_xml",
    "load_check_config",
    "run_check",
]
