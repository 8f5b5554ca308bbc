"""Post a compact drift message to a Teams, Slack or generic JSON webhook.

Payloads name environments, statuses, severity counts and the most severe resources and
property paths; never a property value. Webhook URLs carry their own secret token, so no
message or error ever contains the URL.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

from cli.engine.drift import DriftReport, combined_exit
from cli.engine.errors import EngineConfigError, NotifyError

FORMATS = ("teams", "slack", "json")
TIMEOUT_SECONDS = 10.0
_STATUS_ICON = {"drifted": "⚠️", "policy": "⛔", "clean": "✅", "error": "❌"}


def validate_url(url: str) -> None:
    """Only http(s) webhooks; refuses file:// and friends before anything runs (exit 2)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise EngineConfigError("--notify must be an http(s) webhook URL (the value is not shown because it may hold a token)")


def _headline(reports: Sequence[DriftReport]) -> str:
    drifted = [r.environment for r in reports if r.status == "drifted"]
    violating = [r.environment for r in reports if r.status == "policy"]
    failed = [r.environment for r in reports if r.status == "error"]
    parts = []
    if drifted:
        parts.append(f"drift in {', '.join(drifted)}")
    if violating:
        parts.append(f"deployed state violates a mandatory policy in {', '.join(violating)}")
    if failed:
        parts.append(f"check failed for {', '.join(failed)}")
    return "civic-infra: " + ("; ".join(parts) if parts else f"no drift in {', '.join(r.environment for r in reports)}")


def _env_line(r: DriftReport) -> str:
    c = r.severity_counts()
    if r.error:
        return f"{_STATUS_ICON['error']} {r.environment}: check failed ({r.error})"
    return f"{_STATUS_ICON[r.status]} {r.environment}: {r.status} (critical {c['critical']}, high {c['high']}, low {c['low']})"


def _top_lines(r: DriftReport, limit: int) -> list[str]:
    return [f"{sev}: {urn.rsplit('::', 1)[-1]} ({what})" for sev, urn, what in r.top(limit)]


def payload(reports: Sequence[DriftReport], fmt: str, *, checked_at: str, run_url: str | None = None, limit: int = 5) -> dict[str, Any]:
    """The webhook body for `fmt` (pure)."""
    if fmt not in FORMATS:
        raise EngineConfigError(f"--notify-format {fmt!r}: choose one of {', '.join(FORMATS)}")
    headline = _headline(reports)
    if fmt == "json":
        return {
            "source": "civic-infra",
            "kind": "drift",
            "checked_at": checked_at,
            "exit_code": combined_exit(reports),
            "summary": headline,
            "run_url": run_url,
            "environments": [
                {
                    "environment": r.environment,
                    "status": r.status,
                    "error": r.error,
                    "counts": r.severity_counts(),
                    "top": [{"severity": s, "urn": u, "what": w} for s, u, w in r.top(limit)],
                }
                for r in reports
            ],
        }
    if fmt == "slack":
        blocks: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": headline[:150]}}]
        for r in reports:
            text = "*" + _env_line(r) + "*"
            top = _top_lines(r, limit)
            if top:
                text += "\n" + "\n".join(f"• {line}" for line in top)
            blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": text[:2900]}})
        if run_url:
            blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": f"<{run_url}|drift run>"}]})
        return {"text": headline, "blocks": blocks}
    body: list[dict[str, Any]] = [{"type": "TextBlock", "size": "Medium", "weight": "Bolder", "text": headline, "wrap": True}]
    for r in reports:
        body.append({"type": "TextBlock", "text": _env_line(r), "wrap": True, "weight": "Bolder"})
        for line in _top_lines(r, limit):
            body.append({"type": "TextBlock", "text": f"- {line}", "wrap": True, "spacing": "None"})
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    if run_url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open the drift run", "url": run_url}]
    return {
        "type": "message",
        "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}],
    }


def post(
    url: str,
    body: dict[str, Any],
    *,
    timeout: float = TIMEOUT_SECONDS,
    opener: Callable[..., Any] = urllib.request.urlopen,
) -> int:
    """POST `body` as JSON; the HTTP status on 2xx, else NotifyError (the URL is never shown)."""
    validate_url(url)
    data = json.dumps(body).encode("utf-8")
    request = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": "application/json"})
    host = urlsplit(url).hostname or "the webhook"
    try:
        with opener(request, timeout=timeout) as response:
            status = int(getattr(response, "status", 200))
    except urllib.error.HTTPError as err:
        raise NotifyError(f"the --notify webhook at {host} refused the message (HTTP {err.code})") from None
    except urllib.error.URLError as err:
        reason = getattr(err.reason, "strerror", None) or err.reason.__class__.__name__
        raise NotifyError(f"the --notify webhook at {host} could not be reached ({reason})") from None
    except TimeoutError:
        raise NotifyError(f"the --notify webhook at {host} did not answer within {timeout:.0f}s") from None
    except OSError as err:
        raise NotifyError(f"the --notify webhook at {host} failed ({err.__class__.__name__})") from None
    if not 200 <= status < 300:
        raise NotifyError(f"the --notify webhook at {host} answered HTTP {status}")
    return status
