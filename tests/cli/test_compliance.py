"""`infra compliance`: report.md and a self-contained report.html, controls -> policies -> resources."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from cli.policycheck import git_revision
from tests.conftest import minimal_values, write_stack

TAGS = {"owner": "owner@example.org", "environment": "dev", "cost-center": "operations", "data-classification": "internal"}
PROGRAM = f'''
import pulumi_aws as aws

aws.kms.Key("rotating", enable_key_rotation=True, tags={TAGS!r})
aws.kms.Key("static", tags={TAGS!r})
aws.kms.Key("scratch", enable_key_rotation=True)
'''


@pytest.fixture
def project(tmp_project: Path) -> Path:
    (tmp_project / "program").mkdir()
    (tmp_project / "program" / "__main__.py").write_text(PROGRAM, encoding="utf-8")
    write_stack(tmp_project / "stacks", "dev", {**minimal_values(), "policy": {"exemptions": [
        {"policy": "required-tags", "resource": "scratch", "justification": "scratch key removed next sprint",
         "expires": "2027-01-31"}]}})
    return tmp_project


def test_writes_markdown_and_self_contained_html(project, tmp_path):
    out = tmp_path / "reports"
    result = CliRunner().invoke(app, ["--cwd", str(project), "compliance", "--env", "dev", "--output-dir", str(out)])
    assert result.exit_code == 0, result.output
    md = (out / "report.md").read_text()
    html = (out / "report.html").read_text()

    assert md.startswith("# Compliance report: `dev`")
    assert "- Git revision: `unknown`" in md  # the temporary project is not a git repository
    assert re.search(r"- Date: \d{4}-\d{2}-\d{2}", md)
    # controls -> policies -> resources, with each status
    cis = md.index("## CIS Amazon Web Services Foundations v7.0.0 4.6")
    assert md.index("### `aws-kms-key-rotation`: FAIL", cis) > cis
    rotation = md[md.index("### `aws-kms-key-rotation`"):]
    assert "| `static` | `aws:kms/key:Key` | FAIL |" in rotation
    assert "| `rotating` | `aws:kms/key:Key` | pass |" in rotation
    tags = md[md.index("### `required-tags`"):]
    assert "| `scratch` | `aws:kms/key:Key` | exempt |" in tags
    assert "## Organisation rules (no CIS equivalent)" in md
    assert "No resource in scope." in md  # e.g. storage policies in an AWS-only stack

    assert html.startswith("<!DOCTYPE html>") and "<style>" in html
    assert not re.search(r"<(script|link|img)\b|src=|href=", html)  # no external assets
    assert 'class="fail">FAIL' in html and 'class="exempt">exempt' in html
    assert "Git revision</td><td><code>unknown</code>" in html


def test_default_output_dir_and_git_revision(project):
    result = CliRunner().invoke(app, ["--cwd", str(project), "compliance", "--env", "dev"])
    assert result.exit_code == 0, result.output
    assert (project / ".infra" / "compliance" / "dev" / "report.html").is_file()
    assert "policies failing" in result.stdout
    subprocess.run(["git", "init", "-q"], cwd=project, check=True)
    subprocess.run(["git", "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-q", "--allow-empty", "-m", "x"],
                   cwd=project, check=True)
    revision = git_revision(project)
    assert re.fullmatch(r"[0-9a-f]{7,}", revision)


def test_unknown_environment_exits_2(project):
    result = CliRunner().invoke(app, ["--cwd", str(project), "compliance", "--env", "nope"])
    assert result.exit_code == 2
