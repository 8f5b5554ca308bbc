"""Production database backups sit in a compliance-locked vault; retention fits the lock (issue 11)."""

from __future__ import annotations

from tests.stacks.test_rules import paths

PROD_AWS = {"tier": "production", "aws": {"account_id": "000000000003"}}
DEV_AWS = {"aws": {"account_id": "000000000001"}}
BACKUPS = "data_stores.backups"
PG = {"postgres": {"enabled": True}}


def test_production_with_a_database_keeps_the_compliance_locked_backups(values):
    assert paths({**values, **PROD_AWS, "data_stores": PG}) == []
    assert paths({**values, **PROD_AWS, "data_stores": {**PG, "backups": {"enabled": False}}}) == [
        f"{BACKUPS}.enabled"]
    assert paths({**values, **PROD_AWS, "data_stores": {**PG, "backups": {"vault_lock_mode": "GOVERNANCE"}}}) == [
        f"{BACKUPS}.vault_lock_mode"]


def test_production_without_a_database_and_lower_tiers_may_switch_them_off(values):
    assert paths({**values, **PROD_AWS, "data_stores": {"backups": {"enabled": False}}}) == []
    off = {**PG, "backups": {"vault_lock_mode": "GOVERNANCE"}}
    assert paths({**values, **DEV_AWS, "data_stores": off}) == []


def test_retention_must_lie_inside_the_lock_range(values):
    def problems(backups):
        return paths({**values, **DEV_AWS, "data_stores": {**PG, "backups": backups}})

    assert problems({"retention_days": 60}) == [f"{BACKUPS}.retention_days"]
    assert problems({"retention_days": 60, "max_retention_days": 90}) == []
    assert problems({"min_retention_days": 40}) == [f"{BACKUPS}.min_retention_days"]
