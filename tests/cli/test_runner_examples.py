"""Example-shaped programs (tests/fixtures/programs) run under both commands and both modes.

Each is written the way Pulumi's public Python examples are (not with this repository's
components): serverless API, EKS and AKS with generated kubeconfigs, Fargate with VPC
lookups, a static site with ACM and Route 53, RDS with Secrets Manager, Functions with
storage keys. Preview runs through `infra plan --program`, up through `infra policy check
--program`; both must finish (a policy verdict of 0 or 5, never the failed-run 1).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.capture import UNKNOWN
from cli.main import app

PROGRAMS = Path(__file__).resolve().parents[1] / "fixtures" / "programs"

EXPECTED = {
    "serverless_api": {"aws:lambda/function:Function", "aws:apigatewayv2/api:Api", "aws:apigatewayv2/route:Route",
                       "aws:lambda/permission:Permission"},
    "eks_cluster": {"aws:eks/cluster:Cluster", "aws:eks/nodeGroup:NodeGroup", "aws:iam/role:Role"},
    "aks_cluster": {"azure-native:containerservice:ManagedCluster", "azure-native:resources:ResourceGroup"},
    "fargate_service": {"aws:ecs/service:Service", "aws:lb/loadBalancer:LoadBalancer", "aws:ecs/taskDefinition:TaskDefinition"},
    "static_site": {"aws:acm/certificate:Certificate", "aws:route53/record:Record",
                    "aws:cloudfront/distribution:Distribution", "aws:acm/certificateValidation:CertificateValidation"},
    "rds_secrets": {"aws:rds/instance:Instance", "aws:secretsmanager/secretVersion:SecretVersion"},
    "functions_app": {"azure-native:web:WebApp", "azure-native:storage:Blob", "azure-native:storage:StorageAccount"},
}


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_plans_in_preview(name):
    result = _invoke("plan", "--program", str(PROGRAMS / name), "--format", "json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert "complete" not in doc and "warnings" not in doc  # finished, every invoke answered
    assert EXPECTED[name] <= {r["type"] for r in doc["resources"]}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_checks_in_up(name):
    result = _invoke("policy", "check", "--program", str(PROGRAMS / name), "--mode", "up", "--format", "json")
    assert result.exit_code in (0, 5), result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["complete"] is True and summary["resources"] >= len(EXPECTED[name])


def test_up_mode_values_flow_where_preview_has_unknowns():
    """The static site's validation record is built from the certificate's computed options."""
    preview = json.loads(_invoke("plan", "--program", str(PROGRAMS / "static_site"), "--format", "json").stdout)
    up = json.loads(_invoke("plan", "--program", str(PROGRAMS / "static_site"), "--mode", "up", "--format", "json").stdout)
    record = lambda doc: next(r for r in doc["resources"] if r["name"] == "validation")  # noqa: E731
    assert record(preview)["inputs"]["name"] == UNKNOWN
    assert record(up)["inputs"]["name"] not in (UNKNOWN, None, "")
    assert record(up)["inputs"]["zoneId"] == record(preview)["inputs"]["zoneId"] == "Z00000000000000000000"
