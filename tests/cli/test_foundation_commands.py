"""envs, validate, schema, plan and --version through Typer's CliRunner."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from cli import __version__
from cli.main import app
from tests.conftest import REPO, write_stack

runner = CliRunner()


def infra(*args: str):
    return runner.invoke(app, list(args))


def test_version():
    result = infra("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"infra {__version__}"


def test_envs_lists_each_environment_once():
    result = infra("--cwd", str(REPO), "envs")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert names == ["dev", "prod", "staging", "tenant"]
    assert "owns the tenant and repository; CI identities of dev, staging, prod" in result.stdout
    doc = json.loads(infra("--cwd", str(REPO), "envs", "--format", "json").stdout)
    assert {e["name"]: e["tier"] for e in doc["environments"]} == {
        "dev": "development", "prod": "production", "staging": "staging", "tenant": "production",
    }
    assert {e["name"]: e["ci_identities_from"] for e in doc["environments"]} == {
        "dev": "tenant", "prod": "tenant", "staging": "tenant", "tenant": None,
    }
    assert [e["name"] for e in doc["environments"] if e["owns_tenant"]] == ["tenant"]


def test_validate_all_sample_environments():
    result = infra("--cwd", str(REPO), "validate", "--all")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == ["dev: valid", "prod: valid", "staging: valid", "tenant: valid"]


def test_validate_reports_problems_and_exits_2(tmp_project, values):
    values["network"]["aws_vpc_cidr"] = "8.8.0.0/16"
    values["default_cost_center"] = 7
    write_stack(tmp_project / "stacks", "dev", values)
    result = infra("--cwd", str(tmp_project), "validate", "--env", "dev")
    assert result.exit_code == 2
    lines = result.stderr.splitlines()
    assert len(lines) == 2
    assert all(line.startswith("stacks/Pulumi.dev.yaml: infra:") for line in lines)


def test_validate_needs_exactly_one_target(tmp_project):
    result = infra("--cwd", str(tmp_project), "validate")
    assert result.exit_code == 2
    assert "pass exactly one of --env ENV or --all" in result.stderr


def test_project_is_found_from_a_subdirectory(tmp_project, values, monkeypatch):
    write_stack(tmp_project / "stacks", "qa", values)
    nested = tmp_project / "docs" / "deep"
    nested.mkdir(parents=True)
    monkeypatch.chdir(nested)
    result = infra("envs")
    assert result.exit_code == 0
    assert result.stdout.split()[0] == "qa"


def test_no_project_is_a_usage_error(tmp_path):
    result = infra("--cwd", str(tmp_path), "envs")
    assert result.exit_code == 2
    assert "no Pulumi.yaml" in result.stderr


def test_unknown_environment_exits_2():
    result = infra("--cwd", str(REPO), "plan", "--env", "nope")
    assert result.exit_code == 2
    assert "environment 'nope' has no stack file; known environments: dev, prod, staging" in result.stderr


def test_schema_covers_every_top_level_key():
    from stacks.model import Environment

    doc = json.loads(infra("schema", "--namespace-only").stdout)
    assert set(doc["properties"]) == set(Environment.model_fields) - {"name"}
    assert doc["additionalProperties"] is False
    # network is required of environments by a rule (stacks/rules.py tenant_stack_shape); the tenant stack has none.
    assert "identity" in doc["required"] and "network" not in doc["required"] and "name" not in doc["required"]
    config = json.loads(infra("schema").stdout)["properties"]["config"]
    assert set(config["properties"]) == {f"infra:{k}" for k in Environment.model_fields} - {"infra:name"}


def test_schema_to_file(tmp_path):
    out = tmp_path / "schema.json"
    result = infra("schema", "--output", str(out))
    assert result.exit_code == 0
    assert json.loads(out.read_text())["title"].startswith("civic-infra stack file")


@pytest.fixture(scope="module")
def dev_plan_json() -> dict:
    result = infra("--cwd", str(REPO), "plan", "--env", "dev", "--format", "json")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_plan_json_document_shape(dev_plan_json):
    assert dev_plan_json["environment"] == "dev"
    assert dev_plan_json["project"] == "civic-infra"
    assert set(dev_plan_json["summary"]) == {"total", "by_type"}
    assert dev_plan_json["summary"]["total"] == len(dev_plan_json["resources"])
    first = dev_plan_json["resources"][0]
    assert {"urn", "type", "name", "parent", "dependencies", "protect", "inputs"} <= set(first)


def test_plan_table_and_markdown(tmp_path):
    table = infra("--cwd", str(REPO), "plan", "--env", "dev")
    assert table.exit_code == 0
    assert "civic-infra / dev" in table.stdout and "resources by type" in table.stdout
    out = tmp_path / "plan.md"
    md = infra("--cwd", str(REPO), "plan", "--env", "dev", "--format", "markdown", "--output", str(out))
    assert md.exit_code == 0
    assert out.read_text().startswith("### Plan: `dev`")


def test_graph_output_dir_that_is_a_file_is_exit_2_with_the_path(tmp_path):
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    result = infra("--cwd", str(REPO), "graph", "--env", "dev", "--output-dir", str(blocker))
    assert result.exit_code == 2, result.output
    assert f"--output-dir {blocker}: is not a folder" in result.stderr
