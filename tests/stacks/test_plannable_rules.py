"""Rules that keep a valid config plannable: what a component would refuse is refused here first."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from stacks.model import DEFENDER_PLANS, VENDOR_READABLE_RESOURCES, Environment
from stacks.rules import RuleContext, check
from tests.conftest import TODAY

AWS = {"account_id": "000000000001", "region": "us-east-1"}


def found(values: dict[str, Any]) -> list[tuple[str, object]]:
    values.setdefault("budgets", {"aws_monthly_usd": 10, "azure_monthly_usd": 10})
    env = Environment.model_validate({"name": "dev", **values})
    return [(p.key_path, p.value) for p in check(env, RuleContext(today=TODAY))]


def vendor(name: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "contact": "v@example.org", "expires": (TODAY + timedelta(days=30)).isoformat(), **extra}


def partner(name: str, prefix: str) -> dict[str, Any]:
    return {"name": name, "aws_account_id": "000000000009", "exports_prefix": prefix,
            "expires": (TODAY + timedelta(days=30)).isoformat()}


def test_the_model_and_the_components_agree_on_names():
    from components.aws.data_lake import LAKE_ROLES
    from components.azure.monitoring import DEFENDER_PLANS as COMPONENT_PLANS

    assert DEFENDER_PLANS == COMPONENT_PLANS
    assert VENDOR_READABLE_RESOURCES == LAKE_ROLES


def test_unknown_or_repeated_defender_plan(values):
    values["m365"] = {"defender_plans": ["KeyVaults", "KeyVault", "KeyVaults"]}
    assert found(values) == [("m365.defender_plans[1]", "KeyVault"), ("m365.defender_plans[2]", "KeyVaults")]


def test_web_apps_enabled_with_no_apps(values):
    values["web_apps"] = {"enabled": True, "apps": []}
    assert found(values) == [("web_apps.apps", [])]
    values["web_apps"] = {"enabled": False, "apps": []}
    assert found(values) == []


def test_redshift_needs_three_zones(values):
    values["aws"] = AWS
    values["data_stores"] = {"redshift": {"enabled": True}}
    assert found(values) == [("network.aws_availability_zones", 2)]
    values["network"]["aws_availability_zones"] = 3
    assert found(values) == []


def test_retention_days_must_be_positive_and_cover_the_lake(values):
    values["aws"] = AWS
    values["data_stores"] = {"data_lake": {"retention_days": {"public": 0, "internal": -5}}}
    assert [k for k, _ in found(values)] == [
        "data_stores.data_lake.retention_days.public", "data_stores.data_lake.retention_days.internal"]
    values["data_stores"] = {"data_lake": {"retention_days": {"public": 30}}}
    assert [k for k, _ in found(values)] == ["data_stores.data_lake.retention_days.internal"]


def test_a_typo_in_a_vendors_read_resources(values):
    values["aws"] = AWS
    values["vendors"] = [vendor("acme", aws_account_id="000000000002", aws_external_id="fixture-ext-id",
                                aws_read_resources=["lake-curated", "lake-curatd"])]
    assert found(values) == [("vendors[0].aws_read_resources[1]", "lake-curatd")]


def test_duplicate_names_would_be_duplicate_urns(values):
    values["aws"] = AWS
    values["vendors"] = [vendor("acme"), vendor("acme")]
    values["partners"] = [partner("ally", "ally/"), partner("ally", "ally/")]
    values["web_apps"] = {"enabled": True, "apps": ["portal", "portal"]}
    values["openai"] = {"enabled": True, "deployments": [
        {"name": "chat", "model": "gpt-4o-mini", "version": "2024-07-18"},
        {"name": "chat", "model": "gpt-4o-mini", "version": "2024-07-18"}]}
    assert [k for k, _ in found(values)] == [
        "vendors[1].name", "partners[1].name", "web_apps.apps[1]", "openai.deployments[1].name", "partners[1].exports_prefix"]


def test_minimum_network_sizes_match_what_the_components_carve():
    import pytest

    from components.azure.network import HUB_SUBNETS, SPOKE_SUBNETS, carve
    from stacks.model import HUB_MIN_PREFIX, SPOKE_MIN_PREFIX

    for subnets, limit in ((HUB_SUBNETS, HUB_MIN_PREFIX), (SPOKE_SUBNETS, SPOKE_MIN_PREFIX)):
        sizes = [(role, prefix) for role, _, prefix in subnets]
        carve(f"10.0.0.0/{limit}", sizes)
        with pytest.raises(ValueError):
            carve(f"10.0.0.0/{limit + 1}", sizes)


def test_networks_too_small_for_their_subnets(values):
    values["network"] = {"azure_hub_cidr": "10.1.0.0/24", "azure_spokes": {"apps": "10.3.0.0/25"},
                         "aws_vpc_cidr": "10.2.0.0/26"}
    assert [k for k, _ in found(values)] == [
        "network.azure_hub_cidr", "network.azure_spokes.apps", "network.aws_vpc_cidr"]


def test_web_apps_need_the_apps_spoke_when_azure_is_configured(values):
    values["azure"] = {"tenant_id": "00000000-0000-0000-0000-000000000000",
                       "subscription_id": "00000000-0000-0000-0000-000000000001"}
    values["web_apps"] = {"enabled": True}
    assert found(values) == [("network.azure_spokes", [])]
    values["network"]["azure_spokes"] = {"apps": "10.3.0.0/20"}
    assert found(values) == []


def test_interface_endpoints_are_short_service_names(values):
    values["network"]["aws_interface_endpoints"] = ["kms", "s3", "com.amazonaws.us-east-1.kms", "kms"]
    assert [k for k, _ in found(values)] == [
        "network.aws_interface_endpoints[1]", "network.aws_interface_endpoints[2]", "network.aws_interface_endpoints[3]"]


def test_identity_center_groups_must_have_a_permission_set(values):
    from components.aws.identity import GROUP_PERMISSION_SETS
    from stacks.model import IDENTITY_CENTER_GROUPS

    assert sorted(IDENTITY_CENTER_GROUPS) == sorted(GROUP_PERMISSION_SETS)
    values["identity"]["aws_identity_center_group_ids"] = {"it-admins": "g1", "platform-admins": "g2"}
    assert found(values) == [("identity.aws_identity_center_group_ids.platform-admins", "platform-admins")]


def test_every_configured_cloud_needs_a_budget_unless_the_policy_is_loosened(values):
    values["aws"] = AWS
    values["budgets"] = {"azure_monthly_usd": 10}
    assert found(values) == [("budgets.aws_monthly_usd", None)]
    values["policy"] = {"enforcement": {"budget-per-cloud": "advisory"}}
    assert found(values) == []


def test_policy_settings_name_real_policies_and_never_lower_locked_ones(values):
    from policies.catalog import all_policies

    locked = next(p.name for p in all_policies() if p.data_protection)
    never_exempt = next(p.name for p in all_policies() if p.locked)
    values["policy"] = {
        "enforcement": {"required-tags": "advisory", "no-such-policy": "advisory", locked: "advisory"},
        "exemptions": [
            {"policy": "no-such-policy", "resource": "*", "justification": "a good reason here",
             "expires": (TODAY + timedelta(days=10)).isoformat()},
            {"policy": never_exempt, "resource": "*", "justification": "a good reason here",
             "expires": (TODAY - timedelta(days=1)).isoformat()},
        ],
    }
    assert [k for k, _ in found(values)] == [
        "policy.enforcement.no-such-policy", f"policy.enforcement.{locked}",
        "policy.exemptions[0].policy", "policy.exemptions[1].policy", "policy.exemptions[1].expires"]


def test_an_unexpired_exemption_also_allows_a_missing_budget(values):
    values["aws"] = AWS
    values["budgets"] = {}
    values["policy"] = {"exemptions": [{"policy": "budget-per-cloud", "resource": "*", "justification": "pilot month only",
                                        "expires": (TODAY + timedelta(days=30)).isoformat()}]}
    assert found(values) == []
