"""Map a function over a stream on worker processes, in order, with bounded memory.

``Pool.imap`` reads its whole input ahead; a TED package streamed through it would sit in
memory. Here at most ``window`` chunks are in flight. A short stream never starts a pool.
"""

from __future__ import annotations

import itertools
import logging
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
log = logging.getLogger(__name__)


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
) -> Iterator[R]:
    """``fn`` takes a chunk of items and returns one result per item; results come in input order."""
    iterator = iter(items)
    head = list(itertools.islice(iterator, threshold))
    if workers <= 1 or len(head) < threshold:
        for start in range(0, len(head), chunk):
            yield from fn(head[start : start + chunk])
        for group in _chunks(iterator, chunk):
            yield from fn(group)
        return
    try:
        pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
    except (OSError, ValueError, AssertionError) as exc:  # no fork here, or a daemonic parent
        log.warning("no worker processes (%s); working in this process", exc)
        yield from ordered_map(fn, itertools.chain(head, iterator), workers=1, chunk=chunk)
        return
    with pool:
        pending: deque[Future[list[R]]] = deque()
        for group in _chunks(itertools.chain(head, iterator), chunk):
            pending.append(pool.submit(fn, group))
            if len(pending) >= window:
                yield from pending.popleft().result()
        while pending:
            yield from pending.popleft().result()


def _chunks(iterator: Iterator[T], size: int) -> Iterator[list[T]]:
    while group := list(itertools.islice(iterator, size)):
        yield group
