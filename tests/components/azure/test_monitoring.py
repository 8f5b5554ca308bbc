"""Security monitoring: Sentinel with Office 365, Entra ID and activity logs, Defender plans."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from cli.capture import Capture, capture_program
from components.azure.monitoring import SecurityMonitoring, SecurityMonitoringArgs
from stacks.loader import load_environment
from tests.conftest import REPO, TODAY

WORKSPACE = "/subscriptions/s/resourceGroups/rg/providers/Microsoft.OperationalInsights/workspaces/log-caf-prod"
ONBOARDING = "azure-native:securityinsights:SentinelOnboardingState"
OFFICE = "azure-native:securityinsights:OfficeDataConnector"
PRICING = "azure-native:security:Pricing"


def _capture(args: SecurityMonitoringArgs) -> Capture:
    def program() -> None:
        SecurityMonitoring(
            "monitoring",
            args,
            resource_group_name="rg-caf-prod-platform",
            workspace_name="log-caf-prod-platform",
            workspace_id=WORKSPACE,
        )

    return capture_program(program, project="t", stack="test", config={})


@pytest.fixture(scope="module")
def prod():
    return load_environment(REPO / "stacks", "prod", today=TODAY)


@pytest.fixture(scope="module")
def capture(prod) -> Capture:
    return _capture(SecurityMonitoringArgs.from_environment(prod))


def test_sentinel_is_onboarded_on_the_workspace(capture):
    (onboarding,) = capture.of_type(ONBOARDING)
    assert onboarding.inputs["workspaceName"] == "log-caf-prod-platform"
    assert onboarding.inputs["resourceGroupName"] == "rg-caf-prod-platform"
    assert onboarding.inputs["sentinelOnboardingStateName"] == "default"


def test_environments_connect_no_tenant_wide_mail_activity_by_default(capture):
    assert capture.of_type(OFFICE) == []


def test_office365_connector_reads_exchange_sharepoint_and_teams(prod):
    args = SecurityMonitoringArgs.from_environment(prod).model_copy(update={"office365_connector_enabled": True})
    connected = _capture(args)
    (connector,) = connected.of_type(OFFICE)
    assert connector.inputs["kind"] == "Office365"
    assert connector.inputs["tenantId"] == str(prod.azure.tenant_id)
    assert connector.inputs["dataTypes"] == {
        "exchange": {"state": "Enabled"},
        "sharePoint": {"state": "Enabled"},
        "teams": {"state": "Enabled"},
    }
    (onboarding,) = connected.of_type(ONBOARDING)
    assert onboarding.urn in connector.dependencies


def test_connector_id_is_stable_across_runs(prod):
    first = SecurityMonitoringArgs.from_environment(prod).office365_connector_id
    assert first == SecurityMonitoringArgs.from_environment(prod).office365_connector_id


def test_no_sentinel_when_the_environment_switches_it_off(prod):
    args = SecurityMonitoringArgs.from_environment(prod).model_copy(
        update={"sentinel_enabled": False}
    )
    capture = _capture(args)
    assert capture.of_type(ONBOARDING) == []
    assert capture.of_type(OFFICE) == []
    assert capture.of_type("azure-native:monitor:DiagnosticSetting")  # the rest stays


def test_environments_send_no_tenant_wide_logs_by_default(capture):
    # Entra sign-in and audit logs are the tenant stack's, sent to its log environment only.
    assert capture.of_type("azure-native:aadiam:DiagnosticSetting") == []


def test_entra_sign_in_and_audit_logs_go_to_the_workspace_when_switched_on(prod):
    args = SecurityMonitoringArgs.from_environment(prod).model_copy(update={"entra_diagnostics_enabled": True})
    (setting,) = _capture(args).of_type("azure-native:aadiam:DiagnosticSetting")
    assert setting.inputs["workspaceId"] == WORKSPACE
    enabled = {log["category"] for log in setting.inputs["logs"] if log["enabled"] is True}
    assert enabled >= {
        "SignInLogs",
        "AuditLogs",
        "NonInteractiveUserSignInLogs",
        "ServicePrincipalSignInLogs",
    }


def test_the_subscription_activity_log_goes_to_the_workspace(capture, prod):
    (setting,) = capture.of_type("azure-native:monitor:DiagnosticSetting")
    assert setting.inputs["resourceUri"] == f"/subscriptions/{prod.azure.subscription_id}"
    assert setting.inputs["workspaceId"] == WORKSPACE
    enabled = {log["category"] for log in setting.inputs["logs"] if log["enabled"] is True}
    assert enabled >= {"Administrative", "Security", "Policy", "Alert"}


def test_defender_plans_from_config_are_standard_on_the_subscription(capture, prod):
    plans = {r.inputs["pricingName"]: r.inputs for r in capture.of_type(PRICING)}
    assert set(plans) == {*prod.m365.defender_plans, "CloudPosture", "AI"}
    for plan in plans.values():
        assert plan["pricingTier"] == "Standard"
        assert plan["scopeId"] == f"/subscriptions/{prod.azure.subscription_id}"


def test_dev_gets_the_plans_its_config_lists():
    dev = load_environment(REPO / "stacks", "dev", today=TODAY)
    capture = _capture(SecurityMonitoringArgs.from_environment(dev))
    assert sorted(r.inputs["pricingName"] for r in capture.of_type(PRICING)) == [
        "KeyVaults",
        "StorageAccounts",
    ]


def test_defender_alerts_reach_the_security_contact(capture, prod):
    (contact,) = capture.of_type("azure-native:security:SecurityContact")
    assert contact.inputs["emails"] == str(prod.organization.security_contact)
    assert contact.inputs["isEnabled"] is True


def test_a_misspelt_defender_plan_is_refused_before_pulumi_runs(prod):
    values = SecurityMonitoringArgs.from_environment(prod).model_dump()
    with pytest.raises(ValidationError, match="unknown Defender for Cloud plan 'KeyVault'"):
        SecurityMonitoringArgs(**{**values, "defender_plans": ["KeyVault"]})


# --- Defender CSPM and Defender for AI ---------------------------------------------------------


def test_prod_gets_cspm_and_defender_for_ai_because_openai_is_on():
    prod = load_environment(REPO / "stacks", "prod", today=TODAY)
    plans = SecurityMonitoringArgs.from_environment(prod).defender_plans
    assert plans[-2:] == ["CloudPosture", "AI"]
    no_ai = prod.model_copy(update={"openai": prod.openai.model_copy(update={"enabled": False})})
    assert "AI" not in SecurityMonitoringArgs.from_environment(no_ai).defender_plans
    off = prod.model_copy(update={"m365": prod.m365.model_copy(update={"defender_cspm_enabled": False,
                                                                       "defender_for_ai_enabled": False})})
    assert {"AI", "CloudPosture"} & set(SecurityMonitoringArgs.from_environment(off).defender_plans) == set()


def test_attack_paths_are_mailed_when_cspm_is_on():
    prod = load_environment(REPO / "stacks", "prod", today=TODAY)
    cap = _capture(SecurityMonitoringArgs.from_environment(prod))
    (contact,) = cap.of_type("azure-native:security:SecurityContact")
    sources = {s["sourceType"]: s for s in contact.inputs["notificationsSources"]}
    assert sources["Alert"]["minimalSeverity"] == "Medium"
    assert sources["AttackPath"]["minimalRiskLevel"] == "High"
    plans = {p.inputs["pricingName"]: p.inputs["pricingTier"] for p in cap.of_type(PRICING)}
    assert plans["CloudPosture"] == plans["AI"] == "Standard"


def test_prod_without_cspm_or_sign_in_fails_the_policy_check():
    from dataclasses import replace

    from cli.policycheck import check_capture
    from tests.components.aws.conftest import _plan

    prod = load_environment(REPO / "stacks", "prod", today=TODAY)
    plan = _plan("prod")
    assert not [f for f in check_capture(plan, prod, today=TODAY).findings
                if f.policy in ("azure-defender-cspm-and-ai", "azure-web-app-entra-sign-in")]
    stripped = replace(plan, resources=tuple(
        r for r in plan.resources
        if r.inputs.get("pricingName") != "AI" and r.type != "azure-native:web:WebAppAuthSettingsV2"))
    failed = {f.policy: f for f in check_capture(stripped, prod, today=TODAY).findings}
    assert "AI" in failed["azure-defender-cspm-and-ai"].message
    assert "no App Service authentication" in failed["azure-web-app-entra-sign-in"].message
