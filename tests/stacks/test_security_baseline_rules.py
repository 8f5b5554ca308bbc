"""Production keeps the AWS account baseline: switching a control off is a validate error with its key."""

from __future__ import annotations

import pytest

from tests.stacks.test_rules import paths

PROD_AWS = {"tier": "production", "aws": {"account_id": "000000000003"}}


def test_production_with_defaults_keeps_the_baseline(values):
    assert paths({**values, **PROD_AWS}) == []


@pytest.mark.parametrize("key", [
    "aws_account_public_access_block_enabled", "aws_access_analyzer_enabled", "aws_security_hub_enabled",
    "aws_ebs_encryption_by_default_enabled", "aws_trail_data_events_enabled", "aws_cis_alarms_enabled",
])
def test_production_cannot_switch_a_control_off(values, key):
    assert paths({**values, **PROD_AWS, "audit": {key: False}}) == [f"audit.{key}"]


def test_production_locks_the_trail_in_compliance_mode_and_watches_every_us_region(values):
    audit = {"aws_trail_object_lock_mode": "GOVERNANCE", "aws_guardduty_regions": ["us-east-1"]}
    assert paths({**values, **PROD_AWS, "audit": audit}) == [
        "audit.aws_trail_object_lock_mode", "audit.aws_guardduty_regions"]


def test_lower_tiers_may_choose_the_subset(values):
    audit = {"aws_trail_object_lock_mode": "GOVERNANCE", "aws_guardduty_regions": ["us-east-1"],
             "aws_security_hub_enabled": False}
    assert paths({**values, "aws": {"account_id": "000000000001"}, "audit": audit}) == []


def test_detections_need_sentinel(values):
    # the break-glass list they watch is the tenant stack's (tenant_stack_shape requires one there)
    values["m365"] = {"sentinel_enabled": False, "sentinel_detections_enabled": True}
    assert paths(values) == ["m365.sentinel_detections_enabled"]
    values["m365"] = {"sentinel_detections_enabled": True}
    assert paths(values) == []


def test_production_exports_are_immutable(values):
    azure = {"tenant_id": "00000000-0000-0000-0000-000000000000", "subscription_id": "00000000-0000-0000-0000-0000000000f3"}
    prod = {**values, "tier": "production", "azure": azure}
    assert paths(prod) == ["m365.immutable_exports_enabled"]
    assert paths({**prod, "m365": {"immutable_exports_enabled": True}}) == []
