"""Sentinel detections: the analytics rules that catch this organisation's threats."""

from __future__ import annotations

from collections.abc import Iterator

from policies.context import Context
from policies.core import (
    Severity,
    StackView,
    Verdict,
    compliant,
    is_unknown,
    not_applicable,
    stack_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import is_false

ONBOARDING = "azure-native:securityinsights:SentinelOnboardingState"
RULE = "azure-native:securityinsights:ScheduledAlertRule"

THREATS: dict[str, tuple[str, ...]] = {
    "break-glass account sign-in": ("SigninLogs", "where UserId in"),
    "conditional access policy or named location change": ("AuditLogs", "conditional access policy", "named location"),
    "inbox forwarding to an external address": ("OfficeActivity", "InboxRule", "Forward"),
    "mass download or sharing": ("OfficeActivity", "FileDownloaded", "LinkCreated"),
    "privileged role granted": ("AuditLogs", "member to role"),
    "admin sign-in outside the allowed locations": ("SigninLogs", "AppId in", "Location in"),
}
"""Threat -> fragments an enabled rule's query must contain (all of them)."""


TENANT_LOGS = ("azure-native:aadiam:DiagnosticSetting", "azure-native:securityinsights:OfficeDataConnector")
"""What the tenant stack sends to its log environment's workspace, where the rules must watch."""


@stack_policy(
    name="sentinel-threat-detections",
    description="Enable a Sentinel analytics rule for each threat the organisation faces (break-glass sign-in, "
    "conditional access change, external forwarding, mass download, role grant, admin sign-in abroad)",
    severity=Severity.high,
    remediation="Set m365.sentinel_detections_enabled: true in tenant.log_environment's stack file; the tenant "
    "stack then creates one ScheduledAlertRule per threat (components/azure/detections.py) in its workspace.",
)
def threat_detections(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    if ctx.tenant_owner is False:
        yield not_applicable("the tenant stack declares the rules in its log environment's workspace")
        return
    if ctx.tenant_owner:
        if not stack.of_type(*TENANT_LOGS):
            yield not_applicable("this tenant stack routes no tenant-wide logs yet (tenant.environments_deployed)")
            return
    elif not stack.of_type(ONBOARDING):
        yield not_applicable("Sentinel is not onboarded in this stack")
        return
    rules = stack.of_type(RULE)
    if not rules and not ctx.is_production:
        yield not_applicable("no analytics rules; lower environments do not receive the tenant's logs")
        return
    queries: list[str] = []
    for rule in rules:
        query, enabled = rule.get("query"), rule.get("enabled")
        if is_unknown(query) or is_unknown(enabled):
            yield unknown_until_apply("query and enabled", rule)
            return
        if is_false(enabled):
            yield violation(f"analytics rule {rule.name} is disabled; set enabled to true", rule)
            continue
        if isinstance(query, str):
            queries.append(query)
            yield compliant(subject=rule)
    missing = [t for t, parts in THREATS.items() if not any(all(p in q for p in parts) for q in queries)]
    if missing:
        yield violation(f"no enabled Sentinel analytics rule detects: {', '.join(missing)}; "
                        "set m365.sentinel_detections_enabled: true")


POLICIES = (threat_detections,)
