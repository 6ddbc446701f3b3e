"""Distillation lab: distil a real local model ourselves and check the harness catches it.

The only ground truth the project controls end to end. Modules: `prompts` (the distillation
prompt set, with human answers), `data` (sources' answers via the runner into a store), `train`
(resumable CPU fine-tune of the student), `export` (student -> GGUF), `serve` (students behind
the project's llama.cpp host), `experiment` (the whole run), `evaluate` (verdicts per view and
per number of probes). Heavy dependencies (torch, transformers, gguf) are imported lazily so the
rest of the harness never needs them. See docs/lab.md.
"""
