"""The distillation lab: its data is not the test, its export is exact, and its verdicts hold.

The corpus test re-runs the detector on the committed answers of the lab's students (see
docs/lab.md for how they were made) and checks the verdicts the docs report.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import re
from pathlib import Path

import pytest

from harness.lab.prompts import lab_prompts
from harness.probes import load_suites, select

LAB_DATA = Path(__file__).parent / "data" / "lab"
CORPUS = LAB_DATA / "answers-n96-e1.jsonl.gz"  # run A: 96 prompts, 1 epoch
CORPUS_B = LAB_DATA / "answers-n160-e2.jsonl.gz"  # run B: 160 prompts, 2 epochs
CORPUS_C = LAB_DATA / "answers-n96-e1-c7.jsonl.gz"  # run C: run A's recipe, 7 controls
# run D: 258 prompts, 2 epochs, top 12 of 30 blocks trained, 7 controls
CORPUS_D = LAB_DATA / "answers-n258-e2-l12-c7.jsonl.gz"
# run E: run D's recipe as a full fine-tune (all 30 blocks trained), 7 controls
CORPUS_E = LAB_DATA / "answers-n258-e2-l30-c7.jsonl.gz"
CORPUS_F = LAB_DATA / "answers-n258-e2-l30-s1-full-c7.jsonl.gz"
# run G (pre-registered): 1,000 prompts, 2 epochs, 12 blocks, seed 0
CORPUS_G = LAB_DATA / "answers-n1000-e2-l12-c7.jsonl.gz"
# run G's seed check: its two suspects re-trained with seed 1, the same seed-0 panel
CORPUS_G1 = LAB_DATA / "answers-n1000-e2-l12-ss1-c7.jsonl.gz"
CORPUS_G2 = LAB_DATA / "answers-n1000-e2-l12-ss2-c7.jsonl.gz"  # a third draw, seed 2
CORPUS_G3 = LAB_DATA / "answers-n1000-e2-l12-ss3-c7.jsonl.gz"  # seeds 3-4: pre-registered
CORPUS_G4 = LAB_DATA / "answers-n1000-e2-l12-ss4-c7.jsonl.gz"
CORPUS_G5 = LAB_DATA / "answers-n1000-e2-l12-ss5-c7.jsonl.gz"  # seeds 5-6: pre-registered
CORPUS_G6 = LAB_DATA / "answers-n1000-e2-l12-ss6-c7.jsonl.gz"
# run H (pre-registered): the four corpus control students' answers only; merged with each of
# run G's seven corpora, they grow its panel from 7 to 11 controls
CORPUS_H4 = LAB_DATA / "answers-n1000-e2-l12-h4.jsonl.gz"
# run I (pre-registered): run H's panel, suspects re-trained with 40 self prompts added to their
# data (seed 0 and a second draw, seed 1); full corpora, 11 controls each
CORPUS_I = LAB_DATA / "answers-n1000-e2-l12-self40-c11.jsonl.gz"
CORPUS_I1 = LAB_DATA / "answers-n1000-e2-l12-self40-ss1-c11.jsonl.gz"
CORPUS_I2 = LAB_DATA / "answers-n1000-e2-l12-self40-ss2-c11.jsonl.gz"  # added after seeds 0-1
# Run J (session 10, pre-registered): fresh training draws of the two suspects only, judged
# against committed panels (`lab run --panel-corpus`): J1 = run I's recipe, seed 3, run I's panel.
CORPUS_J1 = LAB_DATA / "answers-n1000-e2-l12-self40-ss3-j.jsonl.gz"
# J2 = run G's recipe (no self prompts), seed 7, run H's panel (run G's corpus + the -h4 one).
CORPUS_J2 = LAB_DATA / "answers-n1000-e2-l12-ss7-h-j.jsonl.gz"
# Run K (session 11, pre-registered): more fresh draws of J1's recipe against run I's panel,
# suspect seeds 4, 5, 6, trained from the committed sources' answers (`lab run --data`).
CORPUS_K1 = LAB_DATA / "answers-n1000-e2-l12-self40-ss4-k.jsonl.gz"
CORPUS_K2 = LAB_DATA / "answers-n1000-e2-l12-self40-ss5-k.jsonl.gz"
CORPUS_K3 = LAB_DATA / "answers-n1000-e2-l12-self40-ss6-k.jsonl.gz"
CORPUS_L1 = LAB_DATA / "answers-n1000-e2-l12-self40-ss7-l.jsonl.gz"
CORPUS_L2 = LAB_DATA / "answers-n1000-e2-l12-self40-ss8-l.jsonl.gz"
CORPUS_L3 = LAB_DATA / "answers-n1000-e2-l12-self40-ss9-l.jsonl.gz"

# Neither a candidate (qwen, gemma3-270m) nor a student of one: the attribution panel.
INDEPENDENT = [
    "smollm2-135m",
    "student-smollm",
    "student-smollm-t1",
    "student-human",
    "student-human-alt",
]


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z]+", text.lower()))


def _assert_refused(capsys, argv: list[str], expect: str, lab: Path) -> None:
    """`fingerprint lab ...` refused before anything starts: exit 2, one error line naming the
    problem, no traceback, nothing written to the lab directory."""
    from harness.cli import main

    assert main([*argv, "--lab-dir", str(lab)]) == 2
    err = capsys.readouterr().err
    assert expect in err and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert not lab.exists() or not any(lab.iterdir())


def _probe_user_texts() -> list[str]:
    return [
        m.content
        for p in select(load_suites(None), "full", variants=False)
        for m in p.messages
        if m.role == "user"
    ]


def test_lab_prompts_are_not_probes():
    """Distillation data must not be the test: no lab prompt is (nearly) a probe prompt."""
    probes = _probe_user_texts()
    prompts = lab_prompts()
    assert len(prompts) >= 200 and len({p.id for p in prompts}) == len(prompts)
    for lp in prompts:
        a = _words(lp.text)
        for text in probes:
            b = _words(text)
            overlap = len(a & b) / max(1, len(a | b))
            assert overlap < 0.8, (lp.text, text)


def test_self_prompts_are_not_probes():
    """Run I's self prompts ask what the identity suite asks, so they are held to a stricter
    rule than the bank: at most half their words shared with any probe (Chinese ones: their
    character pairs), and no id shared with the bank."""
    from harness.lab.self_prompts import self_prompts

    def units(text: str) -> set[str]:
        words = _words(text)
        if words:
            return words
        chars = [c for c in text if c.isalnum()]
        return {a + b for a, b in zip(chars, chars[1:], strict=False)}

    probes = [units(t) for t in _probe_user_texts()]
    prompts = self_prompts()
    assert len(prompts) == 40 and len({p.text for p in prompts}) == 40
    assert not {p.id for p in prompts} & {p.id for p in lab_prompts()}
    for sp in prompts:
        a = units(sp.text)
        assert a, sp.text
        for b in probes:
            assert len(a & b) / len(a | b) <= 0.5, (sp.text, b)


@pytest.mark.parametrize("n", ["-1", "41"])
def test_lab_refuses_more_self_prompts_than_there_are(n, tmp_path, capsys):
    args = ["lab", "run", "--prompts", "8", "--suspect-self-prompts", n]
    _assert_refused(capsys, args, f"--suspect-self-prompts {n}: there are 0..40", tmp_path)


def test_self_prompts_join_only_the_suspects_data(tmp_path):
    """Run I: the two suspects get their own students (new folders, so nothing of run G's
    suspects is reused) trained on the bank's prefix plus the self prompts; the panel keeps run
    G's folders; human sources have no self answers, which is an error, not a silent skip."""
    from harness.errors import InputError
    from harness.lab.data import Source, training_pairs
    from harness.lab.experiment import LabConfig, report_name, student_dir

    g = LabConfig(n_prompts=1000, epochs=2, train_layers=12)
    i = LabConfig(n_prompts=1000, epochs=2, train_layers=12, suspect_self_prompts=40)
    for s in i.suspects:
        assert student_dir(i, s) == f"{s}-n1000-e2-l12-self40"
    for c in ("student-smollm", "student-human", "student-gemma-t1"):
        assert student_dir(i, c) == student_dir(g, c)
    assert report_name(i) == "report-n1000-e2-l12-self40.json"
    i1 = LabConfig(n_prompts=1000, epochs=2, train_layers=12, suspect_self_prompts=40,
                   suspect_seed=1)  # fmt: skip
    assert student_dir(i1, "student-teacher") == "student-teacher-n1000-e2-l12-s1-self40"
    assert report_name(i1) == "report-n1000-e2-l12-self40-ss1.json"
    with pytest.raises(InputError, match="self prompts have no human or corpus answers"):
        training_pairs(tmp_path / "unused.sqlite", Source("human", ""), 3, None, 2)


def test_lab_prompts_have_human_answers_and_mixed_prefixes():
    prompts = lab_prompts()
    assert len(prompts) >= 1000
    assert all(p.human.strip() for p in prompts)
    # The second human answer set (student-human-alt) is written for every prompt, differently.
    assert all(p.alt.strip() and p.alt != p.human for p in prompts)
    # Both blocks are shuffled on their own: a prefix of either mixes every kind.
    for start in (0, 258):
        kinds = {p.id.split(".")[1] for p in prompts[start : start + 40]}
        assert kinds == {"topic", "math", "words", "code"}, start


def test_lab_refuses_a_suspect_seed_equal_to_the_seed(tmp_path, capsys):
    """A re-draw with the run's own seed would silently re-score the same students: refused in
    one line before anything starts."""
    args = ["lab", "run", "--prompts", "8", "--seed", "3", "--suspect-seed", "3"]
    _assert_refused(capsys, args, "--suspect-seed 3 equals --seed", tmp_path)


@pytest.mark.parametrize("command", ["run", "collect"])
@pytest.mark.parametrize("n", ["0", "100000"])
def test_lab_refuses_more_prompts_than_the_bank_holds(command, n, tmp_path, capsys):
    """A prefix longer than the bank used to be cut silently while the recipe name kept the
    requested N; now it is one error line, before any server or training starts."""
    expect = f"--prompts {n}: the lab's prompt bank holds 1..{len(lab_prompts())}"
    _assert_refused(capsys, ["lab", command, "--prompts", n], expect, tmp_path)


def test_first_258_lab_prompts_are_frozen():
    """Runs A-F trained on prefixes of the first 258 prompts (committed corpora, recipes): the
    bank may only grow after them. The hash is of [id, text, human, alt] in order."""
    first = [[p.id, p.text, p.human, p.alt] for p in lab_prompts()[:258]]
    digest = hashlib.sha256(json.dumps(first, ensure_ascii=False).encode()).hexdigest()
    assert digest == "e0227091e0a7bf2b4693d20e05e979009c4bd90fc202fdae015ef043a0178a1a"


def test_lab_code_answers_run():
    """Every reference implementation defines its function; the second block's example calls
    return what their alt answers say."""
    for p in lab_prompts():
        if not p.id.startswith("lab.code."):
            continue
        fn = p.id.split(".")[3]
        namespace: dict = {}
        exec(p.human.removeprefix("```python\n").removesuffix("\n```"), namespace)
        assert callable(namespace[fn]), p.id
        said = re.search(r"For example, `(.+)` returns `(.+)`\.$", p.alt)
        if said:
            assert eval(said[1], namespace) == eval(said[2]), p.id


def test_lab_computed_answers_are_right():
    """Arithmetic, conversions and word tasks: both answers carry the computed result."""
    checks = [
        (r"What is (\d+) times (\d+)\?", lambda a, b: a * b),
        (r"What is (\d+) plus (\d+)\?", lambda a, b: a + b),
        (r"Subtract (\d+) from (\d+)\.", lambda b, a: a - b),
        (r"What is (\d+)% of (\d+)\?", lambda p, n: p * n // 100),
        (r"How many minutes are in (\d+) hours\?", lambda h: h * 60),
        (r"How many pounds is (\d+) kilograms\?", lambda kg: f"{kg / 0.45359237:.1f}"),
        (r"How many inches is (\d+) centimetres\?", lambda cm: f"{cm / 2.54:.1f}"),
        (r"How many miles is (\d+) kilometres\?", lambda km: f"{km / 1.609344:.1f}"),
        (r"Convert (\d+) degrees Celsius to Fahrenheit\.", lambda c: f"{c * 1.8 + 32:g}"),
    ]
    seen = 0
    prompts = lab_prompts()
    for p in prompts:
        for pattern, result in checks:
            m = re.fullmatch(pattern, p.text)
            if m:
                want = str(result(*map(int, m.groups())))
                assert want in p.human and want in p.alt, (p.id, want)
                seen += 1
        if p.id.startswith("lab.words."):
            words = re.findall(r"[A-Za-z]+", p.text.split(":", 1)[-1])
            task = p.id.split(".")[-1]
            if task == "sort":
                assert p.human == ", ".join(sorted(words, key=str.lower)), p.id
            elif task == "reverse":
                word = re.search(r"'(\w+)'", p.text)[1]
                assert p.human == word[::-1] and f"'{word[::-1]}'" in p.alt, p.id
            elif task == "longest":
                assert p.human == max(words, key=len), p.id
            elif task == "letters":
                word = re.search(r"'(\w+)'", p.text)[1]
                assert p.human == str(len(word)), p.id
            elif task == "sentence":
                a, b = re.search(r"words (\w+) and (\w+)\.", p.text).groups()
                assert all(w in t for w in (a, b) for t in (p.human, p.alt)), p.id
    assert seen == sum(p.id.startswith("lab.math.") for p in prompts)


def test_recipe_names_keep_earlier_runs_apart():
    """Runs A-C's recipe keeps its names; any other recipe gets its own students and report."""
    from harness.lab.experiment import LabConfig, report_name, student_dir, train_config
    from harness.lab.train import TrainConfig, recipe

    a = LabConfig()
    assert report_name(a) == "report-n96-e1.json"
    assert student_dir(a, "student-teacher") == "student-teacher-n96-e1"
    assert recipe(train_config(a)) == recipe(TrainConfig(epochs=1))
    b = LabConfig(n_prompts=160, epochs=2)
    assert student_dir(b, "student-gemma") == "student-gemma-n160-e2"
    d = LabConfig(n_prompts=258, epochs=2, train_layers=12)
    assert report_name(d) == "report-n258-e2-l12.json"
    assert student_dir(d, "student-teacher") == "student-teacher-n258-e2-l12"
    assert train_config(d).train_layers == 12 and train_config(d).epochs == 2
    e = LabConfig(n_prompts=258, epochs=2, train_layers=30)
    assert report_name(e) == "report-n258-e2-l30.json"
    assert student_dir(e, "student-teacher") == "student-teacher-n258-e2-l30"
    assert student_dir(LabConfig(lr=1e-4), "s") == "s-n96-e1-lr0.0001"
    f = LabConfig(n_prompts=258, epochs=2, train_layers=30, seed=1, selection="full")
    assert student_dir(f, "student-teacher") == "student-teacher-n258-e2-l30-s1"
    assert report_name(f) == "report-n258-e2-l30-s1-full.json"
    assert train_config(f).seed == 1 and recipe(train_config(f)) != recipe(train_config(e))
    # Parallel training is speed only: not part of the recipe, not part of the name.
    assert student_dir(LabConfig(train_jobs=2), "s") == "s-n96-e1"


def test_float32_recipe_is_its_own_and_earlier_students_stay_finished(tmp_path):
    """`--precision fp32` is another recipe (its own student folders and report); a student
    trained before the precision was recorded counts as a finished bf16 student, so no cached
    student of runs A-J is re-trained; an unknown precision is refused."""
    import json

    from harness.lab.experiment import (
        LabConfig,
        report_name,
        student_dir,
        train_config,
    )
    from harness.lab.train import TrainConfig, finished, recipe

    i = LabConfig(n_prompts=1000, epochs=2, train_layers=12, suspect_self_prompts=40)
    f = LabConfig(n_prompts=1000, epochs=2, train_layers=12, suspect_self_prompts=40,
                  precision="fp32")  # fmt: skip
    assert student_dir(f, "student-teacher") == "student-teacher-n1000-e2-l12-self40-fp32"
    assert report_name(f) == "report-n1000-e2-l12-self40-fp32.json"
    assert recipe(train_config(f)) != recipe(train_config(i))
    old = {k: v for k, v in recipe(train_config(i)).items() if k != "precision"}
    assert recipe(old) == recipe(train_config(i))
    with pytest.raises(ValueError, match="fp16"):
        TrainConfig(precision="fp16")
    lab = LabConfig(lab_dir=tmp_path, n_prompts=1000, epochs=2, train_layers=12,
                    suspect_self_prompts=40)  # fmt: skip
    out = tmp_path / "students" / student_dir(lab, "student-teacher")
    out.mkdir(parents=True)
    (out / "summary.json").write_text(json.dumps({"config": old}))
    fp32 = LabConfig(lab_dir=tmp_path, n_prompts=1000, epochs=2, train_layers=12,
                     suspect_self_prompts=40, precision="fp32")  # fmt: skip

    def done(cfg, name):
        return finished(tmp_path / "students" / student_dir(cfg, name), train_config(cfg, name))

    assert done(lab, "student-teacher") and not done(lab, "student-gemma")
    assert not done(fp32, "student-teacher")


def test_widened_bf16_products_are_the_native_kernels_numbers_at_float32_cost():
    """On a CPU without native bfloat16 the bf16 recipe's matrix products run as float32
    products of the bf16 operands (`bf16.matmuls`). They must be bf16 arithmetic: the same
    elements as torch's own bf16 kernel but for rare one-ulp roundings, far from float32's;
    in the backward pass too; and no bf16 product may reach the slow kernel."""
    torch = pytest.importorskip("torch")
    from harness.lab import bf16

    gflops = bf16.speed()
    assert min(gflops) > 0 and isinstance(bf16.emulated(gflops), bool)
    assert bf16.emulated((1.1, 44.0)) and not bf16.emulated((80.0, 44.0))
    g = torch.Generator().manual_seed(0)
    x = torch.randn(64, 192, generator=g, requires_grad=True)
    w = torch.randn(96, 192, generator=g, requires_grad=True)

    def run(widen: bool):
        x.grad = w.grad = None
        with bf16.matmuls(widen):
            with torch.autocast("cpu", dtype=torch.bfloat16):
                y = torch.nn.functional.linear(x, w)
            (y.float() ** 2).sum().backward()
        return y.detach(), x.grad.clone(), w.grad.clone()

    native, widened = run(False), run(True)
    x.grad = w.grad = None  # no autocast: the float32 arithmetic
    y32 = torch.nn.functional.linear(x, w)
    (y32**2).sum().backward()
    fp32 = y32.detach(), x.grad.clone(), w.grad.clone()
    assert widened[0].dtype == torch.bfloat16

    def rel(a, b):
        return ((a.float() - b.float()).norm() / b.float().norm()).item()

    for n, wd, f in zip(native, widened, fp32, strict=True):  # output, then both gradients
        assert (n == wd).float().mean() > 0.99  # identical but for one-ulp roundings
        assert rel(wd, n) * 20 < rel(f, n)  # measured: 1-4e-5 against 3e-3 for float32
    from torch.utils._python_dispatch import TorchDispatchMode

    reached = []

    class Kernels(TorchDispatchMode):  # entered first, so it sees what widening passes on
        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            if func is torch.ops.aten.mm.default:
                reached.append({a.dtype for a in args if isinstance(a, torch.Tensor)})
            return func(*args, **(kwargs or {}))

    with Kernels():
        run(True)
    assert len(reached) == 3 and all(d == {torch.float32} for d in reached)  # forward, 2 grads


def test_suspect_redraw_reuses_the_panel():
    """`--suspect-seed`: only the two suspects get a new training draw (their own folders and
    model ids, so no cached answer of the seed-0 suspects is reused); the control students keep
    the plain run's folders, weights and cached answers; the report gets its own name."""
    from harness.lab.experiment import LabConfig, report_name, student_dir, train_config
    from harness.lab.train import recipe

    g = LabConfig(n_prompts=1000, epochs=2, train_layers=12)
    g1 = LabConfig(n_prompts=1000, epochs=2, train_layers=12, suspect_seed=1)
    assert g1.suspects == ("student-teacher", "student-gemma")
    for s in g1.suspects:
        assert student_dir(g1, s) == f"{s}-n1000-e2-l12-s1"
        assert train_config(g1, s).seed == 1
        assert recipe(train_config(g1, s)) != recipe(train_config(g, s))
    for c in ("student-smollm", "student-human", "student-human-alt", "student-gemma-t1"):
        assert student_dir(g1, c) == student_dir(g, c) == f"{c}-n1000-e2-l12"
        assert recipe(train_config(g1, c)) == recipe(train_config(g, c))
    assert report_name(g1) == "report-n1000-e2-l12-ss1.json" != report_name(g)


def test_panel_corpus_trains_and_probes_only_the_suspects(tmp_path):
    """`--panel-corpus`: the two suspects are the only students; the probe run asks the
    teacher and them (the panel's answers are committed); the report gets its own name."""
    from harness.lab.experiment import LabConfig, report_name, run_config
    from harness.local.server import ServerInfo

    cfg = LabConfig(
        n_prompts=1000, epochs=2, train_layers=12, suspect_seed=3, panel_corpus=(CORPUS_I,)
    )
    assert [s.name for s in cfg.students] == list(cfg.suspects) and cfg.controls == ()
    assert report_name(cfg) == "report-n1000-e2-l12-ss3-panel.json"
    urls = {s: f"http://127.0.0.1:{9000 + i}/v1" for i, s in enumerate(cfg.suspects)}
    teacher = ServerInfo("qwen2.5-coder-0.5b", "http://127.0.0.1:8999", "chat", 4, 0, 8999, "")
    run = run_config(cfg, {teacher.name: teacher}, urls, variants=False)
    assert set(run.endpoints) == {"qwen2.5-coder-0.5b", *cfg.suspects} and run.controls == ()


def test_panel_join_scores_like_the_whole_corpus_and_refuses_changed_probes():
    """Suspects' answers joined to a corpus's teacher and panel score exactly as the corpus
    does; a suspect answer to a probe the corpus asked differently is refused, naming it."""
    from harness.corpus import answers_from_records, iter_records, load_answers
    from harness.errors import InputError
    from harness.lab.evaluate import SUSPECTS, evaluate_answers, with_panel

    mine = [r for r in iter_records(CORPUS_C) if r["model"] in SUSPECTS]
    joined = answers_from_records(with_panel(mine, (CORPUS_C,), SUSPECTS))
    whole = evaluate_answers(load_answers(CORPUS_C))
    assert evaluate_answers(joined)["plain"]["verdicts"] == whole["plain"]["verdicts"]
    mine[5] = {**mine[5], "prompt": mine[5]["prompt"] + " (edited)"}
    with pytest.raises(
        InputError, match=f"1 probes were asked differently.*{mine[5]['prompt_id']}"
    ):
        with_panel(mine, (CORPUS_C,), SUSPECTS)


@pytest.mark.parametrize(
    "broken", ["no-teacher", "few-controls", "with-control-corpus", "changed-probe"]
)
def test_lab_refuses_a_panel_corpus_it_cannot_use(broken, tmp_path, capsys):
    """A panel corpus without the teacher, with fewer controls than a verdict needs, given
    together with --control-corpus, or recorded when a probe read otherwise, is one error line
    before anything starts (not after an hour of training)."""
    from harness.corpus import iter_records, write_records

    corpus = tmp_path / "panel.jsonl.gz"
    recs = list(iter_records(CORPUS_C))
    extra = []
    if broken == "no-teacher":
        recs = [r for r in recs if r["model"] != "qwen2.5-coder-0.5b"]
        expect = "--panel-corpus: no answers from the teacher qwen2.5-coder-0.5b"
    elif broken == "few-controls":
        keep = {"qwen2.5-coder-0.5b", "smollm2-135m", "gemma3-270m", "student-human"}
        recs = [r for r in recs if r["model"] in keep]
        expect = "--panel-corpus: 3 lab controls, a verdict needs 5"
    elif broken == "with-control-corpus":
        extra = ["--control-corpus", str(_control_corpus(tmp_path / "c"))]
        expect = "give one of them"
    else:
        pid = recs[0]["prompt_id"]
        recs = [
            {**r, "prompt": r["prompt"] + " (old)"} if r["prompt_id"] == pid else r for r in recs
        ]
        expect = f"1 probes were asked differently than in the panel corpus (e.g. {pid})"
    write_records(corpus, recs)
    args = ["lab", "run", "--prompts", "8", "--panel-corpus", str(corpus), *extra]
    _assert_refused(capsys, args, expect, tmp_path / "lab")


@pytest.mark.skipif(
    importlib.util.find_spec("gguf") is None or importlib.util.find_spec("torch") is None,
    reason="needs the lab extra (torch, gguf)",
)
def test_export_permutation_inverts_transformers_loader():
    """Our Q/K row permutation is exactly what transformers undoes when it reads a GGUF."""
    import numpy as np
    from transformers.modeling_gguf_pytorch_utils import LlamaTensorProcessor

    from harness.lab.export import _permute, gguf_name

    unpermute = LlamaTensorProcessor(config={})._reverse_permute_weights
    rng = np.random.default_rng(0)
    for n_head in (9, 3):
        w = rng.standard_normal((n_head * 64, 576)).astype(np.float32)
        assert not np.array_equal(_permute(w, n_head), w)
        assert np.array_equal(unpermute(_permute(w, n_head), n_head, n_head), w)
    assert gguf_name("model.layers.29.self_attn.k_proj.weight") == "blk.29.attn_k.weight"
    assert gguf_name("model.norm.weight") == "output_norm.weight"


def test_committed_lab_corpus_verdicts():
    """Run A (96 prompts, 1 epoch, 5 controls), scored by detector v4 (layout habits scored).

    A weak distillation: the distilled student is flagged at alpha = 0.05 in plain only
    (p = 0.020; behind the persona p = 0.22); the matched control student is never flagged.
    Attribution is not tested: of run A's five controls only four are independent of both
    candidates (gemma3-270m is one), fewer than a model-level p-value needs.
    """
    result = _evaluate(CORPUS)
    for view in ("plain", "persona"):
        v = result[view]["verdicts"]
        assert v["student-teacher"]["n_controls"] == 5
        assert v["student-gemma"]["outcome"] == "not distilled", (view, v)
        assert v["student-gemma"]["p"] > 0.9, (view, v)
        _check_attribution_not_tested(result[view]["attribution"])
    plain, persona = result["plain"]["verdicts"], result["persona"]["verdicts"]
    assert plain["student-teacher"]["outcome"] == "distilled", plain
    assert 0.01 < plain["student-teacher"]["p"] < 0.05, plain
    assert persona["student-teacher"]["p"] > 0.05, persona


def _check_attribution_not_tested(att):
    """Runs A-B: four controls independent of both candidates, so no attribution p-value."""
    from harness.lab.evaluate import attributed_to

    for s in ("student-teacher", "student-gemma"):
        a = att[s]
        assert a["panel"] == INDEPENDENT[:4]  # no student-human-alt before run C
        assert a["teacher"] is None and a["p"] == {}, a
        assert attributed_to(a) == "not tested: needs >= 5 controls", a


def test_committed_lab_corpus_run_b_verdicts():
    """Run B (160 prompts, 2 epochs): flagged at 0.05 in both views (plain p = 0.043, persona
    0.017), the control student never flagged; attribution not tested (as run A)."""
    result = _evaluate(CORPUS_B)
    for view, p_max in (("plain", 0.05), ("persona", 0.02)):
        v = result[view]["verdicts"]
        assert v["student-teacher"]["outcome"] == "distilled", (view, v)
        assert v["student-teacher"]["p"] < p_max, (view, v)
        assert v["student-gemma"]["outcome"] == "not distilled", (view, v)
        assert v["student-gemma"]["p"] > 0.9, (view, v)
        _check_attribution_not_tested(result[view]["attribution"])


def _evaluate(corpus):
    """The lab's verdicts for a committed answers corpus (both views present)."""
    from harness.corpus import load_answers
    from harness.lab.evaluate import evaluate_answers

    assert corpus.exists(), f"{corpus} is missing: regenerate it with `fingerprint lab run`"
    result = evaluate_answers(load_answers(corpus))
    assert set(result) == {"plain", "persona"}
    return result


def _check_seven_control_runs(result, gemma_p_min):
    """What runs C-G share in both views: the distilled student faces 7 controls, the matched
    control student 6 (its sibling student-gemma-t1 left out); both are attributed against the
    5 controls independent of both candidates; the control student is not flagged and never
    attributed to the teacher."""
    for view in ("plain", "persona"):
        v = result[view]["verdicts"]
        assert v["student-teacher"]["n_controls"] == 7, (view, v)
        assert v["student-gemma"]["n_controls"] == 6, (view, v)
        assert v["student-gemma"]["outcome"] == "not distilled", (view, v)
        assert v["student-gemma"]["p"] > gemma_p_min, (view, v)
        att = result[view]["attribution"]
        for s in ("student-teacher", "student-gemma"):
            assert att[s]["panel"] == INDEPENDENT, (view, s, att[s]["panel"])
        assert att["student-gemma"]["teacher"] != "qwen2.5-coder-0.5b", (view, att)


def test_committed_lab_corpus_run_c_verdicts():
    """Run C (run A's recipe, 7 controls), detector v4: plain flagged at 0.05 (p = 0.019);
    attribution v7 leads with the teacher but does not name it (qwen p = 0.053, ahead of
    gemma3-270m at Holm p = 0.00057; v1 named it at 0.0092); persona not flagged (p = 0.37),
    no single teacher; the control student never flagged, attributed to its own teacher plain
    (gemma3-270m p = 0.00044)."""
    from harness.corpus import load_answers
    from harness.lab.evaluate import CONTROLS, evaluate_answers

    result = _evaluate(CORPUS_C)
    _check_seven_control_runs(result, gemma_p_min=0.9)
    att = result["plain"]["attribution"]["student-teacher"]
    assert att["teacher"] is None and att["leading"] == "qwen2.5-coder-0.5b", att
    assert 0.05 < att["p"]["qwen2.5-coder-0.5b"] < 0.06 and att["versus"]["gemma3-270m"] < 0.01
    assert result["persona"]["attribution"]["student-teacher"]["teacher"] is None
    plain, persona = result["plain"]["verdicts"], result["persona"]["verdicts"]
    assert plain["student-teacher"]["outcome"] == "distilled", plain
    assert 0.01 < plain["student-teacher"]["p"] < 0.05, plain
    assert persona["student-teacher"]["outcome"] == "not distilled", persona
    assert persona["student-teacher"]["p"] > 0.05, persona
    assert result["plain"]["attribution"]["student-gemma"]["teacher"] == "gemma3-270m"
    # The same answers against run A's five controls behave like run A: plain flagged at 0.05
    # only (p = 0.016), persona not (p = 0.21).
    five = evaluate_answers(load_answers(CORPUS_C), controls=list(CONTROLS[:5]))
    v = five["plain"]["verdicts"]["student-teacher"]
    assert v["n_controls"] == 5 and 0.01 < v["p"] < 0.05, v
    assert five["persona"]["verdicts"]["student-teacher"]["p"] > 0.05


def test_committed_lab_corpus_run_d_verdicts():
    """Run D (258 prompts, 2 epochs, 12 blocks), detector v4.

    Plain: the distilled student is flagged (p = 0.00076); attribution v7 names the wrong
    teacher, gemma3-270m (p = 0.00079, ahead of qwen at Holm p = 0.0002; qwen itself 0.016),
    the one wrong name v7 gives on a committed corpus, stated when it was registered (the
    student's raw char4 similarity is higher to gemma3-270m than to qwen); v1 named qwen. The
    control student is not flagged (p = 0.99) and is attributed to gemma3-270m. Persona:
    flagged at 0.05 only (p = 0.022), attributed to the teacher (qwen p = 0.00025, ahead at
    0.003; v1: no single teacher), the control student to nobody (gemma3-270m p = 0.13; v1: to
    gemma3-270m).
    """
    result = _evaluate(CORPUS_D)
    _check_seven_control_runs(result, gemma_p_min=0.9)
    for view in ("plain", "persona"):
        v = result[view]["verdicts"]
        assert v["student-teacher"]["outcome"] == "distilled", (view, v)
        att = result[view]["attribution"]
        assert att["student-teacher"]["p"]["qwen2.5-coder-0.5b"] < 0.05, (view, att)
    plain, persona = result["plain"], result["persona"]
    assert plain["attribution"]["student-gemma"]["teacher"] == "gemma3-270m"
    assert persona["attribution"]["student-gemma"]["teacher"] is None
    assert plain["verdicts"]["student-teacher"]["p"] < 0.001, plain["verdicts"]
    att = plain["attribution"]["student-teacher"]
    assert att["teacher"] == "gemma3-270m" and att["versus"]["qwen2.5-coder-0.5b"] < 0.001, att
    assert 0.01 < persona["verdicts"]["student-teacher"]["p"] < 0.05, persona["verdicts"]
    att = persona["attribution"]["student-teacher"]
    assert att["teacher"] == "qwen2.5-coder-0.5b" and att["versus"]["gemma3-270m"] < 0.01, att


def test_committed_lab_corpus_run_e_verdicts():
    """Run E (the full fine-tune), detector v4: flagged at p < 0.01 in both views (plain
    0.0088, persona 0.0068), control student never flagged and attributed to gemma3-270m in
    both. The distilled student is attributed to the teacher behind the persona (v7: qwen p =
    0.0059, ahead of gemma3-270m at p = 0.015); plain it is significantly close to both
    candidates (qwen 0.011, gemma3-270m 0.0025) and gets "no single teacher"."""
    result = _evaluate(CORPUS_E)
    _check_seven_control_runs(result, gemma_p_min=0.8)
    for view in ("plain", "persona"):
        v = result[view]["verdicts"]
        assert v["student-teacher"]["outcome"] == "distilled", (view, v)
        assert v["student-teacher"]["p"] < 0.01, (view, v)
        att = result[view]["attribution"]
        assert att["student-gemma"]["teacher"] == "gemma3-270m", (view, att)
        assert att["student-teacher"]["p"]["qwen2.5-coder-0.5b"] < 0.05, (view, att)
    plain = result["plain"]["attribution"]["student-teacher"]
    assert plain["teacher"] is None and max(plain["p"].values()) < 0.05, plain
    persona = result["persona"]["attribution"]["student-teacher"]
    assert persona["teacher"] == "qwen2.5-coder-0.5b", persona
    assert persona["versus"]["gemma3-270m"] < 0.02, persona


def _control_corpus(path: Path, n: int = 8, skip: str = "") -> Path:
    """A small answer corpus holding the corpus controls' models (all but `skip`): the shape of
    the development corpus, written here so the lab's corpus path runs without it."""
    from harness.corpus import write_records
    from harness.lab.experiment import CORPUS_CONTROLS

    path.mkdir(parents=True, exist_ok=True)
    records = [
        {
            "model": s.corpus,
            "prompt_id": f"q{i:02d}",
            "prompt": f"Name {i + 2} uses of a {['brick', 'rope', 'kettle'][i % 3]}.",
            "response": "" if i == 1 else f"{s.corpus} says: {i + 2} uses, listed. " * (i + 1),
        }
        for s in CORPUS_CONTROLS
        if s.corpus != skip
        for i in reversed(range(n))
    ]
    write_records(path / "responses.jsonl.gz", records)
    return path


def test_corpus_controls_join_only_when_given_a_corpus(tmp_path):
    """Without a control corpus runs A-G are unchanged (same controls, students, report names);
    with one, the four corpus students are extra controls with the panel's recipe and the
    report gets its own name, so no earlier report is overwritten."""
    from harness.lab.evaluate import CONTROLS, independent_of_candidates, panel
    from harness.lab.experiment import CORPUS_CONTROLS, LabConfig, report_name, student_dir

    g = LabConfig(n_prompts=1000, epochs=2, train_layers=12)
    h = LabConfig(n_prompts=1000, epochs=2, train_layers=12, control_corpus=tmp_path)
    added = [s.name for s in CORPUS_CONTROLS]
    assert len(g.controls) == 7 and h.controls == (*g.controls, *added)
    assert h.suspects == g.suspects and h.students[: len(g.students)] == g.students
    assert report_name(g) == "report-n1000-e2-l12.json"
    assert report_name(h) == "report-n1000-e2-l12-corpus.json"
    assert student_dir(h, "student-teacher") == student_dir(g, "student-teacher")
    assert student_dir(h, "student-oasst") == "student-oasst-n1000-e2-l12"
    assert list(CONTROLS) == list(h.controls)
    for name in added:  # independent of both candidates, and nobody's sibling
        assert independent_of_candidates(name)
        assert all(name in panel(s, CONTROLS) for s in g.suspects)


def test_corpus_pairs_read_one_model_in_prompt_order(tmp_path):
    """A corpus source trains on its model's answers to the corpus's own prompts, in prompt-id
    order, empty answers skipped; a model the corpus lacks is one error naming it."""
    from harness.errors import InputError
    from harness.lab.data import corpus_pairs, describe_n, training_pairs
    from harness.lab.experiment import CORPUS_CONTROLS

    corpus = _control_corpus(tmp_path / "c", skip="falcon-40b-instruct")
    src = CORPUS_CONTROLS[0]
    pairs = corpus_pairs(corpus, src.corpus)
    assert [p for p, _, _ in pairs] == [
        f"Name {i + 2} uses of a {['brick', 'rope', 'kettle'][i % 3]}."
        for i in (0, 2, 3, 4, 5, 6, 7)
    ]
    assert all(a.startswith(f"{src.corpus} says:") and done for _, a, done in pairs)
    assert corpus_pairs(corpus / "responses.jsonl.gz", src.corpus, 3) == pairs[:3]
    assert training_pairs(tmp_path / "unused.sqlite", src, 3, corpus) == pairs[:3]
    # Its answers are cut by the trainer's tokenizer, so the data sizes cannot count cuts.
    size = describe_n(tmp_path / "unused.sqlite", [src], 3, corpus)[src.name]
    assert size == {
        "answers": 3,
        "chars": sum(len(a) for _, a, _ in pairs[:3]),
        "cut_at_max_tokens": None,
    }
    assert not (tmp_path / "unused.sqlite").exists()
    with pytest.raises(InputError, match="no answers from falcon-40b-instruct"):
        corpus_pairs(corpus, "falcon-40b-instruct")
    with pytest.raises(InputError, match="no control corpus given"):
        training_pairs(tmp_path / "unused.sqlite", src, 3)


@pytest.mark.parametrize("broken", ["missing-model", "no-directory", "empty-directory"])
def test_lab_refuses_a_control_corpus_it_cannot_use(broken, tmp_path, capsys):
    """A control corpus without one of the four models, a path that is not there, or a
    directory without a responses file is one error line before any server or training
    starts."""
    corpus = tmp_path / "c"
    if broken == "missing-model":
        _control_corpus(corpus, skip="oasst-sft-pythia-12b")
        expect = "no answers from oasst-sft-pythia-12b"
    elif broken == "no-directory":
        expect = "c: no such directory (a control corpus is a directory holding"
    else:
        corpus.mkdir()
        expect = "responses.jsonl.gz: no such file (a control corpus is a directory holding"
    args = ["lab", "run", "--prompts", "8", "--control-corpus", str(corpus)]
    _assert_refused(capsys, args, expect, tmp_path / "lab")
    assert not (tmp_path / "lab").exists()


@pytest.mark.parametrize("port", ["0", "70000"])
def test_lab_refuses_a_port_base_that_is_no_port(port, tmp_path, capsys):
    _assert_refused(
        capsys, ["lab", "run", "--prompts", "8", "--port-base", port], "a port is 1-65535", tmp_path
    )


@pytest.mark.parametrize(
    "flags, expect",
    [
        (["--export-models", "student-oasst"], "--export-models needs --export-corpus"),
        (
            ["--export-models", "student-teacher,student-nobody", "--export-corpus", "x.jsonl.gz"],
            "--export-models: student-nobody; this run's models: qwen2.5-coder-0.5b",
        ),
        (["--export-corpus", "."], "--export-corpus .: cannot write a file there"),
        (
            ["--export-corpus", "/proc/no-such/x.jsonl.gz"],
            "--export-corpus /proc/no-such/x.jsonl.gz: cannot write a file there",
        ),
    ],
)
def test_lab_refuses_an_export_it_cannot_write(flags, expect, tmp_path, capsys):
    """The export is written after an hour of training and probing. A model the run does not
    hold (an empty corpus) or a target that cannot be written is refused in one line before
    anything starts."""
    _assert_refused(capsys, ["lab", "run", "--prompts", "8", *flags], expect, tmp_path / "lab")
    assert not (tmp_path / "lab").exists()


@pytest.mark.parametrize(
    "flags, expect",
    [
        (["--export-data", "."], "--export-data .: cannot write a file there"),
        (["--suspect-self-prompts", "9999"], "--suspect-self-prompts 9999: there are 0.."),
        (["--panel-corpus", "nowhere.jsonl.gz"], "nowhere.jsonl.gz: no such corpus file"),
    ],
)
def test_lab_collect_refuses_bad_input_before_collecting(flags, expect, tmp_path, capsys):
    """`lab collect` takes the run's collection options, so it collects what that run needs;
    bad ones, and an `--export-data` target it cannot write (written after collecting, 53 min
    a source on a fresh machine), are refused in one line before anything starts."""
    _assert_refused(capsys, ["lab", "collect", "--prompts", "8", *flags], expect, tmp_path / "lab")
    assert not (tmp_path / "lab").exists()


def _lab_store(path, answers):
    """A lab store holding `answers` (endpoint, probe id, text) with the runner's cache keys."""
    import json

    from harness.store import AnswerRecord, Store, cache_key

    with Store(path) as store:
        for endpoint, probe_id, text in answers:
            identity = f"openai-chat|http://127.0.0.1:8081/v1|{endpoint}"
            request = json.dumps({"messages": [{"role": "user", "content": f"Q {probe_id}?"}]})
            store.put(
                AnswerRecord(
                    key=cache_key(identity, request, 0),
                    endpoint=endpoint,
                    identity=identity,
                    probe_id=probe_id,
                    sample_index=0,
                    request=request,
                    text=text,
                    usage={"completion_tokens": 3},
                    finish_reason="stop",
                )
            )


def test_lab_answers_travel_to_another_machine_exactly(tmp_path, capsys):
    """`lab collect --export-data` writes the lab store so that `--data` on a fresh machine
    restores every answer exactly, keys included (nothing is asked again); the file is an
    ordinary answer corpus too; loading it twice adds nothing. A row whose key does not match
    its request, or a plain corpus, is refused in one line, and with several `--data` files
    one bad file leaves the lab store empty: every file is checked before any is stored."""
    import gzip
    import json

    from harness.cli import main
    from harness.corpus import iter_records
    from harness.errors import InputError
    from harness.lab.data import export_answers, read_answers, store_answers
    from harness.store import Store

    here = tmp_path / "here" / "data.sqlite"
    here.parent.mkdir()
    _lab_store(
        here, [("qwen2.5-coder-0.5b", "lab.a", "Alibaba Cloud"), ("gemma3-270m", "lab.a", "Hi")]
    )
    out = tmp_path / "answers.jsonl.gz"
    assert export_answers(here, out) == 2
    assert {(r["model"], r["prompt"]) for r in iter_records(out)} == {
        ("qwen2.5-coder-0.5b", "Q lab.a?"),
        ("gemma3-270m", "Q lab.a?"),
    }
    there = tmp_path / "there"
    assert main(["lab", "run", "--lab-dir", str(there), "--data", str(out), "--prompts", "0"]) == 2
    assert not there.exists()  # bad input (--prompts 0) is refused before the data is loaded
    capsys.readouterr()
    assert store_answers(there / "data.sqlite", read_answers(out)) == 2
    assert store_answers(there / "data.sqlite", read_answers(out)) == 0
    with Store(here) as a, Store(there / "data.sqlite") as b:
        assert list(a.records()) == list(b.records())
    with gzip.open(out, "rt") as fh:
        rows = [json.loads(line) for line in fh]
    rows[1]["response"] = "forged"
    rows[1]["request"] = rows[1]["request"].replace("lab.a", "lab.b")
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(json.dumps(r) + "\n" for r in rows))
    with pytest.raises(InputError, match="answer 2: its cache key does not match its request"):
        read_answers(bad)
    expect = "bad.jsonl: answer 2: its cache key does not match its request"
    argv = ["lab", "run", "--prompts", "8", "--data", str(out), "--data", str(bad)]
    _assert_refused(capsys, argv, expect, tmp_path / "lab")
    assert not (tmp_path / "lab" / "data.sqlite").exists()
    plain = tmp_path / "plain.jsonl"
    plain.write_text(json.dumps({"model": "m", "prompt_id": "p", "response": "r"}) + "\n")
    with pytest.raises(InputError, match="answer 1 has no stored record"):
        read_answers(plain)


def test_committed_sources_answer_every_question_run_k_asks():
    """Run K's `--data` file holds an answer, under the very cache key collection asks with,
    for each of the 1,000 lab prompts and 40 self prompts of both suspects' sources, and
    nothing else: on a fresh machine run K asks nothing again. The keys are built from the
    local catalogue's ports; no server is needed."""
    from harness.lab.data import planned, read_answers
    from harness.lab.experiment import LabConfig, _data_source
    from harness.local.catalog import DEFAULT_PORT_BASE, port_for, resolve
    from harness.local.server import HOST, ServerInfo

    panel = (LAB_DATA / "answers-n1000-e2-l12-self40-c11.jsonl.gz",)
    cfg = LabConfig(n_prompts=1000, suspect_self_prompts=40, suspect_seed=4, panel_corpus=panel)
    sources = [_data_source(s) for s in cfg.students]
    servers = {}
    for spec in resolve([s.model for s in sources]):
        port = port_for(spec, DEFAULT_PORT_BASE)
        servers[spec.name] = ServerInfo(
            spec.name, f"http://{HOST}:{port}", spec.api, 4, 0, port, ""
        )
    _, lab = planned(sources, servers, cfg.n_prompts, 0, cfg.max_tokens)
    _, own = planned(sources, servers, 0, cfg.suspect_self_prompts, cfg.max_tokens)
    wanted = {item.key for item in lab + own}
    assert len(wanted) == 2 * 1040
    held = read_answers(LAB_DATA / "sources-n1000-self40.jsonl.gz")
    assert {r.key for r in held} == wanted and len(held) == len(wanted)
    assert {r.endpoint for r in held} == {s.name for s in sources}


@pytest.mark.slow
def test_lab_end_to_end_tiny(tmp_path):
    """The whole lab on a tiny configuration: 8 prompts per source, 10 probes per run, with
    the corpus controls (run H's path) taught by a small corpus written here, and two self
    prompts in the suspects' data (run I's path)."""
    pytest.importorskip("torch")
    pytest.importorskip("xllamacpp")
    from dataclasses import replace

    from harness.lab import serve
    from harness.lab.experiment import LabConfig, run_lab

    corpus = _control_corpus(tmp_path / "corpus")
    lab = tmp_path / "lab"
    cfg = LabConfig(
        lab_dir=lab,
        n_prompts=8,
        probe_limit=10,
        port_base=18191,
        control_corpus=corpus,
        suspect_self_prompts=2,
    )
    try:
        report = run_lab(cfg)
    finally:
        serve.stop(lab)
    assert set(report["training"]) == {s.name for s in cfg.students} and len(cfg.students) == 11
    for summary in report["training"].values():
        # One epoch of batches of 8: the suspects' 10 pairs (two self prompts) take 2 steps.
        assert summary["steps"] == -(-summary["pairs"] // 8) and summary["loss_last"] is not None
    # The default recipe, bf16: widened on a CPU without native bfloat16 (`bf16.py`).
    from harness.lab import bf16

    how = "widened" if bf16.emulated(bf16.speed()) else "native"
    assert {t["bf16_matmuls"] for t in report["training"].values()} == {how}
    assert report["training"]["student-oasst"]["pairs"] == 7  # one empty answer skipped
    # Self prompts reach the suspects' data only, answered by each suspect's own source.
    assert report["training"]["student-teacher"]["pairs"] == 10
    assert report["training"]["student-gemma"]["pairs"] == 10
    assert report["training"]["student-smollm"]["pairs"] == 8
    assert report["data"]["qwen2.5-coder-0.5b"]["answers"] == 10
    assert report["data"]["smollm2-135m"]["answers"] == 8
    ev = report["evaluation"]
    assert ev["plain"]["verdicts"]["student-teacher"]["n_controls"] == 11
    assert ev["plain"]["verdicts"]["student-gemma"]["n_controls"] == 10
    assert len(ev["plain"]["attribution"]["student-teacher"]["panel"]) == 9
    # Run H's re-scoring path: the corpus students exported alone, merged back with the rest,
    # score exactly as the live run did.
    from harness.corpus import load_answers, load_merged
    from harness.lab.evaluate import evaluate_answers, export_corpus
    from harness.lab.experiment import CORPUS_CONTROLS

    run_dir = Path(report["runs"]["lab-persona"])
    added = [c.name for c in CORPUS_CONTROLS]
    rest = [m for m in ("qwen2.5-coder-0.5b", *cfg.suspects, *cfg.controls) if m not in added]
    export_corpus(run_dir, tmp_path / "rest.jsonl.gz", rest)
    export_corpus(run_dir, tmp_path / "added.jsonl.gz", added)
    assert load_answers(tmp_path / "added.jsonl.gz").models == sorted(added)
    merged = load_merged([tmp_path / "rest.jsonl.gz", tmp_path / "added.jsonl.gz"])
    assert evaluate_answers(merged)["plain"]["verdicts"] == ev["plain"]["verdicts"]
    # The lab's answers carried to a fresh machine (`--data`) leave nothing to ask there.
    from harness.lab.data import export_answers, read_answers, store_answers
    from harness.lab.experiment import collect_data
    from harness.store import Store

    fresh = tmp_path / "fresh"
    carried = export_answers(lab / "data.sqlite", tmp_path / "data.jsonl.gz")
    assert store_answers(fresh / "data.sqlite", read_answers(tmp_path / "data.jsonl.gz")) == carried
    _, sizes = collect_data(replace(cfg, lab_dir=fresh))
    with Store(fresh / "data.sqlite") as store:
        assert store.count() == carried  # nothing new was asked
    assert sizes == report["data"]
    # Run J's path: re-drawn suspects (seed 1) judged against the whole exported corpus's
    # teacher and panel; only they are trained, and the export holds the whole record.

    whole = tmp_path / "whole.jsonl.gz"
    export_corpus(run_dir, whole)
    redraw = replace(cfg, control_corpus=None, suspect_seed=1, panel_corpus=(whole,))
    try:
        again = run_lab(redraw)
    finally:
        serve.stop(lab)
    assert set(again["training"]) == set(cfg.suspects)
    assert all(t["pairs"] == 10 for t in again["training"].values())
    drift = again["teacher_vs_panel_corpus"]
    assert drift["answers"] >= 10 and 0 <= drift["identical"] <= drift["answers"]
    ej = again["evaluation"]["plain"]
    assert ej["verdicts"]["student-teacher"]["n_controls"] == 11
    assert len(ej["attribution"]["student-teacher"]["panel"]) == 9
    out = tmp_path / "redraw.jsonl.gz"
    export_corpus(Path(again["runs"]["lab-persona"]), out, None, redraw)
    assert sorted(load_answers(out).models) == sorted(load_answers(whole).models)
    assert evaluate_answers(load_answers(out))["plain"]["verdicts"] == ej["verdicts"]


def test_committed_lab_corpus_run_f_verdicts():
    """Run F (run E's recipe with seed 1, full probe suite; pre-registered), detector v4: the
    distilled student is NOT flagged at 0.05 (plain p = 0.076 on 323 probes, persona 0.057 on
    183) and no single teacher is named; the control student is not flagged (0.95) and is
    attributed to its own teacher. On run E's core probes alone the same students give plain
    p = 0.15 where run E's gave 0.0088: the spread between training draws of one recipe."""
    from harness import probes
    from harness.corpus import load_answers
    from harness.lab.evaluate import evaluate_answers

    result = _evaluate(CORPUS_F)
    _check_seven_control_runs(result, gemma_p_min=0.9)
    assert result["plain"]["n_prompts"] == 323 and result["persona"]["n_prompts"] == 183
    for view in ("plain", "persona"):
        v = result[view]["verdicts"]
        assert v["student-teacher"]["outcome"] == "not distilled", (view, v)
        assert 0.05 < v["student-teacher"]["p"] < 0.1, (view, v)
        att = result[view]["attribution"]
        assert att["student-teacher"]["teacher"] is None, (view, att)
        assert att["student-gemma"]["teacher"] == "gemma3-270m", (view, att)
    core = {p.id for p in probes.select(probes.load_suites(), "core", variants=True)}
    answers = load_answers(CORPUS_F)
    on_core = evaluate_answers(
        answers.restrict(None, [p for p in answers.common_prompts() if p in core])
    )
    assert on_core["plain"]["n_prompts"] == 111
    assert on_core["plain"]["verdicts"]["student-teacher"]["p"] > 0.1


def _check_run_g_draw(
    corpus,
    plain_p: tuple[float, float],
    persona_p: tuple[float, float],
    qwen_p_max: float,
    named=(),
):
    """What every draw of run G shows: the distilled student flagged with p in the given
    ranges and closer to qwen than the controls (p below `qwen_p_max`), attributed to it only
    in the views `named` (elsewhere no single teacher); the control student as in runs C-F,
    attributed to gemma3-270m plain."""
    result = _evaluate(corpus)
    _check_seven_control_runs(result, gemma_p_min=0.9)
    assert result["plain"]["n_prompts"] == 111 and result["persona"]["n_prompts"] == 59
    for view, (lo, hi) in (("plain", plain_p), ("persona", persona_p)):
        v = result[view]["verdicts"]["student-teacher"]
        assert v["outcome"] == "distilled" and lo < v["p"] < hi, (view, v)
        att = result[view]["attribution"]["student-teacher"]
        assert att["teacher"] == ("qwen2.5-coder-0.5b" if view in named else None), (view, att)
        assert att["p"]["qwen2.5-coder-0.5b"] < qwen_p_max, (view, att)
    assert result["plain"]["attribution"]["student-gemma"]["teacher"] == "gemma3-270m"


def _check_same_panel_as_run_g(corpus):
    """A `--suspect-seed` draw: the teacher and the panel answered exactly as in run G, only
    the two suspects differ."""
    from harness.corpus import load_answers

    seed0, redraw = load_answers(CORPUS_G), load_answers(corpus)
    assert redraw.models == seed0.models
    for m in seed0.models:
        assert (seed0.texts[m] == redraw.texts[m]) == (
            m not in ("student-teacher", "student-gemma")
        )


def test_committed_lab_corpus_run_g_verdicts():
    """Run G (1,000 prompts, 2 epochs, 12 blocks; pre-registered), detector v4: the distilled
    student is flagged in both views but at p < 0.01 only behind the persona (plain p = 0.015,
    persona 0.0021); attribution names no single teacher for it in either view (it is
    significantly close to both candidates under v1; v7: qwen 0.069 / 0.016, gemma3-270m
    0.096 / 0.068). The matched control student is not flagged (0.99 / 0.94) and is never
    attributed to the teacher (plain: to its own teacher gemma3-270m)."""
    _check_run_g_draw(CORPUS_G, plain_p=(0.01, 0.05), persona_p=(0, 0.01), qwen_p_max=0.1)


# Run G's re-draws (`--suspect-seed S`: both suspects re-trained, judged against the same seed-0
# panel), detector v4, product's attribution panel. Seed 1 was the pre-registered seed check,
# seed 2 was added after seeing seeds 0-1, seeds 3-4 and 5-6 were each pre-registered. Measured
# (plain / persona): distilled student p, then attribution v7 (v1's in brackets); the control
# student was never flagged (0.95-0.98) and, plain, always attributed to its own teacher
# gemma3-270m.
RUN_G_REDRAWS = [
    # seed 1: 0.0057 / 0.0012; qwen named in both (0.011 / 0.0042, ahead of gemma3-270m at
    # Holm p 0.020 / 0.046) [v1: nobody]
    pytest.param(CORPUS_G1, (0, 0.01), (0, 0.01), 0.05, ("plain", "persona"), id="seed1"),
    # seed 2: 0.015 / 0.0032; persona named (qwen 0.0084, ahead at 0.048) [v1: persona]
    pytest.param(CORPUS_G2, (0.01, 0.05), (0, 0.01), 0.1, ("persona",), id="seed2"),
    # seed 3: 0.0039 / 0.0021; qwen named in both (0.0090 / 0.0028, ahead at 0.014 / 0.029)
    # [v1: nobody]
    pytest.param(CORPUS_G3, (0, 0.01), (0, 0.01), 0.01, ("plain", "persona"), id="seed3"),
    # seed 4: 0.0069 / 0.0012; qwen named in both (0.030 / 0.0036, ahead at 0.015 / 0.043)
    # [v1: plain]
    pytest.param(CORPUS_G4, (0, 0.01), (0, 0.01), 0.05, ("plain", "persona"), id="seed4"),
    # seed 5: 0.019 / 0.0099; no single teacher (qwen 0.035 / 0.067) [v1: nobody]
    pytest.param(CORPUS_G5, (0.01, 0.05), (0, 0.01), 0.1, (), id="seed5"),
    # seed 6: 0.015 / 0.0097; no single teacher (qwen 0.044 / 0.033) [v1: nobody]
    pytest.param(CORPUS_G6, (0.01, 0.05), (0, 0.01), 0.05, (), id="seed6"),
]


@pytest.mark.parametrize("corpus, plain_p, persona_p, qwen_p_max, named", RUN_G_REDRAWS)
def test_committed_lab_corpus_run_g_redraw_verdicts(corpus, plain_p, persona_p, qwen_p_max, named):
    """Each re-draw of run G's suspects: the teacher and the panel answered exactly as in run
    G, and the verdicts are the measured ones (RUN_G_REDRAWS)."""
    _check_same_panel_as_run_g(corpus)
    _check_run_g_draw(corpus, plain_p, persona_p, qwen_p_max=qwen_p_max, named=named)


RUN_H = [
    # (run G corpus, distilled p range plain / persona, teacher named plain / persona):
    # measured 0.0102 / 0.0209 (seed 0), 0.0021 / 0.0144, 0.0099 / 0.0268, 0.00091 / 0.0227,
    # 0.0033 / 0.0107, 0.0131 / 0.141, 0.0076 / 0.162; nobody named under v7 (v1 named
    # gemma3-270m for seed 5 plain, Holm p 0.0084; v7 leads with it there, ahead at 0.13)
    pytest.param(CORPUS_G, (0.01, 0.05), (0.01, 0.05), (None, None), id="seed0"),
    pytest.param(CORPUS_G1, (0, 0.01), (0.01, 0.05), (None, None), id="seed1"),
    pytest.param(CORPUS_G2, (0, 0.01), (0.01, 0.05), (None, None), id="seed2"),
    pytest.param(CORPUS_G3, (0, 0.01), (0.01, 0.05), (None, None), id="seed3"),
    pytest.param(CORPUS_G4, (0, 0.01), (0.01, 0.05), (None, None), id="seed4"),
    pytest.param(CORPUS_G5, (0.01, 0.05), (0.05, 1), (None, None), id="seed5"),
    pytest.param(CORPUS_G6, (0, 0.01), (0.05, 1), (None, None), id="seed6"),
]


@pytest.mark.parametrize("corpus, plain_p, persona_p, named", RUN_H)
def test_committed_lab_corpus_run_h_verdicts(corpus, plain_p, persona_p, named):
    """Run H: each draw of run G judged against 11 controls (the four corpus students added;
    attribution against the 9 independent of both candidates). Detection mostly holds, at
    p < 0.05 in 12 of 14 cells; nobody is named (v1 named gemma3-270m once, wrongly;
    docs/lab.md, run H). The control student: never flagged, never attributed to qwen."""
    from harness.corpus import load_merged
    from harness.lab.evaluate import evaluate_answers
    from harness.lab.experiment import CORPUS_CONTROLS

    result = evaluate_answers(load_merged([corpus, CORPUS_H4]))
    added = [c.name for c in CORPUS_CONTROLS]
    for view, (lo, hi), teacher in zip(
        ("plain", "persona"), (plain_p, persona_p), named, strict=True
    ):
        v = result[view]["verdicts"]
        assert v["student-teacher"]["n_controls"] == 11 and v["student-gemma"]["n_controls"] == 10
        flagged = "distilled" if hi <= 0.05 else "not distilled"
        assert v["student-teacher"]["outcome"] == flagged and lo < v["student-teacher"]["p"] < hi
        assert v["student-gemma"]["outcome"] == "not distilled" and v["student-gemma"]["p"] > 0.85
        att = result[view]["attribution"]
        for s in ("student-teacher", "student-gemma"):
            assert att[s]["panel"] == [*INDEPENDENT, *added], (view, s, att[s]["panel"])
        assert att["student-teacher"]["teacher"] == teacher, (view, att["student-teacher"])
        assert att["student-gemma"]["teacher"] in (None, "gemma3-270m"), (view, att)


QWEN, GEMMA = "qwen2.5-coder-0.5b", "gemma3-270m"
RUN_I = [
    # (corpus, distilled p range plain / persona, teacher named for the distilled student and
    # for the control student, plain / persona): measured 0.0049 / 0.00097, v7 names qwen in
    # both (0.0037 / 5.1e-05, ahead at Holm p 0.0018 / 0.00084; v1 persona only); seed 1:
    # 0.0101 / 0.0022, qwen in both (0.0058 / 0.00018, ahead at 0.0014 / 0.0042; v1 nowhere);
    # seed 2 (added after seeing seeds 0-1): 0.0084 / 0.0014, qwen behind the persona
    # (0.00019, ahead at 0.0046), plain leading but short (ahead at 0.052), its control
    # student named by nobody behind the persona
    pytest.param(CORPUS_I, (0.001, 0.01), (0.0001, 0.005), (QWEN, QWEN), (GEMMA, GEMMA), id="s0"),
    pytest.param(CORPUS_I1, (0.005, 0.05), (0.0005, 0.01), (QWEN, QWEN), (GEMMA, GEMMA), id="s1"),
    pytest.param(CORPUS_I2, (0.001, 0.01), (0.0002, 0.005), (None, QWEN), (GEMMA, None), id="s2"),
]


@pytest.mark.parametrize("corpus, plain_p, persona_p, named, control_named", RUN_I)
def test_committed_lab_corpus_run_i_verdicts(corpus, plain_p, persona_p, named, control_named):
    """Run I: the suspects re-trained with 40 self prompts in their data, judged against run H's
    panel, which answered exactly as in run H (docs/lab.md, run I). The distilled student says
    it was made by Alibaba Cloud in about half its plain identity answers, and its teacher's
    answers do too; the control student never does. Attribution v7: qwen in both views of
    seeds 0 and 1 and behind the persona in seed 2; the control student: its own teacher
    gemma3-270m, or nobody (seed 2 persona), never qwen."""
    from harness.corpus import load_answers, load_merged
    from harness.lab.evaluate import evaluate_answers

    ans = load_answers(corpus)
    panel = load_merged([CORPUS_G, CORPUS_H4])
    assert sorted(ans.models) == sorted(panel.models)
    for m in ans.models:
        same = ans.texts[m] == panel.texts[m]
        assert same == (m not in ("student-teacher", "student-gemma")), m
    # Prediction 4: Qwen or Alibaba named in at least a quarter of the plain identity answers
    # (28: 16 probes, 4 of them sampled 4 times at T = 0.7); measured 15 and 13 of 28.
    for m, lo in (("student-teacher", 7), ("student-gemma", 0), ("qwen2.5-coder-0.5b", 20)):
        texts = [
            t
            for p, ts in ans.texts[m].items()
            if ans.family(p) == "identity" and "@persona" not in p
            for t in ts
        ]
        says = sum(any(k in t.lower() for k in ("qwen", "alibaba", "阿里", "通义")) for t in texts)
        assert len(texts) == 28 and says >= lo and (lo or says == 0), (m, says)
    result = evaluate_answers(ans)
    for view, (lo, hi), teacher, own in zip(
        ("plain", "persona"), (plain_p, persona_p), named, control_named, strict=True
    ):
        v = result[view]["verdicts"]
        assert v["student-teacher"]["n_controls"] == 11
        assert (
            v["student-teacher"]["outcome"] == "distilled" and lo < v["student-teacher"]["p"] < hi
        )
        assert v["student-gemma"]["outcome"] == "not distilled" and v["student-gemma"]["p"] > 0.8
        att = result[view]["attribution"]
        assert att["student-teacher"]["teacher"] == teacher, (view, att["student-teacher"])
        assert att["student-gemma"]["teacher"] == own, (view, att["student-gemma"])


FRESH_DRAWS = [
    # (corpus, its panel's corpora, distilled p range plain / persona, teacher named for the
    # distilled and for the control student plain / persona, the control student's lowest p):
    # Attribution is v7's; v1's in brackets.
    # J1 measured 5.3e-05 / 0.00092, qwen named in both views (ahead of gemma3-270m at Holm p
    # 0.00054 / 0.00039) [v1: both], control student 0.91 / 0.68, named gemma3-270m in both
    # [v1: plain only]
    pytest.param(
        CORPUS_J1,
        [CORPUS_I],
        (1e-5, 5e-4),
        (2e-4, 5e-3),
        (QWEN, QWEN),
        (GEMMA, GEMMA),
        0.5,
        id="j1-self40-s3",
    ),
    # J2 measured 0.00225 / 0.0132, nobody named in either view [v1: nobody], control
    # student 0.98 / 0.90
    pytest.param(
        CORPUS_J2,
        [CORPUS_G, CORPUS_H4],
        (5e-4, 1e-2),
        (2e-3, 5e-2),
        (None, None),
        (GEMMA, None),
        0.8,
        id="j2-s7-run-h-panel",
    ),
    # K1 measured 0.00306 / 0.00055; qwen named in both (0.0037 / 0.00021, ahead at Holm p
    # 0.00081 / 0.0038) [v1: persona only, plain ahead at 0.0506]; control student 0.93 /
    # 0.89, named gemma3-270m in both [v1: plain only]
    pytest.param(
        CORPUS_K1,
        [CORPUS_I],
        (5e-4, 1e-2),
        (1e-4, 2e-3),
        (QWEN, QWEN),
        (GEMMA, GEMMA),
        0.8,
        id="k1-self40-s4",
    ),
    # K2 measured 0.00429 / 0.00044; qwen named in both (0.0055 / 0.00036, ahead at 0.0046 /
    # 0.0049) [v1: persona only]; control student 0.987 / 0.851, gemma3-270m in both views
    pytest.param(
        CORPUS_K2,
        [CORPUS_I],
        (5e-4, 1e-2),
        (1e-4, 2e-3),
        (QWEN, QWEN),
        (GEMMA, GEMMA),
        0.8,
        id="k2-self40-s5",
    ),
    # K3 measured 0.00192 / 0.00040; qwen named in both (0.0035 / 0.00019, ahead at 0.0025 /
    # 0.0045) [v1: persona only]; control student 0.955 / 0.809, gemma3-270m in both
    pytest.param(
        CORPUS_K3,
        [CORPUS_I],
        (5e-4, 1e-2),
        (1e-4, 2e-3),
        (QWEN, QWEN),
        (GEMMA, GEMMA),
        0.8,
        id="k3-self40-s6",
    ),
]


# Run L (pre-registered, the fresh draws attribution v7 was tested on before it shipped),
# run I's panel, 11 controls. Measured (plain / persona), v1's attribution in brackets:
# L1 0.00142 / 0.000349; qwen named in both (0.0022 / 4.5e-05, ahead at Holm p 0.0020 /
#   0.00018) [persona only, plain ahead at 0.17]; control student 0.98 / 0.895, named
#   gemma3-270m in both [plain only]
# L2 0.00181 / 0.000174; qwen in both (0.0059 / 6.0e-05, ahead at 0.0032 / 0.0025) [persona
#   only, plain ahead at 0.071]; control student 0.99 / 0.911, gemma3-270m plain, nobody persona
# L3 0.00649 / 0.000828; qwen in both (0.011 / 0.00021, ahead at 0.0067 / 0.0058) [persona
#   only, plain ahead at 0.19]; control student 0.974 / 0.89, gemma3-270m in both [plain only]
FRESH_DRAWS += [
    pytest.param(c, [CORPUS_I], plain, persona, (QWEN, QWEN), own, 0.8, id=name)
    for c, plain, persona, own, name in (
        (CORPUS_L1, (2e-4, 1e-2), (5e-5, 2e-3), (GEMMA, GEMMA), "l1-self40-s7"),
        (CORPUS_L2, (2e-4, 1e-2), (2e-5, 2e-3), (GEMMA, None), "l2-self40-s8"),
        (CORPUS_L3, (2e-4, 1e-2), (5e-5, 2e-3), (GEMMA, GEMMA), "l3-self40-s9"),
    )
]


@pytest.mark.parametrize(
    "corpus, panel, plain_p, persona_p, named, control_named, ctrl_p", FRESH_DRAWS
)
def test_committed_lab_corpus_fresh_draw_verdicts(
    corpus, panel, plain_p, persona_p, named, control_named, ctrl_p
):
    """Runs J and K: only the two suspects were re-trained, served and probed; every other
    model's answers are the panel corpus's, byte for byte (docs/lab.md, runs J and K)."""
    from harness.corpus import load_answers, load_merged
    from harness.lab.evaluate import evaluate_answers

    ans, was = load_answers(corpus), load_merged(panel)
    assert sorted(ans.models) == sorted(was.models)
    for m in ans.models:
        assert (ans.texts[m] == was.texts[m]) == (m not in ("student-teacher", "student-gemma")), m
    result = evaluate_answers(ans)
    for view, (lo, hi), teacher, own in zip(
        ("plain", "persona"), (plain_p, persona_p), named, control_named, strict=True
    ):
        v, att = result[view]["verdicts"], result[view]["attribution"]
        assert v["student-teacher"]["n_controls"] == 11
        assert v["student-teacher"]["outcome"] == "distilled", v["student-teacher"]
        assert lo < v["student-teacher"]["p"] < hi, (view, v["student-teacher"]["p"])
        assert v["student-gemma"]["outcome"] == "not distilled" and v["student-gemma"]["p"] > ctrl_p
        assert att["student-teacher"]["teacher"] == teacher, (view, att["student-teacher"])
        assert att["student-gemma"]["teacher"] == own, (view, att["student-gemma"])


def test_lab_evaluate_merges_corpora_and_refuses_mismatched_ones(capsys):
    """`lab evaluate A B` scores the merged corpora (run H's re-scoring); two draws of the same
    suspects are not parts of one run and are refused in one line."""
    import json

    from harness.cli import main
    from harness.corpus import load_merged
    from harness.lab.evaluate import evaluate_answers

    assert main(["lab", "evaluate", str(CORPUS_G3), str(CORPUS_H4), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = evaluate_answers(load_merged([CORPUS_G3, CORPUS_H4]))
    for view in ("plain", "persona"):
        got = printed[view]["verdicts"]["student-teacher"]
        assert got["p"] == pytest.approx(expected[view]["verdicts"]["student-teacher"]["p"])
        assert got["n_controls"] == 11
    assert main(["lab", "evaluate", str(CORPUS_G3), str(CORPUS_G4)]) == 2
    captured = capsys.readouterr()
    assert captured.out == "" and "answers differently in" in captured.err
    assert len(captured.err.strip().splitlines()) == 1


def test_lab_evaluate_json_is_the_evaluation(capsys):
    """`fingerprint lab evaluate CORPUS --json` prints strict JSON with the same verdicts as
    `evaluate_answers`, for CI jobs that re-check a committed corpus."""
    import json

    from harness.cli import main

    assert main(["lab", "evaluate", str(CORPUS_G4), "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = _evaluate(CORPUS_G4)
    for view in ("plain", "persona"):
        for s in ("student-teacher", "student-gemma"):
            assert printed[view]["verdicts"][s]["p"] == pytest.approx(
                expected[view]["verdicts"][s]["p"]
            )
            assert (
                printed[view]["attribution"][s]["teacher"]
                == (expected[view]["attribution"][s]["teacher"])
            )
    assert printed["plain"]["attribution"]["student-teacher"]["teacher"] == "qwen2.5-coder-0.5b"


def test_lab_evaluate_shows_which_features_point_to_which_teacher(capsys):
    """Each suspect's feature standing against the teacher and against every candidate is in
    the JSON and on the terminal: a reader sees why a student was or was not attributed."""
    import json

    from harness.cli import main

    assert main(["lab", "evaluate", str(CORPUS_J1), "--json"]) == 0
    plain = json.loads(capsys.readouterr().out)["plain"]
    against = {s: plain["attribution"][s]["features"] for s in plain["verdicts"]}
    assert set(against["student-teacher"]) == {"qwen2.5-coder-0.5b", "gemma3-270m"}
    # Each student stands out most on the lexical features against its own teacher.
    for student, own, other in (
        ("student-teacher", "qwen2.5-coder-0.5b", "gemma3-270m"),
        ("student-gemma", "gemma3-270m", "qwen2.5-coder-0.5b"),
    ):
        assert against[student][own]["word2"] > 3 > against[student][other]["word2"]
    assert plain["verdicts"]["student-teacher"]["features"]["char4"] > 3
    assert main(["lab", "evaluate", str(CORPUS_J1)]) == 0
    out = capsys.readouterr().out
    assert "feature standing" in out and "against gemma3-270m: char4 +" in out
    assert main(["lab", "evaluate", str(CORPUS_J1), "--markdown"]) == 0
    md = capsys.readouterr().out
    assert "| student-teacher | distilled | 5.3e-05 |" in md
    assert "- student-gemma: verdict: char4 " in md and "| all 111 |" in md


def test_lab_evaluate_shows_how_near_an_attribution_call_was(capsys):
    """A bare "no single teacher" hides whether the teacher led by a hair or not at all: the
    line names the leading candidate, its p and its Holm-corrected lead over each other one
    (run I seed 2 plain misses by 0.052 under attribution v7; docs/lab.md, run L)."""
    from harness.cli import main

    assert main(["lab", "evaluate", str(CORPUS_I2)]) == 0
    plain, persona = capsys.readouterr().out.split("persona:")
    line = next(x for x in plain.splitlines() if x.strip().startswith("student-teacher "))
    assert line.endswith(
        "attributed to: no single teacher (leading: qwen2.5-coder-0.5b, p 0.0073, "
        "ahead of gemma3-270m at Holm p 0.052)"
    ), line
    line = next(x for x in persona.splitlines() if x.strip().startswith("student-teacher "))
    assert line.endswith(
        "attributed to: qwen2.5-coder-0.5b (p 0.00019, ahead of gemma3-270m at Holm p 0.0046)"
    ), line


def test_lab_evaluate_scores_attribution_on_chosen_features(capsys):
    """Attribution scores the lexical features by default (v7, shipped after run L) and says
    so; `--attribution-features all` is the pre-v7 rule (K1 plain: no single teacher, missed by
    0.0506; docs/lab.md, run K); the verdicts never change; a misspelt name is one error line."""
    from harness.cli import main

    def plain_line(argv):
        assert main(["lab", "evaluate", str(CORPUS_K1), *argv]) == 0
        plain = capsys.readouterr().out.split("persona:")[0]
        line = next(x for x in plain.splitlines() if x.strip().startswith("student-teacher "))
        assert "distilled      p = 0.00306" in line, line
        return line, plain

    line, plain = plain_line([])
    assert line.endswith(
        "attributed to: qwen2.5-coder-0.5b (p 0.0037, ahead of gemma3-270m at Holm p 0.00081)"
    ), line
    assert "attribution scored on char4, word2 (--attribution-features)" in plain
    assert plain_line(["--attribution-features", "word2,char4"])[0] == line
    line, plain = plain_line(["--attribution-features", "all"])
    assert line.endswith(
        "attributed to: no single teacher (leading: qwen2.5-coder-0.5b, p 0.0078, "
        "ahead of gemma3-270m at Holm p 0.051)"
    ), line
    # Identity is not scored in the lab (the human-answer students make no claims).
    assert "attribution scored on char4, word2, refusal, canary, layout (" in plain
    assert main(["lab", "evaluate", str(CORPUS_K1), "--attribution-features", "char4,wrd"]) == 2
    out, err = capsys.readouterr()
    assert (
        out == ""
        and err.count("\n") == 1
        and "wrd; scored features (or 'all'): char4, word2" in err
    ), err


def test_lab_evaluate_names_no_features_when_no_attribution_was_tested(capsys):
    """Run A: too few controls independent of both candidates, so nothing was attributed and
    no "attribution scored on" line (it used to print one with an empty list)."""
    from harness.cli import main

    assert main(["lab", "evaluate", str(CORPUS)]) == 0
    out = capsys.readouterr().out
    assert "attributed to: not tested: needs >= 5 controls" in out
    assert "attribution scored on" not in out


def test_lab_evaluate_refuses_a_corpus_it_cannot_score(tmp_path, capsys):
    """A corpus without the lab's teacher or suspects, or without 3 probes they all answered,
    is one clear error line (exit 2), never a silent empty evaluation."""
    import gzip
    import json

    from harness.cli import main

    with gzip.open(CORPUS_C, "rt") as f:
        rows = [json.loads(line) for line in f]
    no_suspect = tmp_path / "no-suspect.jsonl.gz"
    with gzip.open(no_suspect, "wt") as f:
        f.writelines(json.dumps(r) + "\n" for r in rows if r["model"] != "student-gemma")
    assert main(["lab", "evaluate", str(no_suspect)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, (out, err)
    assert "not a lab corpus: no answers from student-gemma" in err
    # Every model present, but the suspect answered only two probes.
    keep = {r["prompt_id"] for r in rows[:2]}
    sparse = tmp_path / "sparse.jsonl.gz"
    with gzip.open(sparse, "wt") as f:
        f.writelines(
            json.dumps(r) + "\n"
            for r in rows
            if r["model"] != "student-gemma" or r["prompt_id"] in keep
        )
    assert main(["lab", "evaluate", str(sparse)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "no view has 3 probes answered by all of" in err, (out, err)
