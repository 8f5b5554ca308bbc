"""CI identities decrypt with one key only: the stack's secrets-provider key.

A plan identity (pull-request previews, drift) and a deploy identity must read the stack's
config secrets, so they may decrypt with the key of the stack's `awskms://` or
`azurekeyvault://` secrets provider, and with nothing else: a decrypt right on other keys would
open the restricted data they protect.

- AWS: every Allow of `kms:Decrypt` to a role tagged `ci-identity=plan` names one key ARN (no
  wildcard in the key id), or a key wildcard pinned by `kms:ResourceAliases` to one alias.
- Azure: a role assignment to a CI service principal with Key Vault key data actions is
  scoped to one key (`.../vaults/<vault>/keys/<key>`), and its role holds only the key's read
  and decrypt (never encrypt, sign, wrap or a secret); only a CI plan or deploy identity may hold it.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from policies.aws.iam_data import covered
from policies.aws.iam_escalation import ROLE, _ci_kind, _role_documents, _sid, _unknown
from policies.azure.rbac import _KEY_SCOPE, SECRETS_DECRYPT_DATA_ACTIONS, _ci_assignments
from policies.context import Context
from policies.core import (
    Severity,
    StackView,
    Verdict,
    compliant,
    contains_unknown,
    is_unknown,
    not_applicable,
    stack_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import as_list, condition_keys, statements

_ONE_KEY = re.compile(r"^arn:aws:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$")


def _one_alias(statement: Mapping[str, Any]) -> bool:
    """Pinned to one alias by `ForAnyValue:StringEquals kms:ResourceAliases`."""
    block = condition_keys(statement).get("ForAnyValue:StringEquals", {})
    aliases = next((as_list(v) for k, v in block.items() if k.lower() == "kms:resourcealiases"), [])
    return len(aliases) == 1 and isinstance(aliases[0], str) and "*" not in aliases[0]


def _decrypt_problem(statement: Mapping[str, Any]) -> str | None:
    if str(statement.get("Effect")) != "Allow" or "NotAction" in statement:
        return "grants everything but some actions (NotAction), kms:Decrypt included" if (
            str(statement.get("Effect")) == "Allow" and "NotAction" in statement) else None
    if not covered(as_list(statement.get("Action")), ("kms:Decrypt",)):
        return None
    if "NotResource" in statement:
        return "allows kms:Decrypt on every key but some (NotResource)"
    resources = [str(r) for r in as_list(statement.get("Resource"))]
    if len(resources) == 1 and _ONE_KEY.match(resources[0]):
        return None
    if _one_alias(statement):
        return None
    return f"allows kms:Decrypt on {resources}"


@stack_policy(
    name="aws-ci-plan-decrypt-secrets-key-only",
    description="Allow plan identities kms:Decrypt only on the stack's secrets-provider key",
    severity=Severity.critical,
    remediation="Name the secrets provider's key in infra:deployment.secrets_provider (awskms://<key-id or ARN> or "
    "awskms://alias/<alias>); components/aws/ci_identity.py plan_statements allows decrypt on that one key ARN, "
    "or on key/* pinned to that alias with kms:ResourceAliases, and denies every other key.",
    data_protection=True,
)
def aws_plan_decrypt_one_key(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    plans = [r for r in stack.of_type(ROLE) if _ci_kind(r) == "plan"]
    if not plans:
        yield not_applicable("no plan identities (roles tagged ci-identity=plan) in this stack")
        return
    for role in plans:
        docs = _role_documents(stack, role)
        pending = _unknown(docs)
        if pending is not None:
            yield unknown_until_apply(f"{pending.source.name} {pending.where}", role)
            continue
        problems = [f"{d.source.name} statement {_sid(s, i)} {p}" for d in docs
                    for i, s in enumerate(statements(d.document)) if (p := _decrypt_problem(s))]  # fmt: skip
        if problems:
            yield violation(f"plan role {role.name}: {'; '.join(problems)}; allow decrypt on the secrets-provider key "
                            "only (one key ARN, or key/* with kms:ResourceAliases of its one alias)", role)
        else:
            yield compliant(subject=role)


def _ci_principal(stack: StackView, assignment: Any) -> bool:
    """The assignment's service principal belongs to an app registration named `...-ci-plan` or `...-ci-deploy`."""
    for sp in stack.targets(assignment, "principalId"):
        for app in stack.targets(sp, "clientId"):
            if str(app.get("displayName") or "").endswith(("-ci-plan", "-ci-deploy")):
                return True
    return False


@stack_policy(
    name="azure-ci-decrypt-secrets-key-only",
    description="Grant CI identities Key Vault key rights only to decrypt with one key",
    severity=Severity.critical,
    remediation="Set infra:deployment.secrets_provider to azurekeyvault://<vault>.vault.azure.net/keys/<key> (and "
    "deployment.secrets_key_resource_group if the vault is elsewhere); components/azure/ci_identity.py assigns "
    "the plan and deploy identities a role with only keys/read and keys/decrypt/action at that key's scope.",
    data_protection=True,
)
def azure_decrypt_one_key(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    found = False
    for a in _ci_assignments(stack):
        definitions = stack.targets(a, "roleDefinitionId")
        if any(contains_unknown(d.get("permissions")) for d in definitions):
            yield unknown_until_apply("the role definition's permissions", a)
            continue
        data = [str(x) for d in definitions for p in as_list(d.get("permissions")) if isinstance(p, Mapping)
                for x in as_list(p.get("dataActions"))]  # fmt: skip
        if not any(x.lower().startswith(("microsoft.keyvault/", "*")) for x in data):
            continue
        found = True
        scope = a.get("scope")
        if is_unknown(scope):
            yield unknown_until_apply("scope", a)
            continue
        problems = []
        extra = sorted({x for x in data if x not in SECRETS_DECRYPT_DATA_ACTIONS})
        if extra:
            problems.append(f"its role also allows {extra}")
        if not isinstance(scope, str) or not _KEY_SCOPE.match(scope):
            problems.append(f"it is scoped to {scope!r}, not one key")
        if not _ci_principal(stack, a):
            problems.append("it is not given to a CI plan or deploy identity")
        if problems:
            yield violation(f"role assignment {a.name}: Key Vault key rights for a CI identity, but "
                            f"{'; '.join(problems)}; decrypt with the secrets-provider key only, at its scope", a)
        else:
            yield compliant(subject=a)
    if not found:
        yield not_applicable("no CI identity holds Key Vault key data actions in this stack")


POLICIES = (aws_plan_decrypt_one_key, azure_decrypt_one_key)
