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

from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import AIORateLimiter

logger = logging.getLogger(__name__)

JSONResult = bool | dict[str, Any] | list[dict[str, Any]]


class ResilientRateLimiter(AIORateLimiter):
    """AIORateLimiter plus bounded retries of server-side failures."""

    def __init__(self, *, max_retries: int = 3, server_error_retries: int = 3,
                 backoff: float = 0.5, **kwargs: Any) -> None:
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
