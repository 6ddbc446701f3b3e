"""Read and write answer corpora: JSON Lines, plain or gzip-compressed.

One record per line: {"model", "prompt_id", "prompt", "response", ...}; extra keys ("source",
"meta", "family", "sample") are kept in the record. A malformed line raises `InputError` naming
`file:line`, because a corpus is user input and the user must be able to find the bad line.
`iter_records` is public so the store importer can stream a corpus without building `Answers`.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path

from harness.answers import Answers
from harness.errors import InputError

REQUIRED = ("model", "prompt_id", "response")
JSON_LINES_HINT = (
    " (the file must be JSON Lines, one record object per line, not one JSON array of records)"
)


# A byte that is not UTF-8, as "surrogateescape" decodes it (U+DC80..U+DCFF).
_UNDECODABLE = re.compile("[\udc80-\udcff]")
# A lone UTF-16 surrogate, as a JSON escape ("\ud83d") writes half an emoji cut in two.
_SURROGATE = re.compile("[\ud800-\udfff]")


GZIP_MAGIC = b"\x1f\x8b"


def _open_text(path: Path) -> io.TextIOBase:
    """Open `path` for reading text, transparently gunzipping gzip data.

    Whether to gunzip is read from the file's first two bytes, not its name: a plain
    `responses.jsonl.gz` (saved without compressing) used to fail with "BadGzipFile" and a
    gzipped `responses.jsonl` with "not UTF-8 (byte 0x8b)", though both are readable.

    "utf-8-sig": UTF-8 that skips a leading byte-order mark, which some Windows tools write
    and which would otherwise make line 1 invalid JSON. "surrogateescape": a byte that is not
    UTF-8 is kept as a marker in its line instead of failing the chunk being decoded, which
    is read ahead of the line counter; `iter_records` then names the line that holds it.
    """
    with open(path, "rb") as fh:
        gzipped = fh.read(2) == GZIP_MAGIC
    if gzipped:
        return io.TextIOWrapper(
            gzip.open(path, "rb"), encoding="utf-8-sig", errors="surrogateescape"
        )
    return open(path, encoding="utf-8-sig", errors="surrogateescape")  # noqa: SIM115


def iter_records(path: str | Path, nulls: dict[str, int] | None = None) -> Iterator[dict]:
    """Yield validated records of a `.jsonl` / `.jsonl.gz` corpus, one dict per non-blank line.

    Each record has string `model`, `prompt_id`, `response` (may be empty) and `prompt`
    (defaults to ""). Raises `InputError("file:line: ...")` on the first malformed line.
    `nulls`: where given, a record whose response is null (a generation that failed, as some
    corpora save it) is skipped and counted per model there instead of being an error.
    """
    path = Path(path)
    if not path.exists():
        raise InputError(f"{path}: no such corpus file")
    try:
        fh = _open_text(path)
    except OSError as exc:
        raise InputError(f"{path}: cannot open: {exc.strerror or exc}") from exc
    with fh:
        lineno = 0
        try:
            for lineno, line in enumerate(fh, 1):  # noqa: B007 - used in the except below
                if not line.strip():
                    continue
                if bad := _UNDECODABLE.search(line):
                    byte = ord(bad.group()) - 0xDC00
                    raise InputError(
                        f"{path}:{lineno}: not UTF-8 (byte 0x{byte:02x} at character "
                        f"{bad.start() + 1}); re-save the file as UTF-8"
                    )
                rec = _validate(path, lineno, line, nulls is not None)
                if rec["response"] is None:
                    nulls[rec["model"]] = nulls.get(rec["model"], 0) + 1  # type: ignore[index]
                    continue
                yield rec
        except EOFError as exc:
            raise InputError(
                f"{path}:{lineno + 1}: the gzip data ends early (the file is cut short: "
                "copy or download it again)"
            ) from exc
        except (gzip.BadGzipFile, OSError, zlib.error) as exc:
            # zlib.error (not an OSError): a damaged deflate block, e.g. "invalid stored block
            # lengths", which used to escape as a traceback.
            raise InputError(
                f"{path}:{lineno + 1}: unreadable, the gzip data is damaged ({exc})"
            ) from exc


def _validate(path: Path, lineno: int, line: str, null_ok: bool = False) -> dict:
    """Parse one JSON line and check the required string fields (`null_ok`: a null response
    passes, for the caller to skip)."""
    try:
        rec = json.loads(line)
    except json.JSONDecodeError as exc:
        array = lineno == 1 and line.strip() == "["
        raise InputError(
            f"{path}:{lineno}: not valid JSON ({exc.msg})" + (JSON_LINES_HINT if array else "")
        ) from None
    if not isinstance(rec, dict):
        raise InputError(
            f"{path}:{lineno}: expected a JSON object, got {type(rec).__name__}"
            + (JSON_LINES_HINT if isinstance(rec, list) else "")
        )
    for key in REQUIRED:
        if key not in rec:
            fields = ", ".join(f"'{k}'" for k in list(rec)[:8]) or "none"
            raise InputError(
                f"{path}:{lineno}: missing field '{key}' (the record's fields: {fields}; "
                f"required: {', '.join(REQUIRED)})"
            )
        if key == "prompt_id":
            rec[key] = normal_prompt_id(rec[key])
        if key == "response" and null_ok and rec[key] is None:
            continue
        if not isinstance(rec[key], str):
            raise InputError(f"{path}:{lineno}: field '{key}' must be a string")
    if not rec["model"] or not rec["prompt_id"]:
        raise InputError(f"{path}:{lineno}: 'model' and 'prompt_id' must not be empty")
    prompt = rec.get("prompt", "")
    if prompt is None:
        prompt = ""
    if not isinstance(prompt, str):
        raise InputError(f"{path}:{lineno}: field 'prompt' must be a string")
    rec["prompt"] = prompt
    if "\\ud" not in line and "\\uD" not in line:
        return rec  # a lone surrogate can only come from a "\ud8xx".."\udfff" escape
    for key in ("model", "prompt_id"):
        if _SURROGATE.search(rec[key]):
            raise InputError(f"{path}:{lineno}: field '{key}' holds a lone UTF-16 surrogate")
    for key in ("response", "prompt"):
        # Half an emoji (a JSON "\ud83d" escape without its pair) is not text: every n-gram
        # feature encodes the answer and failed on it with a traceback. The answer is kept,
        # with U+FFFD for the half character.
        if isinstance(rec[key], str) and _SURROGATE.search(rec[key]):
            rec[key] = _SURROGATE.sub("\ufffd", rec[key])
    return rec


def normal_prompt_id(value: object) -> object:
    """An integer prompt id as its decimal string: other corpora in this format number their
    prompts (`"prompt_id": 7`), and 7 and "7" are one prompt. Other types are left for the
    string check to refuse (a float or bool id is more likely a shifted column than an id)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


def record_family(rec: dict) -> str:
    """Probe family of a record: `family`, else `meta.family`, else the prompt-id prefix.

    Prompt ids such as "alpacaeval:012" or "identity:who-made-you" carry their family before
    the colon; ids without one fall into family "default".
    """
    fam = rec.get("family")
    meta = rec.get("meta")
    if not fam and isinstance(meta, dict):
        fam = meta.get("family")
    if not fam:
        pid = rec["prompt_id"]
        fam = pid.split(":", 1)[0] if ":" in pid else "default"
    return str(fam)


def answers_from_records(records: Iterable[dict]) -> Answers:
    """Group records into `Answers` (several records per model and prompt become samples)."""
    texts: dict[str, dict[str, list[str]]] = {}
    families: dict[str, str] = {}
    prompts: dict[str, str] = {}
    for rec in records:
        pid = rec["prompt_id"]
        texts.setdefault(rec["model"], {}).setdefault(pid, []).append(rec["response"])
        if pid not in families:
            families[pid] = record_family(rec)
        if rec.get("prompt") and pid not in prompts:
            prompts[pid] = rec["prompt"]
    return Answers(texts=texts, families=families, prompts=prompts)


def load_answers(
    path: str | Path, models: Iterable[str] | None = None, nulls: dict[str, int] | None = None
) -> Answers:
    """Read a corpus file into `Answers`, optionally keeping only `models`; `nulls` as
    `iter_records`'."""
    keep = None if models is None else set(models)
    recs = iter_records(path, nulls)
    if keep is not None:
        recs = (r for r in recs if r["model"] in keep)
    return answers_from_records(recs)


def responses_file(path: str | Path, needs: str, file_ok: bool = False) -> Path:
    """A corpus directory's answers: responses.jsonl.gz, else responses.jsonl (or `path` itself
    when it is a file and `file_ok`). `needs` closes each error line: what the caller wanted."""
    path = Path(path)
    if file_ok and path.is_file():
        return path
    if not path.is_dir():
        what = "not a directory" if path.exists() else "no such directory"
        raise InputError(f"{path}: {what} ({needs})")
    for name in ("responses.jsonl.gz", "responses.jsonl"):
        if (path / name).is_file():
            return path / name
    raise InputError(f"{path / 'responses.jsonl.gz'}: no such file ({needs})")


def load_merged(paths: Iterable[str | Path]) -> Answers:
    """Several corpora as one `Answers`, each model taken whole from the first file holding it.

    For re-scoring with a panel grown later (docs/lab.md, run H: run G's corpora plus the new
    control students'). A model in two files must have the same answers in both, otherwise the
    files are not two parts of one experiment: that is refused, naming the model and files.
    """
    return answers_from_records(merged_records(paths))


def merged_records(paths: Iterable[str | Path]) -> list[dict]:
    """The records `load_merged` keeps, in file order."""
    by_model: dict[str, tuple[Path, list[dict]]] = {}
    for path in map(Path, paths):
        mine: dict[str, list[dict]] = {}
        for rec in iter_records(path):
            mine.setdefault(rec["model"], []).append(rec)
        for model, recs in mine.items():
            if model not in by_model:
                by_model[model] = (path, recs)
                continue
            first, kept = by_model[model]
            if _answer_keys(kept) != _answer_keys(recs):
                raise InputError(
                    f"{model} answers differently in {first} and {path}: not parts of one run"
                )
    return [r for _, recs in by_model.values() for r in recs]


def _answer_keys(recs: list[dict]) -> list[tuple[str, str]]:
    return sorted((r["prompt_id"], r["response"]) for r in recs)


def write_records(path: str | Path, records: Iterable[dict]) -> int:
    """Write records as JSON Lines (gzip when the name ends in .gz); returns the count."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    n = 0
    with opener(path, "wt", encoding="utf-8") as fh:
        for rec in records:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
            n += 1
    return n
