"""One S3 bucket with every protection as its own pulumi-aws v7 resource.

pulumi-aws v7 splits S3: the bucket carries none of its settings. `SecureBucket` always
creates, next to the bucket: ownership controls (ACLs off), a public access block with all
four flags, default encryption, versioning, lifecycle rules, access logging (unless it is
the log target itself) and ONE bucket policy, because S3 allows one policy per bucket:
the TLS-only deny plus any statements the caller adds are composed into that document.
With `object_lock_mode` set, an Object Lock configuration makes every new object version
immutable for `object_lock_days` (audit logs, exports and backups in production).

A restricted bucket also carries the data perimeter: it denies principals outside its account
(`perimeter_statements`) and, given the VPC endpoint ids, object reads and writes that do not
arrive through those endpoints (`network_perimeter_statements`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

import pulumi
from pydantic import Field, field_validator, model_validator

from components.aws.documents import (
    Statement,
    bucket_arn,
    check_bucket_name,
    dumps,
    expiry_timestamp,
    tls_only_statement,
)
from components.tagging import classified
from stacks.model import AwsAccountId, Classification, StrictModel


def perimeter_statements(args: SecureBucketArgs) -> list[Statement]:
    """For restricted data: deny every principal outside the owning account, AWS services excepted.

    Restricted buckets are never shared with partners, and vendors read through a role in this
    account, so nothing legitimate is shut out; a leaked key from another account, or a grant
    added by mistake, is. S3 log delivery and CloudTrail are AWS services and stay allowed.
    """
    if args.classification is not Classification.restricted or not args.perimeter_enabled:
        return []
    return [{
        "Sid": "DenyPrincipalsOutsideTheAccount",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": [args.arn, f"{args.arn}/*"],
        "Condition": {
            "StringNotEqualsIfExists": {"aws:PrincipalAccount": args.account_id},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
        },
    }]  # fmt: skip


OBJECT_DATA_ACTIONS = (
    "s3:GetObject*", "s3:PutObject*", "s3:DeleteObject*", "s3:RestoreObject", "s3:AbortMultipartUpload",
    "s3:ListMultipartUploadParts", "s3:ReplicateObject", "s3:ReplicateDelete", "s3:ReplicateTags",
)  # fmt: skip
"""Reads and writes of object data (object ARNs). Bucket configuration actions (s3:*Bucket*,
s3:PutEncryptionConfiguration, ...) are left out on purpose: the CI roles run outside the VPC and
must still manage the bucket, and a deny on s3:PutBucketPolicy would lock everyone but root out."""

LISTING_ACTIONS = ("s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads")
"""Listing object keys (bucket ARN). HeadBucket, which Pulumi's refresh of a bucket calls, is
authorised as s3:ListBucket, so the CI roles are excepted from the listing deny only."""

CALLED_VIA = ("athena.amazonaws.com",)
"""Services whose forward access sessions (the caller's own credentials, from the service's
network) may reach restricted objects from outside the VPC: Athena reads the lake and writes
query results to the curated bucket. Athena's requests never carry aws:SourceVpce."""


class PerimeterException(StrictModel):
    """A principal allowed past the network perimeter of one bucket until a date (a vendor's restricted grant)."""

    principal_arn: str = Field(pattern=r"^arn:aws:iam::\d{12}:role/[A-Za-z0-9+=,.@_-]+$")
    expires: date = Field(description="from the start of this day (UTC) the bucket denies the principal outright")


def network_perimeter_statements(
    args: SecureBucketArgs,
    vpc_endpoint_ids: Sequence[str],
    exceptions: Sequence[PerimeterException] = (),
    ci_role_arns: Sequence[str] = (),
) -> list[Statement]:
    """For restricted data: deny object reads, writes and listing that do not come through the VPC endpoints.

    A stolen session (a phished analyst's, a leaked CI token's) used from anywhere else gets
    nothing from the bucket. Exceptions: AWS service principals (log delivery), Athena acting
    with its caller's own permissions, the declared vendor grants (each denied outright from
    its expiry, whatever its role still says) and, for listing only, the CI roles (bucket refresh).
    """
    if args.classification is not Classification.restricted or not args.network_perimeter_enabled:
        return []
    if not vpc_endpoint_ids:
        raise ValueError(
            f"bucket {args.bucket_name} holds restricted data and needs vpc_endpoint_ids for its network "
            "perimeter; pass the network's S3 endpoint id, or set network_perimeter_enabled=False"
        )
    arn = args.arn
    vendors = sorted(e.principal_arn for e in exceptions)

    def outside(excepted: list[str]) -> dict:
        condition: dict = {
            "StringNotEqualsIfExists": {"aws:SourceVpce": sorted(vpc_endpoint_ids)},
            "BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
            "ForAllValues:StringNotEquals": {"aws:CalledVia": list(CALLED_VIA)},
        }
        if excepted:
            condition["ArnNotLikeIfExists"] = {"aws:PrincipalArn": excepted}
        return condition

    statements: list[Statement] = [
        {"Sid": "DenyObjectAccessOutsideTheVpc", "Effect": "Deny", "Principal": {"AWS": "*"},
         "Action": list(OBJECT_DATA_ACTIONS), "Resource": f"{arn}/*", "Condition": outside(vendors)},
        {"Sid": "DenyListingOutsideTheVpc", "Effect": "Deny", "Principal": {"AWS": "*"},
         "Action": list(LISTING_ACTIONS), "Resource": arn, "Condition": outside(sorted({*vendors, *ci_role_arns}))},
    ]  # fmt: skip
    for e in sorted(exceptions, key=lambda e: e.principal_arn):
        role = e.principal_arn.rsplit("/", 1)[1]
        statements.append(
            {"Sid": f"DenyAfterExpiry{''.join(p.capitalize() for p in role.split('-'))}", "Effect": "Deny",
             "Principal": {"AWS": "*"}, "Action": [*OBJECT_DATA_ACTIONS, *LISTING_ACTIONS],
             "Resource": [arn, f"{arn}/*"],
             "Condition": {"ArnEquals": {"aws:PrincipalArn": e.principal_arn},
                           "DateGreaterThanEquals": {"aws:CurrentTime": expiry_timestamp(e.expires)}}}  # fmt: skip
        )
    return statements


class SecureBucketArgs(StrictModel):
    """A private, encrypted, versioned, logged bucket; loosening any of that is not offered."""

    bucket_name: str = Field(description="globally unique name: lower case, 3-63 characters")
    classification: Classification = Field(
        description="tags the bucket; the caller picks the matching key"
    )
    encryption: Literal["aws:kms", "AES256"] = Field(
        "aws:kms",
        description="aws:kms needs kms_key_arn; AES256 (SSE-S3) only for access-log targets",
    )
    noncurrent_version_days: int = Field(
        30, ge=1, description="old object versions are deleted after this"
    )
    expiration_days: int | None = Field(
        None, ge=1, description="current objects never expire when omitted"
    )
    access_logging_enabled: bool = Field(
        True, description="off only for the access-log bucket itself (logging to itself would loop)"
    )
    extra_tags: dict[str, str] = Field(
        default_factory=dict, description="added to the bucket's tags"
    )
    protect: bool = Field(True, description="the bucket cannot be deleted by Pulumi while true")
    object_lock_mode: Literal["COMPLIANCE", "GOVERNANCE"] | None = Field(
        None,
        description="no Object Lock when omitted; COMPLIANCE: no one can delete or overwrite an object "
        "version before object_lock_days pass; GOVERNANCE: only a principal with s3:BypassGovernanceRetention can",
    )
    object_lock_days: int = Field(365, ge=1, le=36500, description="default retention of each new object version")
    account_id: AwsAccountId | None = Field(
        None, description="the owning account; a restricted bucket denies every principal outside it"
    )
    perimeter_enabled: bool = Field(
        True, description="restricted buckets deny principals outside account_id (AWS services excepted)"
    )
    network_perimeter_enabled: bool = Field(
        True,
        description="restricted buckets deny object access that does not come through the VPC endpoints "
        "(needs vpc_endpoint_ids); off: a valid session reads the data from any network",
    )

    @field_validator("bucket_name")
    @classmethod
    def _valid_name(cls, value: str) -> str:
        return check_bucket_name(value)

    @model_validator(mode="after")
    def _restricted_needs_kms(self) -> SecureBucketArgs:
        if self.encryption == "AES256" and self.classification is Classification.restricted:
            raise ValueError(
                f"bucket {self.bucket_name} holds restricted data and must use encryption aws:kms, got AES256"
            )
        return self

    @model_validator(mode="after")
    def _restricted_needs_its_account(self) -> SecureBucketArgs:
        if self.classification is Classification.restricted and self.perimeter_enabled and self.account_id is None:
            raise ValueError(
                f"bucket {self.bucket_name} holds restricted data and needs account_id for its perimeter "
                "(deny principals outside the account); pass it, or set perimeter_enabled=False"
            )
        return self

    @model_validator(mode="after")
    def _lock_outlives_nothing(self) -> SecureBucketArgs:
        if self.object_lock_mode and self.expiration_days is not None and self.expiration_days < self.object_lock_days:
            raise ValueError(
                f"bucket {self.bucket_name}: expiration_days ({self.expiration_days}) is shorter than "
                f"object_lock_days ({self.object_lock_days}); lifecycle cannot delete locked objects, "
                "so lengthen expiration_days or shorten the lock"
            )
        return self

    @property
    def arn(self) -> str:
        return bucket_arn(self.bucket_name)


class SecureBucket(pulumi.ComponentResource):
    """A bucket plus its ownership, public access block, encryption, versioning, lifecycle, logging and policy."""

    bucket_name: str
    arn: str

    def __init__(
        self,
        name: str,
        args: SecureBucketArgs,
        *,
        kms_key_arn: pulumi.Input[str] | None = None,
        access_log_bucket: pulumi.Input[str] | None = None,
        policy_statements: Sequence[Statement] = (),
        vpc_endpoint_ids: Sequence[pulumi.Input[str]] = (),
        perimeter_exceptions: Sequence[PerimeterException] = (),
        ci_role_arns: Sequence[str] = (),
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("civic:aws:SecureBucket", name, None, opts)
        import pulumi_aws as aws

        if args.encryption == "aws:kms" and kms_key_arn is None:
            raise ValueError(
                f"bucket {args.bucket_name} uses aws:kms and needs kms_key_arn; pass the classification's key"
            )
        if args.access_logging_enabled and access_log_bucket is None:
            raise ValueError(
                f"bucket {args.bucket_name} needs access_log_bucket for access logging; "
                "pass the access-log bucket, or set access_logging_enabled: false for the log bucket itself"
            )
        # Checked now, with placeholder ids, so a missing endpoint fails before any child is registered.
        network_perimeter_statements(args, ["vpce"] * len(vpc_endpoint_ids), perimeter_exceptions, ci_role_arns)
        self.bucket_name, self.arn = args.bucket_name, args.arn
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket=args.bucket_name,
            force_destroy=False,
            # Left unset when locked: the lock configuration below turns Object Lock on, which
            # S3 allows on an existing versioned bucket; setting it here would replace the bucket.
            object_lock_enabled=None if args.object_lock_mode else False,
            tags={**classified(args.classification), **args.extra_tags},
            opts=pulumi.ResourceOptions(parent=self, protect=args.protect),
        )
        bucket_id = self.bucket.id
        ownership = aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=bucket_id,
            rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
            opts=child,
        )
        self.public_access_block = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access-block",
            bucket=bucket_id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        by_default = aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
            sse_algorithm=args.encryption,
            kms_master_key_id=kms_key_arn if args.encryption == "aws:kms" else None,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=bucket_id,
            rules=[
                aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                    apply_server_side_encryption_by_default=by_default,
                    # Bucket keys cut KMS calls; the encryption context becomes the bucket ARN.
                    bucket_key_enabled=args.encryption == "aws:kms",
                )
            ],
            opts=child,
        )
        versioning = aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=bucket_id,
            versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
                status="Enabled"
            ),
            opts=child,
        )
        if args.object_lock_mode:
            aws.s3.BucketObjectLockConfiguration(
                f"{name}-object-lock",
                bucket=bucket_id,
                object_lock_enabled="Enabled",
                rule=aws.s3.BucketObjectLockConfigurationRuleArgs(
                    default_retention=aws.s3.BucketObjectLockConfigurationRuleDefaultRetentionArgs(
                        mode=args.object_lock_mode, days=args.object_lock_days
                    )
                ),
                # S3 refuses a lock on a bucket whose versioning is not yet enabled.
                opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
            )
        self._create_lifecycle(name, args, bucket_id, versioning)
        if args.access_logging_enabled:
            aws.s3.BucketLogging(
                f"{name}-logging",
                bucket=bucket_id,
                target_bucket=access_log_bucket,
                target_prefix=f"{args.bucket_name}/",
                opts=child,
            )
        fixed = [tls_only_statement(args.bucket_name), *perimeter_statements(args)]
        document: pulumi.Input[str] = dumps([*fixed, *policy_statements])
        if vpc_endpoint_ids:
            # Endpoint ids are outputs of the network: the document is built once they are known.
            document = pulumi.Output.all(*vpc_endpoint_ids).apply(
                lambda ids: dumps([*fixed, *network_perimeter_statements(args, ids, perimeter_exceptions, ci_role_arns),
                                   *policy_statements])
            )
        self.policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=bucket_id,
            policy=document,
            # PutBucketPolicy races with the public access block and ownership controls otherwise.
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.public_access_block, ownership]
            ),
        )
        self.register_outputs(
            {
                "name": name,
                "resource_id": self.bucket.id,
                "bucket_name": args.bucket_name,
                "arn": args.arn,
            }
        )

    def _create_lifecycle(self, name: str, args: SecureBucketArgs, bucket_id, versioning) -> None:
        import pulumi_aws as aws

        rules = [
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="noncurrent-versions",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=args.noncurrent_version_days
                ),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=7
                ),
            )
        ]
        if args.expiration_days is not None:
            rules.append(
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="retention",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=args.expiration_days
                    ),
                )
            )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=bucket_id,
            rules=rules,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )


def access_log_target_statements(
    bucket_name: str, account_id: str, source_prefix: str
) -> list[Statement]:
    """Let S3 server access logging write into `bucket_name` for this account's `<prefix>-*` buckets only."""
    return [
        {
            "Sid": "S3ServerAccessLogsDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{bucket_arn(bucket_name)}/*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": f"arn:aws:s3:::{source_prefix}-*"},
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        }
    ]


class AccessLogBucketArgs(StrictModel):
    """The target of S3 server access logging for every bucket named `<source_prefix>-*`."""

    bucket_name: str
    account_id: AwsAccountId
    source_prefix: str = Field(
        description="only buckets whose names start with '<source_prefix>-' may log here"
    )
    retention_days: int = Field(
        365, ge=1, description="log objects are deleted after this many days"
    )
    noncurrent_version_days: int = Field(30, ge=1)
    protect: bool = True


def access_log_bucket(
    name: str, args: AccessLogBucketArgs, opts: pulumi.ResourceOptions | None = None
) -> SecureBucket:
    """The access-log bucket: SSE-S3 (AES256), because S3 log delivery cannot use a customer KMS key
    without granting the logging service that key; it logs nowhere itself (that would loop)."""
    return SecureBucket(
        name,
        SecureBucketArgs(
            bucket_name=args.bucket_name,
            classification=Classification.internal,
            encryption="AES256",
            noncurrent_version_days=args.noncurrent_version_days,
            expiration_days=args.retention_days,
            access_logging_enabled=False,
            protect=args.protect,
        ),
        policy_statements=access_log_target_statements(
            args.bucket_name, args.account_id, args.source_prefix
        ),
        opts=opts,
    )
