"""Another account reads restricted data only for a short, cloud-enforced window.

A role that another AWS account may assume (a vendor or cross-account role) and whose
inline read policy covers a bucket tagged data-classification=restricted must carry, on
each statement that covers it, `DateLessThan aws:CurrentTime` at most 90 days after today:
AWS ends the read on that day without a redeploy.

Ties follow `propertyDependencies` where the engine gives them (the policy's `role`, its
`policy` on a bucket); a bucket whose name is a known string is matched by ARN. A policy
whose `policy` depends on a restricted bucket but whose document is still unknown is
reported as unknown until apply, never as a violation.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from fnmatch import fnmatchcase
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
    actions,
    as_list,
    aws_provider_props,
    condition_keys,
    is_restricted,
    json_value,
    own_aws_accounts,
    parse_date,
    principals,
    statements,
)

MAX_DAYS = 90
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
_READS = ("s3:getobject", "s3:getobjectversion", "s3:listbucket")


def _cross_account(role: ResourceView, own: tuple[str, ...]) -> bool | None:
    """Whether another account may assume the role; None while the trust is unknown."""
    trust = json_value(role.get("assumeRolePolicy"))
    if is_unknown(trust):
        return None
    for s in statements(trust):
        if str(s.get("Effect")) != "Allow":
            continue
        for p in principals(s, "AWS"):
            account = "*" if p == "*" else account_of(p)
            # Without the organisation's accounts any account principal counts as another's.
            if account and (account == "*" or account not in own):
                return True
    return False


def _reads(statement: Mapping[str, Any]) -> bool:
    return any(a == "*" or a.lower() == "s3:*" or fnmatchcase(r, a.lower())
               for a in actions(statement) for r in _READS)  # fmt: skip


def _covers(statement: Mapping[str, Any], bucket: str) -> bool:
    arn = f"arn:aws:s3:::{bucket}"
    return any(isinstance(res, str) and (fnmatchcase(arn, res) or fnmatchcase(f"{arn}/x", res))
               for res in as_list(statement.get("Resource")))  # fmt: skip


def _ends(statement: Mapping[str, Any]) -> date | None:
    for op, keys in condition_keys(statement).items():
        if op.lower() in ("datelessthan", "datelessthanequals") and "aws:currenttime" in keys:
            return parse_date(str(as_list(keys["aws:currenttime"])[0]))
    return None


def _check(rp: ResourceView, role: ResourceView, restricted: list[ResourceView], stack: StackView,
           ctx: Context) -> Iterator[Verdict]:  # fmt: skip
    limit = ctx.today + timedelta(days=MAX_DAYS)
    doc = json_value(rp.get("policy"))
    restricted_urns = {b.urn for b in restricted}
    tied = {b.urn for b in stack.targets(rp, "policy") if b.urn in restricted_urns}
    if is_unknown(doc):
        if tied:
            yield unknown_until_apply("policy", rp)
        return
    named = {b.urn: n for b in restricted if isinstance(n := b.get("bucket"), str) and not is_unknown(n)}
    bad = False
    for i, s in enumerate(statements(doc)):
        if str(s.get("Effect")) != "Allow" or not _reads(s):
            continue
        hits = [b for b in restricted if (b.urn in named and _covers(s, named[b.urn]))
                or (b.urn in tied and b.urn not in named)]
        if not hits:
            continue
        sid = s.get("Sid") or f"Statement[{i}]"
        what = ", ".join(sorted(named.get(b.urn, b.name) for b in hits))
        ends = _ends(s)
        if ends is None:
            bad = True
            yield violation(f"{rp.name}: statement {sid} lets role {role.name} (another account) read restricted "
                            f"bucket {what} with no end; add Condition DateLessThan aws:CurrentTime on or before "
                            f"{limit.isoformat()} (vendors[].restricted_grants[].expires)", rp)
        elif ends > limit:
            bad = True
            yield violation(f"{rp.name}: statement {sid} lets role {role.name} read restricted bucket {what} until "
                            f"{ends.isoformat()}, more than {MAX_DAYS} days away; choose a date on or before "
                            f"{limit.isoformat()}", rp)
    if not bad:
        yield compliant(subject=rp)


@stack_policy(
    name="aws-vendor-restricted-read-expiry",
    description="End every other account's read of restricted buckets within 90 days, enforced by aws:CurrentTime",
    severity=Severity.high,
    remediation="Give the vendor a restricted_grants entry (resource, dataset, justification, expires within 90 "
    "days); the vendor role then reads that bucket only until the grant's expiry (DateLessThan "
    "aws:CurrentTime). Without a grant the role reads only buckets holding internal data.",
)
def vendor_restricted_read_expiry(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    restricted = [b for b in stack.of_type(*BUCKETS) if is_restricted(b)]
    if not restricted:
        return
    own = own_aws_accounts(ctx.aws_account_ids, aws_provider_props(stack))
    for rp in stack.of_type(ROLE_POLICY):
        roles = stack.targets(rp, "role")
        for role in roles:
            if role.type != ROLE:
                continue
            external = _cross_account(role, own)
            if external is None:
                yield unknown_until_apply("assumeRolePolicy", role)
            elif external:
                yield from _check(rp, role, restricted, stack, ctx)
            else:
                yield compliant(f"role {role.name} is not assumable by another account", rp)


POLICIES = (vendor_restricted_read_expiry,)
