"""Tenant ownership: one stack per tenant and repository, and it creates every environment's CI identities."""

from __future__ import annotations

import copy
from typing import Any

from stacks.model import Environment
from stacks.rules import RuleContext, check
from tests.conftest import REPO, TODAY, minimal_values

GUID = "00000000-0000-0000-0000-000000000000"
AZURE = {"tenant_id": GUID, "subscription_id": "00000000-0000-0000-0000-0000000000d1"}
BUDGET = {"azure_monthly_usd": 100}  # a configured cloud needs a budget (every_cloud_has_a_budget)


def tenant_values(**tenant: Any) -> dict[str, Any]:
    values = {k: v for k, v in copy.deepcopy(minimal_values()).items() if k != "network"}
    values.update(tier="production", azure=AZURE)
    values["identity"]["break_glass_object_ids"] = ["00000000-0000-0000-0000-00000000b001"]
    values["tenant"] = {"environments": ["dev", "prod"], "log_environment": "prod",
                        "github": {"reviewer_team_ids": [1]}, **tenant}  # fmt: skip
    return values


def env(name: str, values: dict[str, Any]) -> Environment:
    return Environment.model_validate({"name": name, **values})


def member(name: str, tier: str = "development", **extra: Any) -> Environment:
    return env(name, {**copy.deepcopy(minimal_values()), "tier": tier, "azure": AZURE, "budgets": BUDGET, **extra})


def problems(subject: Environment, *peers: Environment) -> list[tuple[str, str]]:
    found = check(subject, RuleContext(today=TODAY, peers={p.name: p for p in peers}))
    return [(p.key_path, p.message) for p in found]


def test_the_repository_has_one_tenant_stack_that_lists_every_environment():
    from stacks.loader import load_environment

    owner = load_environment(REPO / "stacks", "tenant", today=TODAY)
    assert owner.owns_tenant and owner.network is None
    assert owner.tenant.environments == ["dev", "staging", "prod"] and owner.tenant.log_environment == "prod"
    assert not owner.tenant.conditional_access.report_only


def test_a_valid_tenant_and_its_environments():
    owner = env("tenant", tenant_values())
    assert problems(owner, member("dev"), member("prod", "production")) == []
    assert problems(member("dev"), owner) == []


def test_two_tenant_stacks_for_the_same_tenant_are_rejected():
    owner, other = env("tenant", tenant_values()), env("tenant2", tenant_values())
    assert [k for k, _ in problems(owner, other, member("dev"), member("prod", "production"))] == ["tenant"]


def test_an_environment_the_owner_does_not_create_ci_for_is_rejected():
    owner = env("tenant", tenant_values(environments=["prod"]))
    found = problems(member("dev"), owner)
    assert found == [("identity.github_repository", "is in the tenant owned by tenant, which does not create this "
                      "environment's CI identities")]


def test_break_glass_accounts_live_only_in_the_tenant_stack():
    owner = env("tenant", tenant_values())
    values = copy.deepcopy(minimal_values())
    values["identity"]["break_glass_object_ids"] = ["00000000-0000-0000-0000-00000000b001"]
    dev = env("dev", {**values, "azure": AZURE, "budgets": BUDGET})
    assert [k for k, _ in problems(dev, owner)] == ["identity.break_glass_object_ids"]


def test_tenant_logs_never_land_in_a_lower_environment_and_listed_environments_must_exist():
    owner = env("tenant", tenant_values(log_environment="dev", environments=["dev", "ghost"]))
    found = dict(problems(owner, member("dev")))
    assert found["tenant.log_environment"] == "is not a production environment"
    assert found["tenant.environments[1]"] == "names no environment"


def test_production_tenant_never_ships_report_only_and_needs_reviewers():
    owner = env("tenant", tenant_values(conditional_access={"report_only": True}, github={"reviewer_team_ids": []}))
    keys = [k for k, _ in problems(owner)]
    assert keys == ["tenant.github.reviewer_team_ids", "tenant.conditional_access.report_only"]


def test_environments_need_a_network_and_the_tenant_stack_holds_no_data():
    values = {k: v for k, v in copy.deepcopy(minimal_values()).items() if k != "network"}
    assert ("network", "is required in an environment") in problems(env("dev", values))
    owner = env("tenant", {**tenant_values(), "datasets": [{"name": "voter-file", "classification": "restricted"}]})
    assert [k for k, _ in problems(owner)] == ["datasets"]
