"""The production shape on this machine: Celery workers on PostgreSQL and Redis.

`scripts/airflow-celery` (`make airflow-celery`) starts api-server, scheduler, dag-processor,
triggerer and two Celery workers as separate processes, each with its own AIRFLOW_HOME, sharing
only what separate machines would share: the metadata database, the broker, the generated
secrets and the project's store. The end-to-end test runs that script and checks what an
operator would see: the mapped collect tasks run on both workers, the Asset chain puts digests
in the outbox, and a worker killed in the middle of a collect run costs a retry on the other
worker, not a tender or a digest.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Iterator, Sequence
from typing import Any, overload

from .conftest import PROJECT


class MappedResults(Sequence[dict[str, Any]]):
    """The mapped tasks' results as the task SDK hands them over: a lazy sequence that asks the
    api-server for each item, and whose server answers 404 past the end."""

    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.missed: list[int] = []

    def __len__(self) -> int:
        return len(self.items)

    @overload
    def __getitem__(self, key: int) -> dict[str, Any]: ...

    @overload
    def __getitem__(self, key: slice) -> Sequence[dict[str, Any]]: ...

    def __getitem__(self, key: int | slice) -> dict[str, Any] | Sequence[dict[str, Any]]:
        if isinstance(key, slice):
            return self.items[key]
        if key >= len(self.items):
            self.missed.append(key)  # the api-server logs "XCom not found" and answers 404
        return self.items[key]


def announce_task() -> Any:
    sys.path.insert(0, str(PROJECT / "dags"))
    try:
        module = importlib.import_module("tender_radar")
    finally:
        sys.path.remove(str(PROJECT / "dags"))
    return module.tender_radar_collect().get_task("announce").python_callable


def test_announce_reads_the_mapped_results_without_asking_past_the_end() -> None:
    results = MappedResults([{"new": 2, "changed": 0}, {"new": 0, "changed": 1}, {"new": 1, "changed": 0}])
    events: Iterator[Any] = announce_task()(results)
    (event,) = list(events)
    assert event.extra == {"new": 3, "changed": 1, "sources": 3}
    assert results.missed == []
