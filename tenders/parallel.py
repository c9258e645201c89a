"""Map a function over a stream on worker processes, in order, with bounded memory.

``Pool.imap`` reads its whole input ahead; a TED package streamed through it would sit in
memory. Here at most ``window`` chunks, and at most ``budget`` bytes where the caller says
how big an item is, are in flight. A short stream never starts a pool.

The workers never outlive their run: they are in its process group, a run stopped by an exception
(SIGTERM included) kills them at once, and a run killed by SIGKILL takes them along (``_die_with``).
A map running in another thread (sources read side by side) never sees the run's exception, nor that
its source was given up: the run calls ``stop_workers``.
"""

from __future__ import annotations

import contextlib
import ctypes
import itertools
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger(__name__)
PR_SET_PDEATHSIG = 1  # linux/prctl.h
WATCH_EVERY = 0.5  # seconds between a worker's looks at its parent
_POOLS: dict[ProcessPoolExecutor, int] = {}  # the pools at work now -> the thread that maps with each
_POOLS_LOCK = threading.Lock()


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1)


def ordered_map(
    fn: Callable[[list[T]], list[R]],
    items: Iterable[T],
    *,
    workers: int,
    chunk: int = 8,
    window: int = 16,
    threshold: int = 32,
    weight: Callable[[T], int] | None = None,
    budget: int = 64 * 1024 * 1024,
) -> Iterator[R]:
    """``fn`` takes a chunk of items and returns one result per item; results come in input order.

    With ``weight`` (an item's size in bytes), the items read ahead and in flight are bounded
    by ``budget`` bytes as well as by count: ten notices of 10 MB are a full window."""
    iterator = iter(items)
    head: list[T] = []
    held = 0
    for item in iterator:
        head.append(item)
        held += weight(item) if weight else 0
        if len(head) >= threshold or (weight and held >= budget):
            break
    # A chunk is also closed at its share of the budget: one 9 MB notice is a chunk of its own.
    share = max(1, budget // window) if weight else 0
    if workers <= 1 or (len(head) < threshold and not (weight and held >= budget)):
        stream = itertools.chain(head, iterator)
        del head  # nothing keeps the items read ahead once they are done
        for group in _chunks(stream, chunk, weight, share):
            yield from fn(group)
        return
    try:
        pool = ProcessPoolExecutor(
            workers, mp_context=multiprocessing.get_context("fork"), initializer=_die_with, initargs=(os.getpid(),)
        )
    except (OSError, ValueError, AssertionError) as exc:  # no fork here, or a daemonic parent
        log.warning("no worker processes (%s); working in this process", exc)
        yield from ordered_map(fn, itertools.chain(head, iterator), workers=1, chunk=chunk, weight=weight,
                               budget=budget)  # fmt: skip
        return
    with _POOLS_LOCK:
        _POOLS[pool] = threading.get_ident()
    with pool:
        try:
            pending: deque[tuple[Future[list[R]], int]] = deque()
            in_flight = 0
            stream = itertools.chain(head, iterator)
            del head
            for group in _chunks(stream, chunk, weight, share):
                size = sum(weight(item) for item in group) if weight else 0
                pending.append((pool.submit(fn, group), size))
                in_flight += size
                del group
                while pending and (len(pending) >= window or (weight and in_flight > budget)):
                    done, size = pending.popleft()
                    in_flight -= size
                    yield from done.result()
            while pending:
                yield from pending.popleft()[0].result()
        except BaseException:  # stopped (SIGTERM, an error, the caller gone): the workers stop now, not
            _stop(pool)  # after every chunk already handed to them
            raise
        finally:
            with _POOLS_LOCK:
                _POOLS.pop(pool, None)


def stop_workers(thread: int | None = None) -> None:
    """Kill the workers of the maps of ``thread`` (a source given up), or of every thread (the run
    stops now: SIGTERM). Else the interpreter waits at exit for each worker to finish its chunk,
    and a worker stuck in one never does."""
    with _POOLS_LOCK:
        pools = [pool for pool, owner in _POOLS.items() if thread is None or owner == thread]
    for pool in pools:
        _stop(pool)


def _stop(pool: ProcessPoolExecutor) -> None:
    processes = list((pool._processes or {}).values())
    pool.shutdown(wait=False, cancel_futures=True)
    for process in processes:
        process.kill()
    for process in processes:
        process.join(5)


def _die_with(parent: int) -> None:
    """In each worker, first: it dies with the process that started it, even one killed by SIGKILL.

    Linux sends the worker SIGKILL when its parent ends (``PR_SET_PDEATHSIG``); elsewhere, and for a
    parent gone before this line ran, a watchdog thread sees the parent change. SIGTERM and SIGINT
    are the default again: the run's own handlers, copied by fork, are not the worker's."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group: the run stops its workers
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:
        os._exit(1)
    threading.Thread(target=_watch, args=(parent,), name="parent-watchdog", daemon=True).start()


def _watch(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(WATCH_EVERY)
    os._exit(1)


def _chunks(
    iterator: Iterator[T], size: int, weight: Callable[[T], int] | None = None, share: int = 0
) -> Iterator[list[T]]:
    """Groups of ``size`` items, or fewer where their ``weight`` reaches ``share``."""
    group: list[T] = []
    held = 0
    for item in iterator:
        group.append(item)
        held += weight(item) if weight else 0
        if len(group) >= size or (weight and held >= share):
            yield group
            group, held = [], 0
    if group:
        yield group
