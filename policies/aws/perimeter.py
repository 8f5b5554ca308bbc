"""AWS data perimeter: VPC endpoints admit only the account's principals, restricted buckets deny
everyone outside the account and object access from outside the VPC endpoints, and Redshift keeps
its traffic inside the VPC."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from policies.aws.iam_data import covered
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
from policies.helpers import (
    actions,
    condition_keys,
    is_false,
    is_restricted,
    json_value,
    show,
    statements,
)

ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
BUCKETS = ("aws:s3/bucket:Bucket", "aws:s3/bucketV2:BucketV2")
BUCKET_POLICY = "aws:s3/bucketPolicy:BucketPolicy"
WORKGROUP = "aws:redshiftserverless/workgroup:Workgroup"
PRINCIPAL_KEYS = ("aws:principalaccount", "aws:principalorgid")


def _limits_principals(statement: Mapping, operators: tuple[str, ...]) -> bool:
    return any(key in block for op, block in condition_keys(statement).items() if op in operators
               for key in PRINCIPAL_KEYS)  # fmt: skip


@resource_policy(
    name="aws-vpc-endpoint-own-principals",
    description="Limit every VPC endpoint with an endpoint policy to the organisation's own principals",
    severity=Severity.high,
    remediation="The network component sets an endpoint policy on every endpoint (aws:PrincipalAccount, and "
    "aws:ResourceAccount for S3); keep endpoint_policies_enabled true.",
    types=[ENDPOINT],
)
def endpoint_own_principals(r: ResourceView, ctx: Context) -> Verdict:
    raw = r.get("policy")
    if is_unknown(raw):
        return unknown_until_apply("policy")
    if raw is None:
        return violation(f"VPC endpoint {r.name}: no endpoint policy, so the AWS default lets any principal through; "
                         "set one that allows only this account's principals")
    doc = json_value(raw)
    if doc is None:
        return violation(f"VPC endpoint {r.name}: policy is not a JSON document, got {show(raw)}")
    loose = [s.get("Sid", "?") for s in statements(doc)
             if s.get("Effect") == "Allow" and not _limits_principals(s, ("StringEquals", "StringEqualsIgnoreCase"))]
    if loose:
        return violation(f"VPC endpoint {r.name}: statement {loose[0]} allows principals of any account; add a "
                         "StringEquals aws:PrincipalAccount condition")
    return compliant()


@stack_policy(
    name="aws-restricted-bucket-perimeter",
    description="Deny every principal outside the organisation's account on restricted S3 buckets",
    severity=Severity.critical,
    remediation="The data lake adds a DenyPrincipalsOutsideTheAccount statement to each restricted bucket's policy; "
    "keep perimeter_enabled true.",
    data_protection=True,
)
def restricted_bucket_perimeter(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    restricted = [b for b in stack.of_type(*BUCKETS) if is_restricted(b)]
    if not restricted:
        yield not_applicable("no restricted bucket in this stack")
        return
    for bucket in restricted:
        policies = stack.dependents(bucket.urn, types=[BUCKET_POLICY], prop="bucket")
        docs = [json_value(p.get("policy")) for p in policies]
        if any(is_unknown(d) for d in docs):
            yield unknown_until_apply("the bucket policy", bucket)
            continue
        fenced = any(s.get("Effect") == "Deny" and _limits_principals(s, ("StringNotEquals", "StringNotEqualsIfExists"))
                     for d in docs for s in statements(d))  # fmt: skip
        if fenced:
            yield compliant(subject=bucket)
        else:
            yield violation(f"restricted bucket {bucket.name}: no policy statement denies principals outside the "
                            "account; add a Deny with StringNotEqualsIfExists aws:PrincipalAccount", bucket)


NETWORK_KEYS = ("aws:sourcevpce", "aws:sourcevpc")
NEGATED = ("StringNotEquals", "StringNotEqualsIfExists")
OBJECT_READ = ("s3:GetObject", "s3:GetObjectVersion", "s3:PutObject")
BUCKET_MANAGEMENT = ("s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketPublicAccessBlock",
                     "s3:PutEncryptionConfiguration", "s3:GetBucketPolicy")  # fmt: skip


def _network_fence(statement: Mapping) -> bool:
    """A Deny whose condition is 'the request did not come through these VPC endpoints (or VPC)'."""
    return statement.get("Effect") == "Deny" and any(
        key in block for op, block in condition_keys(statement).items() if op in NEGATED for key in NETWORK_KEYS
    )


@stack_policy(
    name="aws-restricted-bucket-network-perimeter",
    description="Deny object reads and writes on restricted S3 buckets unless they come through the VPC endpoint "
    "(required in production; judged elsewhere when present)",
    severity=Severity.critical,
    remediation="The data lake passes the network's S3 endpoint id to each restricted bucket, whose policy then holds "
    "DenyObjectAccessOutsideTheVpc (aws:SourceVpce) for object actions only; keep "
    "data_stores.data_lake.network_perimeter_enabled true.",
    data_protection=True,
)
def restricted_bucket_network_perimeter(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    restricted = [b for b in stack.of_type(*BUCKETS) if is_restricted(b)]
    if not restricted:
        yield not_applicable("no restricted bucket in this stack")
        return
    for bucket in restricted:
        docs = [json_value(p.get("policy")) for p in stack.dependents(bucket.urn, types=[BUCKET_POLICY], prop="bucket")]
        if any(is_unknown(d) for d in docs):
            # The endpoint id is an output of the network: unknown until the first apply.
            yield unknown_until_apply("the bucket policy", bucket)
            continue
        fences = [s for d in docs for s in statements(d) if _network_fence(s)]
        reads = [s for s in fences if covered(actions(s), OBJECT_READ)]
        lockout = [a for s in fences for a in covered(actions(s), BUCKET_MANAGEMENT)]
        if not reads and not ctx.is_production:
            # Below production the model may switch it off; production always has it (infra validate).
            yield not_applicable("no network perimeter outside production "
                                 "(data_stores.data_lake.network_perimeter_enabled is false)", bucket)
        elif not reads:
            yield violation(f"restricted bucket {bucket.name}: no policy statement denies s3:GetObject and s3:PutObject "
                            "from outside the VPC endpoint, so a stolen session reads the data from any network; add a "
                            "Deny with StringNotEqualsIfExists aws:SourceVpce", bucket)
        elif lockout:
            yield violation(f"restricted bucket {bucket.name}: the VPC endpoint deny also covers {lockout[0]}, which "
                            "locks the CI deploy role (outside the VPC) out of the bucket's configuration; deny object "
                            "actions only", bucket)
        else:
            yield compliant(subject=bucket)


@resource_policy(
    name="aws-redshift-enhanced-vpc-routing",
    description="Keep Redshift Serverless traffic in the VPC with enhanced VPC routing",
    severity=Severity.high,
    remediation="Set enhanced_vpc_routing=True on the Redshift workgroup (components/aws/redshift.py).",
    types=[WORKGROUP],
)
def redshift_vpc_routing(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("enhancedVpcRouting")
    if is_unknown(value):
        return unknown_until_apply("enhancedVpcRouting")
    if value is None or is_false(value):  # the service default is off
        return violation(f"Redshift workgroup {r.name}: enhancedVpcRouting is {show(value)}; COPY and UNLOAD then "
                         "reach S3 over the internet path; set it to true")
    return compliant()


POLICIES = (endpoint_own_principals, restricted_bucket_perimeter, redshift_vpc_routing,
            restricted_bucket_network_perimeter)
