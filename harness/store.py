"""The store: one SQLite row per answer, committed the moment it arrives.

SQLite (WAL mode, one file) is the embedded default because a run killed at any point must keep
every answer already paid for, and a re-run must find them by key without asking again.

Cache key = sha256(endpoint identity, canonical request, sample index). The identity names who
answered (kind + base URL + model), so a second model never receives the first one's answers;
the sample index keeps repeated samples of one request distinct.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import sqlite3
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from harness.answers import Answers
from harness.errors import InputError, OperationalError

SCHEMA_VERSION = 1
# How long an opener waits out another process's lock before saying the store is locked, and
# how long each statement waits for a writer's commit (sqlite3's default, made explicit).
LOCK_PATIENCE_S = 10.0
BUSY_TIMEOUT_S = 5.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    identity TEXT NOT NULL,
    probe_id TEXT NOT NULL,
    family TEXT NOT NULL DEFAULT '',
    suite TEXT NOT NULL DEFAULT '',
    sample_index INTEGER NOT NULL,
    seed INTEGER,
    request TEXT NOT NULL,
    text TEXT NOT NULL,
    finish_reason TEXT,
    usage TEXT NOT NULL DEFAULT '{}',
    logprobs TEXT,
    model_reported TEXT NOT NULL DEFAULT '',
    latency_s REAL,
    raw TEXT NOT NULL DEFAULT '{}',
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_by_endpoint ON answers (endpoint, probe_id);
CREATE TABLE IF NOT EXISTS failures (
    key TEXT PRIMARY KEY,
    endpoint TEXT NOT NULL,
    probe_id TEXT NOT NULL,
    sample_index INTEGER NOT NULL,
    error TEXT NOT NULL,
    created_at REAL NOT NULL
);
"""


def cache_key(identity: str, request_json: str, sample_index: int) -> str:
    h = hashlib.sha256()
    for part in (identity, request_json, str(sample_index)):
        h.update(part.encode("utf-8"))
        h.update(b"\x00")
    return h.hexdigest()


@dataclass
class AnswerRecord:
    """One sample of one probe from one endpoint, as stored."""

    key: str
    endpoint: str
    identity: str
    probe_id: str
    sample_index: int
    request: str
    text: str
    family: str = ""
    suite: str = ""
    seed: int | None = None
    finish_reason: str | None = None
    usage: dict[str, int] = field(default_factory=dict)
    logprobs: list[dict[str, Any]] | None = None
    model_reported: str = ""
    latency_s: float | None = None
    raw: dict[str, Any] = field(default_factory=dict)
    created_at: float = 0.0


_COLUMNS = tuple(f.name for f in fields(AnswerRecord))
_INSERT = (
    f"INSERT OR IGNORE INTO answers ({','.join(_COLUMNS)}) VALUES ({','.join('?' * len(_COLUMNS))})"
)


class Store:
    """An answers database. Use as a context manager; every `put` is durable on return."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._db = self._open()
        row = self._db.execute("SELECT v FROM meta WHERE k='schema'").fetchone()
        if int(row[0]) > SCHEMA_VERSION:
            raise InputError(f"{self.path}: store schema {row[0]} is newer than this fingerprint")
        self._failures_possible = (
            self._db.execute("SELECT 1 FROM failures LIMIT 1").fetchone() is not None
        )

    def _open(self) -> sqlite3.Connection:
        """Connect and create the schema. A run creating its store while a report (or a second
        run) opens the same path is normal, so a lock is waited out, not taken for a bad file;
        SQLite's busy handler does not cover switching a new file to WAL."""
        deadline = time.monotonic() + LOCK_PATIENCE_S
        while True:
            db = None
            try:
                db = sqlite3.connect(
                    self.path, isolation_level=None, timeout=min(BUSY_TIMEOUT_S, LOCK_PATIENCE_S)
                )
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("PRAGMA synchronous=NORMAL")
                db.executescript(_SCHEMA)
                if db.execute("SELECT 1 FROM meta WHERE k='schema'").fetchone() is None:
                    db.execute(
                        "INSERT OR IGNORE INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),)
                    )
                db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_S * 1000)}")
                return db
            except sqlite3.OperationalError as exc:
                if db is not None:
                    db.close()
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise InputError(f"{self.path}: not a fingerprint store ({exc})") from None
                if time.monotonic() > deadline:
                    raise OperationalError(
                        f"{self.path}: store is locked by another process ({exc})"
                    ) from None
                time.sleep(0.05)
            except sqlite3.DatabaseError as exc:
                if db is not None:
                    db.close()
                raise InputError(f"{self.path}: not a fingerprint store ({exc})") from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._db.close()

    def keys(self) -> set[str]:
        return {r[0] for r in self._db.execute("SELECT key FROM answers")}

    def put(self, record: AnswerRecord) -> bool:
        """Store one answer; returns False (and keeps the first) if the key is already there."""
        return self.put_many([record]) == 1

    def put_many(self, records: Iterable[AnswerRecord]) -> int:
        """Store answers in one transaction; returns how many were new."""
        rows = [self._row(r) for r in records]
        if len(rows) == 1 and not self._failures_possible:
            # One statement is its own transaction in autocommit mode: the hot path of a run.
            before = self._db.total_changes
            self._db.execute(_INSERT, rows[0])
            return self._db.total_changes - before
        with self._transaction():
            before = self._db.total_changes
            self._db.executemany(_INSERT, rows)
            inserted = self._db.total_changes - before
            if self._failures_possible:  # an answer that finally came clears its old failure
                self._db.executemany("DELETE FROM failures WHERE key=?", [(r[0],) for r in rows])
        return inserted

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """An explicit transaction: the connection autocommits, so `with db:` alone would not."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def record_failure(
        self, key: str, endpoint: str, probe_id: str, sample: int, error: str
    ) -> None:
        self._failures_possible = True
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO failures VALUES (?,?,?,?,?,?)",
                (key, endpoint, probe_id, sample, error, time.time()),
            )

    def failures(self) -> list[dict[str, Any]]:
        cur = self._db.execute(
            "SELECT endpoint, probe_id, sample_index, error FROM failures ORDER BY endpoint, probe_id"
        )
        return [
            dict(zip(("endpoint", "probe_id", "sample_index", "error"), r, strict=True))
            for r in cur
        ]

    def records(self, endpoints: Iterable[str] | None = None) -> Iterator[AnswerRecord]:
        sql = f"SELECT {','.join(_COLUMNS)} FROM answers"
        args: tuple = ()
        if endpoints is not None:
            names = list(endpoints)
            sql += f" WHERE endpoint IN ({','.join('?' * len(names))})"
            args = tuple(names)
        sql += " ORDER BY endpoint, probe_id, sample_index"
        for row in self._db.execute(sql, args):
            yield self._record(row)

    def get_many(self, keys: Iterable[str]) -> dict[str, AnswerRecord]:
        """The stored records among `keys`, by key."""
        out: dict[str, AnswerRecord] = {}
        keys = list(keys)
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            sql = f"SELECT {','.join(_COLUMNS)} FROM answers WHERE key IN ({','.join('?' * len(chunk))})"
            for row in self._db.execute(sql, chunk):
                record = self._record(row)
                out[record.key] = record
        return out

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM answers").fetchone()[0]

    def endpoints(self) -> list[str]:
        return [r[0] for r in self._db.execute("SELECT DISTINCT endpoint FROM answers ORDER BY 1")]

    def integrity_ok(self) -> bool:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

    @staticmethod
    def _row(r: AnswerRecord) -> tuple:
        d = {c: getattr(r, c) for c in _COLUMNS}
        d["usage"] = json.dumps(r.usage, sort_keys=True)
        d["logprobs"] = None if r.logprobs is None else json.dumps(r.logprobs, ensure_ascii=False)
        d["raw"] = json.dumps(r.raw, ensure_ascii=False, sort_keys=True)
        d["created_at"] = r.created_at or time.time()
        return tuple(d[c] for c in _COLUMNS)

    @staticmethod
    def _record(row: tuple) -> AnswerRecord:
        d = dict(zip(_COLUMNS, row, strict=True))
        d["usage"] = json.loads(d["usage"] or "{}")
        d["logprobs"] = None if d["logprobs"] is None else json.loads(d["logprobs"])
        d["raw"] = json.loads(d["raw"] or "{}")
        return AnswerRecord(**d)


_ROW_JSON = ("usage", "logprobs", "raw")  # nested fields kept as JSON text in a row


def record_row(r: AnswerRecord) -> dict[str, Any]:
    """One answer as a flat row: the corpus fields (model, prompt_id, prompt, response) and
    every stored field, nested values as JSON text so every format keeps them exactly."""
    return {
        "model": r.endpoint,
        "prompt_id": r.probe_id,
        "prompt": prompt_text(r.request),
        "response": r.text,
        "sample": r.sample_index,
        "seed": r.seed,
        "family": r.family,
        "suite": r.suite,
        "identity": r.identity,
        "key": r.key,
        "request": r.request,
        "finish_reason": r.finish_reason,
        "model_reported": r.model_reported,
        "latency_s": r.latency_s,
        "created_at": r.created_at,
        "usage": json.dumps(r.usage, sort_keys=True),
        "logprobs": None if r.logprobs is None else json.dumps(r.logprobs, ensure_ascii=False),
        "raw": json.dumps(r.raw, ensure_ascii=False, sort_keys=True),
    }


def row_record(row: dict[str, Any]) -> AnswerRecord:
    """The record `record_row` flattened, exactly as it was stored."""
    loaded = {c: None if row.get(c) is None else json.loads(row[c]) for c in _ROW_JSON}
    return AnswerRecord(
        key=row["key"],
        endpoint=row["model"],
        identity=row["identity"],
        probe_id=row["prompt_id"],
        sample_index=int(row["sample"]),
        request=row["request"],
        text=row["response"],
        family=row.get("family") or "",
        suite=row.get("suite") or "",
        seed=row.get("seed"),
        finish_reason=row.get("finish_reason"),
        usage=loaded["usage"] or {},
        logprobs=loaded["logprobs"],
        model_reported=row.get("model_reported") or "",
        latency_s=row.get("latency_s"),
        raw=loaded["raw"] or {},
        created_at=row.get("created_at") or 0.0,
    )


def prompt_text(request_json: str) -> str:
    """The human-readable prompt of a stored request: its last user turn, or the raw prompt."""
    return _prompt_of(request_json)[0]


def _prompt_of(request_json: str) -> tuple[str, bool]:
    """(prompt text, whether it came from a chat request's user turn)."""
    req = json.loads(request_json)
    for m in reversed(req.get("messages") or []):
        if m.get("role") == "user":
            return str(m.get("content", "")), True
    return str(req.get("prompt") or ""), False


def first_token_top(logprobs: list[dict[str, Any]] | None) -> dict[str, float] | None:
    """{token: probability} of the first generated token's top alternatives, or None.

    From a stored `logprobs` column (a list of `TokenLogprob` dicts). When the run asked for
    `logprobs: 0` there are no alternatives and the chosen token alone is returned.
    """
    if not logprobs or not isinstance(logprobs[0], dict):
        return None
    first = logprobs[0]
    top = first.get("top") or {}
    if not top and "token" in first:
        top = {str(first["token"]): float(first.get("logprob", 0.0))}
    out: dict[str, float] = {}
    for tok, lp in top.items():
        try:
            p = math.exp(float(lp))
        except (TypeError, ValueError, OverflowError):
            continue
        if math.isfinite(p):
            out[str(tok)] = p
    return out or None


def to_answers(
    store: Store, endpoints: Iterable[str] | None = None, identities: dict[str, str] | None = None
) -> Answers:
    """The detector's view of a store: endpoint -> probe id -> texts in sample order.

    `identities` (endpoint -> identity, from the run's manifest) keeps only the rows that
    endpoint answered as that identity: a run directory re-used after its endpoint changed
    (an edited replay corpus) holds the old answers too, and they are not samples of the new
    one. Endpoints it does not name keep every row. Answers stored with logprobs also fill
    `Answers.first_tokens` (first generated token's top alternatives per sample); stores
    without logprobs give an empty `first_tokens`.
    """
    texts: dict[str, dict[str, list[str]]] = {}
    families: dict[str, str] = {}
    prompts: dict[str, str] = {}
    first_tokens: dict[str, dict[str, list[dict[str, float]]]] = {}
    rendered: set[str] = set()  # prompts known so far only from a completions request
    identities = identities or {}
    for r in store.records(endpoints):
        if identities.get(r.endpoint, r.identity) != r.identity:
            continue
        texts.setdefault(r.endpoint, {}).setdefault(r.probe_id, []).append(r.text)
        if r.family:
            families[r.probe_id] = r.family
        # A chat request's user turn is the prompt as written; a completions request holds a
        # rendered transcript ("User: ...\nAssistant:"), shown only when no chat request exists.
        if r.probe_id not in prompts or r.probe_id in rendered:
            text, chat = _prompt_of(r.request)
            if r.probe_id not in prompts or chat:
                prompts[r.probe_id] = text
                (rendered.discard if chat else rendered.add)(r.probe_id)
        top = first_token_top(r.logprobs)
        if top is not None:
            first_tokens.setdefault(r.endpoint, {}).setdefault(r.probe_id, []).append(top)
    return Answers(texts=texts, families=families, prompts=prompts, first_tokens=first_tokens)
