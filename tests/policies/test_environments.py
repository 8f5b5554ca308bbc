"""The real environments against the whole policy set, and both adapters on a real plan."""

from __future__ import annotations

import contextlib

import pytest
from pulumi_policy.policy import _NotApplicableError

from cli.policycheck import check_capture
from policies.catalog import all_policies
from policies.context import context_from_environment
from policies.core import Status
from policies.pack import engine_policy
from tests.conftest import TODAY


@pytest.mark.parametrize("name", ["dev", "staging", "prod"])
def test_environment_passes_every_mandatory_policy(real_plans, name):
    env, capture = real_plans(name)
    report = check_capture(capture, env, today=TODAY)
    blocking = [f"{f.policy} on {f.name}: {f.message}" for f in report.findings if f.blocking]
    assert blocking == [], "\n".join(blocking)
    assert report.evaluation.resource_count == len([r for r in capture.resources])


def _engine_args(capture, ctx):
    """pulumi_policy arguments for every captured resource, as the engine would build them."""
    from pulumi_policy import (
        PolicyCustomTimeouts,
        PolicyProviderResource,
        PolicyResource,
        PolicyResourceOptions,
        ResourceValidationArgs,
        StackValidationArgs,
    )
    from pulumi_policy.proxy import unknown_checking_proxy

    config = {"context": {**ctx.to_config(), "today": TODAY.isoformat()}}
    by_urn = {r.urn: r for r in capture.resources}

    def opts(r):
        return PolicyResourceOptions(r.protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], r.parent)

    def provider(r):
        p = by_urn.get(r.provider) if r.provider else None
        return PolicyProviderResource(p.type, unknown_checking_proxy(dict(p.inputs)), p.urn, p.name) if p else None

    resource_args = [
        ResourceValidationArgs(r.type, unknown_checking_proxy(dict(r.inputs)), r.urn, r.name, opts(r), provider(r), config, {})
        for r in capture.resources if r.custom
    ]
    made = {r.urn: PolicyResource(r.type, unknown_checking_proxy(dict(r.inputs)), r.urn, r.name, opts(r), provider(r),
                                  None, [], {}) for r in capture.resources}
    for r in capture.resources:
        made[r.urn].dependencies = [made[d] for d in r.dependencies if d in made]
        made[r.urn].property_dependencies = {k: [made[d] for d in v if d in made] for k, v in r.property_dependencies.items()}
        made[r.urn].parent = made.get(r.parent) if r.parent else None
    return resource_args, StackValidationArgs(list(made.values()), config, {})


def test_adapters_agree_on_the_real_dev_plan(real_plans):
    env, capture = real_plans("dev")
    ctx = context_from_environment(env, TODAY)
    report = check_capture(capture, env, today=TODAY)
    offline = {(r.policy, r.urn, r.message) for r in report.results if r.status is Status.failed
               and r.policy != "no-plaintext-secrets"}
    resource_args, stack_args = _engine_args(capture, ctx)
    engine: set[tuple[str, str, str]] = set()
    stack_urn = f"urn:pulumi:dev::{capture.project}::pulumi:pulumi:Stack::{capture.project}-dev"
    for policy in all_policies():
        wrapped = engine_policy(policy)
        if policy.kind == "resource":
            for args in resource_args:
                with contextlib.suppress(_NotApplicableError):
                    wrapped.validate(args, lambda m, _u=None, at=args.urn, p=policy.name: engine.add((p, at, m)))
        else:
            with contextlib.suppress(_NotApplicableError):
                wrapped.validate(stack_args, lambda m, u=None, p=policy.name: engine.add((p, u or stack_urn, m)))
    exempted = {(f.policy, f.urn, f.message) for f in report.findings if f.exempted}
    assert engine == offline - exempted
