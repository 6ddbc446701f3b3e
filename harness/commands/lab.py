"""`fingerprint lab`: distil a real model ourselves and check that the detector catches it.

`lab run` does the whole experiment (teacher answers -> students -> GGUF -> servers -> probe
runs -> verdicts) and resumes wherever it stopped; `lab evaluate` re-scores a stored corpus;
`lab stop` ends the student servers the lab started. Needs the `lab` extra (torch, transformers,
accelerate, gguf) and the `local` extra. See docs/lab.md.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

from harness.commands import attribution_features, known_names
from harness.errors import InputError

# Said when torch or transformers are missing, wherever the lab first needs them.
NEEDS_EXTRA = "the lab needs its extra: pip install -e '.[lab,local]'"


def register(subparsers) -> None:
    from harness.lab.train import PRECISIONS  # stdlib only at import: no extra needed

    p = subparsers.add_parser(
        "lab",
        help="distil a local model into a student and check the detector flags it",
        description="Distillation lab (docs/lab.md): train students on a teacher's and on other "
        "sources' answers, serve them, probe them and print the verdicts.",
    )
    sub = p.add_subparsers(dest="lab_command", required=True)
    r = sub.add_parser(
        "run",
        help="run or resume the whole experiment",
        description="Collect the teacher's and the other sources' answers from the local models, "
        "fine-tune one SmolLM2-135M student per source on CPU, export and serve the students "
        "(llama.cpp on 127.0.0.1), probe them with the suites and print the verdicts. Every "
        "step resumes from --lab-dir. Needs the extra: pip install -e '.[lab,local]' (torch, "
        "transformers). Cost, measured on 2 cores (docs/lab.md): collecting is the slowest step "
        "on a fresh machine (53 min for 1,040 prompts per source); with the answers collected, "
        "run D's recipe (--prompts 258 --epochs 2 --train-layers 12) took about 45 min.",
    )
    r.add_argument("--lab-dir", help="working directory (default ~/.cache/fingerprint/lab)")
    r.add_argument(
        "--prompts",
        type=int,
        default=96,
        help="lab prompts per source: the first N of the lab's prompt bank (default 96; runs "
        "A-F used at most 258; more than the bank holds is refused, naming its size)",
    )
    r.add_argument("--epochs", type=int, default=1, help="training epochs (default 1)")
    r.add_argument(
        "--train-layers",
        type=int,
        default=6,
        help="top transformer blocks trained, of 30 (default 6; 30 = full fine-tune but the "
        "tied embeddings)",
    )
    r.add_argument("--lr", type=float, default=3e-4, help="peak learning rate (default 3e-4)")
    r.add_argument(
        "--seed", type=int, default=0, help="training seed, i.e. the batch order (default 0)"
    )
    r.add_argument(
        "--suspect-seed",
        type=int,
        help="re-train only the two suspects with this seed and judge them against the "
        "unchanged panel of --seed (another training draw; controls and their answers reused)",
    )
    r.add_argument(
        "--train-jobs",
        type=int,
        default=1,
        help="students trained at once, one process and one torch thread each (default 1)",
    )
    r.add_argument(
        "--precision",
        choices=PRECISIONS,
        default="bf16",
        help="training arithmetic: bf16 autocast (the default recipe, runs A-J; on a CPU "
        "without native bfloat16 its matrix products run as float32 products of the bf16 "
        "operands, harness/lab/bf16.py) or float32 (another recipe: students named -fp32; "
        "the committed panels of runs A-J are bf16, so with --panel-corpus fp32 suspects "
        "differ from their panel in precision too; default bf16)",
    )
    r.add_argument(
        "--selection",
        default="core",
        choices=("core", "smoke", "full"),
        help="probe selection (default core, 95 probes; full: all 295)",
    )
    r.add_argument("--probe-limit", type=int, help="only the first N probes per run (smoke)")
    r.add_argument(
        "--port-base",
        type=int,
        default=8091,
        help="first port for students new to the lab dir (default 8091; busy ones are skipped, "
        "and a lab dir keeps its students' ports in ports.json)",
    )
    r.add_argument("--export-corpus", help="also write every answer to this .jsonl.gz corpus")
    r.add_argument(
        "--export-models",
        help="comma-separated models: export only their answers (e.g. run H's four corpus "
        "control students, to re-score run G's corpora with them: `lab evaluate A B`)",
    )
    r.add_argument("--json", action="store_true", help="print the report as JSON")
    _collection_options(r)
    r.set_defaults(func=_run)
    c = sub.add_parser(
        "collect",
        help="only collect the sources' answers to the first N lab prompts (resumable)",
        description="Ask every model source the first N lab prompts it has not answered yet, "
        "storing each answer as it arrives, so a later `lab run --prompts N` (with the same "
        "--suspect-self-prompts / --control-corpus / --panel-corpus) starts training at once.",
    )
    c.add_argument("--lab-dir", help="working directory (default ~/.cache/fingerprint/lab)")
    c.add_argument("--prompts", type=int, help="first N lab prompts (default: the whole bank)")
    _collection_options(c)
    c.add_argument(
        "--export-data",
        help="then write every answer the lab store holds to this .jsonl[.gz] file, which "
        "`--data` loads on another machine (greedy answers of the same local models)",
    )
    c.set_defaults(func=_collect)
    e = sub.add_parser(
        "evaluate",
        help="verdicts of a lab answers corpus (.jsonl[.gz])",
        description="Re-score a lab corpus. Several corpora are merged by model (each model "
        "from the first file holding it; a model answering differently in two files is "
        "refused), e.g. a run G corpus plus run H's corpus of the four corpus control students.",
    )
    e.add_argument("corpus", nargs="+")
    fmt = e.add_mutually_exclusive_group()
    fmt.add_argument("--json", action="store_true", help="print the evaluation as JSON")
    fmt.add_argument(
        "--markdown",
        action="store_true",
        help="print the tables docs/lab.md shows (verdicts, feature standing, p versus probes)",
    )
    e.add_argument(
        "--attribution-features",
        metavar="F1,F2",
        help="score attribution candidates on these features only (default char4,word2, "
        "attribution v7, docs/lab.md; 'all': every scored feature, the pre-v7 rule); verdicts "
        "are unchanged",
    )
    e.set_defaults(func=_evaluate)
    s = sub.add_parser("stop", help="stop the student servers the lab started")
    s.add_argument(
        "--lab-dir",
        help="the lab directory they were started from (default ~/.cache/fingerprint/lab)",
    )
    s.set_defaults(func=_stop)


def _collection_options(parser) -> None:
    """Options that decide what a run collects: `lab collect` takes them too, so it collects
    exactly what the run will need (e.g. run K's two sources and self prompts only)."""
    parser.add_argument(
        "--suspect-self-prompts",
        type=int,
        default=0,
        help="add the first N self prompts (questions about the assistant itself, "
        "harness/lab/self_prompts.py) to the two suspects' data only, against the unchanged "
        "panel (run I, docs/lab.md; default 0)",
    )
    parser.add_argument(
        "--control-corpus",
        help="answer corpus (directory with responses.jsonl.gz, or the file) holding the four "
        "open instruction models whose students join the panel (run H, docs/lab.md)",
    )
    parser.add_argument(
        "--panel-corpus",
        action="append",
        help="committed lab corpus (repeatable; merged by model) whose teacher and controls "
        "judge re-trained suspects: only the two suspects are trained, served and probed "
        "(run J, docs/lab.md); use the recipe the corpus's panel was trained with",
    )
    parser.add_argument(
        "--data",
        action="append",
        help="lab answers another machine collected (`lab collect --export-data`; "
        "repeatable), loaded into the lab store before collecting, so only what they lack "
        "is asked",
    )


def _lab_dir(args) -> Path:
    from harness.lab.experiment import LabConfig

    return Path(args.lab_dir) if args.lab_dir else LabConfig().lab_dir


def _print(evaluation: dict) -> None:
    from harness.lab.evaluate import attributed_to, standing
    from harness.report.fmt import STANDING_LABEL

    for view, ev in evaluation.items():
        print(f"{view}: {ev['n_prompts']} probes")
        for s, v in ev["verdicts"].items():
            att = attributed_to(ev["attribution"][s])
            print(
                f"  {s:<20} {v['outcome']:<14} p = {v['p']:.3g}  t = {v['t']:.2f}  "
                f"controls = {v['n_controls']}  attributed to: {att}"
            )
        on = next(iter(ev["attribution"].values()), {}).get("scored_on", [])
        if on:  # empty when no attribution was tested (too few controls)
            print(f"  attribution scored on {', '.join(on)} (--attribution-features)")
        print(f"  {STANDING_LABEL}:")
        for s in ev["verdicts"]:
            print(f"    {s}: " + "; ".join(standing(ev, s)))


def _n_prompts(requested: int | None) -> int:
    """The first N prompts of the bank; more than it holds is refused, not silently cut."""
    from harness.lab.prompts import lab_prompts

    size = len(lab_prompts())
    n = size if requested is None else requested
    if not 1 <= n <= size:
        raise InputError(f"--prompts {n}: the lab's prompt bank holds 1..{size} prompts")
    return n


def _n_self(requested: int) -> int:
    from harness.lab.self_prompts import self_prompts

    size = len(self_prompts())
    if not 0 <= requested <= size:
        raise InputError(f"--suspect-self-prompts {requested}: there are 0..{size} self prompts")
    return requested


def _experiment():
    """harness.lab.experiment, or one line naming the extra it needs."""
    try:
        from harness.lab import experiment
    except ImportError as exc:  # pragma: no cover - depends on the installed extras
        raise InputError(f"{NEEDS_EXTRA} ({exc})") from exc
    return experiment


def _load_data(paths: list[str] | None, lab_dir: Path) -> None:
    """`--data`: every file is read and checked before any answer is stored, so one bad file
    leaves the lab store as it was."""
    from harness.lab.data import read_answers, store_answers

    loaded = [(path, read_answers(Path(path))) for path in paths or ()]
    for path, records in loaded:
        added = store_answers(lab_dir / "data.sqlite", records)
        print(f"{path}: {len(records)} answers, {added} new to the lab store")


def _collect(args) -> int:
    n_prompts = _n_prompts(args.prompts)  # bad input is refused before anything starts
    lab = _experiment()
    cfg = lab.LabConfig(
        lab_dir=_lab_dir(args),
        n_prompts=n_prompts,
        suspect_self_prompts=_n_self(args.suspect_self_prompts),
        control_corpus=_control_corpus(args.control_corpus),
    )
    cfg = replace(cfg, panel_corpus=_panel_corpus(args.panel_corpus, args.control_corpus, cfg)[0])
    if args.export_data:
        _writable("--export-data", args.export_data)
    _load_data(args.data, cfg.lab_dir)
    _servers, sizes = lab.collect_data(cfg)
    for name, size in sizes.items():
        print(
            f"{name:<20} {size['answers']} answers, {size['chars']} characters, "
            f"{size['cut_at_max_tokens']} cut at max tokens"
        )
    if args.export_data:
        from harness.lab.data import export_answers

        n = export_answers(cfg.lab_dir / "data.sqlite", Path(args.export_data))
        print(f"wrote {n} answers to {args.export_data}")
    return 0


def _run(args) -> int:
    n_prompts = _n_prompts(args.prompts)  # bad input is refused before anything starts
    if args.suspect_seed is not None and args.suspect_seed == args.seed:
        raise InputError(
            f"--suspect-seed {args.suspect_seed} equals --seed: that is the run itself, not "
            "another draw of its suspects"
        )
    n_self = _n_self(args.suspect_self_prompts)
    if not 1 <= args.port_base <= 65535:
        raise InputError(f"--port-base {args.port_base}: a port is 1-65535")
    lab = _experiment()
    cfg = lab.LabConfig(
        lab_dir=_lab_dir(args),
        n_prompts=n_prompts,
        epochs=args.epochs,
        train_layers=args.train_layers,
        lr=args.lr,
        seed=args.seed,
        suspect_seed=args.suspect_seed,
        suspect_self_prompts=n_self,
        train_jobs=args.train_jobs,
        selection=args.selection,
        probe_limit=args.probe_limit,
        port_base=args.port_base,
        control_corpus=_control_corpus(args.control_corpus),
    )
    corpora, panel = _panel_corpus(args.panel_corpus, args.control_corpus, cfg)
    cfg = replace(cfg, panel_corpus=corpora, precision=args.precision)
    models = _export_plan(args, (lab.TEACHER, *cfg.suspects, *(panel or cfg.controls)))
    _load_data(args.data, cfg.lab_dir)
    report = lab.run_lab(cfg)
    if args.export_corpus:
        from harness.lab.evaluate import export_corpus

        run_dir = Path(report["runs"]["lab-persona"])
        n = export_corpus(run_dir, Path(args.export_corpus), models, cfg)
        print(f"wrote {n} answers to {args.export_corpus}")
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print(report["evaluation"])
        print(f"report: {cfg.lab_dir / lab.report_name(cfg)}")
    return 0


def _export_plan(args, run_models) -> list[str] | None:
    """`--export-corpus` / `--export-models`, checked before anything starts: the export is
    written after training and probing, so a bad target must not surface an hour later."""
    if args.export_corpus:
        _writable("--export-corpus", args.export_corpus)
    if not args.export_models:
        return None
    if not args.export_corpus:
        raise InputError("--export-models needs --export-corpus (where to write them)")
    return known_names("--export-models", args.export_models, run_models, "this run's models")


def _writable(option: str, path: str) -> None:
    """A file the command writes at its end, checked before anything starts."""
    target = Path(path)
    try:  # a real write: permission bits say little when running as root
        if target.is_dir():
            raise IsADirectoryError(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=target.parent).close()
    except OSError as exc:
        raise InputError(
            f"{option} {path}: cannot write a file there ({exc.strerror or type(exc).__name__})"
        ) from exc


def _control_corpus(path: str | None) -> Path | None:
    """The control corpus, checked before anything starts: it must hold every corpus model."""
    if path is None:
        return None
    from harness.lab.data import corpus_pairs
    from harness.lab.experiment import CORPUS_CONTROLS

    for s in CORPUS_CONTROLS:
        if not corpus_pairs(Path(path), s.corpus):
            raise InputError(f"{path}: no usable answers from {s.corpus}")
    return Path(path)


def _panel_corpus(
    paths: list[str] | None, control_corpus: str | None, cfg
) -> tuple[tuple[Path, ...], list[str]]:
    """The panel corpora and the lab controls they hold, checked before anything starts: they
    must hold the teacher and enough controls for a verdict, and have been asked the probes
    this run will ask (an hour of training must not end in that error)."""
    if not paths:
        return (), []
    if control_corpus:
        raise InputError(
            "--control-corpus trains run H's corpus students, --panel-corpus takes the panel's "
            "answers from a committed corpus: give one of them"
        )
    from harness.corpus import merged_records
    from harness.detector.verdict import MIN_CONTROLS
    from harness.lab.evaluate import CONTROLS, refuse_changed
    from harness.lab.experiment import TEACHER, asked_texts

    corpora = tuple(Path(p) for p in paths)
    records = merged_records(corpora)
    held = {r["model"] for r in records}
    if TEACHER not in held:
        raise InputError(f"--panel-corpus: no answers from the teacher {TEACHER}")
    controls = [m for m in CONTROLS if m in held]
    if len(controls) < MIN_CONTROLS:
        raise InputError(
            f"--panel-corpus: {len(controls)} lab controls, a verdict needs {MIN_CONTROLS}"
        )
    refuse_changed(records, asked_texts(cfg).items())
    return corpora, controls


def _evaluate(args) -> int:
    from harness.corpus import load_merged
    from harness.lab.evaluate import evaluate_answers

    feats = attribution_features(args.attribution_features)
    evaluation = evaluate_answers(load_merged(args.corpus), attribution_features=feats)
    if args.json:
        from harness.jsonable import json_ready

        print(json.dumps(json_ready(evaluation), indent=2, allow_nan=False))
    elif args.markdown:
        from harness.lab.evaluate import markdown

        print(markdown(evaluation))
    else:
        _print(evaluation)
    return 0


def _stop(args) -> int:
    from harness.lab import serve

    print("stopped: " + (", ".join(serve.stop(_lab_dir(args))) or "nothing"))
    return 0
