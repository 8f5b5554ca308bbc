"""One definition of a resource count: plan, graph, PR report and compliance agree."""

from __future__ import annotations

import json
import re

import pytest

from cli import counting
from cli.capture import Capture, Resource
from cli.graph import build_graph, render_overview_dot
from cli.plan import plan_environment
from cli.policycheck import check_capture
from cli.project import find_project
from cli.render.plan import render_markdown
from cli.render.report import plan_summary
from stacks.loader import load_environment
from tests.conftest import REPO, TODAY

P = "urn:pulumi:dev::civic-infra::"


def res(urn: str, type_: str, parent: str | None = None, custom: bool = True) -> Resource:
    return Resource(urn=urn, type=type_, name=urn.rsplit("::", 1)[-1], parent=parent, dependencies=(),
                    property_dependencies={}, protect=False, retain_on_delete=False, custom=custom,
                    provider=None, inputs={})


def test_the_stack_and_default_providers_do_not_count_components_and_explicit_providers_do():
    resources = [
        res(P + "pulumi:pulumi:Stack::civic-infra-dev", "pulumi:pulumi:Stack", custom=False),
        res(P + "pulumi:providers:aws::default_7_8_0", "pulumi:providers:aws"),
        res(P + "pulumi:providers:aws::aws", "pulumi:providers:aws"),
        res(P + "civic:aws:Lake::lake", "civic:aws:Lake", custom=False),
        res(P + "civic:aws:Lake$aws:s3/bucket:Bucket::raw", "aws:s3/bucket:Bucket", parent=P + "civic:aws:Lake::lake"),
    ]
    capture = Capture("dev", "civic-infra", tuple(resources))
    assert counting.total(resources) == 3 == capture.summary()["total"]
    assert counting.count_below(resources, P + "civic:aws:Lake::lake") == 1


@pytest.fixture(scope="module")
def dev():
    project = find_project(REPO)
    env = load_environment(project.stacks_dir, "dev", today=TODAY)
    return env, plan_environment(project, env)


def test_plan_graph_pr_report_and_compliance_count_alike(dev):
    env, capture = dev
    total = capture.summary()["total"]
    assert total == counting.total(capture.resources)
    assert check_capture(capture, env, today=TODAY).summary()["resources"] == total
    assert plan_summary(json.loads(json.dumps(capture.to_json(), default=str)))["total"] == total
    assert f"**{total}** resources" in render_markdown(capture)
    rows = dict(re.findall(r"^\| (\S+) \| `[^`]+` \| (\d+) \|$", render_markdown(capture), re.M))
    dot = render_overview_dot(build_graph(capture))
    labels = dict(re.findall(r'label="([^\\"]+)\\n[^\\"]+\\n(\d+) resources', dot))
    assert rows and labels
    for name, count in labels.items():
        assert rows[name] == count, name
