"""Partner share: per-partner prefix-only, read-only, expiring statements; never restricted, never `*`."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from components.aws.partner_share import (
    PartnerGrant,
    PartnerShareArgs,
    bucket_statements,
    expiry_tags,
    key_grants,
)
from stacks.model import Classification

ALLIED = PartnerGrant(name="allied-coalition", account_id="000000000902", prefix="allied-coalition/",
                      classification=Classification.internal, expires=date(2027, 5, 31))  # fmt: skip
SECOND = PartnerGrant(name="second", account_id="000000000903", prefix="second/",
                      classification=Classification.public, expires=date(2027, 1, 1))  # fmt: skip


def _share(*partners: PartnerGrant, classification=Classification.internal) -> PartnerShareArgs:
    return PartnerShareArgs(bucket_name="caf-prod-lake-exports", bucket_classification=classification,
                            partners=list(partners))  # fmt: skip


def test_each_partner_may_list_and_read_only_its_prefix_until_expiry():
    statements = {s["Sid"]: s for s in bucket_statements(_share(ALLIED))}
    until = {"DateLessThan": {"aws:CurrentTime": "2027-05-31T00:00:00Z"}}
    assert statements["PartnerAlliedCoalitionList"] == {
        "Sid": "PartnerAlliedCoalitionList",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::000000000902:root"},
        "Action": "s3:ListBucket",
        "Resource": "arn:aws:s3:::caf-prod-lake-exports",
        "Condition": {
            "StringLike": {"s3:prefix": ["allied-coalition/", "allied-coalition/*"]},
            **until,
        },
    }
    assert statements["PartnerAlliedCoalitionRead"] == {
        "Sid": "PartnerAlliedCoalitionRead",
        "Effect": "Allow",
        "Principal": {"AWS": "arn:aws:iam::000000000902:root"},
        "Action": "s3:GetObject",
        "Resource": "arn:aws:s3:::caf-prod-lake-exports/allied-coalition/*",
        "Condition": until,
    }


def test_no_write_actions_and_no_wildcard_principals():
    for stmt in bucket_statements(_share(ALLIED, SECOND)):
        assert stmt["Effect"] == "Allow"
        assert stmt["Action"] in ("s3:ListBucket", "s3:GetObject")
        assert stmt["Principal"]["AWS"].startswith("arn:aws:iam::0000000009")
        assert "DateLessThan" in stmt["Condition"]


def test_expiry_tags_and_key_grants_follow_the_partners():
    share = _share(ALLIED, SECOND)
    assert expiry_tags(share) == {
        "share-expires-allied-coalition": "2027-05-31",
        "share-expires-second": "2027-01-01",
    }
    grants = key_grants(share)
    assert [(g.account_id, g.classification, g.bucket_name, g.expires) for g in grants] == [
        ("000000000902", Classification.internal, "caf-prod-lake-exports", date(2027, 5, 31)),
        ("000000000903", Classification.internal, "caf-prod-lake-exports", date(2027, 1, 1)),
    ]


def test_nothing_shared_without_partners():
    share = _share()
    assert bucket_statements(share) == [] and key_grants(share) == [] and expiry_tags(share) == {}


def test_restricted_is_never_shared():
    with pytest.raises(ValidationError, match="only public or internal data is ever shared"):
        _share(ALLIED.model_copy(update={"classification": Classification.restricted}))
    with pytest.raises(ValidationError, match="only public or internal buckets can be shared"):
        _share(ALLIED, classification=Classification.restricted)


def test_partner_cannot_exceed_the_bucket_classification():
    with pytest.raises(ValidationError, match="lower the partner's classification"):
        _share(ALLIED, classification=Classification.public)


def test_overlapping_prefixes_are_rejected():
    nested = SECOND.model_copy(update={"prefix": "allied-coalition/"})
    with pytest.raises(ValidationError, match="overlaps partner allied-coalition"):
        _share(ALLIED, nested)
