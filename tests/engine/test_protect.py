"""The protected-resource guard on a real-schema preview."""

from __future__ import annotations

import pytest

from cli.engine import protect
from cli.engine.errors import ProtectedResourceError
from cli.engine.events import fold
from cli.errors import ExitCode
from tests.engine.conftest import load_events

P = "urn:pulumi:dev::civic-infra::"
VOTER = P + "civic:aws:Postgres$aws:rds/instance:Instance::voter-db"
OLD_EXPORTS = P + "aws:s3/bucketV2:BucketV2::old-exports"
RULE = P + "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule::legacy-https"


@pytest.fixture(scope="module")
def summary():
    return fold(load_events("preview_mixed.jsonl"))


def test_refuses_protected_replace_and_stateful_delete_only(summary):
    found = protect.refusals(summary)
    assert [(r.urn, r.op, r.reason) for r in found] == [
        (VOTER, "replace", "protected, stateful: holds data"),
        (OLD_EXPORTS, "delete", "stateful: holds data"),
    ]
    assert RULE not in {r.urn for r in found}  # a plain rule may be deleted


def test_check_raises_policy_exit_code_with_every_urn(summary):
    with pytest.raises(ProtectedResourceError) as err:
        protect.check(summary, [], "dev")
    assert err.value.exit_code == ExitCode.POLICY == 5
    text = "\n".join(err.value.lines)
    assert VOTER in text and OLD_EXPORTS in text and "--allow-replace" in text


def test_allow_replace_names_exact_urns(summary):
    assert [r.urn for r in protect.refusals(summary, [VOTER])] == [OLD_EXPORTS]
    protect.check(summary, [VOTER, OLD_EXPORTS], "dev")
    assert [r.urn for r in protect.refusals(summary, ["voter-db"])] == [VOTER, OLD_EXPORTS]  # names are not URNs


def test_unused_allowances_are_reported(summary):
    assert protect.unused_allowances(summary, [VOTER, P + "aws:s3/bucketV2:BucketV2::typo"]) == [P + "aws:s3/bucketV2:BucketV2::typo"]


def test_nothing_to_refuse_in_a_clean_or_create_only_plan():
    assert protect.refusals(fold(load_events("preview_clean.jsonl"))) == []
    assert protect.refusals(fold(load_events("up_succeeded.jsonl"))) == []
