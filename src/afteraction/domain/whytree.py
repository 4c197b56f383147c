"""Edits of a five-whys tree addressed by path (`1`, `1.2`, `1.2.1`): pure functions that return a new tree."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from afteraction.core.errors import InvalidInput
from afteraction.domain.reviews import WhyNodeData

MAX_TEXT = 10_000


def _indexes(path: str) -> list[int]:
    parts = path.strip().removeprefix("W").split(".")
    if not parts or not all(part.isdigit() and int(part) > 0 for part in parts):
        raise InvalidInput(f"not a why path: {path!r} (expected e.g. 1.2)", field="path")
    return [int(part) - 1 for part in parts]


def _clean(text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise InvalidInput("a why needs text", field="text")
    if len(text) > MAX_TEXT:
        raise InvalidInput(f"a why is at most {MAX_TEXT} characters", field="text")
    return text


def _copy(nodes: Sequence[WhyNodeData]) -> list[WhyNodeData]:
    return [node.model_copy(update={"children": _copy(node.children)}) for node in nodes]


def _at(nodes: list[WhyNodeData], path: str) -> tuple[list[WhyNodeData], int]:
    """The list holding the node at `path` and its index there."""
    indexes = _indexes(path)
    siblings = nodes
    for depth, index in enumerate(indexes):
        if index >= len(siblings):
            raise InvalidInput(f"there is no why W{path} (the tree changed?)", field="path")
        if depth == len(indexes) - 1:
            return siblings, index
        siblings = siblings[index].children
    raise AssertionError("unreachable")


def _edit(
    nodes: Sequence[WhyNodeData], path: str, change: Callable[[list[WhyNodeData], int], None]
) -> list[WhyNodeData]:
    tree = _copy(nodes)
    siblings, index = _at(tree, path)
    change(siblings, index)
    return tree


def add_why(nodes: Sequence[WhyNodeData], *, parent: str | None, text: str) -> list[WhyNodeData]:
    """A new why under the node at `parent`, or a new branch from the problem when `parent` is empty."""
    node = WhyNodeData(text=_clean(text))
    if not parent:
        return [*_copy(nodes), node]
    return _edit(nodes, parent, lambda siblings, i: siblings[i].children.append(node))


def edit_why(nodes: Sequence[WhyNodeData], *, path: str, text: str) -> list[WhyNodeData]:
    """The tree with the text of one why changed."""
    clean = _clean(text)

    def change(siblings: list[WhyNodeData], i: int) -> None:
        siblings[i] = siblings[i].model_copy(update={"text": clean})

    return _edit(nodes, path, change)


def mark_root_cause(nodes: Sequence[WhyNodeData], *, path: str, root_cause: bool) -> list[WhyNodeData]:
    """The tree with one why marked as a root cause (or no longer)."""

    def change(siblings: list[WhyNodeData], i: int) -> None:
        siblings[i] = siblings[i].model_copy(update={"root_cause": root_cause})

    return _edit(nodes, path, change)


def remove_why(nodes: Sequence[WhyNodeData], *, path: str) -> list[WhyNodeData]:
    """The tree without one why and the whys below it."""

    def change(siblings: list[WhyNodeData], i: int) -> None:
        del siblings[i]

    return _edit(nodes, path, change)


def move_why(nodes: Sequence[WhyNodeData], *, path: str, step: int) -> list[WhyNodeData]:
    """The tree with one why moved among its siblings (`step` -1 up, 1 down), the whys below it moving with it; at
    either end it stays where it is."""

    def change(siblings: list[WhyNodeData], i: int) -> None:
        j = i + step
        if 0 <= j < len(siblings):
            siblings[i], siblings[j] = siblings[j], siblings[i]

    return _edit(nodes, path, change)


def why_paths(nodes: Sequence[WhyNodeData], prefix: str = "") -> list[tuple[str, int, WhyNodeData]]:
    """Every why, depth first, with its path (`1.2`) and depth (0 for a branch from the problem)."""
    found: list[tuple[str, int, WhyNodeData]] = []
    for number, node in enumerate(nodes, 1):
        path = f"{prefix}{number}"
        found.append((path, path.count("."), node))
        found.extend(why_paths(node.children, f"{path}."))
    return found
