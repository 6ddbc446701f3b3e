"""fingerprint: tell whether a language model was distilled from another, from behaviour alone."""

__version__ = "0.1.0"
