"""AWS IAM read as a thief holding the token: escalation, wildcard data rights, destruction of
restricted data, CI trust and plan identities. Action sets come from `policies.aws.iam_data`.

Every check here is stack-level because a role's effective rights are spread over several
resources (the role's inline policies, `RolePolicy`, attached managed policies, and its
permissions boundary); they are tied together by `propertyDependencies`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from policies.aws.iam_data import (
    BOUNDARY_CONDITIONED,
    DATA_READ_ACTIONS,
    DESTRUCTIVE_ACTIONS,
    ESCALATION_ACTIONS,
    EXFILTRATION_ACTIONS,
    EXPOSURE_ACTIONS,
    covered,
    matches,
    not_covered,
)
from policies.context import Context
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
from policies.helpers import as_list, condition_keys, is_restricted, json_value, statements, tags_of

ROLE = "aws:iam/role:Role"
MANAGED = "aws:iam/policy:Policy"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
OTHER_GRANTS = (
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy",
    "aws:ssoadmin/permissionSetInlinePolicy:PermissionSetInlinePolicy",
)
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
GITHUB_OIDC = "token.actions.githubusercontent.com"
SAFE_MANAGED = frozenset(
    {"arn:aws:iam::aws:policy/job-function/ViewOnlyAccess", "arn:aws:iam::aws:policy/SecurityAudit"}
)
"""AWS-managed policies known to hold no data reads; any other grants them all (ReadOnlyAccess does)."""
NARROWING_KEYS = ("aws:resourcetag/", "kms:viaservice", "kms:resourcealiases", "kms:grantisforawsresource",
                  "kms:encryptioncontext", "aws:resourceaccount", "s3:resourceaccount")  # fmt: skip
"""Condition keys that pin a wildcard resource to specific, owned resources."""
WHOLE_KINDS = frozenset({"key/*", "alias/*", "secret:*", "parameter/*", "table/*", "log-group:*", "queue/*"})
"""Resource parts that mean every resource of a kind in the account."""
SUBJECT = re.compile(r"^repo:[A-Za-z0-9-]+/[A-Za-z0-9._-]+:environment:[A-Za-z0-9._-]+$")


@dataclass(frozen=True)
class Doc:
    """One policy document and where it came from."""

    source: ResourceView
    where: str
    document: Any


def _name(view: ResourceView) -> str:
    return view.name


def _role_documents(stack: StackView, role: ResourceView) -> list[Doc]:
    """Every identity-policy document granting `role` something (inline, RolePolicy, attached)."""
    docs = [Doc(role, f"inlinePolicies[{i}]", json_value(p.get("policy")))
            for i, p in enumerate(as_list(role.get("inlinePolicies"))) if isinstance(p, Mapping)]  # fmt: skip
    for rp in stack.dependents(role.urn, types=[ROLE_POLICY], prop="role"):
        docs.append(Doc(rp, "policy", json_value(rp.get("policy"))))
    for attachment in stack.dependents(role.urn, types=[ATTACHMENT], prop="role"):
        for managed in stack.targets(attachment, "policyArn"):
            docs.append(Doc(managed, "policy", json_value(managed.get("policy"))))
    return docs


def _managed_arns(stack: StackView, role: ResourceView) -> list[str]:
    """AWS-managed policy ARNs attached to `role` (literal ARNs, not policies of this stack)."""
    out = [str(a) for a in as_list(role.get("managedPolicyArns")) if isinstance(a, str)]
    for attachment in stack.dependents(role.urn, types=[ATTACHMENT], prop="role"):
        arn = attachment.get("policyArn")
        if not attachment.targets("policyArn") and isinstance(arn, str) and ":iam::aws:policy/" in arn:
            out.append(arn)
    return out


def _boundaries(stack: StackView) -> set[str]:
    """URNs of managed policies used only as a permissions boundary (they cap, they grant nothing)."""
    used = {u for role in stack.of_type(ROLE) for u in role.targets("permissionsBoundary")}
    attached = {u for a in stack.of_type(ATTACHMENT) for u in a.targets("policyArn")}
    return used - attached


def _boundary_documents(stack: StackView, role: ResourceView) -> list[Doc]:
    return [Doc(b, "policy", json_value(b.get("policy"))) for b in stack.targets(role, "permissionsBoundary")]


def grant_documents(stack: StackView) -> Iterator[Doc]:
    """Every document in the stack that grants rights (boundaries excluded)."""
    caps = _boundaries(stack)
    for role in stack.of_type(ROLE):
        for i, p in enumerate(as_list(role.get("inlinePolicies"))):
            if isinstance(p, Mapping):
                yield Doc(role, f"inlinePolicies[{i}]", json_value(p.get("policy")))
    for r in stack.of_type(ROLE_POLICY, *OTHER_GRANTS):
        key = "inlinePolicy" if "inlinePolicy" in r.props else "policy"
        yield Doc(r, key, json_value(r.get(key)))
    for r in stack.of_type(MANAGED):
        if r.urn not in caps:
            yield Doc(r, "policy", json_value(r.get("policy")))


def _allowed(statement: Mapping[str, Any], wanted: tuple[str, ...] | list[str]) -> list[str]:
    if str(statement.get("Effect")) != "Allow":
        return []
    if "NotAction" in statement:
        return not_covered(as_list(statement.get("NotAction")), wanted)
    return covered(as_list(statement.get("Action")), wanted)


def _sid(statement: Mapping[str, Any], i: int) -> str:
    return str(statement.get("Sid") or f"#{i}")


def _keys(statement: Mapping[str, Any]) -> set[str]:
    return {k for block in condition_keys(statement).values() for k in block}


def _resource_part(arn: str) -> str:
    parts = arn.split(":", 5)
    return parts[5] if len(parts) == 6 else arn


def _wildcard(statement: Mapping[str, Any]) -> bool:
    """Resource '*', a NotResource, or an ARN whose resource part is all of a kind (key/*, *)."""
    if "NotResource" in statement:
        return True
    for r in as_list(statement.get("Resource")):
        text = str(r)
        part = _resource_part(text)
        if text == "*" or part.startswith("*") or part in WHOLE_KINDS:
            return True
    return False


def _narrowed(statement: Mapping[str, Any]) -> bool:
    return any(k.startswith(NARROWING_KEYS) for k in _keys(statement))


def _unknown(docs: list[Doc]) -> Doc | None:
    return next((d for d in docs if is_unknown(d.document)), None)


# --- escalation -------------------------------------------------------------------------


def _escalation_problem(action: str, statement: Mapping[str, Any]) -> str | None:
    keys = _keys(statement)
    everywhere = any(str(r) == "*" for r in as_list(statement.get("Resource"))) or "NotResource" in statement
    if action.lower() in BOUNDARY_CONDITIONED:
        if "iam:permissionsboundary" not in keys:
            return "has no iam:PermissionsBoundary condition"
        return None
    if action.lower() == "iam:passrole":
        if "iam:passedtoservice" not in keys or everywhere:
            return "is not limited to named roles and an iam:PassedToService condition"
        return None
    if everywhere or not any(k.startswith("aws:resourcetag/") for k in keys):
        return "is not limited to the platform's tagged resources (aws:ResourceTag condition)"
    return None


@stack_policy(
    name="aws-iam-escalation-needs-boundary",
    description="Grant IAM privilege-escalation actions only with a permissions-boundary condition",
    severity=Severity.critical,
    remediation="Grant CreateRole/PutRolePolicy/AttachRolePolicy/PutRolePermissionsBoundary only with Condition "
    "StringEquals iam:PermissionsBoundary = the CI boundary (components/aws/ci_identity.py deploy_statements); "
    "PassRole only to named roles with iam:PassedToService; UpdateAssumeRolePolicy and policy-version changes only "
    "on tagged platform resources; never users, keys or login profiles.",
)
def escalation_needs_boundary(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    docs = list(grant_documents(stack))
    if not docs:
        yield not_applicable("no IAM policy documents in this stack")
        return
    for doc in docs:
        if is_unknown(doc.document):
            yield unknown_until_apply(f"{doc.source.name} {doc.where}", doc.source)
            continue
        problems = []
        for i, s in enumerate(statements(doc.document)):
            for action in _allowed(s, ESCALATION_ACTIONS):
                problem = _escalation_problem(action, s)
                if problem:
                    problems.append(f"statement {_sid(s, i)} allows {action} and {problem}")
        if problems:
            yield violation(f"{doc.source.name}: {doc.where} " + "; ".join(problems) +
                            "; add Condition StringEquals iam:PermissionsBoundary (or scope it as the remediation says)",
                            doc.source)  # fmt: skip
        else:
            yield compliant(subject=doc.source)


@resource_policy(
    name="aws-iam-role-has-boundary",
    description="Attach a permissions boundary to every IAM role the platform creates",
    severity=Severity.high,
    remediation="Roles get the CI boundary from components/aws/ci_identity.py (boundary_transformation in the "
    "platform program); set `permissions_boundary` on any role created outside it.",
    types=[ROLE],
)
def role_has_boundary(r: ResourceView, ctx: Context) -> Verdict:
    if ctx.tenant_owner is None:
        # another team's program: its roles answer to its own deploy identity, not this platform's boundary
        return not_applicable("not a stack of this platform (no environment model)")
    boundary = r.get("permissionsBoundary")
    if r.targets("permissionsBoundary"):
        return compliant()
    if is_unknown(boundary):
        return unknown_until_apply("permissionsBoundary")
    if not boundary and not r.targets("permissionsBoundary"):
        return violation(f"role {r.name}: permissionsBoundary is not set; attach the CI permissions boundary so the "
                         "role can never exceed what the deploy role may grant")  # fmt: skip
    return compliant()


# --- wildcard data rights ---------------------------------------------------------------


@stack_policy(
    name="aws-iam-no-wildcard-data-access",
    description="Disallow data reads and exposure rights (object read, decrypt, secret read, resource policies, "
    "grants) on every resource",
    severity=Severity.critical,
    remediation="Name the buckets, keys and secrets in Resource, or pin a wildcard with a condition "
    "(aws:ResourceTag, kms:ViaService, kms:EncryptionContext, kms:ResourceAliases, kms:GrantIsForAWSResource).",
    data_protection=True,
)
def no_wildcard_data_access(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    docs = list(grant_documents(stack))
    if not docs:
        yield not_applicable("no IAM policy documents in this stack")
        return
    wanted = [*EXFILTRATION_ACTIONS, *EXPOSURE_ACTIONS]
    for doc in docs:
        if is_unknown(doc.document):
            yield unknown_until_apply(f"{doc.source.name} {doc.where}", doc.source)
            continue
        problems = []
        for i, s in enumerate(statements(doc.document)):
            found = _allowed(s, wanted)
            if found and _wildcard(s) and not _narrowed(s):
                problems.append(f"statement {_sid(s, i)} allows {', '.join(found)} on {as_list(s.get('Resource')) or 'NotResource'}")
        if problems:
            yield violation(f"{doc.source.name}: {doc.where} " + "; ".join(problems) +
                            "; name the resources or add a tag or kms:ViaService condition", doc.source)  # fmt: skip
        else:
            yield compliant(subject=doc.source)


# --- destruction of restricted data -----------------------------------------------------


def _restricted_bucket_arns(stack: StackView) -> list[str]:
    out = []
    for b in stack.of_type(*BUCKETS):
        name = b.get("bucket")
        if is_restricted(b) and isinstance(name, str) and not is_unknown(name):
            out.append(f"arn:aws:s3:::{name}")
    return out


def _denies(statement: Mapping[str, Any], action: str, restricted: list[str]) -> bool:
    """Whether a Deny statement covers `action` on the restricted resources."""
    if str(statement.get("Effect")) != "Deny" or not covered(as_list(statement.get("Action")), [action]):
        return False
    resources = [str(r) for r in as_list(statement.get("Resource"))]
    if action.startswith("kms:"):
        tagged = any(str(v).lower() == "restricted"
                     for block in condition_keys(statement).values()
                     for k, v in block.items() if k == "aws:resourcetag/data-classification")  # fmt: skip
        return tagged or "*" in resources
    if "*" in resources:
        return True
    if not restricted:
        return bool(resources)
    return all(any(matches(r, arn) for r in resources) for arn in restricted)


@stack_policy(
    name="aws-iam-restricted-data-destruction-denied",
    description="Deny every role that may delete, expire or disable buckets and keys an explicit right to do so "
    "on restricted data",
    severity=Severity.critical,
    remediation="Keep the DenyRestrictedBucketDestruction and DenyRestrictedKeyDestruction statements of the CI "
    "boundary (components/aws/ci_identity.py protected_statements) and list every restricted bucket in "
    "CiIdentityArgs.restricted_bucket_names.",
    data_protection=True,
)
def restricted_destruction_denied(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    roles = stack.of_type(ROLE)
    if not roles:
        yield not_applicable("no IAM roles in this stack")
        return
    restricted = _restricted_bucket_arns(stack)
    for role in roles:
        grants = _role_documents(stack, role)
        caps = _boundary_documents(stack, role)
        pending = _unknown(grants + caps)
        if pending is not None:
            yield unknown_until_apply(f"{pending.source.name} {pending.where}", role)
            continue
        destructive = sorted({a for d in grants for s in statements(d.document) for a in _allowed(s, DESTRUCTIVE_ACTIONS)})
        if not destructive:
            yield compliant(subject=role)
            continue
        deny_statements = [s for d in grants + caps for s in statements(d.document)]
        missing = [a for a in destructive if not any(_denies(s, a, restricted) for s in deny_statements)]
        if missing:
            yield violation(f"role {role.name}: may {', '.join(missing)} with no explicit Deny for restricted data; "
                            "add a Deny statement for restricted buckets (by ARN) and keys "
                            "(aws:ResourceTag/data-classification = restricted) to the role or its boundary", role)  # fmt: skip
        else:
            yield compliant(subject=role)


# --- CI trust and plan identities -------------------------------------------------------


def _github_statements(doc: Any) -> list[tuple[int, Mapping[str, Any]]]:
    return [(i, s) for i, s in enumerate(statements(doc))
            if any(GITHUB_OIDC in str(p) for p in as_list((s.get("Principal") or {}).get("Federated")
                                                          if isinstance(s.get("Principal"), Mapping) else None))]  # fmt: skip


def _ci_kind(role: ResourceView) -> str | None:
    tags = tags_of(role)
    value = tags.get("ci-identity") if isinstance(tags, Mapping) else None
    return str(value) if isinstance(value, str) else None


def _trust_problem(s: Mapping[str, Any]) -> str | None:
    conditions = condition_keys(s)
    if str(s.get("Effect")) != "Allow":
        return None
    equals = next((block for op, block in conditions.items() if op == "StringEquals"), {})
    for op, block in conditions.items():
        if op != "StringEquals" and any(k.endswith(":sub") or k.endswith(":aud") for k in block):
            return f"matches sub/aud with {op}; use StringEquals with one exact value"
    aud, sub = equals.get(f"{GITHUB_OIDC}:aud"), equals.get(f"{GITHUB_OIDC}:sub")
    if aud != "sts.amazonaws.com":
        return f"audience is {aud!r}; pin it to 'sts.amazonaws.com'"
    if not isinstance(sub, str) or not SUBJECT.match(sub):
        return f"subject is {sub!r}; pin it to one 'repo:<owner>/<repo>:environment:<env>'"
    return None


@resource_policy(
    name="aws-ci-trust-pinned-environment",
    description="Allow GitHub Actions to assume a role only from one pinned GitHub environment with a pinned audience",
    severity=Severity.critical,
    remediation="Use components/aws/ci_identity.py trust_policy: StringEquals on "
    "token.actions.githubusercontent.com:aud = sts.amazonaws.com and :sub = repo:<owner>/<repo>:environment:<env>; "
    "a CI role trusts nothing else.",
    types=[ROLE],
)
def ci_trust_pinned(r: ResourceView, ctx: Context) -> Iterator[Verdict]:
    doc = json_value(r.get("assumeRolePolicy"))
    if is_unknown(doc):
        yield unknown_until_apply("assumeRolePolicy")
        return
    github = _github_statements(doc)
    kind = _ci_kind(r)
    if not github and kind is None:
        yield not_applicable("not a GitHub Actions role")
        return
    problems = [f"trust statement {_sid(s, i)} {p}" for i, s in github if (p := _trust_problem(s))]
    if kind is not None:
        others = [i for i, s in enumerate(statements(doc)) if (i, s) not in github and str(s.get("Effect")) == "Allow"]
        problems += [f"trust statement #{i} lets a principal other than the GitHub environment assume this CI role"
                     for i in others]  # fmt: skip
        if not github:
            problems.append("is tagged as a CI identity but trusts no GitHub environment")
    if problems:
        yield violation(f"role {r.name}: " + "; ".join(problems))
    else:
        yield compliant()


@stack_policy(
    name="aws-ci-plan-no-data-plane",
    description="Deny plan identities every data-plane read: configuration and state only",
    severity=Severity.critical,
    remediation="Keep the plan role's DenyDataPlaneReads statement (components/aws/ci_identity.py "
    "plan_statements) covering every action in policies/aws/iam_data.py DATA_READ_ACTIONS.",
    data_protection=True,
)
def plan_no_data_plane(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    plans = [r for r in stack.of_type(ROLE) if _ci_kind(r) == "plan"]
    if not plans:
        yield not_applicable("no plan identities (roles tagged ci-identity=plan) in this stack")
        return
    for role in plans:
        grants = _role_documents(stack, role)
        pending = _unknown(grants)
        if pending is not None:
            yield unknown_until_apply(f"{pending.source.name} {pending.where}", role)
            continue
        allowed = {a for d in grants for s in statements(d.document) for a in _allowed(s, DATA_READ_ACTIONS)}
        broad = [a for a in _managed_arns(stack, role) if a not in SAFE_MANAGED]
        if broad:
            allowed |= set(DATA_READ_ACTIONS)
        denied = {a for d in grants for s in statements(d.document)
                  if str(s.get("Effect")) == "Deny" for a in covered(as_list(s.get("Action")), DATA_READ_ACTIONS)}  # fmt: skip
        left = sorted(allowed - denied)
        if left:
            via = f" (through {', '.join(broad)})" if broad else ""
            yield violation(f"plan role {role.name}: can {', '.join(left)}{via} with no explicit Deny; "
                            "add them to the plan role's DenyDataPlaneReads statement", role)  # fmt: skip
        else:
            yield compliant(subject=role)


SSO_MANAGED = "aws:ssoadmin/managedPolicyAttachment:ManagedPolicyAttachment"
ADMIN_MANAGED = ("AdministratorAccess", "PowerUserAccess", "IAMFullAccess")
"""AWS-managed policies that are administrator, or one step from it (IAMFullAccess grants itself the rest)."""


@resource_policy(
    name="aws-no-admin-managed-policy",
    description="Attach no AWS-managed administrator policy (AdministratorAccess, PowerUserAccess, IAMFullAccess) "
    "to a role or an Identity Center permission set",
    severity=Severity.critical,
    remediation="Use a job-function or scoped policy (GROUP_PERMISSION_SETS in components/aws/identity.py); the CI "
    "boundary already denies every AWS-managed attachment to roles.",
    types=[ATTACHMENT, SSO_MANAGED],
)
def no_admin_managed_policy(r: ResourceView, ctx: Context) -> Verdict:
    arn = r.get("managedPolicyArn") if r.type == SSO_MANAGED else r.get("policyArn")
    if is_unknown(arn):
        return unknown_until_apply("the policy ARN")
    name = str(arn or "").rsplit("/", 1)[-1]
    if ":iam::aws:policy/" in str(arn) and name in ADMIN_MANAGED:
        return violation(f"{r.name}: attaches {arn}; attach a job-function or scoped policy instead")
    return compliant()


POLICIES = (
    no_admin_managed_policy,
    escalation_needs_boundary,
    role_has_boundary,
    no_wildcard_data_access,
    restricted_destruction_denied,
    ci_trust_pinned,
    plan_no_data_plane,
)
