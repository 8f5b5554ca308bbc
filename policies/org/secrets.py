"""No plaintext value where a secret is expected."""

from __future__ import annotations

from policies.context import Context
from policies.core import (
    ResourceView,
    Severity,
    Verdict,
    compliant,
    not_applicable,
    resource_policy,
    violation,
)


@resource_policy(
    name="no-plaintext-secrets",
    description="Pass passwords, shared keys and connection strings only as Pulumi secrets",
    severity=Severity.critical,
    remediation="Read the value with `pulumi.Config().require_secret(...)` (set it with `pulumi config set "
    "--secret`), or let the service manage it (e.g. manage_master_user_password=True); never a literal.",
    types=None,
    data_protection=True,
)
def no_plaintext_secrets(r: ResourceView, ctx: Context) -> Verdict:
    if r.plaintext_secret_paths is None:
        # Inside the engine secret markers are already unwrapped: a literal and a secret look alike.
        return not_applicable("secret markers are not visible here; the offline check decides this policy")
    if not r.custom:
        return not_applicable("components hold no inputs of their own")
    if r.plaintext_secret_paths:
        paths = ", ".join(r.plaintext_secret_paths)
        return violation(f"{r.name}: {paths} holds a plain-text value where a secret is expected; "
                         "pass it as a Pulumi secret")
    return compliant()


POLICIES = (no_plaintext_secrets,)
