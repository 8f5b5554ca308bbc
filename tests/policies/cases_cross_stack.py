"""Cross-stack policies: several literal stacks checked together, the exact pass_* and fail_* sets.

A `CrossStackScenario` is a few small stacks, each with its name, its Entra tenant and its
resources; resources named `pass_*` must be judged compliant and `fail_*` non-compliant when
the stacks are checked together (policies.evaluate.evaluate_together).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from policies.context import Context
from policies.core import ResourceView, StackView
from tests.policies.fixtures import TODAY, R

CA = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
LOCATION = "azuread:index/namedLocation:NamedLocation"
STRENGTH = "azuread:index/authenticationStrengthPolicy:AuthenticationStrengthPolicy"
GROUP = "azuread:index/group:Group"
TENANT_A = "00000000-0000-0000-0000-00000000000a"
TENANT_B = "00000000-0000-0000-0000-00000000000b"


@dataclass(frozen=True)
class Member:
    """One stack of a cross-stack scenario."""

    stack: str
    tenant: str | None
    resources: list[R] = field(default_factory=list)


@dataclass(frozen=True)
class CrossStackScenario:
    policy: str
    label: str
    members: list[Member]


def stacks_of(s: CrossStackScenario) -> list[tuple[StackView, Context]]:
    """Each member as a StackView and its context (the tenant it belongs to)."""
    out = []
    for m in s.members:
        views = [ResourceView(urn=f"urn:pulumi:{m.stack}::{s.label}::{r.type}::{r.name}", type=r.type, name=r.name,
                              props=dict(r.props)) for r in m.resources]  # fmt: skip
        out.append((StackView(views, stack=m.stack, project=s.label),
                    Context(environment=m.stack, today=TODAY, azure_tenant_id=m.tenant)))
    return out


def _ca(name: str) -> R:
    return R(name, CA, {"displayName": name, "state": "enabled"})


ONE_STACK = "entra-conditional-access-one-stack-per-tenant"

SCENARIOS: list[CrossStackScenario] = [
    CrossStackScenario(ONE_STACK, "fail_two_stacks_one_tenant", [
        Member("tenant", TENANT_A, [_ca("fail_tenant_mfa"), R("fail_tenant_us", LOCATION, {"displayName": "US"}),
                                    R("groups-are-not-judged", GROUP, {"displayName": "staff"})]),
        Member("dev", TENANT_A, [_ca("fail_dev_copy_of_mfa"),
                                 R("fail_dev_strength", STRENGTH, {"displayName": "phishing-resistant"})]),
        Member("prod", TENANT_A, [R("prod-group", GROUP, {"displayName": "vendors"})]),
    ]),
    CrossStackScenario(ONE_STACK, "pass_different_tenants", [
        Member("tenant", TENANT_A, [_ca("pass_tenant_a_mfa"), R("pass_tenant_a_us", LOCATION, {"displayName": "US"})]),
        Member("partner", TENANT_B, [_ca("pass_tenant_b_mfa")]),
        Member("dev", TENANT_A, []),
    ]),
    CrossStackScenario(ONE_STACK, "pass_tenant_id_case_differs", [
        Member("tenant", TENANT_A.upper(), [_ca("pass_only_owner")]),
        Member("dev", TENANT_A, [R("dev-group", GROUP, {"displayName": "vendors"})]),
    ]),
    CrossStackScenario(ONE_STACK, "fail_same_tenant_other_case", [
        Member("tenant", TENANT_A.upper(), [_ca("fail_owner")]),
        Member("foreign", TENANT_A, [_ca("fail_foreign_copy")]),
    ]),
]
