"""A stopping daemon lets the scheduler's running jobs end (scheduler.engine.jobs): shutting
APScheduler down while one runs cancels it, a CancelledError traceback in the log at a stop."""

from __future__ import annotations

import asyncio
import datetime as dt

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger

from scheduler.engine.jobs import RunningJobs


async def test_a_running_job_is_seen_until_it_ends_and_then_the_scheduler_is_idle() -> None:
    scheduler = AsyncIOScheduler(timezone=dt.UTC)
    jobs = RunningJobs(scheduler)
    started, release, ended = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def reload() -> None:
        started.set()
        await release.wait()
        ended.set()

    async def fails() -> None:
        raise RuntimeError("a job that fails ends too")

    scheduler.start()
    scheduler.add_job(reload, DateTrigger(run_date=dt.datetime.now(dt.UTC)))
    scheduler.add_job(fails, DateTrigger(run_date=dt.datetime.now(dt.UTC)))
    async with asyncio.timeout(10):
        await started.wait()
    assert not jobs.idle.is_set() and jobs.count >= 1
    scheduler.pause()  # what a stop does: nothing new starts, the running job goes on
    release.set()
    async with asyncio.timeout(10):
        await jobs.idle.wait()
    assert ended.is_set() and jobs.count == 0
    scheduler.shutdown(wait=False)
