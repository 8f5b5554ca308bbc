"""Drift: rank every drifted property by severity and build the report (JSON and Markdown).

Pure. Inputs are two folded runs and the policy findings on the refreshed state:
- cloud drift: `preview_refresh` (what the cloud says vs. the state; nothing is written);
- code drift: `preview` (what the code says vs. the state: changes not yet deployed);
- policy drift: the policy set evaluated on the exported state with the refreshed values
  laid over it (see `overlay_refresh`), because policies do not run during a refresh.

Severity of a property, first match wins:
1. low: tags and descriptions (even on a security rule: a comment is not an exposure);
2. critical: network exposure, IAM / role / trust, encryption, public access, conditional
   access, Key Vault / KMS access;
3. high: logging, retention, backup, deletion protection;
4. the resource type's own severity (every property of an NSG or a trust policy is critical);
5. high: anything not classified above. There are three levels only, and an unknown change is
   never ranked below the ones we know matter.
A resource deleted outside Pulumi is critical when its type is critical or holds data, else high.

JSON shape: every drifted thing is an entry with a `severity` (a property, or `*` for a whole
resource that was deleted or will be created), so tools that count severities count drifted
properties once. Resources carry `worst_severity`; policy findings carry `policy_severity`,
and only blocking findings add a `severity` of their own.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from cli.engine.events import EngineSummary, PropertyChange, ResourceChange
from cli.engine.protect import STATEFUL_TYPES
from cli.errors import ExitCode

SEVERITIES = ("critical", "high", "low")
SCHEMA = "civic-infra/drift/v1"

_LOW = [
    ("tags", re.compile(r"^(tags|tagsall|labels)$")),
    ("description", re.compile(r"^(description|displayname|comment|notes)$")),
]
_CRITICAL = [
    ("conditional access", re.compile(r"conditions|grantcontrols|sessioncontrols|conditionalaccess|namedlocation")),
    ("key vault / kms access", re.compile(r"accesspolic|enablerbacauthorization|keypolicy|keyusage|enablekeyrotation|rotation|keyopts|keypermissions")),
    ("public access", re.compile(r"blockpublic|ignorepublicacls|restrictpublicbuckets|allowblobpublicaccess|publicaccess|^acl$|allowsharedkeyaccess|anonymous|localauth|allowcrosstenantreplication")),
    ("network exposure", re.compile(r"securityrule|^ingress|^egress|cidr|addressprefix|portrange|^fromport$|^toport$|publicnetworkaccess|networkacl|networkruleset|iprules|virtualnetworkrules|firewall|allowedip|defaultaction|publiclyaccessible|publicip|mappubliciponlaunch|iprestriction|ingressrule|^access$|^direction$|^sourceaddress|^destinationaddress|bypass|privateendpoint")),
    ("iam / role / trust", re.compile(r"assumerolepolicy|^policy$|policydocument|inlinepolic|managedpolicyarns|roledefinition|principalid|principaltype|permission|^roles?$|trust|externalid|federat|^subject$|approles|requiredresourceaccess|oauth2|^issuer$|^audiences$|identity")),
    ("encryption", re.compile(r"encrypt|kms|^sse|serversideencryption|tls|https|ssl|cmk|customermanagedkey|keyvaultproperties|keysource|infrastructureencryption")),
]
_HIGH = [
    ("deletion protection", re.compile(r"deletionprotection|purgeprotection|softdelete|preventdestroy|^locks?$|protect|terminationprotection|skipfinalsnapshot")),
    ("logging", re.compile(r"logging|^logs?$|loganalytics|loggroup|diagnostic|audit|trail|flowlog|logfilevalidation|multiregion|^metrics$")),
    ("retention", re.compile(r"retention|expiration|^expire|lifecycle|noncurrent|^ttl$|^days$")),
    ("backup", re.compile(r"backup|pointintimerecovery|snapshot|versioning|georedundant|replication")),
]
_CRITICAL_TYPES = (
    "azuread:index/conditionalAccessPolicy:",
    "azuread:index/namedLocation:",
    "azuread:index/applicationFederatedIdentityCredential:",
    "azuread:index/directoryRoleAssignment:",
    "azuread:index/appRoleAssignment:",
    "aws:iam/",
    "aws:kms/",
    "aws:ec2/securityGroup",
    "aws:vpc/securityGroup",
    "aws:ec2/networkAcl",
    "aws:s3/bucketPublicAccessBlock:",
    "aws:s3/bucketPolicy:",
    "aws:s3/bucketServerSideEncryptionConfiguration",
    "azure-native:network:NetworkSecurityGroup",
    "azure-native:network:SecurityRule",
    "azure-native:authorization:RoleAssignment",
    "azure-native:authorization:RoleDefinition",
    "azure-native:keyvault:Vault",
    "azure-native:keyvault:Key",
)
_HIGH_TYPES = (
    "aws:s3/bucketLogging",
    "aws:s3/bucketVersioning",
    "aws:s3/bucketLifecycleConfiguration",
    "aws:cloudtrail/",
    "aws:ec2/flowLog:",
    "aws:cloudwatch/logGroup:",
    "aws:guardduty/",
    "aws:backup/",
    "azure-native:insights:DiagnosticSetting",
    "azure-native:operationalinsights:",
    "azure-native:security:",
    "azure-native:recoveryservices:",
    "azure-native:authorization:ManagementLock",
)


def type_severity(type_: str) -> str | None:
    """The severity every property of this type defaults to, if the type has one."""
    if type_.startswith(_CRITICAL_TYPES):
        return "critical"
    if type_.startswith(_HIGH_TYPES):
        return "high"
    return None


def rank_property(type_: str, path: str) -> tuple[str, str]:
    """(severity, reason) for a drifted property `path` of a resource of type `type_`."""
    segments = [s.lower() for s in re.findall(r"[A-Za-z_][A-Za-z0-9_]*", path) if not s.isdigit()]
    if not segments:
        segments = [path.lower()]
    leaf = segments[-1]
    for reason, pattern in _LOW:
        if pattern.search(leaf) or (reason == "tags" and any(pattern.search(s) for s in segments)):
            return "low", reason
    for severity, rules in (("critical", _CRITICAL), ("high", _HIGH)):
        for reason, pattern in rules:
            if any(pattern.search(s) for s in segments):
                return severity, reason
    by_type = type_severity(type_)
    if by_type:
        return by_type, f"{type_.split(':')[-1]} setting"
    return "high", "unclassified setting (ranked high until classified)"


def rank_missing(type_: str) -> tuple[str, str]:
    """Severity of a resource that exists in state but no longer in the cloud."""
    if type_severity(type_) == "critical":
        return "critical", "security control deleted outside Pulumi"
    if type_ in STATEFUL_TYPES:
        return "critical", "data store deleted outside Pulumi"
    return "high", "deleted outside Pulumi"


@dataclass(frozen=True)
class RankedProperty:
    """One drifted property with its severity; values are already masked."""

    path: str
    kind: str
    severity: str
    reason: str
    expected: Any
    actual: Any

    def to_json(self, expected_label: str, actual_label: str) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "severity": self.severity,
            "reason": self.reason,
            expected_label: self.expected,
            actual_label: self.actual,
        }


@dataclass(frozen=True)
class DriftItem:
    """One drifted resource."""

    urn: str
    type: str
    change: str
    severity: str
    reason: str
    properties: tuple[RankedProperty, ...] = ()

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class PolicyItem:
    """A policy finding on the refreshed state."""

    policy: str
    severity: str
    enforcement: str
    urn: str | None
    message: str
    exempted: bool
    blocking: bool

    @property
    def drift_severity(self) -> str:
        """A blocking finding's place on the drift scale: critical stays critical, the rest high."""
        return "critical" if self.severity.lower() == "critical" else "high"

    def to_json(self) -> dict[str, Any]:
        out = {
            "policy": self.policy,
            "policy_severity": self.severity,
            "enforcement": self.enforcement,
            "urn": self.urn,
            "message": self.message,
            "exempted": self.exempted,
            "blocking": self.blocking,
        }
        if self.blocking:
            out["severity"] = self.drift_severity
        return out


POLICY_SOURCE = (
    "the last deployed state (pulumi stack export) with the values read from the cloud by the "
    "refresh preview laid over it; the refresh preview itself does not update the state"
)


STATUS_EXIT = {"error": ExitCode.ERROR, "drifted": ExitCode.CHANGES, "policy": ExitCode.POLICY, "clean": ExitCode.OK}
"""Exit code of each drift outcome (0 clean, 7 drift, 5 no drift but a mandatory policy fails)."""


@dataclass(frozen=True)
class DriftReport:
    """Drift of one environment."""

    environment: str
    checked_at: str
    cloud: tuple[DriftItem, ...] = ()
    code: tuple[DriftItem, ...] = ()
    policy: tuple[PolicyItem, ...] = ()
    policy_evaluated: bool = False
    unitemised: int = 0
    error: str | None = None
    error_lines: tuple[str, ...] = ()
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def blocking_policy(self) -> tuple[PolicyItem, ...]:
        return tuple(p for p in self.policy if p.blocking)

    @property
    def drifted(self) -> bool:
        """The cloud or the code differs from the state (policy findings are reported apart)."""
        return bool(self.cloud or self.code or self.unitemised)

    @property
    def violates_policy(self) -> bool:
        """The deployed state (with the cloud's values) fails a mandatory, unexempted policy."""
        return bool(self.blocking_policy)

    @property
    def status(self) -> str:
        """error, drifted (exit 7, whatever the policy says), policy (exit 5) or clean (exit 0)."""
        if self.error:
            return "error"
        if self.drifted:
            return "drifted"
        return "policy" if self.violates_policy else "clean"

    @property
    def exit_code(self) -> int:
        return STATUS_EXIT[self.status]

    def severity_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(SEVERITIES, 0)
        for item in (*self.cloud, *self.code):
            for prop in item.properties:
                counts[prop.severity] += 1
        for finding in self.blocking_policy:
            counts[finding.drift_severity] += 1
        return counts

    def top(self, limit: int = 5) -> list[tuple[str, str, str]]:
        """The most severe (severity, urn, what) triples, for compact messages."""
        rows: list[tuple[int, str, str, str]] = []  # (source rank, severity, urn, what): cloud, policy, code
        for item in self.cloud:
            for p in item.properties:
                what = "deleted outside Pulumi" if p.path == "*" else f"{p.path} changed in the cloud"
                rows.append((0, p.severity, item.urn, what))
        for p in self.blocking_policy:
            rows.append((1, p.drift_severity, p.urn or "(stack)", f"violates policy {p.policy}"))
        for item in self.code:
            rows.append((2, item.severity, item.urn, f"{item.change} not deployed yet"))
        rows.sort(key=lambda r: (SEVERITIES.index(r[1]), r[0], r[2], r[3]))
        return [(severity, urn, what) for _, severity, urn, what in rows[:limit]]

    def to_json(self) -> dict[str, Any]:
        return {
            "environment": self.environment,
            "checked_at": self.checked_at,
            "status": self.status,
            "exit_code": self.exit_code,
            "error": self.error,
            "error_detail": list(self.error_lines),
            "counts": self.severity_counts(),
            "unitemised_cloud_changes": self.unitemised,
            "cloud_drift": [_item_json(i, "state", "cloud") for i in self.cloud],
            "code_drift": [_item_json(i, "state", "code") for i in self.code],
            "policy": {
                "evaluated": self.policy_evaluated,
                "source": POLICY_SOURCE,
                "findings": [p.to_json() for p in self.policy],
            },
            "notes": list(self.notes),
        }


def _item_json(item: DriftItem, expected: str, actual: str) -> dict[str, Any]:
    return {
        "urn": item.urn,
        "type": item.type,
        "name": item.name,
        "change": item.change,
        "worst_severity": item.severity,
        "reason": item.reason,
        "properties": [p.to_json(expected, actual) for p in item.properties],
    }


def _worst(severities: Iterable[str]) -> str:
    found = [s for s in severities if s in SEVERITIES]
    return min(found, key=SEVERITIES.index) if found else "high"


def _whole(change: ResourceChange, source: str) -> RankedProperty:
    """The one entry for a change that has no property-level diff."""
    if source == "cloud":
        severity, reason = rank_missing(change.type)
        return RankedProperty("*", "deleted", severity, reason, "exists", "missing")
    if change.group in ("delete", "replace") and change.type in STATEFUL_TYPES:
        verb = "deleted" if change.group == "delete" else "replaced"
        return RankedProperty("*", change.group, "critical", f"data store would be {verb}", None, None)
    if change.group == "create":
        severity = type_severity(change.type) or "low"
        return RankedProperty("*", "create", severity, "not deployed yet", None, None)
    severity = type_severity(change.type) or "high"
    return RankedProperty("*", change.group, severity, f"resource {change.group} pending", None, None)


def _rank_change(change: ResourceChange, source: str) -> DriftItem:
    props = []
    if not (source == "cloud" and change.group == "delete"):
        for prop in change.properties:
            severity, reason = rank_property(change.type, prop.path)
            props.append(RankedProperty(prop.path, prop.kind, severity, reason, prop.old, prop.new))
    if not props or (source == "code" and change.group in ("delete", "replace") and change.type in STATEFUL_TYPES):
        props.insert(0, _whole(change, source))
    props.sort(key=lambda p: (SEVERITIES.index(p.severity), p.path))
    worst = _worst(p.severity for p in props)
    reason = next(p.reason for p in props if p.severity == worst)
    label = ("deleted" if change.group == "delete" else "modified") if source == "cloud" else change.group
    return DriftItem(change.urn, change.type, label, worst, reason, tuple(props))


def rank_cloud(refresh: EngineSummary) -> tuple[DriftItem, ...]:
    """Cloud-vs-state drift from a refresh preview."""
    items = [_rank_change(c, "cloud") for c in refresh.changes if c.group in ("update", "delete")]
    return tuple(sorted(items, key=lambda i: (SEVERITIES.index(i.severity), i.urn)))


def rank_code(preview: EngineSummary) -> tuple[DriftItem, ...]:
    """Code-vs-state differences (changes not yet deployed) from a preview."""
    items = [_rank_change(c, "code") for c in preview.changes]
    return tuple(sorted(items, key=lambda i: (SEVERITIES.index(i.severity), i.urn)))


def policy_items(report: Any) -> tuple[PolicyItem, ...]:
    """Findings of `cli.policycheck.check_capture` as plain items (read by attribute or key).

    A finding's own `blocking` decides; else the report's `blocking` list; else mandatory and
    not exempted.
    """
    if report is None:
        return ()
    blocking_attr = getattr(report, "blocking", None)
    listed = isinstance(blocking_attr, (list, tuple))
    blocking_ids = {id(f) for f in blocking_attr} if listed else set()
    items = []
    for f in getattr(report, "findings", ()) or ():
        get = f.get if isinstance(f, Mapping) else (lambda k, d=None, f=f: getattr(f, k, d))
        enforcement = str(getattr(get("enforcement", ""), "value", get("enforcement", "")))
        exempted = bool(get("exempted", False))
        own = get("blocking", None)
        if isinstance(own, bool):
            blocking = own
        elif listed:
            blocking = id(f) in blocking_ids
        else:
            blocking = enforcement == "mandatory" and not exempted
        items.append(
            PolicyItem(
                policy=str(get("policy", "") or get("name", "")),
                severity=str(getattr(get("severity", ""), "value", get("severity", ""))),
                enforcement=enforcement,
                urn=get("urn"),
                message=str(get("message", "")),
                exempted=exempted,
                blocking=blocking,
            )
        )
    return tuple(items)


def build_report(
    environment: str,
    checked_at: str,
    *,
    refresh: EngineSummary,
    preview: EngineSummary,
    policy: tuple[PolicyItem, ...] = (),
    policy_evaluated: bool = False,
) -> DriftReport:
    """The drift report of one environment from its two engine runs and the policy findings."""
    cloud = rank_cloud(refresh)
    notes = []
    cloud_counted = sum(n for g, n in refresh.group_counts().items() if g in ("update", "delete"))
    unitemised = max(0, cloud_counted - len(cloud))
    if unitemised:
        notes.append(f"the engine counted {unitemised} drifted resource(s) it did not describe; run `pulumi refresh --preview-only --diff`")
    return DriftReport(
        environment=environment,
        checked_at=checked_at,
        cloud=cloud,
        code=rank_code(preview),
        policy=policy,
        policy_evaluated=policy_evaluated,
        unitemised=unitemised,
        notes=tuple(notes),
    )


def error_report(environment: str, checked_at: str, err: BaseException) -> DriftReport:
    """A report that says the check failed, with the error's lines (already secret-free)."""
    lines = tuple(getattr(err, "lines", None) or [str(err) or err.__class__.__name__])
    return DriftReport(environment=environment, checked_at=checked_at, error=lines[0], error_lines=lines)


def combined_exit(reports: Sequence[DriftReport]) -> int:
    """1 if any environment errored, else 7 if any drifted, else 5 if any violates a policy, else 0."""
    statuses = {r.status for r in reports}
    for status in ("error", "drifted", "policy"):
        if status in statuses:
            return STATUS_EXIT[status]
    return ExitCode.OK


def to_document(reports: Sequence[DriftReport], checked_at: str) -> dict[str, Any]:
    """The machine-readable drift document for one or more environments."""
    return {
        "schema": SCHEMA,
        "checked_at": checked_at,
        "exit_code": combined_exit(reports),
        "environments": [r.to_json() for r in reports],
    }


def overlay_refresh(capture: Any, refresh: EngineSummary) -> Any:
    """The capture with the cloud's values (from a refresh preview) laid over the stored inputs.

    Resources the cloud no longer has are dropped. Values are masked ("[secret]"), exactly as
    a capture stores them, so policies see the refreshed state without any secret in it.
    """
    by_urn = {c.urn: c for c in refresh.changes}
    resources = []
    for res in capture.resources:
        change = by_urn.get(res.urn)
        if change is None:
            resources.append(res)
            continue
        if change.group == "delete":
            continue
        inputs = copy.deepcopy(dict(res.inputs))
        for prop in change.properties:
            _apply(inputs, prop)
        resources.append(replace(res, inputs=inputs))
    return replace(capture, resources=tuple(resources))


def _apply(inputs: dict[str, Any], prop: PropertyChange) -> None:
    segments = _path_segments(prop.path)
    if not segments:
        return
    node: Any = inputs
    for seg, nxt in zip(segments, segments[1:], strict=False):
        if isinstance(node, dict):
            node = node.setdefault(seg, [] if isinstance(nxt, int) else {})
        elif isinstance(node, list) and isinstance(seg, int):
            while len(node) <= seg:
                node.append({} if not isinstance(nxt, int) else [])
            node = node[seg]
        else:
            return
    last = segments[-1]
    deleted = prop.kind.startswith("delete")
    if isinstance(node, dict):
        if deleted:
            node.pop(last, None)
        else:
            node[last] = prop.new
    elif isinstance(node, list) and isinstance(last, int):
        if deleted:
            if last < len(node):
                node.pop(last)
        else:
            while len(node) <= last:
                node.append(None)
            node[last] = prop.new


def _path_segments(path: str) -> list[str | int]:
    out: list[str | int] = []
    for quoted, index, plain in re.findall(r'\["((?:[^"\\]|\\.)*)"\]|\[(\d+)\]|\.?([^.\[\]]+)', path):
        out.append(quoted if quoted else int(index) if index else plain)
    return out


# --- markdown -------------------------------------------------------------------------

_ICON = {"critical": "🔴", "high": "🟠", "low": "⚪"}


def render_markdown(reports: Sequence[DriftReport], checked_at: str) -> str:
    """A Markdown drift report for people (pull requests, issues, chat)."""
    lines = [f"# Drift report ({checked_at})", ""]
    lines += ["| environment | status | critical | high | low | blocking policy findings |", "|---|---|---:|---:|---:|---:|"]
    for r in reports:
        c = r.severity_counts()
        lines.append(f"| {r.environment} | {r.status} | {c['critical']} | {c['high']} | {c['low']} | {len(r.blocking_policy)} |")
    for r in reports:
        lines += ["", f"## {r.environment}: {r.status}", ""]
        if r.error:
            lines += ["The check did not complete, so this environment's drift is unknown:", ""]
            lines += [f"    {line}" for line in r.error_lines]
            continue
        if r.status == "clean":
            lines.append("No drift: the cloud matches the state, the code matches the state, and no blocking policy finding.")
        elif r.status == "policy":
            lines.append("No drift, but the deployed state violates a mandatory policy (exit 5): fix it in code and deploy.")
        if r.cloud:
            lines += ["### Changed outside Pulumi (cloud vs. state)", "", "| severity | resource | property | reason | state | cloud |", "|---|---|---|---|---|---|"]
            for item in r.cloud:
                for p in item.properties:
                    lines.append(
                        f"| {_ICON[p.severity]} {p.severity} | `{item.name}` ({item.type}) | `{p.path}` | {p.reason} | {_cell(p.expected)} | {_cell(p.actual)} |"
                    )
        if r.code:
            lines += ["", "### Not yet deployed (code vs. state)", "", "| severity | change | resource | properties |", "|---|---|---|---|"]
            for item in r.code:
                props = ", ".join(f"`{p.path}`" for p in item.properties if p.path != "*") or "—"
                lines.append(f"| {_ICON[item.severity]} {item.severity} | {item.change} | `{item.name}` ({item.type}) | {props} |")
        if r.policy:
            lines += ["", "### Policy findings on the refreshed state", "", "| policy | enforcement | resource | message |", "|---|---|---|---|"]
            for p in r.policy:
                mark = " (exempted)" if p.exempted else (" **blocking**" if p.blocking else "")
                lines.append(f"| {p.policy} | {p.enforcement}{mark} | `{p.urn or '(stack)'}` | {_cell(p.message)} |")
        elif not r.policy_evaluated:
            lines += ["", "Policy findings: not evaluated."]
        for note in r.notes:
            lines += ["", f"> {note}"]
    return "\n".join(lines) + "\n"


def _cell(value: Any) -> str:
    if value is None:
        return "—"
    text = value if isinstance(value, str) else repr(value)
    text = text.replace("|", "\\|").replace("\n", " ")
    return f"`{text[:77]}...`" if len(text) > 80 else f"`{text}`"
