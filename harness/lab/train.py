"""Fine-tune a student on one source's answers: CPU, bounded time, resumable.

Why the top layers only: on 2 shared CPU cores a full fine-tune of SmolLM2-135M costs ~150 s per
2,048 tokens (measured); training the last `train_layers` transformer blocks plus the final
norm, with the tied embeddings frozen, stops the backward pass early and keeps the whole lab
under an hour. Every student (distilled and controls) gets the identical recipe, so the only
difference between them is who wrote the answers.

Why checkpoints hold only the trainable tensors: they are what changes; the frozen rest is the
base GGUF itself, re-read on resume. A checkpoint is written atomically every `save_every` steps
and at the end, with the optimizer state and the data order, so a killed training resumes at
the step it had reached and ends with the same weights.
"""

from __future__ import annotations

import contextlib
import json
import os
import random
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from harness.lab import bf16

BASE_GGUF = "smollm2-135m.gguf"
# "bf16": matmuls under bfloat16 autocast, the recipe of runs A-J (on a CPU without native
# bfloat16 its products run widened, `bf16.py`); "fp32": float32 throughout.
PRECISIONS = ("bf16", "fp32")


@dataclass(frozen=True)
class TrainConfig:
    """The recipe shared by every student; changing any field changes every student."""

    epochs: int = 1
    lr: float = 3e-4
    batch_size: int = 8
    train_layers: int = 6
    max_answer_tokens: int = 128
    seed: int = 0
    save_every: int = 4
    threads: int = 1  # torch threads: speed only, not part of the recipe (see `recipe`)
    precision: str = "bf16"  # one of PRECISIONS; part of the recipe

    def __post_init__(self) -> None:
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision {self.precision!r}: one of {', '.join(PRECISIONS)}")


def recipe(cfg: TrainConfig | dict) -> dict:
    """The fields that decide the weights (threads only decide the speed). A config stored
    before `precision` existed was trained in bf16."""
    d = dict(asdict(cfg) if isinstance(cfg, TrainConfig) else cfg)
    d.pop("threads", None)
    d.setdefault("precision", "bf16")
    return d


def finished(out_dir: Path, cfg: TrainConfig) -> bool:
    """Whether `out_dir` holds a student trained to the end with this recipe."""
    done = out_dir / "summary.json"
    return done.exists() and recipe(json.loads(done.read_text()).get("config", {})) == recipe(cfg)


def load_base(models_dir: Path, tokenizer_cache: Path):
    """The base model dequantised from the local GGUF, and its tokenizer (cached: slow to build)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if (tokenizer_cache / "tokenizer_config.json").exists():
        tok = AutoTokenizer.from_pretrained(tokenizer_cache)
    else:
        tok = AutoTokenizer.from_pretrained(models_dir, gguf_file=BASE_GGUF)
        tok.save_pretrained(tokenizer_cache)
    model = AutoModelForCausalLM.from_pretrained(
        models_dir, gguf_file=BASE_GGUF, dtype=torch.float32
    )
    return model, tok


def encode(tok, prompt: str, answer: str, complete: bool, max_answer_tokens: int):
    """Token ids and labels (-100 on the prompt) in the chat format the server will use."""
    head = tok.apply_chat_template(
        [{"role": "user", "content": prompt}], tokenize=False, add_generation_prompt=True
    )
    p_ids = tok(head, add_special_tokens=False)["input_ids"]
    a_ids = tok(answer, add_special_tokens=False)["input_ids"][:max_answer_tokens]
    if complete and len(a_ids) < max_answer_tokens:
        a_ids = a_ids + tok("<|im_end|>", add_special_tokens=False)["input_ids"]
    return p_ids + a_ids, [-100] * len(p_ids) + a_ids


def trainable_names(model, train_layers: int) -> list[str]:
    n = model.config.num_hidden_layers
    keep = tuple(f"model.layers.{i}." for i in range(n - train_layers, n)) + ("model.norm.",)
    return [name for name, _ in model.named_parameters() if name.startswith(keep)]


def _answer_loss(model, ids, mask, labels):
    """Next-token cross-entropy on answer tokens only; the vocabulary projection (the costliest
    matmul of a 135M model with a 49k vocabulary) is computed only where there is a label."""
    import torch.nn.functional as F

    hidden = model.model(input_ids=ids, attention_mask=mask).last_hidden_state[:, :-1]
    target = labels[:, 1:]
    keep = target != -100
    logits = model.lm_head(hidden[keep])
    return F.cross_entropy(logits.float(), target[keep])


def _autocast(torch, precision: str):
    if precision == "bf16":
        return torch.autocast("cpu", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def _save(path: Path, state: dict) -> None:
    import torch

    tmp = path.with_suffix(".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)


def train(
    pairs: list[tuple[str, str, bool]],
    out_dir: Path,
    models_dir: Path,
    cfg: TrainConfig,
    *,
    log=print,
) -> dict:
    """Train one student; returns {"steps", "seconds", "tokens", "loss_first", "loss_last"}.

    The result (trainable tensors) is `out_dir/student.pt`; `out_dir/ckpt.pt` is the resumable
    state while training runs. Already finished (same config) -> returns the stored summary.
    """
    import torch

    out_dir.mkdir(parents=True, exist_ok=True)
    done = out_dir / "summary.json"
    if finished(out_dir, cfg):
        return json.loads(done.read_text())
    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    widen = cfg.precision == "bf16" and bf16.emulated(bf16.speed(cfg.threads))
    if widen:
        log("no native bfloat16 on this CPU: bf16 matrix products run widened to float32")
    model, tok = load_base(models_dir, out_dir.parent / "tokenizer")
    names = trainable_names(model, cfg.train_layers)
    for name, p in model.named_parameters():
        p.requires_grad = name in names
    params = [p for n, p in model.named_parameters() if n in names]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    data = [encode(tok, *pair, cfg.max_answer_tokens) for pair in pairs]
    order = []
    for epoch in range(cfg.epochs):
        idx = list(range(len(data)))
        random.Random(cfg.seed * 1000 + epoch).shuffle(idx)
        order += [idx[i : i + cfg.batch_size] for i in range(0, len(idx), cfg.batch_size)]
    total = len(order)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: max(0.0, 1 - s / total))
    step, losses, seconds = 0, [], 0.0
    ckpt = out_dir / "ckpt.pt"
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        if recipe(state["config"]) == recipe(cfg) and state["n_pairs"] == len(pairs):
            model.load_state_dict(state["weights"], strict=False)
            opt.load_state_dict(state["optim"])
            sched.load_state_dict(state["sched"])
            step, losses, seconds = state["step"], state["losses"], state["seconds"]
            log(f"resumed at step {step}/{total}")
    pad = tok.pad_token_id if tok.pad_token_id is not None else 0
    model.train()
    tokens = sum(len(ids) for ids, _ in data) * cfg.epochs
    while step < total:
        started = time.perf_counter()
        batch = [data[i] for i in order[step]]
        width = max(len(ids) for ids, _ in batch)
        ids = torch.tensor([x + [pad] * (width - len(x)) for x, _ in batch])
        labels = torch.tensor([y + [-100] * (width - len(y)) for _, y in batch])
        mask = torch.tensor([[1] * len(x) + [0] * (width - len(x)) for x, _ in batch])
        with bf16.matmuls(widen):  # forward and backward
            with _autocast(torch, cfg.precision):
                loss = _answer_loss(model, ids, mask, labels)
            loss.backward()
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        sched.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        seconds += time.perf_counter() - started
        losses.append(round(loss.item(), 4))  # float() on a grad tensor warns; .item() does not
        log(f"step {step}/{total} loss {losses[-1]:.3f} ({seconds:.0f} s)")
        if step % cfg.save_every == 0 or step == total:
            weights = {n: p.detach().clone() for n, p in model.named_parameters() if n in names}
            _save(
                ckpt,
                {
                    "config": asdict(cfg),
                    "n_pairs": len(pairs),
                    "weights": weights,
                    "optim": opt.state_dict(),
                    "sched": sched.state_dict(),
                    "step": step,
                    "losses": losses,
                    "seconds": seconds,
                },
            )
    weights = {n: p.detach().clone() for n, p in model.named_parameters() if n in names}
    _save(out_dir / "student.pt", {"config": asdict(cfg), "weights": weights})
    summary = {
        "config": asdict(cfg),
        "pairs": len(pairs),
        "steps": total,
        "seconds": round(seconds, 1),
        "tokens": tokens,
        "loss_first": losses[0] if losses else None,
        "loss_last": losses[-1] if losses else None,
        "trainable_params": sum(p.numel() for p in params),
        # how this training computed bf16 products: speed and summation order only
        "bf16_matmuls": ("widened" if widen else "native") if cfg.precision == "bf16" else None,
    }
    done.write_text(json.dumps(summary, indent=2))
    ckpt.unlink(missing_ok=True)
    return summary
