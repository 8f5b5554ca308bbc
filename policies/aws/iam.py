"""AWS IAM: no administrator wildcards, ExternalId on cross-account trust, no long-lived users."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policies.context import Context
from policies.controls import checkov, cis_aws
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
from policies.helpers import (
    account_of,
    actions,
    as_list,
    condition_keys,
    json_value,
    own_aws_accounts,
    principals,
    statements,
)

POLICY_DOCUMENTS = (
    "aws:iam/policy:Policy",
    "aws:iam/rolePolicy:RolePolicy",
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
)
ROLE = "aws:iam/role:Role"
ATTACHMENTS = (
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/groupPolicyAttachment:GroupPolicyAttachment",
    "aws:iam/policyAttachment:PolicyAttachment",
)
LONG_LIVED = ("aws:iam/user:User", "aws:iam/accessKey:AccessKey", "aws:iam/userLoginProfile:UserLoginProfile")
ADMIN_POLICY_ARN_SUFFIX = ":iam::aws:policy/AdministratorAccess"
_ASSUME = {"sts:assumerole", "sts:*", "*"}


def _is_admin(statement: Mapping[str, Any]) -> bool:
    return (
        str(statement.get("Effect")) == "Allow"
        and any(a in ("*", "*:*") for a in actions(statement))
        and "*" in [str(x) for x in as_list(statement.get("Resource"))]
    )


def _documents(r: ResourceView) -> Iterator[tuple[str, Any]]:
    if r.type == ROLE:
        for i, inline in enumerate(as_list(r.get("inlinePolicies"))):
            if isinstance(inline, Mapping):
                yield f"inlinePolicies[{i}] ({inline.get('name') or 'unnamed'})", inline.get("policy")
        return
    yield "policy", r.get("policy")


@resource_policy(
    name="aws-iam-no-admin-wildcard",
    description="Grant no IAM policy Action '*' on Resource '*' (full administrator)",
    severity=Severity.critical,
    remediation="Scope the policy in the identity component to the actions and resource ARNs the role needs; "
    "never attach AdministratorAccess.",
    types=[*POLICY_DOCUMENTS, ROLE, *ATTACHMENTS],
    controls=[cis_aws("2.14"), checkov("CKV_AWS_62"), checkov("CKV_AWS_1"), checkov("CKV_AWS_274")],
)
def no_admin_wildcard(r: ResourceView, ctx: Context) -> Iterator[Verdict]:
    found = False
    arns = [r.get("policyArn")] if r.type in ATTACHMENTS else as_list(r.get("managedPolicyArns")) if r.type == ROLE else []
    for arn in arns:
        if isinstance(arn, str) and arn.endswith(ADMIN_POLICY_ARN_SUFFIX):
            found = True
            yield violation(f"{r.name}: attaches AdministratorAccess ({arn}); attach a scoped policy instead")
    for where, raw in _documents(r):
        doc = json_value(raw)
        if is_unknown(doc):
            found = True
            yield unknown_until_apply(where)
            continue
        for i, s in enumerate(statements(doc)):
            if _is_admin(s):
                found = True
                yield violation(f"{r.name}: {where} statement {s.get('Sid') or i} allows Action '*' on Resource '*'; "
                                "list the actions and resources it needs")
    if not found:
        yield compliant()


def _external_accounts(statement: Mapping[str, Any], own: tuple[str, ...]) -> list[str]:
    out: list[str] = []
    for p in principals(statement, "AWS"):
        if p == "*":
            out.append("*")
            continue
        account = account_of(p)
        if account is not None and account not in own:
            out.append(account)
    return out


def _has_external_id(statement: Mapping[str, Any]) -> bool:
    return any(
        op.lower() in ("stringequals", "stringlike") and "sts:externalid" in keys
        for op, keys in condition_keys(statement).items()
    )


def _requires_mfa(statement: Mapping[str, Any]) -> bool:
    """`Bool aws:MultiFactorAuthPresent true`: a person from the other account signed in with MFA.

    BoolIfExists is not enough: for long-lived access keys the key is absent and the test passes.
    """
    for op, keys in condition_keys(statement).items():
        values = [str(v).lower() for v in as_list(keys.get("aws:multifactorauthpresent"))]
        if op.lower() == "bool" and values == ["true"]:
            return True
        if op.lower() == "numericlessthan" and "aws:multifactorauthage" in keys:
            return True
    return False


@resource_policy(
    name="aws-iam-cross-account-external-id",
    description="Require an ExternalId or MFA in every role trust policy that lets another AWS account assume the role",
    severity=Severity.critical,
    remediation="Set vendors[].aws_external_id; the vendor role component puts it in the trust policy as "
    "Condition StringEquals sts:ExternalId (for people of a partner account, Bool aws:MultiFactorAuthPresent true).",
    types=[ROLE],
)
def cross_account_external_id(r: ResourceView, ctx: Context) -> Iterator[Verdict]:
    raw = r.get("assumeRolePolicy")
    doc = json_value(raw)
    if is_unknown(doc):
        yield unknown_until_apply("assumeRolePolicy")
        return
    # The program's own accounts: the environment's, or the provider's allowedAccountIds (set in the
    # program or in the stack config as aws:allowedAccountIds).
    own = own_aws_accounts(ctx.aws_account_ids, [r.provider.props] if r.provider else [])
    found = False
    for i, s in enumerate(statements(doc)):
        if str(s.get("Effect")) != "Allow" or not ({a.lower() for a in actions(s)} & _ASSUME):
            continue
        accounts = _external_accounts(s, own)
        if not accounts or _has_external_id(s) or _requires_mfa(s):
            continue
        found = True
        sid = s.get("Sid") or i
        if "*" not in accounts and not own:
            yield not_applicable(f"role {r.name}: trust statement {sid} names account {', '.join(sorted(set(accounts)))} "
                                 "but this program's own account is unknown (set aws:allowedAccountIds or check with "
                                 "--env), so it cannot tell another account from its own")
            continue
        who = "any AWS account ('*')" if "*" in accounts else f"account {', '.join(sorted(set(accounts)))}"
        yield violation(f"role {r.name}: trust statement {sid} lets {who} assume it without Condition "
                        "StringEquals sts:ExternalId or Bool aws:MultiFactorAuthPresent true; add the ExternalId "
                        "agreed with the vendor")
    if not found:
        yield compliant()


@resource_policy(
    name="aws-iam-no-users",
    description="Create no IAM users, access keys or console passwords; use federation and roles",
    severity=Severity.high,
    remediation="Remove the IAM user; people sign in through IAM Identity Center "
    "(identity.aws_identity_center_enabled) and CI through the GitHub OIDC role.",
    types=list(LONG_LIVED),
    controls=[cis_aws("2.19", partial="only the users this stack defines; users created outside it are not seen"), checkov("CKV_AWS_273")],
)
def no_users(r: ResourceView, ctx: Context) -> Verdict:
    kind = r.type.split(":")[-1]
    return violation(f"{kind} {r.name}: long-lived IAM credentials are not allowed; remove it and use a role")


POLICIES = (no_admin_wildcard, cross_account_external_id, no_users)
