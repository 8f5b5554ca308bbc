"""IAM and resource policy documents as plain data, shared by the AWS components.

Everything here is a pure function of model values (account id, region, names), so a
document can be built and tested before Pulumi starts. No statement here ever uses a
bare `*` principal; service principals always carry an `aws:SourceAccount` or
`aws:SourceArn` condition.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

Statement = dict[str, Any]

BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")


def document(statements: Iterable[Statement]) -> dict[str, Any]:
    """An IAM policy document (version 2012-10-17) of `statements`."""
    return {"Version": "2012-10-17", "Statement": list(statements)}


def dumps(statements: Iterable[Statement]) -> str:
    """The JSON text of a policy document, with stable key order."""
    return json.dumps(document(statements), sort_keys=True)


def account_root(account_id: str) -> str:
    """The account principal; access still needs an IAM policy in that account."""
    return f"arn:aws:iam::{account_id}:root"


def bucket_arn(bucket_name: str) -> str:
    return f"arn:aws:s3:::{bucket_name}"


def check_bucket_name(name: str) -> str:
    """`name` if it is a valid S3 bucket name, else a ValueError saying how to fix it."""
    if not BUCKET_NAME.match(name) or "--" in name:
        raise ValueError(
            f"bucket name must be 3-63 lower-case letters, digits and single dashes, got {name!r}; "
            "shorten organization.short_name or the environment name"
        )
    return name


def expiry_timestamp(expires: date) -> str:
    """The instant access ends: the start (UTC) of the `expires` day."""
    return f"{expires.isoformat()}T00:00:00Z"


def tls_only_statement(bucket_name: str) -> Statement:
    """Deny every request to the bucket and its objects that does not use TLS."""
    arn = bucket_arn(bucket_name)
    return {
        "Sid": "DenyInsecureTransport",
        "Effect": "Deny",
        "Principal": {"AWS": "*"},
        "Action": "s3:*",
        "Resource": [arn, f"{arn}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def key_admin_statement(account_id: str) -> Statement:
    """The account root may use and administer the key; IAM policies in the account decide who."""
    return {
        "Sid": "AccountRootAdministersKey",
        "Effect": "Allow",
        "Principal": {"AWS": account_root(account_id)},
        "Action": "kms:*",
        "Resource": "*",
    }


def service_assume_role(service: str, account_id: str) -> str:
    """Trust policy JSON letting one AWS service assume a role, only on behalf of this account."""
    return dumps(
        [
            {
                "Effect": "Allow",
                "Principal": {"Service": service},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        ]
    )


def merge_tags(*parts: Mapping[str, str] | None) -> dict[str, str]:
    merged: dict[str, str] = {}
    for part in parts:
        merged.update(part or {})
    return merged
