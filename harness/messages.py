"""One chat turn, shared by the probe suites (what to ask) and the endpoints (how it is sent).

Kept in its own module so neither side imports the other: probes stay plain data, endpoints
stay unaware of probe suites, and the runner passes a probe's turns to a request unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Message:
    """One chat turn; `role` is system, user or assistant."""

    role: str
    content: str
