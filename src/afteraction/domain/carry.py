"""Which row a part of a post-mortem became when its list or tree was written anew (an edit in the page, a section
saved through the API, a document imported again): so that comments and action items stay on what they concern.

A row is matched to a new row with the same text in the same place, then to one with the same text elsewhere (it
moved), then to one in the same place that nothing else claimed (its text was edited). A row with none is gone."""

from __future__ import annotations

from collections import defaultdict, deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Placed:
    """A row of a list or tree: its id, its place (`1.2` for a why, the index for a list) and its text."""

    id: int
    place: str
    text: str


def _key_text(text: str) -> str:
    return " ".join(text.split()).casefold()


def carry_over(before: Sequence[Placed], after: Sequence[Placed]) -> dict[int, int]:
    """The id of the row in `after` that each row of `before` became (rows that are gone are left out). Each row of
    `after` is claimed at most once; earlier rows claim first."""
    found: dict[int, int] = {}
    taken: set[int] = set()
    rules: list[Callable[[Placed], Hashable]] = [
        lambda row: (row.place, _key_text(row.text)),
        lambda row: _key_text(row.text),
        lambda row: row.place,
    ]
    for key in rules:
        waiting: dict[Hashable, deque[int]] = defaultdict(deque)
        for row in after:
            if row.id not in taken:
                waiting[key(row)].append(row.id)
        for row in before:
            if row.id in found:
                continue
            queue = waiting.get(key(row))
            while queue and queue[0] in taken:
                queue.popleft()
            if queue:
                found[row.id] = queue.popleft()
                taken.add(found[row.id])
    return found
