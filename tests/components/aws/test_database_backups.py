"""AWS Backup of the databases (issue 11): locked vault, daily plan, capped service role, selection; CI rights."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest
from pydantic import ValidationError

from cli.policycheck import check_capture
from components.aws.backup import DatabaseBackups, DatabaseBackupsArgs
from components.aws.ci_identity import (
    BACKUP_SERVICE_POLICY,
    CiIdentityArgs,
    boundary_statements,
    deploy_statements,
    plan_statements,
)
from policies.aws.iam_data import covered
from tests.components.aws.conftest import ACCOUNT, capture, named, one
from tests.conftest import TODAY

KEY = "arn:aws:kms:us-east-1:000000000003:key/restricted"
DB = f"arn:aws:rds:us-east-1:{ACCOUNT}:db:caf-prod-postgres"
BOUNDARY = f"arn:aws:iam::{ACCOUNT}:policy/caf-prod-ci-boundary"
VAULT = "aws:backup/vault:Vault"
LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"
PLAN = "aws:backup/plan:Plan"
SELECTION = "aws:backup/selection:Selection"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
POLICY = "aws-database-backups-locked"


def _capture(**overrides):
    args = DatabaseBackupsArgs(**{"name_prefix": "caf-prod", "account_id": ACCOUNT, "boundary_arn": BOUNDARY,
                                  **overrides})  # fmt: skip
    return capture(lambda: DatabaseBackups("bk", args, kms_key_arn=KEY, resource_arns=[DB]))


@pytest.fixture(scope="module")
def cap():
    return _capture()


def test_vault_is_encrypted_with_the_data_key_and_protected(cap):
    vault = one(cap, VAULT)
    assert vault.inputs["name"] == "caf-prod-db-backups"
    assert vault.inputs["kmsKeyArn"] == KEY
    assert vault.inputs["forceDestroy"] is False
    assert vault.inputs["tags"]["data-classification"] == "restricted"
    assert vault.protect and one(cap, LOCK).protect and one(cap, PLAN).protect


def test_compliance_lock_sets_changeable_for_days_and_the_retention_range(cap):
    lock = one(cap, LOCK)
    assert one(cap, VAULT).urn in lock.property_dependencies["backupVaultName"]
    assert lock.inputs["changeableForDays"] == 3.0
    assert (lock.inputs["minRetentionDays"], lock.inputs["maxRetentionDays"]) == (7.0, 35.0)


def test_governance_lock_has_no_changeable_for_days():
    lock = one(_capture(lock_mode="GOVERNANCE", protect=False), LOCK)
    assert "changeableForDays" not in lock.inputs
    assert lock.protect is False


def test_daily_plan_writes_into_the_vault_and_deletes_after_the_retention(cap):
    plan = one(cap, PLAN)
    (rule,) = plan.inputs["rules"]
    assert rule["schedule"] == "cron(0 5 * * ? *)"
    assert rule["lifecycle"] == {"deleteAfter": 35.0}
    assert one(cap, VAULT).urn in plan.property_dependencies["rules"]


def test_service_role_trusts_backup_for_this_account_only_and_carries_the_boundary(cap):
    role = one(cap, ROLE)
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "backup.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT}}
    assert role.inputs["name"] == "caf-prod-backup-service"
    assert role.inputs["permissionsBoundary"] == BOUNDARY
    (attachment,) = cap.of_type(ATTACHMENT)
    assert attachment.inputs["policyArn"] == BACKUP_SERVICE_POLICY
    assert "AdministratorAccess" not in attachment.inputs["policyArn"]


def test_selection_lists_the_databases_under_the_plan_and_role(cap):
    selection = one(cap, SELECTION)
    assert selection.inputs["resources"] == [DB]
    assert one(cap, PLAN).urn in selection.property_dependencies["planId"]
    assert one(cap, ROLE).urn in selection.property_dependencies["iamRoleArn"]


@pytest.mark.parametrize("values", [{"retention_days": 40}, {"retention_days": 5}, {"min_retention_days": 50}])
def test_retention_outside_the_lock_range_is_refused(values):
    with pytest.raises(ValidationError, match="retention_days"):
        DatabaseBackupsArgs(name_prefix="caf-prod", account_id=ACCOUNT, **values)


# --- composed by define_aws ---------------------------------------------------------------------


def test_prod_backs_up_the_postgres_instance_into_a_compliance_locked_vault(prod_plan, prod_env):
    selection = named(prod_plan, "caf-prod-db-backups-selection")
    instance = named(prod_plan, "caf-prod-postgres-instance")
    assert instance.urn in selection.property_dependencies["resources"]
    lock = named(prod_plan, "caf-prod-db-backups-lock")
    assert lock.inputs["changeableForDays"] == 3.0 and lock.protect
    vault = named(prod_plan, "caf-prod-db-backups-vault")
    key = named(prod_plan, "caf-prod-kms-restricted")
    assert key.urn in vault.property_dependencies["kmsKeyArn"]
    assert POLICY not in {f.policy for f in check_capture(prod_plan, prod_env, today=TODAY).findings}


def test_dev_locks_in_governance_mode(dev_plan):
    lock = named(dev_plan, "caf-dev-db-backups-lock")
    assert "changeableForDays" not in lock.inputs
    assert lock.protect is False


@pytest.mark.parametrize("dropped", ["caf-prod-db-backups-lock", "caf-prod-db-backups-selection"])
def test_removing_the_lock_or_the_selection_from_prod_fails_the_policy_check(prod_plan, prod_env, dropped):
    stripped = replace(prod_plan, resources=tuple(r for r in prod_plan.resources if r.name != dropped))
    failed = [f for f in check_capture(stripped, prod_env, today=TODAY).findings if f.policy == POLICY]
    assert [f.name for f in failed] == ["caf-prod-postgres-instance"]
    assert failed[0].enforcement == "mandatory"


def test_a_governance_lock_in_prod_fails_the_policy_check(prod_plan, prod_env):
    def governance(r):
        if r.name == "caf-prod-db-backups-lock":
            return replace(r, inputs={k: v for k, v in r.inputs.items() if k != "changeableForDays"})
        return r

    weakened = replace(prod_plan, resources=tuple(governance(r) for r in prod_plan.resources))
    assert POLICY in {f.policy for f in check_capture(weakened, prod_env, today=TODAY).findings}


# --- CI rights ----------------------------------------------------------------------------------

CI = CiIdentityArgs(account_id=ACCOUNT, region="us-east-1", name_prefix="caf-prod", github_repository="org/repo",
                    environment="prod", postgres_enabled=True, database_backups_enabled=True)  # fmt: skip
VAULTS = f"arn:aws:backup:us-east-1:{ACCOUNT}:backup-vault:caf-prod-*"
SERVICE_ROLE = f"arn:aws:iam::{ACCOUNT}:role/caf-prod-backup-service"


def _sid(statements, sid):
    (found,) = [s for s in statements if s.get("Sid") == sid]
    return found


def test_deploy_role_manages_only_the_platforms_vaults_and_tagged_plans():
    deploy = deploy_statements(CI)
    create = _sid(deploy, "CreateBackupResources")
    assert create["Condition"]["StringEquals"]["aws:RequestTag/environment"] == "prod"
    owned = _sid(deploy, "OwnBackupResources")
    assert VAULTS in owned["Resource"] and "*" not in owned["Resource"]
    assert owned["Condition"]["StringEquals"]["aws:ResourceTag/managed-by"] == "pulumi/civic-infra"
    allowed = [a for s in deploy if s["Effect"] == "Allow"
               for a in (s["Action"] if isinstance(s["Action"], list) else [s["Action"]])]
    assert not covered(allowed, ["backup:StartRestoreJob"]) and "backup:*" not in allowed


def test_deploy_role_passes_and_equips_only_the_backup_service_role():
    deploy = deploy_statements(CI)
    passing = _sid(deploy, "PassBackupServiceRole")
    assert passing["Resource"] == SERVICE_ROLE
    assert passing["Condition"] == {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}
    attach = _sid(deploy, "BackupServiceRolePolicy")
    assert attach["Resource"] == SERVICE_ROLE
    assert attach["Condition"]["ArnEquals"] == {"iam:PolicyARN": BACKUP_SERVICE_POLICY}
    assert attach["Condition"]["StringEquals"] == {"iam:PermissionsBoundary": CI.boundary_arn}
    elsewhere = _sid(deploy, "DenyBackupPolicyElsewhere")
    assert elsewhere["Effect"] == "Deny" and elsewhere["NotResource"] == SERVICE_ROLE


def test_only_the_backup_service_policy_escapes_the_managed_policy_deny():
    deny = _sid(boundary_statements(CI), "DenyAwsManagedPolicies")
    assert deny["Condition"]["ArnLike"] == {"iam:PolicyARN": "arn:aws:iam::aws:policy/*"}
    assert deny["Condition"]["ArnNotEquals"] == {"iam:PolicyARN": BACKUP_SERVICE_POLICY}
    off = CI.model_copy(update={"database_backups_enabled": False})
    assert "ArnNotEquals" not in _sid(boundary_statements(off), "DenyAwsManagedPolicies")["Condition"]
    assert not [s for s in deploy_statements(off) if "backup" in json.dumps(s)]


def test_prod_boundary_denies_destroying_backups_to_ci_and_every_capped_role():
    # The boundary caps the plan and deploy roles and every role they create: its denies bind them all.
    statements = boundary_statements
    docs = statements(CI)
    vaults = _sid(docs, "DenyBackupVaultDestruction")
    assert {"backup:DeleteBackupVault", "backup:DeleteBackupVaultLockConfiguration"} <= set(vaults["Action"])
    assert vaults["Resource"] == VAULTS
    points = _sid(docs, "DenyRecoveryPointDestruction")
    assert {"backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle"} <= set(points["Action"])
    lower = CI.model_copy(update={"backup_destruction_denied": False})
    assert not [s for s in statements(lower) if s.get("Sid", "").startswith("DenyBackup")]


def test_plan_role_never_starts_a_restore():
    deny = _sid(plan_statements(CI), "DenyBackupJobs")
    assert deny["Effect"] == "Deny" and "backup:StartRestoreJob" in deny["Action"]
    assert not [s for s in plan_statements(CI) if s["Effect"] == "Allow" and "backup" in json.dumps(s["Action"])]
