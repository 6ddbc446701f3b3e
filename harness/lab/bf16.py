"""The bf16 recipe at float32 speed on CPUs without native bfloat16.

Why: the lab trains under bfloat16 autocast. A CPU with AVX512-BF16 or AMX multiplies bf16
matrices natively: bf16 operands, products summed in float32, the sum rounded to bf16. Without
them torch's bf16 matrix product runs ~30 times slower than float32 (measured on an AVX2 EPYC:
1.1 vs 36-44 GFLOP/s), and `aten::mm` is 96 % of a training step's time. A float32 product of
the same bf16 operands, rounded to bf16 afterwards, is the same arithmetic: every bf16 value is
exact in float32, and so is the product of two 8-bit mantissas. Only the order of the float32
sums differs (measured: 99.98 % of a product's elements identical to torch's bf16 kernel, the
rest one bf16 step apart; `benchmarks/lab_bf16.py`). So the matrix products are widened and
everything else stays autocast's own: which ops it lowers, attention, the casts autograd makes
for the gradients.
"""

from __future__ import annotations

import contextlib

# bf16 this many times slower than float32 means emulated bfloat16 (measured 32-40x on an
# AVX2-only CPU), a margin no noise in a one-second measurement reaches.
SLOW_BF16 = 4.0


def _widened_mode():
    import torch
    from torch.utils._python_dispatch import TorchDispatchMode
    from torch.utils._pytree import tree_map

    aten = torch.ops.aten
    matmuls = {aten.mm.default, aten.addmm.default, aten.bmm.default, aten.baddbmm.default}

    def widen(x):
        return x.float() if isinstance(x, torch.Tensor) and x.dtype == torch.bfloat16 else x

    def narrow(x):
        return x.bfloat16() if isinstance(x, torch.Tensor) and x.dtype == torch.float32 else x

    class WidenedMatmuls(TorchDispatchMode):
        """bf16 matrix products computed by the float32 kernel, results rounded to bf16."""

        def __torch_dispatch__(self, func, types, args=(), kwargs=None):
            kwargs = kwargs or {}
            if func in matmuls and any(
                isinstance(a, torch.Tensor) and a.dtype == torch.bfloat16 for a in args
            ):
                return tree_map(narrow, func(*tree_map(widen, args), **kwargs))
            return func(*args, **kwargs)

    return WidenedMatmuls()


def speed(threads: int = 1) -> tuple[float, float]:
    """(bfloat16, float32) matrix-product throughput in GFLOP/s on this CPU with `threads`
    torch threads, at the shape of one of the student's projections (about 1 s)."""
    import time

    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        a, b = torch.randn(256, 576), torch.randn(576, 1536)
        out = []
        for dtype in (torch.bfloat16, torch.float32):
            x, y = a.to(dtype), b.to(dtype)
            x @ y  # warm-up
            t0 = time.perf_counter()
            for _ in range(3):
                x @ y
            out.append(3 * 2 * 256 * 576 * 1536 / (time.perf_counter() - t0) / 1e9)
        return out[0], out[1]
    finally:
        torch.set_num_threads(before)


def emulated(gflops: tuple[float, float]) -> bool:
    """Whether (bf16, fp32) GFLOP/s from `speed` say this CPU emulates bfloat16."""
    bf16, fp32 = gflops
    return bf16 * SLOW_BF16 < fp32


def matmuls(widen: bool):
    """A context in which bf16 matrix products (forward and backward) run as float32 products
    of the bf16 operands, rounded back to bf16, when `widen`; else nothing changes."""
    return _widened_mode() if widen else contextlib.nullcontext()
