"""Another team's program, run for real under mocks: no false alarms on the good-* resources and
each misconfiguration flagged on the bad-* resource that carries it."""

from __future__ import annotations

from pathlib import Path

import pytest

from cli.policycheck import check_program

PROGRAM = Path(__file__).parent / "foreign_program"
WATCHED = {
    "aws-s3-encrypted", "aws-s3-versioning", "aws-s3-access-logging", "aws-s3-public-access-blocked",
    "restricted-data-rotating-cmk", "aws-lambda-no-secrets-in-environment", "aws-iam-cross-account-external-id",
    "azure-sql-no-public-network", "azure-sql-min-tls-1-2", "azure-sql-entra-only-auth", "azure-sql-firewall-no-internet",
    "azure-sql-auditing", "required-tags", "tag-values-valid", "us-only-residency",
}


@pytest.fixture(scope="module")
def report():
    report, run = check_program(PROGRAM, "team")
    assert run.complete, run.stderr  # the program ran to its end in its own process
    return report


def test_each_misconfiguration_is_flagged_on_the_resource_that_carries_it(report):
    found = {(f.policy, f.name) for f in report.findings if f.policy in WATCHED}
    assert found == {
        ("aws-s3-encrypted", "bad-volunteers"),             # confidential data under AES256 (v6 inline form)
        ("restricted-data-rotating-cmk", "bad-volunteers"),
        ("aws-s3-public-access-blocked", "bad-volunteers-pab"),  # the block with the false flag
        ("aws-lambda-no-secrets-in-environment", "bad-fn"),
        ("aws-iam-cross-account-external-id", "bad-vendor-role"),  # own account from aws:allowedAccountIds
        ("azure-sql-no-public-network", "bad-sql"),
        ("azure-sql-min-tls-1-2", "bad-sql"),
        ("azure-sql-entra-only-auth", "bad-sql"),
        ("azure-sql-auditing", "bad-sql"),
        ("azure-sql-firewall-no-internet", "bad-sql-firewall"),
    }


def test_no_false_alarm_on_compliant_resources(report):
    assert not [f for f in report.findings if f.name.startswith("good-")]
    passed = {(r.policy, r.name) for r in report.results if r.status.value == "pass"}
    # v6 inline settings are understood, and the four-level classification is accepted.
    assert {("aws-s3-encrypted", "good-donors"), ("aws-s3-versioning", "good-donors"),
            ("aws-s3-access-logging", "good-donors"), ("required-tags", "good-donors"),
            ("restricted-data-rotating-cmk", "good-donors")} <= passed
    assert not any(m for f in report.findings for m in [f.message] if "placeholder-not-a-password" in m)
