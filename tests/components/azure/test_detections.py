"""Sentinel analytics rules in wire form, and every query checked against the connectors' published schemas."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from cli.capture import Capture, capture_program
from components.azure.detections import DetectionsArgs, SentinelDetections

RULE = "azure-native:securityinsights:ScheduledAlertRule"
BREAK_GLASS = ["00000000-0000-0000-0000-00000000b001", "00000000-0000-0000-0000-00000000b002"]

# Column names of the Log Analytics tables the connectors fill, from Microsoft's published table
# references (learn.microsoft.com/azure/azure-monitor/reference/tables/<table>).
SCHEMAS: dict[str, frozenset[str]] = {
    "SigninLogs": frozenset({
        "AADTenantId", "AlternateSignInName", "AppDisplayName", "AppId", "AuthenticationContextClassReferences",
        "AuthenticationDetails", "AuthenticationMethodsUsed", "AuthenticationProcessingDetails",
        "AuthenticationProtocol", "AuthenticationRequirement", "AuthenticationRequirementPolicies",
        "AutonomousSystemNumber", "Category", "ClientAppUsed", "ConditionalAccessPolicies",
        "ConditionalAccessStatus", "CorrelationId", "CreatedDateTime", "DeviceDetail", "DurationMs", "Id",
        "Identity", "IPAddress", "IsInteractive", "IsRisky", "Level", "Location", "LocationDetails", "MfaDetail",
        "NetworkLocationDetails", "OperationName", "OperationVersion", "OriginalRequestId", "ResourceDisplayName",
        "ResourceId", "ResourceIdentity", "ResultDescription", "ResultSignature", "ResultType", "RiskDetail",
        "RiskEventTypes", "RiskEventTypes_V2", "RiskLevelAggregated", "RiskLevelDuringSignIn", "RiskState",
        "ServicePrincipalId", "ServicePrincipalName", "SessionLifetimePolicies", "SourceSystem", "Status",
        "TimeGenerated", "TokenIssuerName", "TokenIssuerType", "Type", "UniqueTokenIdentifier", "UserAgent",
        "UserDisplayName", "UserId", "UserPrincipalName", "UserType",
    }),
    "AuditLogs": frozenset({
        "AADOperationType", "AADTenantId", "ActivityDateTime", "ActivityDisplayName", "AdditionalDetails",
        "Category", "CorrelationId", "DurationMs", "Id", "Identity", "InitiatedBy", "Level", "LoggedByService",
        "OperationName", "OperationVersion", "Resource", "ResourceGroup", "ResourceId", "Result",
        "ResultDescription", "ResultReason", "ResultSignature", "ResultType", "SourceSystem", "TargetResources",
        "TenantId", "TimeGenerated", "Type",
    }),
    "OfficeActivity": frozenset({
        "Application", "ClientIP", "Client_IPAddress", "DataCenterSecurityEventType", "ElevationTime",
        "ExternalAccess", "IsManagedDevice", "ItemType", "LogonUserSid", "MailboxGuid", "MailboxOwnerUPN",
        "OfficeId", "OfficeObjectId", "OfficeTenantId", "OfficeWorkload", "Operation", "OrganizationId",
        "OrganizationName", "OriginatingServer", "Parameters", "RecordType", "ResultStatus", "Site_Url",
        "SourceFileExtension", "SourceFileName", "SourceRelativeUrl", "SourceSystem", "TargetUserOrGroupName",
        "TargetUserOrGroupType", "TenantId", "TimeGenerated", "Type", "UserAgent", "UserDomain", "UserId",
        "UserKey", "UserType",
    }),
}  # fmt: skip
TACTICS = {
    "Reconnaissance", "ResourceDevelopment", "InitialAccess", "Execution", "Persistence", "PrivilegeEscalation",
    "DefenseEvasion", "CredentialAccess", "Discovery", "LateralMovement", "Collection", "Exfiltration",
    "CommandAndControl", "Impact",
}


def _args(**overrides) -> DetectionsArgs:
    return DetectionsArgs(**{"short_name": "caf", "environment": "prod", "break_glass_object_ids": BREAK_GLASS,
                             "internal_mail_domains": ["example.org"], **overrides})


@pytest.fixture(scope="module")
def cap() -> Capture:
    return capture_program(
        lambda: SentinelDetections("detections", _args(), resource_group_name="rg-caf-prod", workspace_name="log-caf"),
        project="t", stack="prod", config={},
    )


@pytest.fixture(scope="module")
def rules(cap) -> dict[str, dict]:
    return {r.name.removeprefix("detections-"): r.inputs for r in cap.of_type(RULE)}


def test_every_threat_has_an_enabled_rule_that_opens_an_incident(rules):
    assert sorted(rules) == sorted([
        "break-glass-sign-in", "conditional-access-changed", "inbox-forwarding-to-external",
        "mass-download-or-sharing", "privileged-role-granted", "admin-sign-in-outside-allowed-countries",
    ])
    for key, rule in rules.items():
        assert rule["kind"] == "Scheduled" and rule["enabled"] is True, key
        assert rule["workspaceName"] == "log-caf" and rule["resourceGroupName"] == "rg-caf-prod"
        assert rule["severity"] in ("High", "Medium"), key
        assert rule["tactics"] and set(rule["tactics"]) <= TACTICS, key
        assert rule["triggerOperator"] == "GreaterThan" and rule["triggerThreshold"] == 0.0
        assert rule["incidentConfiguration"]["createIncident"] is True
        assert rule["queryFrequency"] == "PT15M" and rule["queryPeriod"] == "PT1H"
        assert rule["displayName"].startswith("caf-prod: ")


def test_rule_ids_are_stable_across_runs(rules):
    again = _args()
    for key, rule in rules.items():
        assert rule["ruleId"] == again.rule_id(key)


def test_break_glass_rule_names_each_account_and_is_high(rules):
    rule = rules["break-glass-sign-in"]
    assert rule["severity"] == "High"
    for object_id in BREAK_GLASS:
        assert f'"{object_id}"' in rule["query"]


def test_admin_rule_allows_only_the_model_countries():
    cap = capture_program(
        lambda: SentinelDetections("d", _args(allowed_admin_countries=["US", "CA"]), resource_group_name="rg",
                                   workspace_name="ws"),
        project="t", stack="prod", config={},
    )  # fmt: skip
    (rule,) = [r for r in cap.of_type(RULE) if r.name == "d-admin-sign-in-outside-allowed-countries"]
    assert 'not(Location in (dynamic(["US", "CA"])))' in rule.inputs["query"]


def test_forwarding_rule_treats_only_the_internal_domains_as_internal(rules):
    assert 'not(Domain in (dynamic(["example.org"])))' in rules["inbox-forwarding-to-external"]["query"]


def test_entities_map_to_columns_the_query_returns(rules):
    for key, rule in rules.items():
        for mapping in rule["entityMappings"]:
            for field in mapping["fieldMappings"]:
                assert re.search(rf"\b{field['columnName']}\b", rule["query"]), (key, field)


# --- schema check -----------------------------------------------------------------------------

_STRING = re.compile(r'"(?:[^"\\]|\\.)*"')
_IDENT = re.compile(r"(?<![.\w])([A-Z][A-Za-z0-9_]*)\b")
_ALIAS = re.compile(r"(?<![.\w=!<>])([A-Za-z_][A-Za-z0-9_]*)\s*=(?!=)")


def columns_used(query: str) -> tuple[str, set[str]]:
    """(table, columns read from it): PascalCase names not defined by the query itself."""
    text = _STRING.sub('""', query)
    table = text.split("\n", 1)[0].strip()
    defined = set(_ALIAS.findall(text))
    return table, {name for name in _IDENT.findall(text.split("\n", 1)[1]) if name not in defined}


@pytest.mark.parametrize("key", [d.key for d in _args().detections()])
def test_each_query_reads_only_columns_its_table_publishes(key):
    (detection,) = [d for d in _args().detections() if d.key == key]
    table, used = columns_used(detection.query)
    assert table == detection.table and table in SCHEMAS
    assert used, "the query reads no column"
    assert used - SCHEMAS[table] == set(), f"{key}: columns not in the {table} schema"


def test_the_schema_check_catches_a_misspelt_column():
    table, used = columns_used('SigninLogs\n| where UserPrincipleName == "x"\n| project Time = TimeGenerated')
    assert used - SCHEMAS[table] == {"UserPrincipleName"}


def test_detections_need_a_break_glass_account_and_valid_countries():
    with pytest.raises(ValidationError, match="break_glass_object_ids"):
        _args(break_glass_object_ids=[])
    with pytest.raises(ValidationError, match="two-letter upper-case codes"):
        _args(allowed_admin_countries=["usa"])


def test_the_tenant_stack_declares_the_rules_in_the_log_environment_and_no_environment_does(
        tenant_plan, prod_plan, dev_plan):
    rules = tenant_plan.of_type(RULE)
    assert len(rules) == 6
    # in prod's workspace (the tenant's log environment), through prod's subscription provider
    assert {r.inputs["workspaceName"] for r in rules} == {"log-caf-prod-platform"}
    assert {r.provider.rsplit("::", 1)[-1] for r in rules} == {"azure-prod"}
    assert prod_plan.of_type(RULE) == [] and dev_plan.of_type(RULE) == []


def test_the_tenant_stack_without_a_rule_fails_the_policy_check(tenant_plan):
    from dataclasses import replace

    from cli.policycheck import check_capture
    from stacks.loader import load_environment
    from tests.conftest import REPO, TODAY

    env = load_environment(REPO / "stacks", "tenant", today=TODAY)
    assert not [f for f in check_capture(tenant_plan, env, today=TODAY).findings
                if f.policy == "sentinel-threat-detections"]
    stripped = replace(tenant_plan, resources=tuple(r for r in tenant_plan.resources
                                                    if r.name != "detections-inbox-forwarding-to-external"))
    (finding,) = [f for f in check_capture(stripped, env, today=TODAY).findings
                  if f.policy == "sentinel-threat-detections"]
    assert "inbox forwarding to an external address" in finding.message
    assert "m365.sentinel_detections_enabled" in finding.message
