"""The two kinds of failure a user can act on, and the exit code each maps to.

Every message is one line a person can act on; none may carry a secret (see `redact`).
"""

from __future__ import annotations

import os
import re
from typing import Any


class FingerprintError(Exception):
    """Base of every error the command line turns into one clear line."""

    exit_code = 1


class InputError(FingerprintError):
    """The user's input is wrong (suite, config, URL, missing key variable): exit code 2."""

    exit_code = 2


class OperationalError(FingerprintError):
    """Something outside the input failed (endpoint down, budget hit): exit code 1."""

    exit_code = 1


class Terminated(KeyboardInterrupt):
    """SIGTERM during a run (a CI job's timeout, `kill`), handled like Ctrl-C: the answers are
    stored, the manifest says `interrupted`, and the command exits 143 (128 + SIGTERM)."""

    exit_code = 143


_KEYISH = re.compile(
    r"(?i)(bearer\s+|x-api-key[\"':\s]+|api[_-]?key[\"'=:\s]+)([A-Za-z0-9._\-]{6,})"
)


def redact(text: str, secrets: list[str] | tuple[str, ...] = ()) -> str:
    """Remove known secret values and anything shaped like a credential from `text`."""
    return _KEYISH.sub(lambda m: m.group(1) + "***", scrub(text, secrets))


def scrub(value: Any, secrets: list[str] | tuple[str, ...] = ()) -> Any:
    """`value` (text, or JSON-ready data) with every known secret value replaced by ***.

    Only the exact values: what a model answered is evidence, so text that merely looks like
    a key stays (`redact` also masks those, for error messages).
    """
    if not secrets:  # keyless endpoints (most local ones): nothing to walk
        return value
    if isinstance(value, str):
        for secret in secrets:
            if secret and len(secret) >= 4:
                value = value.replace(secret, "***")
        return value
    if isinstance(value, dict):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [scrub(v, secrets) for v in value]
    return value


def secret_values() -> list[str]:
    """Values of environment variables that look like credentials, to scrub from output."""
    return [
        v
        for k, v in os.environ.items()
        if v and len(v) >= 8 and re.search(r"(?i)(KEY|TOKEN|SECRET|PASSWORD)", k)
    ]
