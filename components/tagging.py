"""The one tagging mechanism: a stack transformation that fills the required tags.

It runs inside the SDK before registration, so the engine and the offline capture see
the same tags. Components override single values (e.g. `data-classification`) by passing
`tags=`; the transformation fills in the rest and never drops what a component set.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from stacks.model import Classification, Environment

REQUIRED_TAGS = ("owner", "environment", "cost-center", "data-classification", "managed-by")
MANAGED_BY = "pulumi/civic-infra"
TAGGED_PACKAGES = ("aws:", "azure-native:")


def base_tags(env: Environment) -> dict[str, str]:
    """The tags every taggable resource gets unless its component says otherwise."""
    return {
        "owner": str(env.organization.owners[0].email),
        "environment": env.name,
        "cost-center": env.default_cost_center,
        "data-classification": Classification.internal.value,
        "managed-by": MANAGED_BY,
    }


def classified(classification: Classification, cost_center: str | None = None) -> dict[str, str]:
    """Tag overrides for a resource that holds data of one classification."""
    tags = {"data-classification": classification.value}
    if cost_center:
        tags["cost-center"] = cost_center
    return tags


def _merge(base: Mapping[str, str], existing: Any) -> Any:
    import pulumi

    if existing is None or isinstance(existing, Mapping):
        return {**base, **(existing or {})}
    return pulumi.Output.from_input(existing).apply(lambda t: {**base, **(t or {})})


def tagging_transformation(env: Environment):
    """A ResourceTransformation adding `base_tags(env)` to every resource with a map `tags` input."""
    import pulumi

    base = base_tags(env)

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if not args.type_.startswith(TAGGED_PACKAGES) or "tags" not in args.props:
            return None
        existing = args.props["tags"]
        if isinstance(existing, (list, tuple)):
            return None
        args.props["tags"] = _merge(base, existing)
        return pulumi.ResourceTransformationResult(args.props, args.opts)

    return transform
