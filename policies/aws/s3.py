"""Amazon S3. In pulumi-aws v7 the bucket carries none of its protections: encryption,
public access block, versioning, logging and policy are separate resources tied to the
bucket through the `bucket` input, so these checks follow `propertyDependencies`.

Older forms count too: pulumi-aws v6 programs and the state they deployed (which an export
holds for years) set encryption, versioning and logging inline on `aws:s3/bucket:Bucket`
(`serverSideEncryptionConfiguration.rule`, `versioning.enabled`, `logging` / `loggings`), and
v6's BucketV2 as lists (`serverSideEncryptionConfigurations[].rules`, `versionings[]`)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

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
from policies.helpers import (
    actions,
    as_list,
    classification,
    condition_keys,
    is_sensitive,
    is_true,
    json_value,
    principals,
    show,
    statements,
)

BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
SSE = (
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    "aws:s3/bucketServerSideEncryptionConfigurationV2:BucketServerSideEncryptionConfigurationV2",
)
PUBLIC_ACCESS_BLOCK = ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",)
ACCOUNT_PUBLIC_ACCESS_BLOCK = "aws:s3/accountPublicAccessBlock:AccountPublicAccessBlock"
VERSIONING = ("aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketVersioningV2:BucketVersioningV2")
LOGGING = ("aws:s3/bucketLogging:BucketLogging", "aws:s3/bucketLoggingV2:BucketLoggingV2")
BUCKET_POLICY = ("aws:s3/bucketPolicy:BucketPolicy",)
ACCESS_POINT_POLICIES = ("aws:s3/accessPoint:AccessPoint", "aws:s3control/accessPointPolicy:AccessPointPolicy")
PAB_FLAGS = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
_V7 = "(pulumi-aws v7 keeps it in a separate resource whose `bucket` is this bucket)"


def _attached(stack: StackView, bucket: ResourceView, types: Iterable[str]) -> list[ResourceView]:
    return stack.dependents(bucket.urn, types=types, prop="bucket")


def _inline(bucket: ResourceView, single: str, plural: str) -> list[Any]:
    """An inline v6 setting, given as one object (`single`) or as a list (`plural`); UNKNOWN kept."""
    return [x for x in as_list(bucket.get(single)) + as_list(bucket.get(plural)) if x is not None]


def inline_sse_rules(bucket: ResourceView) -> list[Any]:
    """Encryption rules set inline on the bucket (v6 forms); an element may be UNKNOWN."""
    rules: list[Any] = []
    for conf in _inline(bucket, "serverSideEncryptionConfiguration", "serverSideEncryptionConfigurations"):
        if is_unknown(conf):
            rules.append(conf)
        elif isinstance(conf, Mapping):
            rules += [r for r in as_list(conf.get("rule")) + as_list(conf.get("rules")) if r is not None]
    return rules


def _inline_versioning(bucket: ResourceView) -> list[Any]:
    """'Enabled', 'Suspended' or UNKNOWN for each inline v6 versioning block."""
    out: list[Any] = []
    for v in _inline(bucket, "versioning", "versionings"):
        enabled = v.get("enabled") if isinstance(v, Mapping) else v
        out.append(enabled if is_unknown(enabled) else ("Enabled" if is_true(enabled) else "Suspended"))
    return out


def _inline_logging_targets(bucket: ResourceView) -> list[Any]:
    """Target buckets of inline v6 logging blocks."""
    return [x.get("targetBucket") if isinstance(x, Mapping) else x for x in _inline(bucket, "logging", "loggings")]


def _logging_targets(stack: StackView, bucket: ResourceView) -> tuple[list[ResourceView], list[Any]]:
    """(BucketLogging resources for the bucket, inline target bucket names)."""
    return _attached(stack, bucket, LOGGING), _inline_logging_targets(bucket)


def _pab_state(pab: ResourceView) -> tuple[list[str], bool]:
    """(flags not true, any flag unknown)."""
    values = {flag: pab.get(flag) for flag in PAB_FLAGS}
    return [f for f, v in values.items() if not is_unknown(v) and not is_true(v)], any(is_unknown(v) for v in values.values())


@stack_policy(
    name="aws-s3-public-access-blocked",
    description="Block all public access to every S3 bucket with all four public access block settings",
    severity=Severity.critical,
    remediation="Create a BucketPublicAccessBlock for the bucket in the data lake component with "
    "block_public_acls, block_public_policy, ignore_public_acls and restrict_public_buckets all True.",
    data_protection=True,
    controls=[cis_aws("3.1.4"), checkov("CKV_AWS_53"), checkov("CKV_AWS_54"), checkov("CKV_AWS_55"),
        checkov("CKV_AWS_56"), checkov("CKV2_AWS_6")],
)
def public_access_blocked(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    account_wide = [p for p in stack.of_type(ACCOUNT_PUBLIC_ACCESS_BLOCK) if not _pab_state(p)[0] and not _pab_state(p)[1]]
    for bucket in stack.of_type(*BUCKETS):
        if account_wide:
            yield compliant(f"the account-wide public access block {account_wide[0].name} covers it", bucket)
            continue
        blocks = _attached(stack, bucket, PUBLIC_ACCESS_BLOCK)
        if not blocks:
            yield violation(f"bucket {bucket.name}: no BucketPublicAccessBlock depends on it {_V7}; "
                            "add one with all four flags true", bucket)
            continue
        states = [_pab_state(b) for b in blocks]
        if any(not off and not unknown for off, unknown in states):
            yield compliant(subject=bucket)
        elif any(not off for off, _ in states):
            yield unknown_until_apply("the public access block flags", bucket)
        else:
            # The value is wrong on the public access block, so the finding names it, not the bucket.
            off, pab = states[0][0], blocks[0]
            yield violation(f"public access block {pab.name} (of bucket {bucket.name}): {', '.join(off)} "
                            f"{'is' if len(off) == 1 else 'are'} not true; set all four flags to true", pab)


def _sse_rules(sse: ResourceView) -> list[Mapping[str, Any]]:
    return [r for r in as_list(sse.get("rules")) if isinstance(r, Mapping)]


def _algorithm(rule: Mapping[str, Any]) -> tuple[Any, Any]:
    default = rule.get("applyServerSideEncryptionByDefault")
    if is_unknown(default):
        return default, None
    if not isinstance(default, Mapping):
        return None, None
    return default.get("sseAlgorithm"), default.get("kmsMasterKeyId")


@stack_policy(
    name="aws-s3-encrypted",
    description="Encrypt every S3 bucket by default, with a customer-managed KMS key for sensitive data",
    severity=Severity.critical,
    remediation="Build buckets with the SecureBucket component (encryption 'aws:kms' with the classification's "
    "kms_key_arn; required for the classifications policy.sensitive_classifications lists): it creates the BucketServerSideEncryptionConfiguration.",
    data_protection=True,
    controls=[checkov("CKV_AWS_19")],
)
def encrypted(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    for bucket in stack.of_type(*BUCKETS):
        configs = _attached(stack, bucket, SSE)
        inline = inline_sse_rules(bucket)
        if not configs and not inline:
            yield violation(f"bucket {bucket.name}: no BucketServerSideEncryptionConfiguration depends on it {_V7}; "
                            "add one with sse_algorithm 'aws:kms'", bucket)
            continue
        rules = [rule for c in configs for rule in _sse_rules(c)] + [r for r in inline if isinstance(r, Mapping)]
        if (any(is_unknown(c.get("rules")) for c in configs) or any(is_unknown(r) for r in inline)
                or any(is_unknown(_algorithm(r)[0]) for r in rules)):
            yield unknown_until_apply("the encryption rule", bucket)
            continue
        algorithms = [_algorithm(r) for r in rules if _algorithm(r)[0]]
        if not algorithms:
            yield violation(f"bucket {bucket.name}: its encryption configuration sets no sseAlgorithm; "
                            "set applyServerSideEncryptionByDefault.sseAlgorithm to 'aws:kms'", bucket)
        elif is_sensitive(bucket, ctx) and not any(
            str(alg).startswith("aws:kms") and key not in (None, "", "alias/aws/s3") for alg, key in algorithms
        ):
            alg, key = algorithms[0]
            yield violation(f"bucket {bucket.name}: holds {classification(bucket)} data but sseAlgorithm is {show(alg)} "
                            f"with kmsMasterKeyId {show(key)}; use 'aws:kms' with the classification's customer-managed key",
                            bucket)
        elif not any(str(alg) in ("AES256", "aws:kms", "aws:kms:dsse") for alg, _ in algorithms):
            yield violation(f"bucket {bucket.name}: sseAlgorithm is {show(algorithms[0][0])}; use 'aws:kms' or 'AES256'",
                            bucket)
        else:
            yield compliant(subject=bucket)


@stack_policy(
    name="aws-s3-versioning",
    description="Keep previous versions of every object in S3 buckets",
    severity=Severity.medium,
    remediation="Create a BucketVersioning for the bucket in the data lake component with "
    "versioning_configuration status 'Enabled'.",
    data_protection=True,
    controls=[checkov("CKV_AWS_21")],
)
def versioning(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    for bucket in stack.of_type(*BUCKETS):
        configs = _attached(stack, bucket, VERSIONING)
        statuses = [c.get("versioningConfiguration", "status") for c in configs] + _inline_versioning(bucket)
        if any(s == "Enabled" for s in statuses):
            yield compliant(subject=bucket)
        elif any(is_unknown(s) for s in statuses):
            yield unknown_until_apply("versioningConfiguration.status", bucket)
        elif not statuses:
            yield violation(f"bucket {bucket.name}: no BucketVersioning depends on it {_V7}; "
                            "add one with status 'Enabled'", bucket)
        else:
            yield violation(f"bucket {bucket.name}: versioningConfiguration.status is {show(statuses[0])}; "
                            "set it to 'Enabled'", bucket)


@stack_policy(
    name="aws-s3-access-logging",
    description="Record server access logs for every S3 bucket except the access-log bucket itself",
    severity=Severity.medium,
    remediation="Keep SecureBucketArgs.access_logging_enabled=True and pass access_log_bucket; only the "
    "access-log bucket itself sets it False.",
    controls=[checkov("CKV_AWS_18")],
)
def access_logging(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    for bucket in stack.of_type(*BUCKETS):
        resources, inline = _logging_targets(stack, bucket)
        if resources or any(isinstance(x, str) and x for x in inline):
            yield compliant(subject=bucket)
        elif any(is_unknown(x) for x in inline):
            yield unknown_until_apply("logging.targetBucket", bucket)
        elif stack.dependents(bucket.urn, types=LOGGING, prop="targetBucket") or _is_inline_destination(stack, bucket):
            yield compliant("it is the access-log destination; logging it into itself would loop", bucket)
        else:
            yield violation(f"bucket {bucket.name}: no BucketLogging depends on it {_V7}; "
                            "add one whose target_bucket is the access-log bucket", bucket)


def _is_inline_destination(stack: StackView, bucket: ResourceView) -> bool:
    """Another bucket logs into this one through the v6 inline `logging` / `loggings` input."""
    return any(b.urn != bucket.urn for prop in ("logging", "loggings")
               for b in stack.dependents(bucket.urn, types=BUCKETS, prop=prop))


TRAIL = "aws:cloudtrail/trail:Trail"


def _logs_elsewhere(stack: StackView, bucket: ResourceView) -> bool | None:
    """Whether the bucket's access logs go to another bucket; None when unknown until apply."""
    resources, inline = _logging_targets(stack, bucket)
    own_name = bucket.get("bucket")
    unknown = False
    for r in resources:
        tied = r.targets("targetBucket")
        if tied:
            if bucket.urn not in tied:
                return True
            continue  # logged into itself
        inline.append(r.get("targetBucket"))
    for target in inline:
        if is_unknown(target):
            unknown = True
        elif isinstance(target, str) and target and target != own_name:
            return True
    return None if unknown else False


@stack_policy(
    name="aws-cloudtrail-bucket-access-logging",
    description="Record server access logs for the CloudTrail bucket in another bucket",
    severity=Severity.medium,
    remediation="Keep the audit component's trail bucket with SecureBucketArgs.access_logging_enabled=True and "
    "access_log_bucket set to the access-log bucket (never the trail bucket itself).",
    controls=[cis_aws("4.4")],
)
def trail_bucket_logging(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    trails = stack.of_type(TRAIL)
    if not trails:
        yield not_applicable("no CloudTrail trail in this stack")
        return
    for trail in trails:
        buckets = [b for b in stack.targets(trail, "s3BucketName") if b.type in BUCKETS]
        if not buckets:
            name = trail.get("s3BucketName")
            buckets = [b for b in stack.of_type(*BUCKETS) if isinstance(name, str) and b.get("bucket") == name]
        if not buckets:
            yield not_applicable(f"trail {trail.name}: its bucket is not defined in this stack", trail)
            continue
        for bucket in buckets:
            state = _logs_elsewhere(stack, bucket)
            if state is None:
                yield unknown_until_apply("the access-log target bucket", bucket)
            elif state:
                yield compliant(f"the bucket of trail {trail.name} logs its access", bucket)
            else:
                yield violation(f"bucket {bucket.name}: holds the logs of trail {trail.name} but its server access "
                                "logs go nowhere or into itself; log it into the access-log bucket", bucket)


def _denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    if str(statement.get("Effect")) != "Deny":
        return False
    if "*" not in principals(statement) and statement.get("Principal") != "*":
        return False
    if not any(a in ("*", "s3:*") for a in actions(statement)):
        return False
    for op, keys in condition_keys(statement).items():
        if op.lower() == "bool" and str(keys.get("aws:securetransport")).lower() == "false":
            return True
    return False


@stack_policy(
    name="aws-s3-tls-only",
    description="Deny every S3 request that does not use TLS with a bucket policy",
    severity=Severity.high,
    remediation="Give the bucket a BucketPolicy in the data lake component with a Deny of s3:* for Principal "
    "'*' when aws:SecureTransport is 'false'.",
    data_protection=True,
    controls=[cis_aws("3.1.1"), checkov("CKV_AWS_379")],
)
def tls_only(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    for bucket in stack.of_type(*BUCKETS):
        policies = _attached(stack, bucket, BUCKET_POLICY)
        documents = [json_value(p.get("policy")) for p in policies]
        inline = bucket.get("policy")  # the v6 form: the policy inline on the bucket
        if inline is not None:
            documents.append(json_value(inline))
        if any(any(_denies_insecure_transport(s) for s in statements(d)) for d in documents):
            yield compliant(subject=bucket)
        elif any(is_unknown(d) for d in documents):
            yield unknown_until_apply("the bucket policy document", bucket)
        elif not policies and inline is None:
            yield violation(f"bucket {bucket.name}: no BucketPolicy depends on it, so plain HTTP is allowed; "
                            "add one that denies aws:SecureTransport 'false'", bucket)
        else:
            which = f"bucket policy {policies[0].name}" if policies else "its inline policy"
            yield violation(f"bucket {bucket.name}: {which} has no Deny of s3:* for "
                            "aws:SecureTransport 'false'; add that statement", bucket)


@resource_policy(
    name="aws-s3-policy-no-public-principal",
    description="Grant nothing to Principal '*' in S3 bucket and access point policies unless a condition narrows it",
    severity=Severity.critical,
    remediation="Name the partner or vendor account in the statement's Principal (partners[].aws_account_id), "
    "or add a condition such as aws:PrincipalAccount; never allow '*' alone.",
    types=[*BUCKET_POLICY, *ACCESS_POINT_POLICIES, *BUCKETS],
    data_protection=True,
    controls=[cis_aws("2.21", partial="S3 bucket and access point policies only; other resource policies are checked by aws-resource-policy-no-public-principal"), checkov("CKV_AWS_70")],
)
def no_public_principal(r: ResourceView, ctx: Context) -> Iterator[Verdict]:
    raw = r.get("policy")
    if raw is None and (r.type in ACCESS_POINT_POLICIES or r.type in BUCKETS):
        yield compliant("no access point policy" if r.type in ACCESS_POINT_POLICIES else "no inline policy (v6 form)")
        return
    document = json_value(raw)
    if is_unknown(document):
        yield unknown_until_apply("policy")
        return
    if document is None:
        yield violation(f"{r.name}: policy is not a JSON policy document ({show(raw)}); write valid JSON")
        return
    found = False
    for i, s in enumerate(statements(document)):
        if str(s.get("Effect")) == "Allow" and "*" in principals(s) and not condition_keys(s):
            found = True
            sid = s.get("Sid") or f"Statement[{i}]"
            yield violation(f"{r.name}: statement {sid} allows {', '.join(actions(s)) or 'actions'} to Principal '*' "
                            "with no condition; name the account that needs access")
    if not found:
        yield compliant()


POLICIES = (public_access_blocked, encrypted, versioning, access_logging, trail_bucket_logging, tls_only,
            no_public_principal)
