"""Feature families: each module turns the answers to one prompt into similarities to anchors.

Every feature exposes `prompt_sims(docs, anchors, prompt="") -> ndarray (len(docs), len(anchors))`
with values in [0, 1] (1 = same), or NaN where the feature says nothing about that answer pair.
Keeping one signature lets `similarity.py` loop over features without knowing them.
"""

from harness.detector.features import (
    canary,
    embedding,
    first_token,
    identity,
    lexical,
    refusal,
    style,
)

# name -> (module, families it applies to; None = every family)
FEATURES = {
    "char4": (lexical.char_sims, None),
    "word2": (lexical.word_sims, None),
    "style": (style.prompt_sims, None),
    "identity": (identity.prompt_sims, ("identity",)),
    "refusal": (refusal.prompt_sims, ("refusal", "sensitive")),
    "canary": (canary.prompt_sims, ("canary",)),
    # Optional, not scored (see docs/detector.md, "Optional features"). `embed` needs the
    # extra `pip install -e '.[embed]'` (InputError otherwise); `first_token` takes token
    # distributions, not texts (`similarity.compute` fills it from `Answers.first_tokens`).
    "embed": (embedding.prompt_sims, None),
    "first_token": (first_token.prompt_sims, None),
}

# Features in the model-level statistic on every family, with equal a-priori weights.
# Style is reported but not scored by default (see docs/detector.md: not validated on a split).
PRIMARY = ("char4", "word2", "identity", "refusal", "canary")
