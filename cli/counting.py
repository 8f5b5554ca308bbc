"""The one definition of "how many resources": used by plan, graph, the PR report and compliance.

A resource is every registration of the program except the root stack and the providers the
engine makes from stack config (`default_*`): components and explicit providers count, as in
the engine's own preview and update counts. Pure: works on anything with `urn`, `type` and
`parent` (captures, state exports, graph nodes).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, TypeVar

STACK_TYPE = "pulumi:pulumi:Stack"
T = TypeVar("T")


def is_counted(urn: str, type_: str) -> bool:
    if type_ == STACK_TYPE:
        return False
    return not (type_.startswith("pulumi:providers:") and urn.rsplit("::", 1)[-1].startswith("default"))


def counted(resources: Iterable[T]) -> list[T]:
    """The resources that count, in their order."""
    return [r for r in resources if is_counted(_get(r, "urn"), _get(r, "type"))]


def total(resources: Iterable[Any]) -> int:
    return len(counted(resources))


def count_below(resources: Iterable[Any], urn: str) -> int:
    """Counted resources anywhere under the component `urn` (nested components and their children too)."""
    items = counted(resources)
    children: dict[str | None, list[Any]] = {}
    for r in items:
        children.setdefault(_get(r, "parent"), []).append(r)
    count, stack = 0, [urn]
    while stack:
        for child in children.get(stack.pop(), []):
            count += 1
            stack.append(_get(child, "urn"))
    return count


def _get(r: Any, key: str) -> Any:
    return r.get(key) if isinstance(r, dict) else getattr(r, key, None)
