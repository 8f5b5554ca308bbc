"""The rules about the rules: exemptions and enforcement overrides must be sound.

An expired, unjustified, too-long or unmatched exemption, and an attempt to set a
data-protection policy below mandatory, are themselves mandatory violations. These two
policies can be neither downgraded nor exempted.
"""

from __future__ import annotations

from collections.abc import Iterator

from policies.context import Context, Exemption
from policies.core import (
    Enforcement,
    Policy,
    Severity,
    StackView,
    Verdict,
    compliant,
    stack_policy,
    violation,
)


def _catalog() -> dict[str, Policy]:
    from policies.catalog import policies_by_name

    return policies_by_name()


def _matches_anything(ex: Exemption, policy: Policy, stack: StackView) -> bool:
    if policy.kind == "stack" and ex.matches(stack.urn, stack.name):
        return True
    candidates = stack.resources if policy.resource_types is None or policy.kind == "stack" else stack.of_type(
        *sorted(policy.resource_types)
    )
    return any(ex.matches(r.urn, r.name) for r in candidates)


@stack_policy(
    name="policy-exemptions-valid",
    description="Keep every policy exemption justified, unexpired, at most 180 days long and matching a resource",
    severity=Severity.high,
    remediation="Fix or remove the entry in infra:policy.exemptions: name an existing policy and a resource URN "
    "or name pattern that exists, give a justification of at least 10 characters and an expiry within 180 days.",
    locked=True,
)
def exemptions_valid(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    catalog = _catalog()
    if not ctx.settings.exemptions:
        yield compliant("no exemptions")
        return
    for i, ex in enumerate(ctx.settings.exemptions):
        where = f"infra:policy.exemptions[{i}] ({ex.policy} for {ex.resource!r})"
        policy = catalog.get(ex.policy)
        if policy is None:
            yield violation(f"{where}: names no policy; use a name from `infra policy list`")
        elif policy.is_locked:
            why = "protects data" if policy.data_protection else "polices the exemptions and overrides"
            yield violation(f"{where}: {ex.policy} is locked ({why}) and cannot be exempted; fix the resource "
                            "instead, then remove the exemption")
        elif (problem := ex.problem(ctx.today)) is not None:
            yield violation(f"{where}: {problem}; renew it with a justification and a date within 180 days, or remove it")
        elif not _matches_anything(ex, policy, stack):
            yield violation(f"{where}: matches no resource that {ex.policy} checks; correct the URN or name pattern, "
                            "or remove the exemption")
        else:
            yield compliant(f"{where} is valid until {ex.expires.isoformat() if ex.expires else '?'}")


@stack_policy(
    name="policy-enforcement-valid",
    description="Keep data-protection policies mandatory and name only existing policies in enforcement overrides",
    severity=Severity.high,
    remediation="Remove the entry from infra:policy.enforcement, or use a policy name from `infra policy list` "
    "that is not marked data-protection; data-protection policies stay mandatory everywhere.",
    locked=True,
)
def enforcement_valid(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    catalog = _catalog()
    levels = {e.value for e in Enforcement}
    bad = False
    for name, level in sorted(ctx.settings.enforcement.items()):
        where = f"infra:policy.enforcement.{name}"
        policy = catalog.get(name)
        if policy is None:
            bad = True
            yield violation(f"{where}: names no policy; use a name from `infra policy list`")
        elif level not in levels:
            bad = True
            yield violation(f"{where}: {level!r} is not an enforcement level; use advisory, mandatory or disabled")
        elif policy.is_locked and level != Enforcement.mandatory.value:
            bad = True
            yield violation(f"{where}: is {level!r}, but {name} protects data and stays mandatory; remove the override")
    if not bad:
        yield compliant("enforcement overrides are valid")


POLICIES = (exemptions_valid, enforcement_valid)
