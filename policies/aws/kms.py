"""AWS KMS customer-managed keys."""

from __future__ import annotations

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
from policies.helpers import is_true, show

KEY = "aws:kms/key:Key"


@resource_policy(
    name="aws-kms-key-rotation",
    description="Rotate every symmetric customer-managed KMS key automatically",
    severity=Severity.high,
    remediation="Set `enable_key_rotation=True` on the kms.Key in the KMS keys component.",
    types=[KEY],
    data_protection=True,
    controls=[cis_aws("4.6"), checkov("CKV_AWS_7")],
)
def key_rotation(r: ResourceView, ctx: Context) -> Verdict:
    spec = r.get("customerMasterKeySpec") or r.get("keySpec") or "SYMMETRIC_DEFAULT"
    if is_unknown(spec):
        return unknown_until_apply("customerMasterKeySpec")
    if spec != "SYMMETRIC_DEFAULT":
        return not_applicable(f"AWS rotates only symmetric keys; this key is {spec}")
    value = r.get("enableKeyRotation")
    if is_unknown(value):
        return unknown_until_apply("enableKeyRotation")
    # Missing is unsafe: rotation is off by default.
    if not is_true(value):
        return violation(f"KMS key {r.name}: enableKeyRotation is {show(value)}; set it to true")
    return compliant()


POLICIES = (key_rotation,)
