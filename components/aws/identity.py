"""AWS identity: GitHub Actions OIDC + a scoped deploy role, vendor cross-account roles,
and optional IAM Identity Center permission sets for the Entra ID groups.

No IAM users and no access keys are created anywhere. No policy grants `*:*`: the deploy
role gets one statement per service this platform uses, each limited to the account, the
region and the `<prefix>-*` names where the service allows it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

import pulumi
from pydantic import Field, model_validator

from components.aws.documents import Statement, account_root, bucket_arn, dumps, expiry_timestamp
from stacks.model import AwsAccountId, StrictModel

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
SESSION_SECONDS = 3600
SERVICE_LINKED = (
    "rds.amazonaws.com", "redshift.amazonaws.com", "guardduty.amazonaws.com",
    "malware-protection.guardduty.amazonaws.com", "config.amazonaws.com",
)  # fmt: skip
"""Services whose service-linked roles the deploy role may create (and read or delete)."""


def github_subject(repository: str, environment: str) -> str:
    """The exact `sub` claim of a GitHub Actions job bound to one deployment environment."""
    return f"repo:{repository}:environment:{environment}"


class DeployRoleArgs(StrictModel):
    """The CI deploy role of one environment; only that repository's environment can assume it."""

    account_id: AwsAccountId
    region: str
    name_prefix: str = Field(
        pattern=r"^[a-z0-9-]+$", description="role '<prefix>-github-deploy'; scopes names"
    )
    github_repository: str = Field(pattern=r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
    environment: str = Field(description="GitHub deployment environment; equals the stack name")
    glue_database: str | None = Field(None, description="no Glue/Athena permissions when omitted")
    redshift_enabled: bool = False
    postgres_enabled: bool = False
    config_recorder_enabled: bool = False
    identity_center_enabled: bool = False
    create_oidc_provider: bool = Field(
        True, description="off: the account already has the GitHub OIDC provider (one per account)"
    )

    @property
    def role_name(self) -> str:
        return f"{self.name_prefix}-github-deploy"

    @property
    def oidc_provider_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:oidc-provider/{GITHUB_OIDC_HOST}"


def deploy_trust_policy(args: DeployRoleArgs) -> str:
    """Web identity trust: audience sts.amazonaws.com and exactly this repository's environment."""
    return dumps(
        [
            {
                "Sid": "GitHubActionsEnvironment",
                "Effect": "Allow",
                "Principal": {"Federated": args.oidc_provider_arn},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {
                        f"{GITHUB_OIDC_HOST}:aud": STS_AUDIENCE,
                        f"{GITHUB_OIDC_HOST}:sub": github_subject(
                            args.github_repository, args.environment
                        ),
                    }
                },
            }
        ]
    )


def deploy_statements(args: DeployRoleArgs) -> list[Statement]:
    """What the deploy role may do: manage this platform's resources, nothing else.

    Choices: service-level action groups (e.g. `ec2:*Subnet*`) rather than `service:*`;
    resources limited to this account, region and `<prefix>-*` names where the service
    supports resource-level permissions (S3, IAM, KMS aliases, logs, Athena, CloudTrail,
    Budgets); every regional statement also requires `aws:RequestedRegion`. No object
    reads or writes in S3, no IAM users or access keys, no managed-policy attachment, and
    the role may not edit itself (changes to it need an administrator).
    """
    acct, region, prefix = args.account_id, args.region, args.name_prefix
    in_region = {"StringEquals": {"aws:RequestedRegion": region}}
    role_arns = [f"arn:aws:iam::{acct}:role/{prefix}-*"]
    statements: list[Statement] = [
        {
            "Sid": "Identify",
            "Effect": "Allow",
            "Action": ["sts:GetCallerIdentity", "iam:ListRoles", "iam:ListOpenIDConnectProviders"],
            "Resource": "*",
        },
        {
            "Sid": "Network",
            "Effect": "Allow",
            "Action": [
                "ec2:Describe*",
                "ec2:*Vpc",
                "ec2:*VpcAttribute",
                "ec2:*Subnet",
                "ec2:ModifySubnetAttribute",
                "ec2:*RouteTable",
                "ec2:*Route",
                "ec2:*InternetGateway",
                "ec2:*NatGateway",
                "ec2:AllocateAddress",
                "ec2:ReleaseAddress",
                "ec2:*SecurityGroup",
                "ec2:*SecurityGroupIngress",
                "ec2:*SecurityGroupEgress",
                "ec2:*VpcEndpoint*",
                "ec2:*FlowLogs",
                "ec2:CreateTags",
                "ec2:DeleteTags",
            ],
            "Resource": "*",
            "Condition": in_region,
        },  # fmt: skip
        {
            "Sid": "BucketConfiguration",
            "Effect": "Allow",
            "Action": [
                "s3:CreateBucket",
                "s3:DeleteBucket",
                "s3:ListBucket",
                "s3:GetBucket*",
                "s3:PutBucket*",
                "s3:DeleteBucketPolicy",
                "s3:GetEncryptionConfiguration",
                "s3:PutEncryptionConfiguration",
                "s3:GetLifecycleConfiguration",
                "s3:PutLifecycleConfiguration",
                "s3:GetAccelerateConfiguration",
                "s3:GetReplicationConfiguration",
            ],
            "Resource": [f"arn:aws:s3:::{prefix}-*"],
        },  # fmt: skip
        {
            "Sid": "CreateKeys",
            "Effect": "Allow",
            "Action": ["kms:CreateKey", "kms:ListKeys", "kms:ListAliases"],
            "Resource": "*",
            "Condition": in_region,
        },
        {
            "Sid": "ManageKeys",
            "Effect": "Allow",
            "Action": [
                "kms:DescribeKey",
                "kms:GetKeyPolicy",
                "kms:PutKeyPolicy",
                "kms:GetKeyRotationStatus",
                "kms:EnableKeyRotation",
                "kms:ListResourceTags",
                "kms:TagResource",
                "kms:UntagResource",
                "kms:UpdateKeyDescription",
                "kms:ScheduleKeyDeletion",
                "kms:CreateAlias",
                "kms:DeleteAlias",
                "kms:UpdateAlias",
                "kms:CreateGrant",
                "kms:Decrypt",
                "kms:GenerateDataKey*",
            ],
            "Resource": [
                f"arn:aws:kms:{region}:{acct}:key/*",
                f"arn:aws:kms:{region}:{acct}:alias/{prefix}-*",
            ],
        },  # fmt: skip
        {
            "Sid": "LogGroups",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:DeleteLogGroup",
                "logs:PutRetentionPolicy",
                "logs:AssociateKmsKey",
                "logs:DisassociateKmsKey",
                "logs:TagResource",
                "logs:UntagResource",
                "logs:ListTagsForResource",
                "logs:DescribeLogGroups",
            ],
            "Resource": [f"arn:aws:logs:{region}:{acct}:log-group:/civic/{prefix}-*"],
        },  # fmt: skip
        {
            "Sid": "DescribeLogGroups",
            "Effect": "Allow",
            "Action": "logs:DescribeLogGroups",
            "Resource": "*",
            "Condition": in_region,
        },
        {
            "Sid": "PlatformRoles",
            "Effect": "Allow",
            "Action": [
                "iam:GetRole",
                "iam:CreateRole",
                "iam:DeleteRole",
                "iam:UpdateRole",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:ListRolePolicies",
                "iam:GetRolePolicy",
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListInstanceProfilesForRole",
            ],
            "Resource": role_arns,
        },  # fmt: skip
        {
            "Sid": "PassPlatformRoles",
            "Effect": "Allow",
            "Action": "iam:PassRole",
            "Resource": role_arns,
            "Condition": {"StringEquals": {"iam:PassedToService": ["vpc-flow-logs.amazonaws.com"]}},
        },
        {
            "Sid": "GitHubOidcProvider",
            "Effect": "Allow",
            "Action": [
                "iam:GetOpenIDConnectProvider",
                "iam:CreateOpenIDConnectProvider",
                "iam:DeleteOpenIDConnectProvider",
                "iam:UpdateOpenIDConnectProviderThumbprint",
                "iam:AddClientIDToOpenIDConnectProvider",
                "iam:RemoveClientIDFromOpenIDConnectProvider",
                "iam:TagOpenIDConnectProvider",
                "iam:UntagOpenIDConnectProvider",
            ],
            "Resource": args.oidc_provider_arn,
        },  # fmt: skip
        {
            "Sid": "CreateServiceLinkedRoles",
            "Effect": "Allow",
            "Action": "iam:CreateServiceLinkedRole",
            "Resource": f"arn:aws:iam::{acct}:role/aws-service-role/*",
            "Condition": {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED)}},
        },
        {
            "Sid": "ManageServiceLinkedRoles",
            "Effect": "Allow",
            "Action": [
                "iam:GetRole",
                "iam:DeleteServiceLinkedRole",
                "iam:GetServiceLinkedRoleDeletionStatus",
            ],
            "Resource": [
                f"arn:aws:iam::{acct}:role/aws-service-role/{service}/*"
                for service in SERVICE_LINKED
            ],
        },
        {
            "Sid": "AuditTrail",
            "Effect": "Allow",
            "Action": [
                "cloudtrail:CreateTrail",
                "cloudtrail:UpdateTrail",
                "cloudtrail:DeleteTrail",
                "cloudtrail:StartLogging",
                "cloudtrail:StopLogging",
                "cloudtrail:GetTrail",
                "cloudtrail:GetTrailStatus",
                "cloudtrail:GetEventSelectors",
                "cloudtrail:PutEventSelectors",
                "cloudtrail:GetInsightSelectors",
                "cloudtrail:AddTags",
                "cloudtrail:RemoveTags",
                "cloudtrail:ListTags",
            ],
            "Resource": f"arn:aws:cloudtrail:{region}:{acct}:trail/{prefix}-*",
        },  # fmt: skip
        {
            "Sid": "DescribeTrails",
            "Effect": "Allow",
            "Action": "cloudtrail:DescribeTrails",
            "Resource": "*",
            "Condition": in_region,
        },
        {
            "Sid": "ThreatDetection",
            "Effect": "Allow",
            "Action": [
                "guardduty:CreateDetector",
                "guardduty:GetDetector",
                "guardduty:UpdateDetector",
                "guardduty:DeleteDetector",
                "guardduty:ListDetectors",
                "guardduty:TagResource",
                "guardduty:UntagResource",
                "guardduty:ListTagsForResource",
            ],
            "Resource": "*",
            "Condition": in_region,
        },  # fmt: skip
        {
            "Sid": "SecurityAlerts",
            "Effect": "Allow",
            "Action": [
                "sns:CreateTopic",
                "sns:DeleteTopic",
                "sns:GetTopicAttributes",
                "sns:SetTopicAttributes",
                "sns:Subscribe",
                "sns:Unsubscribe",
                "sns:GetSubscriptionAttributes",
                "sns:ListSubscriptionsByTopic",
                "sns:TagResource",
                "sns:UntagResource",
                "sns:ListTagsForResource",
                "events:PutRule",
                "events:DeleteRule",
                "events:DescribeRule",
                "events:PutTargets",
                "events:RemoveTargets",
                "events:ListTargetsByRule",
                "events:TagResource",
                "events:UntagResource",
                "events:ListTagsForResource",
            ],
            "Resource": [
                f"arn:aws:sns:{region}:{acct}:{prefix}-*",
                f"arn:aws:events:{region}:{acct}:rule/{prefix}-*",
            ],
        },  # fmt: skip
        {
            "Sid": "Budgets",
            "Effect": "Allow",
            "Action": [
                "budgets:ViewBudget",
                "budgets:ModifyBudget",
                "budgets:ListTagsForResource",
                "budgets:TagResource",
                "budgets:UntagResource",
            ],
            "Resource": f"arn:aws:budgets::{acct}:budget/{prefix}-*",
        },  # fmt: skip
        {
            "Sid": "NoSelfEdit",
            "Effect": "Deny",
            "Action": [
                "iam:PutRolePolicy",
                "iam:DeleteRolePolicy",
                "iam:UpdateAssumeRolePolicy",
                "iam:AttachRolePolicy",
                "iam:DeleteRole",
                "iam:PutRolePermissionsBoundary",
                "iam:DeleteRolePermissionsBoundary",
            ],
            "Resource": f"arn:aws:iam::{acct}:role/{args.role_name}",
        },  # fmt: skip
    ]
    if args.glue_database:
        statements.append(
            {
                "Sid": "Analytics",
                "Effect": "Allow",
                "Action": [
                    "glue:GetDatabase",
                    "glue:CreateDatabase",
                    "glue:UpdateDatabase",
                    "glue:DeleteDatabase",
                    "glue:GetDataCatalogEncryptionSettings",
                    "glue:PutDataCatalogEncryptionSettings",
                    "glue:GetTags",
                    "glue:TagResource",
                    "glue:UntagResource",
                    "athena:CreateWorkGroup",
                    "athena:GetWorkGroup",
                    "athena:UpdateWorkGroup",
                    "athena:DeleteWorkGroup",
                    "athena:ListTagsForResource",
                    "athena:TagResource",
                    "athena:UntagResource",
                ],
                "Resource": [
                    f"arn:aws:glue:{region}:{acct}:catalog",
                    f"arn:aws:glue:{region}:{acct}:database/{args.glue_database}",
                    f"arn:aws:athena:{region}:{acct}:workgroup/{prefix}-*",
                ],
            }  # fmt: skip
        )
    if args.postgres_enabled or args.redshift_enabled:
        statements.append(
            {
                "Sid": "ManagedDatabaseSecrets",
                "Effect": "Allow",
                "Action": [
                    "secretsmanager:CreateSecret",
                    "secretsmanager:DescribeSecret",
                    "secretsmanager:TagResource",
                    "secretsmanager:RotateSecret",
                ],
                "Resource": [
                    f"arn:aws:secretsmanager:{region}:{acct}:secret:rds!*",
                    f"arn:aws:secretsmanager:{region}:{acct}:secret:redshift!*",
                ],
            }  # fmt: skip
        )
    if args.postgres_enabled:
        statements.append(
            {
                "Sid": "Postgres",
                "Effect": "Allow",
                "Action": [
                    "rds:CreateDBInstance",
                    "rds:ModifyDBInstance",
                    "rds:DeleteDBInstance",
                    "rds:DescribeDBInstances",
                    "rds:RebootDBInstance",
                    "rds:CreateDBSnapshot",
                    "rds:*DBSubnetGroup*",
                    "rds:*DBParameterGroup*",
                    "rds:DescribeDBParameters",
                    "rds:ModifyDBParameterGroup",
                    "rds:AddTagsToResource",
                    "rds:RemoveTagsFromResource",
                    "rds:ListTagsForResource",
                ],
                "Resource": f"arn:aws:rds:{region}:{acct}:*",
            }  # fmt: skip
        )
    if args.redshift_enabled:
        statements.append(
            {
                "Sid": "RedshiftServerless",
                "Effect": "Allow",
                "Action": [
                    "redshift-serverless:*Namespace",
                    "redshift-serverless:*Workgroup",
                    "redshift-serverless:ListNamespaces",
                    "redshift-serverless:ListWorkgroups",
                    "redshift-serverless:TagResource",
                    "redshift-serverless:UntagResource",
                    "redshift-serverless:ListTagsForResource",
                ],
                "Resource": f"arn:aws:redshift-serverless:{region}:{acct}:*",
            }  # fmt: skip
        )
    if args.config_recorder_enabled:
        statements.append(
            {
                "Sid": "ConfigRecorder",
                "Effect": "Allow",
                "Action": [
                    "config:PutConfigurationRecorder",
                    "config:DeleteConfigurationRecorder",
                    "config:DescribeConfigurationRecorders",
                    "config:DescribeConfigurationRecorderStatus",
                    "config:StartConfigurationRecorder",
                    "config:StopConfigurationRecorder",
                    "config:PutDeliveryChannel",
                    "config:DeleteDeliveryChannel",
                    "config:DescribeDeliveryChannels",
                ],
                "Resource": "*",
                "Condition": in_region,
            }  # fmt: skip
        )
    if args.identity_center_enabled:
        statements.append(
            {
                "Sid": "IdentityCenterPermissionSets",
                "Effect": "Allow",
                "Action": [
                    "sso:CreatePermissionSet",
                    "sso:DescribePermissionSet",
                    "sso:UpdatePermissionSet",
                    "sso:DeletePermissionSet",
                    "sso:ProvisionPermissionSet",
                    "sso:DescribePermissionSetProvisioningStatus",
                    "sso:AttachManagedPolicyToPermissionSet",
                    "sso:DetachManagedPolicyFromPermissionSet",
                    "sso:ListManagedPoliciesInPermissionSet",
                    "sso:PutInlinePolicyToPermissionSet",
                    "sso:GetInlinePolicyForPermissionSet",
                    "sso:DeleteInlinePolicyFromPermissionSet",
                    "sso:CreateAccountAssignment",
                    "sso:DeleteAccountAssignment",
                    "sso:DescribeAccountAssignmentCreationStatus",
                    "sso:DescribeAccountAssignmentDeletionStatus",
                    "sso:ListAccountAssignments",
                    "sso:TagResource",
                    "sso:UntagResource",
                    "sso:ListTagsForResource",
                ],
                "Resource": "*",
            }  # fmt: skip
        )
    return statements


# --- vendors ---------------------------------------------------------------------------


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
                           account_id: str) -> list[Statement]:  # fmt: skip
    """Read-only access to each named bucket, and decrypt through S3 for those buckets only."""
    statements: list[Statement] = []
    for resource in vendor.read_resources:
        bucket = readable_buckets[resource]
        arn = bucket_arn(bucket)
        sid = "".join(part.capitalize() for part in resource.split("-"))
        statements += [
            {"Sid": f"List{sid}", "Effect": "Allow", "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
             "Resource": arn},
            {"Sid": f"Read{sid}", "Effect": "Allow", "Action": ["s3:GetObject", "s3:GetObjectVersion"],
             "Resource": f"{arn}/*"},
            {"Sid": f"Decrypt{sid}", "Effect": "Allow", "Action": "kms:Decrypt",
             "Resource": f"arn:aws:kms:{region}:{account_id}:key/*",
             "Condition": {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com",
                                            "kms:EncryptionContext:aws:s3:arn": arn}}},
        ]  # fmt: skip
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

    deploy: DeployRoleArgs
    vendors: list[VendorRoleArgs] = Field(
        default_factory=list, description="no vendor roles when empty"
    )
    readable_buckets: dict[str, str] = Field(
        default_factory=dict,
        description="names vendors may list in aws_read_resources -> bucket name",
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
    """GitHub OIDC provider and deploy role, vendor roles, Identity Center permission sets."""

    deploy_role_arn: str
    vendor_role_arns: dict[str, str]

    def __init__(
        self, name: str, args: AwsIdentityArgs, *, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("civic:aws:Identity", name, None, opts)
        self._name = name
        self._create_deploy_role(args.deploy)
        self.vendor_role_arns = {v.name: self._create_vendor_role(args, v) for v in args.vendors}
        if args.identity_center is not None:
            self._create_permission_sets(args)
        self.deploy_role_arn = f"arn:aws:iam::{args.deploy.account_id}:role/{args.deploy.role_name}"
        self.register_outputs(
            {
                "name": name,
                "resource_id": self.deploy_role.arn,
                "deploy_role_arn": self.deploy_role.arn,
                "vendor_role_arns": self.vendor_role_arns,
            }
        )

    def _create_deploy_role(self, args: DeployRoleArgs) -> None:
        import pulumi_aws as aws

        child = pulumi.ResourceOptions(parent=self)
        if args.create_oidc_provider:
            # No thumbprints: IAM trusts GitHub's OIDC endpoint through its own CA library.
            aws.iam.OpenIdConnectProvider(
                f"{self._name}-github-oidc",
                url=f"https://{GITHUB_OIDC_HOST}",
                client_id_lists=[STS_AUDIENCE],
                opts=child,
            )
        self.deploy_role = aws.iam.Role(
            f"{self._name}-github-deploy",
            name=args.role_name,
            description=f"GitHub Actions deploys {args.github_repository} environment {args.environment}",
            assume_role_policy=deploy_trust_policy(args),
            max_session_duration=SESSION_SECONDS,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{self._name}-github-deploy-policy",
            name="platform-deploy",
            role=self.deploy_role.id,
            policy=dumps(deploy_statements(args)),
            opts=child,
        )

    def _create_vendor_role(self, args: AwsIdentityArgs, vendor: VendorRoleArgs) -> str:
        import pulumi_aws as aws

        child = pulumi.ResourceOptions(parent=self)
        role_name = f"{args.deploy.name_prefix}-vendor-{vendor.name}"
        role = aws.iam.Role(
            f"{self._name}-vendor-{vendor.name}",
            name=role_name,
            description=f"Vendor {vendor.name}: read-only until {vendor.expires.isoformat()}",
            assume_role_policy=vendor_trust_policy(vendor),
            max_session_duration=SESSION_SECONDS,
            tags={"access-expires": vendor.expires.isoformat(), "vendor": vendor.name},
            opts=child,
        )
        statements = vendor_read_statements(
            vendor, args.readable_buckets, args.deploy.region, args.deploy.account_id
        )
        if statements:
            aws.iam.RolePolicy(
                f"{self._name}-vendor-{vendor.name}-read",
                name="read-only",
                role=role.id,
                policy=dumps(statements),
                opts=child,
            )
        return f"arn:aws:iam::{args.deploy.account_id}:role/{role_name}"

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
                name=f"{args.deploy.environment}-{spec.name}"[:32],
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
            if spec.data_read and args.analytics_workgroup and args.deploy.glue_database:
                aws.ssoadmin.PermissionSetInlinePolicy(
                    f"{self._name}-ps-{group}-inline",
                    instance_arn=center.instance_arn,
                    permission_set_arn=permission_set.arn,
                    inline_policy=dumps(
                        data_read_statements(
                            args.deploy.region,
                            args.deploy.account_id,
                            args.analytics_workgroup,
                            args.deploy.glue_database,
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
                    target_id=args.deploy.account_id,
                    opts=child,
                )
