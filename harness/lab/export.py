"""Write a student as a GGUF file that the project's llama.cpp server can serve.

Why not llama.cpp's converter: it is not on PyPI with the model code it needs, and the lab only
changes a few tensors anyway. The student GGUF is the base GGUF copied key by key and tensor by
tensor (frozen tensors keep their original quantised bytes, so they are bit-identical to what the
base model serves), with the trained tensors replaced by float32 data under their GGUF names.
llama.cpp stores the Q and K projections of llama-architecture models with rows permuted for its
rotary layout (transformers un-permutes them when it loads a GGUF); `_permute` redoes that.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

_HF_TO_GGUF = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
    "input_layernorm": "attn_norm",
    "post_attention_layernorm": "ffn_norm",
}
_LAYER = re.compile(r"^model\.layers\.(\d+)\.(.+)\.weight$")


def gguf_name(hf_name: str) -> str:
    """GGUF tensor name of a llama-architecture transformers parameter."""
    if hf_name == "model.norm.weight":
        return "output_norm.weight"
    m = _LAYER.match(hf_name)
    if not m or m.group(2) not in _HF_TO_GGUF:
        raise ValueError(f"no GGUF name for {hf_name}")
    return f"blk.{m.group(1)}.{_HF_TO_GGUF[m.group(2)]}.weight"


def _permute(w: np.ndarray, n_head: int) -> np.ndarray:
    """llama.cpp's row order for Q/K (the inverse of transformers' reverse_permute)."""
    return (
        w.reshape(n_head, 2, w.shape[0] // n_head // 2, *w.shape[1:])
        .swapaxes(1, 2)
        .reshape(w.shape)
    )


def _field_value(field):
    from gguf import GGUFValueType

    vtype = field.types[0]
    sub = field.types[-1] if vtype == GGUFValueType.ARRAY else None
    return field.contents(), vtype, sub


def write_student_gguf(base: Path, weights: dict, out: Path, name: str) -> Path:
    """Copy `base` to `out`, replacing the tensors in `weights` (transformers names -> tensors)."""
    from gguf import GGUFReader, GGUFValueType, GGUFWriter

    reader = GGUFReader(base)
    arch = reader.fields["general.architecture"].contents()
    if arch != "llama":
        raise ValueError(f"{base}: architecture {arch!r}; the lab exports llama models only")
    n_head = int(reader.fields["llama.attention.head_count"].contents())
    n_kv = int(reader.fields["llama.attention.head_count_kv"].contents())
    replaced = {}
    for hf, t in weights.items():
        w = t.detach().float().numpy()
        if ".self_attn.q_proj." in hf:
            w = _permute(w, n_head)
        elif ".self_attn.k_proj." in hf:
            w = _permute(w, n_kv)
        replaced[gguf_name(hf)] = np.ascontiguousarray(w, dtype=np.float32)
    tmp = out.with_suffix(".tmp")
    writer = GGUFWriter(tmp, arch)
    for field in reader.fields.values():
        if field.name.startswith("GGUF.") or field.name == "general.architecture":
            continue
        if field.name == "general.name":
            writer.add_key_value(field.name, name, GGUFValueType.STRING)
            continue
        value, vtype, sub = _field_value(field)
        writer.add_key_value(field.name, value, vtype, sub_type=sub)
    seen = set()
    for t in reader.tensors:
        if t.name in replaced:
            writer.add_tensor(t.name, replaced[t.name])
            seen.add(t.name)
        else:
            writer.add_tensor(t.name, t.data, raw_shape=t.data.shape, raw_dtype=t.tensor_type)
    missing = set(replaced) - seen
    if missing:
        raise ValueError(f"{base}: no tensor {sorted(missing)[0]} to replace")
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    tmp.replace(out)
    return out
