"""`Answers`: the detector's only input — model -> prompt id -> sampled answer texts.

Keeping the detector's input this small is deliberate: the same scoring runs on answers
collected live by the runner, imported from a store, or read from a published corpus, and a
test can build one by hand in a few lines.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field


@dataclass
class Answers:
    """Answers of several models to the same probes.

    texts:    model -> prompt id -> list of sampled answer texts (one or more per prompt).
    families: prompt id -> probe family ("identity", "style", "refusal", "reasoning",
              "random", "canary", "sensitive", "alpacaeval", ...). Missing ids count as
              family "default".
    prompts:  prompt id -> prompt text (used by canary scoring to ignore echoed prompt text
              and by reports to show probes side by side).
    first_tokens: optional, model -> prompt id -> one {token string: probability} per sample
              that came with logprobs: the top alternatives for the *first* generated token, as
              the endpoint returned them (unnormalised; see `features.first_token`). Empty when
              no answer has logprobs (corpora, stores run without `logprobs: N`).
    """

    texts: dict[str, dict[str, list[str]]]
    families: dict[str, str] = field(default_factory=dict)
    prompts: dict[str, str] = field(default_factory=dict)
    first_tokens: dict[str, dict[str, list[dict[str, float]]]] = field(default_factory=dict)

    @property
    def models(self) -> list[str]:
        """Model names in insertion order."""
        return list(self.texts)

    def family(self, prompt_id: str) -> str:
        """Probe family of `prompt_id` ("default" when unknown)."""
        return self.families.get(prompt_id, "default")

    def answered(self, model: str) -> set[str]:
        """Prompt ids `model` answered with at least one sample (none for an unknown model)."""
        return {p for p, s in self.texts.get(model, {}).items() if s}

    def common_prompts(self, models: list[str] | None = None) -> list[str]:
        """Prompt ids answered (with at least one sample) by every model in `models`, sorted."""
        models = self.models if models is None else list(models)
        if not models:
            return []
        common: set[str] | None = None
        for m in models:
            have = self.answered(m)
            common = have if common is None else common & have
        return sorted(common or ())

    def restrict(
        self, models: list[str] | None = None, prompt_ids: list[str] | None = None
    ) -> Answers:
        """A new `Answers` limited to `models` and `prompt_ids` (both default to all)."""
        models = self.models if models is None else list(models)
        keep = None if prompt_ids is None else set(prompt_ids)
        texts = {
            m: {p: list(s) for p, s in self.texts.get(m, {}).items() if keep is None or p in keep}
            for m in models
        }
        fams = {p: f for p, f in self.families.items() if keep is None or p in keep}
        prompts = {p: t for p, t in self.prompts.items() if keep is None or p in keep}
        first = {
            m: {
                p: [dict(d) for d in s]
                for p, s in self.first_tokens[m].items()
                if keep is None or p in keep
            }
            for m in models
            if m in self.first_tokens
        }
        return Answers(texts=texts, families=fams, prompts=prompts, first_tokens=first)

    def on_common_prompts(self, models: list[str] | None = None) -> Answers:
        """Restrict to `models` and to the prompts every one of them answered."""
        models = self.models if models is None else list(models)
        return self.restrict(models, self.common_prompts(models))

    def subsample_prompts(self, n: int, seed: int = 0) -> Answers:
        """Keep `n` prompt ids drawn without replacement (fixed `seed`), all models kept.

        Draws from the prompts common to all models so every model keeps `n` prompts.
        """
        common = self.common_prompts()
        if n >= len(common):
            return self.restrict(None, common)
        rng = random.Random(seed)
        return self.restrict(None, sorted(rng.sample(common, n)))

    def n_samples(self) -> int:
        """Total number of answer texts."""
        return sum(len(s) for per in self.texts.values() for s in per.values())
