"""US-only data residency: every provider, and every resource that sets its own region or location."""

from __future__ import annotations

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
from stacks.regions import US_AWS_REGIONS, US_AZURE_LOCATIONS

GLOBAL_LOCATIONS = frozenset({"global"})
"""Azure resources that are not regional (DNS zones, Front Door) use 'global'."""

_KEYS = {"aws": "region", "azure-native": "location"}


def _normalise(package: str, value: str) -> str:
    return value.replace(" ", "").lower() if package == "azure-native" else value.strip().lower()


def _allowed(package: str, value: str) -> bool:
    if package == "aws":
        return value in US_AWS_REGIONS
    return value in US_AZURE_LOCATIONS or value in GLOBAL_LOCATIONS


def _decide(package: str, value: object, what: str, name: str) -> Verdict:
    if is_unknown(value):
        return unknown_until_apply(what)
    if not isinstance(value, str) or not value:
        return violation(f"{name}: {what} is not set, so it depends on the machine that deploys; set a US "
                         f"{'region' if package == 'aws' else 'location'} explicitly")
    if not _allowed(package, _normalise(package, value)):
        allowed = sorted(US_AWS_REGIONS if package == "aws" else US_AZURE_LOCATIONS)
        return violation(f"{name}: {what} is {value!r}, outside the United States; use one of {', '.join(allowed)}")
    return compliant()


GLOBAL_AWS_MODULES = frozenset({"iam", "budgets", "organizations", "route53", "cloudfront", "shield", "ssoadmin",
                                "identitystore", "costexplorer"})
"""pulumi-aws modules whose resources are global: they hold no data in the provider's region."""


@resource_policy(
    name="us-only-residency",
    description="Keep every AWS and Azure resource in US regions and locations",
    severity=Severity.critical,
    remediation="Set aws.region / azure.location in the environment to a US region; components take it from "
    "there and never set their own region or location.",
    types=None,
    data_protection=True,
)
def us_only(r: ResourceView, ctx: Context) -> Verdict:
    # The finding belongs to the resource that would hold data abroad: a provider set to a
    # non-US region holds nothing by itself, and a resource may override its region.
    if r.is_provider:
        return not_applicable("providers hold no data; each resource is checked with the region it ends up in")
    key = _KEYS.get(r.package)
    if key is None or not r.custom:
        return not_applicable("not a regional AWS or Azure resource")
    if r.package == "aws" and r.type.split(":")[1].split("/")[0] in GLOBAL_AWS_MODULES:
        return not_applicable(f"{r.type} is global, not regional")
    own = r.get(key)
    if own is not None:
        return _decide(r.package, own, key, r.name)
    if r.provider is None:
        return not_applicable(f"no {key} of its own and its provider is not known here")
    value = r.provider.props.get(key)
    if value is None and r.package == "azure-native":
        # Azure child resources (containers, rules, secrets) have no location; they live with their parent.
        return not_applicable(f"no location of its own and provider {r.provider.name} sets none")
    if r.provider.is_default:
        if value is None:
            return not_applicable(f"the default {r.package} provider's {key} is not known here")
        return _decide(r.package, value, f"the default provider's {key}", r.name)
    return _decide(r.package, value, f"{key} (from provider {r.provider.name})", r.name)


POLICIES = (us_only,)
