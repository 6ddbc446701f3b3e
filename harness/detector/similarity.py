"""Per-prompt similarities of every model to a few anchor models, for every feature.

Why anchors: a verdict needs each model's similarity to the reference only (plus candidates for
attribution), which is a sparse dot product per anchor; the all-pairs matrix is only needed for
the heatmap (`similarity_matrix`). Several samples of one model for one prompt are joined into
one document. IDF and style scales are computed per prompt over the table's `models`, not over
every model in `answers`: adding or removing a control moves everyone's similarities a little.
So `detect` and `attribute` build one table per suspect (that suspect, its panel, the anchors),
and one suspect's answers never move another suspect's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from harness.answers import Answers
from harness.detector.features import FEATURES, PRIMARY, first_token, lexical
from harness.errors import InputError


@dataclass
class SimTable:
    """sims[feature] has shape (n_prompts, n_models, n_anchors); NaN = feature not applicable.

    self_sim[anchor] (n_prompts,) is the similarity between two halves of the anchor's own
    samples (NaN where it has fewer than two samples): how close the anchor is to itself.

    vectors[feature] (n_prompts, n_models, n_dims) holds the per-model vectors of pattern
    features (`Feature.pattern`, e.g. layout), scored across prompts against a panel.
    """

    models: list[str]
    prompts: list[str]
    families: list[str]
    anchors: list[str]
    sims: dict[str, np.ndarray]
    self_sim: dict[str, np.ndarray]
    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    _ranks: dict[str, np.ndarray] = field(default_factory=dict, repr=False, compare=False)

    def model_index(self, names: list[str]) -> list[int]:
        pos = {m: i for i, m in enumerate(self.models)}
        return [pos[m] for m in names]

    def anchor(self, name: str) -> int:
        return self.anchors.index(name)

    def ranks(self, feature: str) -> np.ndarray:
        """Per prompt and anchor, each model's percentile rank (0..1) among all table models.

        Shape as `sims[feature]`. The anchor's own row is NaN (it is not its own neighbour);
        ties get mid-ranks so binary features (identity, refusal) are not ordered by name.
        Why ranks: an anchor's raw similarities have their own level and spread per prompt
        (GPT references are closer to everyone than claude-2 is), so contrasting a model's
        similarity to the reference with its similarity to a foil is only fair on a common,
        per-prompt scale. Cached: ranks depend on the table, not on which prompts are scored.
        """
        if feature not in self._ranks:
            self._ranks[feature] = column_ranks(self.sims[feature], self.models, self.anchors)
        return self._ranks[feature]


def column_ranks(sims: np.ndarray, models: list[str], anchors: list[str]) -> np.ndarray:
    """Mid-rank percentile of sims[p, m, a] among models (anchor a's own row excluded)."""
    out = np.full(sims.shape, np.nan)
    for j, a in enumerate(anchors):
        x = sims[:, :, j].copy()
        if a in models:
            x[:, models.index(a)] = np.nan
        for i in range(x.shape[0]):
            row = x[i]
            ok = ~np.isnan(row)
            n = int(ok.sum())
            if n < 2:
                continue
            srt = np.sort(row[ok])
            lo = np.searchsorted(srt, row[ok], "left")
            hi = np.searchsorted(srt, row[ok], "right")
            out[i, ok, j] = (lo + hi - 1) / 2 / (n - 1)
    return out


def _doc(samples: list[str]) -> str:
    return "\n\n".join(samples)


def _equal_counts(groups: list[list[str]]) -> bool:
    """Whether every model has as many samples as the others. Where not, a `reads="samples"`
    feature gets each model's samples as a tuple (`lexical`: a joined text's tf grows with
    its number of samples, so unequal counts would not compare like with like)."""
    return len({len(g) for g in groups}) <= 1


def compute(
    answers: Answers,
    anchors: list[str],
    models: list[str] | None = None,
    features: tuple[str, ...] | None = None,
) -> SimTable:
    """Similarities of `models` (default all) to `anchors` on the prompts all of them answered.

    `features` defaults to the scored (PRIMARY) features; pass e.g. ("style",) for others.
    """
    models = list(answers.models if models is None else models)
    for a in anchors:
        if a not in models:
            models.append(a)
    prompts = answers.common_prompts(models)
    feats = PRIMARY if features is None else features
    fams = [answers.family(p) for p in prompts]
    a_idx = [models.index(a) for a in anchors]
    n_p, n_m, n_a = len(prompts), len(models), len(anchors)
    sims = {f: np.full((n_p, n_m, n_a), np.nan) for f in feats if FEATURES[f].pattern is None}
    vectors: dict[str, list[np.ndarray]] = {f: [] for f in feats if FEATURES[f].pattern is not None}
    self_sim = {a: np.full(n_p, np.nan) for a in anchors}
    for i, p in enumerate(prompts):
        groups = [answers.texts[m][p] for m in models]
        # Halves of each anchor's own samples, appended as extra documents when available.
        extra: list[tuple[str, int, int]] = []
        for a in anchors:
            s = answers.texts[a][p]
            if len(s) >= 2:
                h = len(s) // 2
                extra.append((a, len(groups), len(groups) + 1))
                groups += [s[:h], s[h:]]
        docs = [_doc(g) for g in groups]
        # Models' samples kept apart where their counts differ; the halves then too, outside
        # the IDF (`lexical.Aside`), so a reference's number of samples moves no similarity.
        apart = docs
        if not _equal_counts(groups[:n_m]):
            apart = [tuple(g) for g in groups[:n_m]] + [lexical.Aside(g) for g in groups[n_m:]]
        prompt = answers.prompts.get(p, "")
        cols = a_idx + [e[1] for e in extra]
        for f in vectors:
            vectors[f].append(FEATURES[f].fn([answers.texts[m][p] for m in models]))
        for f in sims:
            feat = FEATURES[f]
            if feat.families is not None and fams[i] not in feat.families:
                continue
            if feat.reads == "first_tokens":
                out = feat.fn(first_token.model_dists(answers, models, p), a_idx, prompt)
            else:
                out = feat.fn(apart if feat.reads == "samples" else docs, cols, prompt)
            sims[f][i] = out[:n_m, :n_a]
            for k, (a, _j1, j2) in enumerate(extra):
                if f == "char4":
                    self_sim[a][i] = out[j2, n_a + k]
    stacked = {f: np.stack(v) if v else np.empty((0, n_m, 0)) for f, v in vectors.items()}
    return SimTable(models, prompts, fams, list(anchors), sims, self_sim, stacked)


def similarity_matrix(answers: Answers, models: list[str], feature: str = "char4") -> np.ndarray:
    """Mean per-prompt similarity between every pair of `models`, shape (n, n), symmetric.

    Uses one feature (character 4-gram TF-IDF cosine by default) over the prompts all `models`
    answered; meant for heatmaps and dendrograms, not for verdicts (no calibration).
    """
    prompts = answers.common_prompts(models)
    feat = FEATURES[feature]
    if feat.pattern is not None:
        raise InputError(f"'{feature}' is a pattern across prompts, not a pairwise similarity")
    total = np.zeros((len(models), len(models)))
    count = np.zeros_like(total)
    for p in prompts:
        if feat.reads == "first_tokens":
            docs = first_token.model_dists(answers, models, p)
        else:
            groups = [answers.texts[m][p] for m in models]
            apart = feat.reads == "samples" and not _equal_counts(groups)
            docs = [tuple(g) if apart else _doc(g) for g in groups]
        s = feat.fn(docs, None, answers.prompts.get(p, ""))
        ok = ~np.isnan(s)
        total[ok] += s[ok]
        count += ok
    out = np.divide(total, count, out=np.full_like(total, np.nan), where=count > 0)
    return (out + out.T) / 2
