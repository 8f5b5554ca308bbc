"""Azure logging and security: workspace retention, diagnostic settings, Defender plans, and
who may hold Owner or User Access Administrator."""

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
    is_unknown,
    not_applicable,
    resource_policy,
    stack_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import as_list, is_true, resources_in_use, show

WORKSPACE = "azure-native:operationalinsights:Workspace"
DIAGNOSTIC_SETTING = "azure-native:monitor:DiagnosticSetting"
PRICING = "azure-native:security:Pricing"
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"

DIAGNOSABLE = (
    "azure-native:keyvault:Vault",
    "azure-native:storage:StorageAccount",
    "azure-native:cognitiveservices:Account",
    "azure-native:web:WebApp",
)
"""Resources whose logs the security team needs; each must send them to a workspace."""

OWNER = "8e3af657-a8ff-443c-a75c-2fe8c4bcb635"
USER_ACCESS_ADMINISTRATOR = "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9"
PRIVILEGED_ROLES = {OWNER: "Owner", USER_ACCESS_ADMINISTRATOR: "User Access Administrator"}
_EXTERNAL_WORDS = ("vendor", "partner", "guest", "external", "contractor")

DEFENDER_CHOSEN = "only the plans chosen in m365.defender_plans are checked"


@resource_policy(
    name="azure-log-analytics-retention",
    description="Keep Log Analytics data for at least the environment's log retention period",
    severity=Severity.medium,
    remediation="Set `retention_in_days` on the Workspace (the core component's `log_retention_days`, "
    "from protection.log_retention_days).",
    types=[WORKSPACE],
    data_protection=True,
)
def log_retention(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("retentionInDays")
    if is_unknown(value):
        return unknown_until_apply("retentionInDays")
    effective = 30 if value is None else value  # the service default
    wanted = ctx.log_retention_days
    if not isinstance(effective, (int, float)) or effective < wanted:
        return violation(
            f"log analytics workspace {r.name}: retentionInDays is {show(value)}, below the {ctx.tier} "
            f"environment's {wanted} days; set it to at least {wanted}"
        )
    return compliant()


def _sends_somewhere(ds: ResourceView) -> bool | None:
    dest = [ds.get(k) for k in ("workspaceId", "storageAccountId", "eventHubAuthorizationRuleId", "marketplacePartnerId")]
    if any(is_unknown(d) for d in dest):
        return None
    if not any(isinstance(d, str) and d for d in dest):
        return False
    enabled = [
        item.get("enabled")
        for key in ("logs", "metrics")
        for item in as_list(ds.get(key))
        if isinstance(item, Mapping)
    ]
    if any(is_unknown(e) for e in enabled):
        return None
    return any(is_true(e) for e in enabled)


@stack_policy(
    name="azure-diagnostic-settings",
    description="Send the logs of Key Vaults, storage accounts, AI accounts and web apps to a workspace",
    severity=Severity.medium,
    remediation="Add a DiagnosticSetting (the component's `diagnostic_settings`, workspace from the core "
    "component) whose resource_uri is the resource's id, with at least one log or metric enabled.",
    controls=[cis_azure("6.1.1.4", partial="any diagnostic setting with a log or metric enabled passes; Key Vault AuditEvent logging is not required as such",
                  scope=("azure-native:keyvault:Vault",)),
        cis_azure("6.1.4", partial="covers Key Vaults, storage accounts, AI accounts and web apps only, and a metrics-only setting passes")],
)
def diagnostic_settings(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    for r in stack.of_type(*DIAGNOSABLE):
        settings = stack.dependents(r.urn, types=[DIAGNOSTIC_SETTING], prop="resourceUri")
        states = [_sends_somewhere(ds) for ds in settings]
        if any(s is True for s in states):
            yield compliant(subject=r)
        elif any(s is None for s in states):
            yield unknown_until_apply("the diagnostic setting's destination", r)
        elif settings:
            yield violation(
                f"{r.type.split(':')[-1]} {r.name}: its diagnostic setting sends nothing (no destination or "
                "nothing enabled); enable allLogs to the workspace",
                r,
            )
        else:
            yield violation(
                f"{r.type.split(':')[-1]} {r.name}: no DiagnosticSetting has resourceUri depending on it; "
                "add one that sends allLogs to the workspace",
                r,
            )


def _plan_name(p: ResourceView) -> str | None:
    for key in ("pricingName", "name"):
        value = p.get(key)
        if isinstance(value, str) and not is_unknown(value):
            return value
    return None


@stack_policy(
    name="azure-defender-plans",
    description="Turn on every Microsoft Defender for Cloud plan the environment chooses, at the Standard tier",
    severity=Severity.high,
    remediation="List the plans in m365.defender_plans; the security component creates one Pricing per plan "
    "with `pricing_tier=\"Standard\"`.",
    controls=[cis_azure("8.1.6.1", partial=DEFENDER_CHOSEN), cis_azure("8.1.5.1", partial=DEFENDER_CHOSEN),
        cis_azure("8.1.8.1", partial=DEFENDER_CHOSEN), cis_azure("8.1.9.1", partial=DEFENDER_CHOSEN),
        checkov("CKV_AZURE_61", partial=DEFENDER_CHOSEN), checkov("CKV_AZURE_84", partial=DEFENDER_CHOSEN),
        checkov("CKV_AZURE_87", partial=DEFENDER_CHOSEN), checkov("CKV_AZURE_234", partial=DEFENDER_CHOSEN)],
)
def defender_plans(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    if ctx.tenant_owner:
        yield not_applicable("the tenant stack holds no workloads; each environment sets its Defender plans")
        return
    if "azure" not in resources_in_use(stack, ctx.clouds):
        yield not_applicable("this environment does not use Azure")
        return
    pricings = stack.of_type(PRICING)
    for p in pricings:
        tier = p.get("pricingTier")
        if is_unknown(tier):
            yield unknown_until_apply("pricingTier", p)
        elif str(tier).lower() != "standard":
            yield violation(f"defender plan {_plan_name(p) or '?'} ({p.name}): pricingTier is {show(tier)}; set it to 'Standard'", p)
        else:
            yield compliant(subject=p)
    on = {(_plan_name(p) or "").lower() for p in pricings if str(p.get("pricingTier")).lower() == "standard"}
    if ctx.defender_plans is not None:
        missing = [plan for plan in ctx.defender_plans if plan.lower() not in on]
        if missing and not any(_plan_name(p) is None for p in pricings):
            yield violation(
                f"Defender plans {', '.join(missing)} are chosen for {ctx.environment} but no Pricing turns them on; "
                "the security component must create a Standard Pricing for each"
            )
    elif not pricings:
        yield violation("no Defender for Cloud plan is on in a stack that uses Azure; add Standard Pricings")


def _role_guid(role_definition_id: str) -> str:
    return role_definition_id.rstrip("/").rsplit("/", 1)[-1].lower()


def _external_principal(principal: ResourceView) -> str | None:
    """Why a principal defined in this stack is a guest or a vendor group, or None."""
    if principal.type == "azuread:index/invitation:Invitation":
        return "a guest invitation"
    if principal.type == "azuread:index/user:User":
        kind = principal.get("userType")
        if isinstance(kind, str) and kind.lower() == "guest":
            return "a guest user"
    if principal.type == "azuread:index/group:Group":
        label = " ".join(str(principal.get(k) or "") for k in ("displayName", "description")) + " " + principal.name
        for word in _EXTERNAL_WORDS:
            if word in label.lower():
                return f"group {principal.get('displayName') or principal.name} (a {word} group)"
    return None


@stack_policy(
    name="azure-no-privileged-roles-for-external",
    description="Grant Owner or User Access Administrator to no guest, vendor or partner principal",
    severity=Severity.critical,
    remediation="Give vendors only the read roles in vendors[].azure_roles (Reader, Log Analytics Reader, "
    "Storage Blob Data Reader); remove the RoleAssignment.",
)
def no_privileged_roles_for_external(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    for ra in stack.of_type(ROLE_ASSIGNMENT):
        role = ra.get("roleDefinitionId")
        if is_unknown(role):
            yield unknown_until_apply("roleDefinitionId", ra)
            continue
        role_name = PRIVILEGED_ROLES.get(_role_guid(str(role or "")))
        if role_name is None:
            yield compliant("grants neither Owner nor User Access Administrator", ra)
            continue
        if str(ra.get("principalType") or "").lower() == "foreigngroup":
            yield violation(f"role assignment {ra.name}: grants {role_name} to a foreign (external) group; remove it", ra)
            continue
        principals = stack.targets(ra, "principalId")
        reasons = [why for p in principals if (why := _external_principal(p))]
        if reasons:
            yield violation(
                f"role assignment {ra.name}: grants {role_name} to {reasons[0]}; remove it and use a read role",
                ra,
            )
        elif principals:
            yield compliant(subject=ra)
        else:
            yield not_applicable("the principal is not defined in this stack", ra)


POLICIES = (log_retention, diagnostic_settings, defender_plans, no_privileged_roles_for_external)
