"""The pack as the engine runs it: `policies/__main__.py` starts pulumi_policy's analyzer
server; we talk to it over gRPC exactly as `pulumi preview --policy-pack policies` would."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import grpc
import pytest
import yaml
from google.protobuf import empty_pb2, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc

from policies.catalog import all_policies

REPO = Path(__file__).resolve().parents[2]


def test_pulumi_policy_yaml_is_a_python_pack_using_the_project_venv():
    doc = yaml.safe_load((REPO / "policies" / "PulumiPolicy.yaml").read_text())
    assert doc["runtime"]["name"] == "python"
    assert (REPO / "policies" / doc["runtime"]["options"]["virtualenv"] / "bin" / "python").exists()
    assert doc["version"]


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory):
    proc = subprocess.Popen(
        [sys.executable, "-u", str(REPO / "policies" / "__main__.py")],
        cwd=tmp_path_factory.mktemp("elsewhere"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        port = int(proc.stdout.readline().strip())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=30)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _struct(data: dict) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    s.update(data)
    return s


def test_analyzer_info_lists_every_policy(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty())
    assert info.name == "civic-infra"
    assert [p.name for p in info.policies] == [p.name for p in all_policies()]
    by_name = {p.name: p for p in info.policies}
    assert by_name["aws-s3-encrypted"].policy_type == analyzer_pb2.POLICY_TYPE_STACK
    assert by_name["azure-storage-min-tls-1-2"].policy_type == analyzer_pb2.POLICY_TYPE_RESOURCE
    tls = by_name["azure-storage-min-tls-1-2"].framework
    assert (tls.name, tls.version, tls.reference) == ("CIS Microsoft Azure Foundations", "v6.0.0", "9.3.6")
    assert "Checkov 3.3.30 CKV_AZURE_44" in tls.specification
    # Over the wire too, every reference of every framework arrives.
    cmk = by_name["restricted-data-rotating-cmk"]
    assert "CIS Amazon Web Services Foundations v7.0.0 4.6 (partial)" in cmk.framework.specification
    assert "cis-aws-v7.0.0:4.6:partial" in cmk.tags
    assert by_name["azure-storage-min-tls-1-2"].remediation_steps


def _configure(analyzer, context: dict, levels: dict[str, int]) -> None:
    request = analyzer_pb2.ConfigureAnalyzerRequest()
    for name, level in levels.items():
        request.policyConfig[name].CopyFrom(
            analyzer_pb2.PolicyConfig(enforcementLevel=level, properties=_struct({"context": context}))
        )
    analyzer.Configure(request)


def test_resource_and_stack_validation_over_grpc(analyzer):
    context = {"environment": "dev", "tier": "development", "clouds": ["aws"], "today": "2026-11-22",
               "exemptions": [], "enforcement": {}}
    _configure(analyzer, context, {p.name: analyzer_pb2.MANDATORY for p in all_policies()})
    urn = "urn:pulumi:dev::demo::azure-native:storage:StorageAccount::exports"
    response = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
        type="azure-native:storage:StorageAccount", urn=urn, name="exports",
        properties=_struct({"minimumTlsVersion": "TLS1_0", "allowSharedKeyAccess": False, "location": "eastus2",
                            "tags": {"owner": "it@example.org", "environment": "dev", "cost-center": "c", "data-classification": "internal"}}),
    ))
    names = sorted(d.policyName for d in response.diagnostics)
    assert names == ["azure-storage-min-tls-1-2"]
    assert "minimumTlsVersion is 'TLS1_0'" in response.diagnostics[0].message
    # An unknown value (first preview) is never a violation.
    unknown = analyzer.Analyze(analyzer_pb2.AnalyzeRequest(
        type="azure-native:storage:StorageAccount", urn=urn, name="exports",
        properties=_struct({"minimumTlsVersion": "04da6b54-80e4-46f7-96ec-b56ff0331ba9", "allowSharedKeyAccess": False}),
    ))
    assert [d.policyName for d in unknown.diagnostics if d.policyName.startswith("azure-storage")] == []

    bucket = "urn:pulumi:dev::demo::aws:s3/bucket:Bucket::raw"
    sse = "urn:pulumi:dev::demo::aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration::raw-sse"
    stack = analyzer.AnalyzeStack(analyzer_pb2.AnalyzeStackRequest(resources=[
        analyzer_pb2.AnalyzerResource(type="aws:s3/bucket:Bucket", urn=bucket, name="raw", properties=_struct({"bucket": "raw"})),
        analyzer_pb2.AnalyzerResource(
            type="aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration", urn=sse,
            name="raw-sse", properties=_struct({"bucket": "raw", "rules": [{"applyServerSideEncryptionByDefault": {"sseAlgorithm": "AES256"}}]}),
            propertyDependencies={"bucket": analyzer_pb2.AnalyzerPropertyDependencies(urns=[bucket])},
            dependencies=[bucket],
        ),
    ]))
    failing = {(d.policyName, d.urn) for d in stack.diagnostics}
    assert ("aws-s3-encrypted", bucket) not in failing
    assert ("aws-s3-public-access-blocked", bucket) in failing
    assert ("aws-s3-versioning", bucket) in failing
    assert ("aws-guardduty-enabled", "") in failing  # about the stack as a whole
    assert json.dumps([d.message for d in stack.diagnostics])  # plain text
