"""Jobs run side by side, each within its own deadline; one that overruns is abandoned, not waited for.

Why: the sources of a run used to be read one after the other, so a feed that accepts and never
answers held up every source behind it and the run. Here each job (one source's collect) runs in a
daemon thread of its own, at most ``at_once`` at a time, and is waited for until its deadline (and
``grace`` seconds more, for its own time limits to end it cleanly). One still running then is
abandoned: its ``late`` answer stands for it, its parse workers are killed, and its thread, which
nothing waits for and which does not keep the process alive, is refused every later write.

Writes take turns (``Turns.write``): SQLite has one writer, and the store's upsert reads, then
links notices of one procedure across sources; one at a time, the sources' writes are as safe as
when the sources ran one after the other, on PostgreSQL too.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Generator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from tenders.parallel import stop_workers

R = TypeVar("R")


class Abandoned(Exception):  # ruff: ignore[error-suffix-on-exception-name] - a state, not a fault: the job was given up
    """Raised in an abandoned job at its next write: what it committed before stays, nothing more is written."""


class Turns:
    """One job's turns at the run's single writer, and what it has done so far (for its ``late``)."""

    def __init__(self, lock: threading.Lock) -> None:
        self._lock = lock
        self.abandoned = False
        self.progress: Any = None  # set by the job: what its ``late`` reports as done before it was abandoned
        self.finished = False  # set by the job in its last write: abandoned now, it has recorded itself

    @contextmanager
    def write(self) -> Generator[None]:
        with self._lock:
            if self.abandoned:
                raise Abandoned
            yield


@dataclass(frozen=True)
class Job(Generic[R]):
    name: str
    deadline: float  # seconds from the job's start
    work: Callable[[Turns], R]  # the job; an exception it raises is the run's (a job catches its own)
    late: Callable[[Turns], R]  # its answer once abandoned, given holding the writer: it may record the job


@dataclass
class _Running(Generic[R]):
    job: Job[R]
    turns: Turns
    thread: threading.Thread
    ends_at: float
    result: R | None = None
    error: BaseException | None = None
    done: bool = False


def side_by_side(jobs: Sequence[Job[R]], *, at_once: int, grace: float = 5.0) -> list[R]:
    """Every job's result in the jobs' order; a job past its deadline plus ``grace`` gives its ``late``."""
    lock = threading.Lock()  # the one writer
    changed = threading.Condition()
    results: dict[int, R] = {}
    waiting = list(enumerate(jobs))
    running: dict[int, _Running[R]] = {}

    def start(index: int, job: Job[R]) -> None:
        turns = Turns(lock)
        entry = _Running(job, turns, threading.Thread(), time.monotonic() + job.deadline + grace)

        def body() -> None:
            try:
                entry.result = job.work(turns)
            except Exception as exc:  # ruff: ignore[blind-except] - carried to the run's thread, which raises it
                entry.error = exc
            finally:
                with changed:
                    entry.done = True
                    changed.notify_all()

        entry.thread = threading.Thread(target=body, name=f"collect {job.name}", daemon=True)
        running[index] = entry
        entry.thread.start()

    try:
        while waiting or running:
            while waiting and len(running) < max(1, at_once):
                start(*waiting.pop(0))
            with changed:
                if not any(r.done for r in running.values()):
                    soonest = min(r.ends_at for r in running.values())
                    changed.wait(timeout=max(0.0, soonest - time.monotonic()))
                finished = [i for i, r in running.items() if r.done]
            for index in finished:
                entry = running.pop(index)
                if entry.error is not None and not isinstance(entry.error, Abandoned):
                    raise entry.error
                results[index] = entry.result  # type: ignore[assignment]  # a job that ended gave its result
            now = time.monotonic()
            for index in [i for i, r in running.items() if r.ends_at <= now and not r.done]:
                entry = running.pop(index)
                with lock:  # no write of the job under way, and none after this
                    entry.turns.abandoned = True
                    results[index] = entry.job.late(entry.turns)
                stop_workers(entry.thread.ident)  # its parse workers too: one stuck would hold the exit
    except BaseException:  # an error, or SIGTERM: the jobs still running write nothing more, their workers stop
        _abandon_all(running, lock)
        if running:
            stop_workers()
        raise
    return [results[i] for i in range(len(jobs))]


def _abandon_all(running: dict[int, _Running[Any]], lock: threading.Lock) -> None:
    """The run stops: the jobs still running write nothing more (a write under way ends first)."""
    with lock:
        for entry in running.values():
            entry.turns.abandoned = True
