"""Time end-to-end scoring of an answer corpus and how it grows with the number of prompts.

Usage: .venv/bin/python benchmarks/detector_speed.py [DIR]   (default ../shared/data/real-responses)
End to end = read responses.jsonl.gz, compute per-prompt similarities of every model to every
case reference, and produce a verdict for every labelled case (its own control panel and foils
each). Prints wall-clock seconds and CPU seconds of this process: on a shared machine the wall
clock measures the neighbours' load as much as this code, the CPU time does not.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from harness.bench import run_cases
from harness.bench_tables import CaseTables
from harness.corpus import load_answers
from harness.detector import similarity
from harness.lineage import load_lineage


def main(directory: str) -> int:
    d = Path(directory)
    if not (d / "responses.jsonl.gz").exists():
        print(f"skipped: {d}/responses.jsonl.gz not found")
        return 0
    t0, c0 = time.perf_counter(), time.process_time()
    answers = load_answers(d / "responses.jsonl.gz")
    lineage = load_lineage(d)
    t_read, c_read = time.perf_counter() - t0, time.process_time() - c0
    refs = sorted({c["reference"] for c in lineage["cases"]})
    prompts = answers.common_prompts()
    base = None
    print(f"read {answers.n_samples()} answers in {t_read:.2f} s (cpu {c_read:.2f} s)")
    print("share  prompts  answers  seconds  cpu_seconds  ratio_to_10%")
    for share in (0.10, 0.25, 0.50, 1.00):
        n = max(3, int(len(prompts) * share))
        sub = answers.restrict(None, prompts[:n])
        t0, c0 = time.perf_counter(), time.process_time()
        table = similarity.compute(sub, refs, sub.models)
        run_cases(sub, lineage, CaseTables(sub, refs, table))
        secs = time.perf_counter() - t0 + (t_read * share)
        cpu = time.process_time() - c0 + (c_read * share)
        base = base or secs
        print(
            f"{share:5.0%}  {n:7d}  {sub.n_samples():7d}  {secs:7.2f}  {cpu:11.2f}  "
            f"{secs / base:6.2f}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "../shared/data/real-responses"))
