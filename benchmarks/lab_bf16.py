"""One lab training step in each arithmetic, side by side: float32 (the baseline), bf16 with
widened matrix products (`harness/lab/bf16.py`), and torch's own bf16 kernels.

Why: the lab's recipe trains under bf16 autocast; on a CPU without native bfloat16 torch's bf16
kernels make a step tens of times slower, and widening should cost about what float32 costs.
The step is the recipe's: the student's top 12 blocks trained, a batch of 8 sequences of
`--tokens` tokens with the loss on the last 128 of each, one torch thread.

    python benchmarks/lab_bf16.py [--steps 2] [--tokens 250] [--skip-native]

Prints how many elements of products of the student's shapes agree exactly between widened
and torch's bf16 kernels, then seconds per step (the fastest of `--steps`; one step only of
torch's bf16 kernels, slow where they are emulated), the ratio to float32, and how far each
step's loss and gradients are from those of torch's own bf16 kernels (relative norm). Needs the lab extra
and `fingerprint local install` (the base GGUF).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=2)
    ap.add_argument("--tokens", type=int, default=250)
    ap.add_argument("--skip-native", action="store_true", help="skip torch's own bf16 kernels")
    args = ap.parse_args()

    import torch

    from harness.lab import bf16
    from harness.lab.train import _answer_loss, load_base, trainable_names
    from harness.local.catalog import cache_dir

    torch.set_num_threads(1)
    model, _tok = load_base(cache_dir(), Path.home() / ".cache/fingerprint/lab/tokenizer")
    names = set(trainable_names(model, 12))
    for name, p in model.named_parameters():
        p.requires_grad = name in names
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, model.config.vocab_size, (8, args.tokens), generator=g)
    labels = ids.clone()
    labels[:, : args.tokens - 128] = -100
    mask = torch.ones_like(ids)

    trained = [p for name, p in model.named_parameters() if name in names]

    def step(arith: str) -> tuple[float, float, torch.Tensor]:
        model.zero_grad(set_to_none=True)
        t0 = time.perf_counter()
        with bf16.matmuls(arith == "bf16-widened"):
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=arith != "fp32"):
                loss = _answer_loss(model, ids, mask, labels)
            loss.backward()
        seconds = time.perf_counter() - t0
        return seconds, loss.item(), torch.cat([p.grad.flatten() for p in trained])

    print("products of the student's shapes, widened vs torch's bf16 kernel:")
    for m, k, n in ((192, 576, 1536), (192, 1536, 576), (152, 576, 49152), (192, 576, 192)):
        a = torch.randn(m, k, generator=g).bfloat16()
        b = torch.randn(k, n, generator=g).bfloat16()
        with bf16.matmuls(True):
            wide = a @ b
        same = (wide == a @ b).float().mean().item()
        print(f"  {m} x {k} x {n}: {100 * same:.3f} % of elements identical")
    gflops = bf16.speed()
    print(f"matrix product, one thread: bf16 {gflops[0]:.1f} GFLOP/s, fp32 {gflops[1]:.1f}")
    print(f"native bfloat16: {'no (emulated)' if bf16.emulated(gflops) else 'yes'}")
    ariths = ["fp32", "bf16-widened"] + ([] if args.skip_native else ["bf16-native"])
    runs = {a: [step(a) for _ in range(1 if a == "bf16-native" else args.steps)] for a in ariths}
    base = min(r[0] for r in runs["fp32"])
    ref = runs.get("bf16-native", runs["bf16-widened"])[0]
    print(f"differences against {'bf16-native' if 'bf16-native' in runs else 'bf16-widened'}:")
    for a, r in runs.items():
        seconds, loss, grad = min(r, key=lambda x: x[0])
        rel = ((grad - ref[2]).norm() / ref[2].norm()).item()
        print(
            f"{a:<14} {seconds:7.1f} s/step {seconds / base:6.2f} x fp32   loss {loss:.5f} "
            f"(diff {abs(loss - ref[1]):.5f})   gradient diff {rel:.2e}"
        )


if __name__ == "__main__":
    main()
