"""Hypothesis strategies for valid environments: every optional section and list of the model.

The strategy builds the `infra:` namespace as a stack file holds it, valid by construction
(unique names, private non-overlapping ranges, future expiry within the limits). The tests
still validate each example with the real loader first, so a strategy bug shows as a
validation failure, never as a silently skipped example.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from hypothesis import strategies as st

from policies.catalog import all_policies
from stacks.model import (
    DEFENDER_PLANS,
    US_AWS_REGIONS,
    US_AZURE_LOCATIONS,
    VENDOR_READABLE_RESOURCES,
)

SLUGS = ("alpha", "beta", "gamma", "delta-2", "x9")
ZERO_UUID = "00000000-0000-0000-0000-{:012x}"


def uuid(n: int) -> str:
    return ZERO_UUID.format(n)


def slug_lists(min_size: int = 0, max_size: int = 3) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(SLUGS), min_size=min_size, max_size=max_size, unique=True)


@st.composite
def environments(draw: st.DrawFn, today: date | None = None) -> tuple[str, dict[str, Any]]:
    """(environment name, infra: values) of a valid environment."""
    today = today or date.today()
    name = draw(st.sampled_from(["dev", "qa-1", "staging", "prod", "e2"]))
    tier = draw(st.sampled_from(["development", "staging", "production"]))
    production = tier == "production"
    has_azure = draw(st.booleans())
    has_aws = draw(st.booleans())
    restricted_data = draw(st.booleans())

    centers = draw(slug_lists(1, 3))
    values: dict[str, Any] = {
        "tier": tier,
        "organization": {
            "name": "Example Org",
            "short_name": draw(st.sampled_from(["ex", "caf", "civic-fund"])),
            "owners": [{"name": "Owner", "email": "owner@example.org"}]
            + draw(st.lists(st.just({"name": "Second", "email": "second@example.org"}), max_size=1)),
            "security_contact": "security@example.org",
        },
        "cost_centers": [{"name": c, "description": draw(st.sampled_from(["", "a budget line"]))} for c in centers],
        "default_cost_center": draw(st.sampled_from(centers)),
    }

    if has_azure:
        locations = sorted(US_AZURE_LOCATIONS)  # us-only-residency is locked mandatory
        values["azure"] = {"tenant_id": uuid(0), "subscription_id": uuid(0xD1),
                           "location": draw(st.sampled_from(locations))}
    if has_aws:
        regions = sorted(US_AWS_REGIONS)
        values["aws"] = {"account_id": "000000000001", "region": draw(st.sampled_from(regions))}

    zones = draw(st.sampled_from([2, 3]))
    public = draw(st.booleans())
    web_apps_on = draw(st.booleans())
    spokes = {"apps": "10.11.0.0/20"} if web_apps_on or draw(st.booleans()) else {}
    if draw(st.booleans()):
        spokes["data"] = "10.12.0.0/22"
    vpn = has_azure and has_aws and draw(st.booleans())
    values["network"] = {
        "azure_hub_cidr": draw(st.sampled_from(["10.10.0.0/20", "10.10.0.0/23"])),
        "azure_spokes": spokes,
        "aws_vpc_cidr": draw(st.sampled_from(["10.20.0.0/16", "10.20.0.0/24"])),
        "aws_availability_zones": zones,
        "aws_public_subnets_enabled": public,
        "aws_nat_gateways": draw(st.sampled_from(["none", "single", "per-az"])) if public else "none",
        "aws_interface_endpoints": draw(st.lists(st.sampled_from(["kms", "secretsmanager", "logs", "sts"]), max_size=2, unique=True)),
        "vpn": {"enabled": vpn, "sku": draw(st.sampled_from(["VpnGw1", "VpnGw2", "VpnGw1AZ", "VpnGw2AZ"]))},
    }
    if vpn:
        values["vpn_shared_key"] = {"secure": "v1:AAAAAAAAAAAAAAAA:offline-fixture"}

    values["web_apps"] = {"enabled": web_apps_on, "sku": "P0v3",
                          "apps": draw(slug_lists(1, 3)) if web_apps_on else draw(slug_lists(0, 2))}
    openai_on = draw(st.booleans())
    deployment_names = draw(slug_lists(1 if openai_on else 0, 2))
    values["openai"] = {"enabled": openai_on, "deployments": [
        {"name": n, "model": "gpt-4o-mini", "version": "2024-07-18", "capacity": draw(st.integers(1, 50))}
        for n in deployment_names]}
    values["m365"] = {
        "sentinel_enabled": draw(st.booleans()),
        "defender_plans": draw(st.lists(st.sampled_from(sorted(DEFENDER_PLANS)), max_size=4, unique=True)),
        "immutable_exports_enabled": True if production else draw(st.booleans()),
    }
    lake_on = draw(st.booleans())
    values["data_stores"] = {
        "data_lake": {
            "enabled": lake_on,
            "noncurrent_version_days": draw(st.integers(1, 90)),
            "retention_days": {"public": draw(st.integers(1, 400)), "internal": draw(st.integers(1, 800)),
                               "restricted": draw(st.integers(1, 2000))},
        },
        "analytics_enabled": draw(st.booleans()),
        "redshift": {"enabled": zones == 3 and draw(st.booleans()), "base_capacity_rpus": draw(st.sampled_from([8, 16]))},
        "postgres": {"enabled": draw(st.booleans()), "multi_az": draw(st.booleans()),
                     "allocated_storage_gb": draw(st.sampled_from([20, 100]))},
    }
    classes = ["public", "internal"] + (["restricted"] if restricted_data else [])
    values["datasets"] = [{"name": n, "classification": draw(st.sampled_from(classes)), "description": "data"}
                          for n in draw(slug_lists(0, 3))]
    if restricted_data and not any(d["classification"] == "restricted" for d in values["datasets"]):
        values["datasets"].append({"name": "voter-file", "classification": "restricted"})
    values["protection"] = {
        "deletion_protection": True if production else draw(st.booleans()),
        "log_retention_days": draw(st.sampled_from([30, 90, 365])),
        "backup_retention_days": draw(st.integers(7, 35)),
        "soft_delete_retention_days": draw(st.integers(7, 90)),
    }
    values["audit"] = {"aws_config_recorder_enabled": draw(st.booleans())}
    if not production:  # production keeps the whole account baseline (production_keeps_the_security_baseline)
        values["audit"].update({
            "aws_trail_object_lock_mode": draw(st.sampled_from(["COMPLIANCE", "GOVERNANCE"])),
            "aws_security_hub_enabled": draw(st.booleans()),
            "aws_cis_alarms_enabled": draw(st.booleans()),
        })
    # a cloud without a budget is allowed only by loosening budget-per-cloud explicitly
    no_budget = draw(st.booleans()) and draw(st.booleans())
    values["budgets"] = {
        "azure_monthly_usd": None if no_budget else draw(st.sampled_from([100.0, 2500])),
        "aws_monthly_usd": None if no_budget else draw(st.sampled_from([50, 999.5])),
        "notify": draw(st.lists(st.just("finance@example.org"), max_size=1)),
    }
    max_days = draw(st.sampled_from([30, 365]))
    center = draw(st.booleans())
    values["identity"] = {
        "github_repository": "example-org/civic-infra",
        "break_glass_object_ids": [uuid(0xB000 + i) for i in range(draw(st.integers(0, 2)))],
        "aws_identity_center_enabled": center,
        "aws_identity_center_group_ids": {"it-admins": "0000000000-fake-group"} if center and draw(st.booleans()) else {},
        "access_max_days": max_days,
    }
    if center:
        values["identity"]["aws_identity_center_instance_arn"] = "arn:aws:sso:::instance/ssoins-0000000000000000"

    def expiry() -> str:
        return (today + timedelta(days=draw(st.integers(1, max_days)))).isoformat()

    readable = list(VENDOR_READABLE_RESOURCES) if has_aws and lake_on else []
    vendors = []
    for i, n in enumerate(draw(slug_lists(0, 2))):
        vendor = {"name": n, "contact": "vendor@example.org", "expires": expiry(),
                  "contact_object_id": f"00000000-0000-0000-0000-00000000007{i}",
                  "azure_roles": draw(st.lists(st.sampled_from(["Reader", "Log Analytics Reader", "Storage Blob Data Reader"]),
                                               max_size=2, unique=True))}
        if has_aws and draw(st.booleans()):
            vendor |= {"aws_account_id": f"00000000001{i}", "aws_external_id": "fixture-external-id",
                       "aws_read_resources": draw(st.lists(st.sampled_from(readable), max_size=2, unique=True)) if readable else []}
        vendors.append(vendor)
    values["vendors"] = vendors
    values["partners"] = [
        {"name": n, "aws_account_id": f"00000000002{i}", "exports_prefix": f"{n}/",
         "classification": draw(st.sampled_from(["public", "internal"])), "expires": expiry()}
        for i, n in enumerate(draw(slug_lists(0, 2)) if has_aws and lake_on else [])
    ]
    # explicit loosening: overrides of unlocked policies, and an exemption where a budget is missing
    loosenable = sorted(p.name for p in all_policies() if not (p.data_protection or p.locked))
    enforcement = {n: draw(st.sampled_from(["advisory", "disabled", "mandatory"]))
                   for n in draw(st.lists(st.sampled_from(loosenable), max_size=3, unique=True))}
    exemptions = []
    if no_budget:
        if draw(st.booleans()):
            enforcement["budget-per-cloud"] = "advisory"
        else:
            enforcement.pop("budget-per-cloud", None)
            exemptions.append({"policy": "budget-per-cloud", "resource": "*", "justification": "pilot without a budget",
                               "expires": (today + timedelta(days=draw(st.integers(1, 180)))).isoformat()})
    values["policy"] = {"enforcement": enforcement, "exemptions": exemptions}
    values["deployment"] = {"confirmation_required": draw(st.booleans())}
    # optional sections are sometimes left out entirely, so their defaults are planned too
    droppable = ["web_apps", "openai", "m365", "data_stores", "datasets", "protection", "audit", "vendors",
                 "partners", "deployment"] + ([] if has_azure or has_aws else ["budgets", "policy"])
    for key in droppable:
        if not production and draw(st.integers(0, 5)) == 0:
            values.pop(key)
    return name, values
