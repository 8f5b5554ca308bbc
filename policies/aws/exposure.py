"""AWS exposure: Internet ingress beyond the allow-list, database ports, resource policies open to
'*', EKS public endpoints, service-wide IAM wildcards, permissions on IAM users, and secrets in
Lambda environment variables."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from policies.aws.iam import ROLE
from policies.aws.network import INGRESS_RULE, SECURITY_GROUP, SECURITY_GROUP_RULE, _ingress_rules
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
from policies.helpers import (
    ADMIN_PORTS,
    ANYWHERE_V4,
    ANYWHERE_V6,
    actions,
    as_list,
    condition_keys,
    is_false,
    json_value,
    principals,
    show,
    statements,
)
from policies.secret_names import secret_setting

DATABASE_PORTS = {
    1433: "SQL Server", 1521: "Oracle", 3306: "MySQL", 5432: "PostgreSQL", 5439: "Redshift", 6379: "Redis",
    9042: "Cassandra", 9200: "OpenSearch", 11211: "Memcached", 27017: "MongoDB",
}
_PORT_PROTOCOLS = {"tcp", "udp", "6", "17"}
_ALL_PROTOCOLS = {"-1", "all"}


def _internet_ports(rule: Mapping[str, Any]) -> tuple[str, int, int] | None:
    """(source, low, high) when the rule admits the whole Internet on a port range; None otherwise."""
    anywhere = [str(s) for s in rule["sources"] if str(s) in ANYWHERE_V4 or str(s) in ANYWHERE_V6]
    if not anywhere:
        return None
    proto = str(rule["protocol"]).lower()
    if proto in _ALL_PROTOCOLS:
        return anywhere[0], 0, 65535
    if proto not in _PORT_PROTOCOLS:
        return None
    try:
        return anywhere[0], int(float(rule["fromPort"])), int(float(rule["toPort"]))
    except (TypeError, ValueError):
        return anywhere[0], 0, 65535


@resource_policy(
    name="aws-sg-internet-ingress-allow-list",
    description="Allow Internet ingress only on the allowed ports (80/443 by default) and never on database ports",
    severity=Severity.high,
    remediation="Narrow the rule's CIDR to the VPC or a partner range in the network component, or put the service "
    "behind a load balancer; ports open to the Internet are listed in policy.internet_ingress_ports.",
    types=[SECURITY_GROUP, SECURITY_GROUP_RULE, INGRESS_RULE],
    controls=[checkov("CKV_AWS_260", partial="Checkov checks port 80 only; this policy checks every port outside the allow-list")],
)
def internet_ingress(r: ResourceView, ctx: Context) -> Iterator[Verdict]:
    if r.type == SECURITY_GROUP and is_unknown(r.get("ingress")):
        yield unknown_until_apply("ingress")
        return
    allowed = set(ctx.internet_ingress_ports)
    found = False
    for where, rule in _ingress_rules(r):
        if contains_unknown(rule):
            found = True
            yield unknown_until_apply(where)
            continue
        opened = _internet_ports(rule)
        if opened is None:
            continue
        source, low, high = opened
        # All ports and the admin ports are aws-sg-no-inbound-admin-from-internet's findings.
        if (low <= 0 and high >= 65535) or any(low <= p <= high for p in ADMIN_PORTS):
            continue
        databases = [f"{p} ({n})" for p, n in sorted(DATABASE_PORTS.items()) if low <= p <= high]
        others = [p for p in range(low, min(high, low + 65535) + 1) if p not in allowed and p not in DATABASE_PORTS]
        span = f"port {low}" if low == high else f"ports {low}-{high}"
        if databases:
            found = True
            yield violation(f"security group {where} of {r.name}: opens database port {', '.join(databases)} to "
                            f"{source}; allow only the application's security group or the VPC range")
        elif others:
            found = True
            yield violation(f"security group {where} of {r.name}: opens {span} to {source}, outside the allowed "
                            f"ports {sorted(allowed)}; narrow the source or add the port to "
                            "policy.internet_ingress_ports if the service is public by design")
    if not found:
        yield compliant()


RESOURCE_POLICIES = {
    "aws:ecr/repositoryPolicy:RepositoryPolicy": "policy",
    "aws:ecr/registryPolicy:RegistryPolicy": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:sqs/queue:Queue": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:kms/key:Key": "policy",
    "aws:kms/keyPolicy:KeyPolicy": "policy",
    "aws:secretsmanager/secretPolicy:SecretPolicy": "policy",
    "aws:secretsmanager/secret:Secret": "policy",
    "aws:glacier/vault:Vault": "accessPolicy",
    "aws:opensearch/domainPolicy:DomainPolicy": "accessPolicies",
    "aws:opensearch/domain:Domain": "accessPolicies",
    "aws:efs/fileSystemPolicy:FileSystemPolicy": "policy",
    "aws:backup/vaultPolicy:VaultPolicy": "policy",
    "aws:apigateway/restApiPolicy:RestApiPolicy": "policy",
    "aws:lambda/permission:Permission": None,
}
"""Resource types with a resource policy, and the input that holds it (None: Lambda's `principal`)."""


@resource_policy(
    name="aws-resource-policy-no-public-principal",
    description="Grant nothing to Principal '*' in ECR, SQS, SNS, KMS, Secrets Manager and other resource policies",
    severity=Severity.critical,
    remediation="Name the account or service that needs access in the statement's Principal, or add a condition "
    "such as aws:PrincipalOrgID, aws:SourceArn or aws:SourceAccount; never allow '*' alone.",
    types=list(RESOURCE_POLICIES),
    controls=[
        cis_aws("2.21", partial="resource policies of the listed types; S3 is aws-s3-policy-no-public-principal"),
        checkov("CKV_AWS_32"), checkov("CKV_AWS_168"), checkov("CKV_AWS_169"), checkov("CKV_AWS_33"),
    ],
    data_protection=True,
)
def resource_policy_open(r: ResourceView, ctx: Context) -> Iterator[Verdict]:
    prop = RESOURCE_POLICIES[r.type]
    if prop is None:
        principal, source = r.get("principal"), [r.get(k) for k in ("sourceArn", "sourceAccount", "principalOrgId")]
        if is_unknown(principal) or any(is_unknown(s) for s in source):
            yield unknown_until_apply("principal")
        elif str(principal) == "*" and not any(source):
            yield violation(f"lambda permission {r.name}: principal is '*' with no sourceArn, sourceAccount or "
                            "principalOrgId; name the caller")
        else:
            yield compliant()
        return
    raw = r.get(prop)
    if raw is None:
        yield not_applicable(f"no {prop}")
        return
    document = json_value(raw)
    if is_unknown(document):
        yield unknown_until_apply(prop)
        return
    found = False
    for i, s in enumerate(statements(document)):
        if str(s.get("Effect")) == "Allow" and "*" in principals(s) and not condition_keys(s):
            found = True
            sid = s.get("Sid") or f"Statement[{i}]"
            yield violation(f"{r.name}: {prop} statement {sid} allows {', '.join(actions(s)) or 'actions'} to "
                            "Principal '*' with no condition; name the account or service that needs it")
    if not found:
        yield compliant()


EKS_CLUSTER = "aws:eks/cluster:Cluster"


@resource_policy(
    name="aws-eks-private-endpoint",
    description="Keep the EKS API endpoint private, or open only to named CIDR ranges",
    severity=Severity.high,
    remediation="Set vpc_config.endpoint_public_access False (with endpoint_private_access True), or list the "
    "office and CI ranges in vpc_config.public_access_cidrs; the provider default opens it to 0.0.0.0/0.",
    types=[EKS_CLUSTER],
    controls=[checkov("CKV_AWS_38"), checkov("CKV_AWS_39", partial="a public endpoint limited to named ranges passes")],
)
def eks_endpoint(r: ResourceView, ctx: Context) -> Verdict:
    public, cidrs = r.get("vpcConfig", "endpointPublicAccess"), r.get("vpcConfig", "publicAccessCidrs")
    if is_unknown(public) or contains_unknown(cidrs):
        return unknown_until_apply("vpcConfig.endpointPublicAccess")
    # Missing is unsafe: the endpoint is public by default, to 0.0.0.0/0.
    if is_false(public):
        return compliant()
    ranges = [str(c) for c in as_list(cidrs)]
    if not ranges or any(c in ANYWHERE_V4 or c in ANYWHERE_V6 for c in ranges):
        return violation(f"EKS cluster {r.name}: vpcConfig.endpointPublicAccess is {show(public)} and "
                         f"publicAccessCidrs is {show(cidrs)}, so the API is open to the Internet; make it private "
                         "or list the allowed ranges")
    return compliant()


IDENTITY_POLICIES = (
    "aws:iam/policy:Policy", "aws:iam/rolePolicy:RolePolicy", "aws:iam/userPolicy:UserPolicy",
    "aws:iam/groupPolicy:GroupPolicy", "aws:iam/role:Role",
)
SENSITIVE_SERVICES = ("iam", "kms", "sts", "organizations", "secretsmanager", "s3", "ec2", "lambda", "dynamodb",
                      "rds", "logs", "cloudtrail", "ssm", "sso", "account")


def _wildcards(statement: Mapping[str, Any]) -> list[str]:
    """`service:*` actions of an Allow statement ('*' alone is aws-iam-no-admin-wildcard's finding if on '*')."""
    if str(statement.get("Effect")) != "Allow" or statement.get("NotAction") is not None:
        return []
    found = []
    for a in actions(statement):
        service, _, verb = a.partition(":")
        if verb == "*" and service.lower() in SENSITIVE_SERVICES or a == "*" and "*" not in [str(x) for x in as_list(statement.get("Resource"))]:
            found.append(a)
    return found


def _documents(r: ResourceView) -> Iterator[tuple[str, Any]]:
    if r.type == "aws:iam/role:Role":
        for i, inline in enumerate(as_list(r.get("inlinePolicies"))):
            if isinstance(inline, Mapping):
                yield f"inlinePolicies[{i}]", inline.get("policy")
        return
    yield "policy", r.get("policy")


@stack_policy(
    name="aws-iam-no-service-wildcards",
    description="Grant no service-wide IAM wildcards such as 's3:*', 'iam:*' or 'kms:*'",
    severity=Severity.high,
    remediation="List the actions the role needs (e.g. s3:GetObject, s3:PutObject) in the identity component's "
    "policy statements instead of '<service>:*'.",
    controls=[checkov("CKV_AWS_355", partial="Checkov flags '*' resources; this policy flags service-wide actions")],
)
def no_service_wildcards(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    for r in stack.of_type(*IDENTITY_POLICIES):
        # a permissions boundary grants nothing: it is the ceiling of the roles that carry it,
        # and a ceiling names whole services (the grants under it are checked on their own)
        if stack.dependents(r.urn, types=[ROLE], prop="permissionsBoundary"):
            yield not_applicable("a permissions boundary (caps its roles, grants nothing)", r)
            continue
        found = False
        for where, raw in _documents(r):
            doc = json_value(raw)
            if is_unknown(doc):
                found = True
                yield unknown_until_apply(where, r)
                continue
            for i, s in enumerate(statements(doc)):
                wild = _wildcards(s)
                if wild:
                    found = True
                    yield violation(f"{r.name}: {where} statement {s.get('Sid') or i} allows {', '.join(wild)}; "
                                    "list the actions it needs", r)
        if not found:
            yield compliant(subject=r)


USER_PERMISSIONS = (
    "aws:iam/userPolicy:UserPolicy",
    "aws:iam/userPolicyAttachment:UserPolicyAttachment",
    "aws:iam/userPolicyAttachmentsExclusive:UserPolicyAttachmentsExclusive",
    "aws:iam/userPoliciesExclusive:UserPoliciesExclusive",
    "aws:iam/policyAttachment:PolicyAttachment",
)


@resource_policy(
    name="aws-iam-no-user-policies",
    description="Attach no inline or managed IAM policy to a user; grant permissions to roles or groups",
    severity=Severity.high,
    remediation="Remove the UserPolicy / UserPolicyAttachment; people get permissions through IAM Identity Center "
    "permission sets, workloads through roles.",
    types=list(USER_PERMISSIONS),
    controls=[cis_aws("2.13"), checkov("CKV_AWS_40")],
)
def no_user_policies(r: ResourceView, ctx: Context) -> Verdict:
    if r.type == "aws:iam/policyAttachment:PolicyAttachment":
        users = r.get("users")
        if is_unknown(users):
            return unknown_until_apply("users")
        if not as_list(users):
            return compliant("attaches to roles or groups only")
        return violation(f"policy attachment {r.name}: attaches {show(r.get('policyArn'))} to users {show(users)}; "
                         "attach it to a role or group")
    kind = r.type.split(":")[-1]
    return violation(f"{kind} {r.name}: gives user {show(r.get('user'))} permissions directly; grant them through "
                     "a role or group")


LAMBDA = "aws:lambda/function:Function"


@resource_policy(
    name="aws-lambda-no-secrets-in-environment",
    description="Keep passwords, tokens, keys and connection strings out of Lambda environment variables",
    severity=Severity.high,
    remediation="Store the value in Secrets Manager or SSM Parameter Store and pass its ARN (e.g. DB_SECRET_ARN); "
    "the function reads it at start with its role.",
    types=[LAMBDA],
    controls=[checkov("CKV_AWS_45")],
    data_protection=True,
)
def lambda_env(r: ResourceView, ctx: Context) -> Iterator[Verdict]:
    variables = r.get("environment", "variables")
    if is_unknown(variables):
        yield unknown_until_apply("environment.variables")
        return
    found = False
    for name, value in sorted((variables or {}).items()) if isinstance(variables, Mapping) else ():
        why = secret_setting(str(name), value)
        if why:
            found = True
            yield violation(f"lambda function {r.name}: environment variable {name} holds a secret in plain text "
                            f"({why}); store it in Secrets Manager and pass {name}_ARN instead")
    if not found:
        yield compliant()


POLICIES = (internet_ingress, resource_policy_open, eks_endpoint, no_service_wildcards, no_user_policies, lambda_env)
