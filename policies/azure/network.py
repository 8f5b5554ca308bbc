"""Azure networking: inbound NSG rules from anywhere, and subnets without an NSG."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policies.context import Context
from policies.controls import checkov, cis_azure
from policies.core import (
    ResourceView,
    Severity,
    Verdict,
    compliant,
    contains_unknown,
    is_unknown,
    not_applicable,
    resource_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import ADMIN_PORTS, as_list, covers_port, is_all_ports

NSG = "azure-native:network:NetworkSecurityGroup"
RULE = "azure-native:network:SecurityRule"
SUBNET = "azure-native:network:Subnet"
VNET = "azure-native:network:VirtualNetwork"

_ANY_SOURCE = {"*", "internet", "0.0.0.0/0", "0.0.0.0", "any", "::/0"}
_PORTLESS = {"icmp", "esp", "ah"}
NO_NSG_SUBNETS = frozenset(
    {"GatewaySubnet", "AzureFirewallSubnet", "AzureFirewallManagementSubnet", "RouteServerSubnet"}
)
"""Subnets where Azure forbids or ignores an NSG."""


def _rule_problem(rule: Mapping[str, Any]) -> str | None | bool:
    """Why an inbound allow rule exposes 22/3389/all ports to anywhere; None if it does not; False if unknown."""
    keys = ("direction", "access", "protocol", "sourceAddressPrefix", "sourceAddressPrefixes",
            "destinationPortRange", "destinationPortRanges")
    if any(contains_unknown(rule.get(k)) for k in keys):
        return False
    if str(rule.get("direction", "")).lower() != "inbound" or str(rule.get("access", "")).lower() != "allow":
        return None
    if str(rule.get("protocol", "*")).lower() in _PORTLESS:
        return None
    sources = [str(s) for s in as_list(rule.get("sourceAddressPrefix")) + as_list(rule.get("sourceAddressPrefixes"))]
    open_sources = [s for s in sources if s.lower() in _ANY_SOURCE]
    if not open_sources:
        return None
    ports = as_list(rule.get("destinationPortRange")) + as_list(rule.get("destinationPortRanges"))
    if any(is_all_ports(p) for p in ports):
        return f"allows all ports from {open_sources[0]!r}"
    exposed = sorted({p for p in ADMIN_PORTS for spec in ports if covers_port(spec, p)})
    if exposed:
        ranges = ", ".join(repr(str(p)) for p in ports)
        return f"allows port {' and '.join(map(str, exposed))} (destination ports {ranges}) from {open_sources[0]!r}"
    return None


def _rules(r: ResourceView) -> Iterator[tuple[str, Mapping[str, Any] | str]]:
    if r.type == RULE:
        yield r.name, r.props
        return
    rules = r.get("securityRules")
    if is_unknown(rules):
        yield "securityRules", "unknown"
        return
    for i, rule in enumerate(as_list(rules)):
        if isinstance(rule, Mapping):
            yield str(rule.get("name") or f"securityRules[{i}]"), rule


@resource_policy(
    name="azure-nsg-no-inbound-admin-from-internet",
    description="Deny inbound SSH, RDP and all-port traffic from the Internet in network security groups",
    severity=Severity.critical,
    remediation="Remove the rule, or narrow its source to a private range or service tag in the network "
    "component's named NSG rules; reach machines through Bastion or the VPN instead.",
    types=[NSG, RULE],
    controls=[cis_azure("7.1"), cis_azure("7.2"), checkov("CKV_AZURE_9"), checkov("CKV_AZURE_10")],
)
def no_inbound_admin(r: ResourceView, ctx: Context) -> Iterator[Verdict]:
    found = False
    for rule_name, rule in _rules(r):
        if rule == "unknown":
            yield unknown_until_apply("securityRules")
            return
        assert isinstance(rule, Mapping)
        problem = _rule_problem(rule)
        if problem is False:
            yield unknown_until_apply(f"rule {rule_name}")
            found = True
        elif problem:
            found = True
            yield violation(
                f"network security group rule {rule_name} in {r.name}: inbound Allow {problem}; "
                "deny it or restrict sourceAddressPrefix to a private range"
            )
    if not found:
        yield compliant()


def _nsg_verdict(owner: str, subnet_name: str, nsg: Any) -> Verdict:
    if subnet_name in NO_NSG_SUBNETS:
        return not_applicable(f"Azure does not allow an NSG on {subnet_name}")
    if is_unknown(nsg):
        return unknown_until_apply("networkSecurityGroup")
    nsg_id = nsg.get("id") if isinstance(nsg, Mapping) else None
    if is_unknown(nsg_id) or (isinstance(nsg_id, str) and nsg_id):
        return compliant()
    return violation(
        f"subnet {subnet_name} of {owner}: networkSecurityGroup is not set; attach an NSG that denies "
        "inbound Internet traffic by default"
    )


@resource_policy(
    name="azure-subnet-has-nsg",
    description="Attach a network security group to every subnet",
    severity=Severity.high,
    remediation="Give the subnet an NSG in the network component (Subnet `network_security_group={'id': nsg.id}`); "
    "only GatewaySubnet, AzureFirewallSubnet and RouteServerSubnet are exempt by design.",
    types=[SUBNET, VNET],
    controls=[cis_azure("7.11"), checkov("CKV2_AZURE_31")],
)
def subnet_has_nsg(r: ResourceView, ctx: Context) -> Iterator[Verdict]:
    if r.type == SUBNET:
        name = r.get("subnetName")
        name = name if isinstance(name, str) and not is_unknown(name) else r.name
        yield _nsg_verdict(r.name, name, r.get("networkSecurityGroup"))
        return
    subnets = r.get("subnets")
    if is_unknown(subnets):
        yield unknown_until_apply("subnets")
        return
    inline = [s for s in as_list(subnets) if isinstance(s, Mapping)]
    if not inline:
        yield not_applicable("no inline subnets; separate Subnet resources are checked on their own")
        return
    for i, s in enumerate(inline):
        yield _nsg_verdict(f"virtual network {r.name}", str(s.get("name") or f"subnets[{i}]"), s.get("networkSecurityGroup"))


POLICIES = (no_inbound_admin, subnet_has_nsg)
