"""Sending that survives a busy or flaky Bot API server.

PTB's `AIORateLimiter` keeps within Telegram's limits and, with `max_retries`, waits out a
429 using its `retry_after`. It does not retry server errors (500, 502, a refused
connection), which PTB raises as `NetworkError`; this subclass does, with a short backoff.
`BadRequest` (a subclass of `NetworkError`) is never retried, nor is `TimedOut`: the server may have sent the message already, and a duplicate
is worse than a reported failure.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from dataclasses import dataclass

from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import AIORateLimiter

logger = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


@dataclass(frozen=True)
class BeforeSend:
    """A `rate_limit_args` value: `hook` is awaited right before each HTTP attempt, after
    the limiter let the call through (the weekly digests write their delivery log there, so
    a crash can leave undecided only the calls actually on the wire)."""

    hook: Callable[[], Coroutine[Any, Any, None]]


Outcome = tuple[str, str | None]  # (delivery status, error code)


def classify(exc: BaseException) -> Outcome:
    """What a failed send means for the delivery log: `failed` (never deliverable),
    `unknown` (may have arrived), or `retry` (refused before delivery)."""
    if isinstance(exc, Forbidden):
        return "failed", "blocked"
    if isinstance(exc, BadRequest):
        return "failed", "chat_not_found" if "chat not found" in str(exc).lower() \
            else "bad_request"
    if isinstance(exc, TimedOut):
        return "unknown", "timed_out"
    if isinstance(exc, RetryAfter):
        return "retry", "rate_limited"
    if isinstance(exc, NetworkError):
        return "retry", "server_error"
    return "retry", "error"


# Telegram allows about 30 messages a second overall. AIORateLimiter's default bucket lets
# 30 go at once after a pause and then 30 more within the same second, which a strict
# server answers with 429 (and every 429 stops all sending for retry_after): one message
# every 1/29.5 s, with no burst, stays under the limit and keeps 98 % of it.
MESSAGES_PER_SECOND = 29.5


class ResilientRateLimiter(AIORateLimiter):
    """AIORateLimiter, evenly paced, plus bounded retries of server-side failures."""

    def __init__(self, *, max_retries: int = 3, server_error_retries: int = 3,
                 backoff: float = 0.5, **kwargs: Any) -> None:
        kwargs.setdefault("overall_max_rate", 1)
        kwargs.setdefault("overall_time_period", 1 / MESSAGES_PER_SECOND)
        super().__init__(max_retries=max_retries, **kwargs)
        self._server_error_retries = server_error_retries
        self._backoff = backoff

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, JSONResult]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> JSONResult:
        """Rate-limit the call, retrying 429s (in the parent) and server errors (here)."""
        if isinstance(rate_limit_args, BeforeSend):
            callback = _after(rate_limit_args.hook, callback)
            rate_limit_args = None
        for attempt in range(self._server_error_retries + 1):
            try:
                return await super().process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
            except (TimedOut, BadRequest):
                raise  # maybe delivered already / our request is wrong: retrying cannot help
            except NetworkError as exc:
                if attempt == self._server_error_retries:
                    raise
                delay = self._backoff * 2**attempt
                logger.warning("%s failed (%s); retrying in %.1f s", endpoint, exc, delay)
                await asyncio.sleep(delay)
        raise AssertionError("unreachable")


def _after(hook: Callable[[], Coroutine[Any, Any, None]],
           callback: Callable[..., Coroutine[Any, Any, JSONResult]]
           ) -> Callable[..., Coroutine[Any, Any, JSONResult]]:
    """`callback` preceded by `hook` on every call."""
    async def call(*args: Any, **kwargs: Any) -> JSONResult:
        await hook()
        return await callback(*args, **kwargs)
    return call
