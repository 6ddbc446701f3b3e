"""Probe suites as lm-eval tasks: task YAML, probe data and a hook module written into one folder.

lm-eval fixes sampling (generation_kwargs) and the number of repeats per *task*, while a
fingerprint suite sets them per *probe*. So each family becomes a group ``fp_<family>`` whose
subtasks ``fp_<family>_<sampling>`` each hold the probes that share one sampling signature, and
``fp_<selection>`` groups the families. Every task keeps all its repeats: lm-eval's default
filter for ``generate_until`` keeps only the first of them, so each task declares a
``take_first_k`` filter with k = repeats.

The folder needs no fingerprint install to run (``fp_hooks.py`` is self-contained); the
``fingerprint`` LM additionally reads each doc's ``fp_probe`` column so a probe is asked exactly
as ``fingerprint run`` asks it, under the same cache key.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from harness import __version__
from harness.errors import InputError
from harness.probes import FAMILIES, SELECTIONS, Probe, Sampling, Suite, load_suites, select
from harness.runner import render_transcript

HOOKS = "fp_hooks.py"
MANIFEST = "fp_export.json"
_METRICS = ("answers", "nonempty")


@dataclass
class TaskExport:
    """What one export wrote: the group names to pass to ``--tasks`` and every subtask."""

    out: Path
    selection: str
    groups: dict[str, list[str]] = field(default_factory=dict)  # fp_<family> -> subtasks
    probes: dict[str, int] = field(default_factory=dict)  # subtask -> number of docs
    repeats: dict[str, int] = field(default_factory=dict)  # subtask -> repeats

    @property
    def top_group(self) -> str:
        return f"fp_{self.selection}"


def resolve(
    names: Sequence[str], suites: Sequence[Suite], selection: str | None
) -> tuple[list[Suite], str]:
    """NAMES (suite names, families, or one selection) -> suites to export and the selection.

    A selection name (core, smoke, full) among NAMES picks that selection over every suite;
    `selection` (the --selection option, default core) applies to named suites or families.
    """
    picked_sel = [n for n in names if n in SELECTIONS]
    if len(set(picked_sel)) > 1 or (picked_sel and selection and selection != picked_sel[0]):
        both = dict.fromkeys([*picked_sel, *([selection] if selection else [])])
        raise InputError(f"conflicting selections: {', '.join(both)} (name one)")
    chosen = picked_sel[0] if picked_sel else (selection or "core")
    if chosen not in SELECTIONS:
        raise InputError(f"unknown selection {chosen!r} (known: {', '.join(SELECTIONS)})")
    wanted = [n for n in names if n not in SELECTIONS]
    if not wanted:
        return list(suites), chosen
    out: list[Suite] = []
    for name in wanted:
        match = [s for s in suites if s.name == name] or [s for s in suites if s.family == name]
        if not match:
            known = sorted({s.name for s in suites} | set(FAMILIES) | set(SELECTIONS))
            raise InputError(f"no suite or family named {name!r} (known: {', '.join(known)})")
        out.extend(s for s in match if s not in out)
    return out, chosen


def signature(s: Sampling) -> str:
    """A task-name-safe name for one sampling setting, e.g. ``t0p7_n5_m32``."""
    name = f"t{s.temperature:g}_n{s.samples}_m{s.max_tokens}".replace(".", "p")
    if s.top_p is not None:
        name += f"_p{s.top_p:g}".replace(".", "p")
    if s.stop:
        name += "_s" + hashlib.sha256(json.dumps(list(s.stop)).encode()).hexdigest()[:6]
    return re.sub(r"[^a-z0-9_]", "", name)


def doc_text(probe: Probe) -> str:
    """What other lm-eval models see: the user turn, or a transcript when there are more turns."""
    if probe.prompt is not None:
        return probe.prompt
    if len(probe.messages) == 1:
        return probe.messages[0].content
    return render_transcript(probe.messages)


def probe_doc(probe: Probe, suite: Suite) -> dict:
    """One dataset row; flat strings only so any `datasets` version reads it the same way."""
    s = probe.sampling
    fp_probe = {
        "id": probe.id,
        "family": probe.family,
        "suite": probe.suite,
        "messages": [{"role": m.role, "content": m.content} for m in probe.messages],
        "prompt": probe.prompt,
        "sampling": {
            "temperature": s.temperature,
            "max_tokens": s.max_tokens,
            "samples": s.samples,
            "top_p": s.top_p,
            "stop": list(s.stop),
        },
    }
    expect = json.loads(json.dumps(dict(probe.expect), default=_plain))
    return {
        "probe_id": probe.id,
        "family": probe.family,
        "suite": probe.suite,
        "suite_version": suite.version,
        "suite_hash": suite.hash,
        "language": probe.language,
        "variant": probe.variant,
        "base_id": probe.base_id,
        "text": doc_text(probe),
        "target": str(expect.get("answer", "")),
        "expect": json.dumps(expect, ensure_ascii=False, sort_keys=True),
        "fp_probe": json.dumps(fp_probe, ensure_ascii=False, sort_keys=True),
    }


def _plain(value: object) -> object:
    """Read-only probe data (MappingProxyType, tuples) as JSON-ready values."""
    return dict(value) if hasattr(value, "items") else list(value)  # type: ignore[call-overload]


def _q(value: object) -> str:
    """A YAML scalar via JSON, which YAML reads unchanged (quotes and escapes included)."""
    return json.dumps(value, ensure_ascii=False)


def task_yaml(task: str, data: str, s: Sampling, family: str, version: str, hashes: str) -> str:
    gen = {
        "until": list(s.stop),
        "max_gen_toks": s.max_tokens,
        "temperature": s.temperature,
        "do_sample": s.temperature > 0,
    }
    if s.top_p is not None:
        gen["top_p"] = s.top_p
    metrics = list(_METRICS) + (["contains_answer"] if family == "reasoning" else [])
    lines = [
        f"# Written by fingerprint {__version__} export lm-eval; regenerate rather than edit.",
        f"task: {task}",
        'dataset_path: ""',
        "custom_dataset: !function fp_hooks.load",
        "dataset_kwargs:",
        f"  fp_data: {_q(data)}",
        "output_type: generate_until",
        "test_split: test",
        "doc_to_text: text",
        "doc_to_target: target",
        "process_results: !function fp_hooks.process_results",
        f"generation_kwargs: {_q(gen)}",
        f"repeats: {s.samples}",
        "# lm-eval keeps only the first repeat unless a filter says otherwise: keep all of them.",
        "filter_list:",
        "  - name: all-repeats",
        "    filter:",
        f"      - {{function: take_first_k, k: {s.samples}}}",
        "metric_list:",
        *(f"  - {{metric: {m}, aggregation: mean, higher_is_better: true}}" for m in metrics),
        "metadata:",
        f"  version: {_q(version)}",
        f"  suite_hash: {_q(hashes)}",
    ]
    return "\n".join(lines) + "\n"


def group_yaml(group: str, tasks: Iterable[str], metrics: Iterable[str] = _METRICS) -> str:
    lines = [f"group: {group}", "task:", *(f"  - {t}" for t in tasks)]
    metrics = list(metrics)
    if metrics:
        lines.append("aggregate_metric_list:")
        for m in metrics:
            lines += [
                f"  - metric: {m}",
                "    aggregation: mean",
                "    weight_by_size: true",
                "    filter_list: all-repeats",
            ]
    lines += ["metadata:", "  version: 1.0"]
    return "\n".join(lines) + "\n"


def export_tasks(
    names: Sequence[str],
    out: Path,
    *,
    selection: str | None = None,
    variants: bool = False,
    probes_dir: str | None = None,
) -> TaskExport:
    """Write the lm-eval task folder for the chosen suites; returns what was written."""
    suites, chosen = resolve(names, load_suites(probes_dir), selection)
    by_suite = {s.name: s for s in suites}
    probes = select(suites, chosen, variants=variants)
    if not probes:
        raise InputError(f"no probes in selection {chosen!r} of {', '.join(by_suite)}")
    out = Path(out)
    (out / "data").mkdir(parents=True, exist_ok=True)
    shutil.copyfile(Path(__file__).with_name(HOOKS), out / HOOKS)
    result = TaskExport(out=out, selection=chosen)
    tasks: dict[tuple[str, str], list[Probe]] = {}
    for p in probes:
        tasks.setdefault((p.family, signature(p.sampling)), []).append(p)
    for (family, sig), members in tasks.items():
        task = f"fp_{family}_{sig}"
        rows = [probe_doc(p, by_suite[p.suite]) for p in members]
        data = f"data/{task}.jsonl"
        (out / data).write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )
        fam_suites = sorted({p.suite for p in members})
        version = ",".join(by_suite[n].version for n in fam_suites)
        hashes = ",".join(by_suite[n].hash for n in fam_suites)
        text = task_yaml(task, data, members[0].sampling, family, version, hashes)
        (out / f"{task}.yaml").write_text(text, encoding="utf-8")
        result.groups.setdefault(f"fp_{family}", []).append(task)
        result.probes[task] = len(rows)
        result.repeats[task] = members[0].sampling.samples
    for group, subtasks in result.groups.items():
        (out / f"{group}.yaml").write_text(group_yaml(group, subtasks), encoding="utf-8")
    top = group_yaml(result.top_group, result.groups, metrics=())
    (out / f"{result.top_group}.yaml").write_text(top, encoding="utf-8")
    manifest = {
        "fingerprint": __version__,
        "selection": chosen,
        "variants": variants,
        "suites": [
            {"name": s.name, "family": s.family, "version": s.version, "hash": s.hash}
            for s in suites
        ],
        "groups": result.groups,
        "probes": result.probes,
        "repeats": result.repeats,
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return result
