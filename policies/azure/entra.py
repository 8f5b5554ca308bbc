"""Entra ID (pulumi-azuread): conditional access, app-registration secrets, CI federation."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta

from policies.context import Context
from policies.controls import checkov, cis_m365
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
from policies.helpers import as_list, parse_date, resources_in_use, show

CA_POLICY = "azuread:index/conditionalAccessPolicy:ConditionalAccessPolicy"
APP_PASSWORD = "azuread:index/applicationPassword:ApplicationPassword"
SP_PASSWORD = "azuread:index/servicePrincipalPassword:ServicePrincipalPassword"
FEDERATED = "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential"
FLEXIBLE_FEDERATED = (
    "azuread:index/applicationFlexibleFederatedIdentityCredential:ApplicationFlexibleFederatedIdentityCredential"
)
MAX_PASSWORD_DAYS = 366
"""One year, leap day included."""
_LEGACY_CLIENTS = {"exchangeactivesync", "other"}
_MODERN_CLIENTS = {"browser", "mobileappsanddesktopclients"}


def _lower(values: object) -> set[str]:
    return {str(v).lower() for v in as_list(values)}


def _targets_everyone(p: ResourceView) -> bool:
    return "all" in _lower(p.get("conditions", "users", "includedUsers")) and "all" in _lower(
        p.get("conditions", "applications", "includedApplications")
    )


def _enabled(p: ResourceView) -> bool:
    return str(p.get("state") or "").lower() == "enabled"


def _requires_mfa(p: ResourceView) -> bool:
    strength = p.get("grantControls", "authenticationStrengthPolicyId")
    return "mfa" in _lower(p.get("grantControls", "builtInControls")) or (isinstance(strength, str) and bool(strength))


def _clients_left_out(p: ResourceView) -> list[str]:
    """Modern client app types an MFA policy does not cover (a legacy-only policy covers no sign-in users make)."""
    clients = _lower(p.get("conditions", "clientAppTypes"))
    if "all" in clients:
        return []
    return sorted(c for c in _MODERN_CLIENTS if c not in clients)


def _mfa_for_everyone(p: ResourceView) -> bool:
    return _requires_mfa(p) and not _clients_left_out(p)


def _blocks_legacy(p: ResourceView) -> bool:
    clients = _lower(p.get("conditions", "clientAppTypes"))
    return "block" in _lower(p.get("grantControls", "builtInControls")) and (
        "all" in clients or clients >= _LEGACY_CLIENTS
    )


def _ca_check(stack: StackView, ctx: Context, wanted, what: str, fix: str) -> Iterator[Verdict]:
    if ctx.tenant_owner is False:
        yield not_applicable("conditional access is tenant-wide: the tenant stack declares it")
        return
    if "azure" not in resources_in_use(stack, ctx.clouds):
        yield not_applicable("this environment does not use Azure or Entra ID")
        return
    policies = stack.of_type(CA_POLICY)
    matching = [p for p in policies if _enabled(p) and _targets_everyone(p) and wanted(p)]
    if matching:
        for p in matching:
            yield compliant(subject=p)
        return
    if any(contains_unknown(p.props.get(k)) for p in policies for k in ("state", "conditions", "grantControls")):
        yield unknown_until_apply(f"the conditional access policy that should {what}")
        return
    # A policy that has the control but whose client app types leave users out is the finding.
    partial = [p for p in policies if _enabled(p) and _targets_everyone(p) and _requires_mfa(p)
               and _clients_left_out(p)] if wanted is _mfa_for_everyone else []
    near = [p for p in policies if _targets_everyone(p) and wanted(p)]
    if partial:
        p = partial[0]
        yield violation(
            f"conditional access policy {p.get('displayName') or p.name}: conditions.clientAppTypes is "
            f"{show(p.get('conditions', 'clientAppTypes'))}, so sign-ins from "
            f"{' and '.join(_clients_left_out(p))} need no MFA; set clientAppTypes to ['all']",
            p,
        )
    elif near:
        p = near[0]
        yield violation(
            f"conditional access policy {p.get('displayName') or p.name}: state is {show(p.get('state'))}; "
            f"set it to 'enabled' so that it {what}",
            p,
        )
    else:
        yield violation(f"no enabled conditional access policy for all users and all applications {what}; {fix}")


@stack_policy(
    name="entra-mfa-for-all-users",
    description="Require multi-factor authentication for all users with an enabled conditional access policy",
    severity=Severity.critical,
    remediation="Keep EntraIdentityArgs.conditional_access_report_only=False so the MFA policy (included_users "
    "['All'], included_applications ['All'], built_in_controls ['mfa']) is 'enabled'; exclude only "
    "identity.break_glass_object_ids.",
    controls=[cis_m365("5.2.2.2")],
)
def mfa_for_all(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    yield from _ca_check(stack, ctx, _mfa_for_everyone, "requires MFA",
                         "add one with grant control 'mfa' and state 'enabled'")


@stack_policy(
    name="entra-block-legacy-authentication",
    description="Block legacy authentication protocols for all users with an enabled conditional access policy",
    severity=Severity.high,
    remediation="Keep EntraIdentityArgs.conditional_access_report_only=False so the legacy-auth policy "
    "(client_app_types ['exchangeActiveSync', 'other'], built_in_controls ['block'], all users) is 'enabled'.",
    controls=[cis_m365("5.2.2.3")],
)
def block_legacy(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    yield from _ca_check(stack, ctx, _blocks_legacy, "blocks legacy authentication",
                         "add one for client app types exchangeActiveSync and other with grant control 'block'")


_HOURS = re.compile(r"^(\d+)h")


@resource_policy(
    name="entra-app-password-max-one-year",
    description="Limit app registration and service principal passwords to one year",
    severity=Severity.high,
    remediation="Set `end_date` on the ApplicationPassword at most one year after its start (the identity "
    "component's `password_lifetime_days` <= 365); prefer federated credentials.",
    types=[APP_PASSWORD, SP_PASSWORD],
)
def app_password_lifetime(r: ResourceView, ctx: Context) -> Verdict:
    end, start, relative = r.get("endDate"), r.get("startDate"), r.get("endDateRelative")
    if is_unknown(end) or is_unknown(start) or is_unknown(relative):
        return unknown_until_apply("endDate")
    begin = parse_date(start) or ctx.today
    if isinstance(relative, str) and (m := _HOURS.match(relative)):
        days = int(m.group(1)) / 24
        if days > MAX_PASSWORD_DAYS:
            return violation(f"password {r.name}: endDateRelative is {show(relative)} ({days:.0f} days); "
                             "use at most 8760h (one year)")
        return compliant()
    until = parse_date(end)
    if until is None:
        # Missing is unsafe: the provider's default lifetime is two years.
        return violation(f"password {r.name}: endDate is not set, so it lives two years; set it at most one year out")
    if until - begin > timedelta(days=MAX_PASSWORD_DAYS):
        return violation(
            f"password {r.name}: endDate is {until.isoformat()}, {(until - begin).days} days after "
            f"{begin.isoformat()}; set it at most one year out ({(begin + timedelta(days=365)).isoformat()})"
        )
    return compliant()


@resource_policy(
    name="entra-federated-credential-no-wildcard",
    description="Pin every federated identity credential to one exact subject, never a wildcard",
    severity=Severity.critical,
    remediation="Set `subject` to the exact 'repo:<owner>/<repo>:environment:<env>' in the CI federation "
    "component (from identity.github_repository); never use '*'.",
    types=[FEDERATED, FLEXIBLE_FEDERATED],
    controls=[checkov("CKV_AZURE_249")],
)
def federated_no_wildcard(r: ResourceView, ctx: Context) -> Verdict:
    if r.type == FLEXIBLE_FEDERATED:
        expr = r.get("claimsMatchingExpression", "value")
        if is_unknown(expr):
            return unknown_until_apply("claimsMatchingExpression.value")
        if "*" in str(expr or ""):
            return violation(f"federated credential {r.name}: claimsMatchingExpression {show(expr)} has a wildcard; "
                             "match one exact subject")
        return compliant()
    subject = r.get("subject")
    if is_unknown(subject):
        return unknown_until_apply("subject")
    if not isinstance(subject, str) or not subject or "*" in subject:
        return violation(f"federated credential {r.name}: subject is {show(subject)}; "
                         "pin it to one repository and environment without '*'")
    return compliant()


TENANT_WIDE = (
    CA_POLICY,
    "azuread:index/namedLocation:NamedLocation",
    "azuread:index/authenticationStrengthPolicy:AuthenticationStrengthPolicy",
    "azure-native:aadiam:DiagnosticSetting",
    "azure-native:securityinsights:OfficeDataConnector",
    "azuread:index/group:Group",
    "azuread:index/groupMember:GroupMember",
    "azuread:index/accessPackageCatalog:AccessPackageCatalog",
    "azuread:index/accessPackage:AccessPackage",
    "azuread:index/accessPackageAssignmentPolicy:AccessPackageAssignmentPolicy",
)
"""Resources that exist once per Entra tenant (the Office 365 connector reads the whole tenant's activity).
Groups and access packages too: writing them takes tenant-wide Graph rights, so an environment stack that
declares one needs a deploy identity that could change every other environment's groups."""


@stack_policy(
    name="entra-tenant-resources-single-owner",
    description="Create conditional access, named locations, authentication strengths, tenant diagnostic "
    "settings, the Office 365 connector, Entra groups and access packages only in the tenant stack",
    severity=Severity.critical,
    remediation="Move the resource to the tenant stack (stacks/Pulumi.tenant.yaml, components/azure/tenant.py; "
    "vendor groups and packages: components/platform/tenant.py declares them per owned environment); "
    "an environment stack that copies a tenant-wide policy can lock out the break-glass accounts or send "
    "tenant logs to a lower environment, and one that writes groups needs Graph rights over every environment's.",
)
def tenant_resources_single_owner(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    found = stack.of_type(*TENANT_WIDE)
    if ctx.tenant_owner is None:
        yield not_applicable("not an environment of this project: who owns the tenant is unknown")
        return
    if ctx.tenant_owner:
        for r in found:
            yield compliant(subject=r)
        if not found:
            yield compliant()
        return
    if not found:
        yield compliant()
    for r in found:
        yield violation(f"{r.name}: {r.type.split(':')[-1]} is tenant-wide but declared by environment "
                        f"{ctx.environment}; declare it once, in the tenant stack", r)


def _excluded_users(p: ResourceView) -> set[str]:
    return {str(u).lower() for u in as_list(p.get("conditions", "users", "excludedUsers"))}


@stack_policy(
    name="entra-break-glass-excluded",
    description="Keep every break-glass account out of every conditional access policy that is not disabled",
    severity=Severity.critical,
    remediation="Keep identity.break_glass_object_ids in the tenant stack; EntraTenant puts that one list in "
    "conditions.users.excluded_users of every policy it creates.",
)
def break_glass_excluded(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    policies = [p for p in stack.of_type(CA_POLICY) if str(p.get("state") or "").lower() != "disabled"]
    if not ctx.break_glass_object_ids:
        yield not_applicable("no break-glass accounts are declared for this stack")
        return
    if not policies:
        yield not_applicable("no conditional access policies in this stack")
        return
    wanted = {i.lower() for i in ctx.break_glass_object_ids}
    for p in policies:
        excluded = p.get("conditions", "users", "excludedUsers")
        if contains_unknown(excluded):
            yield unknown_until_apply("conditions.users.excludedUsers", p)
            continue
        missing = sorted(wanted - _excluded_users(p))
        if missing:
            yield violation(f"conditional access policy {p.name}: excludedUsers lacks break-glass account(s) "
                            f"{', '.join(missing)}; exclude every account in identity.break_glass_object_ids", p)
        else:
            yield compliant(subject=p)


GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"


def _baseline(stack: StackView, ctx: Context, wanted, what: str, fix: str) -> Iterator[Verdict]:
    """One enabled policy in the tenant stack must do `what`; environments are judged by the single-owner check."""
    if not ctx.tenant_owner:
        yield not_applicable("conditional access is judged in the tenant stack")
        return
    policies = stack.of_type(CA_POLICY)
    if any(contains_unknown(p.props.get(k)) for p in policies for k in ("state", "conditions", "grantControls")):
        yield unknown_until_apply(f"the conditional access policy that should {what}")
        return
    matching = [p for p in policies if _enabled(p) and wanted(p)]
    if matching:
        for p in matching:
            yield compliant(subject=p)
        return
    near = [p for p in policies if wanted(p)]
    if near:
        yield violation(f"conditional access policy {near[0].name}: state is {show(near[0].get('state'))}; set it to "
                        f"'enabled' so that it {what}", near[0])
        return
    yield violation(f"no enabled conditional access policy {what}; {fix}")


def _admins_phishing_resistant(p: ResourceView) -> bool:
    strength = p.get("grantControls", "authenticationStrengthPolicyId")
    return GLOBAL_ADMIN in _lower(p.get("conditions", "users", "includedRoles")) and isinstance(strength, str) and bool(strength)


def _blocks_device_code(p: ResourceView) -> bool:
    return ("devicecodeflow" in _lower(p.get("conditions", "authenticationFlowTransferMethods"))
            and "block" in _lower(p.get("grantControls", "builtInControls"))
            and "all" in _lower(p.get("conditions", "users", "includedUsers")))  # fmt: skip


def _guests_mfa_session(p: ResourceView) -> bool:
    guests = p.get("conditions", "users", "includedGuestsOrExternalUsers")
    return bool(as_list(guests)) and "mfa" in _lower(p.get("grantControls", "builtInControls")) and bool(
        p.get("sessionControls", "signInFrequency"))


@stack_policy(
    name="entra-admins-phishing-resistant",
    description="Require a phishing-resistant authentication strength of administrators on every sign-in",
    severity=Severity.critical,
    remediation="Keep EntraTenant's admins-phishing-resistant policy (components/azure/tenant.py): admin roles and "
    "the privileged groups, grant authentication_strength_policy_id = the built-in phishing-resistant strength.",
)
def admins_phishing_resistant(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    yield from _baseline(stack, ctx, _admins_phishing_resistant, "requires phishing-resistant authentication of admins",
                         "add one for the admin roles with an authentication strength grant")


@stack_policy(
    name="entra-block-device-code-flow",
    description="Block the device code flow for all users with an enabled conditional access policy",
    severity=Severity.high,
    remediation="Keep EntraTenant's block-device-code-flow policy: conditions.authentication_flow_transfer_methods "
    "['deviceCodeFlow'], all users, grant 'block'.",
)
def block_device_code(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    yield from _baseline(stack, ctx, _blocks_device_code, "blocks the device code flow",
                         "add one with authentication flow transfer method deviceCodeFlow and grant 'block'")


@stack_policy(
    name="entra-guests-mfa-session",
    description="Require MFA and a sign-in frequency of guests and vendors",
    severity=Severity.high,
    remediation="Keep EntraTenant's guests-mfa-session policy (tenant.conditional_access.guest_session_hours).",
)
def guests_mfa_session(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    yield from _baseline(stack, ctx, _guests_mfa_session, "requires MFA and short sessions of guests",
                         "add one for guests and external users with grant 'mfa' and a sign-in frequency")


def _admins_us_only(p: ResourceView) -> bool:
    return (GLOBAL_ADMIN in _lower(p.get("conditions", "users", "includedRoles"))
            and "block" in _lower(p.get("grantControls", "builtInControls"))
            and "all" in _lower(p.get("conditions", "locations", "includedLocations"))
            and bool(as_list(p.get("conditions", "locations", "excludedLocations"))))  # fmt: skip


def _sign_in_risk(p: ResourceView) -> bool:
    return {"medium", "high"} <= _lower(p.get("conditions", "signInRiskLevels")) and bool(
        _lower(p.get("grantControls", "builtInControls")) & {"mfa", "block"})


def _user_risk(p: ResourceView) -> bool:
    return "high" in _lower(p.get("conditions", "userRiskLevels")) and "passwordchange" in _lower(
        p.get("grantControls", "builtInControls"))


@stack_policy(
    name="entra-switched-baseline-present",
    description="Keep the conditional access controls the tenant stack switches on: US-only admin sign-in, "
    "sign-in and user risk policies",
    severity=Severity.high,
    remediation="With tenant.conditional_access.admin_us_only, keep EntraTenant's admins-us-only policy (block "
    "outside the US named location); with risk_policies_enabled (Entra ID P2), keep sign-in-risk (medium+ MFA) "
    "and user-risk (high: MFA and password change).",
)
def switched_baseline(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    wanted = {"admin-us-only": [(_admins_us_only, "blocks admin sign-in from outside the allowed locations")],
              "risk-policies": [(_sign_in_risk, "requires MFA at medium or high sign-in risk"),
                                (_user_risk, "requires a secure password change at high user risk")]}  # fmt: skip
    checks = [c for switch in ctx.conditional_access_switches for c in wanted.get(switch, [])]
    if not ctx.tenant_owner or not checks:
        yield not_applicable("no switched-on conditional access controls for this stack")
        return
    for check, what in checks:
        yield from _baseline(stack, ctx, check, what, "add it back in components/azure/tenant.py")


POLICIES = (mfa_for_all, block_legacy, app_password_lifetime, federated_no_wildcard, tenant_resources_single_owner,
            break_glass_excluded, admins_phishing_resistant, block_device_code, guests_mfa_session, switched_baseline)
