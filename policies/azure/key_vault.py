"""Azure Key Vault. azure-native nests every vault setting under `properties`."""

from __future__ import annotations

from policies.context import Context
from policies.controls import checkov, cis_azure
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
from policies.helpers import is_false, is_true, show

VAULT = "azure-native:keyvault:Vault"

PROD_ONLY = "checked in production only; other tiers are not applicable"


@resource_policy(
    name="azure-key-vault-purge-protection",
    description="Enable purge protection on every Key Vault",
    severity=Severity.high,
    remediation="Set `properties.enable_purge_protection=True` on the Vault in the key vault component; "
    "once on it cannot be turned off.",
    types=[VAULT],
    data_protection=True,
    controls=[cis_azure("8.3.5"), checkov("CKV_AZURE_110")],
)
def purge_protection(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("properties", "enablePurgeProtection")
    if is_unknown(value):
        return unknown_until_apply("properties.enablePurgeProtection")
    # Missing is unsafe: purge protection is off unless asked for.
    if not is_true(value):
        return violation(
            f"key vault {r.name}: properties.enablePurgeProtection is {show(value)}; set it to true"
        )
    return compliant()


@resource_policy(
    name="azure-key-vault-soft-delete-retention",
    description="Keep deleted Key Vault objects recoverable for the environment's soft-delete period",
    severity=Severity.high,
    remediation="Set KeyVaultArgs.soft_delete_retention_days (Vault `properties.soft_delete_retention_in_days`) "
    "to at least protection.soft_delete_retention_days and never set `enable_soft_delete=False`.",
    types=[VAULT],
    data_protection=True,
    controls=[checkov("CKV_AZURE_42"), checkov("CKV_AZURE_111")],
)
def soft_delete_retention(r: ResourceView, ctx: Context) -> Verdict:
    enabled = r.get("properties", "enableSoftDelete")
    days = r.get("properties", "softDeleteRetentionInDays")
    if is_unknown(enabled) or is_unknown(days):
        return unknown_until_apply("properties.softDeleteRetentionInDays")
    if is_false(enabled):
        return violation(f"key vault {r.name}: properties.enableSoftDelete is false; remove it or set it to true")
    # Missing days is safe only as far as the provider default (90) goes.
    effective = 90 if days is None else days
    wanted = ctx.soft_delete_retention_days
    if not isinstance(effective, (int, float)) or effective < wanted:
        return violation(
            f"key vault {r.name}: properties.softDeleteRetentionInDays is {show(days)}, below the "
            f"environment's {wanted} days; set it to at least {wanted}"
        )
    return compliant()


@resource_policy(
    name="azure-key-vault-rbac-authorization",
    description="Authorise Key Vault data access with Azure RBAC, not access policies",
    severity=Severity.medium,
    remediation="Set `properties.enable_rbac_authorization=True` on the Vault in the key vault component "
    "and grant Key Vault roles instead of access policies.",
    types=[VAULT],
    controls=[cis_azure("8.3.6")],
)
def rbac_authorization(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("properties", "enableRbacAuthorization")
    if is_unknown(value):
        return unknown_until_apply("properties.enableRbacAuthorization")
    # Missing is unsafe: the API's default is access policies.
    if not is_true(value):
        return violation(
            f"key vault {r.name}: properties.enableRbacAuthorization is {show(value)}; set it to true"
        )
    return compliant()


@resource_policy(
    name="azure-key-vault-private-in-prod",
    description="Disable public network access to Key Vaults in production",
    severity=Severity.high,
    remediation="Keep KeyVaultArgs.public_network_access_enabled=False (Vault "
    "`properties.public_network_access=\"Disabled\"`) and reach the vault through its private endpoint.",
    types=[VAULT],
    data_protection=True,
    controls=[cis_azure("8.3.7", partial=PROD_ONLY), checkov("CKV_AZURE_189", partial=PROD_ONLY)],
)
def private_in_prod(r: ResourceView, ctx: Context) -> Verdict:
    if not ctx.is_production:
        return not_applicable(f"only production is checked; this is {ctx.tier}")
    value = r.get("properties", "publicNetworkAccess")
    if is_unknown(value):
        return unknown_until_apply("properties.publicNetworkAccess")
    # Missing is unsafe: public access is enabled by default.
    if not (isinstance(value, str) and value.lower() == "disabled"):
        return violation(
            f"key vault {r.name}: properties.publicNetworkAccess is {show(value)} in production; set it to 'Disabled'"
        )
    return compliant()


POLICIES = (purge_protection, soft_delete_retention, rbac_authorization, private_in_prod)
