"""Preflight of the tenant stack: it needs AWS (each environment's account) and a GitHub token too."""

from __future__ import annotations

import pytest

from cli.engine import preflight
from cli.project import find_project
from tests.conftest import REPO


def test_the_tenant_stack_needs_aws_and_github_credentials():
    raw = preflight.raw_settings(find_project(REPO), "tenant")
    assert raw.clouds == ("azure", "aws", "github")
    assert preflight.raw_settings(find_project(REPO), "dev").clouds == ("azure", "aws")


def test_a_missing_github_token_is_named_and_a_set_one_passes():
    probes = preflight.Probes(env={})
    assert preflight.github_missing(probes) and "GITHUB_TOKEN" in preflight.github_missing(probes)[0]
    assert preflight.github_missing(preflight.Probes(env={"GITHUB_TOKEN": "x"})) == []
    backend = preflight.Backend("file:///tmp/state", "default")
    with pytest.raises(preflight.CredentialsMissingError) as err:
        preflight.check_credentials(("github",), "default", backend, probes)
    assert any("GITHUB_TOKEN" in line for line in err.value.lines)


def test_the_tenant_stack_needs_its_named_aws_profiles_not_ambient_credentials(tmp_path):
    from components.platform.tenant import tenant_aws_profile
    from stacks.loader import load_environment
    from tests.conftest import TODAY

    raw = preflight.raw_settings(find_project(REPO), "tenant")
    tenant = load_environment(REPO / "stacks", "tenant", today=TODAY)
    members = [load_environment(REPO / "stacks", n, today=TODAY) for n in ("dev", "staging", "prod")]
    assert raw.aws_profiles == tuple(tenant_aws_profile(tenant, m) for m in members)
    assert preflight.raw_settings(find_project(REPO), "dev").aws_profiles == ()
    backend = preflight.Backend("file:///tmp/state", "default")
    config = tmp_path / "config"
    config.write_text("[profile caf-tenant-dev]\nrole_arn = x\n", encoding="utf-8")
    probes = preflight.Probes(env={"AWS_CONFIG_FILE": str(config), "GITHUB_TOKEN": "x"}, home=tmp_path)
    with pytest.raises(preflight.CredentialsMissingError) as err:
        preflight.check_credentials(("aws", "github"), "default", backend, probes, aws_profiles=raw.aws_profiles)
    missing = [line for line in err.value.lines if "profile" in line]
    assert len(missing) == 2 and "caf-tenant-staging" in missing[0] and "caf-tenant-prod" in missing[1]
    config.write_text("".join(f"[profile {p}]\nrole_arn = x\n" for p in raw.aws_profiles), encoding="utf-8")
    preflight.check_credentials(("aws", "github"), "default", backend, probes, aws_profiles=raw.aws_profiles)
