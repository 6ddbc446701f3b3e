"""Shared pytest fixtures. Keep each fixture small and say why it exists."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator

import pytest

from harness.local import ServerInfo


@pytest.fixture(scope="session")
def local_servers() -> Iterator[dict[str, ServerInfo]]:
    """Real llama.cpp servers for every local model that can be installed, keyed by name.

    Already-running servers are reused and nothing is stopped afterwards: several sessions (and
    engineers) share one cache and one set of ports, so stopping here could pull a server out
    from under another run. `fingerprint local stop` ends them.
    """
    if importlib.util.find_spec("xllamacpp") is None:
        pytest.skip("xllamacpp is not installed: pip install 'fingerprint[local]'")
    from harness import local

    results = local.install()
    names = [r.name for r in results if r.ok]
    if not names:
        reasons = "; ".join(f"{r.name}: {r.message}" for r in results)
        pytest.skip(f"no local model could be installed ({reasons})")
    yield {info.name: info for info in local.start(names)}


@pytest.fixture
def local_model(local_servers: dict[str, ServerInfo]) -> Callable[[str], ServerInfo]:
    """`local_model("qwen2.5-coder-0.5b")`: that server, or a skip saying why it is missing."""

    def get(name: str) -> ServerInfo:
        if name not in local_servers:
            pytest.skip(
                f"local model {name} is not available (not installable now; "
                "see `fingerprint local status`)"
            )
        return local_servers[name]

    return get
