"""Control ids stay inside the vocabulary of the editions the set names, and all reach the engine."""

from __future__ import annotations

import pytest

from policies.catalog import all_policies, policies_by_name
from policies.controls import (
    BENCHMARKS,
    CHECKOV,
    CIS_AWS,
    CIS_AZURE,
    CIS_M365,
    ControlRef,
    checkov,
    cis_aws,
    cis_azure,
    cis_m365,
    titles,
)
from policies.core import Policy, Severity, compliant, resource_policy


def test_every_reference_is_a_control_of_its_edition():
    for p in all_policies():
        for ref in p.controls:
            assert isinstance(ref, ControlRef), (p.name, ref)
            assert ref.id in titles(ref.benchmark), (p.name, ref.label)
            assert ref.benchmark in BENCHMARKS


def test_one_edition_per_benchmark_named_in_full():
    editions = {(b.name, b.edition) for p in all_policies() for b in (c.benchmark for c in p.controls)}
    names = [name for name, _ in editions]
    assert len(names) == len(set(names)), editions
    assert CIS_AWS.title == "CIS Amazon Web Services Foundations v7.0.0"
    assert CIS_AZURE.title == "CIS Microsoft Azure Foundations v6.0.0"
    assert CIS_M365.title == "CIS Microsoft 365 Foundations v7.0.0"
    for b in (CIS_AWS, CIS_AZURE, CIS_M365):
        assert b.edition.count(".") == 2  # v7.0.0, never the truncated "7.0"


@pytest.mark.parametrize("make, bad", [
    (cis_azure, "3.17"),   # a v2.1.0 id, not in v6.0.0
    (cis_azure, "2.1"),    # a section heading in v2.0.0
    (cis_aws, "1.16"),     # the v3.0.0 id of the admin-wildcard control
    (cis_aws, "2.1.1.1"),  # a typo
    (cis_m365, "5.2.2.99"),
    (checkov, "CKV_AWS_99999"),
])
def test_a_typo_or_a_retired_id_is_rejected(make, bad):
    with pytest.raises(ValueError, match="is not a control of"):
        make(bad)


def test_partial_needs_a_reason():
    with pytest.raises(ValueError, match="partial needs"):
        cis_aws("4.4", partial=" ")
    assert cis_aws("4.4", partial="trail bucket only").is_partial


def test_a_string_reference_is_rejected_with_the_conversion_hint():
    with pytest.raises(TypeError, match="cis_aws/cis_azure/cis_m365/checkov"):
        resource_policy(name="x-y", description="Keep it", severity=Severity.low, remediation="Set a.b",
                        types=["t"], controls=["CIS AWS 3.0 1.16"])(lambda r, c: compliant())


def _ids(policy: str) -> set[tuple[str, str, bool]]:
    return {(c.benchmark.key, c.id, c.is_partial) for c in policies_by_name()[policy].controls}


def test_the_crosswalk_corrections():
    # WRONG rows: no v2.1.0 id mixed in, no section heading, no withdrawn S3 encryption control.
    assert _ids("azure-storage-no-public-blob-access") >= {("cis-azure", "9.3.8", False)}
    assert not {c for c in _ids("azure-storage-no-public-blob-access") if c[0] == "cis-azure"} - {("cis-azure", "9.3.8", False)}
    assert {c[1] for c in _ids("azure-defender-plans") if c[0] == "cis-azure"} == {"8.1.6.1", "8.1.5.1", "8.1.8.1", "8.1.9.1"}
    assert all(c[2] for c in _ids("azure-defender-plans"))
    assert not [c for c in _ids("aws-s3-encrypted") if c[0] == "cis-aws"]
    assert ("cis-azure", "8.3.7", True) in _ids("azure-key-vault-private-in-prod")
    # PARTIAL rows say so.
    assert {(c[1], c[2]) for c in _ids("azure-diagnostic-settings")} == {("6.1.1.4", True), ("6.1.4", True)}
    assert not [c for c in _ids("aws-s3-access-logging") if c[0] == "cis-aws"]
    assert ("cis-aws", "4.4", False) in _ids("aws-cloudtrail-bucket-access-logging")
    # Additions: Azure key rotation, M365 for Entra, Checkov as a second framework.
    assert ("cis-azure", "8.3.9", True) in _ids("restricted-data-rotating-cmk")
    assert ("cis-aws", "4.6", True) in _ids("restricted-data-rotating-cmk")
    assert ("cis-m365", "5.2.2.2", False) in _ids("entra-mfa-for-all-users")
    assert ("cis-m365", "5.2.2.3", False) in _ids("entra-block-legacy-authentication")
    assert ("checkov", "CKV2_AZURE_40", False) in _ids("azure-storage-shared-key-disabled")
    assert ("cis-azure", "7.11", False) in _ids("azure-subnet-has-nsg")
    assert {c[1] for c in _ids("aws-cloudtrail-validated-and-encrypted")} >= {"4.2", "4.5"}


def test_titles_come_from_the_edition():
    assert cis_aws("2.14").title == 'Ensure IAM policies that allow full "*:*" administrative privileges are not attached'
    assert cis_azure("9.3.8").title == "Ensure that 'Allow Blob Anonymous Access' is Set to 'Disabled'"
    assert checkov("CKV_AWS_7").title == "Ensure rotation for customer created CMKs is enabled"
    assert CHECKOV.edition == "3.3.30"


def test_the_engine_receives_every_reference():
    from policies.pack import _control_tags, _framework, engine_policy

    many = [p for p in all_policies() if len(p.controls) > 1]
    assert many
    for p in all_policies():
        framework = _framework(p)
        if not p.controls:
            assert framework is None
            continue
        for ref in p.controls:
            assert ref.label in framework.specification, (p.name, ref.label)
            tag = f"{ref.benchmark.key}-{ref.benchmark.edition}:{ref.id}"
            assert any(t.startswith(tag) for t in _control_tags(p)), (p.name, tag)
        first = p.controls[0].benchmark
        assert framework.name == first.name and framework.version == first.edition
        assert set(framework.reference.replace(" (partial)", "").split(", ")) == {
            c.id for c in p.controls if c.benchmark == first}
    cmk = engine_policy(policies_by_name()["restricted-data-rotating-cmk"])
    assert "CIS Amazon Web Services Foundations v7.0.0 4.6" in cmk.framework.specification
    assert "CIS Microsoft Azure Foundations v6.0.0 8.3.9" in cmk.framework.specification


def test_policy_model_keeps_references_typed():
    p = policies_by_name()["aws-kms-key-rotation"]
    assert isinstance(p, Policy)
    described = p.describe()
    assert described["controls"] == ["CIS Amazon Web Services Foundations v7.0.0 4.6", "Checkov 3.3.30 CKV_AWS_7"]
    assert described["control_refs"][0] == {
        "framework": "CIS Amazon Web Services Foundations", "edition": "v7.0.0", "id": "4.6",
        "title": "Ensure rotation for customer-created symmetric CMKs is enabled", "partial": False,
        "partial_reason": None, "scope": [],
    }
