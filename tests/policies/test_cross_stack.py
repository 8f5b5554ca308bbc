"""Cross-stack policies: exact pass and fail sets over stacks checked together, and their place in the set."""

from __future__ import annotations

import pytest

from policies.catalog import all_policies, policies_by_name
from policies.core import Status
from policies.evaluate import evaluate_together
from tests.policies.cases_cross_stack import ONE_STACK, SCENARIOS, _ca, stacks_of
from tests.policies.fixtures import STACK, Scenario, context, offline_stack


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[f"{s.policy}/{s.label}" for s in SCENARIOS])
def test_exact_pass_and_fail_sets(scenario):
    policy = policies_by_name()[scenario.policy]
    results = [r for _, r in policy.evaluate_stacks(stacks_of(scenario))]
    names = {r.name for m in scenario.members for r in m.resources}
    failed = {r.name for r in results if r.status is Status.failed}
    passed = {r.name for r in results if r.status is Status.passed}
    assert failed == {n for n in names if n.startswith("fail_")}
    assert {n for n in names if n.startswith("pass_")} <= passed


def test_a_conflict_names_both_stacks_and_their_resources():
    (scenario,) = [s for s in SCENARIOS if s.label == "fail_two_stacks_one_tenant"]
    results = policies_by_name()[ONE_STACK].evaluate_stacks(stacks_of(scenario))
    by_name = {r.name: (stack.stack, r.message) for stack, r in results if r.status is Status.failed}
    stack, message = by_name["fail_dev_copy_of_mfa"]
    assert stack == "dev"
    assert "stack dev" in message and "stack tenant declares" in message and "fail_tenant_mfa" in message
    stack, message = by_name["fail_tenant_mfa"]
    assert stack == "tenant" and "stack dev declares" in message and "fail_dev_strength" in message
    assert "prod" not in message


def test_evaluate_together_blocks_on_a_conflict_and_passes_different_tenants():
    fail = next(s for s in SCENARIOS if s.label == "fail_two_stacks_one_tenant")
    ok = next(s for s in SCENARIOS if s.label == "pass_different_tenants")
    blocked = evaluate_together(stacks_of(fail))
    assert blocked.blocking and {f.policy for f in blocked.findings} == {ONE_STACK}
    assert blocked.stacks == ("tenant", "dev", "prod")
    assert not evaluate_together(stacks_of(ok)).blocking


def test_one_stack_alone_is_not_judged_and_the_policy_is_listed_and_locked():
    policy = policies_by_name()[ONE_STACK]
    assert policy in all_policies() and policy.kind == "stacks" and policy.is_locked
    alone = Scenario(ONE_STACK, [_ca("ca-alone")])
    results = policy.evaluate(offline_stack(alone), context(alone))
    assert [r.status for r in results] == [Status.not_applicable]
    assert "checked together" in results[0].message and results[0].name.endswith(STACK)


def test_every_cross_stack_policy_has_a_passing_and_a_failing_case():
    cross = {p.name for p in all_policies() if p.check_stacks is not None}
    failing = {s.policy for s in SCENARIOS if any(r.name.startswith("fail_") for m in s.members for r in m.resources)}
    passing = {s.policy for s in SCENARIOS if any(r.name.startswith("pass_") for m in s.members for r in m.resources)}
    assert cross and cross <= failing and cross <= passing
