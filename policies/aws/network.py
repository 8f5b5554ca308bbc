"""AWS networking: security-group ingress from anywhere, VPC flow logs, the default security group."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policies.context import Context
from policies.controls import checkov, cis_aws
from policies.core import (
    ResourceView,
    Severity,
    StackView,
    Verdict,
    compliant,
    contains_unknown,
    is_unknown,
    not_applicable,
    resource_policy,
    stack_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import ADMIN_PORTS, ANYWHERE_V4, ANYWHERE_V6, as_list

SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup"
SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule"
INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"
VPC = "aws:ec2/vpc:Vpc"
FLOW_LOG = "aws:ec2/flowLog:FlowLog"
DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup"
_ALL_PROTOCOLS = {"-1", "all"}
_PORT_PROTOCOLS = {"tcp", "udp", "6", "17"}


def _exposure(protocol: Any, from_port: Any, to_port: Any, sources: list[str]) -> str | None:
    """What an ingress rule opens to the whole Internet, or None."""
    anywhere = [s for s in sources if s in ANYWHERE_V4 or s in ANYWHERE_V6]
    if not anywhere:
        return None
    proto = str(protocol).lower()
    if proto in _ALL_PROTOCOLS:
        return f"all traffic from {anywhere[0]}"
    if proto not in _PORT_PROTOCOLS:
        return None
    try:
        low, high = int(float(from_port)), int(float(to_port))
    except (TypeError, ValueError):
        return f"{proto} on unspecified ports from {anywhere[0]}"
    if low <= 0 and high >= 65535:
        return f"all {proto} ports from {anywhere[0]}"
    exposed = [p for p in ADMIN_PORTS if low <= p <= high]
    if exposed:
        span = f" (ports {low}-{high})" if low != high else ""
        return f"{proto} port {' and '.join(map(str, exposed))}{span} from {anywhere[0]}"
    return None


def _ingress_rules(r: ResourceView) -> Iterator[tuple[str, Mapping[str, Any]]]:
    if r.type == SECURITY_GROUP:
        for i, rule in enumerate(as_list(r.get("ingress"))):
            if isinstance(rule, Mapping):
                yield f"ingress[{i}]", {
                    "protocol": rule.get("protocol"), "fromPort": rule.get("fromPort"), "toPort": rule.get("toPort"),
                    "sources": as_list(rule.get("cidrBlocks")) + as_list(rule.get("ipv6CidrBlocks")),
                }
    elif r.type == SECURITY_GROUP_RULE:
        if str(r.get("type")) == "ingress":
            yield r.name, {
                "protocol": r.get("protocol"), "fromPort": r.get("fromPort"), "toPort": r.get("toPort"),
                "sources": as_list(r.get("cidrBlocks")) + as_list(r.get("ipv6CidrBlocks")),
            }
    else:
        yield r.name, {
            "protocol": r.get("ipProtocol"), "fromPort": r.get("fromPort"), "toPort": r.get("toPort"),
            "sources": as_list(r.get("cidrIpv4")) + as_list(r.get("cidrIpv6")),
        }


@resource_policy(
    name="aws-sg-no-inbound-admin-from-internet",
    description="Allow no security-group ingress from 0.0.0.0/0 or ::/0 to SSH, RDP or all ports",
    severity=Severity.critical,
    remediation="Remove the rule or narrow its CIDR to the VPC or VPN range in the network component; "
    "reach instances through SSM Session Manager.",
    types=[SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE],
    controls=[cis_aws("6.3"), cis_aws("6.4"), checkov("CKV_AWS_24"), checkov("CKV_AWS_25"), checkov("CKV_AWS_277")],
)
def no_inbound_admin(r: ResourceView, ctx: Context) -> Iterator[Verdict]:
    if r.type == SECURITY_GROUP and is_unknown(r.get("ingress")):
        yield unknown_until_apply("ingress")
        return
    found = False
    for where, rule in _ingress_rules(r):
        if contains_unknown(rule):
            found = True
            yield unknown_until_apply(where)
            continue
        exposed = _exposure(rule["protocol"], rule["fromPort"], rule["toPort"], [str(s) for s in rule["sources"]])
        if exposed:
            found = True
            yield violation(f"security group {where} of {r.name}: allows {exposed}; "
                            "narrow the CIDR or remove the rule")
    if not found:
        yield compliant()


@stack_policy(
    name="aws-vpc-flow-logs",
    description="Record flow logs for every VPC",
    severity=Severity.medium,
    remediation="The network component creates an ec2.FlowLog with vpc_id set to the VPC and traffic_type 'ALL'.",
    controls=[cis_aws("4.7"), checkov("CKV2_AWS_11")],
)
def flow_logs(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    for vpc in stack.of_type(VPC):
        if stack.dependents(vpc.urn, types=[FLOW_LOG], prop="vpcId"):
            yield compliant(subject=vpc)
        else:
            yield violation(f"VPC {vpc.name}: no FlowLog has vpcId depending on it; add one with traffic_type 'ALL'", vpc)


@stack_policy(
    name="aws-default-security-group-closed",
    description="Take over every VPC's default security group and leave it without rules",
    severity=Severity.medium,
    remediation="The network component manages an ec2.DefaultSecurityGroup for the VPC with no ingress and no "
    "egress, which removes AWS's default allow rules.",
    controls=[cis_aws("6.5"), checkov("CKV2_AWS_12")],
)
def default_sg_closed(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    groups = stack.of_type(DEFAULT_SECURITY_GROUP)
    for group in groups:
        rules = {k: group.get(k) for k in ("ingress", "egress")}
        if any(is_unknown(v) for v in rules.values()):
            yield unknown_until_apply("the default security group's rules", group)
        elif any(as_list(v) for v in rules.values()):
            which = " and ".join(k for k, v in rules.items() if as_list(v))
            yield violation(f"default security group {group.name}: has {which} rules; remove them all", group)
        else:
            yield compliant(subject=group)
    for vpc in stack.of_type(VPC):
        if stack.dependents(vpc.urn, types=[DEFAULT_SECURITY_GROUP], prop="vpcId"):
            yield compliant("its default security group is managed", vpc)
        else:
            yield violation(f"VPC {vpc.name}: its default security group is not managed, so AWS's allow-all rules "
                            "stay; add a DefaultSecurityGroup with vpc_id set to it and no rules", vpc)
    if not groups and not stack.of_type(VPC):
        yield not_applicable("no VPC in this stack")


POLICIES = (no_inbound_admin, flow_logs, default_sg_closed)
