"""Azure exposure and hygiene: public blob containers, infrastructure encryption for sensitive data,
security workspaces without Sentinel, VM password sign-in, AKS public API servers, secrets in
App Service settings, and Key Vault secrets and keys that never expire."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from policies.context import Context
from policies.controls import checkov, cis_azure
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
from policies.helpers import (
    ANYWHERE_V4,
    ANYWHERE_V6,
    as_list,
    classification,
    is_false,
    is_true,
    show,
)
from policies.secret_names import secret_setting

BLOB_CONTAINER = "azure-native:storage:BlobContainer"
STORAGE_ACCOUNT = "azure-native:storage:StorageAccount"


@resource_policy(
    name="azure-blob-container-private",
    description="Allow no anonymous access to blob containers",
    severity=Severity.critical,
    remediation="Set public_access 'None' on the storage.BlobContainer (and keep allow_blob_public_access False "
    "on its account); share data through SAS-free Entra roles or the partner share instead.",
    types=[BLOB_CONTAINER],
    controls=[checkov("CKV_AZURE_34")],
    data_protection=True,
)
def container_private(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("publicAccess")
    if is_unknown(value):
        return unknown_until_apply("publicAccess")
    # Missing is safe: the service default is None.
    if value is not None and str(value).lower() != "none":
        return violation(f"blob container {r.name}: publicAccess is {show(value)}, so anyone may read its blobs; "
                         "set it to 'None'")
    return compliant()


@resource_policy(
    name="azure-storage-infrastructure-encryption-for-sensitive-data",
    description="Encrypt storage accounts holding sensitive data twice, with infrastructure encryption",
    severity=Severity.high,
    remediation="Set encryption.require_infrastructure_encryption True on the StorageAccount (the storage component "
    "does so for every account); it can only be chosen when the account is created.",
    types=[STORAGE_ACCOUNT],
    data_protection=True,
)
def infrastructure_encryption(r: ResourceView, ctx: Context) -> Verdict:
    level = classification(r)
    if not ctx.is_sensitive(level):
        return not_applicable(f"classification {level!r} is not one policy.sensitive_classifications lists")
    value = r.get("encryption", "requireInfrastructureEncryption")
    if is_unknown(value):
        return unknown_until_apply("encryption.requireInfrastructureEncryption")
    if not is_true(value):
        return violation(f"storage account {r.name}: holds {level} data but encryption.requireInfrastructureEncryption "
                         f"is {show(value)}; recreate it with true")
    return compliant()


WORKSPACE = "azure-native:operationalinsights:Workspace"
ENTRA_DIAGNOSTICS = "azure-native:aadiam:DiagnosticSetting"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
SENTINEL = "azure-native:securityinsights:SentinelOnboardingState"
SOLUTION = "azure-native:operationsmanagement:Solution"


def _security_sources(stack: StackView, ws: ResourceView) -> list[str]:
    """What makes a workspace a security workspace: Entra sign-in/audit logs or the subscription's activity log."""
    found = [f"Entra ID logs ({d.name})" for d in stack.dependents(ws.urn, types=[ENTRA_DIAGNOSTICS], prop="workspaceId")]
    for d in stack.dependents(ws.urn, types=[DIAGNOSTIC_SETTING], prop="workspaceId"):
        uri = d.get("resourceUri")
        if isinstance(uri, str) and uri.startswith("/subscriptions/") and "/providers/" not in uri.lower():
            found.append(f"the activity log ({d.name})")
    return found


def _has_sentinel(stack: StackView, ws: ResourceView) -> bool:
    if stack.dependents(ws.urn, types=[SENTINEL], prop="workspaceName"):
        return True
    for s in stack.dependents(ws.urn, types=[SOLUTION]):
        product = s.get("plan", "product")
        if isinstance(product, str) and product.lower().endswith("securityinsights"):
            return True
    return False


@stack_policy(
    name="azure-security-logs-in-sentinel",
    description="Turn on Microsoft Sentinel for every production Log Analytics workspace that holds Entra ID or activity logs",
    severity=Severity.medium,
    remediation="Keep m365.sentinel_enabled True: the security monitoring component onboards the workspace "
    "(securityinsights.SentinelOnboardingState) that receives the Entra ID and activity logs.",
)
def security_logs_in_sentinel(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    for ws in stack.of_type(WORKSPACE):
        sources = _security_sources(stack, ws)
        if not ctx.is_production:
            # outside production, Sentinel's cost is the environment's visible choice (m365.sentinel_enabled)
            yield not_applicable("Sentinel is required of production workspaces only", ws)
        elif not sources:
            yield not_applicable("no Entra ID or activity logs are sent here", ws)
        elif _has_sentinel(stack, ws):
            yield compliant(f"receives {', '.join(sources)} and Sentinel is on", ws)
        else:
            yield violation(f"log analytics workspace {ws.name}: receives {', '.join(sources)} but no Sentinel "
                            "onboarding depends on it, so nobody is alerted; onboard it to Sentinel", ws)


VM = "azure-native:compute:VirtualMachine"
SCALE_SET = "azure-native:compute:VirtualMachineScaleSet"


@resource_policy(
    name="azure-vm-no-password-auth",
    description="Sign in to Linux virtual machines with SSH keys only, never passwords",
    severity=Severity.high,
    remediation="Set os_profile.linux_configuration.disable_password_authentication True with ssh.public_keys, "
    "and drop admin_password; reach machines through Bastion.",
    types=[VM, SCALE_SET],
    controls=[checkov("CKV_AZURE_149"), checkov("CKV_AZURE_178")],
)
def vm_password(r: ResourceView, ctx: Context) -> Verdict:
    base = ("osProfile",) if r.type == VM else ("virtualMachineProfile", "osProfile")
    profile = r.get(*base)
    if contains_unknown(profile):
        return unknown_until_apply(".".join(base))
    if not isinstance(profile, Mapping):
        return not_applicable("no OS profile (an attached disk or a specialised image)")
    if profile.get("windowsConfiguration") is not None and profile.get("linuxConfiguration") is None:
        return not_applicable("Windows machines sign in with passwords; RDP exposure is checked by the NSG policy")
    disabled = r.get(*base, "linuxConfiguration", "disablePasswordAuthentication")
    # Missing is unsafe: password authentication is allowed unless disabled.
    if not is_true(disabled):
        return violation(f"virtual machine {r.name}: {'.'.join(base)}.linuxConfiguration.disablePasswordAuthentication "
                         f"is {show(disabled)}; set it to true and use SSH keys")
    return compliant()


AKS = "azure-native:containerservice:ManagedCluster"


@resource_policy(
    name="azure-aks-private-api",
    description="Keep the AKS API server private, or open only to authorised IP ranges",
    severity=Severity.high,
    remediation="Set api_server_access_profile.enable_private_cluster True, or list the office and CI ranges in "
    "api_server_access_profile.authorized_ip_ranges.",
    types=[AKS],
    controls=[checkov("CKV_AZURE_6"), checkov("CKV_AZURE_115", partial="authorised ranges pass without a private cluster")],
)
def aks_api(r: ResourceView, ctx: Context) -> Verdict:
    profile = r.get("apiServerAccessProfile")
    if contains_unknown(profile):
        return unknown_until_apply("apiServerAccessProfile")
    if is_true(r.get("apiServerAccessProfile", "enablePrivateCluster")):
        return compliant()
    ranges = [str(x) for x in as_list(r.get("apiServerAccessProfile", "authorizedIPRanges"))]
    if not ranges or any(x in ANYWHERE_V4 or x in ANYWHERE_V6 for x in ranges):
        return violation(f"AKS cluster {r.name}: the API server is public and apiServerAccessProfile.authorizedIPRanges "
                         f"is {show(ranges or None)}; make it private or list the allowed ranges")
    return compliant()


WEB_APP = "azure-native:web:WebApp"
WEB_APP_SLOT = "azure-native:web:WebAppSlot"
APP_SETTINGS = ("azure-native:web:WebAppApplicationSettings", "azure-native:web:WebAppApplicationSettingsSlot")


def _settings(r: ResourceView) -> list[tuple[str, object]] | None:
    """(name, value) pairs of an app's settings; None when unknown."""
    if r.type in APP_SETTINGS:
        props = r.get("properties")
        if is_unknown(props):
            return None
        return list(props.items()) if isinstance(props, Mapping) else []
    items = r.get("siteConfig", "appSettings")
    if is_unknown(items):
        return None
    pairs = []
    for item in as_list(items):
        if isinstance(item, Mapping):
            pairs.append((str(item.get("name") or ""), item.get("value")))
    return pairs


@resource_policy(
    name="azure-app-settings-no-secrets",
    description="Keep passwords, tokens, keys and connection strings out of App Service and Function app settings",
    severity=Severity.high,
    remediation="Put the value in Key Vault and set the app setting to a Key Vault reference "
    "(@Microsoft.KeyVault(SecretUri=...)); the app's managed identity reads it.",
    types=[WEB_APP, WEB_APP_SLOT, *APP_SETTINGS],
    data_protection=True,
)
def app_settings(r: ResourceView, ctx: Context) -> Iterator[Verdict]:
    pairs = _settings(r)
    if pairs is None:
        yield unknown_until_apply("the app settings")
        return
    found = False
    for name, value in sorted(pairs, key=lambda p: p[0]):
        why = secret_setting(name, value)
        if why:
            found = True
            yield violation(f"app {r.name}: setting {name} holds a secret in plain text ({why}); use a Key Vault "
                            "reference")
    if not found:
        yield compliant()


KV_SECRET = "azure-native:keyvault:Secret"
KV_KEY = "azure-native:keyvault:Key"


@resource_policy(
    name="azure-key-vault-secret-and-key-expiry",
    description="Set an expiry on every Key Vault secret and key",
    severity=Severity.medium,
    remediation="Set properties.attributes.expires on the keyvault.Secret; for keys set it, or give the rotation "
    "policy an expiry_time (the key vault component's key_expiry_days).",
    types=[KV_SECRET, KV_KEY],
    controls=[cis_azure("8.3.1"), cis_azure("8.3.2"), cis_azure("8.3.3"), cis_azure("8.3.4"),
              checkov("CKV_AZURE_40"), checkov("CKV_AZURE_41")],
)
def vault_expiry(r: ResourceView, ctx: Context) -> Verdict:
    expires = r.get("properties", "attributes", "expires")
    policy_expiry = r.get("properties", "rotationPolicy", "attributes", "expiryTime") if r.type == KV_KEY else None
    if is_unknown(expires) or is_unknown(policy_expiry):
        return unknown_until_apply("properties.attributes.expires")
    if isinstance(expires, (int, float)) and not is_false(expires) and expires > 0:
        return compliant()
    if isinstance(policy_expiry, str) and policy_expiry:
        return compliant(f"its rotation policy expires each version after {policy_expiry}")
    kind = "secret" if r.type == KV_SECRET else "key"
    return violation(f"key vault {kind} {r.name}: properties.attributes.expires is not set, so it never expires; "
                     "set an expiry date" + (" or a rotation policy expiryTime" if kind == "key" else ""))


POLICIES = (container_private, infrastructure_encryption, security_logs_in_sentinel, vm_password, aks_api,
            app_settings, vault_expiry)
