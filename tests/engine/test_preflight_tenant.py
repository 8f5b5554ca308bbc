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
