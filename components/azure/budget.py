"""A monthly Azure consumption budget on the environment's resource group.

Alerts go to the platform owners and any extra recipients when actual spend reaches 50%,
80% and 100% of the amount, and when the month's forecast reaches 100%. A budget only
alerts; it never stops resources.
"""

from __future__ import annotations

from datetime import date

import pulumi
from pydantic import EmailStr, Field, field_validator

from stacks.model import Environment, Slug, StrictModel

THRESHOLDS: tuple[tuple[str, int], ...] = (
    ("Actual", 50),
    ("Actual", 80),
    ("Actual", 100),
    ("Forecasted", 100),
)
"""(threshold type, percent) of every notification."""


def _first_of_this_month() -> date:
    return date.today().replace(day=1)


class AzureBudgetArgs(StrictModel):
    """Amount, recipients and start of one environment's budget."""

    short_name: Slug = Field(description="organisation prefix of the budget name, e.g. 'caf'")
    environment: Slug = Field(description="environment name, part of the budget name")
    amount_usd: float = Field(gt=0, description="monthly limit in US dollars")
    contact_emails: list[EmailStr] = Field(min_length=1, description="who receives every alert")
    start_date: date = Field(
        default_factory=_first_of_this_month,
        description="first month tracked; the first of the current month when omitted",
    )

    @field_validator("start_date")
    @classmethod
    def _first_of_month(cls, value: date) -> date:
        if value.day != 1:
            raise ValueError(
                f"a budget must start on the first of a month, got {value.isoformat()}; "
                f"use {value.replace(day=1).isoformat()}"
            )
        return value

    @property
    def budget_name(self) -> str:
        return f"budget-{self.short_name}-{self.environment}-monthly"

    @classmethod
    def from_environment(cls, env: Environment) -> AzureBudgetArgs | None:
        """The budget one environment gets, or None when `budgets.azure_monthly_usd` is omitted."""
        if env.budgets.azure_monthly_usd is None:
            return None
        emails: list[str] = []
        for email in [*(o.email for o in env.organization.owners), *env.budgets.notify]:
            if str(email) not in emails:
                emails.append(str(email))
        return cls(
            short_name=env.organization.short_name,
            environment=env.name,
            amount_usd=env.budgets.azure_monthly_usd,
            contact_emails=emails,
        )


class AzureBudget(pulumi.ComponentResource):
    """A monthly cost budget on one resource group with 50/80/100% actual and 100% forecast alerts."""

    def __init__(
        self,
        name: str,
        args: AzureBudgetArgs,
        *,
        resource_group_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("civic:azure:Budget", name, None, opts)
        import pulumi_azure_native as azure_native

        consumption = azure_native.consumption
        budget = consumption.Budget(
            f"{name}-budget",
            budget_name=args.budget_name,
            scope=resource_group_id,
            amount=args.amount_usd,
            category="Cost",
            time_grain="Monthly",
            time_period=consumption.BudgetTimePeriodArgs(
                start_date=f"{args.start_date.isoformat()}T00:00:00Z"
            ),
            notifications={
                f"{kind}_GreaterThanOrEqualTo_{percent}_Percent": consumption.NotificationArgs(
                    enabled=True,
                    operator="GreaterThanOrEqualTo",
                    threshold=percent,
                    threshold_type=kind,
                    contact_emails=[str(e) for e in args.contact_emails],
                    locale="en-us",
                )
                for kind, percent in THRESHOLDS
            },
            # Azure rejects a start date in a past month, so the date set at creation is kept.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["time_period"]),
        )
        self.budget = budget
        self.register_outputs({"name": budget.name, "resource_id": budget.id})
