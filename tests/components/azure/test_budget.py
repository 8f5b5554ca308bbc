"""Azure budget: monthly amount on the resource group, alerts at 50/80/100% actual and 100% forecast."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from cli.capture import Capture, capture_program
from components.azure.budget import AzureBudget, AzureBudgetArgs
from stacks.loader import load_environment
from tests.conftest import REPO, TODAY

RG_ID = "/subscriptions/00000000-0000-0000-0000-0000000000f3/resourceGroups/rg-caf-prod-platform"


@pytest.fixture(scope="module")
def prod():
    return load_environment(REPO / "stacks", "prod", today=TODAY)


@pytest.fixture(scope="module")
def args(prod) -> AzureBudgetArgs:
    found = AzureBudgetArgs.from_environment(prod)
    assert found is not None
    return found.model_copy(update={"start_date": date(2026, 11, 1)})


@pytest.fixture(scope="module")
def budget(args):
    capture: Capture = capture_program(
        lambda: AzureBudget("budget", args, resource_group_id=RG_ID),
        project="t",
        stack="prod",
        config={},
    )
    (found,) = capture.of_type("azure-native:consumption:Budget")
    return found


def test_monthly_cost_budget_on_the_resource_group(budget, prod):
    assert budget.inputs["scope"] == RG_ID
    assert budget.inputs["amount"] == prod.budgets.azure_monthly_usd
    assert budget.inputs["category"] == "Cost"
    assert budget.inputs["timeGrain"] == "Monthly"
    assert budget.inputs["timePeriod"] == {"startDate": "2026-11-01T00:00:00Z"}


def test_alerts_at_50_80_100_actual_and_100_forecast(budget):
    found = {
        (n["thresholdType"], n["threshold"], n["operator"], n["enabled"])
        for n in budget.inputs["notifications"].values()
    }
    assert found == {
        ("Actual", 50.0, "GreaterThanOrEqualTo", True),
        ("Actual", 80.0, "GreaterThanOrEqualTo", True),
        ("Actual", 100.0, "GreaterThanOrEqualTo", True),
        ("Forecasted", 100.0, "GreaterThanOrEqualTo", True),
    }


def test_every_alert_goes_to_the_owners_and_the_extra_recipients(budget, prod):
    expected = [str(o.email) for o in prod.organization.owners] + [
        str(e) for e in prod.budgets.notify
    ]
    for notification in budget.inputs["notifications"].values():
        assert notification["contactEmails"] == expected


def test_no_budget_when_the_amount_is_omitted(prod):
    without = prod.model_copy(
        update={"budgets": prod.budgets.model_copy(update={"azure_monthly_usd": None})}
    )
    assert AzureBudgetArgs.from_environment(without) is None


def test_start_date_defaults_to_the_first_of_this_month(prod):
    args = AzureBudgetArgs.from_environment(prod)
    assert args.start_date == date.today().replace(day=1)


def test_a_start_date_mid_month_is_refused(args):
    with pytest.raises(ValidationError, match="first of a month, got 2026-11-15; use 2026-11-01"):
        AzureBudgetArgs(**{**args.model_dump(), "start_date": date(2026, 11, 15)})
