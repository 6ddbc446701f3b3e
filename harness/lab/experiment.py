"""The whole lab in one call: data -> students -> GGUF -> servers -> `fingerprint run` -> verdicts.

Roles (see docs/lab.md for why this panel):
- reference: the teacher, a local model (qwen2.5-coder-0.5b);
- suspects: `student-teacher` (trained on the teacher's answers) and `student-gemma`, the
  matched control student (same base, recipe and prompts, answers by gemma3-270m);
- controls: the two other local models and five more control students trained the same way on
  answers nobody took from the teacher (smollm2 greedy, smollm2 sampled at T=1, human-written,
  gemma3-270m sampled at T=1, a second human-written answer set); the gemma T=1 student stays
  out of `student-gemma`'s panel (its sibling, see `evaluate.panel`). Given an answer corpus
  (`control_corpus`, run H), four more control students taught by open instruction models of
  that corpus (`CORPUS_CONTROLS`).

Every step is resumable: stored answers are not asked again, finished students are not trained
again, live student servers are reused.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from harness.lab.data import HUMAN_ALT, Source
from harness.lab.train import TrainConfig

DEFAULT_TRAIN = TrainConfig()

TEACHER = "qwen2.5-coder-0.5b"
LOCAL_CONTROLS = ("smollm2-135m", "gemma3-270m")
# Run H (docs/lab.md): four more control students, taught by open-weight (Apache-2.0)
# instruction models of an external answer corpus (the development corpus's AlpacaEval answers),
# none of them tied to either attribution candidate. They exist only when a run is given that
# corpus (`LabConfig.control_corpus`); runs A-G are unchanged without it.
CORPUS_CONTROLS = (
    Source("student-mistral", "", corpus="Mistral-7B-Instruct-v0.2"),
    Source("student-mixtral", "", corpus="Mixtral-8x7B-Instruct-v0.1"),
    Source("student-oasst", "", corpus="oasst-sft-pythia-12b"),
    Source("student-falcon", "", corpus="falcon-40b-instruct"),
)


@dataclass(frozen=True)
class LabConfig:
    """What one lab run does; the defaults are the documented experiment."""

    lab_dir: Path = Path.home() / ".cache" / "fingerprint" / "lab"
    n_prompts: int = 96
    epochs: int = 1
    # The training recipe beyond data size and epochs (run D, docs/lab.md). The defaults are
    # runs A-C's recipe; a student (and a report) of any other recipe gets its own name, so
    # cached students and reports of earlier runs are never overwritten or reused by mistake.
    train_layers: int = DEFAULT_TRAIN.train_layers
    lr: float = DEFAULT_TRAIN.lr
    # Training seed: the batch order (every student starts from the same base weights; run F
    # re-trained run E's recipe with seed 1).
    seed: int = DEFAULT_TRAIN.seed
    # Another training draw of the two suspects only (run G's seed check): they are re-trained
    # with this seed while the five control students, the panel, keep `seed` and are reused.
    suspect_seed: int | None = None
    # Run I (docs/lab.md): the first N self prompts (`self_prompts.py`, questions about the
    # assistant itself) join the two suspects' data, answered by each suspect's own source;
    # the panel is the plain run's, reused.
    suspect_self_prompts: int = 0
    train_jobs: int = 1  # students trained at once (separate processes): speed only
    precision: str = DEFAULT_TRAIN.precision  # bf16 (runs A-J) or fp32 (`train.PRECISIONS`)
    max_tokens: int = 128
    selection: str = "core"
    probe_limit: int | None = None  # only the first N probes per view (tiny configurations)
    port_base: int = 8091
    # An answer corpus (directory with responses.jsonl.gz, or the file) holding the models of
    # CORPUS_CONTROLS: adds their four students to the panel (run H).
    control_corpus: Path | None = None
    # Re-drawn suspects judged against a committed panel (docs/lab.md, run J): only the two
    # suspects are collected for, trained, served and probed; the teacher's and every control's
    # answers come from these corpora, merged by model as `lab evaluate` merges them. A seed
    # check then needs no control student on the machine (hours of training saved).
    panel_corpus: tuple[Path, ...] = ()
    sources: tuple[Source, ...] = field(
        default_factory=lambda: (
            Source("student-teacher", TEACHER),
            Source("student-gemma", "gemma3-270m"),
            Source("student-smollm", "smollm2-135m"),
            Source("student-smollm-t1", "smollm2-135m", 1.0),
            Source("student-human", ""),
            # Added for run C (docs/lab.md): two more control sources, so that the distilled
            # student faces 7 controls. gemma3-270m sampled at T = 1 (a second gemma draw; kept
            # out of student-gemma's own panel, it is its sibling) and a second human answer set.
            Source("student-gemma-t1", "gemma3-270m", 1.0),
            Source("student-human-alt", "", human=HUMAN_ALT),
        )
    )

    @property
    def students(self) -> tuple[Source, ...]:
        """Every student this run trains: `sources`, plus the corpus controls when given one;
        with a panel corpus only the two suspects."""
        if self.panel_corpus:
            return self.sources[:2]
        return self.sources + (CORPUS_CONTROLS if self.control_corpus else ())

    @property
    def suspects(self) -> tuple[str, ...]:
        return tuple(s.name for s in self.sources[:2])

    @property
    def controls(self) -> tuple[str, ...]:
        """The panel this run probes (none with a panel corpus: its answers are committed)."""
        return () if self.panel_corpus else controls_of(self.students)


def controls_of(students: tuple[Source, ...]) -> tuple[str, ...]:
    """The panel of a lab run whose students are `students`: the two local models and every
    student but the first two (the suspects), in the order they were added."""
    return (*LOCAL_CONTROLS, *(s.name for s in students[2:]))


def _data_source(s: Source) -> Source:
    """The store endpoint name of a student's training data (one per model and temperature)."""
    if s.corpus:
        return s
    if not s.model:
        return Source(s.human, "", human=s.human)
    return Source(
        s.model if s.temperature == 0 else f"{s.model}@t{s.temperature:g}", s.model, s.temperature
    )


def run_config(
    cfg: LabConfig,
    servers: dict,
    student_urls: dict[str, str],
    variants: bool,
    student_models: dict[str, str] | None = None,
):
    """The `fingerprint run` config: teacher, two suspects, five controls, the probe suites."""
    from harness.config import EndpointSpec, ProbeSelection, RunConfig

    endpoints = {}
    # With a panel corpus the local controls' answers are committed ones: only the teacher is
    # probed, so the report can say whether its answers still match the corpus's.
    for name in (TEACHER,) if cfg.panel_corpus else (TEACHER, *LOCAL_CONTROLS):
        info = servers[name]
        endpoints[name] = EndpointSpec(
            name=name,
            kind="openai-chat" if info.api == "chat" else "openai-completions",
            base_url=info.base_url.rstrip("/") + "/v1",
            model=name,
            concurrency=4,
            timeout_s=600.0,
        )
    for name, url in student_urls.items():
        endpoints[name] = EndpointSpec(
            name=name,
            kind="openai-chat",
            base_url=url,
            model=(student_models or {}).get(name, name),
            concurrency=4,
            timeout_s=600.0,
        )
    return RunConfig(
        name="lab-persona" if variants else "lab",
        reference=TEACHER,
        suspects=cfg.suspects,
        controls=cfg.controls,
        endpoints=endpoints,
        probes=ProbeSelection(selection=cfg.selection, variants=variants, limit=cfg.probe_limit),
        seed=0,
    )


def asked_texts(cfg: LabConfig) -> dict[str, str]:
    """Probe id -> the prompt text a lab run's probe runs ask (as the store records it), for
    checking a panel corpus against the suites before anything starts."""
    from harness.probes import load_suites, select
    from harness.runner import build_request
    from harness.store import prompt_text

    probes = select(load_suites(), cfg.selection, variants=True)
    return {p.id: prompt_text(build_request(p, "openai-chat", 0).canonical_json()) for p in probes}


def collect_data(cfg: LabConfig, *, log=print, timings: dict | None = None):
    """Start the local models and store every source's answers to the first `n_prompts` lab
    prompts (answers already stored are not asked again). Returns (servers, data sizes).

    Separate from `run_lab` so collection, the slowest step for a large bank, can run ahead
    (`fingerprint lab collect`) and a later run starts training at once.
    """
    from harness import local
    from harness.lab import data

    timings = {} if timings is None else timings
    cfg.lab_dir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    local.install([TEACHER, *LOCAL_CONTROLS])
    servers = {s.name: s for s in local.start([TEACHER, *LOCAL_CONTROLS])}
    timings["servers_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    store = cfg.lab_dir / "data.sqlite"
    log(f"collecting {cfg.n_prompts} answers per source")
    sources = [_data_source(s) for s in cfg.students]
    data.collect(store, sources, servers, n_prompts=cfg.n_prompts, max_tokens=cfg.max_tokens)
    n_self = cfg.suspect_self_prompts
    taught = [_data_source(s) for s in cfg.students if s.name in cfg.suspects] if n_self else []
    if taught:
        log(f"collecting {n_self} self prompts per suspect source")
        data.collect(store, taught, servers, n_prompts=0, n_self=n_self, max_tokens=cfg.max_tokens)
    rest = [s for s in sources if s not in taught]
    sizes = data.describe_n(store, rest, cfg.n_prompts, cfg.control_corpus)
    sizes |= data.describe_n(store, taught, cfg.n_prompts, None, n_self)
    timings["collect_s"] = time.perf_counter() - t0
    return servers, sizes


def run_lab(cfg: LabConfig, *, log=print) -> dict:
    """Run (or resume) the whole experiment; returns and writes `<lab_dir>/report-n*-e*.json`."""
    from harness.corpus import answers_from_records
    from harness.lab import data, serve
    from harness.lab.evaluate import evaluate_answers, run_records, teacher_drift
    from harness.lab.export import write_student_gguf
    from harness.lab.train import BASE_GGUF
    from harness.pipeline import run

    timings: dict[str, float] = {}
    servers, sizes = collect_data(cfg, log=log, timings=timings)
    models_dir = Path(servers[LOCAL_CONTROLS[0]].model_path).parent
    store = cfg.lab_dir / "data.sqlite"

    tcfgs = {s.name: train_config(cfg, s.name) for s in cfg.students}
    outs = {s.name: cfg.lab_dir / "students" / student_dir(cfg, s.name) for s in cfg.students}
    jobs = {}
    for s in cfg.students:
        n_self = _student_cfg(cfg, s.name).suspect_self_prompts
        pairs = data.training_pairs(
            store, _data_source(s), cfg.n_prompts, cfg.control_corpus, n_self
        )
        log(f"{s.name}: {len(pairs)} training answers")
        jobs[s.name] = pairs
    t0 = time.perf_counter()
    training = _train_all(jobs, outs, models_dir, tcfgs, cfg.train_jobs, log)
    timings["train_s"] = time.perf_counter() - t0
    ggufs = {}
    for s in cfg.students:
        out = outs[s.name]
        gguf = out / f"{s.name}.gguf"
        if not gguf.exists():
            import torch

            weights = torch.load(out / "student.pt", weights_only=False)["weights"]
            write_student_gguf(models_dir / BASE_GGUF, weights, gguf, s.name)
        ggufs[s.name] = gguf

    urls = serve.start(cfg.lab_dir, {n: ggufs[n] for n in port_order(ggufs)}, cfg.port_base)
    results = {}
    for variants in (False, True):
        t0 = time.perf_counter()
        models = {n: serve.model_id(g) for n, g in ggufs.items()}
        config = run_config(cfg, servers, urls, variants, models)
        res = run(
            config,
            results=cfg.lab_dir / "results",
            cache=cfg.lab_dir / "cache.sqlite",
            show_progress=False,
        )
        timings[f"probe_{config.name}_s"] = time.perf_counter() - t0
        results[config.name] = res.run_dir.path
    # The persona run holds both views; with a panel corpus, joined to the corpus's answers.
    records = run_records(results["lab-persona"], cfg)
    report = {
        "config": json.loads(json.dumps(asdict(cfg), default=str)),
        "train_config": asdict(train_config(cfg)),  # the panel's; `config` has suspect_seed
        "data": sizes,
        "training": training,
        "timings_s": {k: round(v, 1) for k, v in timings.items()},
        "runs": {k: str(v) for k, v in results.items()},
        "evaluation": evaluate_answers(answers_from_records(records)),
    }
    if cfg.panel_corpus:
        report["teacher_vs_panel_corpus"] = teacher_drift(results["lab-persona"], records)
    (cfg.lab_dir / report_name(cfg)).write_text(json.dumps(report, indent=2))
    return report


def train_config(cfg: LabConfig, name: str | None = None) -> TrainConfig:
    """The training recipe of a lab run: identical for every student but for the seed of the
    suspects when `suspect_seed` re-draws them."""
    return TrainConfig(
        epochs=cfg.epochs,
        max_answer_tokens=cfg.max_tokens,
        train_layers=cfg.train_layers,
        lr=cfg.lr,
        seed=_student_cfg(cfg, name).seed,
        precision=cfg.precision,
    )


def _student_cfg(cfg: LabConfig, name: str | None) -> LabConfig:
    """The recipe one student is trained with: a re-drawn suspect's carries its own seed, and
    only the suspects keep `suspect_self_prompts` (the panel is the plain run's)."""
    if name in cfg.suspects:
        seed = cfg.seed if cfg.suspect_seed is None else cfg.suspect_seed
        return replace(cfg, seed=seed, suspect_seed=None)
    return replace(cfg, suspect_seed=None, suspect_self_prompts=0)


def recipe_tag(cfg: LabConfig) -> str:
    """`n<prompts>-e<epochs>`, plus `-l<layers>` / `-lr<lr>` / `-s<seed>` when they differ
    from runs A-C, `-self<N>` with self prompts, `-ss<seed>` for a re-draw of the suspects and
    `-fp32` for a float32 recipe."""
    tag = f"n{cfg.n_prompts}-e{cfg.epochs}"
    if cfg.train_layers != DEFAULT_TRAIN.train_layers:
        tag += f"-l{cfg.train_layers}"
    if cfg.lr != DEFAULT_TRAIN.lr:
        tag += f"-lr{cfg.lr:g}"
    if cfg.seed != DEFAULT_TRAIN.seed:
        tag += f"-s{cfg.seed}"
    if cfg.suspect_self_prompts:
        tag += f"-self{cfg.suspect_self_prompts}"
    if cfg.suspect_seed is not None:
        tag += f"-ss{cfg.suspect_seed}"
    if cfg.precision != DEFAULT_TRAIN.precision:
        tag += f"-{cfg.precision}"
    return tag


def student_dir(cfg: LabConfig, name: str) -> str:
    """A student's folder (and its server's model id), e.g. `student-teacher-n258-e3-l30`.

    With `suspect_seed`, a suspect's folder is that of its own recipe (`...-s1`) and a control
    student's is the plain run's, so the re-draw reuses the panel's students and cached answers.
    """
    return f"{name}-{recipe_tag(_student_cfg(cfg, name))}"


def _train_one(pairs, out, models_dir, tcfg) -> dict:
    from harness.lab.train import train

    return train(pairs, out, models_dir, tcfg, log=lambda m: print(f"{out.name}: {m}", flush=True))


def _train_all(jobs: dict, outs: dict, models_dir: Path, tcfgs: dict, n_jobs: int, log) -> dict:
    """Train every student, `n_jobs` at a time (one process each, one torch thread each).

    `tcfgs` holds each student's recipe (the same for all but a re-drawn suspect's seed);
    parallelism only changes the wall time. Finished students are returned from their
    summaries by `train` itself, so a resumed run skips them."""
    if n_jobs <= 1:
        from harness.lab.train import train

        return {n: train(p, outs[n], models_dir, tcfgs[n], log=log) for n, p in jobs.items()}
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    ctx = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=n_jobs, mp_context=ctx) as pool:
        futures = {
            n: pool.submit(_train_one, p, outs[n], models_dir, tcfgs[n]) for n, p in jobs.items()
        }
        return {n: f.result() for n, f in futures.items()}


def port_order(names) -> list[str]:
    """Serving order (student i is offered port_base + i): the five students of runs A and B
    in alphabetical order, as they were served then, and students added later after them. The
    port is part of an endpoint's identity, so this keeps their cached probe answers valid in
    lab dirs made before `serve.assign_ports` kept each lab's ports in `ports.json`."""
    first = sorted(n for n in names if n in FIRST_FIVE)
    return first + [n for n in names if n not in FIRST_FIVE]


FIRST_FIVE = (
    "student-teacher",
    "student-gemma",
    "student-smollm",
    "student-smollm-t1",
    "student-human",
)


def report_name(cfg: LabConfig) -> str:
    """One report per recipe and probe selection, so no run overwrites another's report."""
    sel = "" if cfg.selection == "core" else f"-{cfg.selection}"
    panel = "-corpus" if cfg.control_corpus else "-panel" if cfg.panel_corpus else ""
    return f"report-{recipe_tag(cfg)}{sel}{panel}.json"
