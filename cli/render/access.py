"""Who can access what, for the pull-request comment: access changes and access about to end.

Read from the documents the PR workflow already writes: the engine preview (`preview-<env>.json`,
what changes) and the offline plan (`plan-<env>.json`, every resource with its inputs). Pure.

- An access change is a create, update, replace or delete of a resource that grants access:
  IAM roles and policies, bucket, key and topic policies, Identity Center assignments and
  permission sets, Azure role assignments, Entra groups and memberships, federated credentials.
  Vendor and partner grants are named as such (the components name them `vendor-<name>` and
  tag the exports bucket `share-expires-<partner>`).
- Expiring access: every vendor and partner grant whose end date (the date in its condition,
  description or share tag) is within `days` of `today`, or already past.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

ACCESS_KINDS: dict[str, str] = {
    "aws:iam/role:Role": "IAM role (trust)",
    "aws:iam/rolePolicy:RolePolicy": "IAM role policy",
    "aws:iam/policy:Policy": "IAM policy",
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": "IAM policy attachment",
    "aws:iam/openIdConnectProvider:OpenIdConnectProvider": "OIDC trust",
    "aws:s3/bucketPolicy:BucketPolicy": "bucket policy",
    "aws:kms/key:Key": "key (key policy)",
    "aws:kms/grant:Grant": "key grant",
    "aws:sns/topicPolicy:TopicPolicy": "topic policy",
    "aws:ssoadmin/accountAssignment:AccountAssignment": "Identity Center assignment",
    "aws:ssoadmin/permissionSet:PermissionSet": "permission set",
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy": "permission set policy",
    "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment": "permission set policy",
    "azure-native:authorization:RoleAssignment": "role assignment",
    "azuread:index/group:Group": "group",
    "azuread:index/groupMember:GroupMember": "group membership",
    "azuread:index/accessPackage:AccessPackage": "access package",
    "azuread:index/accessPackageAssignmentPolicy:AccessPackageAssignmentPolicy": "access package policy (expiry, review)",
    "azuread:index/accessPackageResourcePackageAssociation:AccessPackageResourcePackageAssociation": "access package group membership",
    "azuread:index/privilegedAccessGroupAssignmentSchedule:PrivilegedAccessGroupAssignmentSchedule": "PIM group assignment",
    "azuread:index/applicationFederatedIdentityCredential:ApplicationFederatedIdentityCredential": "federated credential",
    "azuread:index/servicePrincipal:ServicePrincipal": "service principal",
}
_VENDOR = re.compile(r"vendor-(?P<who>[a-z0-9-]+?)(?:-(?:reader|read|role|policy|group|member|package|catalog|log-analytics-reader|storage-blob-data-reader))*$")
_SHARE_TAG = re.compile(r"^share-expires-(?P<who>[a-z0-9-]+)$")
_DATE = re.compile(r"\b(20\d\d-\d\d-\d\d)(?:T00:00:00Z)?\b")
_POLICY_VERSIONS = {"2012-10-17", "2008-10-17"}


def grantee(name: str) -> str | None:
    """`vendor acme` for a resource the components made for vendor acme, else None."""
    m = _VENDOR.search(name)
    return f"vendor {m['who']}" if m else None


def access_changes(preview: Any) -> list[dict[str, str]]:
    """Every access-granting change in an engine preview document, in its order."""
    doc = preview if isinstance(preview, Mapping) else {}
    out = []
    for change in doc.get("changes") or []:
        if not isinstance(change, Mapping):
            continue
        type_ = str(change.get("type") or "")
        op = str(change.get("op") or "")
        if type_ not in ACCESS_KINDS or op in ("same", "read", ""):
            continue
        name = str(change.get("name") or str(change.get("urn") or "").rsplit("::", 1)[-1])
        who = grantee(name) or _partner_of_change(change)
        out.append({"op": op, "kind": ACCESS_KINDS[type_], "name": name, "who": who or "", "type": type_})
    return out


def _partner_of_change(change: Mapping[str, Any]) -> str | None:
    props = " ".join(str(p.get("path", "")) for p in change.get("properties") or [] if isinstance(p, Mapping))
    m = re.search(r"share-expires-([a-z0-9-]+)", props)
    return f"partner {m[1]}" if m else None


def expiring_access(plan: Any, today: date, days: int = 14) -> list[dict[str, Any]]:
    """Vendor and partner grants in an offline plan that end within `days` (or have ended)."""
    doc = plan if isinstance(plan, Mapping) else {}
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for r in doc.get("resources") or []:
        if not isinstance(r, Mapping):
            continue
        name, type_ = str(r.get("name") or ""), str(r.get("type") or "")
        inputs = r.get("inputs") if isinstance(r.get("inputs"), Mapping) else {}
        tags = inputs.get("tags") if isinstance(inputs.get("tags"), Mapping) else {}
        for key, value in tags.items():
            m = _SHARE_TAG.match(str(key))
            if m and isinstance(value, str) and _DATE.fullmatch(value):
                _keep(found, f"partner {m['who']}", name, type_, date.fromisoformat(value[:10]))
        who = grantee(name)
        if who and type_ in ACCESS_KINDS:
            dates = [d for d in _DATE.findall(repr(inputs)) if d not in _POLICY_VERSIONS]
            if dates:
                _keep(found, who, name, type_, min(date.fromisoformat(d) for d in dates))
    out = []
    for (who, _), item in sorted(found.items(), key=lambda kv: (kv[1]["expires"], kv[0])):
        left = (item["expires"] - today).days
        if left <= days:
            out.append({**item, "who": who, "days_left": left})
    return out


def _keep(found: dict, who: str, name: str, type_: str, expires: date) -> None:
    key = (who, name)
    if key not in found or expires < found[key]["expires"]:
        found[key] = {"name": name, "type": type_, "expires": expires}


def render_section(preview: Any, plan: Any, today: date, *, preview_ran: bool, plan_ran: bool, limit: int = 25) -> list[str]:
    """The `#### Access` Markdown lines of one environment."""
    lines = ["#### Access", ""]
    if preview_ran:
        changes = access_changes(preview)
        if changes:
            lines += ["Changes to who can access what:", "", "| change | what | resource | for |", "|---|---|---|---|"]
            for c in changes[:limit] if limit else []:
                lines.append(f"| {c['op']} | {c['kind']} | `{_cell(c['name'])}` | {_cell(c['who']) or '—'} |")
            if len(changes) > limit:
                lines.append(f"| … {len(changes) - limit} more | | | |")
            lines.append("")
        else:
            lines += ["No change to roles, policies, role assignments or group memberships.", ""]
    else:
        lines += ["Access changes: unknown (the engine preview did not run).", ""]
    if plan_ran:
        ending = expiring_access(plan, today)
        if ending:
            lines += ["Access ending within 14 days (renew it in the stack file, or let it end):", "",
                      "| for | ends | resource |", "|---|---|---|"]
            for e in ending:
                when = f"{e['expires'].isoformat()} ({'ended' if e['days_left'] < 0 else str(e['days_left']) + ' days'})"
                lines.append(f"| {_cell(e['who'])} | {when} | `{_cell(e['name'])}` |")
            lines.append("")
        else:
            lines += ["No vendor or partner access ends within 14 days.", ""]
    return lines


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ").replace("`", "'")
