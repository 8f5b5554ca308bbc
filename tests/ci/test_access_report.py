"""The PR comment says who gains or loses access, and whose access ends within 14 days."""

from __future__ import annotations

import json
from datetime import date

import pytest

from cli.plan import plan_environment
from cli.project import find_project
from cli.render.access import access_changes, expiring_access
from cli.render.report import load_pr_inputs, render_pr_comment
from stacks.loader import load_environment
from tests.conftest import REPO, TODAY

P = "urn:pulumi:prod::civic-infra::"
PREVIEW = {
    "action": "preview", "environment": "prod", "summary": {"create": 2, "update": 1, "delete": 1, "same": 200},
    "changes": [
        {"urn": P + "civic:aws:Identity$aws:iam/role:Role::caf-prod-identity-vendor-acme", "type": "aws:iam/role:Role",
         "name": "caf-prod-identity-vendor-acme", "op": "create", "properties": []},
        {"urn": P + "azure-native:authorization:RoleAssignment::identity-vendor-mailhouse-reader",
         "type": "azure-native:authorization:RoleAssignment", "name": "identity-vendor-mailhouse-reader", "op": "delete",
         "properties": []},
        {"urn": P + "aws:s3/bucketPolicy:BucketPolicy::caf-prod-lake-exports-policy", "type": "aws:s3/bucketPolicy:BucketPolicy",
         "name": "caf-prod-lake-exports-policy", "op": "update", "properties": [{"path": "policy", "kind": "update"}]},
        {"urn": P + "aws:s3/bucket:Bucket::caf-prod-lake-raw-bucket", "type": "aws:s3/bucket:Bucket",
         "name": "caf-prod-lake-raw-bucket", "op": "create", "properties": []},
    ],
}


@pytest.fixture(scope="module")
def prod_plan() -> dict:
    project = find_project(REPO)
    capture = plan_environment(project, load_environment(project.stacks_dir, "prod", today=TODAY))
    return json.loads(json.dumps(capture.to_json(), default=str))


def test_access_changes_are_listed_by_name_and_grantee():
    assert [(c["op"], c["kind"], c["who"]) for c in access_changes(PREVIEW)] == [
        ("create", "IAM role (trust)", "vendor acme"),
        ("delete", "role assignment", "vendor mailhouse"),
        ("update", "bucket policy", ""),
    ]


def test_vendor_and_partner_access_ending_within_14_days(prod_plan):
    # prod: analytics-firm ends 2027-03-31, allied-coalition 2027-05-31, mailhouse 2027-06-30
    soon = expiring_access(prod_plan, date(2027, 3, 20))
    assert {(e["who"], e["expires"].isoformat(), e["days_left"]) for e in soon} == {
        ("vendor analytics-firm", "2027-03-31", 11)}
    later = {e["who"] for e in expiring_access(prod_plan, date(2027, 5, 25))}
    assert later == {"vendor analytics-firm", "partner allied-coalition"}
    assert expiring_access(prod_plan, TODAY) == []


def test_the_pr_comment_has_an_access_section(prod_plan, tmp_path):
    (tmp_path / "plan-prod.json").write_text(json.dumps(prod_plan), encoding="utf-8")
    (tmp_path / "preview-prod.json").write_text(json.dumps(PREVIEW), encoding="utf-8")
    text = render_pr_comment(load_pr_inputs(tmp_path), today=date(2027, 3, 20))
    assert "#### Access" in text
    assert "| create | IAM role (trust) | `caf-prod-identity-vendor-acme` | vendor acme |" in text
    assert "| delete | role assignment | `identity-vendor-mailhouse-reader` | vendor mailhouse |" in text
    assert "| vendor analytics-firm | 2027-03-31 (11 days) |" in text


def test_without_a_preview_access_changes_are_unknown_not_none(prod_plan, tmp_path):
    (tmp_path / "plan-prod.json").write_text(json.dumps(prod_plan), encoding="utf-8")
    text = render_pr_comment(load_pr_inputs(tmp_path), today=TODAY)
    assert "Access changes: unknown (the engine preview did not run)." in text
    assert "No vendor or partner access ends within 14 days." in text


def test_vendor_access_package_changes_name_the_vendor():
    """Issue 11: the access package, its policy (expiry and review) and its group link are access changes."""
    changes = {"changes": [
        {"urn": P + t + "::" + n, "type": t, "name": n, "op": "update", "properties": []}
        for t, n in (("azuread:index/accessPackageAssignmentPolicy:AccessPackageAssignmentPolicy", "vendors-vendor-mailhouse-policy"),
                     ("azuread:index/accessPackage:AccessPackage", "vendors-vendor-mailhouse-package"),
                     ("azuread:index/accessPackageResourcePackageAssociation:AccessPackageResourcePackageAssociation",
                      "vendors-vendor-mailhouse-package-group"))]}
    assert [(c["kind"], c["who"]) for c in access_changes(changes)] == [
        ("access package policy (expiry, review)", "vendor mailhouse"), ("access package", "vendor mailhouse"),
        ("access package group membership", "vendor mailhouse")]
