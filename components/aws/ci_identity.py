"""The CI identities of one environment's AWS account: a plan role, a deploy role, and the
permissions boundary that caps the deploy role and every role it creates.

Read as a thief holding a workflow token:

- **plan** (`<prefix>-ci-plan`, GitHub environment `<env>-plan`): AWS `ReadOnlyAccess` for
  configuration and state, plus an explicit deny of every data-plane read (objects, decrypt,
  secret values, database and warehouse data APIs, Athena results, log events). The only
  key it may decrypt with is the stack's secrets-provider key (when the stack uses
  `awskms://`); the only objects it may read are the state backend's.
- **deploy** (`<prefix>-ci-deploy`, GitHub environment `<env>`): the platform's own actions,
  resource-scoped; role changes only when the request carries the boundary
  (`iam:PermissionsBoundary`); key policy, grant and key deletion only on keys tagged as
  this environment's; explicit denies on restricted-data keys and buckets (no deletion, no
  public exposure) and on the CI roles and the boundary themselves.
- **tenant plan** (`<prefix>-ci-tenant-plan`, GitHub environment `tenant-plan`, only when
  `tenant_plan_environment` is set): the tenant stack's previews and drift read what that stack
  manages in this account (the CI roles, their policies, the boundary and the OIDC provider) and
  nothing else, every data-plane read denied as for the plan role.
- **boundary** (`<prefix>-ci-boundary`): the ceiling of the deploy role and of every role it
  creates: the platform's services only, never long-lived credentials, never an AWS-managed
  policy attachment, never a role without this boundary, never a change to the boundary,
  the CI roles or restricted data's keys and buckets.

These roles belong to the tenant stack (see `components/platform/tenant.py`), so the deploy
role never manages itself: an environment's deploy cannot edit what it runs as.
"""

from __future__ import annotations

from typing import Any

import pulumi
from pydantic import Field

from components.aws.documents import Statement, bucket_arn, dumps
from policies.aws.iam_data import DATA_READ_ACTIONS
from stacks.model import AwsAccountId, StrictModel

GITHUB_OIDC_HOST = "token.actions.githubusercontent.com"
STS_AUDIENCE = "sts.amazonaws.com"
SESSION_SECONDS = 3600
MANAGED_BY = "pulumi/civic-infra"
READ_ONLY_POLICY = "arn:aws:iam::aws:policy/ReadOnlyAccess"
SERVICE_LINKED = (
    "rds.amazonaws.com", "redshift.amazonaws.com", "guardduty.amazonaws.com",
    "malware-protection.guardduty.amazonaws.com", "config.amazonaws.com",
)  # fmt: skip
"""Services whose service-linked roles the deploy role may create (and read or delete)."""

PLATFORM_SERVICES = (
    "athena", "budgets", "cloudtrail", "cloudwatch", "config", "ec2", "events", "glue", "guardduty",
    "iam", "kms", "logs", "rds", "redshift-serverless", "s3", "secretsmanager", "securityhub",
    "access-analyzer", "sns", "sso", "sts",
)  # fmt: skip
"""The services the boundary lets any platform role use at all (each still needs a grant)."""

ROLE_CHANGES = (
    "iam:PutRolePolicy", "iam:DeleteRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
    "iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:UpdateRoleDescription", "iam:DeleteRole",
    "iam:TagRole", "iam:UntagRole", "iam:PutRolePermissionsBoundary", "iam:DeleteRolePermissionsBoundary",
)  # fmt: skip
"""Everything that changes a role; denied outright on the CI roles."""

RESTRICTED_BUCKET_DENIES = (
    "s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:DeleteObject", "s3:DeleteObjectVersion",
    "s3:PutLifecycleConfiguration", "s3:PutBucketPublicAccessBlock", "s3:PutBucketAcl", "s3:PutObjectAcl",
    "s3:PutBucketOwnershipControls", "s3:BypassGovernanceRetention",
)  # fmt: skip
"""Deletion, expiry and exposure of a restricted bucket: never by CI, whatever `protect` says.

With its public access block fixed at all-on and ACLs off, no bucket policy can make the
bucket public, so policy writes stay with CI (partner and perimeter changes need them).
Creating or changing a restricted bucket's lifecycle or access block is an administrator's
deploy (docs/runbooks/bootstrap.md)."""

RESTRICTED_KEY_DENIES = ("kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy")
"""Deletion, disabling and re-opening of a restricted data key: never by CI."""


def github_subject(repository: str, environment: str) -> str:
    """The exact `sub` claim of a GitHub Actions job bound to one deployment environment."""
    return f"repo:{repository}:environment:{environment}"


def plan_environment(environment: str) -> str:
    """The GitHub environment whose jobs may assume the plan identity: `<env>-plan`."""
    return f"{environment}-plan"


def boundary_name(name_prefix: str) -> str:
    """The boundary policy's name: '<prefix>-ci-boundary'."""
    return f"{name_prefix}-ci-boundary"


def deploy_role_arn(account_id: str, name_prefix: str) -> str:
    """The deploy role's ARN: '<prefix>-ci-deploy'."""
    return f"arn:aws:iam::{account_id}:role/{name_prefix}-ci-deploy"


def plan_role_arn(account_id: str, name_prefix: str) -> str:
    """The plan role's ARN: '<prefix>-ci-plan'."""
    return f"arn:aws:iam::{account_id}:role/{name_prefix}-ci-plan"


def boundary_arn(account_id: str, name_prefix: str) -> str:
    """The boundary's ARN, known before anything exists, so environment stacks can attach it."""
    return f"arn:aws:iam::{account_id}:policy/{boundary_name(name_prefix)}"


class CiIdentityArgs(StrictModel):
    """The plan and deploy roles of one environment's account and the boundary that caps them."""

    account_id: AwsAccountId
    region: str
    name_prefix: str = Field(pattern=r"^[a-z0-9-]+$", description="'<org>-<env>'; scopes every resource name")
    github_repository: str = Field(pattern=r"^[A-Za-z0-9-]+/[A-Za-z0-9._-]+$")
    environment: str = Field(description="GitHub deployment environment of the deploy role; the stack name")
    glue_database: str | None = Field(None, description="no Glue/Athena permissions when omitted")
    redshift_enabled: bool = False
    postgres_enabled: bool = False
    config_recorder_enabled: bool = False
    identity_center_instance_arn: str | None = Field(
        None, description="no Identity Center rights when omitted; otherwise only this instance"
    )
    restricted_bucket_names: list[str] = Field(
        default_factory=list,
        description="buckets holding restricted data: never deleted, expired or exposed by CI; "
        "every '<prefix>-*' bucket when omitted",
    )
    state_bucket: str | None = Field(
        None, description="S3 state backend bucket the plan role may read; none (no object reads) when omitted"
    )
    secrets_key_alias: str | None = Field(
        None, pattern=r"^alias/[A-Za-z0-9/_-]+$",
        description="KMS alias of the stack's secrets provider; no decrypt at all when omitted",
    )
    secrets_key_arn: str | None = Field(
        None, pattern=r"^arn:aws:kms:[a-z0-9-]+:[0-9]{12}:key/[A-Za-z0-9-]+$",
        description="ARN of the secrets provider's key when its URL names the key; decrypt on exactly this key",
    )
    secrets_encryption_context: dict[str, str] = Field(
        default_factory=dict,
        description="the secrets provider's encryption context (its URL's context_* parameters); decrypt only "
        "with exactly this context when set",
    )
    guardduty_regions: list[str] = Field(
        default_factory=list,
        description="US regions beside `region` with a GuardDuty detector and a findings forwarder; none when omitted",
    )
    create_oidc_provider: bool = Field(
        True, description="off: the account already has the GitHub OIDC provider (one per account)"
    )
    tenant_plan_environment: str | None = Field(
        None, description="GitHub environment of the tenant stack's previews and drift ('tenant-plan'): a role "
        "'<prefix>-ci-tenant-plan' that reads the CI roles, their policies and the OIDC provider; none when omitted",
    )
    database_backups_enabled: bool = Field(
        False, description="no AWS Backup rights when off; on: the '<prefix>-db-backups' vault, its plan and role"
    )
    backup_destruction_denied: bool = Field(
        True, description="explicit denies on deleting backup vaults, recovery points and vault locks (production)"
    )

    @property
    def deploy_role_name(self) -> str:
        return f"{self.name_prefix}-ci-deploy"

    @property
    def plan_role_name(self) -> str:
        return f"{self.name_prefix}-ci-plan"

    @property
    def tenant_plan_role_name(self) -> str:
        return f"{self.name_prefix}-ci-tenant-plan"

    @property
    def boundary_name(self) -> str:
        return boundary_name(self.name_prefix)

    @property
    def boundary_arn(self) -> str:
        return boundary_arn(self.account_id, self.name_prefix)

    @property
    def oidc_provider_arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:oidc-provider/{GITHUB_OIDC_HOST}"

    def role_arn(self, name: str) -> str:
        return f"arn:aws:iam::{self.account_id}:role/{name}"


def trust_policy(args: CiIdentityArgs, github_environment: str) -> str:
    """Web identity trust: audience sts.amazonaws.com and exactly one GitHub environment of one repository."""
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
                        f"{GITHUB_OIDC_HOST}:sub": github_subject(args.github_repository, github_environment),
                    }
                },
            }
        ]
    )


def _own_tags(args: CiIdentityArgs, kind: str = "ResourceTag") -> dict[str, str]:
    return {f"aws:{kind}/managed-by": MANAGED_BY, f"aws:{kind}/environment": args.environment}


def protected_statements(args: CiIdentityArgs) -> list[Statement]:
    """Explicit denies shared by the deploy policy and the boundary: the cloud enforces them."""
    acct = args.account_id
    ci_roles = [args.role_arn(args.deploy_role_name), args.role_arn(args.plan_role_name)]
    if args.tenant_plan_environment:
        ci_roles.append(args.role_arn(args.tenant_plan_role_name))
    statements: list[Statement] = [
        {"Sid": "DenyCiRoleChanges", "Effect": "Deny", "Action": list(ROLE_CHANGES), "Resource": ci_roles},
        {"Sid": "DenyBoundaryChanges", "Effect": "Deny",
         "Action": ["iam:CreatePolicyVersion", "iam:SetDefaultPolicyVersion", "iam:DeletePolicyVersion",
                    "iam:DeletePolicy", "iam:TagPolicy", "iam:UntagPolicy"],
         "Resource": args.boundary_arn},
        {"Sid": "DenyBoundaryRemoval", "Effect": "Deny", "Action": "iam:DeleteRolePermissionsBoundary",
         "Resource": f"arn:aws:iam::{acct}:role/*"},
        {"Sid": "DenyRolesWithoutBoundary", "Effect": "Deny",
         "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary"], "Resource": f"arn:aws:iam::{acct}:role/*",
         "Condition": {"StringNotEquals": {"iam:PermissionsBoundary": args.boundary_arn}}},
        {"Sid": "DenyLongLivedCredentials", "Effect": "Deny",
         "Action": ["iam:CreateUser", "iam:CreateAccessKey", "iam:CreateLoginProfile", "iam:UpdateLoginProfile",
                    "iam:AddUserToGroup"],
         "Resource": "*"},
        {"Sid": "DenyAwsManagedPolicies", "Effect": "Deny",
         "Action": ["iam:AttachRolePolicy", "iam:AttachUserPolicy", "iam:AttachGroupPolicy"], "Resource": "*",
         "Condition": {"ArnLike": {"iam:PolicyARN": "arn:aws:iam::aws:policy/*"},
                       **({"ArnNotEquals": {"iam:PolicyARN": BACKUP_SERVICE_POLICY}} if args.database_backups_enabled else {})}},
        {"Sid": "DenyRestrictedKeyDestruction", "Effect": "Deny", "Action": list(RESTRICTED_KEY_DENIES),
         "Resource": f"arn:aws:kms:*:{acct}:key/*",
         "Condition": {"StringEquals": {"aws:ResourceTag/data-classification": "restricted"}}},
        {"Sid": "DenyAccountPublicAccessChanges", "Effect": "Deny", "Action": "s3:PutAccountPublicAccessBlock",
         "Resource": "*"},
    ]  # fmt: skip
    # Without a list of restricted buckets every platform bucket is treated as restricted.
    arns = [bucket_arn(b) for b in args.restricted_bucket_names] or [bucket_arn(f"{args.name_prefix}-*")]
    statements.append(
        {"Sid": "DenyRestrictedBucketDestruction", "Effect": "Deny", "Action": list(RESTRICTED_BUCKET_DENIES),
         "Resource": [*arns, *(f"{a}/*" for a in arns)]}  # fmt: skip
    )
    statements += backup_protected_statements(args)
    return statements


def boundary_statements(args: CiIdentityArgs) -> list[Statement]:
    """The permissions boundary: the platform's services, minus everything in `protected_statements`."""
    return [
        {"Sid": "PlatformServices", "Effect": "Allow",
         "Action": [f"{service}:*" for service in PLATFORM_SERVICES], "Resource": "*"},
        *backup_boundary_statements(args),
        *protected_statements(args),
    ]  # fmt: skip


def secrets_decrypt_statements(args: CiIdentityArgs) -> list[Statement]:
    """Decrypt with the key behind the stack's awskms:// secrets provider, and no other key: what the plan
    and deploy roles need to read the stack's config secrets. None with another secrets provider."""
    context = {f"kms:EncryptionContext:{k}": v for k, v in sorted(args.secrets_encryption_context.items())}
    if args.secrets_key_arn:
        # The URL names the key: decrypt on exactly that key ARN (with its encryption context, if any).
        return [{"Sid": "DecryptStackSecrets", "Effect": "Allow", "Action": "kms:Decrypt",
                 "Resource": args.secrets_key_arn, **({"Condition": {"StringEquals": context}} if context else {})}]
    if args.secrets_key_alias:
        condition: dict[str, Any] = {"ForAnyValue:StringEquals": {"kms:ResourceAliases": args.secrets_key_alias}}
        if context:
            condition["StringEquals"] = context
        return [{"Sid": "DecryptStackSecrets", "Effect": "Allow", "Action": "kms:Decrypt",
                 "Resource": f"arn:aws:kms:{args.region}:{args.account_id}:key/*", "Condition": condition}]
    return []


def plan_statements(args: CiIdentityArgs) -> list[Statement]:
    """The plan role's inline policy: secrets-provider decrypt and state reads, and the data-plane deny."""
    statements: list[Statement] = []
    deny: Statement = {"Sid": "DenyDataPlaneReads", "Effect": "Deny", "Action": list(DATA_READ_ACTIONS),
                       "Resource": "*"}  # fmt: skip
    statements += secrets_decrypt_statements(args)
    if args.secrets_key_arn:
        statements.append({"Sid": "DenyDataKeyUse", "Effect": "Deny",
                           "Action": [a for a in DATA_READ_ACTIONS if a.startswith("kms:")],
                           "NotResource": args.secrets_key_arn})  # fmt: skip
        deny = {"Sid": "DenyDataPlaneReads", "Effect": "Deny",
                "Action": [a for a in DATA_READ_ACTIONS if not a.startswith("kms:")], "Resource": "*"}  # fmt: skip
    elif args.secrets_key_alias:
        alias = args.secrets_key_alias
        # The deny spares only the key behind the secrets provider's alias.
        deny["Condition"] = {"ForAllValues:StringNotEquals": {"kms:ResourceAliases": alias}}
        statements.append({**deny, "Sid": "DenyDataKeyUse",
                           "Action": [a for a in DATA_READ_ACTIONS if a.startswith("kms:")]})  # fmt: skip
        deny = {"Sid": "DenyDataPlaneReads", "Effect": "Deny",
                "Action": [a for a in DATA_READ_ACTIONS if not a.startswith("kms:")], "Resource": "*"}  # fmt: skip
    if args.state_bucket:
        state = bucket_arn(args.state_bucket)
        statements.append(
            {"Sid": "ReadState", "Effect": "Allow", "Action": ["s3:GetObject", "s3:ListBucket"],
             "Resource": [state, f"{state}/*"]}  # fmt: skip
        )
        object_reads = [a for a in deny["Action"] if a.startswith("s3:")]
        statements.append({"Sid": "DenyObjectReadsOutsideState", "Effect": "Deny", "Action": object_reads,
                           "NotResource": f"{state}/*"})  # fmt: skip
        deny = {**deny, "Action": [a for a in deny["Action"] if not a.startswith("s3:")]}
    statements.append(deny)
    statements += backup_plan_statements(args)
    return statements


TENANT_PLAN_READS = (
    "iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRoleTags",
    "iam:GetPolicy", "iam:GetPolicyVersion", "iam:ListPolicyVersions", "iam:ListPolicyTags",
    "iam:GetOpenIDConnectProvider", "iam:ListOpenIDConnectProviderTags",
)  # fmt: skip
"""What a refresh of the tenant stack's resources in this account reads: roles, policies, the OIDC provider."""


def tenant_plan_statements(args: CiIdentityArgs) -> list[Statement]:
    """The tenant stack's plan role: read what the tenant stack manages here (the CI roles, their
    policies and the boundary, the OIDC provider), and nothing else; every data-plane read denied."""
    acct = args.account_id
    return [
        {"Sid": "ReadTenantStackResources", "Effect": "Allow", "Action": list(TENANT_PLAN_READS),
         "Resource": [f"arn:aws:iam::{acct}:role/{args.name_prefix}-ci-*",
                      f"arn:aws:iam::{acct}:policy/{args.name_prefix}-ci-*", args.oidc_provider_arn]},
        {"Sid": "DenyDataPlaneReads", "Effect": "Deny", "Action": list(DATA_READ_ACTIONS), "Resource": "*"},
    ]  # fmt: skip


def deploy_statements(args: CiIdentityArgs) -> list[Statement]:
    """What the deploy role may do: manage this platform's resources, nothing else.

    Service-level action groups (e.g. `ec2:*Subnet*`) rather than `service:*`; resources
    limited to this account, region and `<prefix>-*` names where the service supports it;
    KMS key administration only on keys tagged as this environment's (S3 bucket actions
    cannot be conditioned on tags, so buckets are scoped by name). No object reads, no
    decrypt except with the secrets-provider key, no IAM users or keys; role changes only with
    the boundary attached.
    """
    acct, region, prefix = args.account_id, args.region, args.name_prefix
    in_region = {"StringEquals": {"aws:RequestedRegion": region}}
    role_arns = [f"arn:aws:iam::{acct}:role/{prefix}-*"]
    boundary = {"StringEquals": {"iam:PermissionsBoundary": args.boundary_arn}}
    statements: list[Statement] = [
        {"Sid": "Identify", "Effect": "Allow",
         "Action": ["sts:GetCallerIdentity", "iam:ListRoles", "iam:ListOpenIDConnectProviders", "iam:GetPolicy",
                    "iam:GetPolicyVersion"],
         "Resource": "*"},
        {"Sid": "Network", "Effect": "Allow",
         "Action": ["ec2:Describe*", "ec2:*Vpc", "ec2:*VpcAttribute", "ec2:*Subnet", "ec2:ModifySubnetAttribute",
                    "ec2:*RouteTable", "ec2:*Route", "ec2:*InternetGateway", "ec2:*NatGateway", "ec2:AllocateAddress",
                    "ec2:ReleaseAddress", "ec2:*SecurityGroup", "ec2:*SecurityGroupIngress",
                    "ec2:*SecurityGroupEgress", "ec2:*VpcEndpoint*", "ec2:*FlowLogs", "ec2:CreateTags",
                    "ec2:DeleteTags"],
         "Resource": "*", "Condition": in_region},
        {"Sid": "BucketConfiguration", "Effect": "Allow",
         "Action": ["s3:CreateBucket", "s3:DeleteBucket", "s3:ListBucket", "s3:GetBucket*", "s3:GetEncryptionConfiguration",
                    "s3:GetLifecycleConfiguration", "s3:GetAccelerateConfiguration", "s3:GetReplicationConfiguration",
                    "s3:PutBucketTagging", "s3:PutBucketVersioning", "s3:PutBucketLogging",
                    "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls", "s3:PutEncryptionConfiguration",
                    "s3:PutBucketObjectLockConfiguration", "s3:PutBucketNotification"],
         "Resource": [f"arn:aws:s3:::{prefix}-*"]},
        # Policies and lifecycle rules decide who reads and how long data lives: own buckets only.
        {"Sid": "OwnBucketPolicyAndLifecycle", "Effect": "Allow",
         "Action": ["s3:PutBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutLifecycleConfiguration"],
         "Resource": [f"arn:aws:s3:::{prefix}-*"]},
        {"Sid": "CreateKeys", "Effect": "Allow", "Action": ["kms:CreateKey", "kms:TagResource"], "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": region, **_own_tags(args, "RequestTag")}}},
        {"Sid": "ListKeys", "Effect": "Allow", "Action": ["kms:ListKeys", "kms:ListAliases"], "Resource": "*",
         "Condition": in_region},
        {"Sid": "ManageOwnKeys", "Effect": "Allow",
         "Action": ["kms:DescribeKey", "kms:GetKeyPolicy", "kms:PutKeyPolicy", "kms:GetKeyRotationStatus",
                    "kms:EnableKeyRotation", "kms:ListResourceTags", "kms:TagResource", "kms:UntagResource",
                    "kms:UpdateKeyDescription", "kms:ScheduleKeyDeletion", "kms:CreateAlias", "kms:DeleteAlias",
                    "kms:UpdateAlias"],
         "Resource": f"arn:aws:kms:{region}:{acct}:key/*",
         "Condition": {"StringEquals": _own_tags(args)}},
        {"Sid": "OwnAliases", "Effect": "Allow", "Action": ["kms:CreateAlias", "kms:DeleteAlias", "kms:UpdateAlias"],
         "Resource": f"arn:aws:kms:{region}:{acct}:alias/{prefix}-*"},
        # RDS and Redshift create grants on the caller's behalf; nothing else may.
        {"Sid": "GrantsForAwsServices", "Effect": "Allow", "Action": "kms:CreateGrant",
         "Resource": f"arn:aws:kms:{region}:{acct}:key/*",
         "Condition": {"Bool": {"kms:GrantIsForAWSResource": "true"}, "StringEquals": _own_tags(args)}},
        {"Sid": "LogGroups", "Effect": "Allow",
         "Action": ["logs:CreateLogGroup", "logs:DeleteLogGroup", "logs:PutRetentionPolicy", "logs:AssociateKmsKey",
                    "logs:DisassociateKmsKey", "logs:TagResource", "logs:UntagResource", "logs:ListTagsForResource",
                    "logs:DescribeLogGroups"],
         "Resource": [f"arn:aws:logs:{region}:{acct}:log-group:/civic/{prefix}-*",
                      f"arn:aws:logs:{region}:{acct}:log-group:/civic/{prefix}/*"]},
        # The CIS monitoring set: metric filters on the trail's log group, alarms to the security topic.
        {"Sid": "CisMonitoring", "Effect": "Allow",
         "Action": ["logs:PutMetricFilter", "logs:DeleteMetricFilter", "logs:DescribeMetricFilters",
                    "cloudwatch:PutMetricAlarm", "cloudwatch:DeleteAlarms", "cloudwatch:DescribeAlarms",
                    "cloudwatch:TagResource", "cloudwatch:UntagResource", "cloudwatch:ListTagsForResource"],
         "Resource": [f"arn:aws:logs:{region}:{acct}:log-group:/civic/{prefix}/*",
                      f"arn:aws:cloudwatch:{region}:{acct}:alarm:{prefix}-*"]},
        {"Sid": "DescribeLogGroups", "Effect": "Allow", "Action": "logs:DescribeLogGroups", "Resource": "*",
         "Condition": in_region},
        {"Sid": "ReadPlatformRoles", "Effect": "Allow",
         "Action": ["iam:GetRole", "iam:ListRolePolicies", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies",
                    "iam:ListInstanceProfilesForRole", "iam:ListRoleTags"],
         "Resource": role_arns},
        # Creating or re-permissioning a role needs this stack's boundary on it.
        {"Sid": "ChangeRolesWithBoundary", "Effect": "Allow",
         "Action": ["iam:CreateRole", "iam:PutRolePermissionsBoundary", "iam:PutRolePolicy", "iam:DeleteRolePolicy"],
         "Resource": role_arns, "Condition": boundary},
        {"Sid": "ManageOwnRoles", "Effect": "Allow",
         "Action": ["iam:UpdateAssumeRolePolicy", "iam:UpdateRole", "iam:DeleteRole", "iam:TagRole", "iam:UntagRole"],
         "Resource": role_arns, "Condition": {"StringEquals": _own_tags(args)}},
        {"Sid": "PassPlatformRoles", "Effect": "Allow", "Action": "iam:PassRole", "Resource": role_arns,
         "Condition": {"StringEquals": {"iam:PassedToService": ["vpc-flow-logs.amazonaws.com", "cloudtrail.amazonaws.com",
                                                               "events.amazonaws.com"]}}},
        {"Sid": "CreateServiceLinkedRoles", "Effect": "Allow", "Action": "iam:CreateServiceLinkedRole",
         "Resource": f"arn:aws:iam::{acct}:role/aws-service-role/*",
         "Condition": {"StringEquals": {"iam:AWSServiceName": list(SERVICE_LINKED)}}},
        {"Sid": "ManageServiceLinkedRoles", "Effect": "Allow",
         "Action": ["iam:GetRole", "iam:DeleteServiceLinkedRole", "iam:GetServiceLinkedRoleDeletionStatus"],
         "Resource": [f"arn:aws:iam::{acct}:role/aws-service-role/{service}/*" for service in SERVICE_LINKED]},
        {"Sid": "AuditTrail", "Effect": "Allow",
         "Action": ["cloudtrail:CreateTrail", "cloudtrail:UpdateTrail", "cloudtrail:DeleteTrail",
                    "cloudtrail:StartLogging", "cloudtrail:GetTrail", "cloudtrail:GetTrailStatus",
                    "cloudtrail:GetEventSelectors", "cloudtrail:PutEventSelectors", "cloudtrail:GetInsightSelectors",
                    "cloudtrail:AddTags", "cloudtrail:RemoveTags", "cloudtrail:ListTags"],
         "Resource": f"arn:aws:cloudtrail:{region}:{acct}:trail/{prefix}-*"},
        {"Sid": "DescribeTrails", "Effect": "Allow", "Action": "cloudtrail:DescribeTrails", "Resource": "*",
         "Condition": in_region},
        {"Sid": "ThreatDetection", "Effect": "Allow",
         "Action": ["guardduty:CreateDetector", "guardduty:GetDetector", "guardduty:UpdateDetector",
                    "guardduty:ListDetectors", "guardduty:TagResource", "guardduty:UntagResource",
                    "guardduty:ListTagsForResource"],
         "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": [region, *args.guardduty_regions]}}},
        # The account baseline: turn on and read; nothing here turns a control off.
        {"Sid": "AccountBaseline", "Effect": "Allow",
         "Action": ["securityhub:EnableSecurityHub", "securityhub:DescribeHub", "securityhub:UpdateSecurityHubConfiguration",
                    "securityhub:BatchEnableStandards", "securityhub:BatchDisableStandards",
                    "securityhub:GetEnabledStandards", "securityhub:DescribeStandards", "securityhub:TagResource",
                    "securityhub:ListTagsForResource", "access-analyzer:CreateAnalyzer", "access-analyzer:GetAnalyzer",
                    "access-analyzer:ListAnalyzers", "access-analyzer:TagResource", "access-analyzer:UntagResource",
                    "access-analyzer:ListTagsForResource", "ec2:EnableEbsEncryptionByDefault",
                    "ec2:GetEbsEncryptionByDefault", "s3:GetAccountPublicAccessBlock"],
         "Resource": "*", "Condition": in_region},
        # Forwarding GuardDuty findings of the other US regions to the home region's bus.
        {"Sid": "FindingsForwarders", "Effect": "Allow",
         "Action": ["events:PutRule", "events:DeleteRule", "events:DescribeRule", "events:PutTargets",
                    "events:RemoveTargets", "events:ListTargetsByRule", "events:TagResource", "events:UntagResource",
                    "events:ListTagsForResource"],
         "Resource": [f"arn:aws:events:{r}:{acct}:rule/{prefix}-*" for r in args.guardduty_regions] or
                     [f"arn:aws:events:{region}:{acct}:rule/{prefix}-*"]},
        {"Sid": "SecurityAlerts", "Effect": "Allow",
         "Action": ["sns:CreateTopic", "sns:DeleteTopic", "sns:GetTopicAttributes", "sns:SetTopicAttributes",
                    "sns:Subscribe", "sns:Unsubscribe", "sns:GetSubscriptionAttributes", "sns:ListSubscriptionsByTopic",
                    "sns:TagResource", "sns:UntagResource", "sns:ListTagsForResource", "events:PutRule",
                    "events:DeleteRule", "events:DescribeRule", "events:PutTargets", "events:RemoveTargets",
                    "events:ListTargetsByRule", "events:TagResource", "events:UntagResource",
                    "events:ListTagsForResource"],
         "Resource": [f"arn:aws:sns:{region}:{acct}:{prefix}-*", f"arn:aws:events:{region}:{acct}:rule/{prefix}-*"]},
        {"Sid": "Budgets", "Effect": "Allow",
         "Action": ["budgets:ViewBudget", "budgets:ModifyBudget", "budgets:ListTagsForResource", "budgets:TagResource",
                    "budgets:UntagResource"],
         "Resource": f"arn:aws:budgets::{acct}:budget/{prefix}-*"},
    ]  # fmt: skip
    # CloudTrail and GuardDuty stay on: stopping the trail or deleting the detector is an attacker's first move.
    statements.append({"Sid": "DenyBlindingAudit", "Effect": "Deny",
                       "Action": ["cloudtrail:StopLogging", "guardduty:DeleteDetector", "securityhub:DisableSecurityHub",
                                  "access-analyzer:DeleteAnalyzer", "ec2:DisableEbsEncryptionByDefault",
                                  "cloudtrail:DeleteTrail"],
                       "Resource": "*"})  # fmt: skip
    if args.glue_database:
        statements.append(
            {"Sid": "Analytics", "Effect": "Allow",
             "Action": ["glue:GetDatabase", "glue:CreateDatabase", "glue:UpdateDatabase", "glue:DeleteDatabase",
                        "glue:GetDataCatalogEncryptionSettings", "glue:PutDataCatalogEncryptionSettings",
                        "glue:GetTags", "glue:TagResource", "glue:UntagResource", "athena:CreateWorkGroup",
                        "athena:GetWorkGroup", "athena:UpdateWorkGroup", "athena:DeleteWorkGroup",
                        "athena:ListTagsForResource", "athena:TagResource", "athena:UntagResource"],
             "Resource": [f"arn:aws:glue:{region}:{acct}:catalog",
                          f"arn:aws:glue:{region}:{acct}:database/{args.glue_database}",
                          f"arn:aws:athena:{region}:{acct}:workgroup/{prefix}-*"]}  # fmt: skip
        )
    if args.postgres_enabled or args.redshift_enabled:
        statements.append(
            {"Sid": "ManagedDatabaseSecrets", "Effect": "Allow",
             "Action": ["secretsmanager:CreateSecret", "secretsmanager:DescribeSecret", "secretsmanager:TagResource",
                        "secretsmanager:RotateSecret"],
             "Resource": [f"arn:aws:secretsmanager:{region}:{acct}:secret:rds!*",
                          f"arn:aws:secretsmanager:{region}:{acct}:secret:redshift!*"]}  # fmt: skip
        )
    if args.postgres_enabled:
        statements.append(
            {"Sid": "Postgres", "Effect": "Allow",
             "Action": ["rds:CreateDBInstance", "rds:ModifyDBInstance", "rds:DeleteDBInstance", "rds:DescribeDBInstances",
                        "rds:RebootDBInstance", "rds:CreateDBSnapshot", "rds:*DBSubnetGroup*", "rds:*DBParameterGroup*",
                        "rds:DescribeDBParameters", "rds:ModifyDBParameterGroup", "rds:AddTagsToResource",
                        "rds:RemoveTagsFromResource", "rds:ListTagsForResource"],
             "Resource": f"arn:aws:rds:{region}:{acct}:*"}  # fmt: skip
        )
        # A public endpoint on the voter database is never a CI decision.
        statements.append(
            {"Sid": "DenyPublicDatabases", "Effect": "Deny", "Action": ["rds:CreateDBInstance", "rds:ModifyDBInstance"],
             "Resource": "*", "Condition": {"Bool": {"rds:PubliclyAccessible": "true"}}}  # fmt: skip
        )
    if args.redshift_enabled:
        statements.append(
            {"Sid": "RedshiftServerless", "Effect": "Allow",
             "Action": ["redshift-serverless:*Namespace", "redshift-serverless:*Workgroup",
                        "redshift-serverless:ListNamespaces", "redshift-serverless:ListWorkgroups",
                        "redshift-serverless:TagResource", "redshift-serverless:UntagResource",
                        "redshift-serverless:ListTagsForResource"],
             "Resource": f"arn:aws:redshift-serverless:{region}:{acct}:*"}  # fmt: skip
        )
    if args.config_recorder_enabled:
        statements.append(
            {"Sid": "ConfigRecorder", "Effect": "Allow",
             "Action": ["config:PutConfigurationRecorder", "config:DescribeConfigurationRecorders",
                        "config:DescribeConfigurationRecorderStatus", "config:StartConfigurationRecorder",
                        "config:PutDeliveryChannel", "config:DescribeDeliveryChannels"],
             "Resource": "*", "Condition": in_region}  # fmt: skip
        )
    if args.identity_center_instance_arn:
        instance = args.identity_center_instance_arn
        instance_id = instance.rsplit("/", 1)[-1]
        permission_sets = f"arn:aws:sso:::permissionSet/{instance_id}/*"
        statements += [
            {"Sid": "IdentityCenterInstance", "Effect": "Allow",
             "Action": ["sso:CreatePermissionSet", "sso:DescribePermissionSet", "sso:ListPermissionSets",
                        "sso:CreateAccountAssignment", "sso:DeleteAccountAssignment", "sso:ListAccountAssignments",
                        "sso:DescribeAccountAssignmentCreationStatus", "sso:DescribeAccountAssignmentDeletionStatus",
                        "sso:DescribePermissionSetProvisioningStatus", "sso:ProvisionPermissionSet",
                        "sso:ListTagsForResource"],
             "Resource": [instance, f"arn:aws:sso:::account/{acct}"]},
            {"Sid": "CreatePermissionSetsTagged", "Effect": "Allow",
             "Action": ["sso:CreatePermissionSet", "sso:TagResource"], "Resource": permission_sets,
             "Condition": {"StringEquals": _own_tags(args, "RequestTag")}},
            # Only permission sets this platform created (its tags) can be changed or assigned.
            {"Sid": "OwnPermissionSets", "Effect": "Allow",
             "Action": ["sso:DescribePermissionSet", "sso:UpdatePermissionSet", "sso:DeletePermissionSet",
                        "sso:ProvisionPermissionSet", "sso:AttachManagedPolicyToPermissionSet",
                        "sso:DetachManagedPolicyFromPermissionSet", "sso:ListManagedPoliciesInPermissionSet",
                        "sso:PutInlinePolicyToPermissionSet", "sso:GetInlinePolicyForPermissionSet",
                        "sso:DeleteInlinePolicyFromPermissionSet", "sso:CreateAccountAssignment",
                        "sso:DeleteAccountAssignment", "sso:ListAccountAssignments", "sso:TagResource",
                        "sso:UntagResource", "sso:ListTagsForResource"],
             "Resource": permission_sets, "Condition": {"StringEquals": _own_tags(args)}},
        ]  # fmt: skip
    statements += backup_deploy_statements(args)
    # A deploy reads the stack's config secrets too (the same one key as the plan role).
    statements += secrets_decrypt_statements(args)
    return statements


# --- AWS Backup of the databases (components/aws/backup.py) ----------------------------------

BACKUP_SERVICE_POLICY = "arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup"
"""The one AWS-managed policy the deploy role may attach, and only to the backup service role."""

BACKUP_DESTRUCTION = (
    "backup:DeleteBackupVault", "backup:DeleteRecoveryPoint", "backup:DeleteBackupVaultLockConfiguration",
    "backup:UpdateRecoveryPointLifecycle",
)  # fmt: skip
"""Deleting or shortening the life of backups: never by CI in production."""

BACKUP_JOBS = ("backup:StartRestoreJob", "backup:StartBackupJob", "backup:StartCopyJob", "backup:PutRestoreValidationResult")
"""Jobs that move data: the plan role never starts one."""


def _backup_names(args: CiIdentityArgs) -> tuple[str, str, str]:
    """The vault ARN pattern, the plan ARN pattern and the service role's ARN."""
    from components.aws.backup import backup_role_name

    acct, region, prefix = args.account_id, args.region, args.name_prefix
    return (f"arn:aws:backup:{region}:{acct}:backup-vault:{prefix}-*", f"arn:aws:backup:{region}:{acct}:backup-plan:*",
            args.role_arn(backup_role_name(prefix)))  # fmt: skip


def backup_boundary_statements(args: CiIdentityArgs) -> list[Statement]:
    """The boundary's room for AWS Backup: the deploy role manages it, the service role backs up through it."""
    if not args.database_backups_enabled:
        return []
    return [{"Sid": "BackupService", "Effect": "Allow",
             "Action": ["backup:*", "backup-storage:MountCapsule", "tag:GetResources"], "Resource": "*"}]  # fmt: skip


def backup_protected_statements(args: CiIdentityArgs) -> list[Statement]:
    """Explicit denies (deploy policy and boundary): backups outlive a stolen deploy token.

    Recovery points of RDS live under RDS snapshot ARNs, not the vault's, so the recovery-point
    actions are denied account-wide and AWS Backup's RDS snapshots cannot be deleted through RDS.
    """
    if not (args.database_backups_enabled and args.backup_destruction_denied):
        return []
    vaults, _, _ = _backup_names(args)
    return [
        {"Sid": "DenyBackupVaultDestruction", "Effect": "Deny",
         "Action": ["backup:DeleteBackupVault", "backup:DeleteBackupVaultLockConfiguration",
                    "backup:DeleteBackupVaultAccessPolicy"],
         "Resource": vaults},
        {"Sid": "DenyRecoveryPointDestruction", "Effect": "Deny",
         "Action": ["backup:DeleteRecoveryPoint", "backup:UpdateRecoveryPointLifecycle", "backup:DisassociateRecoveryPoint"],
         "Resource": "*"},
        {"Sid": "DenyBackupSnapshotDeletion", "Effect": "Deny", "Action": "rds:DeleteDBSnapshot",
         "Resource": f"arn:aws:rds:*:{args.account_id}:snapshot:awsbackup:*"},
    ]  # fmt: skip


def backup_deploy_statements(args: CiIdentityArgs) -> list[Statement]:
    """What the deploy role may do with AWS Backup: the platform's vault, plans, selection and service role."""
    if not args.database_backups_enabled:
        return []
    vaults, plans, role = _backup_names(args)
    owned = {"StringEquals": _own_tags(args)}
    return [
        {"Sid": "CreateBackupResources", "Effect": "Allow",
         "Action": ["backup:CreateBackupVault", "backup:CreateBackupPlan", "backup:TagResource"],
         "Resource": [vaults, plans], "Condition": {"StringEquals": _own_tags(args, "RequestTag")}},
        {"Sid": "OwnBackupResources", "Effect": "Allow",
         "Action": ["backup:PutBackupVaultLockConfiguration", "backup:DeleteBackupVaultLockConfiguration",
                    "backup:DeleteBackupVault", "backup:UpdateBackupPlan", "backup:DeleteBackupPlan",
                    "backup:CreateBackupSelection", "backup:DeleteBackupSelection", "backup:TagResource",
                    "backup:UntagResource"],
         "Resource": [vaults, plans], "Condition": owned},
        {"Sid": "ReadBackupResources", "Effect": "Allow",
         "Action": ["backup:DescribeBackupVault", "backup:GetBackupVaultAccessPolicy",
                    "backup:GetBackupVaultNotifications", "backup:GetBackupPlan", "backup:GetBackupSelection",
                    "backup:ListBackupSelections", "backup:ListTags"],
         "Resource": [vaults, plans]},
        # AWS Backup's storage for a new vault; no resource-level scoping exists for it.
        {"Sid": "BackupVaultStorage", "Effect": "Allow", "Action": "backup-storage:MountCapsule", "Resource": "*",
         "Condition": {"StringEquals": {"aws:RequestedRegion": args.region}}},
        {"Sid": "BackupServiceRolePolicy", "Effect": "Allow",
         "Action": ["iam:AttachRolePolicy", "iam:DetachRolePolicy"], "Resource": role,
         "Condition": {"StringEquals": {"iam:PermissionsBoundary": args.boundary_arn},
                       "ArnEquals": {"iam:PolicyARN": BACKUP_SERVICE_POLICY}}},
        {"Sid": "PassBackupServiceRole", "Effect": "Allow", "Action": "iam:PassRole", "Resource": role,
         "Condition": {"StringEquals": {"iam:PassedToService": "backup.amazonaws.com"}}},
        # Attaching AWS Backup's managed policy to any other role stays denied.
        {"Sid": "DenyBackupPolicyElsewhere", "Effect": "Deny", "Action": "iam:AttachRolePolicy", "NotResource": role,
         "Condition": {"ArnEquals": {"iam:PolicyARN": BACKUP_SERVICE_POLICY}}},
    ]  # fmt: skip


def backup_plan_statements(args: CiIdentityArgs) -> list[Statement]:
    """The plan role reads AWS Backup's configuration (ReadOnlyAccess) and never starts a job."""
    if not args.database_backups_enabled:
        return []
    return [{"Sid": "DenyBackupJobs", "Effect": "Deny", "Action": [*BACKUP_JOBS, *BACKUP_DESTRUCTION],
             "Resource": "*"}]  # fmt: skip


MANAGED_POLICY_LIMIT = 6144
"""IAM's size limit of one managed policy document, whitespace excluded."""


def policy_parts(statements: list[Statement], limit: int = MANAGED_POLICY_LIMIT - 200) -> list[list[Statement]]:
    """Statements packed in order into documents that each fit IAM's managed-policy size limit."""
    import json

    parts: list[list[Statement]] = [[]]
    size = 0
    for statement in statements:
        length = len(json.dumps(statement, separators=(",", ":")))
        if length > limit:
            raise ValueError(f"statement {statement.get('Sid')} is {length} characters; split it below {limit}")
        if parts[-1] and size + length + 1 > limit:
            parts.append([])
            size = 0
        parts[-1].append(statement)
        size += length + 1
    return parts


class AwsCiIdentity(pulumi.ComponentResource):
    """GitHub OIDC provider, permissions boundary, plan role and deploy role of one account."""

    deploy_role_arn: str
    plan_role_arn: str
    boundary_arn: str

    def __init__(self, name: str, args: CiIdentityArgs, *, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("civic:aws:CiIdentity", name, None, opts)
        import pulumi_aws as aws

        child = pulumi.ResourceOptions(parent=self)
        tags = {"managed-by": MANAGED_BY, "environment": args.environment}
        if args.create_oidc_provider:
            # No thumbprints: IAM trusts GitHub's OIDC endpoint through its own CA library.
            aws.iam.OpenIdConnectProvider(
                f"{name}-github-oidc", url=f"https://{GITHUB_OIDC_HOST}", client_id_lists=[STS_AUDIENCE],
                tags=tags, opts=child,
            )
        boundary = aws.iam.Policy(
            f"{name}-boundary", name=args.boundary_name,
            description=f"Ceiling of the {args.environment} deploy role and every role it creates",
            policy=dumps(boundary_statements(args)), tags={**tags, "ci-purpose": "permissions-boundary"}, opts=child,
        )
        self.plan_role = aws.iam.Role(
            f"{name}-plan", name=args.plan_role_name,
            description=f"GitHub Actions previews and drift of {args.github_repository} {args.environment}: "
            "configuration and state, no data",
            assume_role_policy=trust_policy(args, plan_environment(args.environment)),
            max_session_duration=SESSION_SECONDS, permissions_boundary=boundary.arn,
            tags={**tags, "ci-identity": "plan"}, opts=child,
        )
        aws.iam.RolePolicyAttachment(
            f"{name}-plan-read-only", role=self.plan_role.name, policy_arn=READ_ONLY_POLICY, opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-plan-policy", name="plan-no-data", role=self.plan_role.id,
            policy=dumps(plan_statements(args)), opts=child,
        )
        if args.tenant_plan_environment:
            # The tenant stack's previews and drift: no ReadOnlyAccess, only what that stack manages here.
            tenant_plan = aws.iam.Role(
                f"{name}-tenant-plan", name=args.tenant_plan_role_name,
                description=f"GitHub Actions previews and drift of the tenant stack of {args.github_repository}: "
                "the CI roles and policies of this account, no data",
                assume_role_policy=trust_policy(args, args.tenant_plan_environment),
                max_session_duration=SESSION_SECONDS, permissions_boundary=boundary.arn,
                tags={**tags, "ci-identity": "plan"}, opts=child,
            )
            aws.iam.RolePolicy(
                f"{name}-tenant-plan-policy", name="tenant-plan-read", role=tenant_plan.id,
                policy=dumps(tenant_plan_statements(args)), opts=child,
            )
        self.deploy_role = aws.iam.Role(
            f"{name}-deploy", name=args.deploy_role_name,
            description=f"GitHub Actions deploys {args.github_repository} environment {args.environment}",
            assume_role_policy=trust_policy(args, args.environment),
            max_session_duration=SESSION_SECONDS, permissions_boundary=boundary.arn,
            tags={**tags, "ci-identity": "deploy"}, opts=child,
        )
        # Managed policies, not inline: the deploy rights exceed the 10 KB inline limit of a role.
        for i, part in enumerate(policy_parts(deploy_statements(args))):
            policy = aws.iam.Policy(
                f"{name}-deploy-policy-{i}", name=f"{args.deploy_role_name}-{i}",
                description=f"Deploy rights of {args.environment}, part {i}", policy=dumps(part), tags=tags,
                opts=child,
            )
            aws.iam.RolePolicyAttachment(
                f"{name}-deploy-policy-{i}", role=self.deploy_role.name, policy_arn=policy.arn, opts=child,
            )
        self.deploy_role_arn = args.role_arn(args.deploy_role_name)
        self.plan_role_arn = args.role_arn(args.plan_role_name)
        self.boundary_arn = args.boundary_arn
        self.register_outputs(
            {"name": name, "resource_id": self.deploy_role.arn, "deploy_role_arn": self.deploy_role.arn,
             "plan_role_arn": self.plan_role.arn, "boundary_arn": boundary.arn}  # fmt: skip
        )


def boundary_transformation(arn: str):
    """A stack transformation giving every IAM role without one the CI boundary.

    The deploy role may create roles only with this boundary (DenyRolesWithoutBoundary),
    so a role a component forgets to cap would fail to deploy; this sets it in one place.
    """
    import pulumi

    def transform(args: pulumi.ResourceTransformationArgs) -> pulumi.ResourceTransformationResult | None:
        if args.type_ != "aws:iam/role:Role" or args.props.get("permissions_boundary"):
            return None
        return pulumi.ResourceTransformationResult({**args.props, "permissions_boundary": arn}, args.opts)

    return transform
