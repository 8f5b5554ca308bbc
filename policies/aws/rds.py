"""Amazon RDS instances and Aurora clusters."""

from __future__ import annotations

from policies.context import Context
from policies.controls import checkov, cis_aws
from policies.core import (
    ResourceView,
    Severity,
    Verdict,
    compliant,
    is_unknown,
    not_applicable,
    resource_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import is_true, show

INSTANCE = "aws:rds/instance:Instance"
CLUSTER = "aws:rds/cluster:Cluster"
CLUSTER_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
MIN_BACKUP_DAYS = 7
_IAM_AUTH_ENGINES = ("mysql", "postgres", "mariadb", "aurora")


def _is_replica(r: ResourceView) -> bool:
    return bool(r.get("replicateSourceDb"))


@resource_policy(
    name="aws-rds-encrypted",
    description="Encrypt RDS databases at rest",
    severity=Severity.critical,
    remediation="Set `storage_encrypted=True` (and `kms_key_id` to the restricted key) on the database in the "
    "Postgres component.",
    types=[INSTANCE, CLUSTER],
    data_protection=True,
    controls=[cis_aws("3.2.1"), checkov("CKV_AWS_16"), checkov("CKV_AWS_96")],
)
def encrypted(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("storageEncrypted")
    if is_unknown(value):
        return unknown_until_apply("storageEncrypted")
    # Missing is unsafe: storage is unencrypted by default.
    if not is_true(value):
        return violation(f"database {r.name}: storageEncrypted is {show(value)}; set it to true")
    return compliant()


@resource_policy(
    name="aws-rds-not-public",
    description="Keep RDS databases unreachable from the Internet",
    severity=Severity.critical,
    remediation="Leave `publicly_accessible` False on the database in the Postgres component and place it in "
    "the private data subnets.",
    types=[INSTANCE, CLUSTER_INSTANCE],
    data_protection=True,
    controls=[cis_aws("3.2.3"), checkov("CKV_AWS_17")],
)
def not_public(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("publiclyAccessible")
    if is_unknown(value):
        return unknown_until_apply("publiclyAccessible")
    # Missing is safe: the provider default is false.
    if is_true(value):
        return violation(f"database {r.name}: publiclyAccessible is true; set it to false")
    return compliant()


@resource_policy(
    name="aws-rds-backup-retention",
    description="Keep automated RDS backups for at least seven days and the environment's backup period",
    severity=Severity.high,
    remediation="Set PostgresArgs.backup_retention_days (RDS `backup_retention_period`), from "
    "protection.backup_retention_days, to 7 or more.",
    types=[INSTANCE, CLUSTER],
    data_protection=True,
    controls=[checkov("CKV_AWS_133")],
)
def backup_retention(r: ResourceView, ctx: Context) -> Verdict:
    if r.type == INSTANCE and _is_replica(r):
        return not_applicable("a read replica takes its backups from the source database")
    value = r.get("backupRetentionPeriod")
    if is_unknown(value):
        return unknown_until_apply("backupRetentionPeriod")
    wanted = max(MIN_BACKUP_DAYS, ctx.backup_retention_days)
    effective = 1 if value is None else value  # the service default
    if not isinstance(effective, (int, float)) or effective < wanted:
        return violation(f"database {r.name}: backupRetentionPeriod is {show(value)}, below {wanted} days; "
                         f"set it to at least {wanted}")
    return compliant()


@resource_policy(
    name="aws-rds-deletion-protection-in-prod",
    description="Protect production RDS databases from deletion",
    severity=Severity.high,
    remediation="Set PostgresArgs.deletion_protection=True (from protection.deletion_protection) and keep "
    "final_snapshot_enabled=True.",
    types=[INSTANCE, CLUSTER],
    data_protection=True,
    controls=[checkov("CKV_AWS_293", partial="checked in production only"), checkov("CKV_AWS_139", partial="checked in production only")],
)
def deletion_protection(r: ResourceView, ctx: Context) -> Verdict:
    if not ctx.is_production:
        return not_applicable(f"only production is checked; this is {ctx.tier}")
    value = r.get("deletionProtection")
    if is_unknown(value):
        return unknown_until_apply("deletionProtection")
    if not is_true(value):
        return violation(f"database {r.name}: deletionProtection is {show(value)} in production; set it to true")
    return compliant()


@resource_policy(
    name="aws-rds-iam-authentication",
    description="Authenticate to RDS databases with IAM, not only passwords",
    severity=Severity.medium,
    remediation="Set `iam_database_authentication_enabled=True` on the database in the Postgres component.",
    types=[INSTANCE, CLUSTER],
    controls=[checkov("CKV_AWS_161"), checkov("CKV_AWS_162")],
)
def iam_authentication(r: ResourceView, ctx: Context) -> Verdict:
    engine = r.get("engine")
    if is_unknown(engine):
        return unknown_until_apply("engine")
    if isinstance(engine, str) and not engine.startswith(_IAM_AUTH_ENGINES):
        return not_applicable(f"engine {engine} does not support IAM authentication")
    value = r.get("iamDatabaseAuthenticationEnabled")
    if is_unknown(value):
        return unknown_until_apply("iamDatabaseAuthenticationEnabled")
    if not is_true(value):
        return violation(f"database {r.name}: iamDatabaseAuthenticationEnabled is {show(value)}; set it to true")
    return compliant()


POLICIES = (encrypted, not_public, backup_retention, deletion_protection, iam_authentication)
