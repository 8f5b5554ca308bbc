"""Production keeps the network perimeter and locked exports; an expired vendor never blocks validation (issue 11)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from stacks.loader import ConfigError, load_environment
from tests.conftest import TODAY, write_stack
from tests.stacks.test_rules import paths

PROD_AWS = {"tier": "production", "aws": {"account_id": "000000000003"}}
LAKE = "data_stores.data_lake"


def test_production_keeps_the_network_perimeter_and_compliance_locked_exports(values):
    assert paths({**values, **PROD_AWS}) == []
    lake = {"network_perimeter_enabled": False, "exports_object_lock_mode": "GOVERNANCE"}
    assert paths({**values, **PROD_AWS, "data_stores": {"data_lake": lake}}) == [
        f"{LAKE}.network_perimeter_enabled", f"{LAKE}.exports_object_lock_mode"]
    assert paths({**values, **PROD_AWS, "data_stores": {"data_lake": {"exports_object_lock_mode": None}}}) == [
        f"{LAKE}.exports_object_lock_mode"]


def test_lower_tiers_may_switch_them_off(values):
    lake = {"network_perimeter_enabled": False, "exports_object_lock_mode": None}
    assert paths({**values, "aws": {"account_id": "000000000001"}, "data_stores": {"data_lake": lake}}) == []


def test_production_without_the_lake_needs_neither(values):
    lake = {"enabled": False, "network_perimeter_enabled": False, "exports_object_lock_mode": None}
    assert paths({**values, **PROD_AWS, "data_stores": {"data_lake": lake}}) == []


def test_exports_lock_cannot_outlast_the_exports_retention(values):
    # exports hold internal data here (no restricted data set): retention_days.internal applies
    lake = {"exports_object_lock_days": 800}
    assert paths({**values, "aws": {"account_id": "000000000001"}, "data_stores": {"data_lake": lake}}) == [
        f"{LAKE}.exports_object_lock_days"]
    lake = {"exports_object_lock_days": 800, "retention_days": {"internal": 800, "public": 365, "restricted": 1825}}
    assert paths({**values, "aws": {"account_id": "000000000001"}, "data_stores": {"data_lake": lake}}) == []


def _expired_vendor(values, **vendor):
    values["aws"] = {"account_id": "000000000001"}
    values["datasets"] = [{"name": "voter-file", "classification": "restricted"}]  # lake-raw holds restricted data
    values["vendors"] = [{"name": "gone", "contact": "a@vendor.example.com",
                          "expires": (TODAY - timedelta(days=2)).isoformat(), **vendor}]
    values.setdefault("budgets", {"aws_monthly_usd": 10, "azure_monthly_usd": 10})
    return values


@pytest.mark.parametrize("vendor", [
    {"aws_read_resources": ["lake-curated"]},                                   # reads without an account
    {"aws_account_id": "000000000009"},                                          # an account without ExternalId
    {"aws_account_id": "000000000009", "aws_external_id": "placeholder-ext-id",
     "aws_read_resources": ["no-such-bucket"]},                                  # an unknown resource
    {"aws_account_id": "000000000009", "aws_external_id": "placeholder-ext-id",
     "aws_read_resources": ["lake-raw"]},                                        # restricted data without a grant
])
def test_an_expired_vendor_that_is_malformed_across_fields_warns_and_is_left_out(tmp_path, values, vendor):
    assert paths(_expired_vendor(dict(values), **vendor)) == []
    write_stack(tmp_path / "stacks", "dev", _expired_vendor(values, **vendor))
    notes: list[str] = []
    env = load_environment(tmp_path / "stacks", "dev", today=TODAY, notes=notes)
    assert [n.split(": ")[1] for n in notes] == ["infra:vendors[0].expires"]
    assert env.without_expired_access(TODAY).vendors == []


def test_the_same_malformed_vendor_still_fails_while_it_is_active(values):
    vendor = {"aws_read_resources": ["lake-curated"]}
    active = _expired_vendor(values, **vendor)
    active["vendors"][0]["expires"] = (TODAY + timedelta(days=30)).isoformat()
    assert paths(active) == ["vendors[0].aws_account_id"]


def test_an_expired_vendor_with_a_type_error_still_fails(tmp_path, values):
    # field-level errors are about the file itself, not the access: they are never skipped
    write_stack(tmp_path / "stacks", "dev", _expired_vendor(values, aws_account_id="12345"))
    with pytest.raises(ConfigError) as err:
        load_environment(tmp_path / "stacks", "dev", today=TODAY)
    assert any("infra:vendors[0].aws_account_id" in line for line in err.value.lines)


def test_an_ended_restricted_grant_that_no_longer_fits_is_left_out_too(values):
    values = _expired_vendor(values, aws_account_id="000000000009", aws_external_id="placeholder-ext-id",
                             aws_read_resources=["lake-exports"])
    vendor = values["vendors"][0]
    vendor["expires"] = (TODAY + timedelta(days=30)).isoformat()
    # names a bucket the vendor no longer lists and a data set that is gone: both moot once the grant has ended
    vendor["restricted_grants"] = [{"resource": "lake-raw", "dataset": "old-file", "justification": "placeholder",
                                    "expires": (TODAY - timedelta(days=1)).isoformat()}]
    assert paths(values) == []
    vendor["restricted_grants"][0]["expires"] = (TODAY + timedelta(days=10)).isoformat()
    assert paths(values) == ["vendors[0].restricted_grants[0].resource", "vendors[0].restricted_grants[0].dataset"]


def test_restricted_data_needs_the_network_its_perimeter_is_built_on(values):
    # the network perimeter's condition (aws:SourceVpce) needs the VPC's S3 endpoint: no network, no environment
    del values["network"]
    values["aws"] = {"account_id": "000000000001"}
    values["datasets"] = [{"name": "voter-file", "classification": "restricted"}]
    assert "network" in paths(values)
