"""AWS identity of one environment: vendor cross-account roles and optional IAM Identity
Center permission sets for the Entra ID groups.

The CI identities (GitHub OIDC provider, plan and deploy roles, their permissions boundary)
live in `components/aws/ci_identity.py` and are declared by the tenant stack, so an
environment's deploy never manages the role it runs as. Every role created here carries
that boundary. No IAM users and no access keys are created anywhere.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date

import pulumi
from pydantic import Field, model_validator

from components.aws.documents import Statement, account_root, bucket_arn, dumps, expiry_timestamp
from stacks.model import AwsAccountId, StrictModel

SESSION_SECONDS = 3600


class AccountArgs(StrictModel):
    """The environment's AWS account, its name prefix and the CI boundary its roles carry."""

    account_id: AwsAccountId
    region: str
    name_prefix: str = Field(pattern=r"^[a-z0-9-]+$", description="'<org>-<env>'; scopes every role name")
    environment: str = Field(description="the stack name; names permission sets")
    glue_database: str | None = Field(None, description="the lake's Glue database; no data-team set when omitted")
    boundary_arn: str | None = Field(
        None, pattern=r"^arn:aws:iam::\d{12}:policy/[A-Za-z0-9+=,.@_-]+$",
        description="permissions boundary on every role created here (the tenant stack's CI boundary); "
        "none when omitted, and then the deploy role cannot create the role",
    )


# --- vendors ---------------------------------------------------------------------------


class RestrictedReadArgs(StrictModel):
    """A vendor's read of one bucket holding restricted data, which the cloud ends on `expires`."""

    resource: str = Field(description="a name from readable_buckets that holds restricted data")
    expires: date = Field(description="the read statements stop at the start of this day (aws:CurrentTime)")


class VendorRoleArgs(StrictModel):
    """A vendor's cross-account role: ExternalId required, one-hour sessions, ends on a date."""

    name: str = Field(pattern=r"^[a-z][a-z0-9-]*$")
    account_id: AwsAccountId = Field(
        description="the vendor's account; its root is the trusted principal"
    )
    external_id: str = Field(min_length=8, description="the ExternalId the vendor must present")
    expires: date = Field(
        description="the trust stops at the start of this day; also the access-expires tag"
    )
    read_resources: list[str] = Field(
        default_factory=list, description="names from READABLE; no access when empty"
    )
    restricted_grants: list[RestrictedReadArgs] = Field(
        default_factory=list,
        description="reads of restricted buckets; a restricted bucket in read_resources without one is not granted",
    )

    def restricted_expiry(self, resource: str) -> date | None:
        """When the vendor's read of `resource` ends; the earliest of its grants, None without one."""
        dates = [g.expires for g in self.restricted_grants if g.resource == resource]
        return min(dates) if dates else None


def vendor_role_arn(account_id: str, name_prefix: str, vendor: str) -> str:
    """The vendor role's ARN, known before it exists: '<prefix>-vendor-<name>'."""
    return f"arn:aws:iam::{account_id}:role/{name_prefix}-vendor-{vendor}"


def vendor_trust_policy(vendor: VendorRoleArgs) -> str:
    """Trust the vendor account only with its ExternalId and only until the expiry date."""
    return dumps(
        [
            {
                "Sid": "VendorWithExternalId",
                "Effect": "Allow",
                "Principal": {"AWS": account_root(vendor.account_id)},
                "Action": "sts:AssumeRole",
                "Condition": {
                    "StringEquals": {"sts:ExternalId": vendor.external_id},
                    "DateLessThan": {"aws:CurrentTime": expiry_timestamp(vendor.expires)},
                },
            }
        ]
    )


def vendor_read_statements(vendor: VendorRoleArgs, readable_buckets: Mapping[str, str], region: str,
                           account_id: str, restricted: Collection[str] = ()) -> list[Statement]:  # fmt: skip
    """Read-only access to each named bucket, and decrypt through S3 for those buckets only.

    A bucket in `restricted` (it holds restricted data) is granted only under a restricted grant,
    and every statement for it ends at the grant's expiry by `aws:CurrentTime`, so the cloud
    ends the read without a redeploy. Without a grant the bucket is left out: reads stop at
    internal data.
    """
    statements: list[Statement] = []
    for resource in vendor.read_resources:
        until = vendor.restricted_expiry(resource) if resource in restricted else None
        if resource in restricted and until is None:
            continue
        bucket = readable_buckets[resource]
        arn = bucket_arn(bucket)
        sid = "".join(part.capitalize() for part in resource.split("-"))
        kms_condition: dict = {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com",
                                                "kms:EncryptionContext:aws:s3:arn": arn}}  # fmt: skip
        made: list[Statement] = [
            {"Sid": f"List{sid}", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
             "Resource": arn},
            {"Sid": f"Read{sid}", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
             "Resource": f"{arn}/*"},
            {"Sid": f"Decrypt{sid}", "Effect": "Allow", "Action": "kms:Decrypt",
             "Resource": f"arn:aws:kms:{region}:{account_id}:key/*", "Condition": kms_condition},
        ]  # fmt: skip
        if until is not None:
            ends = {"DateLessThan": {"aws:CurrentTime": expiry_timestamp(until)}}
            made = [{**s, "Condition": {**s.get("Condition", {}), **ends}} for s in made]
        statements += made
    return statements


# --- Identity Center -------------------------------------------------------------------


class PermissionSetSpec(StrictModel):
    """One permission set for one Entra ID group."""

    name: str = Field(pattern=r"^[\w+=,.@-]{1,32}$")
    description: str
    managed_policy_arns: list[str] = Field(default_factory=list)
    data_read: bool = Field(
        False, description="adds an inline policy: Athena workgroup, Glue, read curated/exports"
    )
    session_duration: str = "PT4H"


GROUP_PERMISSION_SETS: dict[str, PermissionSetSpec | None] = {
    "it-admins": PermissionSetSpec(
        name="PlatformAdmin",
        description="IT admins: AWS job function SystemAdministrator (not AdministratorAccess)",
        managed_policy_arns=["arn:aws:iam::aws:policy/job-function/SystemAdministrator"],
    ),
    "security": PermissionSetSpec(
        name="SecurityAudit",
        description="Security: read configuration and findings everywhere",
        managed_policy_arns=["arn:aws:iam::aws:policy/SecurityAudit", "arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"],
    ),
    "data-team": PermissionSetSpec(
        name="DataAnalyst",
        description="Data team: query the lake through the Athena workgroup",
        data_read=True,
        session_duration="PT8H",
    ),
    "digital": PermissionSetSpec(
        name="ViewOnly",
        description="Digital: view resources, no data access",
        managed_policy_arns=["arn:aws:iam::aws:policy/job-function/ViewOnlyAccess"],
    ),
    # Staff have no AWS work; vendors use ExternalId roles, never Identity Center.
    "staff": None,
    "vendors": None,
}  # fmt: skip


class IdentityCenterArgs(StrictModel):
    """Permission sets for the Entra ID groups (synced to Identity Center by SCIM)."""

    instance_arn: str = Field(pattern=r"^arn:aws:sso:::instance/ssoins-[0-9a-f]{16}$",
                              description="the Identity Center instance (from config)")  # fmt: skip
    group_ids: dict[str, str] = Field(
        default_factory=dict,
        description="Identity Store group id per Entra group name; groups without one get no assignment",
    )

    @model_validator(mode="after")
    def _known_groups(self) -> IdentityCenterArgs:
        unknown = sorted(set(self.group_ids) - set(GROUP_PERMISSION_SETS))
        if unknown:
            raise ValueError(
                f"identity center group ids for unknown groups {unknown}; use {sorted(GROUP_PERMISSION_SETS)}"
            )
        return self


def data_read_statements(region: str, account_id: str, workgroup: str, glue_database: str,
                         buckets: list[str]) -> list[Statement]:  # fmt: skip
    """Query the lake through one Athena workgroup; read (never write) the named buckets."""
    return [
        {"Sid": "AthenaWorkgroup", "Effect": "Allow",
         "Action": ["athena:StartQueryExecution", "athena:GetQueryExecution", "athena:GetQueryResults",
                    "athena:StopQueryExecution", "athena:GetWorkGroup", "athena:ListQueryExecutions"],
         "Resource": f"arn:aws:athena:{region}:{account_id}:workgroup/{workgroup}"},
        {"Sid": "GlueRead", "Effect": "Allow",
         "Action": ["glue:GetDatabase", "glue:GetTable", "glue:GetTables", "glue:GetPartition", "glue:GetPartitions"],
         "Resource": [f"arn:aws:glue:{region}:{account_id}:catalog",
                      f"arn:aws:glue:{region}:{account_id}:database/{glue_database}",
                      f"arn:aws:glue:{region}:{account_id}:table/{glue_database}/*"]},
        {"Sid": "LakeRead", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetObject", "s3:GetBucketLocation"],
         "Resource": [arn for b in buckets for arn in (bucket_arn(b), f"{bucket_arn(b)}/*")]},
        {"Sid": "DecryptViaS3", "Effect": "Allow", "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
         "Resource": f"arn:aws:kms:{region}:{account_id}:key/*",
         "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"}}},
    ]  # fmt: skip


# --- the component ----------------------------------------------------------------------


class AwsIdentityArgs(StrictModel):
    """Everything identity-related for one environment's AWS account."""

    account: AccountArgs
    vendors: list[VendorRoleArgs] = Field(
        default_factory=list, description="no vendor roles when empty"
    )
    readable_buckets: dict[str, str] = Field(
        default_factory=dict,
        description="names vendors may list in aws_read_resources -> bucket name",
    )
    restricted_resources: list[str] = Field(
        default_factory=list,
        description="names in readable_buckets that hold restricted data; vendors read them only under a grant",
    )
    identity_center: IdentityCenterArgs | None = Field(
        None, description="no permission sets when omitted"
    )
    analytics_workgroup: str | None = Field(
        None, description="Athena workgroup the data-team set may use"
    )
    data_read_buckets: list[str] = Field(
        default_factory=list, description="buckets the data-team set may read"
    )

    @model_validator(mode="after")
    def _resources_exist(self) -> AwsIdentityArgs:
        for vendor in self.vendors:
            ungranted = sorted({g.resource for g in vendor.restricted_grants} - set(vendor.read_resources))
            if ungranted:
                raise ValueError(f"vendor {vendor.name}: restricted grants for {ungranted} not in read_resources; "
                                 "list them there or remove the grants")
            for resource in vendor.read_resources:
                if resource not in self.readable_buckets:
                    known = (
                        ", ".join(sorted(self.readable_buckets)) or "none (the data lake is off)"
                    )
                    raise ValueError(
                        f"vendor {vendor.name}: aws_read_resources names unknown resource {resource!r}; "
                        f"use one of {known}"
                    )
        return self


class AwsIdentity(pulumi.ComponentResource):
    """Vendor roles and Identity Center permission sets of one environment's account."""

    vendor_role_arns: dict[str, str]

    def __init__(
        self, name: str, args: AwsIdentityArgs, *, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("civic:aws:Identity", name, None, opts)
        self._name = name
        self.vendor_role_arns = {v.name: self._create_vendor_role(args, v) for v in args.vendors}
        if args.identity_center is not None:
            self._create_permission_sets(args)
        self.register_outputs(
            {
                "name": name,
                "resource_id": f"arn:aws:iam::{args.account.account_id}:root",
                "vendor_role_arns": self.vendor_role_arns,
            }
        )

    def _create_vendor_role(self, args: AwsIdentityArgs, vendor: VendorRoleArgs) -> str:
        import pulumi_aws as aws

        child = pulumi.ResourceOptions(parent=self)
        role_name = f"{args.account.name_prefix}-vendor-{vendor.name}"
        tags = {"access-expires": vendor.expires.isoformat(), "vendor": vendor.name}
        restricted = [r for r in vendor.read_resources if r in args.restricted_resources]
        until = [d for r in restricted if (d := vendor.restricted_expiry(r)) is not None]
        if until:
            tags["restricted-access-expires"] = min(until).isoformat()
        role = aws.iam.Role(
            f"{self._name}-vendor-{vendor.name}",
            name=role_name,
            description=f"Vendor {vendor.name}: read-only until {vendor.expires.isoformat()}",
            assume_role_policy=vendor_trust_policy(vendor),
            max_session_duration=SESSION_SECONDS,
            permissions_boundary=args.account.boundary_arn,
            tags=tags,
            opts=child,
        )
        statements = vendor_read_statements(
            vendor, args.readable_buckets, args.account.region, args.account.account_id, args.restricted_resources
        )
        if statements:
            aws.iam.RolePolicy(
                f"{self._name}-vendor-{vendor.name}-read",
                name="read-only",
                role=role.id,
                policy=dumps(statements),
                opts=child,
            )
        return vendor_role_arn(args.account.account_id, args.account.name_prefix, vendor.name)

    def _create_permission_sets(self, args: AwsIdentityArgs) -> None:
        import pulumi_aws as aws

        center = args.identity_center
        assert center is not None
        child = pulumi.ResourceOptions(parent=self)
        for group, spec in GROUP_PERMISSION_SETS.items():
            if spec is None:
                continue
            permission_set = aws.ssoadmin.PermissionSet(
                f"{self._name}-ps-{group}",
                instance_arn=center.instance_arn,
                name=f"{args.account.environment}-{spec.name}"[:32],
                description=spec.description,
                session_duration=spec.session_duration,
                tags={"entra-group": group},
                opts=child,
            )
            for i, policy_arn in enumerate(spec.managed_policy_arns):
                aws.ssoadmin.ManagedPolicyAttachment(
                    f"{self._name}-ps-{group}-managed-{i}",
                    instance_arn=center.instance_arn,
                    permission_set_arn=permission_set.arn,
                    managed_policy_arn=policy_arn,
                    opts=child,
                )
            if spec.data_read and args.analytics_workgroup and args.account.glue_database:
                aws.ssoadmin.PermissionSetInlinePolicy(
                    f"{self._name}-ps-{group}-inline",
                    instance_arn=center.instance_arn,
                    permission_set_arn=permission_set.arn,
                    inline_policy=dumps(
                        data_read_statements(
                            args.account.region,
                            args.account.account_id,
                            args.analytics_workgroup,
                            args.account.glue_database,
                            args.data_read_buckets,
                        )
                    ),  # fmt: skip
                    opts=child,
                )
            group_id = center.group_ids.get(group)
            if group_id:
                aws.ssoadmin.AccountAssignment(
                    f"{self._name}-ps-{group}-assignment",
                    instance_arn=center.instance_arn,
                    permission_set_arn=permission_set.arn,
                    principal_type="GROUP",
                    principal_id=group_id,
                    target_type="AWS_ACCOUNT",
                    target_id=args.account.account_id,
                    opts=child,
                )
