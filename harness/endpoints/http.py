"""HTTP plumbing every adapter shares: one POST, timed, with failures sorted into retryable or not.

Keeping this in one place is what makes the retry policy and secret redaction uniform across
providers: adapters only build bodies and parse answers.
"""

from __future__ import annotations

import email.utils
import json
import time
from typing import Any

import httpx

from harness.endpoints.base import EndpointError
from harness.errors import redact

RETRYABLE_STATUS = frozenset({408, 409, 425, 429, 500, 502, 503, 504, 520, 522, 524, 529})
_MAX_ERROR_CHARS = 300


def parse_retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _server_message(response: httpx.Response) -> str:
    """The server's own words about an error, shortened; HTML pages reduced to their title."""
    text = response.text or ""
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict):
            msg = err.get("message") or err.get("type") or json.dumps(err)[:_MAX_ERROR_CHARS]
        else:
            msg = str(err)
        return " ".join(str(msg).split())[:_MAX_ERROR_CHARS]
    lowered = text.lower()
    if "<html" in lowered or "<!doctype" in lowered:
        start, end = lowered.find("<title>"), lowered.find("</title>")
        title = text[start + 7 : end].strip() if 0 <= start < end else ""
        return f"HTML error page{': ' + title if title else ''}"[:_MAX_ERROR_CHARS]
    return " ".join(text.split())[:_MAX_ERROR_CHARS] or response.reason_phrase


async def post_json(
    client: httpx.AsyncClient,
    url: str,
    body: dict[str, Any],
    *,
    headers: dict[str, str],
    secrets: tuple[str, ...],
    who: str,
) -> tuple[dict[str, Any], float]:
    """POST `body`, return (parsed JSON, seconds). Raise EndpointError saying if a retry may help."""
    started = time.perf_counter()
    try:
        response = await client.post(url, json=body, headers=headers)
    except httpx.TimeoutException as exc:
        raise EndpointError(f"{who}: timed out ({type(exc).__name__})", retryable=True) from None
    except httpx.TransportError as exc:
        detail = redact(str(exc) or type(exc).__name__, secrets)
        raise EndpointError(f"{who}: connection failed: {detail}", retryable=True) from None
    latency = time.perf_counter() - started
    if response.status_code >= 400:
        msg = redact(_server_message(response), secrets)
        raise EndpointError(
            f"{who}: HTTP {response.status_code}: {msg}",
            retryable=response.status_code in RETRYABLE_STATUS,
            status=response.status_code,
            retry_after=parse_retry_after(response.headers.get("retry-after")),
        )
    try:
        data = response.json()
    except ValueError:
        # Truncated or garbled bodies are transient on real networks: worth another try.
        snippet = redact(_server_message(response), secrets)[:120]
        raise EndpointError(f"{who}: response is not JSON: {snippet!r}", retryable=True) from None
    if not isinstance(data, dict):
        raise EndpointError(f"{who}: response is not a JSON object", retryable=True)
    return data, latency
