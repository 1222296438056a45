"""Delivering the weekly digests exactly once per person and week.

One process sends at a time (a lease in the database, renewed while it runs, taken over at
once from a process on this machine that is gone). For each person owed a digest:

1. compose it; nothing to report and the person wants nothing → the week is settled
   (`empty`) without sending;
2. right before the HTTP call — after the rate limiter let it through — claim the week
   (`sending`); a week already settled or held elsewhere is never sent again;
3. settle it from the result: `sent`, `failed` (blocked, chat gone), `unknown` (timed out:
   it may have arrived) or back to `retry` (refused before delivery: 429, server error),
   retried by the next sweep until MAX_ATTEMPTS.

A crash between 2 and 3 leaves the row `sending`; the next run marks it `unknown` and does
not resend it (a duplicate is worse than a reported doubt). Everyone else is sent by the
next run, which picks up exactly the people with no settled row.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from bot.delivery import classify
from bot.reminders import DIGEST_ROLES, Digest, Schedule, digest_for, owed, schedule_of, \
    week_key
from bot.services import Services
from storage import reminders as log

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
WORKERS = 8
LEASE_TTL = timedelta(seconds=60)
LEASE_RENEW_SECONDS = 10.0


@dataclass(frozen=True)
class Recipient:
    """A person owed this week's digest."""

    person_id: int
    full_name: str
    chat_id: str
    roles: tuple[tuple[int, str], ...]
    schedule: Schedule


class NotClaimed(Exception):
    """The week is settled or held by another run: do not send."""


# send(recipient, digest, claim) -> message id; must await `claim()` right before the HTTP
# call (through the rate limiter's BeforeSend) and let its NotClaimed propagate.
Sender = Callable[[Recipient, Digest, Callable[[], Awaitable[None]]], Awaitable[int]]


@dataclass
class RunResult:
    """What one run did."""

    week: str = ""
    owed: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    busy: bool = False  # another process holds the lease: nothing was done
    abandoned: int = 0  # rows a dead run left `sending`, now `unknown`

    def summary(self) -> str:
        """One line for the operator's log."""
        if self.busy:
            return "another process is sending the digests; skipped"
        done = ", ".join(f"{k} {v}" for k, v in sorted(self.counts.items())) or "nothing"
        return f"week {self.week}: {self.owed} owed; {done}"


def new_owner() -> str:
    """This run's lease owner and run id: host, process id and a nonce."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


_LIVE_RUNS: set[str] = set()  # runs going on in this process (the demo has two bots)


def owner_is_dead(owner: str) -> bool:
    """Whether the lease holder is gone: a process of this machine that no longer exists,
    or a run of this process that has ended without releasing it."""
    host, _, rest = owner.partition(":")
    pid_text, _, _nonce = rest.partition(":")
    if host != socket.gethostname() or not pid_text.isdigit():
        return False
    pid = int(pid_text)
    if pid == os.getpid():
        return owner not in _LIVE_RUNS
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Fanout:
    """One pass over everyone owed a digest now."""

    def __init__(self, services: Services, send: Sender, *, workers: int = WORKERS,
                 claim_in_sender: bool = True) -> None:
        self.services = services
        self.send = send
        self.workers = workers
        self.claim_in_sender = claim_in_sender  # False: no rate limiter, claim here
        self.run_id = new_owner()

    def now(self) -> datetime:
        return self.services.clock()

    async def run(self, *, any_time: bool = False,
                  person_ids: list[int] | None = None) -> RunResult:
        """Send every digest owed now (`any_time`: owed this week whatever the hour)."""
        db = self.services.db
        now = self.now()
        result = RunResult(week=self.owed_week(now))
        if not await log.acquire_lease(db, self.run_id, now, now - LEASE_TTL, owner_is_dead):
            result.busy = True
            return result
        renewer = asyncio.create_task(self._renew())
        _LIVE_RUNS.add(self.run_id)
        try:
            result.abandoned = await log.abandon_in_flight(db, self.run_id, now)
            queue = await self.owed(result.week, now, any_time, person_ids)
            result.owed = len(queue)
            pending = iter(queue)
            await asyncio.gather(*(self._worker(pending, result)
                                   for _ in range(min(self.workers, len(queue)) or 1)))
        finally:
            _LIVE_RUNS.discard(self.run_id)
            renewer.cancel()
            await log.release_lease(db, self.run_id)
        return result

    def owed_week(self, now: datetime) -> str:
        """The week (local time) a run at `now` serves."""
        return week_key(now.astimezone(self.services.settings.tz).date())

    async def compose(self, recipient: Recipient) -> Digest:
        """The recipient's digest as of today."""
        services = self.services
        return await digest_for(services.db, services.book, services.calendar,
                                services.settings, recipient.roles,
                                self.now().astimezone(services.settings.tz).date())

    async def owed(self, week: str, now: datetime, any_time: bool,
                   person_ids: list[int] | None) -> list[Recipient]:
        """Everyone owed this week's digest by now and not settled yet."""
        services = self.services
        done = await log.week_log(services.db, week)
        owed_now = []
        for row in await log.recipients(services.db, services.channel, DIGEST_ROLES,
                                        person_ids):
            roles = tuple(row["roles"])
            schedule = schedule_of(row, [role for _unit, role in roles], row["first_role_at"])
            settled = done.get(row["person_id"])
            if settled is not None and settled["status"] != "retry":
                continue
            if owed(schedule, now, services.settings.tz, any_time):
                owed_now.append(Recipient(row["person_id"], row["full_name"],
                                          str(row["chat_id"]), roles, schedule))
        return owed_now

    async def _renew(self) -> None:
        while True:
            await asyncio.sleep(LEASE_RENEW_SECONDS)
            if not await log.renew_lease(self.services.db, self.run_id, self.now()):
                logger.warning("digest lease taken over by another process")

    async def _worker(self, pending: Any, result: RunResult) -> None:
        for recipient in pending:
            try:
                status = await self.deliver(recipient, result.week)
            except Exception:  # noqa: BLE001 - one person's failure must not stop the rest
                logger.exception("digest for person %s failed", recipient.person_id)
                status = "error"
            result.counts[status] += 1

    async def deliver(self, recipient: Recipient, week: str) -> str:
        """Compose, claim, send and settle one person's digest; returns the outcome."""
        services = self.services
        db = services.db
        digest = await self.compose(recipient)
        if not digest.has_news and recipient.schedule.when_empty == "nothing":
            settled = await log.record_empty(db, recipient.person_id, week, self.run_id,
                                             self.now())
            return "empty" if settled else "skipped"

        async def claim() -> None:
            if not await log.claim(db, recipient.person_id, week, self.run_id,
                                   services.channel, recipient.chat_id, self.now()):
                raise NotClaimed(recipient.person_id)

        try:
            if not self.claim_in_sender:
                await claim()
            message_id = await self.send(recipient, digest, claim)
        except NotClaimed:
            return "skipped"
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, none escapes
            status, error = classify(exc)
            row = await log.delivery(db, recipient.person_id, week)
            if row is None or row["run_id"] != self.run_id:
                return "skipped"  # never claimed: the call did not go out
            if status == "retry" and row["attempts"] >= MAX_ATTEMPTS:
                status, error = "failed", "gave_up"
            await log.finish(db, recipient.person_id, week, self.run_id, status, self.now(),
                             error=error)
            if status != "failed" or error != "blocked":
                logger.warning("digest for person %s: %s (%s)", recipient.person_id, status,
                               exc)
            return status
        await log.finish(db, recipient.person_id, week, self.run_id, "sent", self.now(),
                         message_id=message_id)
        return "sent"
