"""Deployment history records: who, when, revision, summary, result; appended, never values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli.engine import history
from cli.engine.events import fold
from tests.engine.conftest import NOW, fake_git, load_events


def who(git=fake_git, env=None):
    return history.Who(git=git, env=env if env is not None else {"USER": "tester"}, now=lambda: NOW)


def test_record_has_who_when_revision_summary_and_result(tmp_path: Path):
    summary = fold(load_events("up_failed.jsonl"))
    record = history.make_record(
        project_root=tmp_path, environment="dev", action="deploy", result="failed", summary=summary,
        backend="file:///x/.infra/state", who=who(), plan_file=None, error="deploy for dev: 1 resource operation(s) failed",
    )
    assert record["who"] == "dana@example.org"
    assert record["when"] == "2026-11-22T12:00:00Z"
    assert record["git"] == {"commit": "0" * 40, "dirty": False}
    assert (record["environment"], record["action"], record["result"]) == ("dev", "deploy", "failed")
    assert record["summary"]["counts"] == {"create": 1, "same": 1}
    assert record["summary"]["failures"][0]["urn"].endswith("::voter-db")
    assert record["error"].startswith("deploy for dev")


def test_who_falls_back_to_user_then_unknown(tmp_path: Path):
    no_git = lambda args, cwd: None  # noqa: E731
    assert history.identity(tmp_path, who(no_git, {"USER": "sam"})) == "sam"
    assert history.identity(tmp_path, who(no_git, {})) == "unknown"
    assert history.revision(tmp_path, who(no_git)) == {"commit": None, "dirty": None}


def test_records_are_appended_one_json_line_each(tmp_path: Path):
    state = tmp_path / ".infra"
    for result in ("refused", "succeeded"):
        history.append(state, history.make_record(project_root=tmp_path, environment="prod", action="deploy", result=result,
                                                   summary=None, backend="b", who=who()))
    lines = (state / "history" / "prod.jsonl").read_text().splitlines()
    assert [json.loads(line)["result"] for line in lines] == ["refused", "succeeded"]
    assert [r["result"] for r in history.read(state, "prod")] == ["refused", "succeeded"]


def test_no_secret_value_reaches_a_record(tmp_path: Path):
    record = history.make_record(project_root=tmp_path, environment="dev", action="deploy", result="succeeded",
                                 summary=fold(load_events("preview_mixed.jsonl")), backend="b", who=who())
    text = json.dumps(record)
    for plain in ("fixture-plaintext-secret-0001", "fixture-unmarked-password-0002", "TLS1_0"):
        assert plain not in text  # records keep URNs and counts, never property values


def test_unknown_results_are_refused(tmp_path: Path):
    with pytest.raises(ValueError):
        history.make_record(project_root=tmp_path, environment="dev", action="deploy", result="ok", summary=None, backend="b", who=who())
