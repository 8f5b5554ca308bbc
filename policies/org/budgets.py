"""Every environment has a spending budget in every cloud it uses."""

from __future__ import annotations

from collections.abc import Iterator

from policies.context import Context
from policies.core import (
    Severity,
    StackView,
    Verdict,
    compliant,
    is_unknown,
    not_applicable,
    stack_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import resources_in_use, show

BUDGETS = {"aws": ("aws:budgets/budget:Budget",), "azure": ("azure-native:consumption:Budget",)}
_AMOUNT = {"aws:budgets/budget:Budget": "limitAmount", "azure-native:consumption:Budget": "amount"}
_SETTING = {"aws": "budgets.aws_monthly_usd", "azure": "budgets.azure_monthly_usd"}


def _amount(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


@stack_policy(
    name="budget-per-cloud",
    description="Set a spending budget for the environment in every cloud it uses",
    severity=Severity.medium,
    remediation="Set budgets.aws_monthly_usd and budgets.azure_monthly_usd in the environment; the budget "
    "components create the AWS Budgets and Azure consumption budgets from them.",
)
def budget_per_cloud(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    if ctx.tenant_owner:
        yield not_applicable("the tenant stack costs nothing to run; each environment has its budgets")
        return
    clouds = sorted(resources_in_use(stack, ctx.clouds))
    if not clouds:
        yield not_applicable("this stack uses neither AWS nor Azure")
        return
    for cloud in clouds:
        budgets = stack.of_type(*BUDGETS.get(cloud, ()))
        if not budgets:
            yield violation(f"{ctx.environment}: no {cloud.upper() if cloud == 'aws' else 'Azure'} budget; "
                            f"set {_SETTING[cloud]} in the environment")
            continue
        for b in budgets:
            raw = b.get(_AMOUNT[b.type])
            if is_unknown(raw):
                yield unknown_until_apply(_AMOUNT[b.type], b)
            elif (_amount(raw) or 0) <= 0:
                yield violation(f"budget {b.name}: {_AMOUNT[b.type]} is {show(raw)}; set a positive amount", b)
            else:
                yield compliant(subject=b)


POLICIES = (budget_per_cloud,)
