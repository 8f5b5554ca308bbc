"""Azure storage accounts. Their settings sit at the top level of the inputs (not under
`properties`); blob soft delete and versioning live on a separate BlobServiceProperties."""

from __future__ import annotations

from policies.context import Context
from policies.controls import checkov, cis_azure
from policies.core import (
    ResourceView,
    Severity,
    StackView,
    Verdict,
    compliant,
    is_unknown,
    not_applicable,
    resource_policy,
    stack_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import is_false, is_true, show

STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"
BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"


@resource_policy(
    name="azure-storage-https-only",
    description="Allow only HTTPS traffic to storage accounts",
    severity=Severity.high,
    remediation="Leave `enableHttpsTrafficOnly` unset or true on the storage component "
    "(StorageAccount `enable_https_traffic_only=True`); never pass False.",
    types=[STORAGE_ACCOUNT],
    data_protection=True,
    controls=[cis_azure("9.3.4"), checkov("CKV_AZURE_3")],
)
def https_only(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("enableHttpsTrafficOnly")
    if is_unknown(value):
        return unknown_until_apply("enableHttpsTrafficOnly")
    # Missing is safe: the provider default is true since API version 2019-04-01.
    if is_false(value):
        return violation(f"storage account {r.name}: enableHttpsTrafficOnly is {show(value)}; set it to true")
    return compliant()


@resource_policy(
    name="azure-storage-min-tls-1-2",
    description="Require TLS 1.2 or later on storage accounts",
    severity=Severity.high,
    remediation="Set `minimum_tls_version=\"TLS1_2\"` on the StorageAccount in the storage component; "
    "the provider's default is TLS 1.0.",
    types=[STORAGE_ACCOUNT],
    data_protection=True,
    controls=[cis_azure("9.3.6"), checkov("CKV_AZURE_44")],
)
def min_tls(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("minimumTlsVersion")
    if is_unknown(value):
        return unknown_until_apply("minimumTlsVersion")
    # Missing is unsafe: the service interprets it as TLS 1.0.
    if value not in ("TLS1_2", "TLS1_3"):
        return violation(f"storage account {r.name}: minimumTlsVersion is {show(value)}; set it to 'TLS1_2'")
    return compliant()


@resource_policy(
    name="azure-storage-no-public-blob-access",
    description="Disallow anonymous public access to blobs in storage accounts",
    severity=Severity.critical,
    remediation="Leave `allow_blob_public_access` unset or False on the StorageAccount in the storage component.",
    types=[STORAGE_ACCOUNT],
    data_protection=True,
    controls=[cis_azure("9.3.8"), checkov("CKV_AZURE_190"), checkov("CKV2_AZURE_47")],
)
def no_public_blob(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("allowBlobPublicAccess")
    if is_unknown(value):
        return unknown_until_apply("allowBlobPublicAccess")
    # Missing is safe: the service interprets it as false.
    if is_true(value):
        return violation(f"storage account {r.name}: allowBlobPublicAccess is true; set it to false")
    return compliant()


@resource_policy(
    name="azure-storage-shared-key-disabled",
    description="Disable shared-key (account key and SAS) authorisation on storage accounts",
    severity=Severity.high,
    remediation="Set `allow_shared_key_access=False` on the StorageAccount in the storage component and "
    "grant Entra ID roles (Storage Blob Data *) instead; the provider's default allows keys.",
    types=[STORAGE_ACCOUNT],
    controls=[cis_azure("9.3.1.3"), checkov("CKV2_AZURE_40")],
)
def shared_key_disabled(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("allowSharedKeyAccess")
    if is_unknown(value):
        return unknown_until_apply("allowSharedKeyAccess")
    # Missing is unsafe: null is equivalent to true.
    if not is_false(value):
        return violation(f"storage account {r.name}: allowSharedKeyAccess is {show(value)}; set it to false")
    return compliant()


def _blob_services(stack: StackView, account: ResourceView) -> list[ResourceView]:
    return stack.dependents(account.urn, types=[BLOB_SERVICE], prop="accountName")


@stack_policy(
    name="azure-storage-blob-soft-delete",
    description="Keep deleted blobs and containers recoverable for the environment's soft-delete period",
    severity=Severity.high,
    remediation="Give each storage account a BlobServiceProperties with `delete_retention_policy` and "
    "`container_delete_retention_policy` enabled for at least protection.soft_delete_retention_days.",
    data_protection=True,
    controls=[cis_azure("9.2.1"), cis_azure("9.2.2"), checkov("CKV2_AZURE_38")],
)
def blob_soft_delete(stack: StackView, ctx: Context):
    wanted = ctx.soft_delete_retention_days
    for account in stack.of_type(STORAGE_ACCOUNT):
        services = _blob_services(stack, account)
        if not services:
            yield violation(
                f"storage account {account.name}: no BlobServiceProperties depends on it, so blob soft delete "
                f"is off; add one with deleteRetentionPolicy enabled for {wanted} days",
                account,
            )
            continue
        problems: list[str] = []
        unknown = False
        for svc in services:
            for key in ("deleteRetentionPolicy", "containerDeleteRetentionPolicy"):
                enabled, days = svc.get(key, "enabled"), svc.get(key, "days")
                if is_unknown(enabled) or is_unknown(days):
                    unknown = True
                elif not is_true(enabled):
                    problems.append(f"{key}.enabled is {show(enabled)}")
                elif not isinstance(days, (int, float)) or days < wanted:
                    problems.append(f"{key}.days is {show(days)}, below {wanted}")
        if problems:
            yield violation(
                f"storage account {account.name}: {'; '.join(problems)}; enable both retention policies "
                f"for at least {wanted} days",
                account,
            )
        elif unknown:
            yield unknown_until_apply("the blob retention policy", account)
        else:
            yield compliant(subject=account)


@stack_policy(
    name="azure-storage-blob-versioning",
    description="Keep previous versions of every blob in storage accounts",
    severity=Severity.medium,
    remediation="Set `is_versioning_enabled=True` on the BlobServiceProperties the storage component creates.",
    data_protection=True,
    controls=[cis_azure("9.2.3")],
)
def blob_versioning(stack: StackView, ctx: Context):
    for account in stack.of_type(STORAGE_ACCOUNT):
        if account.get("kind") in ("FileStorage",):
            yield not_applicable("FileStorage accounts have no blob service", account)
            continue
        services = _blob_services(stack, account)
        values = [svc.get("isVersioningEnabled") for svc in services]
        if any(is_true(v) for v in values):
            yield compliant(subject=account)
        elif any(is_unknown(v) for v in values):
            yield unknown_until_apply("isVersioningEnabled", account)
        elif not services:
            yield violation(
                f"storage account {account.name}: no BlobServiceProperties depends on it, so blob versioning "
                "is off; add one with isVersioningEnabled: true",
                account,
            )
        else:
            yield violation(
                f"storage account {account.name}: isVersioningEnabled is {show(values[0])}; set it to true",
                account,
            )


POLICIES = (https_only, min_tls, no_public_blob, shared_key_disabled, blob_soft_delete, blob_versioning)
