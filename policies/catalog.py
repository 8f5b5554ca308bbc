"""Every policy of the pack, in a stable order (group, then definition order)."""

from __future__ import annotations

from functools import lru_cache

from policies.core import Policy


@lru_cache(maxsize=1)
def all_policies() -> tuple[Policy, ...]:
    """The whole policy set; the engine pack and the offline checks use exactly this."""
    from policies.aws import analytics, audit, iam, iam_escalation, kms, rds, s3
    from policies.aws import baseline as aws_baseline
    from policies.aws import network as aws_network
    from policies.aws import perimeter as aws_perimeter
    from policies.azure import baseline as azure_baseline
    from policies.azure import detections as azure_detections
    from policies.azure import entra, key_vault, monitoring, rbac, storage, workloads
    from policies.azure import network as azure_network
    from policies.org import (
        access_expiry,
        budgets,
        classification,
        governance,
        residency,
        secrets,
        tags,
    )

    modules = (
        storage, key_vault, azure_network, monitoring, entra, workloads,
        s3, kms, rds, analytics, iam, aws_network, audit,
        iam_escalation, rbac,
        tags, residency, access_expiry, secrets, budgets, classification, governance,
    )  # fmt: skip
    # Issue 13: coverage of the services other teams deploy.
    from policies.aws import data_services, exposure
    from policies.azure import exposure as azure_exposure
    from policies.azure import sql
    from policies.org import conventions

    modules += (data_services, exposure, sql, azure_exposure, conventions)
    modules += (aws_baseline, aws_perimeter, azure_detections, azure_baseline)
    # Issue 11: vendors read restricted data only under a grant the cloud ends.
    from policies.aws import restricted_reads

    modules += (restricted_reads,)
    # Issue 11: Azure vendor access that Entra ID ends on its date and reviews quarterly.
    from policies.azure import vendor_access

    modules += (vendor_access,)
    # Issue 11: exports immutable (Object Lock).
    from policies.aws import immutability

    modules += (immutability,)
    # Issue 10: checks over several stacks at once (infra policy check --all).
    from policies.azure import cross_stack
    from policies.org import ci_decrypt

    modules += (cross_stack, ci_decrypt)
    # Graph application permissions of app registrations: one allow-list.
    from policies.azure import graph_permissions

    modules += (graph_permissions,)
    found = tuple(p for m in modules for p in m.POLICIES)
    names = [p.name for p in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"policy names must be unique, got duplicates {duplicates}")
    return found


def policies_by_name() -> dict[str, Policy]:
    return {p.name: p for p in all_policies()}
