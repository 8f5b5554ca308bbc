"""Restricted data (voter file, donor data) is encrypted with a customer-managed key that rotates.

A data store is sensitive when its `data-classification` tag is one of the levels the policy
config marks sensitive (policy.sensitive_classifications; default confidential and restricted). The key is found by
following `propertyDependencies` from the store (or its encryption configuration) to a
key resource of this stack, through a KMS alias if need be.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from policies.context import Context
from policies.controls import checkov, cis_aws, cis_azure
from policies.core import (
    ResourceView,
    Severity,
    StackView,
    Verdict,
    compliant,
    is_unknown,
    stack_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import as_list, classification, is_sensitive, is_true

KMS_KEY = "aws:kms/key:Key"
KMS_ALIAS = "aws:kms/alias:Alias"
AZURE_KEY = "azure-native:keyvault:Key"
AZURE_VAULT = "azure-native:keyvault:Vault"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
KEYED_STORES = {
    "aws:rds/instance:Instance": "kmsKeyId",
    "aws:rds/cluster:Cluster": "kmsKeyId",
    "aws:redshiftserverless/namespace:Namespace": "kmsKeyId",
}
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"


def _aws_keys(stack: StackView, holder: ResourceView, prop: str) -> list[ResourceView]:
    keys: list[ResourceView] = []
    for target in stack.targets(holder, prop):
        if target.type == KMS_KEY:
            keys.append(target)
        elif target.type == KMS_ALIAS:
            keys += [k for k in stack.targets(target, "targetKeyId") if k.type == KMS_KEY]
    return keys


def _aws_verdict(store: ResourceView, keys: list[ResourceView], what: str) -> Verdict:
    if not keys:
        return violation(f"{store.name}: holds {classification(store)} data but {what} is not a customer-managed KMS key of "
                         "this stack, so its rotation cannot be verified; use the restricted classification's key",
                         store)
    rotation = [k.get("enableKeyRotation") for k in keys]
    if any(is_true(v) for v in rotation):
        return compliant(subject=store)
    if any(is_unknown(v) for v in rotation):
        return unknown_until_apply("enableKeyRotation", store)
    return violation(f"{store.name}: holds {classification(store)} data but KMS key {keys[0].name} has enableKeyRotation "
                     f"{rotation[0]!r}; turn rotation on", store)


def _azure_rotates(key: ResourceView) -> bool | None:
    actions = key.get("properties", "rotationPolicy", "lifetimeActions")
    if is_unknown(actions):
        return None
    for item in as_list(actions):
        if isinstance(item, Mapping):
            action = item.get("action")
            if isinstance(action, Mapping) and str(action.get("type", "")).lower() == "rotate":
                return True
    return False


def _azure_keys(stack: StackView, account: ResourceView) -> list[ResourceView]:
    direct = [t for t in stack.targets(account, "encryption") if t.type == AZURE_KEY]
    if direct:
        return direct
    name = account.get("encryption", "keyVaultProperties", "keyName")
    keys: list[ResourceView] = []
    for vault in (t for t in stack.targets(account, "encryption") if t.type == AZURE_VAULT):
        keys += [k for k in stack.dependents(vault.urn, types=[AZURE_KEY], prop="vaultName") if k.get("keyName") == name]
    return keys

RESTRICTED_ONLY = "only keys that encrypt data tagged with a sensitive classification are checked"


@stack_policy(
    name="restricted-data-rotating-cmk",
    description="Encrypt sensitive (by default confidential and restricted) data with a customer-managed key that rotates",
    severity=Severity.critical,
    remediation="Pass the restricted classification's key from the Keys component (kms_key_arn / kms_key_arns, "
    "which rotate); on Azure keep ExportStorageArgs.customer_managed_key_enabled=True with "
    "KeyVault.encryption_key(...) from a vault whose encryption_keys rotate (key_rotation_days).",
    data_protection=True,
    controls=[cis_azure("8.3.9", partial=RESTRICTED_ONLY), cis_aws("4.6", partial=RESTRICTED_ONLY),
        checkov("CKV2_AZURE_1", partial=RESTRICTED_ONLY), checkov("CKV_AWS_7", partial=RESTRICTED_ONLY)],
)
def restricted_rotating_cmk(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    for bucket in stack.of_type(*BUCKETS):
        if not is_sensitive(bucket, ctx):
            continue
        configs = stack.dependents(bucket.urn, types=SSE, prop="bucket")
        keys = [k for c in configs for k in _aws_keys(stack, c, "rules")]
        # pulumi-aws v6 programs and state set the rule inline on the bucket.
        keys += [k for prop in ("serverSideEncryptionConfiguration", "serverSideEncryptionConfigurations")
                 for k in _aws_keys(stack, bucket, prop)]
        yield _aws_verdict(bucket, keys, "its SSE kmsMasterKeyId")
    for type_, prop in KEYED_STORES.items():
        for store in stack.of_type(type_):
            if is_sensitive(store, ctx):
                yield _aws_verdict(store, _aws_keys(stack, store, prop), prop)
    for account in stack.of_type(STORAGE_ACCOUNT):
        if not is_sensitive(account, ctx):
            continue
        source = account.get("encryption", "keySource")
        if is_unknown(source):
            yield unknown_until_apply("encryption.keySource", account)
            continue
        if str(source).lower() != "microsoft.keyvault":
            yield violation(f"storage account {account.name}: holds {classification(account)} data but encryption.keySource is "
                            f"{source!r}; use a customer-managed Key Vault key", account)
            continue
        states = [_azure_rotates(k) for k in _azure_keys(stack, account)]
        if any(s is True for s in states):
            yield compliant(subject=account)
        elif any(s is None for s in states):
            yield unknown_until_apply("the key's rotation policy", account)
        else:
            yield violation(f"storage account {account.name}: its Key Vault key has no rotation policy with a "
                            "'rotate' action (or is not in this stack); add one", account)


POLICIES = (restricted_rotating_cmk,)
