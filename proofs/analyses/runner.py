"""Run several scenarios' checks, serially or in parallel processes.

Scenarios are independent (one exploration each, no shared state), so
`jobs > 1` hands them to worker processes (`pool.workers`, which end with
the parent); results come back in the
order the jobs were given, so the output is the same as a serial run's. The
checker itself never prints: progress goes through the callbacks.
"""
from __future__ import annotations

from concurrent.futures import as_completed
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

from ppverify.models.scenario import Scenario
from ppverify.proofs.analyses.check import check_threat
from ppverify.proofs.analyses.pool import workers as worker_pool
from ppverify.proofs.core.verdicts import Result


@dataclass(frozen=True)
class Job:
    scenario: Scenario
    properties: tuple[str, ...]


def _check(job: Job, max_states: int, max_moves: int, check_kwargs: dict) -> list[Result]:
    return check_threat(job.scenario, job.properties, max_states=max_states, max_moves=max_moves,
                        **check_kwargs)


def run_jobs(jobs: Sequence[Job], max_states: int = 20_000, max_moves: int = 2, workers: int = 1,
             started: Optional[Callable[[int, Job], None]] = None,
             progress: Optional[Callable[[Job], Callable]] = None,
             finished: Optional[Callable[[int, Job, list[Result]], None]] = None,
             **check_kwargs) -> list[list[Result]]:
    """One result list per job, in job order. `finished(i, job, results)`
    reports each job as it ends; `started(i, job)` and `progress(job)` (a
    per-state callback) only in serial runs, where they print in order."""
    if workers < 1:
        raise ValueError(f"--jobs must be at least 1, got {workers}")
    out: list[Optional[list[Result]]] = [None] * len(jobs)
    if workers == 1 or len(jobs) <= 1:
        for i, job in enumerate(jobs):
            if started:
                started(i, job)
            kw = dict(check_kwargs, progress=progress(job)) if progress else check_kwargs
            out[i] = _check(job, max_states, max_moves, kw)
            if finished:
                finished(i, job, out[i])
        return out
    with worker_pool(min(workers, len(jobs))) as pool:
        futures = {}
        for i, job in enumerate(jobs):
            futures[pool.submit(_check, job, max_states, max_moves, check_kwargs)] = i
        for fut in as_completed(futures):
            i = futures[fut]
            out[i] = fut.result()
            if finished:
                finished(i, jobs[i], out[i])
    return out
