"""Process entry point that hosts one llama.cpp HTTP server: `python -m harness.local.serve`.

xllamacpp ships no `llama-server` binary; its `Server(CommonParams)` starts llama.cpp's own C++
HTTP server on background threads inside the calling process. This module is that process: it
loads the model, serves until SIGTERM/SIGINT, then exits so `fingerprint local stop` can end it.
"""

from __future__ import annotations

import argparse
import signal
import sys


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness.local.serve")
    parser.add_argument("--model", required=True, help="GGUF file")
    parser.add_argument("--alias", required=True, help="model id reported in responses")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--slots", type=int, required=True)
    parser.add_argument("--ctx-per-slot", type=int, required=True)
    parser.add_argument("--chat-template", default="")
    parser.add_argument("--no-jinja", action="store_true")
    parser.add_argument("--threads", type=int, required=True, help="compute threads; 0: all cores")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        import xllamacpp
    except ImportError:
        print("xllamacpp is not installed: pip install 'fingerprint[local]'", flush=True)
        return 3

    params = xllamacpp.CommonParams()
    params.model.path = args.model
    params.model_alias = {args.alias}
    params.hostnames = ["127.0.0.1"]
    params.port = args.port
    params.n_parallel = args.slots
    # n_ctx is shared by all slots; size it so every slot gets the same window.
    params.n_ctx = args.slots * args.ctx_per_slot
    params.ui = False
    if args.threads > 0:
        params.cpuparams.n_threads = args.threads
        params.cpuparams_batch.n_threads = args.threads
    if args.chat_template:
        params.chat_template = args.chat_template
    if args.no_jinja:
        params.use_jinja = False

    # Block the stop signals before llama.cpp spawns its threads so they inherit the mask and
    # the main thread alone receives them through sigwait.
    stop_signals = {signal.SIGTERM, signal.SIGINT}
    signal.pthread_sigmask(signal.SIG_BLOCK, stop_signals)
    try:
        server = xllamacpp.Server(params)
    except RuntimeError as exc:  # llama.cpp logged the reason just above
        print(f"fingerprint: llama.cpp did not start: {exc}", flush=True)
        return 2
    print(f"fingerprint: serving {args.alias} at {server.listening_address}", flush=True)
    received = signal.sigwait(stop_signals)
    print(f"fingerprint: stopping on signal {received}", flush=True)
    del server
    return 0


if __name__ == "__main__":
    sys.exit(main())
