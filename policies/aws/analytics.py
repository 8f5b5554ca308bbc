"""Analytics data stores: Redshift Serverless and Athena."""

from __future__ import annotations

from policies.context import Context
from policies.controls import checkov
from policies.core import (
    ResourceView,
    Severity,
    Verdict,
    compliant,
    is_unknown,
    resource_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import is_false, is_true, show

REDSHIFT_NAMESPACE = "aws:redshiftserverless/namespace:Namespace"
REDSHIFT_WORKGROUP = "aws:redshiftserverless/workgroup:Workgroup"
ATHENA_WORKGROUP = "aws:athena/workgroup:Workgroup"
_ATHENA_ENCRYPTION = ("SSE_S3", "SSE_KMS", "CSE_KMS")


@resource_policy(
    name="aws-redshift-serverless-not-public",
    description="Keep Redshift Serverless workgroups unreachable from the Internet",
    severity=Severity.critical,
    remediation="Leave `publicly_accessible` False on the Redshift Serverless Workgroup in the analytics "
    "component and use the private data subnets.",
    types=[REDSHIFT_WORKGROUP],
    data_protection=True,
)
def redshift_not_public(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("publiclyAccessible")
    if is_unknown(value):
        return unknown_until_apply("publiclyAccessible")
    # Missing is safe: the provider default is false.
    if is_true(value):
        return violation(f"redshift workgroup {r.name}: publiclyAccessible is true; set it to false")
    return compliant()


@resource_policy(
    name="aws-redshift-serverless-kms",
    description="Encrypt Redshift Serverless namespaces with a customer-managed KMS key",
    severity=Severity.high,
    remediation="Set `kms_key_id` on the Redshift Serverless Namespace in the analytics component to the "
    "classification's KMS key.",
    types=[REDSHIFT_NAMESPACE],
    data_protection=True,
    controls=[checkov("CKV_AWS_282")],
)
def redshift_kms(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("kmsKeyId")
    if is_unknown(value):
        return unknown_until_apply("kmsKeyId")
    # Missing is unsafe for this organisation: an AWS-owned key is used, outside its control.
    if not isinstance(value, str) or not value:
        return violation(f"redshift namespace {r.name}: kmsKeyId is not set, so an AWS-owned key is used; "
                         "set it to the customer-managed key")
    return compliant()


@resource_policy(
    name="aws-athena-encrypted-results",
    description="Enforce encrypted query results in every Athena workgroup",
    severity=Severity.high,
    remediation="In the analytics component's Athena Workgroup set configuration.enforce_workgroup_configuration "
    "True and result_configuration.encryption_configuration.encryption_option 'SSE_KMS'.",
    types=[ATHENA_WORKGROUP],
    data_protection=True,
    controls=[checkov("CKV_AWS_159"), checkov("CKV_AWS_82")],
)
def athena_encrypted(r: ResourceView, ctx: Context) -> Verdict:
    enforce = r.get("configuration", "enforceWorkgroupConfiguration")
    option = r.get("configuration", "resultConfiguration", "encryptionConfiguration", "encryptionOption")
    if is_unknown(enforce) or is_unknown(option):
        return unknown_until_apply("configuration")
    problems = []
    # Missing enforcement is safe: the provider default is true.
    if is_false(enforce):
        problems.append("configuration.enforceWorkgroupConfiguration is false, so clients may override it")
    if option not in _ATHENA_ENCRYPTION:
        problems.append(f"resultConfiguration.encryptionConfiguration.encryptionOption is {show(option)}")
    if problems:
        return violation(f"athena workgroup {r.name}: {'; '.join(problems)}; enforce the workgroup "
                         "configuration with encryptionOption 'SSE_KMS'")
    return compliant()


POLICIES = (redshift_not_public, redshift_kms, athena_encrypted)
