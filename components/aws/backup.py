"""AWS Backup for the platform's databases: a KMS-encrypted vault with a vault lock, a daily plan
and a service role, so that a stolen deploy token or ransomware in the account cannot delete the
backups before their retention ends.

A vault lock in compliance mode (`changeable_for_days` set) becomes immutable once that grace
period ends: nobody, not even the account root, can then delete a recovery point early, shorten
the retention or remove the lock. Governance mode (no `changeable_for_days`) can still be lifted
by a principal with `backup:DeleteBackupVaultLockConfiguration`, which suits lower environments.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import pulumi
from pydantic import Field, model_validator

from components.aws.ci_identity import BACKUP_SERVICE_POLICY
from components.tagging import classified
from stacks.model import AwsAccountId, Classification, StrictModel

BACKUP_SERVICE = "backup.amazonaws.com"


def vault_name(name_prefix: str) -> str:
    """The database backup vault: '<prefix>-db-backups'."""
    return f"{name_prefix}-db-backups"


def backup_role_name(name_prefix: str) -> str:
    """The role AWS Backup assumes: '<prefix>-backup-service'."""
    return f"{name_prefix}-backup-service"


class DatabaseBackupsArgs(StrictModel):
    """One locked vault, one daily plan and one selection of the databases to back up."""

    name_prefix: str = Field(pattern=r"^[a-z0-9-]+$", description="names '<prefix>-db-backups' and its role")
    account_id: AwsAccountId = Field(description="the only account whose requests the service role trusts")
    classification: Classification = Field(
        Classification.restricted, description="tags and key choice: the highest classification the databases hold"
    )
    lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] = Field(
        "COMPLIANCE", description="COMPLIANCE: immutable after changeable_for_days; GOVERNANCE: removable"
    )
    changeable_for_days: int = Field(
        3, ge=3, le=36500, description="compliance mode only: days before the lock can no longer be changed"
    )
    min_retention_days: int = Field(7, ge=1, le=36500, description="no recovery point may be kept for less")
    max_retention_days: int = Field(35, ge=1, le=36500, description="no recovery point may be kept for more")
    retention_days: int = Field(35, ge=1, le=36500, description="the daily plan deletes recovery points after this")
    schedule: str = Field("cron(0 5 * * ? *)", pattern=r"^cron\(.+\)$", description="daily, 05:00 UTC by default")
    boundary_arn: str | None = Field(
        None, description="permissions boundary of the service role (the CI boundary); none when omitted"
    )
    protect: bool = Field(True, description="Pulumi refuses to delete the vault, its lock and the plan while true")

    @model_validator(mode="after")
    def _retention_within_lock(self) -> DatabaseBackupsArgs:
        if not self.min_retention_days <= self.retention_days <= self.max_retention_days:
            raise ValueError(
                f"retention_days {self.retention_days} must lie between min_retention_days "
                f"{self.min_retention_days} and max_retention_days {self.max_retention_days}; the vault lock "
                "refuses recovery points outside that range"
            )
        return self

    @property
    def vault_name(self) -> str:
        return vault_name(self.name_prefix)

    @property
    def role_name(self) -> str:
        return backup_role_name(self.name_prefix)


def service_trust_policy(account_id: str) -> str:
    """AWS Backup may assume the role only on behalf of this account (confused-deputy guard)."""
    from components.aws.documents import dumps

    return dumps([{
        "Sid": "AwsBackupForThisAccount", "Effect": "Allow", "Principal": {"Service": BACKUP_SERVICE},
        "Action": "sts:AssumeRole", "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
    }])  # fmt: skip


class DatabaseBackups(pulumi.ComponentResource):
    """Vault (KMS) + vault lock + daily plan + service role + selection of the database ARNs."""

    def __init__(
        self,
        name: str,
        args: DatabaseBackupsArgs,
        *,
        kms_key_arn: pulumi.Input[str],
        resource_arns: Sequence[pulumi.Input[str]],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("civic:aws:DatabaseBackups", name, None, opts)
        import pulumi_aws as aws

        if not resource_arns:
            raise ValueError(f"{name}: resource_arns is empty; a backup plan needs at least one database to select")
        child = pulumi.ResourceOptions(parent=self)
        stateful = pulumi.ResourceOptions(parent=self, protect=args.protect)
        tags = classified(args.classification)
        self.vault = aws.backup.Vault(
            f"{name}-vault", name=args.vault_name, kms_key_arn=kms_key_arn, force_destroy=False, tags=tags,
            opts=stateful,
        )
        compliance = args.lock_mode == "COMPLIANCE"
        self.lock = aws.backup.VaultLockConfiguration(
            f"{name}-lock",
            backup_vault_name=self.vault.name,
            min_retention_days=args.min_retention_days,
            max_retention_days=args.max_retention_days,
            # Set: compliance mode (immutable after the grace period); absent: governance mode.
            changeable_for_days=args.changeable_for_days if compliance else None,
            opts=stateful,
        )
        self.plan = aws.backup.Plan(
            f"{name}-plan",
            name=f"{args.name_prefix}-db-daily",
            rules=[aws.backup.PlanRuleArgs(
                rule_name="daily", target_vault_name=self.vault.name, schedule=args.schedule,
                start_window=60, completion_window=360,
                lifecycle=aws.backup.PlanRuleLifecycleArgs(delete_after=args.retention_days),
                recovery_point_tags=tags,
            )],  # fmt: skip
            tags=tags,
            opts=stateful,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name=args.role_name,
            description=f"AWS Backup takes the {args.name_prefix} database backups",
            assume_role_policy=service_trust_policy(args.account_id),
            permissions_boundary=args.boundary_arn,
            tags={},
            opts=child,
        )
        attachment = aws.iam.RolePolicyAttachment(
            f"{name}-role-backup", role=self.role.name, policy_arn=BACKUP_SERVICE_POLICY, opts=child
        )
        self.selection = aws.backup.Selection(
            f"{name}-selection",
            name=f"{args.name_prefix}-databases",
            plan_id=self.plan.id,
            iam_role_arn=self.role.arn,
            resources=list(resource_arns),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[attachment]),
        )
        self.register_outputs(
            {"name": name, "resource_id": self.vault.arn, "vault_name": args.vault_name, "plan_id": self.plan.id,
             "role_arn": self.role.arn}  # fmt: skip
        )
