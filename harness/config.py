"""Run configuration: which endpoints answer, who is reference / suspect / control, which probes.

API keys never live here: a config names the environment variable that holds a key, and the
value is read at the moment an endpoint is built. A key written into the file is refused.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml

from harness.errors import InputError

KINDS = ("openai-chat", "openai-completions", "anthropic", "replay")
_SECRET_KEYS = {"api_key", "apikey", "key", "token", "authorization", "x-api-key"}
# What a POSIX shell accepts as a variable name. A key (sk-..., with dashes) never matches.
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Keys that would still pass as names: vendor formats written with underscores (sk_live_...,
# ghp_..., hf_..., AKIA...), or 24+ letters and digits in one run, mixing cases and digits,
# which no one names a variable (names split words with _).
_KEY_LIKE = re.compile(
    r"[spr]k_(live|test)_|gh[pousr]_[A-Za-z0-9]{20}|github_pat_|hf_[A-Za-z0-9]{20}"
    r"|AKIA[0-9A-Z]{16}$"
    r"|(?=[A-Za-z0-9]*[a-z])(?=[A-Za-z0-9]*[A-Z])(?=[A-Za-z0-9]*[0-9])[A-Za-z0-9]{24,}$"
)


def _plausible_env_name(value: Any) -> bool:
    return (
        isinstance(value, str)
        and _ENV_NAME.fullmatch(value) is not None
        and _KEY_LIKE.match(value) is None
    )


@dataclass(frozen=True)
class EndpointSpec:
    """One model behind one API. `identity` (kind + URL + model) is what the cache keys on."""

    name: str
    kind: str
    base_url: str
    model: str
    api_key_env: str | None = None
    concurrency: int = 4
    timeout_s: float = 120.0
    max_n: int = 1
    max_retries: int = 6
    price_in: float = 0.0  # currency units per million prompt tokens
    price_out: float = 0.0  # per million completion tokens

    @property
    def identity(self) -> str:
        return f"{self.kind}|{self.base_url.rstrip('/')}|{self.model}"

    def api_key(self) -> str | None:
        """The key from the environment; a named but unset variable is an input error."""
        if not self.api_key_env:
            return None
        value = os.environ.get(self.api_key_env)
        if not value:
            raise InputError(
                f"endpoint {self.name!r}: environment variable {self.api_key_env} is not set"
            )
        return value


@dataclass(frozen=True)
class ProbeSelection:
    selection: str = "core"
    families: tuple[str, ...] = ()
    variants: bool = False
    directory: str | None = None
    corpus: str | None = None  # ask the prompts of an answer corpus instead of the suites
    limit: int | None = None  # only the first N probes (cheap smoke runs)


@dataclass(frozen=True)
class RunConfig:
    name: str
    reference: str
    suspects: tuple[str, ...]
    controls: tuple[str, ...]
    endpoints: dict[str, EndpointSpec]
    probes: ProbeSelection = field(default_factory=ProbeSelection)
    seed: int = 0
    logprobs: int | None = None
    # Other candidate teachers besides the reference: each suspect is then also attributed
    # ("which of these taught it, if any?", `harness.detector.attribute`). The controls must be
    # independent of every candidate, not only of the reference.
    candidates: tuple[str, ...] = ()

    @property
    def in_use(self) -> tuple[str, ...]:
        """The endpoints a run asks: those with a role, in role order, each once.

        An endpoint listed under `endpoints` but given no role is kept in the config (a spare,
        or a suspect taken off the watchlist) and never asked: asking it would spend requests
        and budget on answers no verdict reads.
        """
        roles = (self.reference, *self.suspects, *self.controls, *self.candidates)
        return tuple(n for n in dict.fromkeys(roles) if n in self.endpoints)

    @property
    def unused(self) -> tuple[str, ...]:
        """Endpoints in the config that no role names, in config order (not an error)."""
        used = set(self.in_use)
        return tuple(n for n in self.endpoints if n not in used)

    def fingerprint(self, suite_hashes: dict[str, str]) -> str:
        """Stable hash of everything that decides which answers a run needs.

        Only endpoints in use count, so adding or removing a spare endpoint keeps the run id
        (and a config whose endpoints all have roles hashes as it always did).
        """
        used = set(self.in_use)
        data = {
            "endpoints": {n: e.identity for n, e in sorted(self.endpoints.items()) if n in used},
            "roles": [self.reference, list(self.suspects), list(self.controls)]
            + ([list(self.candidates)] if self.candidates else []),
            "probes": asdict(self.probes),
            "suites": dict(sorted(suite_hashes.items())),
            "seed": self.seed,
            "logprobs": self.logprobs,
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def public_dict(self) -> dict[str, Any]:
        """What the manifest records: everything but the environment's values."""
        return asdict(self)


def check_url(url: str, where: str) -> str:
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise InputError(
            f"{where}: {url!r} is not an http(s) URL (expected e.g. http://host:port/v1)"
        )
    if parsed.username or parsed.password:
        raise InputError(f"{where}: credentials in the URL are not allowed; use api_key_env")
    return url.rstrip("/")


def _require(mapping: dict[str, Any], key: str, where: str, kind: type | tuple = str) -> Any:
    if key not in mapping:
        raise InputError(f"{where}: missing '{key}'")
    value = mapping[key]
    if not isinstance(value, kind) or isinstance(value, bool) and kind is not bool:
        raise InputError(f"{where}.{key}: expected {getattr(kind, '__name__', kind)}")
    return value


def endpoint_from_dict(
    name: str, raw: Any, where: str, base_dir: Path | None = None, *, check_key: bool = True
) -> EndpointSpec:
    """One endpoint entry; `check_key` fails now if its key variable is unset (a run config
    passes False and checks only the endpoints a role names: a spare is never called)."""
    where = f"{where}.{name}"
    if not isinstance(raw, dict):
        raise InputError(f"{where}: expected a mapping")
    leaked = _SECRET_KEYS.intersection(k.lower() for k in raw)
    if leaked:
        raise InputError(
            f"{where}: '{sorted(leaked)[0]}' puts a secret in the config; "
            "set it in an environment variable and name that with api_key_env"
        )
    known = set(EndpointSpec.__dataclass_fields__) - {"name"}
    unknown = set(raw) - known
    if unknown:
        raise InputError(
            f"{where}: unknown key '{sorted(unknown)[0]}' (known: {', '.join(sorted(known))})"
        )
    kind = _require(raw, "kind", where)
    if kind not in KINDS:
        raise InputError(
            f"{where}.kind: unknown endpoint kind {kind!r} (known: {', '.join(KINDS)})"
        )
    base_url = _require(raw, "base_url", where)
    if kind == "replay":
        # A replay endpoint's "URL" is a corpus file, relative to the config's folder.
        corpus = Path(base_url.removeprefix("file://"))
        if not corpus.is_absolute() and base_dir is not None:
            corpus = base_dir / corpus
        if not corpus.is_file():
            raise InputError(f"{where}.base_url: corpus file {str(corpus)!r} does not exist")
        base_url = str(corpus.resolve())
    else:
        base_url = check_url(base_url, f"{where}.base_url")
    api_key_env = raw.get("api_key_env")
    if api_key_env is not None and not _plausible_env_name(api_key_env):
        # Never quote the value: what is not a variable name is most likely the key itself,
        # pasted in, and this line goes to the terminal and to CI logs.
        raise InputError(
            f"{where}.api_key_env: must name an environment variable, not hold a key "
            "(a name is letters, digits and _; put the key in that variable)"
        )
    spec = EndpointSpec(
        name=name,
        kind=kind,
        base_url=base_url,
        model=_require(raw, "model", where),
        api_key_env=api_key_env,
        concurrency=_number(raw, "concurrency", 4, where, integer=True, low=1),
        timeout_s=_number(raw, "timeout_s", 120.0, where, low=1e-3),
        max_n=_number(raw, "max_n", 1, where, integer=True, low=1),
        max_retries=_number(raw, "max_retries", 6, where, integer=True, low=0),
        price_in=_number(raw, "price_in", 0.0, where, low=0),
        price_out=_number(raw, "price_out", 0.0, where, low=0),
    )
    if check_key:
        spec.api_key()  # fail now, before any request, if the named variable is unset
    return spec


def _number(
    raw: dict[str, Any], key: str, default: float, where: str, *, integer: bool = False, low: float
) -> Any:
    """A finite number (whole if `integer`) of at least `low`, or one clear InputError."""
    value = raw.get(key, default)
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    if ok and integer:
        ok = float(value).is_integer()
    if not ok or value < low:
        kind = "a whole number" if integer else "a number"
        raise InputError(f"{where}.{key}: expected {kind} >= {low:g}, got {value!r}")
    return int(value) if integer else float(value)


def _names(raw: Any, where: str) -> tuple[str, ...]:
    if raw is None:
        return ()
    if isinstance(raw, str):
        return (raw,)
    if not isinstance(raw, list) or not all(isinstance(x, str) for x in raw):
        raise InputError(f"{where}: expected a list of endpoint names")
    return tuple(raw)


def check_roles(
    where: str,
    names: list[str],
    reference: str,
    suspects: tuple[str, ...],
    controls: tuple[str, ...],
    candidates: tuple[str, ...] = (),
) -> tuple[str, ...]:
    """Every role names a known model and no model has two roles; returns the suspects
    (default: every model that has no other role)."""
    for role, group in (
        ("reference", (reference,)),
        ("suspects", suspects),
        ("controls", controls),
        ("candidates", candidates),
    ):
        for n in group:
            if n not in names:
                raise InputError(f"{where}: {role}: {n!r} is not an endpoint in this config")
    if not suspects:
        suspects = tuple(
            n for n in names if n != reference and n not in controls and n not in candidates
        )
    if reference in suspects or reference in controls:
        raise InputError(
            f"{where}: the reference {reference!r} cannot also be a suspect or control"
        )
    both = set(suspects) & set(controls)
    if both:
        raise InputError(f"{where}: {sorted(both)[0]!r} is both a suspect and a control")
    for n in candidates:
        if n == reference or n in suspects or n in controls:
            raise InputError(
                f"{where}: candidates: {n!r} is already the reference, a suspect or a control "
                "(a candidate is another possible teacher; controls must be independent of it)"
            )
    return tuple(suspects)


# The top-level keys of a run config; a check config swaps `suspects` for its own keys
# (harness.check.CHECK_KEYS), so its unknown-key error lists its own set.
RUN_KEYS = frozenset(
    (
        "name",
        "reference",
        "suspects",
        "controls",
        "candidates",
        "endpoints",
        "probes",
        "seed",
        "logprobs",
    )
)


def config_from_dict(raw: Any, source: str, base_dir: Path | None = None) -> RunConfig:
    if not isinstance(raw, dict):
        raise InputError(f"{source}: expected a mapping at the top level")
    unknown = set(raw) - RUN_KEYS
    if unknown:
        raise InputError(
            f"{source}: unknown key '{sorted(unknown)[0]}' (known: {', '.join(sorted(RUN_KEYS))})"
        )
    endpoints_raw = _require(raw, "endpoints", source, dict)
    endpoints = {
        str(n): endpoint_from_dict(str(n), e, f"{source}: endpoints", base_dir, check_key=False)
        for n, e in endpoints_raw.items()
    }
    reference = _require(raw, "reference", source)
    suspects = _names(raw.get("suspects"), f"{source}: suspects")
    controls = _names(raw.get("controls"), f"{source}: controls")
    candidates = _names(raw.get("candidates"), f"{source}: candidates")
    suspects = check_roles(source, list(endpoints), reference, suspects, controls, candidates)
    probes_raw = raw.get("probes") or {}
    if not isinstance(probes_raw, dict):
        raise InputError(f"{source}: probes: expected a mapping")
    unknown = set(probes_raw) - {"selection", "families", "variants", "dir", "corpus", "limit"}
    if unknown:
        raise InputError(f"{source}: probes: unknown key '{sorted(unknown)[0]}'")

    def local_path(value: Any) -> str | None:
        if value is None:
            return None
        p = Path(str(value))
        return str(p if p.is_absolute() or base_dir is None else base_dir / p)

    limit = probes_raw.get("limit")
    if limit is not None and (not isinstance(limit, int) or limit < 1):
        raise InputError(f"{source}: probes.limit: expected a positive integer")
    selection = probes_raw.get("selection", "core")
    if not isinstance(selection, str):
        raise InputError(f"{source}: probes.selection: expected a name (core, smoke, full)")
    probes = ProbeSelection(
        selection=selection,
        families=_names(probes_raw.get("families"), f"{source}: probes.families"),
        variants=bool(probes_raw.get("variants", False)),
        directory=local_path(probes_raw.get("dir")),
        corpus=local_path(probes_raw.get("corpus")),
        limit=limit,
    )
    seed = raw.get("seed", 0)
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise InputError(f"{source}: seed: expected an integer")
    logprobs = raw.get("logprobs")
    if logprobs is not None and (
        not isinstance(logprobs, int) or isinstance(logprobs, bool) or not 0 <= logprobs <= 20
    ):
        raise InputError(f"{source}: logprobs: expected a whole number from 0 to 20")
    config = RunConfig(
        name=str(raw.get("name", Path(source).stem)),
        reference=reference,
        suspects=suspects,
        controls=controls,
        endpoints=endpoints,
        probes=probes,
        seed=seed,
        logprobs=logprobs,
        candidates=candidates,
    )
    # Fail now, before any request, if a named key variable is unset; only for endpoints a
    # role names: a spare is never called, so its key may be missing (RunConfig.in_use).
    for name in config.in_use:
        endpoints[name].api_key()
    return config


def load_config(path: str | Path) -> RunConfig:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such config file") from None
    except UnicodeDecodeError:
        raise InputError(f"{path}: not UTF-8 text") from None
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise InputError(f"{path}{line}: invalid YAML: {getattr(exc, 'problem', exc)}") from None
    return config_from_dict(raw, str(path), path.parent)


def local_config(servers: list[Any], reference: str | None = None) -> RunConfig:
    """A run over the local llama.cpp servers: one reference, every other model a suspect.

    With no control panel configured, each suspect is judged against the other suspects.
    """
    if len(servers) < 2:
        raise InputError(
            "a local run needs at least two running local models (fingerprint local status)"
        )
    names = [s.name for s in servers]
    if reference is None:
        # The instruction-tuned model that knows the most makes the most interesting teacher.
        reference = next(
            (n for n in ("qwen2.5-coder-0.5b", "smollm2-135m") if n in names), names[0]
        )
    if reference not in names:
        raise InputError(
            f"--reference {reference!r} is not a running local model ({', '.join(names)})"
        )
    endpoints = {
        s.name: EndpointSpec(
            name=s.name,
            kind="openai-chat" if s.api == "chat" else "openai-completions",
            base_url=s.base_url.rstrip("/") + "/v1",
            model=s.name,
            concurrency=1,  # concurrent requests change llama.cpp's outputs; keep runs repeatable
            max_n=s.slots,
            timeout_s=300.0,
        )
        for s in servers
    }
    return RunConfig(
        name="local",
        reference=reference,
        suspects=tuple(n for n in names if n != reference),
        controls=(),
        endpoints=endpoints,
        probes=ProbeSelection(selection="core"),
        seed=0,
    )
