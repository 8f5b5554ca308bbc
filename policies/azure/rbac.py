"""Azure RBAC read as a thief holding a CI token: no owner-like roles, no keys or data, no '*' roles.

A CI identity is a service principal this stack creates with pulumi-azuread (the plan and
deploy app registrations); a role assignment is tied to it through `propertyDependencies`
of `principalId`. Managed identities of workloads are azure-native resources and are not
judged here.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterator, Mapping
from typing import Any

from policies.context import Context
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
from policies.helpers import as_list

ASSIGNMENT = "azure-native:authorization:RoleAssignment"
DEFINITION = "azure-native:authorization:RoleDefinition"
SERVICE_PRINCIPAL = "azuread:index/servicePrincipal:ServicePrincipal"
PRIVILEGED = {
    "8e3af657-a8ff-443c-a75c-2fe8c4bcb635": "Owner",
    "b24988ac-6180-42a0-ab88-20f7382dd24c": "Contributor",
    "18d7d88d-d35e-4fb5-a5c3-7773c20a72d9": "User Access Administrator",
}
CONDITION_REQUIRED = {"f58310d9-a9f6-439a-9e8d-f62e7b41a168": "Role Based Access Control Administrator"}
"""Roles that may write role assignments: only with an ABAC condition."""
DATA_ROLES = {
    "2a2b9908-6ea1-4ae2-8e65-a410df84e7d1": "Storage Blob Data Reader",
    "ba92f5b4-2d11-453d-a403-e96b0029c9fe": "Storage Blob Data Contributor",
    "b7e6dc6d-f1e8-4753-8033-0f276bb0955b": "Storage Blob Data Owner",
    "17d1049b-9a84-46fb-8f53-869881c3d3ab": "Storage Account Contributor",
    "81a9662b-bebf-436f-a333-f67b29880f12": "Storage Account Key Operator Service Role",
    "4633458b-17de-408a-b874-0445c86b69e6": "Key Vault Secrets User",
    "b86a8fe4-44ce-4948-aee5-eccb2c155cd7": "Key Vault Secrets Officer",
    "00482a5a-887f-4fb3-b363-3b7fe8e74483": "Key Vault Administrator",
    "73c42c96-874c-492b-b04d-ab87d138a893": "Log Analytics Reader",
}
"""Built-in roles that read data or hand out keys."""
KEY_ACTIONS = (
    "Microsoft.Storage/storageAccounts/listKeys/action",
    "Microsoft.Storage/storageAccounts/regenerateKey/action",
    "Microsoft.Storage/storageAccounts/listAccountSas/action",
    "Microsoft.CognitiveServices/accounts/listKeys/action",
    "Microsoft.OperationalInsights/workspaces/sharedKeys/action",
    "Microsoft.OperationalInsights/workspaces/query/read",
)
"""Control-plane actions that amount to data access: keys, SAS and log queries."""
SECRETS_DECRYPT_DATA_ACTIONS = (
    "Microsoft.KeyVault/vaults/keys/read",
    "Microsoft.KeyVault/vaults/keys/decrypt/action",
)
"""The only data actions a CI identity may hold: the plan identity's read and decrypt with the stack's
secrets-provider key, assigned at that one key's scope (judged by azure-ci-decrypt-secrets-key-only)."""
_KEY_SCOPE = re.compile(r"^/subscriptions/[^/*]+/resourceGroups/[^/*]+/providers/Microsoft\.KeyVault/vaults/[^/*]+"
                        r"/keys/[^/*]+$", re.IGNORECASE)  # fmt: skip


def _guid(role_definition_id: Any) -> str:
    return str(role_definition_id or "").rstrip("/").rsplit("/", 1)[-1].lower()


def _ci_assignments(stack: StackView) -> list[ResourceView]:
    out = []
    for a in stack.of_type(ASSIGNMENT):
        if any(t.type == SERVICE_PRINCIPAL for t in stack.targets(a, "principalId")):
            out.append(a)
    return out


def _matches(patterns: list[Any], action: str) -> bool:
    return any(fnmatch.fnmatchcase(action.lower(), str(p).lower()) for p in patterns)


@stack_policy(
    name="azure-ci-no-privileged-role",
    description="Grant no CI identity Owner, Contributor or User Access Administrator, and role-assignment "
    "rights only with a condition",
    severity=Severity.critical,
    remediation="Give the deploy identity the custom role of components/azure/ci_identity.py (resource types the "
    "platform needs) and constrain its role-assignment writes with the ABAC condition there; the plan identity "
    "gets Reader.",
)
def ci_no_privileged_role(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    assignments = _ci_assignments(stack)
    if not assignments:
        yield not_applicable("no role assignments to CI service principals in this stack")
        return
    for a in assignments:
        role = a.get("roleDefinitionId")
        if is_unknown(role) and not stack.targets(a, "roleDefinitionId"):
            yield unknown_until_apply("roleDefinitionId", a)
            continue
        guid = _guid(role)
        if guid in PRIVILEGED:
            yield violation(f"role assignment {a.name}: gives a CI identity {PRIVILEGED[guid]}; a stolen workflow token "
                            "could then turn off protections or grant itself anything; use the CI custom role", a)
        elif guid in CONDITION_REQUIRED and not a.get("condition"):
            yield violation(f"role assignment {a.name}: gives a CI identity {CONDITION_REQUIRED[guid]} without a "
                            "condition; add an ABAC condition limiting roles and principal types", a)
        else:
            yield compliant(subject=a)


def _definition_problem(d: ResourceView, key_scoped: bool = False) -> str | None:
    """Why role `d` gives data access; a role with only the secrets-provider key's read and decrypt,
    assigned at one key's scope (`key_scoped`), gives none beyond that key."""
    for i, p in enumerate(as_list(d.get("permissions"))):
        if not isinstance(p, Mapping):
            continue
        data = [str(x) for x in as_list(p.get("dataActions"))]
        if key_scoped and data and set(data) <= set(SECRETS_DECRYPT_DATA_ACTIONS):
            data = []
        if data:
            return f"permissions[{i}].dataActions is {as_list(p.get('dataActions'))}"
        allowed = [a for a in KEY_ACTIONS if _matches(as_list(p.get("actions")), a)
                   and not _matches(as_list(p.get("notActions")), a)]  # fmt: skip
        if allowed:
            return f"permissions[{i}].actions allow {', '.join(allowed)}"
    return None


@stack_policy(
    name="azure-ci-no-data-access",
    description="Grant no CI identity storage keys, log queries or data actions",
    severity=Severity.critical,
    remediation="Keep dataActions empty and listKeys/regenerateKey/listAccountSas/sharedKeys/query in notActions of "
    "the CI custom role (components/azure/ci_identity.py DEPLOY_NOT_ACTIONS); never assign a data role to CI.",
    data_protection=True,
)
def ci_no_data_access(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    assignments = _ci_assignments(stack)
    if not assignments:
        yield not_applicable("no role assignments to CI service principals in this stack")
        return
    for a in assignments:
        guid = _guid(a.get("roleDefinitionId"))
        if guid in DATA_ROLES:
            yield violation(f"role assignment {a.name}: gives a CI identity {DATA_ROLES[guid]}; CI reads no data", a)
            continue
        definitions = stack.targets(a, "roleDefinitionId")
        if any(contains_unknown(d.get("permissions")) for d in definitions):
            yield unknown_until_apply("the role definition's permissions", a)
            continue
        scope = a.get("scope")
        key_scoped = isinstance(scope, str) and bool(_KEY_SCOPE.match(scope))
        problems = [f"role {d.name}: {p}" for d in definitions if (p := _definition_problem(d, key_scoped))]
        if problems:
            yield violation(f"role assignment {a.name}: gives a CI identity data access ({'; '.join(problems)}); "
                            "remove the data actions and exclude the key and query actions", a)
        else:
            yield compliant(subject=a)


@resource_policy(
    name="azure-custom-role-no-wildcard-actions",
    description="Disallow '*' and whole-provider wildcards in the actions of a custom role",
    severity=Severity.high,
    remediation="List the resource types the role manages (e.g. 'Microsoft.Network/virtualNetworks/*'), never '*' "
    "or 'Microsoft.<Provider>/*'.",
    types=[DEFINITION],
)
def custom_role_no_wildcard(r: ResourceView, ctx: Context) -> Verdict:
    permissions = r.get("permissions")
    if contains_unknown(permissions):
        return unknown_until_apply("permissions")
    bad = [str(a) for p in as_list(permissions) if isinstance(p, Mapping)
           for a in as_list(p.get("actions")) + as_list(p.get("dataActions"))
           if str(a) == "*" or str(a).startswith("*") or (str(a).endswith("/*") and str(a).count("/") == 1)]  # fmt: skip
    if bad:
        return violation(f"custom role {r.name}: actions {bad} grant everything a provider offers; "
                         "list the resource types it manages")
    return compliant()


POLICIES = (ci_no_privileged_role, ci_no_data_access, custom_role_no_wildcard)
