"""Each cross-field rule: one passing and one failing case, with the exact key path."""

from __future__ import annotations

import copy
from datetime import timedelta
from typing import Any

import pytest

from stacks.model import Environment
from stacks.rules import RuleContext, check
from tests.conftest import TODAY


def env_of(values: dict[str, Any], name: str = "dev") -> Environment:
    values.setdefault("budgets", {"aws_monthly_usd": 10, "azure_monthly_usd": 10})  # every_cloud_has_a_budget
    return Environment.model_validate({"name": name, **values})


def paths(values: dict[str, Any], peers: dict[str, Environment] | None = None) -> list[str]:
    return [p.key_path for p in check(env_of(values), RuleContext(today=TODAY, peers=peers or {}))]


def test_minimal_environment_breaks_no_rule(values):
    assert paths(values) == []


def test_overlapping_cidrs_across_clouds(values):
    values["network"]["aws_vpc_cidr"] = "10.1.8.0/24"
    assert paths(values) == ["network.aws_vpc_cidr"]


def test_overlapping_spoke(values):
    values["network"]["azure_spokes"] = {"apps": "10.1.0.0/23"}
    assert paths(values) == ["network.azure_spokes.apps"]


@pytest.mark.parametrize("cloud,key,bad,good", [
    ("aws", "region", "eu-west-1", "us-east-2"),
    ("azure", "location", "westeurope", "centralus"),
])
def test_restricted_data_stays_in_us(values, cloud, key, bad, good):
    values["datasets"] = [{"name": "voter-file", "classification": "restricted"}]
    values["aws"] = {"account_id": "000000000001", "region": "us-east-1"}
    values["azure"] = {"tenant_id": "00000000-0000-0000-0000-000000000000",
                       "subscription_id": "00000000-0000-0000-0000-000000000001"}
    values[cloud][key] = bad
    assert paths(values) == [f"{cloud}.{key}"]
    values[cloud][key] = good
    assert paths(values) == []


def test_non_us_region_refused_without_restricted_data_too(values):
    # the us-only-residency policy is locked mandatory: a non-US region would validate, then fail it
    values["datasets"] = [{"name": "reports", "classification": "public"}]
    values["aws"] = {"account_id": "000000000001", "region": "eu-west-1"}
    assert paths(values) == ["aws.region"]


def test_default_cost_center_must_be_declared(values):
    values["default_cost_center"] = "digital"
    assert paths(values) == ["default_cost_center"]


def _vendor(expires: str, **extra: Any) -> dict[str, Any]:
    return {"name": "mailhouse", "contact": "ops@vendor.example.com", "expires": expires, **extra}


def test_vendor_access_expired_is_not_a_problem(values):
    """Expired access is a warning (tests/stacks/test_expired_access.py); the program leaves it out."""
    values["vendors"] = [_vendor((TODAY - timedelta(days=1)).isoformat())]
    assert paths(values) == []


def test_vendor_access_beyond_window(values):
    values["vendors"] = [_vendor((TODAY + timedelta(days=366)).isoformat())]
    assert paths(values) == ["vendors[0].expires"]
    values["vendors"] = [_vendor((TODAY + timedelta(days=365)).isoformat())]
    assert paths(values) == []


def test_partner_access_expiry_and_lake(values):
    values["aws"] = {"account_id": "000000000001"}
    values["partners"] = [{"name": "ally", "aws_account_id": "000000000002", "exports_prefix": "ally/",
                           "expires": (TODAY + timedelta(days=366)).isoformat()}]
    assert paths(values) == ["partners[0].expires"]
    values["partners"][0]["expires"] = (TODAY + timedelta(days=30)).isoformat()
    assert paths(values) == []
    del values["aws"]
    assert paths(values) == ["partners"]
    values["partners"][0]["expires"] = (TODAY - timedelta(days=3)).isoformat()
    assert paths(values) == []  # an expired partner is never deployed, so needs no lake


def test_vendor_aws_role_needs_external_id(values):
    values["vendors"] = [_vendor((TODAY + timedelta(days=30)).isoformat(), aws_account_id="000000000009")]
    assert paths(values) == ["vendors[0].aws_external_id"]
    values["vendors"][0]["aws_external_id"] = "agreed-external-id"
    assert paths(values) == []


def test_vendor_read_resources_need_account(values):
    values["vendors"] = [_vendor((TODAY + timedelta(days=30)).isoformat(), aws_read_resources=["lake-curated"])]
    assert paths(values) == ["vendors[0].aws_account_id"]


def test_nat_needs_public_subnets(values):
    values["network"]["aws_nat_gateways"] = "single"
    assert paths(values) == ["network.aws_nat_gateways"]
    values["network"]["aws_public_subnets_enabled"] = True
    assert paths(values) == []


def test_vpn_needs_both_clouds_and_a_secret(values):
    values["network"]["vpn"] = {"enabled": True}
    assert paths(values) == ["network.vpn.enabled", "vpn_shared_key"]
    values["aws"] = {"account_id": "000000000001"}
    values["azure"] = {"tenant_id": "00000000-0000-0000-0000-000000000000",
                       "subscription_id": "00000000-0000-0000-0000-000000000001"}
    values["vpn_shared_key"] = {"secure": "v1:abc"}
    assert paths(values) == []


def test_openai_needs_deployments(values):
    values["openai"] = {"enabled": True}
    assert paths(values) == ["openai.deployments"]


def test_exemptions_at_most_180_days(values):
    exemption = {"policy": "required-tags", "resource": "*", "justification": "migration in progress",
                 "expires": (TODAY + timedelta(days=181)).isoformat()}
    values["policy"] = {"exemptions": [exemption]}
    assert paths(values) == ["policy.exemptions[0].expires"]
    exemption["expires"] = (TODAY + timedelta(days=180)).isoformat()
    assert paths(values) == []


def _tiered(values: dict[str, Any], tier: str, **protection: Any) -> dict[str, Any]:
    out = copy.deepcopy(values)
    out["tier"] = tier
    out["protection"] = protection
    return out


def test_production_at_least_as_strict_as_staging(values):
    staging = env_of(_tiered(values, "staging", log_retention_days=180, backup_retention_days=14,
                             soft_delete_retention_days=60), "staging")
    weak = _tiered(values, "production", log_retention_days=90, backup_retention_days=7,
                   soft_delete_retention_days=30)
    assert paths(weak, {"staging": staging}) == [
        "protection.log_retention_days", "protection.backup_retention_days", "protection.soft_delete_retention_days",
    ]
    strong = _tiered(values, "production", log_retention_days=365, backup_retention_days=30,
                     soft_delete_retention_days=90)
    assert paths(strong, {"staging": staging}) == []


def test_production_must_keep_deletion_protection(values):
    staging = env_of(_tiered(values, "staging", deletion_protection=True), "staging")
    prod = _tiered(values, "production", deletion_protection=False)
    assert paths(prod, {"staging": staging}) == ["protection.deletion_protection"] * 2


def test_staging_is_not_compared_with_production(values):
    prod = env_of(_tiered(values, "production", log_retention_days=30), "prod")
    staging = _tiered(values, "staging", log_retention_days=730)
    assert paths(staging, {"prod": prod}) == []


# --- restricted reads by vendors (issue 11) -------------------------------------------------


def _lake_vendor(values: dict[str, Any], read: list[str], grants: list[dict[str, Any]] | None = None) -> None:
    values["aws"] = {"account_id": "000000000001"}
    values["datasets"] = [{"name": "voter-file", "classification": "restricted"},
                          {"name": "analytics", "classification": "internal"}]
    values["vendors"] = [_vendor((TODAY + timedelta(days=120)).isoformat(), aws_account_id="000000000009",
                                 aws_external_id="agreed-external-id", aws_read_resources=read,
                                 restricted_grants=grants or [])]


def _grant(days: int = 60, **extra: Any) -> dict[str, Any]:
    return {"resource": "lake-curated", "dataset": "voter-file", "justification": "turnout model refresh",
            "expires": (TODAY + timedelta(days=days)).isoformat(), **extra}


def test_vendor_reads_of_internal_data_need_no_grant(values):
    _lake_vendor(values, ["lake-exports"])
    assert paths(values) == []


def test_vendor_read_of_restricted_data_needs_a_grant(values):
    _lake_vendor(values, ["lake-exports", "lake-curated"])
    assert paths(values) == ["vendors[0].aws_read_resources[1]"]
    _lake_vendor(values, ["lake-exports", "lake-curated"], [_grant()])
    assert paths(values) == []


def test_restricted_grant_is_short_justified_and_names_restricted_data(values):
    _lake_vendor(values, ["lake-curated"], [_grant(days=91)])
    assert paths(values) == ["vendors[0].restricted_grants[0].expires"]
    _lake_vendor(values, ["lake-curated"], [_grant(days=90, dataset="analytics")])
    assert paths(values) == ["vendors[0].restricted_grants[0].dataset"]
    _lake_vendor(values, ["lake-curated"], [_grant(dataset="no-such-data")])
    assert paths(values) == ["vendors[0].restricted_grants[0].dataset"]
    _lake_vendor(values, ["lake-curated"], [_grant(justification="  ")])
    assert paths(values) == ["vendors[0].restricted_grants[0].justification"]
    # an ended grant never blocks a deploy: it is a warning, and the program leaves it out
    _lake_vendor(values, ["lake-curated"], [_grant(days=0)])
    assert paths(values) == []
    from stacks.rules import access_warnings

    (warning,) = [w for w in access_warnings(env_of(values), TODAY) if "restricted_grants" in w.key_path]
    assert "the next deploy removes vendor" in warning.message and "lake-curated" in warning.message
    (vendor,) = env_of(values).without_expired_access(TODAY).vendors
    assert vendor.restricted_grants == []


def test_restricted_grant_ends_with_the_vendor_and_names_a_read_restricted_bucket(values):
    _lake_vendor(values, ["lake-curated"], [_grant()])
    values["vendors"][0]["expires"] = (TODAY + timedelta(days=30)).isoformat()
    assert paths(values) == ["vendors[0].restricted_grants[0].expires"]
    _lake_vendor(values, ["lake-curated"], [_grant(resource="lake-raw")])
    assert paths(values) == ["vendors[0].aws_read_resources[0]", "vendors[0].restricted_grants[0].resource"]
    _lake_vendor(values, ["lake-exports"], [_grant(resource="lake-exports")])
    assert paths(values) == ["vendors[0].restricted_grants[0].resource"]


def test_restricted_grant_problem_names_the_fix(values):
    _lake_vendor(values, ["lake-curated"])
    (problem,) = check(env_of(values), RuleContext(today=TODAY, peers={}))
    assert "restricted_grants" in problem.render("Pulumi.dev.yaml") and "lake-exports" in problem.fix


def test_vendor_access_package_needs_the_contacts_object_id(values):
    """Entra's access review takes a reviewer's object id, never an email (issue 11)."""
    values["azure"] = {"tenant_id": "00000000-0000-0000-0000-000000000000",
                       "subscription_id": "00000000-0000-0000-0000-000000000001"}
    values["vendors"] = [_vendor((TODAY + timedelta(days=30)).isoformat())]
    assert paths(values) == ["vendors[0].contact_object_id"]
    values["vendors"][0]["contact_object_id"] = "00000000-0000-0000-0000-000000000071"
    assert paths(values) == []
    # Switched off explicitly (no Entra ID P2): no review, so no reviewer needed.
    del values["vendors"][0]["contact_object_id"]
    values["identity"]["vendor_access_packages_enabled"] = False
    assert paths(values) == []
    # An expired vendor is left out of the deploy, so it needs none either.
    values["identity"]["vendor_access_packages_enabled"] = True
    values["vendors"][0]["expires"] = (TODAY - timedelta(days=1)).isoformat()
    assert paths(values) == []
    # Without Azure there is no vendor group to review.
    values["vendors"][0]["expires"] = (TODAY + timedelta(days=30)).isoformat()
    del values["azure"]
    assert paths(values) == []


def test_contact_object_id_must_be_a_guid(values):
    from pydantic import ValidationError

    values["vendors"] = [_vendor((TODAY + timedelta(days=30)).isoformat(), contact_object_id="ops@vendor.example.com")]
    with pytest.raises(ValidationError, match="contact_object_id"):
        env_of(values)
