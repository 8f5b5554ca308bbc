"""The pull-request checks: one job per environment, and the capture cache reused only within a job."""

from __future__ import annotations

from stacks.loader import environment_names
from tests.ci.test_workflows import workflow
from tests.conftest import REPO


def test_checks_run_one_job_per_environment():
    job = workflow("pull-request.yml")["jobs"]["checks"]
    assert sorted(job["strategy"]["matrix"]["env"]) == environment_names(REPO / "stacks")


def test_the_policy_checks_follow_the_plan_in_the_same_job_and_reuse_its_capture():
    runs = [str(s.get("run", "")) for s in workflow("pull-request.yml")["jobs"]["checks"]["steps"]]
    plan = next(i for i, r in enumerate(runs) if "infra plan --env" in r)
    checks = [i for i, r in enumerate(runs) if "infra policy check --env" in r]
    assert len(checks) == 2 and all(i > plan for i in checks)
    assert not any("--no-cache" in r or "INFRA_NO_CACHE" in r for r in runs)


def test_no_workflow_restores_a_capture_cache_from_another_run():
    for name in ("pull-request.yml", "deploy.yml", "drift.yml"):
        for job in workflow(name)["jobs"].values():
            for step in job.get("steps") or []:
                assert not str(step.get("uses", "")).startswith("actions/cache"), f"{name}: {step}"
