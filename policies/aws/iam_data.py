"""IAM action data the identity policies and the CI identity component share: one curated table.

Why a curated table and not a library: policy_sentry 0.15 (its IAM database) installs from
PyPI and works offline, but it gives access levels ("Permissions management", "Read"),
not the three sets these checks need: the privilege-escalation paths (published by Rhino
Security Labs and kept in Cloudsplaining, which pulls in a much larger dependency tree),
the data-plane reads, and the resource-exposure writes. Its "Read" level, for example, also
holds `s3:GetBucketPolicy` (configuration a plan must read), and loading its ~15 MB database
in every policy run would dominate the offline check. The sets below are small, reviewed
here, and matched against a statement's action patterns with IAM's own wildcard rules
(`s3:PutBucket*` covers `s3:PutBucketPolicy`), so a wildcard grant never slips past.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

ESCALATION_ACTIONS: tuple[str, ...] = (
    # Create or change a role or its permissions (role-based paths).
    "iam:CreateRole",
    "iam:PutRolePolicy",
    "iam:AttachRolePolicy",
    "iam:UpdateAssumeRolePolicy",
    "iam:PutRolePermissionsBoundary",
    "iam:DeleteRolePermissionsBoundary",
    # Change what an existing managed policy says.
    "iam:CreatePolicyVersion",
    "iam:SetDefaultPolicyVersion",
    # User and group paths: keys, passwords, inline and attached policies, membership.
    "iam:CreateUser",
    "iam:CreateAccessKey",
    "iam:CreateLoginProfile",
    "iam:UpdateLoginProfile",
    "iam:PutUserPolicy",
    "iam:AttachUserPolicy",
    "iam:PutUserPermissionsBoundary",
    "iam:DeleteUserPermissionsBoundary",
    "iam:PutGroupPolicy",
    "iam:AttachGroupPolicy",
    "iam:AddUserToGroup",
    # Hand a role to a service that then runs code as it.
    "iam:PassRole",
)
"""Known IAM privilege-escalation actions (Rhino Security Labs' list, IAM part)."""

BOUNDARY_CONDITIONED: frozenset[str] = frozenset(
    a.lower()
    for a in (
        "iam:CreateRole", "iam:PutRolePolicy", "iam:AttachRolePolicy", "iam:DetachRolePolicy",
        "iam:DeleteRolePolicy", "iam:PutRolePermissionsBoundary",
        "iam:CreateUser", "iam:PutUserPolicy", "iam:AttachUserPolicy", "iam:PutUserPermissionsBoundary",
    )
)  # fmt: skip
"""Escalation actions that IAM can tie to a boundary with the `iam:PermissionsBoundary` key."""

DATA_READ_ACTIONS: tuple[str, ...] = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectAttributes",
    "s3:GetObjectVersionAttributes",
    "s3:GetObjectTorrent",
    "s3-object-lambda:GetObject",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:GenerateDataKey",
    "secretsmanager:GetSecretValue",
    "ssm:GetParameter",
    "ssm:GetParameters",
    "ssm:GetParametersByPath",
    "rds-data:ExecuteStatement",
    "rds-data:BatchExecuteStatement",
    "rds:DownloadDBLogFilePortion",
    "redshift-data:ExecuteStatement",
    "redshift-data:GetStatementResult",
    "redshift:GetClusterCredentials",
    "redshift-serverless:GetCredentials",
    "athena:GetQueryResults",
    "athena:StartQueryExecution",
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:Scan",
    "logs:GetLogEvents",
    "logs:FilterLogEvents",
    "logs:StartQuery",
    "sqs:ReceiveMessage",
    "ec2:GetPasswordData",
)
"""Reads of data (not configuration): what a plan identity must never be able to do."""

EXPOSURE_ACTIONS: tuple[str, ...] = (
    "s3:PutBucketPolicy",
    "s3:DeleteBucketPolicy",
    "s3:PutBucketAcl",
    "s3:PutObjectAcl",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutAccountPublicAccessBlock",
    "kms:PutKeyPolicy",
    "kms:CreateGrant",
    "secretsmanager:PutResourcePolicy",
    "sqs:SetQueueAttributes",
    "sns:SetTopicAttributes",
    "rds:ModifyDBSnapshotAttribute",
    "ec2:ModifySnapshotAttribute",
    "redshift:AuthorizeSnapshotAccess",
)
"""Writes that hand data to someone else: resource policies, ACLs, grants, shared snapshots."""

EXFILTRATION_ACTIONS: tuple[str, ...] = (
    "s3:GetObject",
    "s3:GetObjectVersion",
    "kms:Decrypt",
    "secretsmanager:GetSecretValue",
)
"""The data reads that, on every resource, amount to reading everything."""

DESTRUCTIVE_ACTIONS: tuple[str, ...] = (
    "s3:DeleteBucket",
    "s3:DeleteObject",
    "s3:DeleteObjectVersion",
    "s3:PutLifecycleConfiguration",
    "s3:BypassGovernanceRetention",
    "kms:ScheduleKeyDeletion",
    "kms:DisableKey",
)
"""Rights that destroy data outright or on a schedule."""

def matches(pattern: str, action: str) -> bool:
    """IAM's rule: case-insensitive, `*` and `?` wildcards, within one service prefix."""
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def covered(patterns: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """The actions of `wanted` that any of `patterns` (an Action list) allows."""
    pats = [p for p in patterns if isinstance(p, str)]
    return [a for a in wanted if any(matches(p, a) for p in pats)]


def not_covered(not_patterns: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """The actions of `wanted` that a NotAction list leaves allowed."""
    pats = [p for p in not_patterns if isinstance(p, str)]
    return [a for a in wanted if not any(matches(p, a) for p in pats)]
