"""Spending caps that are never exceeded: requests, tokens and cost, reserved before sending.

A request's cost is unknown until it returns, so each one reserves its worst case (the prompt's
estimated tokens plus max_tokens) before it is sent and settles the real usage afterwards. A
request that could break a cap is not sent; the run then stops with an operational error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.errors import OperationalError


class BudgetExceeded(OperationalError):
    pass


@dataclass(frozen=True)
class Prices:
    """Currency units per million tokens, and whether the endpoint spends tokens at all.

    A replay endpoint reads answers from a file: a request to it counts against max_requests
    but spends no tokens, so `metered=False` reserves and charges none. Otherwise its answers,
    which carry no usage, would each be charged the worst case, and `used.tokens` would report
    tokens no model ever produced.
    """

    prompt: float = 0.0
    completion: float = 0.0
    metered: bool = True

    def cost(self, prompt_tokens: float, completion_tokens: float) -> float:
        return (prompt_tokens * self.prompt + completion_tokens * self.completion) / 1e6


@dataclass
class Budget:
    max_requests: int | None = None
    max_tokens: int | None = None
    max_cost: float | None = None
    requests: int = 0
    tokens: float = 0.0  # counted against max_tokens: reported usage + worst cases (below)
    cost: float = 0.0
    # The part of `tokens` that is a worst case, charged for answers of a metered endpoint that
    # reported no usage: what they really used is unknown, and a cap must not be broken.
    tokens_estimated: float = 0.0
    stopped: str = ""
    _reserved_tokens: float = field(default=0.0, repr=False)
    _reserved_cost: float = field(default=0.0, repr=False)

    def reserve(self, prompt_chars: int, max_tokens: int, prices: Prices) -> tuple[float, float]:
        """Hold the worst case for one request, or raise BudgetExceeded without holding it."""
        # ~4 characters a token for English; 1 for CJK; 2 keeps the estimate on the safe side.
        tokens = prompt_chars / 2 + max_tokens if prices.metered else 0.0
        cost = prices.cost(prompt_chars / 2, max_tokens) if prices.metered else 0.0
        if self.max_requests is not None and self.requests + 1 > self.max_requests:
            self._stop(f"budget: max_requests={self.max_requests} reached")
        if (
            self.max_tokens is not None
            and self.tokens + self._reserved_tokens + tokens > self.max_tokens
        ):
            self._stop(f"budget: the next request could exceed max_tokens={self.max_tokens}")
        if self.max_cost is not None and self.cost + self._reserved_cost + cost > self.max_cost:
            self._stop(f"budget: the next request could exceed max_cost={self.max_cost}")
        self.requests += 1
        self._reserved_tokens += tokens
        self._reserved_cost += cost
        return tokens, cost

    def settle(self, held: tuple[float, float], usage: dict[str, int], prices: Prices) -> None:
        """Replace a reservation by what the request really used (the worst case if unknown)."""
        tokens, cost = held
        self._reserved_tokens -= tokens
        self._reserved_cost -= cost
        p, c = usage.get("prompt_tokens"), usage.get("completion_tokens")
        if p is None or c is None:
            self.tokens += tokens
            self.tokens_estimated += tokens
            self.cost += cost
        else:
            self.tokens += p + c
            self.cost += prices.cost(p, c)

    def _stop(self, why: str) -> None:
        self.stopped = self.stopped or why
        raise BudgetExceeded(why)
