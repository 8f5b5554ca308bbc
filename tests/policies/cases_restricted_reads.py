"""pass_* and fail_* cases of aws-vendor-restricted-read-expiry (issue 11), literal wire form; cases.py adds them."""

from __future__ import annotations

import json

from tests.policies.fixtures import R, Scenario, U

ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
BUCKET = "aws:s3/bucket:Bucket"
POLICY = "aws-vendor-restricted-read-expiry"
VENDOR = "000000000901"
TAGS = {"owner": "it@example.org", "environment": "dev", "cost-center": "operations",
        "data-classification": "internal", "managed-by": "pulumi/civic-infra"}
CURATED = "arn:aws:s3:::caf-dev-lake-curated"
EXPORTS = "arn:aws:s3:::caf-dev-lake-exports"
SOON = {"DateLessThan": {"aws:CurrentTime": "2027-01-15T00:00:00Z"}}  # 54 days after TODAY (2026-11-22)
LATE = {"DateLessThan": {"aws:CurrentTime": "2027-03-31T00:00:00Z"}}  # 129 days


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def read(resource: str, condition: dict | None = None) -> dict:
    s = {"Sid": "Read", "Effect": "Allow", "Action": ["s3:GetObject"], "Resource": resource}
    return {**s, "Condition": condition} if condition else s


def bucket(name: str, classification: str) -> R:
    return R(name, BUCKET, {"bucket": name, "tags": {**TAGS, "data-classification": classification}})


def role(name: str, account: str = VENDOR) -> R:
    trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account}:root"}, "Action": "sts:AssumeRole",
                 "Condition": {"StringEquals": {"sts:ExternalId": "placeholder-id"}}})
    return R(name, ROLE, {"assumeRolePolicy": trust, "tags": TAGS})


def inline(name: str, role_name: str, *statements: dict, policy: object = None, on: list[str] = ()) -> R:
    deps = {"role": [role_name], **({"policy": list(on)} if on else {})}
    return R(name, ROLE_POLICY, {"name": "read-only", "role": role_name,
                                 "policy": doc(*statements) if policy is None else policy}, deps=deps)


LAKE = [bucket("caf-dev-lake-curated", "restricted"), bucket("caf-dev-lake-exports", "internal")]
CTX = {"aws_account_ids": ("000000000001",)}

SCENARIOS = [
    Scenario(POLICY, [
        *LAKE,
        role("vendor-a"), inline("pass_granted", "vendor-a", read(f"{CURATED}/*", SOON)),
        role("vendor-b"), inline("pass_internal_only", "vendor-b", read(f"{EXPORTS}/*")),
        role("vendor-c"), inline("fail_no_end", "vendor-c", read(f"{CURATED}/*")),
        role("vendor-d"), inline("fail_too_long", "vendor-d", read(f"{CURATED}/*", LATE)),
        role("vendor-e"), inline("fail_wildcard", "vendor-e", read("arn:aws:s3:::caf-dev-lake-*")),
        # The organisation's own account is not a vendor.
        role("own-role", "000000000001"), inline("pass_own_account", "own-role", read(f"{CURATED}/*")),
        # Still unknown in a first preview: never a violation.
        role("vendor-f"), inline("unk_policy", "vendor-f", policy=U, on=["caf-dev-lake-curated"]),
    ], ctx=CTX),
    # A restricted bucket whose name is unknown, tied to the policy by propertyDependencies.
    Scenario(POLICY, [
        R("lake", BUCKET, {"bucket": U, "tags": {**TAGS, "data-classification": "restricted"}}),
        role("vendor-a"), inline("fail_tied_no_end", "vendor-a", read("*"), on=["lake"]),
        role("vendor-b"), inline("pass_tied_granted", "vendor-b", read("*", SOON), on=["lake"]),
    ], label="pass_tied", ctx=CTX),
]
