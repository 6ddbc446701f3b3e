"""Which prompts a bench case is scored on, and the similarity table it reads them from.

A verdict compares its reference, suspect and panel on the prompts all of them answered. The
bench computes one shared table over every model on the prompts *all* of them answered: one
IDF basis and one pass over the corpus for every case. On a ragged corpus that would let one
model's gaps shrink every case, also the cases that never read it. So a case whose own models
answered markedly more prompts than the shared table holds (it would lose more than a tenth,
PROMPT_LOSS_KEPT) is scored on a table of its own prompts instead, holding every model that
answered all of them (the per-prompt IDF keeps as many answers as it can). On a corpus where
every model answered (nearly) every prompt, as the development corpus, every case reads the
shared table. A control that answered markedly fewer of a case's prompts than its reference,
suspect and foils leaves that case's panel instead (SPARSE_CONTROL_RULE).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.answers import Answers
from harness.detector import similarity
from harness.detector.verdict import MIN_CONTROLS

# A case keeps the shared table while it costs the case at most a tenth of its prompts.
PROMPT_LOSS_KEPT = 0.9
COVERAGE_RULE = (
    "each case is scored on the prompts its reference, suspect, controls and foils all "
    "answered: on the table shared by every model (the prompts all of them answered) while "
    f"that loses at most {1 - PROMPT_LOSS_KEPT:.0%} of the case's prompts, else on a table of "
    "its own prompts with every model that answered all of them"
)
SPARSE_CONTROL_RULE = (
    f"a control that answered less than {PROMPT_LOSS_KEPT:.0%} of the prompts its case's "
    "reference, suspect and foils (in attribution: suspect and candidates) all answered is left "
    f"out of that case's panel while {MIN_CONTROLS} controls remain (`controls_left_out`), so "
    "one model with few answers does not take the case's prompts with it"
)


@dataclass
class CaseTables:
    """The shared table and, built on demand and cached by prompt set, the cases' own ones."""

    answers: Answers
    anchors: list[str]
    shared: similarity.SimTable
    _own: dict[tuple[str, ...], similarity.SimTable] = field(default_factory=dict, repr=False)
    # The bench asks for the same cases' models once per prompt-count draw.
    _chosen: dict[tuple[str, ...], similarity.SimTable | None] = field(
        default_factory=dict, repr=False
    )
    _kept: dict[tuple[tuple[str, ...], tuple[str, ...]], tuple[list[str], list[str]]] = field(
        default_factory=dict, repr=False
    )

    def keep_covering(self, fixed: list[str], controls: list[str]) -> tuple[list[str], list[str]]:
        """(controls kept, controls left out) of a case whose `fixed` models must all be read
        (SPARSE_CONTROL_RULE): a control is left out when it answered less than PROMPT_LOSS_KEPT
        of the prompts `fixed` all answered, unless fewer than MIN_CONTROLS would remain.
        Memoised like `for_models`: every prompt-count draw asks again for the same cases.

        Before, such a control cost the case every prompt it had not answered: a control
        with one answer left its case one prompt, i.e. no verdict, and one such model in every
        documented panel made every case inconclusive."""
        key = (tuple(fixed), tuple(controls))
        if key not in self._kept:
            self._kept[key] = self._keep_covering(fixed, controls)
        kept, short = self._kept[key]
        return list(kept), list(short)

    def _keep_covering(self, fixed: list[str], controls: list[str]) -> tuple[list[str], list[str]]:
        base = set(self.answers.common_prompts(fixed))
        short = [
            m
            for m in controls
            if len(base & self.answers.answered(m)) < PROMPT_LOSS_KEPT * len(base)
        ]
        if not short or len(controls) - len(short) < MIN_CONTROLS:
            return controls, []
        return [m for m in controls if m not in short], short

    def for_models(self, models: list[str]) -> similarity.SimTable | None:
        """The table to score `models` on (see the module docstring); None when they share no
        answered prompt."""
        key = tuple(models)
        if key not in self._chosen:
            self._chosen[key] = self._choose(models)
        return self._chosen[key]

    def _choose(self, models: list[str]) -> similarity.SimTable | None:
        own = self.answers.common_prompts(models)
        if not own:
            return None
        if len(self.shared.prompts) >= PROMPT_LOSS_KEPT * len(own):
            return self.shared
        key = tuple(own)
        if key not in self._own:
            keep = set(own)
            every = [m for m in self.answers.models if keep <= self.answers.answered(m)]
            anchors = [a for a in self.anchors if a in every]
            self._own[key] = similarity.compute(self.answers, anchors, every)
        return self._own[key]


def case_tables(answers: Answers, anchors: list[str]) -> CaseTables:
    """Every model on the prompts all of them answered, with `anchors` (the case references)."""
    return CaseTables(answers, anchors, similarity.compute(answers, anchors, answers.models))
