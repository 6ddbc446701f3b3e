"""Interoperability with lm-evaluation-harness and Hugging Face `datasets` (optional extras).

Nothing here is imported by the core CLI at start-up: `lm_eval` and `datasets` are heavy,
optional installs, so each entry point imports them lazily through `require`, which turns a
missing extra into one line saying how to install it (an `InputError`, exit code 2).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from harness.errors import InputError

EXTRAS = {"lm_eval": "lmeval", "datasets": "datasets"}


def require(module: str) -> ModuleType:
    """Import an optional dependency or fail with the one-line install command."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        if exc.name is not None and exc.name.split(".")[0] != module.split(".")[0]:
            raise  # the extra is there but broken: show the real import error
        extra = EXTRAS.get(module.split(".")[0], module)
        raise InputError(
            f"this needs the optional '{extra}' extra: pip install 'fingerprint[{extra}]'"
        ) from None
