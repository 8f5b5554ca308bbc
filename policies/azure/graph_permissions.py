"""Microsoft Graph application permissions an app registration may request, read as a thief would.

An application permission (`type: Role` under Microsoft Graph's app id) works without a user,
tenant-wide, for whoever holds the app's token. The platform's apps request only what their
job needs, and this table is the one list of it: the components request from it and the
policy judges against it. Granting is an administrator's consent (docs/runbooks/bootstrap.md).
"""

from __future__ import annotations

from collections.abc import Mapping

from policies.context import Context
from policies.core import (
    ResourceView,
    Severity,
    Verdict,
    compliant,
    contains_unknown,
    resource_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import as_list

APPLICATION = "azuread:index/application:Application"
GRAPH_APP_ID = "00000003-0000-0000-c000-000000000000"
"""Microsoft Graph's application id, the same in every tenant."""

GRAPH_ROLE_IDS: dict[str, str] = {
    "Policy.Read.All": "246dd0d5-5bd0-4def-940b-0421030a5b68",
    "Group.Read.All": "5b567255-7703-4780-807c-7be8301ae99b",
    "Application.Read.All": "9a5d68dd-52b0-4cc2-bd40-abcf44ac3a30",
    "EntitlementManagement.Read.All": "c74fd47d-ed3c-45c3-9a9e-b8676de685d2",
    "Application.ReadWrite.OwnedBy": "18a4783c-866b-4cc7-a460-3d5e5662c884",
}
"""App role ids of Microsoft Graph's application permissions the platform requests (checked against the
published permissions reference; `az ad sp show --id 00000003-0000-0000-c000-000000000000 --query
"appRoles[?value=='<name>'].id"` shows the same in any tenant)."""

ALLOWED_BY_SUFFIX: dict[str, tuple[str, ...]] = {
    # Longest suffix first: '-tenant-ci-plan' also ends with '-ci-plan'.
    "-tenant-ci-plan": ("Policy.Read.All", "Group.Read.All", "Application.Read.All", "EntitlementManagement.Read.All"),
    "-ci-plan": ("Application.Read.All",),
    "-ci-deploy": ("Application.ReadWrite.OwnedBy",),
}
"""What each CI app registration (by display-name suffix) may request; any other app requests none.
An environment's plan and deploy apps request theirs only when the environment has web apps with
Entra sign-in (their registrations are created by, and owned by, the environment's deploy identity)."""


def allowed_roles(display_name: str) -> tuple[str, ...]:
    for suffix, roles in ALLOWED_BY_SUFFIX.items():
        if display_name.endswith(suffix):
            return roles
    return ()


@resource_policy(
    name="entra-app-graph-permissions-allowed",
    description="Allow app registrations only the Microsoft Graph application permissions their job needs",
    severity=Severity.critical,
    remediation="Request Graph application permissions only from policies/azure/graph_permissions.py "
    "ALLOWED_BY_SUFFIX (CI plan: Application.Read.All; CI deploy: Application.ReadWrite.OwnedBy; tenant plan: "
    "the four reads); never a write permission that reaches other apps, groups, roles or consent.",
    types=[APPLICATION],
    data_protection=True,
)
def graph_permissions_allowed(r: ResourceView, ctx: Context) -> Verdict:
    accesses = r.get("requiredResourceAccesses")
    if contains_unknown(accesses):
        return unknown_until_apply("requiredResourceAccesses")
    name = str(r.get("displayName") or "")
    allowed = {GRAPH_ROLE_IDS[n] for n in allowed_roles(name)}
    names = {v: k for k, v in GRAPH_ROLE_IDS.items()}
    bad: list[str] = []
    for access in as_list(accesses):
        if not isinstance(access, Mapping):
            continue
        api = str(access.get("resourceAppId") or "")
        for item in as_list(access.get("resourceAccesses")):
            if not isinstance(item, Mapping) or str(item.get("type")) != "Role":
                continue  # delegated scopes act only for a signed-in user, within that user's own rights
            role = str(item.get("id") or "").lower()
            if api != GRAPH_APP_ID or role not in allowed:
                bad.append(names.get(role, role) if api == GRAPH_APP_ID else f"{role} of API {api}")
    if bad:
        granted = ", ".join(allowed_roles(name)) or "none"
        return violation(f"app registration {r.name} ({name or 'no display name'}) requests application permissions "
                         f"{sorted(bad)}; allowed for it: {granted}")  # fmt: skip
    return compliant()


POLICIES = (graph_permissions_allowed,)
