"""`infra report pr` and `infra report drift` rendered from fixtures."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from cli.render.report import (
    COMMENT_LIMIT,
    PR_MARKER,
    EnvironmentInputs,
    Input,
    drift_items,
    load_drift,
    load_pr_inputs,
    preview_summary,
    render_drift_issue,
    render_pr_comment,
)
from tests.conftest import REPO

FIXTURES = REPO / "tests" / "fixtures" / "report"
runner = CliRunner()


def infra(*args: str):
    return runner.invoke(app, list(args))


def sections(text: str) -> dict[str, str]:
    """environment -> the text of its <details> section."""
    parts = text.split("<details>\n<summary><b>")[1:]
    return {part.split("</b>", 1)[0]: part for part in parts}


@pytest.fixture(scope="module")
def comment() -> str:
    result = infra("report", "pr", "--plan-dir", str(FIXTURES), "--commit", "0123456789abcdef", "--run-url", "https://ci.example/run/7")
    assert result.exit_code == 0, result.output
    return result.stdout


def test_marker_is_the_first_line(comment):
    assert comment.splitlines()[0] == PR_MARKER == "<!-- civic-infra-pr-report -->"
    assert comment.count(PR_MARKER) == 1


def test_one_collapsible_section_per_environment_in_order(comment):
    assert list(sections(comment)) == ["dev", "staging", "prod"]
    assert comment.count("<details>\n<summary>") == 3
    assert "For commit `0123456789ab` · [workflow run](https://ci.example/run/7)." in comment


def test_summary_table_has_a_row_per_environment(comment):
    rows = [line for line in comment.splitlines() if line.startswith("| **")]
    assert rows == [
        "| **dev** | 8 resources | ✅ no blocking, 2 advisory | 2 to create, 1 to update, 1 to delete |",
        "| **staging** | 4 resources | not run | failed (exit 3); see the job log |",
        "| **prod** | 8 resources | ❌ 2 blocking, 1 advisory | not run |",
    ]


def test_resource_counts(comment):
    dev = sections(comment)["dev"]
    assert "**8** resources in **2** components (1 azure, 1 entra, 3 aws); **2** protected." in dev
    assert "| `aws:s3/bucket:Bucket` | 2 |" in dev


def test_policy_counts_by_severity_and_exempted(comment):
    dev = sections(comment)["dev"]
    assert "| medium | 1 |\n| low | 1 |\n| exempted | 1 |" in dev
    assert "**0** blocking (mandatory, not exempted); 2 advisory." in dev
    assert "kms-key-rotation" not in dev  # exempted: counted, not listed as blocking


def test_blocking_mandatory_findings_are_listed_most_severe_first(comment):
    prod = sections(comment)["prod"]
    assert "| critical | 1 |\n| high | 1 |\n| low | 1 |\n| exempted | 0 |" in prod
    assert "**2** blocking (mandatory, not exempted); 1 advisory." in prod
    listed = re.findall(r"^\| (critical|high|low) \| `([a-z0-9-]+)` \|", prod, re.M)
    assert listed == [("critical", "s3-public-access-block"), ("high", "kms-key-rotation")]
    assert "no public access block \\| all four flags" in prod  # a pipe in a message cannot break the table
    assert "required-tags" not in prod  # advisory: counted only


def test_preview_summary_and_changes(comment):
    dev = sections(comment)["dev"]
    assert "| create | update | replace | delete | same |\n|---:|---:|---:|---:|---:|\n| 2 | 1 | 0 | 1 | 4 |" in dev
    assert "| create | `aws:kms/key:Key` | `ex-dev-lake-key` |" in dev  # type and name from the URN alone
    assert "| delete | `azuread:index/group:Group` | `ex-dev-old` |" in dev
    assert "pulumi:providers:aws` | `aws`" not in dev  # unchanged resources are not listed


def test_missing_inputs_are_not_run_and_failed_steps_say_so(comment):
    staging, prod = sections(comment)["staging"], sections(comment)["prod"]
    assert "Policy check: not run." in staging
    assert "Engine preview: failed (exit 3); see the job log." in staging
    assert "Engine preview: not run." in prod


def test_output_file(tmp_path):
    target = tmp_path / "out" / "comment.md"
    result = infra("report", "pr", "--plan-dir", str(FIXTURES), "--output", str(target))
    assert result.exit_code == 0
    assert target.read_text(encoding="utf-8").startswith(PR_MARKER)


def test_bad_json_exits_2_naming_the_file(tmp_path):
    shutil.copy(FIXTURES / "plan-dev.json", tmp_path / "plan-dev.json")
    (tmp_path / "policy-dev.json").write_text('{"findings": [', encoding="utf-8")
    result = infra("report", "pr", "--plan-dir", str(tmp_path))
    assert result.exit_code == 2
    assert f"{tmp_path.name}/policy-dev.json: not valid JSON (line 1 column 15: Expecting value)" in result.stderr


def test_wrong_document_exits_2_naming_the_file(tmp_path):
    (tmp_path / "plan-dev.json").write_text('{"findings": []}', encoding="utf-8")
    result = infra("report", "pr", "--plan-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "plan-dev.json: not an `infra plan --format json` document" in result.stderr


def test_missing_directory_exits_2(tmp_path):
    result = infra("report", "pr", "--plan-dir", str(tmp_path / "nope"))
    assert result.exit_code == 2
    assert "not a directory" in result.stderr


def test_empty_directory_still_gives_a_comment_with_the_marker(tmp_path):
    result = infra("report", "pr", "--plan-dir", str(tmp_path))
    assert result.exit_code == 0
    assert result.stdout.startswith(PR_MARKER)
    assert "nothing ran" in result.stdout


def test_artifact_subfolders_are_searched(tmp_path):
    (tmp_path / "reports-checks-dev").mkdir()
    shutil.copy(FIXTURES / "plan-dev.json", tmp_path / "reports-checks-dev" / "plan-dev.json")
    envs = load_pr_inputs(tmp_path)
    assert [e.name for e in envs] == ["dev"] and envs[0].get("plan").ran


def test_a_real_plan_document_is_read(tmp_path, dev_capture):
    (tmp_path / "plan-dev.json").write_text(json.dumps(dev_capture.to_json()), encoding="utf-8")
    total = dev_capture.summary()["total"]
    text = infra("report", "pr", "--plan-dir", str(tmp_path)).stdout
    assert f"| **dev** | {total} resources | not run | not run |" in text


def test_the_comment_stays_under_githubs_limit():
    findings = [{"policy": f"p-{i}", "severity": "high", "enforcement": "mandatory", "urn": f"u{i}",
                 "type": "aws:s3/bucket:Bucket", "name": f"bucket-{i}", "message": "x" * 400, "exempted": False}
                for i in range(400)]
    envs = [EnvironmentInputs(f"env{i}", {"policy": Input("policy", None, {"findings": findings})}) for i in range(3)]
    text = render_pr_comment(envs)
    assert len(text) <= COMMENT_LIMIT
    assert text.startswith(PR_MARKER) and "**400** blocking" in text


def test_the_engines_preview_document_is_read():
    """`infra preview --format json`: only the groups with changes are in `summary`."""
    doc = {"action": "preview", "environment": "dev", "complete": True, "summary": {"create": 1, "same": 3},
           "changes": [{"urn": "urn:pulumi:dev::p::aws:s3/bucket:Bucket::b", "type": "aws:s3/bucket:Bucket", "name": "b",
                        "op": "create", "protect": False, "replace_keys": [], "properties": []}],
           "policy": [], "failures": [], "diagnostics": [], "maybe_corrupt": False}
    env = EnvironmentInputs("dev", {"preview": Input("preview", None, doc)})
    text = render_pr_comment([env])
    assert "| create | same |\n|---:|---:|\n| 1 | 3 |" in text
    assert "| create | `aws:s3/bucket:Bucket` | `b` |" in text
    quiet = render_pr_comment([EnvironmentInputs("dev", {"preview": Input("preview", None, {"summary": {}, "changes": []})})])
    assert "No changes." in quiet and "| **dev** | not run | not run | no changes |" in quiet


def test_preview_is_read_tolerantly():
    assert preview_summary(None) == {"counts": {}, "changes": []}
    assert preview_summary({"resource_changes": {"create": 3, "same": 2}})["counts"] == {"create": 3, "same": 2}
    derived = preview_summary({"steps": [{"operation": "created", "urn": "urn:pulumi:d::p::t:m:T::n"}]})
    assert derived == {"counts": {"create": 1}, "changes": [{"op": "create", "type": "t:m:T", "name": "n"}]}


# --- drift -----------------------------------------------------------------------------

ENGINE_DRIFT = {
    "environment": "prod",
    "resources": [
        {"urn": "urn:pulumi:prod::civic-infra::civic:aws:Network$aws:ec2/securityGroup:SecurityGroup::caf-prod-sg",
         "type": "aws:ec2/securityGroup:SecurityGroup",
         "properties": [{"property": "ingress[0].cidrBlocks", "severity": "critical", "message": "0.0.0.0/0 added"},
                        {"property": "tags.owner", "severity": "low", "message": "changed"}]},
        {"urn": "urn:pulumi:prod::civic-infra::aws:s3/bucketLogging:BucketLogging::caf-prod-logs",
         "properties": [{"path": "targetPrefix", "severity": "high", "kind": "update"}]},
    ],
}


def write_drift(folder: Path, document, exit_code: int | None, markdown: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    if document is not None:
        (folder / "prod.json").write_text(json.dumps(document), encoding="utf-8")
    if exit_code is not None:
        (folder / "exit-code").write_text(f"{exit_code}\n", encoding="utf-8")
    if markdown:
        (folder / "prod.md").write_text(markdown, encoding="utf-8")
    return folder


def test_drift_issue_for_a_drifted_environment(tmp_path):
    folder = write_drift(tmp_path / "prod", ENGINE_DRIFT, 7, "# engine report")
    result = infra("report", "drift", "--drift-dir", str(folder), "--env", "prod", "--format", "json", "--run-url", "https://ci/run/1")
    assert result.exit_code == 0, result.output
    issue = json.loads(result.stdout)
    assert issue["title"] == "[drift] prod: cloud or code drift"
    assert issue["status"] == "drifted"
    assert issue["counts"] == {"critical": 1, "high": 1, "low": 1}
    body = issue["body"]
    assert body.splitlines()[0] == "<!-- civic-infra-drift:prod -->"
    rows = re.findall(r"^\| (critical|high|low) \| `([^`]+)`", body, re.M)
    assert rows == [("critical", "caf-prod-sg"), ("high", "caf-prod-logs"), ("low", "caf-prod-sg")]
    assert "[this drift run](https://ci/run/1)" in body
    assert "<details><summary>full drift report</summary>\n\n# engine report" in body
    assert "docs/runbooks/drift-alert.md" in body


def test_drift_issue_status_from_the_exit_code(tmp_path):
    clean = render_drift_issue(load_drift(write_drift(tmp_path / "a", {"environment": "prod", "resources": []}, 0), "prod"))
    assert (clean["status"], clean["counts"]) == ("clean", {"critical": 0, "high": 0, "low": 0})
    failed = render_drift_issue(load_drift(write_drift(tmp_path / "b", None, 3), "prod"))
    assert failed["status"] == "error" and "(exit 3)" in failed["body"]
    violating = render_drift_issue(load_drift(write_drift(tmp_path / "c", {"environment": "prod", "resources": []}, 5), "prod"))
    assert violating["status"] == "policy"
    assert violating["title"] == "[drift] prod: no drift, but the deployed state violates a mandatory policy"
    assert "Outcome: no drift, but the deployed state violates a mandatory policy." in violating["body"]


def test_drift_report_refuses_a_missing_unrelated_or_mismatched_folder(tmp_path):
    missing = infra("report", "drift", "--drift-dir", str(tmp_path / "none"), "--env", "prod")
    assert missing.exit_code == 2 and "none: not a directory" in missing.stderr
    (tmp_path / "unrelated").mkdir()
    (tmp_path / "unrelated" / "notes.txt").write_text("hello", encoding="utf-8")
    unrelated = infra("report", "drift", "--drift-dir", str(tmp_path / "unrelated"), "--env", "prod")
    assert unrelated.exit_code == 2 and "holds no drift output" in unrelated.stderr
    folder = write_drift(tmp_path / "dev", {"schema": "civic-infra/drift/v1", "environments": [{"environment": "dev"}]}, 0)
    mismatched = infra("report", "drift", "--drift-dir", str(folder), "--env", "prod")
    assert mismatched.exit_code == 2 and "are for dev" in mismatched.stderr


def test_drift_of_all_environments_is_narrowed_to_one(tmp_path):
    everything = {"environments": [ENGINE_DRIFT, {"environment": "dev", "resources": [
        {"urn": "urn:pulumi:dev::p::t:m:T::x", "properties": [{"property": "a", "severity": "critical"}]}]}]}
    issue = render_drift_issue(load_drift(write_drift(tmp_path / "all", everything, 7), "prod"))
    assert issue["counts"] == {"critical": 1, "high": 1, "low": 1}


def test_drift_items_are_counted_once():
    item = {"urn": "urn:pulumi:p::x::t:m:T::r", "property": "p", "severity": "critical", "message": "m"}
    assert len(drift_items({"items": [item], "by_severity": {"critical": [item]}})) == 1


def test_drift_bad_json_exits_2(tmp_path):
    (tmp_path / "prod.json").write_text("{", encoding="utf-8")
    result = infra("report", "drift", "--drift-dir", str(tmp_path), "--env", "prod")
    assert result.exit_code == 2
    assert "prod.json: not valid JSON" in result.stderr


def test_drift_issue_from_the_engines_document(tmp_path):
    """The shape `infra drift --output-dir` writes: drift.json (civic-infra/drift/v1), drift.md, exit-code."""
    env = {
        "environment": "prod", "status": "drifted", "exit_code": 7, "error": None, "error_detail": [],
        "counts": {"critical": 1, "high": 1, "low": 0},
        "cloud_drift": [{
            "urn": "urn:pulumi:prod::civic-infra::civic:aws:Network$aws:ec2/securityGroup:SecurityGroup::caf-prod-sg",
            "type": "aws:ec2/securityGroup:SecurityGroup", "name": "caf-prod-sg", "change": "update",
            "worst_severity": "critical", "reason": "network exposure",
            "properties": [{"path": "ingress[0].cidrBlocks", "kind": "update", "severity": "critical",
                            "reason": "network exposure", "state": ["10.0.0.0/8"], "cloud": ["0.0.0.0/0"]}],
        }],
        "code_drift": [],
        "policy": {"evaluated": True, "source": "...", "findings": [
            {"policy": "s3-versioning", "policy_severity": "high", "enforcement": "mandatory",
             "urn": "urn:pulumi:prod::civic-infra::aws:s3/bucketVersioning:BucketVersioning::caf-prod-raw-versioning",
             "message": "versioning suspended", "exempted": False, "blocking": True, "severity": "high"},
            {"policy": "required-tags", "policy_severity": "low", "enforcement": "advisory", "urn": "u",
             "message": "m", "exempted": False, "blocking": False},
        ]},
        "notes": [],
    }
    folder = tmp_path / "prod"
    folder.mkdir()
    (folder / "drift.json").write_text(json.dumps({"schema": "civic-infra/drift/v1", "checked_at": "t", "exit_code": 7,
                                                   "environments": [env]}), encoding="utf-8")
    (folder / "drift.md").write_text("## engine markdown\n", encoding="utf-8")
    (folder / "exit-code").write_text("7\n", encoding="utf-8")
    issue = render_drift_issue(load_drift(folder, "prod"))
    assert (issue["status"], issue["counts"]) == ("drifted", {"critical": 1, "high": 1, "low": 0})
    rows = re.findall(r"^\| (critical|high|low) \| `([^`]+)`[^|]*\| `([^`]*)` \| ([^|]*?) \|$", issue["body"], re.M)
    assert rows == [
        ("critical", "caf-prod-sg", "ingress[0].cidrBlocks", "network exposure"),
        ("high", "caf-prod-raw-versioning", "s3-versioning", "versioning suspended"),
    ]
    assert "0.0.0.0/0" not in issue["body"].split("<details>")[0]  # values stay in the engine's report
