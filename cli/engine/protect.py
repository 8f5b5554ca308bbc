"""Refuse a plan that deletes or replaces protected or stateful resources nobody allowed.

Pure: reads the folded preview. A resource counts when its state says `protect`, or when
its type holds data that a replacement would destroy (buckets, databases, vaults, keys,
log workspaces, resource groups). `--allow-replace URN` lets one named resource through.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cli.engine.errors import ProtectedResourceError
from cli.engine.events import EngineSummary

STATEFUL_TYPES = frozenset(
    {
        "aws:s3/bucket:Bucket",
        "aws:s3/bucketV2:BucketV2",
        "aws:rds/instance:Instance",
        "aws:rds/cluster:Cluster",
        "aws:redshiftserverless/namespace:Namespace",
        "aws:dynamodb/table:Table",
        "aws:efs/fileSystem:FileSystem",
        "aws:kms/key:Key",
        "aws:secretsmanager/secret:Secret",
        "aws:backup/vault:Vault",
        "aws:cloudwatch/logGroup:LogGroup",
        "aws:glue/catalogDatabase:CatalogDatabase",
        "azure-native:resources:ResourceGroup",
        "azure-native:storage:StorageAccount",
        "azure-native:storage:BlobContainer",
        "azure-native:keyvault:Vault",
        "azure-native:keyvault:Key",
        "azure-native:keyvault:Secret",
        "azure-native:operationalinsights:Workspace",
        "azure-native:dbforpostgresql:Server",
        "azure-native:sql:Server",
        "azure-native:sql:Database",
        "azure-native:documentdb:DatabaseAccount",
        "azure-native:recoveryservices:Vault",
    }
)
"""Types whose deletion or replacement loses data, protected or not."""


@dataclass(frozen=True)
class Refusal:
    """One resource the plan would delete or replace without permission."""

    urn: str
    type: str
    op: str
    reason: str

    def line(self) -> str:
        return f"  {self.op} {self.urn} ({self.type}; {self.reason})"


def refusals(summary: EngineSummary, allow_replace: Iterable[str] = ()) -> list[Refusal]:
    """Deletes and replaces of protected or stateful resources not named in `allow_replace`."""
    allowed = set(allow_replace)
    found: list[Refusal] = []
    for change in summary.changes:
        if change.group not in ("delete", "replace") or change.urn in allowed:
            continue
        reasons = []
        if change.protect:
            reasons.append("protected")
        if change.type in STATEFUL_TYPES:
            reasons.append("stateful: holds data")
        if reasons:
            found.append(Refusal(change.urn, change.type, change.group, ", ".join(reasons)))
    return found


def unused_allowances(summary: EngineSummary, allow_replace: Iterable[str]) -> list[str]:
    """`--allow-replace` URNs that the plan neither deletes nor replaces (likely typos)."""
    planned = {c.urn for c in summary.changes if c.group in ("delete", "replace")}
    return [urn for urn in allow_replace if urn not in planned]


def check(summary: EngineSummary, allow_replace: Iterable[str], environment: str) -> None:
    """Raise `ProtectedResourceError` (exit 5) listing every refused resource."""
    found = refusals(summary, allow_replace)
    if not found:
        return
    head = f"the plan for {environment} deletes or replaces {len(found)} protected or stateful resource(s)"
    lines = [head, *(r.line() for r in found)]
    lines.append("nothing was deployed; if this is intended, repeat with --allow-replace URN for each one")
    raise ProtectedResourceError(head, lines=lines)
