"""`FingerprintLM`: lm-eval's generation requests answered through fingerprint's runner and store.

lm-eval's own API models have properties that are wrong for fingerprinting: the response cache
keys on the prompt but not on the model (a second model silently receives the first one's
answers), the repeats of a request are identical calls sharing one seed, and a retry log may
print the API key. Here every request becomes a runner `WorkItem`, so:

- the cache key is sha256(endpoint identity, canonical request, sample index): two models never
  share an answer, and re-running a task sends nothing already stored;
- lm-eval hands a task's ``repeats`` over as identical requests; the k-th copy of a request is
  sample k, with its own seed ``derive_seed(seed, probe id, k)`` and its own stored record;
- concurrency, retries with backoff, failure records and secret redaction are the runner's; the
  API key is only ever read from the environment variable named by ``api_key_env``;
- a doc that carries ``fp_probe`` (tasks written by ``fingerprint export lm-eval``) is asked
  exactly as ``fingerprint run`` asks that probe, so both share cache keys and answers.

Only ``generate_until`` is served. ``loglikelihood`` raises NotImplementedError: it needs the
prompt's own token logprobs (``echo``), which chat APIs and fingerprint's endpoints do not return.

Use from Python: ``lm_eval.simple_evaluate(model=FingerprintLM(base_url=..., model=...), ...)``;
from the shell: ``python -m harness.interop.lmeval run --model fingerprint --model_args ...``
(the module registers the model name, then hands over to lm-eval's own command line).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from pathlib import Path
from types import MappingProxyType
from typing import Any

from harness.interop import require

require("lm_eval")

from lm_eval.api.model import LM  # noqa: E402 - lm-eval is an optional extra, checked above
from lm_eval.api.registry import register_model  # noqa: E402

from harness.config import EndpointSpec, endpoint_from_dict  # noqa: E402
from harness.endpoints import make_endpoint  # noqa: E402
from harness.endpoints.base import GenerateRequest  # noqa: E402
from harness.errors import InputError, OperationalError, redact  # noqa: E402
from harness.manifest import RunDir, new_manifest  # noqa: E402
from harness.messages import Message  # noqa: E402
from harness.probes import Probe, Sampling  # noqa: E402
from harness.runner import WorkItem, build_request, derive_seed, execute  # noqa: E402
from harness.store import Store, cache_key  # noqa: E402

log = logging.getLogger(__name__)

_ENDPOINT_KEYS = set(EndpointSpec.__dataclass_fields__) - {"name"}
_LM_EVAL_EXTRAS = {"batch_size", "max_batch_size", "device"}  # lm-eval passes these to every LM
_KNOWN_GEN = {"until", "max_gen_toks", "temperature", "do_sample", "top_p"}


@register_model("fingerprint")
class FingerprintLM(LM):
    """An lm-eval model backed by one fingerprint endpoint and a fingerprint run directory.

    `run_dir` gets ``store.sqlite`` (every sample, as ``fingerprint run`` stores it) and a
    ``manifest.json``, so ``fingerprint export dataset RUN_DIR`` publishes what lm-eval asked.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        kind: str = "openai-chat",
        name: str | None = None,
        run_dir: str | Path | None = None,
        cache: str | Path | None = None,
        seed: int = 0,
        logprobs: int | None = None,
        max_gen_toks: int = 256,
        **options: Any,
    ) -> None:
        super().__init__()
        for extra in _LM_EVAL_EXTRAS:
            options.pop(extra, None)
        unknown = set(options) - _ENDPOINT_KEYS
        if unknown & {"api_key", "apikey", "key", "token"}:
            raise InputError(
                "model_args: never pass a key; put it in an environment variable "
                "and pass api_key_env=NAME"
            )
        if unknown:
            known = sorted(_ENDPOINT_KEYS | {"name", "run_dir", "cache", "seed", "logprobs"})
            raise InputError(
                f"model_args: unknown '{sorted(unknown)[0]}' (known: {', '.join(known)})"
            )
        name = str(name or model)
        raw = {"kind": kind, "base_url": str(base_url), "model": str(model), **options}
        self.spec = endpoint_from_dict(name, raw, "model_args")
        self.seed = int(seed)
        self.logprobs = None if logprobs is None else int(logprobs)
        self.max_gen_toks = int(max_gen_toks)
        self.run_dir = RunDir(Path(run_dir or f"results/lmeval-{name}"))
        self.cache = Path(cache) if cache else None
        self.last_stats: Any = None  # RunStats of the latest generate_until call
        self._write_manifest()

    # ------------------------------------------------------------------ lm-eval interface

    def generate_until(self, requests: list[Any], disable_tqdm: bool = False) -> list[str]:
        """One answer per request; repeats of a request become samples 0, 1, ... of it."""
        if not requests:
            return []
        items, cut = self._plan(requests)
        unique = list({i.key: i for i in items}.values())  # the same probe in two tasks
        stats, records, failures = asyncio.run(self._execute(unique))
        self.last_stats = stats
        self._update_manifest(stats)
        missing = [i for i in items if i.key not in records]
        if missing:
            first = failures.get((missing[0].probe.id, missing[0].sample_index), "no answer")
            raise OperationalError(
                f"{len(missing)} of {len(items)} requests to {self.spec.name!r} failed "
                f"(first: {redact(first)}); answers so far are stored in {self.run_dir.path}, "
                "run again to resume"
            )
        return [_cut(records[i.key].text, stops) for i, stops in zip(items, cut, strict=True)]

    def loglikelihood(self, requests: list[Any], disable_tqdm: bool = False) -> list:
        raise NotImplementedError(
            "the fingerprint LM serves generate_until tasks only: loglikelihood needs the "
            "prompt's own token logprobs (echo), which chat APIs do not return"
        )

    def loglikelihood_rolling(self, requests: list[Any], disable_tqdm: bool = False) -> list:
        raise NotImplementedError(
            "the fingerprint LM serves generate_until tasks only (no prompt logprobs)"
        )

    def apply_chat_template(self, chat_history: list[dict[str, str]], add_generation_prompt=True):
        """Keep the turns as JSON so a chat endpoint receives real messages, not a flat string."""
        return json.dumps(chat_history, ensure_ascii=False)

    @property
    def tokenizer_name(self) -> str:
        return "fingerprint-chat-json"

    def chat_template(self, chat_template: bool | str = False) -> str:
        return "messages sent as chat turns by the endpoint"

    def get_model_info(self) -> dict:
        return {"fingerprint_endpoint": self.spec.identity, "fingerprint_seed": self.seed}

    # ------------------------------------------------------------------ planning

    def _plan(self, requests: list[Any]) -> tuple[list[WorkItem], list[tuple[str, ...]]]:
        seen: Counter[tuple] = Counter()
        items: list[WorkItem] = []
        cuts: list[tuple[str, ...]] = []
        for inst in requests:
            context, gen = inst.args[0], dict(inst.args[1] or {})
            occurrence = (inst.task_name, inst.doc_id, context, json.dumps(gen, sort_keys=True))
            index = seen[occurrence]
            seen[occurrence] += 1
            doc = inst.doc if isinstance(inst.doc, dict) else {}
            if "fp_probe" in doc:
                probe = _fp_probe(json.loads(doc["fp_probe"]), gen)
                seed = derive_seed(self.seed, probe.id, index)
                request = build_request(probe, self.spec.kind, seed, self.logprobs)
            else:
                probe, request = self._generic(inst, context, gen, index)
                seed = request.seed
            request_json = request.canonical_json()
            key = cache_key(self.spec.identity, request_json, index)
            items.append(WorkItem(self.spec.name, probe, index, seed, request, key, request_json))
            cuts.append(tuple(gen.get("until") or ()))
        return items, cuts

    def _generic(
        self, inst: Any, context: str, gen: dict, index: int
    ) -> tuple[Probe, GenerateRequest]:
        """Any lm-eval generation task: the context is one user turn (or chat-template JSON)."""
        ignored = sorted(set(gen) - _KNOWN_GEN)
        if ignored:
            log.warning("fingerprint LM: generation kwargs %s are not sent", ", ".join(ignored))
        probe_id = f"{inst.task_name}:{inst.doc_id}"
        messages = _chat(context)
        sampling = _sampling(gen, Sampling(max_tokens=self.max_gen_toks))
        probe = Probe(
            id=probe_id,
            family=str(inst.task_name),
            suite="lm-eval",
            messages=messages,
            prompt=None if self.spec.kind != "openai-completions" else context,
            sampling=sampling,
            tags=("lm-eval",),
            language="und",
            expect=MappingProxyType({}),
            selections=(),
        )
        common = {
            "temperature": sampling.temperature,
            "max_tokens": sampling.max_tokens,
            "seed": derive_seed(self.seed, probe_id, index),
            "top_p": sampling.top_p,
            "stop": sampling.stop,
            "logprobs": self.logprobs,
        }
        if self.spec.kind == "openai-completions":
            return probe, GenerateRequest(prompt=context, **common)
        return probe, GenerateRequest(messages=messages, **common)

    # ------------------------------------------------------------------ running

    async def _execute(self, items: list[WorkItem]):
        endpoint = make_endpoint(self.spec)
        try:
            with Store(self.run_dir.store_path) as store:
                cache = Store(self.cache) if self.cache else None
                try:
                    stats = await execute(
                        items,
                        {self.spec.name: endpoint},
                        store,
                        concurrency={self.spec.name: self.spec.concurrency},
                        cache=cache,
                        show_progress=False,
                    )
                finally:
                    if cache is not None:
                        cache.close()
                records = store.get_many(i.key for i in items)
                failures = {
                    (f["probe_id"], f["sample_index"]): f["error"]
                    for f in store.failures()
                    if f["endpoint"] == self.spec.name
                }
            return stats, records, failures
        finally:
            await endpoint.aclose()

    def _write_manifest(self) -> None:
        path = self.run_dir.manifest_path
        manifest = self.run_dir.read_manifest() if path.exists() else None
        if manifest is None:
            config = {"source": "lm-eval", "seed": self.seed, "endpoints": {}}
            manifest = new_manifest(self.run_dir.path.name, config, [])
        manifest.setdefault("config", {}).setdefault("endpoints", {})[self.spec.name] = {
            k: v for k, v in self.spec.__dict__.items() if k != "name"
        }
        manifest["seeding"] = (
            "per sample: sha256(seed, probe id, sample index); lm-eval repeats are samples"
        )
        self.run_dir.write_manifest(manifest)

    def _update_manifest(self, stats: Any) -> None:
        manifest = self.run_dir.read_manifest()
        st = stats.endpoints[self.spec.name]
        totals = manifest.setdefault("endpoints", {}).setdefault(self.spec.name, {})
        totals["identity"] = self.spec.identity
        for field in ("requests", "retries", "answered", "failed", "from_cache", "stored_before"):
            totals[field] = totals.get(field, 0) + getattr(st, field)
        manifest["status"] = "complete" if stats.failed == 0 else "incomplete"
        manifest["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        self.run_dir.write_manifest(manifest)


# ---------------------------------------------------------------------- helpers


def _sampling(gen: dict, base: Sampling) -> Sampling:
    """lm-eval generation kwargs over `base`; a value equal to base's keeps base's exact type."""
    sample = gen.get("do_sample")
    temperature = float(gen.get("temperature", base.temperature) or 0.0)
    if sample is False:
        temperature = 0.0
    until = tuple(gen["until"]) if "until" in gen else base.stop
    if isinstance(gen.get("until"), str):
        until = (gen["until"],)
    top_p = gen.get("top_p", base.top_p)
    return Sampling(
        temperature=base.temperature if temperature == base.temperature else temperature,
        max_tokens=int(gen.get("max_gen_toks", base.max_tokens)),
        samples=base.samples,
        top_p=None if top_p is None else float(top_p),
        stop=until,
    )


def _fp_probe(fp: dict, gen: dict) -> Probe:
    """The probe an exported doc describes, with lm-eval's generation kwargs applied."""
    s = fp["sampling"]
    base = Sampling(
        temperature=s["temperature"],
        max_tokens=s["max_tokens"],
        samples=s["samples"],
        top_p=s["top_p"],
        stop=tuple(s["stop"]),
    )
    return Probe(
        id=fp["id"],
        family=fp["family"],
        suite=fp["suite"],
        messages=tuple(Message(m["role"], m["content"]) for m in fp["messages"]),
        prompt=fp.get("prompt"),
        sampling=_sampling(gen, base),
        tags=(),
        language="",
        expect=MappingProxyType({}),
        selections=(),
    )


def _chat(context: str) -> tuple[Message, ...]:
    """Chat turns from `apply_chat_template`'s JSON, or the whole context as one user turn."""
    if context.startswith("[{"):
        try:
            turns = json.loads(context)
            return tuple(Message(str(t["role"]), str(t["content"])) for t in turns)
        except (ValueError, KeyError, TypeError):
            pass
    return (Message("user", context),)


def _cut(text: str, stops: tuple[str, ...]) -> str:
    """generate_until semantics: the answer up to the first stop string (stored text is whole)."""
    end = len(text)
    for stop in stops:
        if stop:
            at = text.find(stop)
            if 0 <= at < end:
                end = at
    return text[:end]


def main(argv: list[str] | None = None) -> None:
    """lm-eval's command line with the ``fingerprint`` model registered."""
    import sys

    from lm_eval.__main__ import cli_evaluate

    if argv is not None:
        sys.argv = [sys.argv[0], *argv]
    cli_evaluate()


if __name__ == "__main__":
    main()
