"""The detector: features -> per-prompt similarities -> model-level calibrated tests.

Public API: `detect`, `Verdict`, `FamilyEvidence`, `ProbeEvidence`, `similarity_matrix`,
`attribute`, `Attribution`. See docs/detector.md for the method and what a p-value means.
"""

from harness.detector.attribution import Attribution, attribute
from harness.detector.similarity import similarity_matrix
from harness.detector.verdict import FamilyEvidence, ProbeEvidence, Verdict, detect

__all__ = [
    "Attribution",
    "FamilyEvidence",
    "ProbeEvidence",
    "Verdict",
    "attribute",
    "detect",
    "similarity_matrix",
]
