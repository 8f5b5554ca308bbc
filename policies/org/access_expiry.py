"""Vendor and partner access ends on a recorded date, inside the allowed window, not in the past.

Where access is granted to someone outside the organisation, the grant must carry its end:
- an AWS role another account may assume: `DateLessThan aws:CurrentTime` in the trust policy
  or an `access-expires` tag;
- an S3 bucket, access point or KMS key policy statement for another account: `DateLessThan
  aws:CurrentTime` on the statement;
- an Azure role assignment to a vendor, partner or guest group: "expires YYYY-MM-DD" in the
  description of the assignment or of the group.
Every recorded expiry, external or not, must be in the future and at most
identity.access_max_days away.

"Another account" needs the organisation's own accounts (the environment's aws.account_id,
or an AWS provider's allowedAccountIds). When neither is known (a foreign program or a state
file checked without --env) a missing expiry is not guessed at: an account's own key-policy
root statement would look like an external grant. Recorded expiries are still checked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from policies.context import Context
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
from policies.helpers import (
    account_of,
    as_list,
    aws_provider_props,
    condition_keys,
    json_value,
    own_aws_accounts,
    parse_date,
    principals,
    statements,
)

ROLE = "aws:iam/role:Role"
RESOURCE_POLICIES = {
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:s3/accessPoint:AccessPoint": "policy",
    "aws:s3control/accessPointPolicy:AccessPointPolicy": "policy",
    "aws:kms/key:Key": "policy",
    "aws:kms/keyPolicy:KeyPolicy": "policy",
}
ROLE_ASSIGNMENT = "azure-native:authorization:RoleAssignment"
GROUP = "azuread:index/group:Group"
EXPIRY_TAGS = ("access-expires", "expires", "expiry")
_EXPIRES_TEXT = re.compile(r"expir(?:es|y)[^0-9]{0,20}(\d{4}-\d{2}-\d{2})", re.IGNORECASE)
_EXTERNAL_WORDS = ("vendor", "partner", "guest", "external", "contractor")


def _statement_expiry(statement: Mapping[str, Any]) -> date | None:
    for op, keys in condition_keys(statement).items():
        if op.lower() in ("datelessthan", "datelessthanequals") and "aws:currenttime" in keys:
            return parse_date(str(as_list(keys["aws:currenttime"])[0]))
    return None


def _window(what: str, expires: date, ctx: Context) -> Verdict | None:
    """A violation when `expires` is past or beyond the window, else None."""
    limit = ctx.today + timedelta(days=ctx.access_max_days)
    if expires <= ctx.today:
        return violation(f"{what} expired on {expires.isoformat()}; renew it in the environment (vendors[] / "
                         "partners[]) or remove the access")
    if expires > limit:
        return violation(f"{what} expires on {expires.isoformat()}, more than identity.access_max_days "
                         f"({ctx.access_max_days}) away; choose a date on or before {limit.isoformat()}")
    return None


def _external(accounts: list[str], own: tuple[str, ...]) -> list[str]:
    return [a for a in accounts if a == "*" or a not in own]


def _statement_accounts(statement: Mapping[str, Any]) -> list[str]:
    out = []
    for p in principals(statement, "AWS"):
        out.append("*" if p == "*" else (account_of(p) or ""))
    return [a for a in out if a]


def _check_role(role: ResourceView, own: tuple[str, ...], ctx: Context) -> Iterator[Verdict]:
    doc = json_value(role.get("assumeRolePolicy"))
    if is_unknown(doc):
        yield unknown_until_apply("assumeRolePolicy", role)
        return
    external = [
        (s, accounts) for s in statements(doc) if str(s.get("Effect")) == "Allow"
        and (accounts := _external(_statement_accounts(s), own))
    ]
    tags = role.get("tags")
    tag_expiry = None
    if isinstance(tags, Mapping):
        tag_expiry = next((parse_date(tags[k]) for k in EXPIRY_TAGS if k in tags and parse_date(tags[k])), None)
    expiries = [e for s, _ in external if (e := _statement_expiry(s))] + ([tag_expiry] if tag_expiry else [])
    if external and not expiries and own:
        accounts = sorted({a for _, accs in external for a in accs})
        yield violation(f"role {role.name}: account {', '.join(accounts)} may assume it with no recorded end; add "
                        "DateLessThan aws:CurrentTime to the trust and an access-expires tag", role)
        return
    for expires in expiries:
        if (bad := _window(f"role {role.name}: access", expires, ctx)) is not None:
            yield Verdict(bad.status, bad.message, role)
            return
    yield compliant(subject=role) if (external or expiries) else compliant("no external access", role)


def _check_policy(r: ResourceView, own: tuple[str, ...], ctx: Context) -> Iterator[Verdict]:
    doc = json_value(r.get(RESOURCE_POLICIES[r.type]))
    if is_unknown(doc):
        yield unknown_until_apply("policy", r)
        return
    bad_found = False
    for i, s in enumerate(statements(doc)):
        if str(s.get("Effect")) != "Allow":
            continue
        expires = _statement_expiry(s)
        external = _external(_statement_accounts(s), own)
        sid = s.get("Sid") or f"Statement[{i}]"
        if external and "*" not in external and expires is None and own:
            bad_found = True
            yield violation(f"{r.name}: statement {sid} grants account {', '.join(sorted(set(external)))} access with "
                            "no end; add Condition DateLessThan aws:CurrentTime with the partner's expiry", r)
        elif expires is not None and (bad := _window(f"{r.name}: statement {sid}", expires, ctx)) is not None:
            bad_found = True
            yield Verdict(bad.status, bad.message, r)
    if not bad_found:
        yield compliant(subject=r)


def _recorded(view: ResourceView) -> date | None:
    text = view.get("description")
    if isinstance(text, str) and (m := _EXPIRES_TEXT.search(text)):
        return parse_date(m.group(1))
    return None


def _external_group(group: ResourceView) -> bool:
    label = f"{group.get('displayName') or ''} {group.name}".lower()
    return any(w in label for w in _EXTERNAL_WORDS)


def _check_assignment(ra: ResourceView, stack: StackView, ctx: Context) -> Iterator[Verdict]:
    groups = [g for g in stack.targets(ra, "principalId") if g.type == GROUP and _external_group(g)]
    own = _recorded(ra)
    if not groups and own is None:
        return
    dates = [d for d in [own, *(_recorded(g) for g in groups)] if d is not None]
    if not dates:
        yield violation(f"role assignment {ra.name}: grants access to {groups[0].get('displayName') or groups[0].name} "
                        "with no recorded end; write 'expires YYYY-MM-DD' in the group's description", ra)
        return
    bad = _window(f"role assignment {ra.name}", min(dates), ctx)
    yield Verdict(bad.status, bad.message, ra) if bad else compliant(subject=ra)


@stack_policy(
    name="access-expiry",
    description="End every vendor and partner grant on a recorded date that is in the future and inside the allowed window",
    severity=Severity.high,
    remediation="Set vendors[].expires / partners[].expires within identity.access_max_days; the vendor and "
    "partner components write it into the trust or resource policy (DateLessThan aws:CurrentTime), the "
    "access-expires tag and the Entra group's description.",
)
def access_expiry(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    own = own_aws_accounts(ctx.aws_account_ids, aws_provider_props(stack))
    for role in stack.of_type(ROLE):
        yield from _check_role(role, own, ctx)
    for r in stack.of_type(*RESOURCE_POLICIES):
        if r.get(RESOURCE_POLICIES[r.type]) is not None:
            yield from _check_policy(r, own, ctx)
    for group in stack.of_type(GROUP):
        recorded = _recorded(group)
        if recorded is not None:
            bad = _window(f"group {group.name} ({group.get('displayName') or '?'}): access", recorded, ctx)
            yield Verdict(bad.status, bad.message, group) if bad else compliant(subject=group)
    for ra in stack.of_type(ROLE_ASSIGNMENT):
        yield from _check_assignment(ra, stack, ctx)


POLICIES = (access_expiry,)
