"""The organisation's required tags on every taggable AWS and Azure resource."""

from __future__ import annotations

from collections.abc import Mapping

from policies.context import Context
from policies.core import (
    ResourceView,
    Severity,
    Verdict,
    compliant,
    is_unknown,
    not_applicable,
    resource_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import REQUIRED_TAGS, tags_of
from policies.sdk import supports_tags

_PACKAGES = ("aws", "azure-native")


@resource_policy(
    name="required-tags",
    description="Tag every taggable AWS and Azure resource with owner, environment, cost-center and data-classification",
    severity=Severity.low,
    remediation="The platform's tagging transformation fills these tags on every resource with a `tags` input; "
    "a component overrides only data-classification (tags=classified(...)). Pass `tags={}` if a resource "
    "received none.",
    types=None,
)
def required_tags(r: ResourceView, ctx: Context) -> Verdict:
    if r.package not in _PACKAGES or not r.custom or r.is_provider:
        return not_applicable("only AWS and Azure resources carry tags")
    tags = tags_of(r)
    if is_unknown(tags):
        return unknown_until_apply("tags")
    if tags is None and not supports_tags(r.type):
        return not_applicable(f"{r.type} cannot be tagged")
    tags = tags if isinstance(tags, Mapping) else {}
    missing = [k for k in REQUIRED_TAGS if not (isinstance(tags.get(k), str) and tags.get(k))]
    if missing:
        return violation(f"{r.name}: tags {', '.join(missing)} are missing; add them (in civic-infra the tagging "
                         "transformation fills them on every resource with a `tags` input)")
    value = tags["data-classification"]
    if not is_unknown(value) and value not in ctx.classifications:
        return violation(f"{r.name}: tag data-classification is {value!r}; use one of {', '.join(ctx.classifications)} "
                         "(policy.classifications)")
    return compliant()


POLICIES = (required_tags,)
