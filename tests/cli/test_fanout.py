"""`--all`: every environment in its own process, bounded by --parallel, exit codes combined."""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli import fanout
from cli.errors import ExitCode
from cli.main import app
from tests.conftest import REPO

PROGRAM = """
import pulumi
import pulumi_aws as aws

aws.s3.Bucket("logs", tags={"owner": "it@example.org"})
pulumi.export("stack", pulumi.get_stack())
"""


@pytest.fixture
def project(tmp_path) -> Path:
    """The real stack files with a one-bucket program, so each child process is quick."""
    root = tmp_path / "project"
    shutil.copytree(REPO / "stacks", root / "stacks", ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    (root / "Pulumi.yaml").write_text((REPO / "Pulumi.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (root / "components" / "platform").mkdir(parents=True)
    (root / "components" / "platform" / "__main__.py").write_text(PROGRAM, encoding="utf-8")
    return root


def test_run_each_is_bounded_and_keeps_environment_order(monkeypatch):
    running, peak, lock = [0], [0], threading.Lock()

    def fake_run(argv, **kwargs):
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        time.sleep(0.05)
        with lock:
            running[0] -= 1
        name = argv[argv.index("--env") + 1]
        return subprocess.CompletedProcess(argv, 5 if name == "b" else 0, f"out {name}\n", f"msg {name}\n")

    monkeypatch.setattr(fanout.subprocess, "run", fake_run)
    names = ["a", "b", "c", "d", "e"]
    runs = fanout.run_each(Path("/p"), names, lambda n: ["plan", "--env", n], parallel=2)
    assert peak[0] == 2
    assert [r.environment for r in runs] == names
    assert [r.exit_code for r in runs] == [0, 5, 0, 0, 0]
    assert runs[0].stdout == "out a\n" and runs[0].stderr == "msg a\n"


def test_combined_exit_prefers_errors_then_policy_failures():
    def runs(*codes):
        return [fanout.EnvironmentRun(str(i), c, "", "") for i, c in enumerate(codes)]

    assert fanout.combined_exit(runs(0, 0)) == ExitCode.OK
    assert fanout.combined_exit(runs(0, 5)) == ExitCode.POLICY
    assert fanout.combined_exit(runs(5, 2, 1)) == ExitCode.CONFIG


@pytest.mark.parametrize(("args", "message"), [
    (["plan"], "exactly one of --env ENV or --all"),
    (["plan", "--all", "--env", "dev"], "exactly one of --env ENV or --all"),
    (["plan", "--all", "--parallel", "0"], "--parallel must be at least 1"),
    (["plan", "--all", "--format", "json"], "needs --output-dir"),
    (["plan", "--all", "--output", "x.json"], "with --all use --output-dir"),
    (["plan", "--env", "dev", "--output-dir", "x"], "--output-dir is for --all"),
    (["policy", "check", "--all", "--state", "s.json"], "does not combine"),
    (["policy", "check", "--env", "dev", "--output-dir", "x"], "--output-dir is for --all"),
    (["compliance"], "pass --env ENV, --state FILE (optionally with --env), or --all"),
    (["compliance", "--all", "--parallel", "0"], "--parallel must be at least 1"),
])
def test_bad_selections_exit_2_before_anything_runs(args, message, monkeypatch):
    monkeypatch.setattr(fanout.subprocess, "run", lambda *a, **k: pytest.fail("a child was started"))
    result = CliRunner().invoke(app, ["--cwd", str(REPO), *args])
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_plan_and_policy_check_all_run_every_environment(project, tmp_path):
    out = tmp_path / "reports"
    runner = CliRunner()
    cwd = ["--cwd", str(project)]
    plan = runner.invoke(app, [*cwd, "plan", "--all", "--parallel", "3", "--format", "json", "--output-dir", str(out)])
    assert plan.exit_code == 0, plan.output
    names = ["dev", "prod", "staging", "tenant"]
    for name in names:
        doc = json.loads((out / f"plan-{name}.json").read_text(encoding="utf-8"))
        assert doc["environment"] == name and [r["name"] for r in doc["resources"]] == ["logs"]
    assert "--all: dev: exit 0, prod: exit 0, staging: exit 0, tenant: exit 0" in plan.output
    check = runner.invoke(app, [*cwd, "policy", "check", "--all", "--format", "sarif", "--output-dir", str(out)])
    assert check.exit_code in (0, 5), check.output
    # one per environment, and the cross-stack policies over all of them (policy-combined.sarif)
    assert sorted(p.name for p in out.glob("policy-*.sarif")) == sorted(
        [f"policy-{n}.sarif" for n in names] + ["policy-combined.sarif"])
    assert "[combined] cross-stack policies over dev, prod, staging, tenant" in check.output
    # one report for all environments; their programs ran in child processes that filled the capture cache
    compliance = runner.invoke(app, [*cwd, "compliance", "--all", "--output-dir", str(tmp_path / "c")],
                               env={"INFRA_NO_CACHE": ""})
    assert compliance.exit_code == 0, compliance.output
    report = json.loads((tmp_path / "c" / "report.json").read_text(encoding="utf-8"))
    assert [e["environment"] for e in report["environments"]] == names
    assert len(list((project / ".infra" / "cache").iterdir())) == len(names)


def test_a_failing_environment_is_reported_and_fails_the_run(project, tmp_path):
    stack = project / "stacks" / "Pulumi.staging.yaml"
    stack.write_text(stack.read_text(encoding="utf-8").replace("infra:tier:", "infra:tierr:", 1), encoding="utf-8")
    result = CliRunner().invoke(app, ["--cwd", str(project), "plan", "--all", "--format", "markdown"])
    assert result.exit_code == 2, result.output
    assert "[staging] " in result.output and "staging: exit 2" in result.output
    assert "dev: exit 0" in result.output



TENANT_WIDE_PROGRAM = """
import pulumi
import pulumi_azuread as azuread

if pulumi.get_stack() in ("tenant", "dev"):
    azuread.NamedLocation("us", display_name="US",
                          country=azuread.NamedLocationCountryArgs(countries_and_regions=["US"]))
"""


def _tenant_wide_project(project: Path) -> Path:
    (project / "components" / "platform" / "__main__.py").write_text(TENANT_WIDE_PROGRAM, encoding="utf-8")
    return project


def test_policy_check_all_flags_conditional_access_in_two_stacks_of_one_tenant(project, tmp_path):
    out = tmp_path / "reports"
    args = ["--cwd", str(_tenant_wide_project(project)), "policy", "check", "--all", "--format", "json",
            "--output-dir", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 5, result.output
    combined = json.loads((out / "policy-combined.json").read_text(encoding="utf-8"))
    found = {(f["policy"], f["name"]) for f in combined["findings"]}
    assert found == {("entra-conditional-access-one-stack-per-tenant", "us")} and len(combined["findings"]) == 2
    messages = " ".join(f["message"] for f in combined["findings"])
    assert "stack dev declares NamedLocation us" in messages and "stack tenant declares NamedLocation us" in messages
    assert "[combined] cross-stack policies over dev, prod, staging, tenant: exit 5" in result.output


def test_policy_check_all_passes_the_same_resources_in_different_tenants(project, tmp_path):
    dev = project / "stacks" / "Pulumi.dev.yaml"
    text = dev.read_text(encoding="utf-8")
    assert "tenant_id: 00000000-0000-0000-0000-000000000000" in text
    dev.write_text(text.replace("tenant_id: 00000000-0000-0000-0000-000000000000",
                                "tenant_id: 00000000-0000-0000-0000-0000000000d1"), encoding="utf-8")
    out = tmp_path / "reports"
    args = ["--cwd", str(_tenant_wide_project(project)), "policy", "check", "--all", "--format", "json",
            "--output-dir", str(out)]
    result = CliRunner().invoke(app, args)
    assert "[combined] cross-stack policies over dev, prod, staging, tenant: exit 0" in result.output
    combined = json.loads((out / "policy-combined.json").read_text(encoding="utf-8"))
    assert combined["findings"] == [] and combined["summary"]["environment"] == "combined"
