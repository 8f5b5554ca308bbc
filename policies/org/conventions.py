"""The organisation's conventions: resource names per kind, tag values (not only their presence),
and budgets that tell someone when spending runs over."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from policies.context import Context
from policies.core import (
    ResourceView,
    Severity,
    StackView,
    Verdict,
    compliant,
    contains_unknown,
    is_unknown,
    not_applicable,
    resource_policy,
    stack_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import as_list, show, tags_of

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[a-z]{2,}$", re.IGNORECASE)
_TIER_NAMES = {
    "development": ("development", "dev"), "staging": ("staging", "stage", "stg"), "production": ("production", "prod"),
}


def _kinds(type_: str) -> tuple[str, ...]:
    """The keys a naming rule may use for a type: the token, 'module/Name' and 'Name'."""
    parts = type_.split(":")
    name = parts[-1]
    module = parts[1].split("/")[0] if len(parts) == 3 else ""
    return (type_, f"{module}/{name}" if module else name, name)


@resource_policy(
    name="naming-convention",
    description="Name every resource by the pattern the policy config gives for its kind",
    severity=Severity.low,
    remediation="Rename the resource (its Pulumi name) to match policy.naming for its kind; renaming replaces it, "
    "so add an alias when the resource holds data.",
    types=None,
)
def naming(r: ResourceView, ctx: Context) -> Verdict:
    if not ctx.naming:
        return not_applicable("no naming convention is configured (policy.naming)")
    if not r.custom or r.is_provider:
        return not_applicable("components and providers are not named by convention")
    kind = next((k for k in _kinds(r.type) if k in ctx.naming), None)
    if kind is None:
        return not_applicable(f"no naming rule for {r.type}")
    pattern = ctx.naming[kind]
    if not re.fullmatch(pattern, r.name):
        return violation(f"{r.name}: the name does not match policy.naming[{kind!r}] {pattern!r}; rename it")
    return compliant()


@resource_policy(
    name="tag-values-valid",
    description="Tag resources with the stack's environment, an owner email or known team, and a declared cost center",
    severity=Severity.low,
    remediation="Keep the tagging transformation's values: environment is the environment's name or tier, owner "
    "an email or a team in policy.teams, cost-center one of cost_centers[].name.",
    types=None,
)
def tag_values(r: ResourceView, ctx: Context) -> Verdict:
    if r.package not in ("aws", "azure-native") or not r.custom or r.is_provider:
        return not_applicable("only AWS and Azure resources carry tags")
    tags = tags_of(r)
    if is_unknown(tags) or contains_unknown(tags):
        return unknown_until_apply("tags")
    if not isinstance(tags, Mapping):
        return not_applicable("no tags (required-tags decides whether they are missing)")
    problems = []
    env = tags.get("environment")
    # the tenant stack creates each listed environment's CI identities, tagged with that environment
    accepted = {ctx.environment.lower(), *_TIER_NAMES.get(ctx.tier, (ctx.tier,)), *ctx.tenant_environments}
    if isinstance(env, str) and env.lower() not in accepted:
        problems.append(f"environment is {env!r}, not {ctx.environment!r} or {ctx.tier!r}")
    owner = tags.get("owner")
    if isinstance(owner, str) and not (_EMAIL.match(owner) or owner in ctx.teams):
        problems.append(f"owner is {owner!r}, neither an email address nor a team in policy.teams")
    center = tags.get("cost-center")
    if isinstance(center, str) and ctx.cost_centers is not None and center not in ctx.cost_centers:
        problems.append(f"cost-center is {center!r}, not one of {', '.join(ctx.cost_centers)}")
    if problems:
        return violation(f"{r.name}: {'; '.join(problems)}; fix the tag values")
    return compliant()


AWS_BUDGET = "aws:budgets/budget:Budget"
AZURE_BUDGET = "azure-native:consumption:Budget"


def _aws_recipients(budget: ResourceView) -> list[object] | None:
    notes = budget.get("notifications")
    if is_unknown(notes):
        return None
    out: list[object] = []
    for n in as_list(notes):
        if isinstance(n, Mapping):
            out += as_list(n.get("subscriberEmailAddresses")) + as_list(n.get("subscriberSnsTopicArns"))
    return out


def _azure_recipients(budget: ResourceView) -> list[object] | None:
    notes = budget.get("notifications")
    if is_unknown(notes):
        return None
    out: list[object] = []
    for n in (notes.values() if isinstance(notes, Mapping) else ()):
        if isinstance(n, Mapping) and n.get("enabled") is not False:
            out += as_list(n.get("contactEmails")) + as_list(n.get("contactGroups")) + as_list(n.get("contactRoles"))
    return out


@stack_policy(
    name="budget-notifications",
    description="Send every budget's alerts to someone",
    severity=Severity.medium,
    remediation="Keep budgets.alert_emails (or the platform owners) as recipients: the budget components add "
    "notifications at the alert thresholds with subscriber emails.",
)
def budget_notifications(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    budgets = stack.of_type(AWS_BUDGET, AZURE_BUDGET)
    if not budgets:
        yield not_applicable("no budget in this stack (budget-per-cloud decides whether one is missing)")
        return
    for b in budgets:
        recipients = _aws_recipients(b) if b.type == AWS_BUDGET else _azure_recipients(b)
        if recipients is None or any(is_unknown(x) for x in recipients):
            yield unknown_until_apply("notifications", b)
        elif not [x for x in recipients if x]:
            yield violation(f"budget {b.name}: notifications is {show(b.get('notifications'))}, so nobody hears when "
                            "spending runs over; add a notification with subscriber emails", b)
        else:
            yield compliant(subject=b)


POLICIES = (naming, tag_values, budget_notifications)
