"""Folding real-schema engine event streams (built with EngineEvent.from_json) into summaries."""

from __future__ import annotations

import json

from cli.engine.events import KNOWN_AFTER_APPLY, Recorder, fold
from cli.engine.masking import SECRET, Masker
from tests.engine.conftest import load_events

P = "urn:pulumi:dev::civic-infra::"


def by_name(summary):
    return {c.name: c for c in summary.resources}


def test_mixed_preview_groups_every_operation_once():
    summary = fold(load_events("preview_mixed.jsonl"))
    groups = {g: sorted(c.name for c in cs) for g, cs in summary.by_group().items()}
    assert groups == {
        "create": ["lake-raw-logging"],
        "update": ["exports-account", "reporting-db", "vpn-shared-key"],
        "replace": ["voter-db"],
        "delete": ["legacy-https", "old-exports"],
    }
    assert summary.complete is True
    assert summary.group_counts() == {"create": 1, "update": 3, "replace": 1, "delete": 2, "same": 1}
    assert summary.change_count == 7 and summary.unitemised == 0 and summary.has_changes


def test_update_carries_property_level_diffs_with_both_values():
    changes = by_name(fold(load_events("preview_mixed.jsonl")))["exports-account"].properties
    assert [(p.path, p.kind, p.old, p.new) for p in changes] == [
        ("allowBlobPublicAccess", "add", None, False),
        ("minimumTlsVersion", "update", "TLS1_0", "TLS1_2"),
        ("tags.owner", "update", "it-platform@example.org", "security@example.org"),
    ]
    assert not any(p.replaces for p in changes)


def test_replacement_steps_fold_into_one_replace_with_the_forcing_key():
    voter = by_name(fold(load_events("preview_mixed.jsonl")))["voter-db"]
    assert voter.group == "replace" and voter.op == "replace"
    assert voter.protect is True
    assert voter.replace_keys == ("dbName",)
    (prop,) = voter.properties
    assert (prop.path, prop.kind, prop.replaces, prop.old, prop.new) == ("dbName", "update-replace", True, "voters", "voter_contacts")


def test_secrets_are_masked_marked_or_not():
    summary = fold(load_events("preview_mixed.jsonl"))
    kv = by_name(summary)["vpn-shared-key"].properties[0]
    assert (kv.path, kv.old, kv.new) == ("properties.value", SECRET, SECRET)
    db = {p.path: p for p in by_name(summary)["reporting-db"].properties}
    assert (db["password"].old, db["password"].new) == (SECRET, SECRET)
    assert (db["instanceClass"].old, db["instanceClass"].new) == ("db.t4g.micro", "db.t4g.small")
    text = json.dumps(summary.to_json())
    for plain in ("fixture-plaintext-secret-0001", "fixture-unmarked-password-0002", "fixture-unmarked-password-0003", "v1:AAAA"):
        assert plain not in text


def test_plaintext_seen_in_events_is_scrubbed_from_later_text():
    masker = Masker(environ={})
    fold(load_events("preview_mixed.jsonl"), masker)
    assert masker.scrub('provider said: "fixture-plaintext-secret-0001" is weak') == "provider said: [secret] is weak"
    assert masker.scrub("bare fixture-plaintext-secret-0001 too") == "bare [secret] too"


def test_unknown_values_read_as_known_after_apply():
    from pulumi.automation import EngineEvent

    urn = P + "aws:s3/bucketLogging:BucketLogging::lake-raw-logging"
    step = {
        "op": "update", "urn": urn, "type": "aws:s3/bucketLogging:BucketLogging", "provider": "",
        "old": {"type": "aws:s3/bucketLogging:BucketLogging", "urn": urn, "id": "x", "parent": "", "provider": "",
                "inputs": {"targetBucket": "caf-logs-dev"}, "outputs": {}},
        "new": {"type": "aws:s3/bucketLogging:BucketLogging", "urn": urn, "id": "", "parent": "", "provider": "",
                "inputs": {"targetBucket": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}, "outputs": {}},
        "detailedDiff": {"targetBucket": {"diffKind": "update", "inputDiff": True}},
    }
    summary = fold([EngineEvent.from_json({"sequence": 1, "timestamp": 0, "resourcePreEvent": {"metadata": step}})])
    (prop,) = summary.changes[0].properties
    assert (prop.old, prop.new) == ("caf-logs-dev", KNOWN_AFTER_APPLY)


def test_policy_events_and_diagnostics_are_kept_and_cleaned():
    summary = fold(load_events("preview_mixed.jsonl"))
    (policy,) = summary.policy
    assert (policy.policy, policy.enforcement, policy.mandatory) == ("required-tags", "advisory", False)
    assert policy.urn.endswith("::lake-raw-logging")
    assert summary.mandatory_violations == ()
    # debug and ephemeral diagnostics are dropped; colour codes are stripped
    assert [(d.severity, d.message) for d in summary.diagnostics] == [
        ("warning", "warning: minimumTlsVersion TLS1_0 is deprecated")
    ]


def test_mandatory_policy_violation_is_reported():
    summary = fold(load_events("preview_policy_mandatory.jsonl"))
    (v,) = summary.mandatory_violations
    assert v.policy == "s3-public-access-block" and v.urn.endswith("::lake-raw-pab")
    assert summary.errors[0].message == "error: preview failed: 1 mandatory policy violation(s)"


def test_failed_operation_carries_the_provider_message_and_is_not_a_change():
    summary = fold(load_events("up_failed.jsonl"))
    (failure,) = summary.failures
    assert failure.urn == P + "civic:aws:Postgres$aws:rds/instance:Instance::voter-db"
    assert failure.op == "create" and failure.status == 1
    assert "InvalidParameterCombination" in failure.message
    assert [c.name for c in summary.changes] == ["flow-logs"]
    assert summary.group_counts()["create"] == 1


def test_refresh_reports_outcomes_not_the_refresh_steps():
    summary = fold(load_events("refresh_drift.jsonl"))
    assert {c.name: c.group for c in summary.changes} == {
        "hub-mgmt-ssh": "update",
        "lake-curated-pab": "update",
        "central-logs": "update",
        "apps-plan": "update",
        "platform-vault": "delete",
    }
    rule = by_name(summary)["hub-mgmt-ssh"]
    assert {p.path: (p.old, p.new) for p in rule.properties} == {
        "access": ("Deny", "Allow"),
        "description": ("ssh from the hub only", "temporary"),
        "sourceAddressPrefix": ("10.10.0.0/20", "*"),
    }
    assert by_name(summary)["flow-logs"].group == "same"


def test_engine_counts_win_when_events_are_missing():
    events = [e for e in load_events("preview_mixed.jsonl") if e.resource_pre_event is None and e.res_outputs_event is None]
    summary = fold(events)
    assert summary.changes == ()
    assert summary.change_count == 7 and summary.unitemised == 7 and summary.has_changes


def test_clean_streams_have_no_changes():
    for name in ("preview_clean.jsonl", "refresh_clean.jsonl"):
        summary = fold(load_events(name))
        assert summary.complete and not summary.has_changes and summary.changes == ()


def test_fold_sorts_by_sequence_whatever_the_arrival_order():
    events = load_events("preview_mixed.jsonl")
    assert fold(list(reversed(events))).to_json() == fold(events).to_json()


def test_recorder_keeps_events_and_survives_a_broken_display():
    seen = []

    def broken(event):
        seen.append(event)
        raise ValueError("display bug")

    recorder = Recorder(forward=broken)
    for event in load_events("up_succeeded.jsonl"):
        recorder(event)
    assert len(recorder.events) == len(seen) == len(load_events("up_succeeded.jsonl"))
    assert [c.name for c in recorder.summary().changes] == ["flow-logs"]


def test_counts_are_the_engines_and_default_providers_are_not_resources():
    from pulumi.automation import EngineEvent

    from tests.engine.conftest import raw_events

    events = raw_events("preview_mixed.jsonl")
    default = P + "pulumi:providers:aws::default_7_8_0"
    state = {"custom": True, "id": "", "inputs": {"region": "us-east-1"}, "outputs": {}, "parent": "",
             "provider": "", "type": "pulumi:providers:aws", "urn": default}
    events.insert(1, {"resourcePreEvent": {"metadata": {"op": "create", "urn": default, "type": "pulumi:providers:aws",
                                                        "provider": "", "new": state}, "planning": True},
                      "sequence": 0, "timestamp": 1795000001})
    summary = fold([EngineEvent.from_json(e) for e in events])
    assert default not in {c.urn for c in summary.resources}
    # the summary event says create 1; the default provider's create event does not add to it
    assert summary.group_counts() == {"create": 1, "update": 3, "replace": 1, "delete": 2, "same": 1}
    assert summary.change_count == 7
