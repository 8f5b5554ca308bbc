"""Checks over several stacks at once: what one tenant may hold only once.

Conditional access is tenant-wide. Two stacks of the same Entra tenant that both declare
conditional access policies, named locations or authentication strengths each enforce their
own copy, and the copy that forgets a break-glass exclusion locks the emergency accounts out.
The per-stack policy `entra-tenant-resources-single-owner` catches an environment stack that
declares them; this one compares the stacks themselves, so two tenant stacks (or a foreign
stack) of one tenant are caught too, naming both stacks and their resources.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence

from policies.azure.entra import CA_POLICY
from policies.context import Context
from policies.core import (
    ResourceView,
    Severity,
    StackView,
    Verdict,
    compliant,
    cross_stack_policy,
    not_applicable,
    violation,
)

CONDITIONAL_ACCESS_TYPES = (
    CA_POLICY,
    "azuread:index/namedLocation:NamedLocation",
    "azuread:index/authenticationStrengthPolicy:AuthenticationStrengthPolicy",
)
"""The conditional access objects of a tenant: policies and what they refer to."""


def _kind(r: ResourceView) -> str:
    return r.type.rsplit(":", 1)[-1]


def _listing(stack: StackView, found: list[ResourceView], limit: int = 5) -> str:
    names = ", ".join(f"{_kind(r)} {r.name}" for r in found[:limit])
    more = f" and {len(found) - limit} more" if len(found) > limit else ""
    return f"stack {stack.stack} declares {names}{more}"


@cross_stack_policy(
    name="entra-conditional-access-one-stack-per-tenant",
    description="Keep the conditional access policies, named locations and authentication strengths of a "
    "tenant in one stack only",
    severity=Severity.critical,
    remediation="Keep conditional access in the one tenant stack of the tenant (stacks/Pulumi.tenant.yaml, "
    "components/azure/tenant.py) and remove it from every other stack; two stacks with copies of the policies "
    "can each lock out the break-glass accounts.",
    locked=True,
)
def conditional_access_one_stack(stacks: Sequence[tuple[StackView, Context]]) -> Iterator[tuple[StackView, Verdict]]:
    by_tenant: dict[str, list[tuple[StackView, list[ResourceView]]]] = defaultdict(list)
    for stack, ctx in stacks:
        found = stack.of_type(*CONDITIONAL_ACCESS_TYPES)
        if not found:
            yield stack, compliant()
            continue
        if ctx.azure_tenant_id is None:
            yield stack, not_applicable("the stack's Entra tenant is unknown (no azure.tenant_id)")
            continue
        by_tenant[ctx.azure_tenant_id.lower()].append((stack, found))
    for tenant, owners in sorted(by_tenant.items()):
        if len(owners) == 1:
            stack, found = owners[0]
            for r in found:
                yield stack, compliant(subject=r)
            continue
        for stack, found in owners:
            others = "; ".join(_listing(s, f) for s, f in owners if s is not stack)
            for r in found:
                yield stack, violation(
                    f"{_kind(r)} {r.name} of stack {stack.stack} is in tenant {tenant}, whose conditional access "
                    f"is also declared elsewhere: {others}; declare it in one stack of the tenant only", r)


POLICIES = (conditional_access_one_stack,)
