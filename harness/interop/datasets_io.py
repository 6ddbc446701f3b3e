"""Answer corpora to and from Hugging Face `datasets`: publish a run, import a published corpus.

Export writes one row per stored answer (every sample, with its seed, request and cache key) as
Parquet, JSON Lines or an Arrow dataset (`save_to_disk`), plus ``README.md``, a dataset card
whose front matter tells the hub where the data is and whose body carries the run manifest.
The columns ``model``, ``prompt_id``, ``prompt``, ``response`` make every export a valid
fingerprint corpus as well.

Import takes a saved dataset folder, a Parquet/Arrow file, an exported folder, or a hub name.
Rows that carry fingerprint's own columns (``key``, ``identity``, ``request``) are restored into a
run directory as they were: same keys, every sample, byte for byte. Any other dataset only needs
``model``, ``prompt_id``, ``response`` (and ``prompt``); its rows become the same record dicts
`harness.corpus.iter_records` yields and go through ``fingerprint import``'s replay path.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from harness.errors import InputError
from harness.interop import require
from harness.manifest import RunDir, new_manifest
from harness.store import Store, record_row, row_record

FORMATS = ("parquet", "jsonl", "arrow")
DATA_NAME = "answers"
LOSSLESS = ("key", "identity", "request")  # columns that mark a fingerprint export
_HUB_NAME = re.compile(r"^[A-Za-z0-9][\w.-]*/[\w.-]+$")


# ---------------------------------------------------------------------------------- export
def _datasets() -> Any:
    """`datasets`, quiet: its progress bars would bury the one line a command prints."""
    datasets = require("datasets")
    datasets.disable_progress_bars()
    return datasets


def export_run(run_dir: str | Path, out: str | Path, fmt: str = "parquet") -> tuple[Path, int]:
    """Write a run's answers and its dataset card into `out`; returns (data path, rows)."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    datasets = _datasets()
    run = RunDir(Path(run_dir))
    manifest = run.read_manifest()
    if not run.store_path.exists():
        raise InputError(f"{run.path}: no {run.store_path.name} in this run directory")
    with Store(run.store_path) as store:
        rows = [record_row(r) for r in store.records()]
    if not rows:
        raise InputError(f"{run.store_path}: the store holds no answers")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    ds = datasets.Dataset.from_list(rows, features=_features(datasets))
    if fmt == "parquet":
        data = out / f"{DATA_NAME}.parquet"
        ds.to_parquet(str(data))
    elif fmt == "jsonl":
        from harness.corpus import write_records

        data = out / f"{DATA_NAME}.jsonl"
        write_records(data, rows)  # json.dumps keeps floats exact; pandas rounds to 10 digits
    else:
        data = out / DATA_NAME
        ds.save_to_disk(str(data))
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
    (out / "README.md").write_text(dataset_card(manifest, data.relative_to(out), fmt, len(rows)))
    return data, len(rows)


def _features(datasets: Any) -> Any:
    """Fixed column types, so an all-null column (no logprobs) is still a string column."""
    v = datasets.Value
    types = {
        "model": "string",
        "prompt_id": "string",
        "prompt": "string",
        "response": "string",
        "sample": "int64",
        "seed": "int64",
        "family": "string",
        "suite": "string",
        "identity": "string",
        "key": "string",
        "request": "string",
        "finish_reason": "string",
        "model_reported": "string",
        "latency_s": "float64",
        "created_at": "float64",
        "usage": "string",
        "logprobs": "string",
        "raw": "string",
    }
    return datasets.Features({k: v(t) for k, t in types.items()})


def dataset_card(manifest: dict[str, Any], data: Path, fmt: str, rows: int) -> str:
    """README.md for the hub: front matter pointing at the data, then what was asked of whom."""
    files = f"{data.as_posix()}/*.arrow" if fmt == "arrow" else data.as_posix()
    models = sorted(manifest.get("endpoints") or manifest.get("config", {}).get("endpoints") or {})
    suites = manifest.get("suites") or []
    lines = [
        "---",
        "configs:",
        "  - config_name: default",
        "    data_files:",
        "      - split: train",
        f"        path: {files}",
        "tags: [fingerprint, model-distillation, llm-answers]",
        "---",
        "",
        f"# fingerprint answers: {manifest.get('run_id', '?')}",
        "",
        f"{rows} answers of {len(models)} models ({', '.join(models)}) to "
        f"{len(suites)} probe suites, exported by fingerprint "
        f"{manifest.get('harness_version', '?')}. One row per sample: `model`, `prompt_id`, "
        "`prompt`, `response`, `sample` and its `seed`; `request` is the exact request sent, "
        "`key` the cache key (sha256 of endpoint identity, request and sample index). "
        "`usage`, `logprobs` and `raw` are JSON text. No API key is stored anywhere.",
        "",
        "Load it with `datasets.load_dataset(PATH)` or import it back with "
        "`fingerprint import PATH`.",
        "",
        "## Manifest",
        "",
        "```json",
        json.dumps(manifest, indent=2, ensure_ascii=False),
        "```",
        "",
    ]
    return "\n".join(lines)


# ---------------------------------------------------------------------------------- import


def is_dataset_source(source: str) -> bool:
    """Whether `fingerprint import SOURCE` should read SOURCE with `datasets` (or restore it)."""
    path = Path(source)
    if path.is_dir():
        return True
    if path.suffix in (".parquet", ".arrow"):
        return True
    if path.is_file() and path.name.endswith((".jsonl", ".jsonl.gz")):
        return _first_is_lossless(path)
    return not path.exists() and bool(_HUB_NAME.match(source))


def _first_is_lossless(path: Path) -> bool:
    from harness.corpus import iter_records

    try:
        first = next(iter_records(path), None)
    except InputError:
        return False
    return first is not None and all(c in first for c in LOSSLESS)


def iter_rows(source: str) -> Iterator[dict[str, Any]]:
    """Rows of a dataset source as plain dicts (see the module docstring for what is accepted)."""
    path = Path(source)
    if path.is_file() and path.name.endswith((".jsonl", ".jsonl.gz")):
        from harness.corpus import iter_records

        yield from iter_records(path)
        return
    datasets = _datasets()
    yield from _load(datasets, source, path)


def _load(datasets: Any, source: str, path: Path) -> Any:
    if path.is_dir():
        if (path / "state.json").exists() or (path / "dataset_dict.json").exists():
            return _split(datasets.load_from_disk(str(path)), source)
        saved = path / DATA_NAME
        if (saved / "state.json").exists():
            return datasets.load_from_disk(str(saved))
        files = sorted(path.glob("*.parquet")) or sorted(path.glob("*.jsonl"))
        if not files:
            raise InputError(f"{path}: no saved dataset, .parquet or .jsonl files in this folder")
        return _load(datasets, str(files[0]), files[0]) if len(files) == 1 else _many(files)
    if path.suffix == ".parquet":
        return datasets.Dataset.from_parquet(str(path))
    if path.suffix == ".arrow":
        return datasets.Dataset.from_file(str(path))
    if path.name.endswith((".jsonl", ".jsonl.gz")):
        return datasets.Dataset.from_json(str(path))
    _hub_reachable(source)
    try:
        return _split(datasets.load_dataset(source), source)
    except Exception as exc:  # any hub failure: offline, unknown name, auth
        reason = " ".join(str(exc).split())[:160]
        raise InputError(
            f"{source}: cannot load this dataset from the Hugging Face hub ({reason}); "
            "download it where the hub is reachable and pass the local folder or .parquet file"
        ) from None


def _hub_reachable(source: str) -> None:
    """Fail in seconds, not after the hub client's half-minute of retries, when offline."""
    import os
    import socket
    from urllib.parse import urlparse

    host = urlparse(os.environ.get("HF_ENDPOINT", "https://huggingface.co")).hostname or ""
    why = "HF_HUB_OFFLINE is set" if os.environ.get("HF_HUB_OFFLINE") in ("1", "true") else ""
    if not why:
        try:
            socket.create_connection((host, 443), timeout=5).close()
        except OSError as exc:
            why = f"{host} is unreachable: {exc.strerror or type(exc).__name__}"
    if why:
        raise InputError(
            f"{source}: not a local path, and the Hugging Face hub cannot be reached ({why}); "
            "download the dataset where the hub is reachable and pass its local folder"
        )


def _many(files: list[Path]) -> Iterator[dict[str, Any]]:
    from harness.corpus import iter_records

    for f in files:
        yield from iter_records(f) if f.suffix == ".jsonl" else _rows_of_parquet(f)


def _rows_of_parquet(path: Path) -> Any:
    datasets = _datasets()
    return datasets.Dataset.from_parquet(str(path))


def _split(ds: Any, source: str) -> Any:
    """A DatasetDict's one split (or 'train'); several splits must be chosen by saving one."""
    if not hasattr(ds, "keys"):
        return ds
    names = list(ds.keys())
    if len(names) == 1 or "train" in names:
        return ds[names[0] if len(names) == 1 else "train"]
    raise InputError(f"{source}: several splits ({', '.join(names)}); save the one to import")


def corpus_record(row: dict[str, Any], where: str) -> dict[str, Any]:
    """A dataset row as the record dict `harness.corpus.iter_records` would yield."""
    from harness.corpus import normal_prompt_id

    row = {**row, "prompt_id": normal_prompt_id(row.get("prompt_id"))}
    for col in ("model", "prompt_id", "response"):
        # A null response is a failed generation: kept as null, the import reads it as no answer.
        null = col == "response" and col in row and row[col] is None
        if not isinstance(row.get(col), str) and not null:
            raise InputError(f"{where}: column '{col}' is missing or not text")
    if not row["model"] or not row["prompt_id"]:
        raise InputError(f"{where}: 'model' and 'prompt_id' must not be empty")
    rec = {k: v for k, v in row.items() if v is not None}
    rec["prompt"] = row.get("prompt") or ""
    rec["response"] = row["response"]
    return rec


def write_corpus(source: str, path: Path) -> int:
    """Convert a foreign dataset into a JSONL corpus at `path` for the replay import."""
    from harness.corpus import write_records

    path.parent.mkdir(parents=True, exist_ok=True)
    rows = (corpus_record(r, f"{source} row {i}") for i, r in enumerate(iter_rows(source)))
    return write_records(path, rows)


def restore(source: str, results: Path, run_id: str | None) -> tuple[RunDir, int]:
    """Put a fingerprint export back into a run directory exactly as it was stored."""
    rows = list(iter_rows(source))
    if not rows or not all(c in rows[0] for c in LOSSLESS):
        raise InputError(f"{source}: not a fingerprint export (needs {', '.join(LOSSLESS)})")
    manifest = _manifest_beside(Path(source))
    run_id = run_id or f"import-{manifest.get('run_id') or Path(source).stem}"
    run = RunDir(Path(results) / run_id)
    records = [row_record(r) for r in rows]
    with Store(run.store_path) as store:
        added = store.put_many(records)
    manifest = manifest or new_manifest(run_id, {"endpoints": {}}, [])
    manifest.update(run_id=run_id, imported_from=str(source), status="complete")
    run.write_manifest(manifest)
    return run, added


def _manifest_beside(path: Path) -> dict[str, Any]:
    """The manifest an export wrote next to its data (the folder itself or its parent)."""
    for folder in (path, path.parent, path.parent.parent):
        candidate = folder / "manifest.json"
        if folder.is_dir() and candidate.is_file():
            return json.loads(candidate.read_text(encoding="utf-8"))
    return {}


def prepare_import(args: Any) -> int | None:
    """`fingerprint import` for dataset sources: restore an export, or convert to a corpus.

    Returns an exit code when the import is done here (a fingerprint export, restored as it
    was); returns None after pointing ``args.corpus`` at a JSONL corpus converted from a foreign
    dataset, or when the source is a plain corpus file, so the usual import path takes over.
    """
    source = str(args.corpus)
    if not is_dataset_source(source):
        return None
    results = Path(args.results)
    rows = iter_rows(source)
    first = next(iter(rows), None)
    if first is None:
        raise InputError(f"{source}: the dataset holds no rows")
    if all(c in first for c in LOSSLESS):
        if args.models or args.limit:
            raise InputError("--models and --limit do not apply to a fingerprint export")
        run, added = restore(source, results, args.run_id)
        print(f"restored {added} answers from {source} into {run.path}")
        return 0
    slug = re.sub(r"[^A-Za-z0-9_-]+", "-", Path(source.rstrip("/")).name).strip("-") or "dataset"
    corpus = results / "corpora" / f"{slug}.jsonl"
    n = write_corpus(source, corpus)
    print(f"converted {n} rows of {source} into the corpus {corpus}")
    args.corpus = str(corpus)
    return None
