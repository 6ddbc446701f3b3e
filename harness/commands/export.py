"""`fingerprint export`: hand probes and answers to other tools, without losing what we measured.

- ``export lm-eval NAMES... --out DIR``: probe suites as lm-evaluation-harness tasks, every
  repeat kept (see harness/interop/lmeval_tasks.py). Needs nothing beyond the core install.
- ``export dataset RUN_DIR --out DIR``: a run's answers as a Hugging Face dataset (Parquet,
  JSONL or Arrow) with the run manifest in its dataset card. Needs the ``datasets`` extra.
"""

from __future__ import annotations

import argparse
from pathlib import Path


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "export",
        help="export probes as lm-eval tasks, or a run's answers as a Hugging Face dataset",
        description="Export probe suites to lm-evaluation-harness, or a run's answers to a "
        "Hugging Face dataset for publication.",
    )
    kinds = p.add_subparsers(dest="export_kind", metavar="KIND", required=True)

    lm = kinds.add_parser(
        "lm-eval",
        help="probe suites as lm-eval task YAML (+ hook module) in DIR",
        description="Write lm-eval tasks for the chosen probes: a group fp_<family> per family, "
        "a group fp_<selection> over all of them. NAMES are suite names, family names, or one "
        "selection (core, smoke, full); none means every suite. Run them with "
        "lm_eval --tasks fp_core --include_path DIR (or python -m harness.interop.lmeval run "
        "--model fingerprint ... to answer through fingerprint's endpoints and store).",
    )
    lm.add_argument("names", nargs="*", metavar="NAME", help="suite, family or selection")
    lm.add_argument("--out", required=True, help="folder to write the tasks into")
    lm.add_argument("--selection", help="probe selection for named suites (default: core)")
    lm.add_argument("--variants", action="store_true", help="also the deployment variants")
    lm.add_argument("--probes-dir", help="suite folder (default: the bundled probes/)")
    lm.set_defaults(func=main_lmeval)

    ds = kinds.add_parser(
        "dataset",
        help="a run's answers as a Hugging Face dataset with a dataset card",
        description="Write every stored answer of RUN_DIR (all samples, seeds, requests) plus "
        "README.md (dataset card with the run manifest) and manifest.json into DIR. "
        "`fingerprint import DIR` restores it exactly.",
    )
    ds.add_argument("run_dir", help="a run directory (results/<run-id>)")
    ds.add_argument("--out", required=True, help="folder to write the dataset into")
    ds.add_argument("--format", default="parquet", choices=("parquet", "jsonl", "arrow"))
    ds.set_defaults(func=main_dataset)


def main_lmeval(args: argparse.Namespace) -> int:
    from harness.interop.lmeval_tasks import export_tasks

    result = export_tasks(
        args.names,
        Path(args.out),
        selection=args.selection,
        variants=args.variants,
        probes_dir=args.probes_dir,
    )
    docs = sum(result.probes.values())
    answers = sum(result.probes[t] * result.repeats[t] for t in result.probes)
    print(
        f"wrote {len(result.probes)} tasks in {len(result.groups)} groups ({docs} probes, "
        f"{answers} answers per model) to {result.out}"
    )
    print(f"run: lm_eval --tasks {result.top_group} --include_path {result.out} --model ...")
    return 0


def main_dataset(args: argparse.Namespace) -> int:
    from harness.interop.datasets_io import export_run

    data, rows = export_run(args.run_dir, args.out, args.format)
    print(f"wrote {rows} answers to {data} (card: {Path(args.out) / 'README.md'})")
    return 0
