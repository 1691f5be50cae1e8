"""Which of the scheduler's jobs are running, so that a stop can let them end.

APScheduler 3's ``shutdown(wait=False)`` cancels the coroutine jobs that are running: a reload
or a check halfway through a database call then ends with a ``CancelledError`` traceback in the
log at every stop. The daemon pauses the scheduler (no job starts any more) and waits, within
its stop bound, until the jobs that run have ended (``idle``). Counted from APScheduler's own
events: one submitted, one executed or failed."""

from __future__ import annotations

import asyncio

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_SUBMITTED,
    JobEvent,
)
from apscheduler.schedulers.base import BaseScheduler

ENDED = EVENT_JOB_EXECUTED | EVENT_JOB_ERROR


class RunningJobs:
    def __init__(self, scheduler: BaseScheduler) -> None:
        self.count = 0
        self.idle = asyncio.Event()
        self.idle.set()
        scheduler.add_listener(self._seen, EVENT_JOB_SUBMITTED | ENDED)

    def _seen(self, event: JobEvent) -> None:
        if event.code == EVENT_JOB_SUBMITTED:
            self.count += 1
            self.idle.clear()
        else:
            self.count = max(0, self.count - 1)
            if self.count == 0:
                self.idle.set()
