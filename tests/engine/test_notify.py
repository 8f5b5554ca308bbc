"""Webhook payloads (Teams, Slack, JSON) and posting to a real local HTTP server."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from cli.engine import drift, notify
from cli.engine.errors import EngineConfigError, NotifyError
from cli.engine.events import fold
from tests.engine.conftest import load_events

AT = "2026-11-22T12:00:00Z"


@pytest.fixture(scope="module")
def reports():
    drifted = drift.build_report("dev", AT, refresh=fold(load_events("refresh_drift.jsonl")), preview=fold(load_events("preview_clean.jsonl")))
    clean = drift.build_report("staging", AT, refresh=fold(load_events("refresh_clean.jsonl")), preview=fold(load_events("preview_clean.jsonl")))
    failed = drift.error_report("prod", AT, RuntimeError("stack prod is locked by dana@laptop"))
    return [drifted, clean, failed]


class Hook:
    """A one-shot webhook on 127.0.0.1 that records what it receives and stops by itself."""

    def __init__(self, status: int = 200):
        received: list[dict] = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                length = int(self.headers["Content-Length"])
                received.append({"path": self.path, "type": self.headers["Content-Type"], "body": json.loads(self.rfile.read(length))})
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args):
                return

        self.received = received
        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.server.timeout = 5
        self.thread = threading.Thread(target=self.server.handle_request, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhook/T000/secret-token-000"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.thread.join(timeout=10)
        self.server.server_close()


def test_json_payload_is_compact_and_has_no_values(reports):
    body = notify.payload(reports, "json", checked_at=AT)
    assert body["exit_code"] == 1 and body["summary"] == "civic-infra: drift in dev; check failed for prod"
    dev = body["environments"][0]
    assert dev["counts"] == {"critical": 4, "high": 2, "low": 2}
    assert dev["top"][0] == {"severity": "critical", "urn": dev["top"][0]["urn"], "what": "blockPublicAcls changed in the cloud"}
    text = json.dumps(body)
    for value in ("10.10.0.0/20", "Allow", "P1v3", "someone@example.org"):
        assert value not in text  # paths and severities only


def test_slack_and_teams_shapes(reports):
    slack = notify.payload(reports, "slack", checked_at=AT, run_url="https://github.example.org/run/1")
    assert slack["text"].startswith("civic-infra: drift in dev")
    assert slack["blocks"][0]["type"] == "header" and slack["blocks"][-1]["type"] == "context"
    teams = notify.payload(reports, "teams", checked_at=AT)
    card = teams["attachments"][0]
    assert card["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert card["content"]["type"] == "AdaptiveCard"
    assert any("prod: check failed" in b["text"] for b in card["content"]["body"])


def test_post_delivers_json_to_a_local_server(reports):
    body = notify.payload(reports, "json", checked_at=AT)
    with Hook() as hook:
        status = notify.post(hook.url, body, timeout=5)
    assert status == 200
    (got,) = hook.received
    assert got["path"] == "/webhook/T000/secret-token-000"
    assert got["type"] == "application/json"
    assert got["body"] == body


def test_refused_post_raises_without_echoing_the_url(reports):
    with Hook(status=403) as hook, pytest.raises(NotifyError) as err:
        notify.post(hook.url, notify.payload(reports, "slack", checked_at=AT), timeout=5)
    assert "HTTP 403" in err.value.lines[0]
    assert "secret-token-000" not in err.value.lines[0] and "/webhook" not in err.value.lines[0]


def test_unreachable_webhook_raises_notify_error():
    server = HTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    port = server.server_address[1]
    server.server_close()  # nothing listens on this port any more
    with pytest.raises(NotifyError) as err:
        notify.post(f"http://127.0.0.1:{port}/hook/secret-token-000", {"x": 1}, timeout=2)
    assert "could not be reached" in err.value.lines[0] and "secret-token-000" not in err.value.lines[0]


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/x", "not a url"])
def test_only_http_webhooks(url):
    with pytest.raises(EngineConfigError) as err:
        notify.validate_url(url)
    assert err.value.exit_code == 2 and url not in err.value.lines[0]


def test_unknown_format_is_refused(reports):
    with pytest.raises(EngineConfigError):
        notify.payload(reports, "email", checked_at=AT)
