"""Expired vendor/partner access warns and is left out; access ending within 14 days warns."""

from __future__ import annotations

from datetime import timedelta

from stacks.loader import load_environment
from stacks.model import Environment
from stacks.rules import access_warnings
from tests.conftest import TODAY, write_stack


def _values(values, vendor_days: int, partner_days: int | None = None):
    values["vendors"] = [
        {"name": "keeper", "contact": "a@vendor.example.com", "expires": (TODAY + timedelta(days=60)).isoformat()},
        {"name": "mailhouse", "contact": "b@vendor.example.com",
         "expires": (TODAY + timedelta(days=vendor_days)).isoformat(), "azure_roles": ["Reader"]},
    ]
    if partner_days is not None:
        values["aws"] = {"account_id": "000000000001"}
        values["data_stores"] = {"data_lake": {"enabled": True}}
        values["partners"] = [{"name": "ally", "aws_account_id": "000000000002", "exports_prefix": "ally/",
                               "expires": (TODAY + timedelta(days=partner_days)).isoformat()}]
    values.setdefault("budgets", {"aws_monthly_usd": 10, "azure_monthly_usd": 10})
    return values


def test_expired_entry_loads_with_a_warning_naming_file_and_key(tmp_path, values):
    write_stack(tmp_path / "stacks", "dev", _values(values, vendor_days=-3, partner_days=0))
    notes: list[str] = []
    env = load_environment(tmp_path / "stacks", "dev", today=TODAY, notes=notes)
    day = (TODAY - timedelta(days=3)).isoformat()
    assert notes == [
        f"stacks/Pulumi.dev.yaml: infra:vendors[1].expires: expired on {day}; the next deploy removes "
        "vendor mailhouse's access; delete the entry",
        f"stacks/Pulumi.dev.yaml: infra:partners[0].expires: expired on {TODAY.isoformat()}; the next deploy "
        "removes partner ally's access; delete the entry",
    ]
    assert env.expired_access(TODAY) == [("vendors", 1, "mailhouse", TODAY - timedelta(days=3)),
                                         ("partners", 0, "ally", TODAY)]


def test_the_deployed_environment_leaves_expired_entries_out(values):
    env = Environment.model_validate({"name": "dev", **_values(values, vendor_days=-1, partner_days=-1)})
    deployed = env.without_expired_access(TODAY)
    assert [v.name for v in deployed.vendors] == ["keeper"] and deployed.partners == []
    assert [v.name for v in env.vendors] == ["keeper", "mailhouse"]  # the model itself is unchanged
    assert env.without_expired_access(TODAY - timedelta(days=2)).vendors == env.vendors


def test_access_ending_within_14_days_warns_and_later_does_not(values):
    env = Environment.model_validate({"name": "dev", **_values(values, vendor_days=10)})
    [warning] = access_warnings(env, TODAY)
    assert warning.key_path == "vendors[1].expires"
    assert f"expires on {(TODAY + timedelta(days=10)).isoformat()}, in 10 day(s)" in warning.message
    assert "mailhouse" in warning.message
    assert access_warnings(env, TODAY - timedelta(days=5)) == []  # 15 days out
    assert [w.key_path for w in access_warnings(env, TODAY + timedelta(days=4))] == ["vendors[1].expires"]


def test_future_expiry_beyond_access_max_days_is_still_refused(tmp_path, values):
    import pytest

    from stacks.loader import ConfigError

    write_stack(tmp_path / "stacks", "dev", _values(values, vendor_days=366))
    with pytest.raises(ConfigError) as err:
        load_environment(tmp_path / "stacks", "dev", today=TODAY)
    assert "infra:vendors[1].expires: is more than identity.access_max_days" in err.value.lines[0]
