"""HTTP plumbing every adapter shares: one POST, timed, with failures sorted into retryable or not.

Keeping this in one place is what makes the retry policy and secret redaction uniform across
providers: adapters only build bodies and parse answers.
"""

from __future__ import annotations

import base64
import email.utils
import importlib.util
import json
import logging
import re
import sys
import time
from typing import Any

import httpx

from harness.endpoints.base import EndpointError
from harness.errors import redact


def _cache_missing_sniffio() -> None:
    """Make httpcore's per-request `import sniffio` cheap when sniffio is not installed.

    httpcore 1.0 imports sniffio inside every lock operation; anyio >= 4.10 no longer installs
    it, and a failed import is never cached, so each request paid a sys.path scan (about 0.7 ms
    of CPU per request, more at high concurrency: see docs/hardening.md). Recording the absence
    in sys.modules makes httpcore take its asyncio fallback at once, as it would anyway.
    """
    if "sniffio" not in sys.modules and importlib.util.find_spec("sniffio") is None:
        sys.modules["sniffio"] = None  # type: ignore[assignment]


_cache_missing_sniffio()

# Loggers that print request or response details at DEBUG (httpcore logs response headers,
# which a gateway may use to echo the key back). A record is emitted only if its own logger's
# filters pass it, so each one is filtered by name rather than at the "httpcore" parent.
_HTTP_LOGGERS = (
    "httpx",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)
_LIVE_SECRETS: set[str] = set()


class _RedactingFilter(logging.Filter):
    """Scrub every key an endpoint holds from the HTTP libraries' log records."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _LIVE_SECRETS:
            message = record.getMessage()
            cleaned = redact(message, tuple(_LIVE_SECRETS))
            if cleaned != message:
                record.msg, record.args = cleaned, ()
        return True


_FILTER = _RedactingFilter()
for _name in _HTTP_LOGGERS:
    logging.getLogger(_name).addFilter(_FILTER)


def register_secrets(secrets: tuple[str, ...]) -> None:
    """Keys in use by this process: redacted from httpx/httpcore logs from now on."""
    _LIVE_SECRETS.update(s for s in secrets if s)


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
    except (ValueError, RecursionError):
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
    data = decode_json(response.content)
    if data is None:
        # Truncated or garbled bodies are transient on real networks: worth another try.
        snippet = redact(_server_message(response), secrets)[:120]
        raise EndpointError(f"{who}: response is not JSON: {snippet!r}", retryable=True)
    if not isinstance(data, dict):
        raise EndpointError(f"{who}: response is not a JSON object", retryable=True)
    return data, latency


_LONE_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


def decode_json(content: bytes) -> Any:
    """Parse a body as JSON without ever failing on its text encoding; None if it is not JSON.

    A body that is not valid UTF-8 is read with U+FFFD for each bad byte, and its exact bytes
    are kept under `_body_base64` so the store still holds what the provider sent, byte for
    byte. Lone UTF-16 surrogates (from `\\udXXX` escapes) cannot be stored as UTF-8 text and
    are replaced the same way. Answers are otherwise left untouched: HTML, scripts, 10 MB.
    """
    try:
        text = content.decode("utf-8")
        exact = True
    except UnicodeDecodeError:
        text = content.decode("utf-8", "replace")
        exact = False
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if _LONE_SURROGATE_ESCAPE.search(text):
        data = _replace_surrogates(data)
    if not exact and isinstance(data, dict):
        data["_body_base64"] = base64.b64encode(content).decode("ascii")
    return data


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        if any("\ud800" <= ch <= "\udfff" for ch in value):
            return "".join("\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value)
        return value
    if isinstance(value, list):
        return [_replace_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    return value
