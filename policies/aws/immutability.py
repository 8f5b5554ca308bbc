"""AWS immutability: exports cannot be altered or deleted before their retention ends (S3 Object Lock),
and production database backups sit in an AWS Backup vault with a compliance-mode lock
(components/aws/backup.py). RDS databases must be in one; Redshift Serverless namespaces are
reported as advisory, because the platform does not select them (AWS Backup's published list of
supported resource types names provisioned Redshift only) and their own recovery points cannot be locked."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from policies.context import Context
from policies.core import (
    Enforcement,
    ResourceView,
    Severity,
    StackView,
    Verdict,
    compliant,
    contains_unknown,
    not_applicable,
    stack_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import show

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
LOCK = ("aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
        "aws:s3/bucketObjectLockConfigurationV2:BucketObjectLockConfigurationV2")  # fmt: skip
EXPORTS_SUFFIX = "-lake-exports"
"""The data lake names its exports bucket '<org>-<env>-lake-exports'."""


def lock_retention_verdict(bucket: ResourceView, lock: ResourceView, ctx: Context, label: str) -> Verdict:
    """`bucket`'s Object Lock default retention: COMPLIANCE (or, outside production, GOVERNANCE) with a period."""
    retention = lock.get("rule", "defaultRetention")
    if contains_unknown(retention):
        return unknown_until_apply("the Object Lock default retention", bucket)
    mode = retention.get("mode") if isinstance(retention, Mapping) else None
    length = (retention.get("days") or retention.get("years")) if isinstance(retention, Mapping) else None
    wanted = ("COMPLIANCE",) if ctx.is_production else ("COMPLIANCE", "GOVERNANCE")
    if mode not in wanted or not length:
        return violation(f"{label} {bucket.name}: Object Lock default retention is mode {show(mode)} for "
                         f"{show(length)}; use {' or '.join(wanted)} with a retention period", bucket)
    return compliant(subject=bucket)


@stack_policy(
    name="aws-exports-bucket-object-lock",
    description="Protect the lake's exports bucket with S3 Object Lock so an export cannot be altered or deleted "
    "before its retention ends (compliance mode, required in production)",
    severity=Severity.high,
    remediation="The data lake passes exports_object_lock_mode to the exports bucket's SecureBucket, which creates an "
    "s3.BucketObjectLockConfiguration; set data_stores.data_lake.exports_object_lock_mode (COMPLIANCE in production).",
    data_protection=True,
)
def exports_object_lock(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    exports = [b for b in stack.of_type(*BUCKETS) if str(b.get("bucket", default="")).endswith(EXPORTS_SUFFIX)]
    if not exports:
        yield not_applicable("no lake exports bucket in this stack")
        return
    for bucket in exports:
        locks = stack.dependents(bucket.urn, types=LOCK, prop="bucket")
        if not locks and not ctx.is_production:
            yield not_applicable("no Object Lock outside production "
                                 "(data_stores.data_lake.exports_object_lock_mode is null)", bucket)
            continue
        if not locks:
            yield violation(f"exports bucket {bucket.name} has no Object Lock configuration, so anyone with delete "
                            "rights can alter or remove what was shared; set "
                            "data_stores.data_lake.exports_object_lock_mode", bucket)
            continue
        yield lock_retention_verdict(bucket, locks[0], ctx, "exports bucket")


DATABASES = ("aws:rds/instance:Instance", "aws:rds/cluster:Cluster")
NAMESPACES = ("aws:redshiftserverless/namespace:Namespace",)
SELECTION = "aws:backup/selection:Selection"
PLAN = "aws:backup/plan:Plan"
VAULT = "aws:backup/vault:Vault"
VAULT_LOCK = "aws:backup/vaultLockConfiguration:VaultLockConfiguration"


def _locked_vaults(stack: StackView, database) -> list:
    """Vault locks in compliance mode (changeableForDays set) of every vault a backup plan copies `database` into."""
    found = []
    for selection in stack.dependents(database.urn, types=[SELECTION], prop="resources"):
        for plan in stack.targets(selection, "planId"):
            for vault in stack.targets(plan, "rules"):
                if vault.type != VAULT:
                    continue
                found += [lock for lock in stack.dependents(vault.urn, types=[VAULT_LOCK], prop="backupVaultName")
                          if lock.get("changeableForDays") is not None]
    return found


def _judge(stack: StackView, ctx: Context, types: tuple[str, ...], fix: str) -> Iterator[Verdict]:
    databases = stack.of_type(*types)
    if not databases or not ctx.is_production:
        yield not_applicable("no database in a production stack")
        return
    for db in databases:
        if _locked_vaults(stack, db):
            yield compliant(subject=db)
        else:
            yield violation(f"database {db.name}: its backups are in no AWS Backup vault with a compliance-mode lock, "
                            f"so someone holding the account can delete every copy; {fix}", db)


@stack_policy(
    name="aws-database-backups-locked",
    description="Keep production database backups in an AWS Backup vault with a compliance-mode vault lock",
    severity=Severity.high,
    remediation="define_aws composes DatabaseBackups (components/aws/backup.py) for the PostgreSQL instance: a vault "
    "'<prefix>-db-backups', a VaultLockConfiguration with changeable_for_days (compliance mode) and a daily plan "
    "whose Selection lists the instance; keep data_stores.backups.enabled true and vault_lock_mode COMPLIANCE.",
    data_protection=True,
)
def database_backups_locked(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    yield from _judge(stack, ctx, DATABASES, "keep data_stores.backups.enabled and vault_lock_mode COMPLIANCE "
                      "so the DatabaseBackups plan selects it")


@stack_policy(
    name="aws-redshift-backups-locked",
    description="Keep production Redshift Serverless backups in an AWS Backup vault with a compliance-mode vault lock",
    severity=Severity.medium,
    remediation="Redshift Serverless recovery points cannot be locked and the platform does not select namespaces in "
    "its AWS Backup plan; follow the README's manual step (security baseline).",
    enforcement=Enforcement.advisory,
)
def redshift_backups_locked(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    yield from _judge(stack, ctx, NAMESPACES, "see the README's manual step (security baseline)")


POLICIES = (exports_object_lock, database_backups_locked, redshift_backups_locked)
