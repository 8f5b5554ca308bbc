"""The README's CI section: the prod picture, the workflows and the GitHub settings."""

from __future__ import annotations

import re

from tests.conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")
SECTION = README.split("<!-- section:ci -->", 1)[1].split("<!-- /section:ci -->", 1)[0]


def test_the_readme_shows_the_prod_picture():
    images = re.findall(r"!\[[^\]]*\]\(([^)]+)\)", SECTION)
    assert "docs/img/prod-components.svg" in images
    assert "(docs/img/prod.svg)" in SECTION  # the full picture, linked
    for name in ("prod-components.svg", "prod.svg"):
        svg = (REPO / "docs" / "img" / name).read_text(encoding="utf-8")
        assert svg.lstrip().startswith(("<?xml", "<svg")) and "</svg>" in svg
        assert "infra / prod" in svg  # drawn from the prod plan, titled by `infra graph`
        assert "cluster" in svg or "node" in svg


def test_the_section_documents_the_workflows_and_settings():
    for text in ("pull-request.yml", "deploy.yml", "drift.yml", "<!-- civic-infra-pr-report -->",
                 "AZURE_CLIENT_ID", "AZURE_TENANT_ID", "AZURE_SUBSCRIPTION_ID", "AWS_ROLE_ARN",
                 "DRIFT_WEBHOOK_URL", "PULUMI_CONFIG_PASSPHRASE", "Required reviewers",
                 "repo:<owner>/<repo>:environment:<env>"):
        assert text in SECTION, text


def test_every_runbook_is_linked():
    for path in sorted((REPO / "docs" / "runbooks").glob("*.md")):
        assert f"(docs/runbooks/{path.name})" in SECTION, path.name
