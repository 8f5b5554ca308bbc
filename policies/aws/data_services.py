"""AWS data services: Glue catalog and job encryption, Secrets Manager rotation, CloudWatch log
groups, RDS Performance Insights."""

from __future__ import annotations

from collections.abc import Iterator

from policies.context import Context
from policies.controls import checkov
from policies.core import (
    ResourceView,
    Severity,
    StackView,
    Verdict,
    compliant,
    contains_unknown,
    is_unknown,
    not_applicable,
    resource_policy,
    stack_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import is_false, is_true, show

GLUE_CATALOG_ENCRYPTION = "aws:glue/dataCatalogEncryptionSettings:DataCatalogEncryptionSettings"
GLUE_SECURITY_CONFIGURATION = "aws:glue/securityConfiguration:SecurityConfiguration"
GLUE_JOB = "aws:glue/job:Job"
GLUE_CRAWLER = "aws:glue/crawler:Crawler"
SECRET = "aws:secretsmanager/secret:Secret"
SECRET_ROTATION = "aws:secretsmanager/secretRotation:SecretRotation"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
RDS_INSTANCE = "aws:rds/instance:Instance"
RDS_CLUSTER = "aws:rds/cluster:Cluster"


@resource_policy(
    name="aws-glue-catalog-encrypted",
    description="Encrypt the Glue Data Catalog and its connection passwords with KMS",
    severity=Severity.high,
    remediation="In the analytics component's glue.DataCatalogEncryptionSettings set encryption_at_rest."
    "catalog_encryption_mode 'SSE-KMS' with sse_aws_kms_key_id, and connection_password_encryption."
    "return_connection_password_encrypted True with aws_kms_key_id.",
    types=[GLUE_CATALOG_ENCRYPTION],
    controls=[checkov("CKV_AWS_94")],
    data_protection=True,
)
def glue_catalog_encrypted(r: ResourceView, ctx: Context) -> Verdict:
    settings = r.get("dataCatalogEncryptionSettings")
    if contains_unknown(settings):
        return unknown_until_apply("dataCatalogEncryptionSettings")
    mode = r.get("dataCatalogEncryptionSettings", "encryptionAtRest", "catalogEncryptionMode")
    returned = r.get("dataCatalogEncryptionSettings", "connectionPasswordEncryption", "returnConnectionPasswordEncrypted")
    password_key = r.get("dataCatalogEncryptionSettings", "connectionPasswordEncryption", "awsKmsKeyId")
    problems = []
    if not (isinstance(mode, str) and mode.upper().startswith("SSE-KMS")):
        problems.append(f"encryptionAtRest.catalogEncryptionMode is {show(mode)}")
    if not is_true(returned) or not password_key:
        problems.append(f"connectionPasswordEncryption.returnConnectionPasswordEncrypted is {show(returned)} "
                        f"with awsKmsKeyId {show(password_key)}")
    if problems:
        return violation(f"glue catalog encryption {r.name}: {'; '.join(problems)}; use 'SSE-KMS' and encrypt "
                         "connection passwords with the KMS key")
    return compliant()


@resource_policy(
    name="aws-glue-security-configuration-encrypted",
    description="Encrypt Glue job output, logs and bookmarks in every security configuration",
    severity=Severity.high,
    remediation="Set s3_encryption.s3_encryption_mode 'SSE-KMS', cloudwatch_encryption.cloudwatch_encryption_mode "
    "'SSE-KMS' and job_bookmarks_encryption.job_bookmarks_encryption_mode 'CSE-KMS', each with the KMS key ARN.",
    types=[GLUE_SECURITY_CONFIGURATION],
    controls=[checkov("CKV_AWS_99")],
    data_protection=True,
)
def glue_security_configuration(r: ResourceView, ctx: Context) -> Verdict:
    config = r.get("encryptionConfiguration")
    if contains_unknown(config):
        return unknown_until_apply("encryptionConfiguration")
    wanted = {
        ("s3Encryption", "s3EncryptionMode"): ("SSE-KMS", "SSE-S3"),
        ("cloudwatchEncryption", "cloudwatchEncryptionMode"): ("SSE-KMS",),
        ("jobBookmarksEncryption", "jobBookmarksEncryptionMode"): ("CSE-KMS",),
    }
    problems = []
    for (block, key), good in wanted.items():
        value = r.get("encryptionConfiguration", block, key)
        if value not in good:
            problems.append(f"{block}.{key} is {show(value)}")
    if problems:
        return violation(f"glue security configuration {r.name}: {'; '.join(problems)}; encrypt all three with KMS")
    return compliant()


@stack_policy(
    name="aws-glue-jobs-use-security-configuration",
    description="Run every Glue job and crawler with a security configuration",
    severity=Severity.medium,
    remediation="Pass security_configuration (the name of an encrypted glue.SecurityConfiguration) to every "
    "glue.Job and glue.Crawler.",
    controls=[checkov("CKV_AWS_195")],
)
def glue_jobs_secured(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    for r in stack.of_type(GLUE_JOB, GLUE_CRAWLER):
        value = r.get("securityConfiguration")
        if is_unknown(value):
            yield unknown_until_apply("securityConfiguration", r)
        elif not isinstance(value, str) or not value:
            kind = "job" if r.type == GLUE_JOB else "crawler"
            yield violation(f"glue {kind} {r.name}: securityConfiguration is not set, so its output, logs and "
                            "bookmarks are not encrypted with KMS; name an encrypted security configuration", r)
        else:
            yield compliant(subject=r)


@stack_policy(
    name="aws-secrets-manager-rotation",
    description="Rotate every Secrets Manager secret automatically",
    severity=Severity.medium,
    remediation="Add a secretsmanager.SecretRotation for the secret (rotation_lambda_arn, rotation_rules "
    "automatically_after_days <= 90), or let the service manage it (RDS manage_master_user_password=True).",
    controls=[checkov("CKV2_AWS_57"), checkov("CKV_AWS_304")],
)
def secrets_rotated(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    for secret in stack.of_type(SECRET):
        rotations = stack.dependents(secret.urn, types=[SECRET_ROTATION], prop="secretId")
        if not rotations:
            yield violation(f"secret {secret.name}: no SecretRotation has secretId depending on it, so it never "
                            "rotates; add one", secret)
            continue
        days = [r.get("rotationRules", "automaticallyAfterDays") for r in rotations]
        schedules = [r.get("rotationRules", "scheduleExpression") for r in rotations]
        if any(is_unknown(d) for d in days):
            yield unknown_until_apply("rotationRules", secret)
        elif any(isinstance(d, (int, float)) and 0 < d <= 90 for d in days) or any(isinstance(s, str) and s for s in schedules):
            yield compliant(subject=secret)
        else:
            yield violation(f"secret rotation {rotations[0].name} of secret {secret.name}: rotationRules."
                            f"automaticallyAfterDays is {show(days[0])}; rotate at least every 90 days", rotations[0])


@resource_policy(
    name="aws-cloudwatch-log-group-retention-and-kms",
    description="Set a retention period and a customer-managed KMS key on every CloudWatch log group",
    severity=Severity.medium,
    remediation="Set retention_in_days (protection.log_retention_days) and kms_key_id (the logs key from the "
    "Keys component) on the cloudwatch.LogGroup.",
    types=[LOG_GROUP],
    controls=[checkov("CKV_AWS_66"), checkov("CKV_AWS_158")],
    data_protection=True,
)
def log_group(r: ResourceView, ctx: Context) -> Verdict:
    days, key = r.get("retentionInDays"), r.get("kmsKeyId")
    if is_unknown(days) or is_unknown(key):
        return unknown_until_apply("retentionInDays and kmsKeyId")
    problems = []
    # Missing or 0 keeps the logs forever, past anything the organisation has decided.
    if not isinstance(days, (int, float)) or days <= 0:
        problems.append(f"retentionInDays is {show(days)}, so logs are never deleted")
    if not isinstance(key, str) or not key:
        problems.append("kmsKeyId is not set, so an AWS-owned key encrypts them")
    if problems:
        return violation(f"log group {r.name}: {'; '.join(problems)}; set both")
    return compliant()


@resource_policy(
    name="aws-rds-performance-insights-cmk",
    description="Encrypt RDS Performance Insights data with a customer-managed KMS key",
    severity=Severity.medium,
    remediation="When performance_insights_enabled is True, set performance_insights_kms_key_id to the database's "
    "KMS key in the Postgres component; Performance Insights holds query text.",
    types=[RDS_INSTANCE, RDS_CLUSTER],
    controls=[checkov("CKV_AWS_354")],
    data_protection=True,
)
def performance_insights(r: ResourceView, ctx: Context) -> Verdict:
    enabled = r.get("performanceInsightsEnabled")
    if is_unknown(enabled):
        return unknown_until_apply("performanceInsightsEnabled")
    if not is_true(enabled) or is_false(enabled):
        return not_applicable("Performance Insights is off")
    key = r.get("performanceInsightsKmsKeyId")
    if is_unknown(key):
        return unknown_until_apply("performanceInsightsKmsKeyId")
    if not isinstance(key, str) or not key:
        return violation(f"database {r.name}: performanceInsightsEnabled is true but performanceInsightsKmsKeyId is "
                         "not set, so query text is kept under the AWS-managed key; set it to the database's key")
    return compliant()


POLICIES = (glue_catalog_encrypted, glue_security_configuration, glue_jobs_secured, secrets_rotated, log_group,
            performance_insights)
