"""Progress from on_event (plain and rich live) and the summary renderers."""

from __future__ import annotations

import io

from cli.engine.events import fold
from cli.engine.masking import Masker
from cli.engine.render import Progress, headline, render_markdown, render_table, summary_document
from tests.engine.conftest import load_events


def test_plain_progress_prints_one_line_per_change_and_failures():
    out = io.StringIO()
    with Progress("deploy of dev", stream=out, live=False, masker=Masker(environ={})) as progress:
        for event in load_events("up_failed.jsonl"):
            progress(event)
    lines = out.getvalue().splitlines()
    assert lines[0] == "deploy of dev ..."
    assert "  +  create   urn:pulumi:dev::civic-infra::aws:cloudwatch/logGroup:LogGroup::flow-logs" in lines
    assert any(line.startswith("  !! failed   ") and line.endswith("::voter-db") for line in lines)
    assert sum("flow-logs" in line for line in lines) == 1  # pre and outputs events print once


def test_live_progress_renders_with_rich_and_never_raises():
    out = io.StringIO()
    with Progress("preview of dev", stream=out, live=True, masker=Masker(environ={})) as progress:
        for event in load_events("preview_mixed.jsonl"):
            progress(event)
        progress.note("almost done")
    assert "fixture-plaintext-secret-0001" not in out.getvalue()


def test_headline_and_table_and_markdown():
    summary = fold(load_events("preview_mixed.jsonl"))
    assert headline(summary, action="preview", environment="dev") == (
        "preview of dev: 1 to create, 3 to update, 1 to replace, 2 to delete, 1 unchanged"
    )
    table = render_table(summary, action="preview", environment="dev")
    assert "      ~ minimumTlsVersion\n" in table and "TLS1_2" not in table  # values only with --diff
    assert '"TLS1_0" => "TLS1_2"' in render_table(summary, action="preview", environment="dev", diff=True)
    md = render_markdown(summary, action="preview", environment="dev")
    assert md.startswith("### preview of dev: 1 to create")
    assert "| advisory | required-tags |" in md
    doc = summary_document(summary, action="preview", environment="dev", backend="file:///x")
    assert doc["backend"] == "file:///x" and doc["summary"]["delete"] == 2


def test_failures_and_no_changes_render():
    failed = fold(load_events("up_failed.jsonl"))
    table = render_table(failed, action="deploy", environment="dev", done=True)
    assert table.splitlines()[0] == "deploy of dev: 1 created, 1 unchanged"
    assert "!! create urn:pulumi:dev::civic-infra::civic:aws:Postgres$aws:rds/instance:Instance::voter-db: " in table
    clean = fold(load_events("preview_clean.jsonl"))
    assert headline(clean, action="preview", environment="dev") == "preview of dev: 2 unchanged"
