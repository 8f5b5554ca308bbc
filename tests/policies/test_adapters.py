"""Both adapters give the same findings: the capture-side views, and pulumi_policy's own
ResourceValidationArgs / StackValidationArgs (real unknown-checking proxies) through the
pack's wrappers. One evaluation per policy, so any difference is an adapter bug."""

from __future__ import annotations

import contextlib

import pytest
from pulumi_policy.policy import _NotApplicableError

from policies.catalog import policies_by_name
from policies.core import Status
from policies.pack import engine_policy, plain
from tests.policies.cases import SCENARIOS
from tests.policies.fixtures import (
    R,
    Scenario,
    context,
    offline_stack,
    resource_args,
    stack_args,
    urn,
)


def offline_findings(s: Scenario) -> set[tuple[str, str]]:
    policy = policies_by_name()[s.policy]
    return {(r.urn, r.message) for r in policy.evaluate(offline_stack(s), context(s)) if r.status is Status.failed}


def engine_findings(s: Scenario) -> set[tuple[str, str]]:
    policy = policies_by_name()[s.policy]
    wrapped = engine_policy(policy)
    found: set[tuple[str, str]] = set()
    if policy.kind == "resource":
        for r in s.resources:
            args = resource_args(s, r)
            with contextlib.suppress(_NotApplicableError):
                wrapped.validate(args, lambda message, _urn=None, at=args.urn: found.add((at, message)))
    else:
        stack_urn = offline_stack(s).urn
        with contextlib.suppress(_NotApplicableError):
            wrapped.validate(stack_args(s), lambda message, at=None: found.add((at or stack_urn, message)))
    return found


ENGINE_BLIND = {"no-plaintext-secrets"}
"""Inside the engine secret markers are unwrapped; this policy is decided offline only (by design)."""


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[f"{s.policy}/{s.label}" for s in SCENARIOS])
def test_offline_and_engine_adapters_agree(scenario):
    offline = offline_findings(scenario)
    engine = engine_findings(scenario)
    if scenario.policy in ENGINE_BLIND:
        assert offline and engine == set()
    else:
        assert engine == offline


def test_plain_unwraps_proxies_and_unknowns():
    from pulumi_policy.proxy import UNKNOWN_BOOLEAN_VALUE, unknown_checking_proxy

    proxied = unknown_checking_proxy({"a": {"b": [1.0, UNKNOWN_BOOLEAN_VALUE]}, "c": UNKNOWN_BOOLEAN_VALUE, "d": "x"})
    out = plain(proxied)
    assert out == {"a": {"b": [1.0, "04da6b54-80e4-46f7-96ec-b56ff0331ba9"]}, "c": "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "d": "x"}
    assert type(out) is dict and type(out["a"]["b"]) is list


def test_engine_exemption_suppresses_only_the_matching_finding():
    from datetime import date

    from policies.context import Exemption, Settings

    s = Scenario("aws-s3-access-logging", [R("logs-bucket", "aws:s3/bucket:Bucket", {"bucket": "logs"}),
                                       R("data-bucket", "aws:s3/bucket:Bucket", {"bucket": "data"})],
                 ctx={"settings": Settings(exemptions=(Exemption("aws-s3-access-logging", "logs-*", "log objects are never rewritten", date(2027, 1, 1)),))})
    engine = engine_findings(s)
    assert {u for u, _ in engine} == {urn(s.label, s.resources[1])}
    # Offline the exempted finding stays listed, marked exempted.
    from policies.evaluate import evaluate

    ev = evaluate(offline_stack(s), context(s), [policies_by_name()["aws-s3-access-logging"]])
    assert sorted((f.name, f.exempted) for f in ev.findings) == [("data-bucket", False), ("logs-bucket", True)]
