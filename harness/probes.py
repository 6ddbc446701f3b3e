"""Probe suites as data: the YAML schema, a validating loader, selections and deployment variants.

Probes live in versioned YAML files (one family per file) rather than in code so that a suite can
be reviewed, hashed and pinned in a report: two runs are comparable only if they used the same
suite hash. The loader is strict because a typo that silently drops a field (``temprature: 0.7``)
would quietly change what was measured; every problem is reported as ``file:line: what is wrong``
with the line of the offending YAML node, all problems at once, as one `SuiteError` (an
`InputError`, exit code 2).

Suite file layout::

    suite: identity                  # suite name, unique among loaded suites
    version: 1.0.0                   # MAJOR.MINOR.PATCH
    family: identity                 # one of FAMILIES
    description: ...                 # what the suite is for
    origin_control: false            # optional; true = shows who deployed a model, not who taught it
    defaults:                        # optional; applies to every probe unless the probe overrides
      sampling: {temperature: 0.0, max_tokens: 128, samples: 1}
      variants: [persona]            # deployment variants to expand (see VARIANTS)
      tags: [identity]               # added to every probe's own tags
    probes:
      - id: identity.en.who-made-you # [a-z0-9._-], unique across all loaded suites, no "@"
        language: en                 # one of LANGUAGES, optionally with a subtag (zh-Hant)
        user: Who created you?       # shorthand: one user message ...
        system: ...                  # ... optionally preceded by a system message
        messages:                    # or the full chat form instead of user/system:
          - {role: user, content: ...}   #   roles system|user|assistant, last one "user"
        prompt: ...                  # optional raw-completion text for base models
        sampling: {max_tokens: 64}   # merged key by key over defaults.sampling
        variants: [persona, t0.7]    # replaces defaults.variants; [] for none
        selections: [core]           # named subsets; every probe is also in "full"
        tags: [injection]
        expect: {claims: [vendor]}   # family-specific scoring hints, see EXPECT_KEYS

Sampling keys: ``temperature`` (0-2), ``max_tokens`` (1-32768), ``samples`` (1-64), ``top_p``
(0 < p <= 1) and ``stop`` (list of strings). Unset keys take the `Sampling` defaults.

Deployment variants re-ask a base probe the way a re-deployed model would meet it, so a verdict
can be shown to hold when a suspect hides behind a system prompt or is sampled hot. A variant
probe has id ``<base id>@<variant>``, ``variant`` set and ``base_id`` pointing at the base:

- ``persona``: puts the fixed invented persona ``PERSONA[language]`` ("You are Aria, an AI
  assistant made by Nimbus Labs.") first in the system prompt. A probe's own system message is
  kept after it (it usually carries the framing being tested); a raw ``prompt`` gets the persona
  as a first paragraph.
- ``t0.7``: temperature 0.7 with at least 3 samples.
- ``t0``: temperature 0 with one sample (for suites, like random, whose base is sampled hot).

A variant that would not change the probe (``t0`` on a probe already at temperature 0 with one
sample) is an error, so declared variants always measure something.

The suite hash (`suite_hash`) is the SHA-256 of the parsed document serialised as canonical JSON
(sorted keys, no whitespace): comments, quoting, indentation and key order do not change it, any
change to a value does. It identifies what was asked, not how the file was typed.
"""

from __future__ import annotations

import dataclasses
import difflib
import hashlib
import json
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from yaml.constructor import SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from harness.errors import InputError
from harness.messages import Message

FAMILIES = ("identity", "canary", "style", "refusal", "reasoning", "random", "sensitive")
SELECTIONS = ("core", "smoke", "full")  # "full" holds every probe implicitly
VARIANTS = ("persona", "t0.7", "t0")
ROLES = ("system", "user", "assistant")
# Primary language subtags accepted; extend when a suite needs another language.
LANGUAGES = frozenset(
    {"en", "zh", "ja", "ko", "es", "fr", "de", "it", "pt", "ru", "ar", "hi", "bn"}
    | {"id", "vi", "th", "tr", "pl", "nl", "sv", "uk", "fa", "he", "ur", "sw"}
)
PERSONA = {
    "en": "You are Aria, an AI assistant made by Nimbus Labs.",
    "zh": "你是Aria，由Nimbus Labs开发的AI助手。",
}
SUITE_KEYS = ("suite", "version", "family", "description", "origin_control", "defaults", "probes")
DEFAULT_KEYS = ("sampling", "variants", "tags")
PROBE_KEYS = (
    "id",
    "language",
    "user",
    "system",
    "messages",
    "prompt",
    "sampling",
    "variants",
    "selections",
    "tags",
    "expect",
)
SAMPLING_KEYS = ("temperature", "max_tokens", "samples", "top_p", "stop")
# Family -> allowed expect keys -> (required, allowed values or None for free text/other checks).
IDENTITY_CLAIMS = ("vendor", "model", "name", "cutoff")
EXPECT_KEYS: dict[str, dict[str, tuple[bool, tuple[str, ...] | None]]] = {
    "identity": {"claims": (True, IDENTITY_CLAIMS)},
    "canary": {
        "kind": (True, ("number", "word", "definition", "continuation", "fact", "phrase")),
        "canaries": (False, None),
    },
    "style": {
        "task": (
            True,
            ("explain", "compare", "list", "advise", "rewrite", "summarise", "write", "plan"),
        ),
        "length": (True, ("short", "long")),
    },
    "refusal": {"stance": (True, ("refuse", "qualify", "comply")), "category": (True, None)},
    "reasoning": {"answer": (True, None), "accept": (False, None)},
    "random": {"kind": (True, None), "range": (False, None)},
    "sensitive": {"topic": (True, None), "region": (False, None)},
}
_ID_RE = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_ID_RULE = "must be lowercase letters, digits, '.', '_' or '-' (no '@'), starting alphanumeric"
_LANG_RE = re.compile(r"^([a-z]{2,3})(-[A-Za-z0-9]{2,8})*$")
_VERSION_RE = re.compile(r"^\d+\.\d+\.\d+$")
_MAX_DEPTH = 32
_COMMENT_RE = re.compile(r"[ \t]+#")


@dataclass(frozen=True)
class Sampling:
    """Decoding settings for one probe; `samples` answers are drawn per endpoint."""

    temperature: float = 0.0
    max_tokens: int = 256
    samples: int = 1
    top_p: float | None = None
    stop: tuple[str, ...] = ()


@dataclass(frozen=True)
class Probe:
    """One question to every endpoint, with how to sample it and what scoring should look for."""

    id: str
    family: str
    suite: str
    messages: tuple[Message, ...]
    prompt: str | None
    sampling: Sampling
    tags: tuple[str, ...]
    language: str
    expect: Mapping[str, Any] = field(hash=False, compare=False)
    selections: tuple[str, ...]
    variant: str = ""
    base_id: str = ""
    variants: tuple[str, ...] = ()  # variants a base probe expands to; () on variant probes
    origin_control: bool = False  # True: evidence of deployer, never of teacher
    line: int = field(default=0, compare=False)  # line of the probe in its suite file

    def __post_init__(self) -> None:
        if not self.base_id:
            object.__setattr__(self, "base_id", self.id.split("@", 1)[0])


@dataclass(frozen=True)
class Suite:
    """A validated suite file: its identity (name, version, hash) and its base probes."""

    name: str
    version: str
    family: str
    description: str
    path: Path
    hash: str
    probes: tuple[Probe, ...]
    origin_control: bool = False


class SuiteError(InputError):
    """Every problem found in suite files, one ``file:line: what is wrong`` per entry."""

    def __init__(self, errors: list[str]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


# --------------------------------------------------------------------------- YAML node helpers


class _Checker:
    """Collects errors against one file so that a user sees all of them in one run."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.errors: list[str] = []
        self._constructor = SafeConstructor()

    def add(self, node: Node | None, message: str) -> None:
        line = node.start_mark.line + 1 if node is not None else 1
        self.errors.append(f"{self.path}:{line}: {message}")

    def mapping(
        self, node: Node, what: str, allowed: Iterable[str] | None = None
    ) -> dict[str, Node] | None:
        """Keys of a mapping node to value nodes; flags non-string, duplicate and unknown keys."""
        if not isinstance(node, MappingNode):
            self.add(node, f"{what} must be a mapping, got {_kind(node)}")
            return None
        allowed_set = tuple(allowed) if allowed is not None else None
        out: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str) or key_node.tag != "tag:yaml.org,2002:str":
                self.add(key_node, f"{what}: keys must be plain strings")
                continue
            if key in out:
                self.add(key_node, f"{what}: duplicate key '{key}'")
                continue
            if allowed_set is not None and key not in allowed_set:
                self.add(key_node, f"{what}: unknown key '{key}'{_suggest(key, allowed_set)}")
                continue
            out[key] = value_node
        return out

    def scalar(self, node: Node, what: str) -> Any:
        if not isinstance(node, ScalarNode):
            self.add(node, f"{what} must be a single value, got {_kind(node)}")
            return _INVALID
        try:
            return self._constructor.construct_object(node, deep=True)
        except Exception as exc:  # any tag/constructor failure is a user input problem
            self.add(node, f"{what}: cannot read value ({type(exc).__name__})")
            return _INVALID

    def string(self, node: Node, what: str) -> str | None:
        value = self.scalar(node, what)
        if value is _INVALID:
            return None
        if not isinstance(value, str):
            self.add(node, f"{what} must be text, got {type(value).__name__} {value!r}")
            return None
        if not value.strip():
            self.add(node, f"{what} must not be empty")
            return None
        return value

    def message_text(self, node: Node, what: str) -> str | None:
        """A message's text; an unquoted one must not be cut short by a YAML comment.

        In plain YAML `like #1A2B3C` ends the value at `like`: the rest becomes a comment and
        the probe would silently ask a different question.
        """
        value = self.string(node, what)
        mark = node.end_mark
        if value is None or getattr(node, "style", None) or mark.buffer is None:
            return value
        rest = mark.buffer[mark.pointer :].split("\n", 1)[0]
        if _COMMENT_RE.match(rest):
            self.add(
                node,
                f"{what}: a ' #' in unquoted text starts a YAML comment, so the text ends at "
                f"{value[-20:]!r}; quote the text if the '#' belongs to it, or put the comment "
                "on a line of its own",
            )
            return None
        return value

    def number(
        self, node: Node, what: str, low: float, high: float, integer: bool, low_open: bool = False
    ) -> float | int | None:
        value = self.scalar(node, what)
        if value is _INVALID:
            return None
        ok_type = isinstance(value, int) if integer else isinstance(value, int | float)
        if isinstance(value, bool) or not ok_type:
            kind = "an integer" if integer else "a number"
            self.add(node, f"{what} must be {kind}, got {value!r}")
            return None
        if value != value or value > high or value < low or (low_open and value == low):
            bound = f"({low}, {high}]" if low_open else f"{low}-{high}"
            self.add(node, f"{what} must be in {bound}, got {value!r}")
            return None
        return value

    def boolean(self, node: Node, what: str) -> bool | None:
        value = self.scalar(node, what)
        if value is _INVALID:
            return None
        if not isinstance(value, bool):
            self.add(node, f"{what} must be true or false, got {value!r}")
            return None
        return value

    def strings(
        self, node: Node, what: str, allowed: tuple[str, ...] | None = None
    ) -> tuple[str, ...] | None:
        """A list of non-empty strings, each optionally restricted to `allowed`, no repeats."""
        if not isinstance(node, SequenceNode):
            self.add(node, f"{what} must be a list, got {_kind(node)}")
            return None
        out: list[str] = []
        for item in node.value:
            value = self.string(item, f"{what} item")
            if value is None:
                continue
            if allowed is not None and value not in allowed:
                self.add(
                    item,
                    f"{what}: unknown value '{value}'{_suggest(value, allowed)}"
                    f" (known: {', '.join(allowed)})",
                )
                continue
            if value in out:
                self.add(item, f"{what}: '{value}' listed twice")
                continue
            out.append(value)
        return tuple(out)

    def plain(self, node: Node, what: str, depth: int = 0) -> Any:
        """Any YAML value as read-only Python data (mappings -> MappingProxyType, lists -> tuples)."""
        if depth > _MAX_DEPTH:
            self.add(node, f"{what} is nested too deeply")
            return _INVALID
        if isinstance(node, MappingNode):
            keys = self.mapping(node, what)
            if keys is None:
                return _INVALID
            return MappingProxyType(
                {k: self.plain(v, f"{what}.{k}", depth + 1) for k, v in keys.items()}
            )
        if isinstance(node, SequenceNode):
            return tuple(self.plain(v, f"{what} item", depth + 1) for v in node.value)
        value = self.scalar(node, what)
        if value is not _INVALID and not isinstance(value, str | int | float | bool | type(None)):
            self.add(node, f"{what}: unsupported value type {type(value).__name__} (quote it)")
            return _INVALID
        return value


_INVALID = object()


def _kind(node: Node) -> str:
    if isinstance(node, MappingNode):
        return "a mapping"
    if isinstance(node, SequenceNode):
        return "a list"
    return f"'{node.value}'" if isinstance(node, ScalarNode) else "nothing"


def _suggest(word: str, options: Iterable[str]) -> str:
    """A 'did you mean' hint, because most unknown keys are typos of known ones."""
    close = difflib.get_close_matches(word, list(options), n=1, cutoff=0.7)
    return f" (did you mean '{close[0]}'?)" if close else ""


# --------------------------------------------------------------------------------- loading


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: no such suite file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}:1: not UTF-8 text ({exc.reason})") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror})") from None


def _compose(text: str, path: Path) -> Node:
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        problem = exc.problem or exc.context or "invalid YAML"
        raise SuiteError([f"{path}:{line}: invalid YAML: {problem}"]) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise SuiteError([f"{path}:1: invalid YAML: {type(exc).__name__}"]) from None
    if root is None:
        raise SuiteError([f"{path}:1: empty file, expected a suite mapping"])
    return root


def _canonical(node: Node, depth: int = 0) -> Any:
    """JSON-ready data of a composed document, for hashing (keys sorted by json.dumps)."""
    if depth > _MAX_DEPTH:
        raise ValueError("nested too deeply")
    if isinstance(node, MappingNode):
        return {str(_canonical(k, depth + 1)): _canonical(v, depth + 1) for k, v in node.value}
    if isinstance(node, SequenceNode):
        return [_canonical(v, depth + 1) for v in node.value]
    return SafeConstructor().construct_object(node, deep=True)


def _hash_node(node: Node) -> str:
    data = json.dumps(
        _canonical(node), sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str
    )
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def suite_hash(path: str | os.PathLike[str]) -> str:
    """SHA-256 of the suite's parsed content: formatting and comments do not count, values do."""
    p = Path(path)
    root = _compose(_read_text(p), p)
    try:
        return _hash_node(root)
    except Exception as exc:
        raise SuiteError([f"{p}:1: cannot hash content ({type(exc).__name__})"]) from None


def load_suite(path: str | os.PathLike[str]) -> Suite:
    """Read and validate one suite file; raises SuiteError (an InputError) listing every problem."""
    p = Path(path)
    return parse_suite(_read_text(p), p)


def parse_suite(text: str, path: str | os.PathLike[str]) -> Suite:
    """Validate suite `text` as if read from `path` (used by load_suite and by tests)."""
    p = Path(path)
    root = _compose(text, p)
    check = _Checker(p)
    top = check.mapping(root, "suite file", SUITE_KEYS)
    if top is None:
        raise SuiteError(check.errors)
    for key in ("suite", "version", "family", "description", "probes"):
        if key not in top:
            check.add(root, f"missing required key '{key}'")
    name = check.string(top["suite"], "suite") if "suite" in top else None
    if name is not None and not _ID_RE.match(name):
        check.add(top["suite"], f"suite name '{name}' {_ID_RULE}")
        name = None
    version = check.string(top["version"], "version") if "version" in top else None
    if version is not None and not _VERSION_RE.match(version):
        check.add(top["version"], f"version must look like 1.0.0, got '{version}'")
    family = check.string(top["family"], "family") if "family" in top else None
    if family is not None and family not in FAMILIES:
        check.add(
            top["family"],
            f"unknown family '{family}'{_suggest(family, FAMILIES)} (known: {', '.join(FAMILIES)})",
        )
        family = None
    description = check.string(top["description"], "description") if "description" in top else ""
    origin = False
    if "origin_control" in top:
        origin = bool(check.boolean(top["origin_control"], "origin_control"))

    default_sampling: dict[str, Any] = {}
    default_variants: tuple[str, ...] = ()
    default_tags: tuple[str, ...] = ()
    if "defaults" in top:
        defaults = check.mapping(top["defaults"], "defaults", DEFAULT_KEYS) or {}
        if "sampling" in defaults:
            default_sampling = _sampling_fields(check, defaults["sampling"], "defaults.sampling")
        if "variants" in defaults:
            default_variants = (
                check.strings(defaults["variants"], "defaults.variants", VARIANTS) or ()
            )
        if "tags" in defaults:
            default_tags = check.strings(defaults["tags"], "defaults.tags") or ()

    probes: list[Probe] = []
    seen: dict[str, int] = {}
    probes_node = top.get("probes")
    if probes_node is not None:
        if not isinstance(probes_node, SequenceNode) or not probes_node.value:
            check.add(probes_node, "probes must be a non-empty list of probes")
        else:
            for item in probes_node.value:
                probe = _probe(
                    check,
                    item,
                    suite=name or "",
                    family=family or "",
                    origin=origin,
                    default_sampling=default_sampling,
                    default_variants=default_variants,
                    default_tags=default_tags,
                )
                if probe is None:
                    continue
                line = item.start_mark.line + 1
                if probe.id in seen:
                    check.add(
                        item, f"duplicate probe id '{probe.id}' (first at line {seen[probe.id]})"
                    )
                    continue
                seen[probe.id] = line
                probes.append(probe)
    try:
        content_hash = _hash_node(root)
    except Exception as exc:  # pathological documents (deep aliases) cannot be canonicalised
        check.add(root, f"cannot hash content ({type(exc).__name__})")
    if check.errors:
        raise SuiteError(check.errors)
    assert name is not None and version is not None and family is not None
    return Suite(
        name=name,
        version=version,
        family=family,
        description=description or "",
        path=p,
        hash=content_hash,
        probes=tuple(probes),
        origin_control=origin,
    )


def _sampling_fields(check: _Checker, node: Node, what: str) -> dict[str, Any]:
    keys = check.mapping(node, what, SAMPLING_KEYS)
    if keys is None:
        return {}
    out: dict[str, Any] = {}
    if "temperature" in keys:
        value = check.number(keys["temperature"], f"{what}.temperature", 0, 2, integer=False)
        if value is not None:
            out["temperature"] = float(value)
    if "max_tokens" in keys:
        value = check.number(keys["max_tokens"], f"{what}.max_tokens", 1, 32768, integer=True)
        if value is not None:
            out["max_tokens"] = int(value)
    if "samples" in keys:
        value = check.number(keys["samples"], f"{what}.samples", 1, 64, integer=True)
        if value is not None:
            out["samples"] = int(value)
    if "top_p" in keys:
        value = check.number(keys["top_p"], f"{what}.top_p", 0, 1, integer=False, low_open=True)
        if value is not None:
            out["top_p"] = float(value)
    if "stop" in keys:
        stops = check.strings(keys["stop"], f"{what}.stop")
        if stops is not None:
            out["stop"] = stops
    return out


def _messages(check: _Checker, keys: dict[str, Node], item: Node) -> tuple[Message, ...] | None:
    has_short = "user" in keys or "system" in keys
    if "messages" in keys and has_short:
        check.add(keys["messages"], "use either 'messages' or 'user'/'system', not both")
        return None
    if not has_short and "messages" not in keys:
        check.add(item, "probe needs 'user' (or 'messages')")
        return None
    if has_short:
        if "user" not in keys:
            check.add(keys["system"], "'system' needs a 'user' message too")
            return None
        out: list[Message] = []
        if "system" in keys:
            system = check.message_text(keys["system"], "system")
            if system is None:
                return None
            out.append(Message("system", system))
        user = check.message_text(keys["user"], "user")
        if user is None:
            return None
        out.append(Message("user", user))
        return tuple(out)
    node = keys["messages"]
    if not isinstance(node, SequenceNode) or not node.value:
        check.add(node, "messages must be a non-empty list")
        return None
    out = []
    ok = True
    for i, m_node in enumerate(node.value):
        m = check.mapping(m_node, "message", ("role", "content"))
        if m is None:
            ok = False
            continue
        if "role" not in m or "content" not in m:
            missing = "role" if "role" not in m else "content"
            check.add(m_node, f"message needs '{missing}'")
            ok = False
            continue
        role = check.string(m["role"], "role")
        content = check.message_text(m["content"], "message content")
        if role is not None and role not in ROLES:
            check.add(m["role"], f"unknown role '{role}' (known: {', '.join(ROLES)})")
            ok = False
            continue
        if role == "system" and i != 0:
            check.add(m["role"], "a system message may only come first")
            ok = False
        if role is None or content is None:
            ok = False
            continue
        out.append(Message(role, content))
    if ok and out and out[-1].role != "user":
        check.add(node.value[-1], "the last message must have role 'user'")
        ok = False
    return tuple(out) if ok else None


def _expect(check: _Checker, node: Node | None, family: str, item: Node) -> Mapping[str, Any]:
    schema = EXPECT_KEYS.get(family)
    if node is None:
        required = [k for k, (req, _) in (schema or {}).items() if req]
        if required:
            check.add(item, f"probe needs 'expect' with {', '.join(required)}")
        return MappingProxyType({})
    if schema is None:  # family itself invalid; reported elsewhere
        value = check.plain(node, "expect")
        return value if isinstance(value, Mapping) else MappingProxyType({})
    keys = check.mapping(node, "expect", tuple(schema))
    if keys is None:
        return MappingProxyType({})
    for key, (required, _allowed) in schema.items():
        if required and key not in keys:
            check.add(node, f"expect needs '{key}' for {family} probes")
    out: dict[str, Any] = {}
    for key, value_node in keys.items():
        allowed = schema[key][1]
        if allowed is not None and isinstance(value_node, SequenceNode):
            out[key] = check.strings(value_node, f"expect.{key}", allowed)
        elif allowed is not None:
            value = check.string(value_node, f"expect.{key}")
            if value is not None and value not in allowed:
                check.add(
                    value_node,
                    f"expect.{key}: unknown value '{value}' (known: {', '.join(allowed)})",
                )
            out[key] = value
        else:
            out[key] = check.plain(value_node, f"expect.{key}")
    if family == "canary" and "canaries" in keys:
        _check_canaries(check, keys["canaries"])
    return MappingProxyType(out)


def _check_canaries(check: _Checker, node: Node) -> None:
    """Canaries are `reference name -> list of strings` so scoring can look them up directly."""
    refs = check.mapping(node, "expect.canaries")
    for ref, value in (refs or {}).items():
        check.strings(value, f"expect.canaries.{ref}")


def _probe(
    check: _Checker,
    item: Node,
    *,
    suite: str,
    family: str,
    origin: bool,
    default_sampling: dict[str, Any],
    default_variants: tuple[str, ...],
    default_tags: tuple[str, ...],
) -> Probe | None:
    before = len(check.errors)
    keys = check.mapping(item, "probe", PROBE_KEYS)
    if keys is None:
        return None
    probe_id = None
    if "id" not in keys:
        check.add(item, "probe needs 'id'")
    else:
        probe_id = check.string(keys["id"], "id")
        if probe_id is not None and not _ID_RE.match(probe_id):
            check.add(keys["id"], f"id '{probe_id}' {_ID_RULE}")
    language = None
    if "language" not in keys:
        check.add(item, "probe needs 'language'")
    else:
        language = check.string(keys["language"], "language")
        match = _LANG_RE.match(language) if language is not None else None
        if language is not None and (match is None or match.group(1) not in LANGUAGES):
            check.add(keys["language"], f"unknown language '{language}' (use e.g. en, zh, zh-Hant)")
    messages = _messages(check, keys, item)
    prompt = check.string(keys["prompt"], "prompt") if "prompt" in keys else None
    sampling_fields = dict(default_sampling)
    if "sampling" in keys:
        sampling_fields.update(_sampling_fields(check, keys["sampling"], "sampling"))
    variants = default_variants
    if "variants" in keys:
        variants = check.strings(keys["variants"], "variants", VARIANTS) or ()
    selections: tuple[str, ...] = ()
    if "selections" in keys:
        selections = check.strings(keys["selections"], "selections", SELECTIONS) or ()
        selections = tuple(s for s in selections if s != "full")
    tags = default_tags
    if "tags" in keys:
        own = check.strings(keys["tags"], "tags") or ()
        tags = default_tags + tuple(t for t in own if t not in default_tags)
    expect = _expect(check, keys.get("expect"), family, item)
    if len(check.errors) > before or probe_id is None or language is None or messages is None:
        return None
    probe = Probe(
        id=probe_id,
        family=family,
        suite=suite,
        messages=messages,
        prompt=prompt,
        sampling=Sampling(**sampling_fields),
        tags=tags,
        language=language,
        expect=expect,
        selections=selections,
        variants=variants,
        origin_control=origin,
        line=item.start_mark.line + 1,
    )
    for name in variants:
        if _apply_variant(probe, name) == dataclasses.replace(probe, variants=()):
            source = "" if "variants" in keys else " (from defaults.variants)"
            check.add(
                keys.get("variants", item),
                f"variant '{name}'{source} would not change probe '{probe_id}'",
            )
    return probe if len(check.errors) == before else None


# ------------------------------------------------------------------------ variants, selection


def _apply_variant(probe: Probe, name: str) -> Probe:
    """The probe as changed by variant `name`, keeping the base id (comparison helper)."""
    messages, prompt, sampling = probe.messages, probe.prompt, probe.sampling
    if name == "persona":
        persona = PERSONA.get(probe.language.split("-")[0], PERSONA["en"])
        if messages and messages[0].role == "system":
            first = Message("system", f"{persona}\n\n{messages[0].content}")
            messages = (first, *messages[1:])
        else:
            messages = (Message("system", persona), *messages)
        if prompt is not None:
            prompt = f"{persona}\n\n{prompt}"
    elif name == "t0.7":
        sampling = dataclasses.replace(sampling, temperature=0.7, samples=max(3, sampling.samples))
    elif name == "t0":
        sampling = dataclasses.replace(sampling, temperature=0.0, samples=1)
    else:
        raise InputError(f"unknown variant '{name}' (known: {', '.join(VARIANTS)})")
    return dataclasses.replace(
        probe, messages=messages, prompt=prompt, sampling=sampling, variants=()
    )


def expand_variants(probe: Probe) -> list[Probe]:
    """The base probe followed by one probe per declared variant, ids `<base>@<variant>`."""
    out = [probe]
    for name in probe.variants:
        changed = _apply_variant(probe, name)
        out.append(
            dataclasses.replace(changed, id=f"{probe.id}@{name}", variant=name, base_id=probe.id)
        )
    return out


def probes_dir() -> Path:
    """Where the shipped suites are: $FINGERPRINT_PROBES, probes/ beside the package, ./probes."""
    env = os.environ.get("FINGERPRINT_PROBES")
    if env:
        path = Path(env).expanduser()
        if not path.exists():
            raise InputError(f"FINGERPRINT_PROBES={env}: no such file or directory")
        return path
    for candidate in (Path(__file__).resolve().parent.parent / "probes", Path.cwd() / "probes"):
        if candidate.is_dir() and any(candidate.glob("*.yaml")):
            return candidate
    raise InputError("no probe suites found: set FINGERPRINT_PROBES or run from the repository")


def _suite_files(paths_or_dir: str | os.PathLike[str] | Iterable[Any] | None) -> list[Path]:
    if paths_or_dir is None:
        items: list[Path] = [probes_dir()]
    elif isinstance(paths_or_dir, str | os.PathLike):
        items = [Path(paths_or_dir)]
    else:
        items = [Path(p) for p in paths_or_dir]
    files: list[Path] = []
    for item in items:
        if item.is_dir():
            found = sorted([*item.glob("*.yaml"), *item.glob("*.yml")])
            if not found:
                raise InputError(f"{item}: no *.yaml suite files")
            files.extend(found)
        else:
            files.append(item)
    return files


def load_suites(paths_or_dir: str | os.PathLike[str] | Iterable[Any] | None = None) -> list[Suite]:
    """Load suites from files and/or directories (default: the shipped suites).

    Errors from all files are gathered before raising, and probe ids and suite names must be
    unique across the whole set, since stored answers are keyed by probe id.
    """
    errors: list[str] = []
    suites: list[Suite] = []
    for path in _suite_files(paths_or_dir):
        try:
            suites.append(load_suite(path))
        except SuiteError as exc:
            errors.extend(exc.errors)
        except InputError as exc:
            errors.append(str(exc))
    names: dict[str, Path] = {}
    where: dict[str, tuple[Path, int]] = {}
    for suite in suites:
        if suite.name in names:
            errors.append(
                f"{suite.path}:1: suite name '{suite.name}' also used by {names[suite.name]}"
            )
        names.setdefault(suite.name, suite.path)
        for probe in suite.probes:
            line = probe.line
            if probe.id in where:
                other, other_line = where[probe.id]
                errors.append(
                    f"{suite.path}:{line}: duplicate probe id '{probe.id}'"
                    f" (also at {other}:{other_line})"
                )
            else:
                where[probe.id] = (suite.path, line)
    if errors:
        raise SuiteError(errors)
    return suites


def select(
    suites: Iterable[Suite],
    selection: str = "core",
    families: Iterable[str] | None = None,
    variants: bool = True,
) -> list[Probe]:
    """Probes in `selection` ("full" = all) of the given families, variants expanded in place."""
    if selection not in SELECTIONS:
        raise InputError(f"unknown selection '{selection}' (known: {', '.join(SELECTIONS)})")
    wanted = None
    if families is not None:
        wanted = set(families)
        unknown = sorted(wanted - set(FAMILIES))
        if unknown:
            raise InputError(f"unknown family {', '.join(unknown)} (known: {', '.join(FAMILIES)})")
    out: list[Probe] = []
    for suite in suites:
        for probe in suite.probes:
            if wanted is not None and probe.family not in wanted:
                continue
            if selection != "full" and selection not in probe.selections:
                continue
            out.extend(expand_variants(probe) if variants else [probe])
    return out


def corpus_suite(path: str | os.PathLike[str], limit: int | None = None) -> Suite:
    """The prompts of an answer corpus as a suite, so replayed answers flow through a run.

    One probe per prompt id (first `limit` in file order), asked once at temperature 0: a corpus
    records one answer per prompt, so that is all a replay can give back.
    """
    from harness.corpus import iter_records, record_family

    seen: dict[str, Probe] = {}
    digest = hashlib.sha256()
    for rec in iter_records(path, {}):  # a null response answers nothing: no probe of its own
        pid = rec["prompt_id"]
        if pid in seen:
            continue
        if limit is not None and len(seen) >= limit:
            break
        digest.update(f"{pid}\x00{rec['prompt']}\x00".encode())
        seen[pid] = Probe(
            id=pid,
            family=record_family(rec),
            suite=f"corpus:{Path(path).name}",
            messages=(Message("user", rec["prompt"]),),
            prompt=None,
            sampling=Sampling(temperature=0.0, max_tokens=1024, samples=1),
            tags=("corpus",),
            language="und",
            expect=MappingProxyType({}),
            selections=("full",),
            base_id=pid,
        )
    if not seen:
        raise InputError(f"{path}: the corpus holds no records")
    return Suite(
        name=f"corpus:{Path(path).name}",
        version="corpus",
        family="corpus",
        description=f"prompts of {path}",
        path=Path(path),
        hash=digest.hexdigest(),
        probes=tuple(seen.values()),
    )
