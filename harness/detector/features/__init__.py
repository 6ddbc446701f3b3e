"""Feature families: each module turns the answers to one prompt into similarities to anchors.

Every feature exposes `prompt_sims(docs, anchors, prompt="") -> ndarray (len(docs), len(anchors))`
with values in [0, 1] (1 = same), or NaN where the feature says nothing about that answer pair.
Keeping one signature lets `similarity.py` loop over features without knowing them; the
registry says what a feature's `docs` are (`Feature.reads`): each model's answer text for the
prompt (its samples joined), the same but with each model's samples kept apart as a tuple where
the models' sample counts differ (`samples`: lexical, which averages them), or its first-token
distribution (`first_token`).

One feature is of another kind (`Feature.pattern` set): `layout` turns each model's samples for
a prompt into a small vector (`fn`), and its score is a pattern across prompts computed against
the panel (`pattern`, here `layout.pattern_scores`), not a per-prompt similarity.
"""

from typing import NamedTuple

from harness.detector.features import (
    canary,
    embedding,
    first_token,
    identity,
    layout,
    lexical,
    refusal,
    style,
)


class Feature(NamedTuple):
    fn: object  # prompt_sims(docs, anchors, prompt) -> ndarray; pattern features: see below
    families: tuple[str, ...] | None = None  # families it applies to; None = every family
    reads: str = "texts"  # "texts" (answer documents), "samples" or "first_tokens" (see above)
    # Pattern features only: fn(samples per model) -> per-model vectors (SimTable.vectors), and
    # pattern(vectors, reference index, panel indices) -> one score per panel model.
    pattern: object | None = None


FEATURES = {
    "char4": Feature(lexical.char_sims, reads="samples"),
    "word2": Feature(lexical.word_sims, reads="samples"),
    "style": Feature(style.prompt_sims),
    "identity": Feature(identity.prompt_sims, ("identity",)),
    "refusal": Feature(refusal.prompt_sims, ("refusal", "sensitive")),
    "canary": Feature(canary.prompt_sims, ("canary",)),
    "layout": Feature(layout.prompt_vectors, pattern=layout.pattern_scores),
    # Optional, not scored (see docs/detector.md, "Optional features"). `embed` needs the
    # extra `pip install -e '.[embed]'` (InputError otherwise).
    "embed": Feature(embedding.prompt_sims),
    "first_token": Feature(first_token.prompt_sims, reads="first_tokens"),
}

# Features in the model-level statistic on every family, with equal a-priori weights.
# Style is reported but not scored by default (see docs/detector.md: not validated on a split);
# layout habits are scored since detector v4 (docs/detector-experiments.md, "Round 5").
PRIMARY = ("char4", "word2", "identity", "refusal", "canary", "layout")
