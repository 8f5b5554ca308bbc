"""A monthly AWS cost budget that e-mails the owners at 50/80/100% actual and 100% forecast."""

from __future__ import annotations

import pulumi
from pydantic import EmailStr, Field

from stacks.model import StrictModel

THRESHOLDS: tuple[tuple[str, float], ...] = (
    ("ACTUAL", 50.0),
    ("ACTUAL", 80.0),
    ("ACTUAL", 100.0),
    ("FORECASTED", 100.0),
)
"""(notification type, percent of the limit) pairs; every environment gets all four."""


class BudgetArgs(StrictModel):
    """One COST budget per environment, in US dollars per month."""

    name: str = Field(pattern=r"^[a-z0-9-]+$", description="budget name, '<prefix>-monthly'")
    monthly_usd: float = Field(gt=0, description="the monthly limit")
    recipients: list[EmailStr] = Field(
        min_length=1, max_length=10, description="owners first; AWS allows 10"
    )


class Budget(pulumi.ComponentResource):
    """An AWS Budgets monthly cost budget with four e-mail notifications."""

    def __init__(
        self, name: str, args: BudgetArgs, *, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("civic:aws:Budget", name, None, opts)
        import pulumi_aws as aws

        recipients = list(dict.fromkeys(str(r) for r in args.recipients))
        self.budget = aws.budgets.Budget(
            f"{name}-budget",
            name=args.name,
            budget_type="COST",
            time_unit="MONTHLY",
            limit_amount=f"{args.monthly_usd:.2f}",
            limit_unit="USD",
            notifications=[
                aws.budgets.BudgetNotificationArgs(
                    notification_type=kind,
                    comparison_operator="GREATER_THAN",
                    threshold=percent,
                    threshold_type="PERCENTAGE",
                    subscriber_email_addresses=recipients,
                )
                for kind, percent in THRESHOLDS
            ],
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.register_outputs(
            {"name": name, "resource_id": self.budget.id, "budget_name": args.name}
        )
