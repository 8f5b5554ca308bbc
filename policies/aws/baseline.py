"""AWS account baseline and tamper-proof audit: account-wide guard rails, GuardDuty everywhere,
the trail's Object Lock and data events, and the CIS monitoring alarms.

Controls the model may switch off below production (Security Hub, GuardDuty outside the home
region, the CIS alarms) are required in production and judged only when present elsewhere.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policies.aws.immutability import BUCKETS, LOCK, lock_retention_verdict
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
    stack_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import as_list, is_restricted, is_true, resources_in_use, show

US_REGIONS = ("us-east-1", "us-east-2", "us-west-1", "us-west-2")
ACCOUNT_PAB = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
ANALYZER = "aws:accessanalyzer/analyzer:Analyzer"
HUB = "aws:securityhub/account:Account"
STANDARD = "aws:securityhub/standardsSubscription:StandardsSubscription"
EBS_DEFAULT = "aws:ebs/encryptionByDefault:EncryptionByDefault"
DETECTOR = "aws:guardduty/detector:Detector"
FEATURE = "aws:guardduty/detectorFeature:DetectorFeature"
TRAIL = "aws:cloudtrail/trail:Trail"
METRIC_FILTER = "aws:cloudwatch/logMetricFilter:LogMetricFilter"
ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")

CIS_STANDARD = "standards/cis-aws-foundations-benchmark/"
FSBP_STANDARD = "standards/aws-foundational-security-best-practices/"

CIS_MONITORING: dict[str, tuple[str, ...]] = {
    "unauthorised API calls": ("UnauthorizedOperation", "AccessDenied"),
    "root user activity": ('userIdentity.type = "Root"',),
    "console sign-in without MFA": ("MFAUsed",),
    "IAM policy changes": ("PutRolePolicy", "AttachRolePolicy"),
    "CloudTrail changes": ("StopLogging", "DeleteTrail"),
    "KMS key disabling or deletion": ("ScheduleKeyDeletion", "DisableKey"),
    "S3 bucket policy changes": ("PutBucketPolicy",),
    "security group changes": ("AuthorizeSecurityGroupIngress",),
    "network ACL changes": ("CreateNetworkAclEntry",),
    "network gateway changes": ("CreateInternetGateway", "AttachInternetGateway"),
    "route table changes": ("CreateRoute", "ReplaceRoute"),
    "VPC changes": ("CreateVpc", "ModifyVpcAttribute"),
}
"""CIS monitoring check -> event names its metric filter must mention (all of them)."""


def _uses_aws(stack: StackView, ctx: Context) -> bool:
    return "aws" in resources_in_use(stack, ctx.clouds)


def _account_wide(stack: StackView, ctx: Context) -> Verdict | None:
    """Why an account-wide control is not judged here, or None when it is.

    Without an environment model (a foreign program, a state file without --env) the
    account's baseline may well be another program's job, so its absence proves nothing.
    """
    if ctx.clouds is None:
        return not_applicable("account-wide control: judged only with an environment model (--env)")
    if not _uses_aws(stack, ctx):
        return not_applicable("this environment does not use AWS")
    return None


def _absent(what: str, ctx: Context, fix: str) -> Verdict:
    """A control the model may switch off below production."""
    if ctx.is_production:
        return violation(f"no {what} in a production stack that uses AWS; {fix}")
    return not_applicable(f"no {what}; required in production only")


@stack_policy(
    name="aws-account-public-access-block",
    description="Block public access to S3 for the whole account with all four account-level settings",
    severity=Severity.critical,
    remediation="The account baseline (components/aws/baseline.py) creates an s3.AccountPublicAccessBlock with all "
    "four flags true; keep audit.aws_account_public_access_block_enabled true.",
    data_protection=True,
)
def account_public_access_block(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    if (skip := _account_wide(stack, ctx)) is not None:
        yield skip
        return
    blocks = stack.of_type(ACCOUNT_PAB)
    if not blocks:
        yield violation("no account-level S3 public access block; set audit.aws_account_public_access_block_enabled: true")
        return
    for block in blocks:
        values = {flag: block.get(flag) for flag in PAB_FLAGS}
        off = [f for f, v in values.items() if not is_unknown(v) and not is_true(v)]
        if off:
            yield violation(f"account public access block {block.name}: {', '.join(off)} not true; set all four to true",
                            block)
        elif any(is_unknown(v) for v in values.values()):
            yield unknown_until_apply("the account public access block flags", block)
        else:
            yield compliant(subject=block)


@stack_policy(
    name="aws-access-analyzer-enabled",
    description="Enable IAM Access Analyzer so anything shared outside the account is reported",
    severity=Severity.medium,
    remediation="The account baseline creates an accessanalyzer.Analyzer (type ACCOUNT); keep "
    "audit.aws_access_analyzer_enabled true.",
)
def access_analyzer(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    if (skip := _account_wide(stack, ctx)) is not None:
        yield skip
        return
    analyzers = stack.of_type(ANALYZER)
    if not analyzers:
        yield violation("no IAM Access Analyzer in a stack that uses AWS; set audit.aws_access_analyzer_enabled: true")
    for a in analyzers:
        kind = a.get("type")
        if is_unknown(kind):
            yield unknown_until_apply("type", a)
        elif kind not in (None, "ACCOUNT", "ORGANIZATION"):
            yield violation(f"access analyzer {a.name}: type is {show(kind)}; use ACCOUNT or ORGANIZATION", a)
        else:
            yield compliant(subject=a)


@stack_policy(
    name="aws-security-hub-standards",
    description="Enable Security Hub with the CIS AWS Foundations and AWS Foundational Security Best Practices "
    "standards",
    severity=Severity.high,
    remediation="The account baseline creates securityhub.Account and a StandardsSubscription per standard; keep "
    "audit.aws_security_hub_enabled true (required in production).",
)
def security_hub(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    if (skip := _account_wide(stack, ctx)) is not None:
        yield skip
        return
    hubs = stack.of_type(HUB)
    if not hubs:
        yield _absent("Security Hub", ctx, "set audit.aws_security_hub_enabled: true")
        return
    arns = [s.get("standardsArn") for s in stack.of_type(STANDARD)]
    if any(is_unknown(a) for a in arns):
        yield unknown_until_apply("standardsArn", hubs[0])
        return
    missing = [name for name, path in (("CIS AWS Foundations", CIS_STANDARD), ("AWS Foundational Security Best "
               "Practices", FSBP_STANDARD)) if not any(isinstance(a, str) and path in a for a in arns)]  # fmt: skip
    if missing:
        yield violation(f"Security Hub {hubs[0].name}: no subscription to {' or '.join(missing)}; "
                        "subscribe with a securityhub.StandardsSubscription", hubs[0])
    else:
        yield compliant(subject=hubs[0])


@stack_policy(
    name="aws-ebs-encryption-by-default",
    description="Encrypt every new EBS volume by default",
    severity=Severity.medium,
    remediation="The account baseline creates ebs.EncryptionByDefault(enabled=True); keep "
    "audit.aws_ebs_encryption_by_default_enabled true.",
    data_protection=True,
)
def ebs_default(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    if (skip := _account_wide(stack, ctx)) is not None:
        yield skip
        return
    settings = stack.of_type(EBS_DEFAULT)
    if not settings:
        yield violation("no EBS encryption-by-default setting in a stack that uses AWS; "
                        "set audit.aws_ebs_encryption_by_default_enabled: true")
    for s in settings:
        enabled = s.get("enabled")
        if is_unknown(enabled):
            yield unknown_until_apply("enabled", s)
        elif enabled is not None and not is_true(enabled):  # the provider's default is true
            yield violation(f"EBS default encryption {s.name}: enabled is {show(enabled)}; set it to true", s)
        else:
            yield compliant(subject=s)


def region_of(view: ResourceView) -> Any:
    """The region a regional AWS resource is managed in: its own input, else its provider's."""
    own = view.get("region")
    if own is not None:
        return own
    if view.provider is not None:
        return view.provider.props.get("region")
    return None


@stack_policy(
    name="aws-guardduty-every-us-region",
    description="Enable GuardDuty with S3 protection in every US region, so activity in an unwatched region is seen",
    severity=Severity.high,
    remediation="The audit component creates the home region's detector and the account baseline one per other "
    "region (explicit providers) with an S3_DATA_EVENTS DetectorFeature; list every US region in "
    "audit.aws_guardduty_regions.",
)
def guardduty_every_region(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    if (skip := _account_wide(stack, ctx)) is not None:
        yield skip
        return
    covered: set[str] = set()
    for d in stack.of_type(DETECTOR):
        region = region_of(d)
        features = stack.dependents(d.urn, types=[FEATURE], prop="detectorId")
        s3 = [f for f in features if f.get("name") == "S3_DATA_EVENTS"]
        if is_unknown(region) or any(contains_unknown(f.get("status")) for f in s3):
            yield unknown_until_apply("the detector's region or S3 protection", d)
            continue
        if not s3 or not any(f.get("status") == "ENABLED" for f in s3):
            yield violation(f"GuardDuty detector {d.name} ({region or 'provider default region'}): S3 protection is "
                            "off; add a DetectorFeature S3_DATA_EVENTS with status ENABLED", d)
            continue
        if isinstance(region, str):
            covered.add(region)
        yield compliant(subject=d)
    missing = [r for r in US_REGIONS if r not in covered]
    if missing and ctx.is_production:
        yield violation(f"no GuardDuty detector with S3 protection in {', '.join(missing)}; "
                        "add those regions to audit.aws_guardduty_regions")


def _trail_bucket(stack: StackView, trail: ResourceView) -> ResourceView | None:
    targets = [t for t in stack.targets(trail, "s3BucketName") if t.type in BUCKETS]
    if targets:
        return targets[0]
    name = trail.get("s3BucketName")
    for b in stack.of_type(*BUCKETS):
        if isinstance(name, str) and b.get("bucket") == name:
            return b
    return None


@stack_policy(
    name="aws-cloudtrail-bucket-object-lock",
    description="Protect the CloudTrail bucket with S3 Object Lock so audit logs cannot be deleted or overwritten "
    "(compliance mode in production)",
    severity=Severity.high,
    remediation="The audit component passes object_lock_mode to the trail's SecureBucket, which creates an "
    "s3.BucketObjectLockConfiguration; set audit.aws_trail_object_lock_mode (COMPLIANCE in production).",
    data_protection=True,
)
def trail_object_lock(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    trails = stack.of_type(TRAIL)
    if not trails:
        yield not_applicable("no CloudTrail trail in this stack")
        return
    for trail in trails:
        bucket = _trail_bucket(stack, trail)
        if bucket is None:
            yield not_applicable(f"trail {trail.name} writes to a bucket outside this stack", trail)
            continue
        locks = stack.dependents(bucket.urn, types=LOCK, prop="bucket")
        if not locks:
            yield violation(f"trail {trail.name}: its bucket {bucket.name} has no Object Lock configuration; "
                            "set audit.aws_trail_object_lock_mode", bucket)
            continue
        yield lock_retention_verdict(bucket, locks[0], ctx, "trail bucket")


def _data_event_prefixes(trail: ResourceView) -> list[str] | None:
    """S3 object ARN prefixes the trail records data events for; None when unknown."""
    found: list[str] = []
    for selector in as_list(trail.get("advancedEventSelectors")):
        if contains_unknown(selector):
            return None
        fields = {f.get("field"): f for f in as_list(selector.get("fieldSelectors")) if isinstance(f, Mapping)}
        if as_list(fields.get("eventCategory", {}).get("equals")) != ["Data"]:
            continue
        if "AWS::S3::Object" not in as_list(fields.get("resources.type", {}).get("equals")):
            continue
        arn = fields.get("resources.ARN")
        if arn is None:
            found.append("arn:aws:s3:::")  # every bucket
        else:
            found += [str(v) for v in as_list(arn.get("startsWiths")) + as_list(arn.get("equals"))]
    for selector in as_list(trail.get("eventSelectors")):
        if contains_unknown(selector):
            return None
        for resource in as_list(selector.get("dataResources")):
            if isinstance(resource, Mapping) and resource.get("type") == "AWS::S3::Object":
                found += [str(v) for v in as_list(resource.get("values"))]
    return found


@stack_policy(
    name="aws-cloudtrail-restricted-data-events",
    description="Record object-level reads and writes of every restricted S3 bucket in CloudTrail",
    severity=Severity.high,
    remediation="The platform passes every restricted bucket to the audit component's data_event_bucket_names; keep "
    "audit.aws_trail_data_events_enabled true.",
)
def restricted_data_events(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    restricted = [b for b in stack.of_type(*BUCKETS) if is_restricted(b)]
    if not restricted:
        yield not_applicable("no restricted bucket in this stack")
        return
    if not stack.of_type(TRAIL):
        yield not_applicable("no CloudTrail trail in this stack; aws-cloudtrail-multi-region reports its absence")
        return
    prefixes: list[str] = []
    for trail in stack.of_type(TRAIL):
        found = _data_event_prefixes(trail)
        if found is None:
            yield unknown_until_apply("the trail's event selectors", trail)
            return
        prefixes += found
    for bucket in restricted:
        name = bucket.get("bucket")
        if not isinstance(name, str) or is_unknown(name):
            yield unknown_until_apply("the bucket name", bucket)
        elif any(f"arn:aws:s3:::{name}/".startswith(p) or p.startswith(f"arn:aws:s3:::{name}/") for p in prefixes):
            yield compliant(subject=bucket)
        else:
            yield violation(f"restricted bucket {bucket.name}: no CloudTrail trail records its data events; "
                            f"add arn:aws:s3:::{name}/ to the trail's data-event selector", bucket)


@stack_policy(
    name="aws-cis-monitoring-alarms",
    description="Send an alarm for the CIS AWS Foundations monitoring events (root use, console sign-in without MFA, "
    "unauthorised calls, IAM, CloudTrail, KMS, S3 policy and network changes)",
    severity=Severity.high,
    remediation="The audit component creates a LogMetricFilter and MetricAlarm per CIS check on the trail's log "
    "group, publishing to the security topic; keep audit.aws_cis_alarms_enabled true.",
)
def cis_monitoring(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    if (skip := _account_wide(stack, ctx)) is not None:
        yield skip
        return
    filters = stack.of_type(METRIC_FILTER)
    if not filters:
        yield _absent("CIS monitoring metric filter", ctx, "set audit.aws_cis_alarms_enabled: true")
        return
    alarmed: set[tuple[Any, Any]] = set()
    for alarm in stack.of_type(ALARM):
        actions = alarm.get("alarmActions")
        if as_list(actions) and not is_unknown(actions):
            alarmed.add((alarm.get("namespace"), alarm.get("metricName")))
    watched: list[str] = []
    for f in filters:
        pattern, transform = f.get("pattern"), f.get("metricTransformation")
        if is_unknown(pattern) or contains_unknown(transform):
            yield unknown_until_apply("the metric filter", f)
            return
        if not isinstance(transform, Mapping) or (transform.get("namespace"), transform.get("name")) not in alarmed:
            continue  # a filter without an alarm that notifies someone watches nothing
        watched.append(str(pattern))
    missing = [check for check, words in CIS_MONITORING.items()
               if not any(all(w in p for w in words) for p in watched)]  # fmt: skip
    if missing:
        yield violation(f"no metric filter with an alarm to a topic for: {', '.join(missing)}; "
                        "add them (audit.aws_cis_alarms_enabled)")
    else:
        yield compliant(subject=filters[0])


POLICIES = (
    account_public_access_block, access_analyzer, security_hub, ebs_default, guardduty_every_region,
    trail_object_lock, restricted_data_events, cis_monitoring,
)  # fmt: skip
