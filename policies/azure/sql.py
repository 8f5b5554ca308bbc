"""Azure SQL: servers unreachable from the Internet, TLS 1.2, Entra-only authentication, no open
firewall rules, and auditing on. azure-native keeps these settings at the top level of the server."""

from __future__ import annotations

from collections.abc import Iterator

from policies.context import Context
from policies.controls import checkov
from policies.core import (
    ResourceView,
    Severity,
    StackView,
    Verdict,
    compliant,
    is_unknown,
    resource_policy,
    stack_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import is_true, show

SERVER = "azure-native:sql:Server"
DATABASE = "azure-native:sql:Database"
FIREWALL_RULE = "azure-native:sql:FirewallRule"
AD_ONLY = "azure-native:sql:ServerAzureADOnlyAuthentication"
SERVER_AUDITING = ("azure-native:sql:ServerBlobAuditingPolicy", "azure-native:sql:ExtendedServerBlobAuditingPolicy")
DATABASE_AUDITING = ("azure-native:sql:DatabaseBlobAuditingPolicy", "azure-native:sql:ExtendedDatabaseBlobAuditingPolicy")


@resource_policy(
    name="azure-sql-no-public-network",
    description="Disable public network access to Azure SQL servers",
    severity=Severity.critical,
    remediation="Set public_network_access 'Disabled' on the sql.Server and reach it through a private endpoint.",
    types=[SERVER],
    controls=[checkov("CKV_AZURE_113")],
    data_protection=True,
)
def sql_no_public(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("publicNetworkAccess")
    if is_unknown(value):
        return unknown_until_apply("publicNetworkAccess")
    # Missing is unsafe: the service default is Enabled.
    if not (isinstance(value, str) and value.lower() in ("disabled", "securedbyperimeter")):
        return violation(f"SQL server {r.name}: publicNetworkAccess is {show(value)}; set it to 'Disabled'")
    return compliant()


@resource_policy(
    name="azure-sql-min-tls-1-2",
    description="Require TLS 1.2 or later on Azure SQL servers",
    severity=Severity.high,
    remediation="Set minimal_tls_version '1.2' on the sql.Server.",
    types=[SERVER],
    controls=[checkov("CKV_AZURE_52")],
    data_protection=True,
)
def sql_min_tls(r: ResourceView, ctx: Context) -> Verdict:
    value = r.get("minimalTlsVersion")
    if is_unknown(value):
        return unknown_until_apply("minimalTlsVersion")
    # Missing is unsafe on older API versions (TLS 1.0 accepted).
    if str(value) not in ("1.2", "1.3"):
        return violation(f"SQL server {r.name}: minimalTlsVersion is {show(value)}; set it to '1.2'")
    return compliant()


@stack_policy(
    name="azure-sql-entra-only-auth",
    description="Authenticate to Azure SQL servers with Entra ID only, no SQL logins",
    severity=Severity.high,
    remediation="Set administrators.azure_ad_only_authentication True with an Entra group as administrator "
    "(or add a sql.ServerAzureADOnlyAuthentication), and drop administrator_login_password.",
    controls=[checkov("CKV2_AZURE_27", partial="Checkov requires an Entra administrator; this policy also forbids SQL logins")],
)
def sql_entra_only(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    for server in stack.of_type(SERVER):
        inline = server.get("administrators", "azureADOnlyAuthentication")
        separate = [a.get("azureADOnlyAuthentication") for a in stack.dependents(server.urn, types=[AD_ONLY], prop="serverName")]
        values = [inline, *separate]
        if any(is_true(v) for v in values):
            yield compliant(subject=server)
        elif any(is_unknown(v) for v in values):
            yield unknown_until_apply("administrators.azureADOnlyAuthentication", server)
        else:
            login = server.get("administratorLogin")
            yield violation(f"SQL server {server.name}: administrators.azureADOnlyAuthentication is {show(inline)}"
                            f"{f' and SQL login {login!r} can sign in' if isinstance(login, str) else ''}; "
                            "allow Entra ID authentication only", server)


@resource_policy(
    name="azure-sql-firewall-no-internet",
    description="Open no Azure SQL firewall rule to the whole Internet or to every Azure customer",
    severity=Severity.critical,
    remediation="Remove the sql.FirewallRule; reach the server through its private endpoint. A 0.0.0.0-0.0.0.0 "
    "rule ('Allow Azure services') admits every Azure tenant, not only this organisation.",
    types=[FIREWALL_RULE],
    controls=[checkov("CKV_AZURE_11")],
    data_protection=True,
)
def sql_firewall(r: ResourceView, ctx: Context) -> Verdict:
    start, end = r.get("startIpAddress"), r.get("endIpAddress")
    if is_unknown(start) or is_unknown(end):
        return unknown_until_apply("startIpAddress and endIpAddress")
    if start == "0.0.0.0" and end == "0.0.0.0":
        return violation(f"SQL firewall rule {r.name}: 0.0.0.0-0.0.0.0 allows every Azure service of every "
                         "tenant; remove it and use a private endpoint")
    if start == "0.0.0.0" and end == "255.255.255.255":
        return violation(f"SQL firewall rule {r.name}: {start}-{end} opens the server to the Internet; remove it")
    try:
        from ipaddress import ip_address

        if int(ip_address(str(end))) - int(ip_address(str(start))) >= 2**24:
            return violation(f"SQL firewall rule {r.name}: {start}-{end} spans more than a /8; name the "
                             "partner's addresses")
    except ValueError:
        return violation(f"SQL firewall rule {r.name}: {show(start)}-{show(end)} is not an address range; fix it")
    return compliant()


@stack_policy(
    name="azure-sql-auditing",
    description="Audit every Azure SQL server (or each of its databases) to Log Analytics or storage",
    severity=Severity.medium,
    remediation="Add a sql.ServerBlobAuditingPolicy (state 'Enabled', is_azure_monitor_target_enabled True) for "
    "each sql.Server, with a diagnostic setting that sends SQLSecurityAuditEvents to the workspace.",
    controls=[checkov("CKV_AZURE_156", partial="Checkov also requires 90 days of retention on a storage target")],
)
def sql_auditing(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    for server in stack.of_type(SERVER):
        states = [a.get("state") for a in stack.dependents(server.urn, types=SERVER_AUDITING, prop="serverName")]
        databases = stack.dependents(server.urn, types=[DATABASE], prop="serverName")
        db_states = [[a.get("state") for a in stack.dependents(db.urn, types=DATABASE_AUDITING, prop="databaseName")]
                     for db in databases]
        if any(str(s).lower() == "enabled" for s in states):
            yield compliant(subject=server)
        elif databases and all(any(str(s).lower() == "enabled" for s in st) for st in db_states):
            yield compliant("every database is audited", server)
        elif any(is_unknown(s) for s in states) or any(is_unknown(s) for st in db_states for s in st):
            yield unknown_until_apply("the auditing policy's state", server)
        else:
            found = f"its auditing policy's state is {show(states[0])}" if states else "no auditing policy depends on it"
            yield violation(f"SQL server {server.name}: {found}; add a ServerBlobAuditingPolicy with state 'Enabled'",
                            server)


POLICIES = (sql_no_public, sql_min_tls, sql_entra_only, sql_firewall, sql_auditing)
