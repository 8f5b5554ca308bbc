"""Enforcement per environment, exemptions, and the engine's policy-pack config."""

from __future__ import annotations

from datetime import date

from policies.catalog import all_policies, policies_by_name
from policies.context import Context, Exemption, Settings, context_from_environment
from policies.core import Enforcement
from policies.evaluate import effective_enforcement, evaluate
from tests.policies.fixtures import TODAY, R, Scenario, offline_stack

BUCKET = "aws:s3/bucket:Bucket"
KEY = "aws:kms/key:Key"


def _stack():
    return offline_stack(Scenario("x", [
        R("logs-bucket", BUCKET, {"bucket": "logs"}),
        R("data-bucket", BUCKET, {"bucket": "data", "tags": {"owner": "o", "environment": "dev", "cost-center": "c",
                                                              "data-classification": "internal"}}),
        R("weak-key", KEY, {"enableKeyRotation": False, "tags": {"owner": "o"}}),
    ]))


def _ctx(**settings) -> Context:
    return Context(environment="dev", tier="development", today=TODAY, clouds=("aws",), settings=Settings(**settings))


def _by(ev, policy):
    return sorted((f.name, f.enforcement, f.exempted) for f in ev.findings if f.policy == policy)


def test_override_lowers_an_ordinary_policy_and_advisory_never_blocks():
    ev = evaluate(_stack(), _ctx(enforcement={"required-tags": "advisory"}), [policies_by_name()["required-tags"]])
    assert _by(ev, "required-tags") == [("logs-bucket", "advisory", False), ("weak-key", "advisory", False)]
    assert ev.blocking is False


def test_disabled_policy_is_not_evaluated():
    ev = evaluate(_stack(), _ctx(enforcement={"aws-s3-access-logging": "disabled"}),
                  [policies_by_name()["aws-s3-access-logging"]])
    assert ev.results == () and ev.findings == () and not ev.blocking


def test_data_protection_policy_cannot_be_downgraded_and_the_attempt_is_a_violation():
    policy = policies_by_name()["aws-kms-key-rotation"]
    assert policy.data_protection
    assert effective_enforcement(policy, {"aws-kms-key-rotation": "advisory"}) is Enforcement.mandatory
    assert effective_enforcement(policy, {"aws-kms-key-rotation": "disabled"}) is Enforcement.mandatory
    ctx = _ctx(enforcement={"aws-kms-key-rotation": "disabled"})
    ev = evaluate(_stack(), ctx, [policy, policies_by_name()["policy-enforcement-valid"]])
    assert _by(ev, "aws-kms-key-rotation") == [("weak-key", "mandatory", False)]
    [meta] = [f for f in ev.findings if f.policy == "policy-enforcement-valid"]
    assert meta.enforcement == "mandatory" and "stays mandatory" in meta.message and ev.blocking


def test_valid_exemption_marks_the_finding_and_unblocks():
    ex = Exemption("aws-s3-access-logging", "logs-*", "log objects are written once and never changed", date(2027, 2, 1))
    policies = [policies_by_name()["aws-s3-access-logging"], policies_by_name()["policy-exemptions-valid"]]
    ev = evaluate(_stack(), _ctx(exemptions=(ex,)), policies)
    assert _by(ev, "aws-s3-access-logging") == [("data-bucket", "mandatory", False), ("logs-bucket", "mandatory", True)]
    assert _by(ev, "policy-exemptions-valid") == []
    exempted = next(f for f in ev.findings if f.exempted)
    assert exempted.justification.startswith("log objects") and exempted.exemption_expires == "2027-02-01"


def test_urn_pattern_exemption():
    stack = _stack()
    logs = next(r for r in stack.resources if r.name == "logs-bucket")
    ex = Exemption("aws-s3-access-logging", logs.urn.replace("logs-bucket", "logs-*"), "log objects never change", date(2027, 1, 1))
    ev = evaluate(stack, _ctx(exemptions=(ex,)), [policies_by_name()["aws-s3-access-logging"]])
    assert [f.name for f in ev.findings if f.exempted] == ["logs-bucket"]


def test_expired_unjustified_and_unmatched_exemptions_exempt_nothing_and_are_mandatory_violations():
    bad = (
        Exemption("aws-s3-access-logging", "logs-*", "log objects never change", date(2026, 11, 21)),  # expired yesterday
        Exemption("aws-s3-access-logging", "data-*", "ok", date(2027, 1, 1)),  # unjustified
        Exemption("aws-s3-access-logging", "missing-*", "log objects never change", date(2027, 1, 1)),  # unmatched
    )
    policies = [policies_by_name()["aws-s3-access-logging"], policies_by_name()["policy-exemptions-valid"]]
    ev = evaluate(_stack(), _ctx(exemptions=bad), policies)
    assert _by(ev, "aws-s3-access-logging") == [("data-bucket", "mandatory", False), ("logs-bucket", "mandatory", False)]
    meta = sorted(f.message for f in ev.findings if f.policy == "policy-exemptions-valid")
    assert len(meta) == 3
    assert "expired on 2026-11-21" in meta[0]
    assert "has no justification" in meta[1]
    assert "matches no resource" in meta[2]
    assert all(f.enforcement == "mandatory" for f in ev.findings if f.policy == "policy-exemptions-valid")


def test_governance_policies_cannot_be_exempted_or_downgraded():
    meta = policies_by_name()["policy-exemptions-valid"]
    assert meta.locked
    assert effective_enforcement(meta, {"policy-exemptions-valid": "disabled"}) is Enforcement.mandatory
    ctx = _ctx(exemptions=(Exemption("policy-exemptions-valid", "*", "please let this through", date(2027, 1, 1)),
                           Exemption("aws-s3-access-logging", "nothing", "x", date(2027, 1, 1))))
    ev = evaluate(_stack(), ctx, [meta])
    assert ev.findings and not any(f.exempted for f in ev.findings)


def _env(tmp_values=None):
    from stacks.model import Environment
    from tests.conftest import minimal_values

    values = {**minimal_values(), **(tmp_values or {})}
    return Environment.model_validate({"name": "dev", **values})


def test_context_from_environment_and_back_through_config():
    env = _env({
        "aws": {"account_id": "000000000001"},
        "azure": {"tenant_id": "00000000-0000-0000-0000-000000000000", "subscription_id": "00000000-0000-0000-0000-0000000000d1"},
        "protection": {"log_retention_days": 30, "backup_retention_days": 7, "soft_delete_retention_days": 7,
                       "deletion_protection": False},
        "policy": {"enforcement": {"required-tags": "advisory"},
                   "exemptions": [{"policy": "aws-s3-access-logging", "resource": "*-logs", "justification": "the log bucket itself",
                                   "expires": "2027-01-15"}]},
    })
    ctx = context_from_environment(env, TODAY)
    assert (ctx.tier, ctx.clouds, ctx.log_retention_days, ctx.aws_account_ids) == ("development", ("azure", "aws"), 30, ("000000000001",))
    back = Context.from_config(ctx.to_config(), stack="dev", today=TODAY)
    assert back == ctx


def test_context_without_an_environment_is_strict_but_named():
    assert Context.for_stack("prod", TODAY).tier == "production"
    assert Context.for_stack("dev", TODAY).tier == "development"
    assert Context.for_stack("staging", TODAY).tier == "staging"
    assert Context.for_stack("acme-eu", TODAY).tier == "production"
    assert Context.from_config(None, stack="dev", today=TODAY) == Context.for_stack("dev", TODAY)


def test_policy_pack_config_for_the_engine():
    from policies.config import PACK_DIR, policy_pack_config

    env = _env({"policy": {"enforcement": {"required-tags": "advisory", "aws-s3-encrypted": "disabled"}}})
    config = policy_pack_config(env, TODAY)
    assert set(config) == {p.name for p in all_policies()}
    assert config["required-tags"]["enforcementLevel"] == "advisory"
    assert config["aws-s3-encrypted"]["enforcementLevel"] == "mandatory"
    ctx = Context.from_config(config["aws-s3-encrypted"]["context"], stack="dev", today=TODAY)
    assert ctx.settings.enforcement == {"required-tags": "advisory", "aws-s3-encrypted": "disabled"}
    assert (PACK_DIR / "PulumiPolicy.yaml").is_file() and (PACK_DIR / "__main__.py").is_file()
    import json

    json.dumps(config)  # the engine reads it as a JSON file


def test_the_whole_set_is_fast_and_linear_on_large_stacks():
    import time

    from policies.core import ResourceView, StackView

    def stack(n: int) -> StackView:
        views = []
        for i in range(n):
            b = f"urn:pulumi:prod::p::aws:s3/bucket:Bucket::b{i}"
            views.append(ResourceView(b, "aws:s3/bucket:Bucket", f"b{i}", {"bucket": f"b{i}", "tags": {"owner": "o"}}))
            for t in ("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", "aws:s3/bucketVersioning:BucketVersioning",
                      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"):
                views.append(ResourceView(f"urn:pulumi:prod::p::{t}::b{i}-x", t, f"b{i}-x", {"bucket": f"b{i}"},
                                          property_dependencies={"bucket": (b,)}))
        return StackView(views, stack="prod", project="p")

    evaluate(stack(10), _ctx())  # warm the SDK lookups
    # CPU time, not wall time: other processes on a shared runner must not fail this test.
    started = time.process_time()
    ev = evaluate(stack(600), _ctx())  # 2,400 resources: several times a prod capture
    assert time.process_time() - started < 3.0
    assert len([f for f in ev.findings if f.policy == "aws-s3-versioning"]) == 600


def test_data_protection_policies_are_locked_against_exemptions_too():
    policy = policies_by_name()["aws-s3-versioning"]
    assert policy.data_protection and policy.is_locked and policy.lock
    ex = Exemption("aws-s3-versioning", "logs-*", "log objects are written once and never changed", date(2027, 2, 1))
    ev = evaluate(_stack(), _ctx(exemptions=(ex,)), [policy, policies_by_name()["policy-exemptions-valid"]])
    assert _by(ev, "aws-s3-versioning") == [("data-bucket", "mandatory", False), ("logs-bucket", "mandatory", False)]
    [meta] = [f.message for f in ev.findings if f.policy == "policy-exemptions-valid"]
    assert "is locked (protects data) and cannot be exempted" in meta
    assert ev.blocking
