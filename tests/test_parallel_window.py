"""The parse window is bounded by bytes as well as by count: big notices are never all in flight."""

from __future__ import annotations

from collections.abc import Iterator

from tenders.parallel import ordered_map

MB = 1024 * 1024


def double(group: list[int]) -> list[int]:
    return [2 * item for item in group]


def test_items_in_flight_stay_within_the_byte_budget() -> None:
    pulled = 0
    most = 0

    def items() -> Iterator[int]:
        nonlocal pulled
        for n in range(60):
            pulled += 1
            yield n

    out: list[int] = []
    for result in ordered_map(double, items(), workers=2, chunk=1, window=16, threshold=4,
                              weight=lambda _: 10 * MB, budget=30 * MB):  # fmt: skip
        most = max(most, pulled - len(out))
        out.append(result)
    assert out == [2 * n for n in range(60)]
    assert most * 10 * MB <= 40 * MB  # the budget plus the one chunk that crossed it; by count it would be 16
