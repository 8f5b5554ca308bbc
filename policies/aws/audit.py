"""AWS audit: CloudTrail and GuardDuty."""

from __future__ import annotations

from collections.abc import Iterator

from policies.context import Context
from policies.controls import checkov, cis_aws
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
from policies.helpers import is_false, is_true, resources_in_use, show

TRAIL = "aws:cloudtrail/trail:Trail"
DETECTOR = "aws:guardduty/detector:Detector"


@stack_policy(
    name="aws-cloudtrail-multi-region",
    description="Record API activity in every region with a multi-region CloudTrail trail",
    severity=Severity.high,
    remediation="The audit component creates a cloudtrail.Trail with is_multi_region_trail=True and logging on.",
    controls=[cis_aws("4.1", partial="read/write management-event selectors are not checked"), checkov("CKV_AWS_67")],
)
def multi_region(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    if "aws" not in resources_in_use(stack, ctx.clouds):
        yield not_applicable("this environment does not use AWS")
        return
    trails = stack.of_type(TRAIL)
    good = [t for t in trails if is_true(t.get("isMultiRegionTrail")) and not is_false(t.get("enableLogging"))]
    if good:
        for t in good:
            yield compliant(subject=t)
    elif any(is_unknown(t.get("isMultiRegionTrail")) or is_unknown(t.get("enableLogging")) for t in trails):
        yield unknown_until_apply("isMultiRegionTrail")
    elif trails:
        t = trails[0]
        yield violation(f"trail {t.name}: isMultiRegionTrail is {show(t.get('isMultiRegionTrail'))}; set it to true", t)
    else:
        yield violation("no CloudTrail trail in a stack that uses AWS; add a multi-region trail")


@resource_policy(
    name="aws-cloudtrail-validated-and-encrypted",
    description="Validate CloudTrail log files and encrypt them with a customer-managed KMS key",
    severity=Severity.high,
    remediation="Set enable_log_file_validation=True and kms_key_id to the audit key on the Trail in the audit "
    "component.",
    types=[TRAIL],
    data_protection=True,
    controls=[cis_aws("4.2"), cis_aws("4.5"), checkov("CKV_AWS_36"), checkov("CKV_AWS_35")],
)
def validated_and_encrypted(r: ResourceView, ctx: Context) -> Verdict:
    validation, key = r.get("enableLogFileValidation"), r.get("kmsKeyId")
    if is_unknown(validation) or is_unknown(key):
        return unknown_until_apply("enableLogFileValidation and kmsKeyId")
    problems = []
    if not is_true(validation):
        problems.append(f"enableLogFileValidation is {show(validation)}")
    if not isinstance(key, str) or not key:
        problems.append("kmsKeyId is not set")
    if problems:
        return violation(f"trail {r.name}: {'; '.join(problems)}; turn validation on and encrypt with the KMS key")
    return compliant()


@stack_policy(
    name="aws-guardduty-enabled",
    description="Turn on GuardDuty threat detection in every AWS environment",
    severity=Severity.high,
    remediation="The audit component creates a guardduty.Detector (enable=True).",
    controls=[checkov("CKV_AWS_238"), checkov("CKV2_AWS_3")],
)
def guardduty(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    if "aws" not in resources_in_use(stack, ctx.clouds):
        yield not_applicable("this environment does not use AWS")
        return
    detectors = stack.of_type(DETECTOR)
    for d in detectors:
        enable = d.get("enable")
        if is_unknown(enable):
            yield unknown_until_apply("enable", d)
        elif is_false(enable):
            yield violation(f"GuardDuty detector {d.name}: enable is false; set it to true", d)
        else:
            yield compliant(subject=d)
    if not detectors:
        yield violation("no GuardDuty detector in a stack that uses AWS; add one")


POLICIES = (multi_region, validated_and_encrypted, guardduty)
