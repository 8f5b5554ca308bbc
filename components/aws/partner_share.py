"""Partner sharing: read-only, time-boxed access for allied organisations to one prefix of exports.

Mechanism: statements in the exports bucket's ONE bucket policy (not access points).
S3 allows a single policy per bucket, and that policy already holds the TLS-only deny, so
the partner grants are composed into the same document by `SecureBucket`; reviewers see
every grant on the bucket in one place. Access points would add a second policy layer
per partner and still need a delegating statement in the bucket policy. Objects are
encrypted with the exports classification's KMS key, so each partner also gets an
S3-only, bucket-only, time-boxed `kms:Decrypt` statement in that key's policy.

This module creates no resources: it turns the partner list into those statements, the
key grants and the expiry tags, so they are pure data and testable before Pulumi runs.
"""

from __future__ import annotations

from datetime import date

from pydantic import Field, model_validator

from components.aws.documents import Statement, account_root, bucket_arn, expiry_timestamp
from components.aws.kms import ExternalDecrypt
from stacks.model import AwsAccountId, Classification, Partner, StrictModel

SHAREABLE = (Classification.public, Classification.internal)


class PartnerGrant(StrictModel):
    """One partner's read access to one prefix, until a date."""

    name: str
    account_id: AwsAccountId
    prefix: str = Field(
        pattern=r"^[a-z0-9-]+/$", description="prefix in the exports bucket, ending in '/'"
    )
    classification: Classification = Field(
        description="highest classification shared; never restricted"
    )
    expires: date = Field(description="access ends at the start of this day (UTC)")

    @classmethod
    def from_partner(cls, partner: Partner) -> PartnerGrant:
        return cls(
            name=partner.name,
            account_id=partner.aws_account_id,
            prefix=partner.exports_prefix,
            classification=partner.classification,
            expires=partner.expires,
        )


class PartnerShareArgs(StrictModel):
    """The partners of one exports bucket; nothing is shared when the list is empty."""

    bucket_name: str
    bucket_classification: Classification = Field(
        description="classification of the exports bucket"
    )
    partners: list[PartnerGrant] = Field(default_factory=list)

    @model_validator(mode="after")
    def _shareable(self) -> PartnerShareArgs:
        if self.bucket_classification not in SHAREABLE:
            raise ValueError(
                f"the exports bucket {self.bucket_name} is classified {self.bucket_classification.value}; "
                "only public or internal buckets can be shared"
            )
        prefixes: dict[str, str] = {}
        for grant in self.partners:
            if grant.classification not in SHAREABLE:
                raise ValueError(
                    f"partner {grant.name} asks for {grant.classification.value} data; "
                    "only public or internal data is ever shared"
                )
            if grant.classification.rank > self.bucket_classification.rank:
                raise ValueError(
                    f"partner {grant.name} is allowed {grant.classification.value} data but the exports bucket "
                    f"is classified {self.bucket_classification.value}; lower the partner's classification"
                )
            for other_prefix, other in prefixes.items():
                if grant.prefix.startswith(other_prefix) or other_prefix.startswith(grant.prefix):
                    raise ValueError(
                        f"partner {grant.name} prefix {grant.prefix!r} overlaps partner {other}'s "
                        f"{other_prefix!r}; give each partner its own prefix"
                    )
            prefixes[grant.prefix] = grant.name
        return self


def _sid(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("-"))


def bucket_statements(args: PartnerShareArgs) -> list[Statement]:
    """Allow each partner account to list and read its prefix only, until its expiry date."""
    arn = bucket_arn(args.bucket_name)
    statements: list[Statement] = []
    for grant in args.partners:
        until = {"DateLessThan": {"aws:CurrentTime": expiry_timestamp(grant.expires)}}
        principal = {"AWS": account_root(grant.account_id)}
        statements += [
            {
                "Sid": f"Partner{_sid(grant.name)}List",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:ListBucket",
                "Resource": arn,
                "Condition": {
                    "StringLike": {"s3:prefix": [grant.prefix, f"{grant.prefix}*"]},
                    **until,
                },
            },
            {
                "Sid": f"Partner{_sid(grant.name)}Read",
                "Effect": "Allow",
                "Principal": principal,
                "Action": "s3:GetObject",
                "Resource": f"{arn}/{grant.prefix}*",
                "Condition": until,
            },
        ]
    return statements


def key_grants(args: PartnerShareArgs) -> list[ExternalDecrypt]:
    """The decrypt grants the exports key's policy needs for the same partners and dates."""
    return [
        ExternalDecrypt(
            account_id=grant.account_id,
            classification=args.bucket_classification,
            bucket_name=args.bucket_name,
            expires=grant.expires,
        )
        for grant in args.partners
    ]


def expiry_tags(args: PartnerShareArgs) -> dict[str, str]:
    """Tags for the exports bucket recording each partner's access end date."""
    return {f"share-expires-{grant.name}": grant.expires.isoformat() for grant in args.partners}
