"""Budget: a monthly COST budget with 50/80/100% actual and 100% forecast e-mails to the owners."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from components.aws.budget import Budget, BudgetArgs
from tests.components.aws.conftest import capture, one

BUDGET = "aws:budgets/budget:Budget"


@pytest.fixture(scope="module")
def cap():
    args = BudgetArgs(name="caf-prod-monthly", monthly_usd=6000,
                      recipients=["it-platform@example.org", "security@example.org", "it-platform@example.org"])  # fmt: skip
    return capture(lambda: Budget("budget", args))


def test_monthly_cost_budget_in_dollars(cap):
    inputs = one(cap, BUDGET).inputs
    assert (inputs["name"], inputs["budgetType"], inputs["timeUnit"]) == (
        "caf-prod-monthly",
        "COST",
        "MONTHLY",
    )
    assert (inputs["limitAmount"], inputs["limitUnit"]) == ("6000.00", "USD")


def test_four_notifications_to_every_recipient_once(cap):
    notifications = one(cap, BUDGET).inputs["notifications"]
    assert sorted((n["notificationType"], n["threshold"]) for n in notifications) == [
        ("ACTUAL", 50.0), ("ACTUAL", 80.0), ("ACTUAL", 100.0), ("FORECASTED", 100.0),
    ]  # fmt: skip
    for n in notifications:
        assert n["thresholdType"] == "PERCENTAGE"
        assert n["comparisonOperator"] == "GREATER_THAN"
        assert n["subscriberEmailAddresses"] == ["it-platform@example.org", "security@example.org"]


def test_needs_a_recipient_and_a_positive_limit():
    with pytest.raises(ValidationError):
        BudgetArgs(name="x", monthly_usd=100, recipients=[])
    with pytest.raises(ValidationError):
        BudgetArgs(name="x", monthly_usd=0, recipients=["a@example.org"])
