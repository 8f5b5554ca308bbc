"""Policy config in the environment: unknown policy names are config errors before anything runs,
the classification vocabulary and the rest travel to both adapters."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from typer.testing import CliRunner

from cli.main import app
from policies.context import Context, context_from_environment
from tests.conftest import minimal_values, write_stack


def _validate(project: Path, policy: dict):
    (project / "program").mkdir(exist_ok=True)
    # A program that would fail if it ran: validation must not run it.
    (project / "program" / "__main__.py").write_text("raise SystemExit('the program ran')\n", encoding="utf-8")
    write_stack(project / "stacks", "dev", {**minimal_values(), "policy": policy})
    return CliRunner().invoke(app, ["--cwd", str(project), "validate", "--env", "dev"])


def test_unknown_policy_names_are_config_errors_with_file_and_key(tmp_project: Path):
    result = _validate(tmp_project, {
        "enforcement": {"required-tagz": "advisory"},
        "exemptions": [{"policy": "aws-s3-versioningg", "resource": "logs-*",
                        "justification": "log objects never change", "expires": "2026-12-01"}],
    })
    assert result.exit_code == 2, result.output
    out = result.output
    assert "Pulumi.dev.yaml: infra:policy.enforcement.required-tagz: names no policy" in out
    assert "Pulumi.dev.yaml: infra:policy.exemptions[0].policy: names no policy, got 'aws-s3-versioningg'" in out
    assert "infra policy list" in out
    assert "the program ran" not in out


def test_known_policy_names_validate(tmp_project: Path):
    result = _validate(tmp_project, {"enforcement": {"required-tags": "advisory"}})
    assert result.exit_code == 0, result.output


def test_classification_config_reaches_the_context_and_the_engine_config(tmp_project: Path):
    from stacks.model import Environment

    env = Environment.model_validate({"name": "dev", **minimal_values(), "policy": {
        "classifications": ["open", "secret"], "sensitive_classifications": ["secret"],
        "naming": {"Bucket": "^[a-z]+-dev-[a-z]+$"}, "teams": ["data-team"], "internet_ingress_ports": [443]}})
    ctx = context_from_environment(env, date(2026, 11, 22))
    assert ctx.classifications == ("open", "secret") and ctx.is_sensitive("secret") and not ctx.is_sensitive("open")
    assert ctx.cost_centers and ctx.teams == ("data-team",) and ctx.internet_ingress_ports == (443,)
    again = Context.from_config(ctx.to_config(), stack="dev", today=date(2026, 11, 22))
    assert again == ctx


def test_defaults_are_the_four_level_scheme():
    ctx = Context()
    assert ctx.classifications == ("public", "internal", "confidential", "restricted")
    assert ctx.sensitive_classifications == ("confidential", "restricted")
    assert Context.from_config({"tier": "staging"}).sensitive_classifications == ("confidential", "restricted")


def test_sensitive_levels_must_be_classifications():
    import pytest
    from pydantic import ValidationError

    from stacks.model import PolicySettings

    with pytest.raises(ValidationError, match="not in classifications"):
        PolicySettings(classifications=["open", "closed"], sensitive_classifications=["secret"])


def test_vendor_access_package_switch_reaches_the_context_and_the_engine_config():
    """identity.vendor_access_packages_enabled travels to the engine; missing means enforced (issue 11)."""
    from stacks.model import Environment

    values = minimal_values()
    values["identity"] = {**values["identity"], "vendor_access_packages_enabled": False}
    env = Environment.model_validate({"name": "dev", **values})
    ctx = context_from_environment(env, date(2026, 11, 22))
    assert ctx.vendor_access_packages is False
    assert Context.from_config(ctx.to_config(), stack="dev", today=date(2026, 11, 22)) == ctx
    on = context_from_environment(Environment.model_validate({"name": "dev", **minimal_values()}), date(2026, 11, 22))
    assert on.vendor_access_packages is True
    assert Context.from_config({"tier": "production"}).vendor_access_packages is True


def test_tenant_context_names_the_owned_environments_whose_packages_are_off(tmp_path, monkeypatch):
    """The tenant stack judges each environment's vendor groups by that environment's own switch."""
    import shutil

    import stacks.members
    from stacks.loader import load_environment
    from tests.conftest import REPO

    for name in ("tenant", "dev", "staging", "prod"):
        shutil.copy(REPO / "stacks" / f"Pulumi.{name}.yaml", tmp_path / f"Pulumi.{name}.yaml")
    dev = tmp_path / "Pulumi.dev.yaml"
    text = dev.read_text(encoding="utf-8")
    assert "  infra:identity:\n" in text
    dev.write_text(text.replace("  infra:identity:\n", "  infra:identity:\n    vendor_access_packages_enabled: false\n", 1),
                   encoding="utf-8")
    tenant = load_environment(tmp_path, "tenant", today=date(2026, 11, 22))
    monkeypatch.setattr(stacks.members, "STACKS_DIR", tmp_path)
    ctx = context_from_environment(tenant, date(2026, 11, 22))
    assert ctx.vendor_access_packages_off == ("dev",)
    assert Context.from_config(ctx.to_config(), stack="tenant", today=date(2026, 11, 22)) == ctx
    monkeypatch.setattr(stacks.members, "STACKS_DIR", REPO / "stacks")
    assert context_from_environment(tenant, date(2026, 11, 22)).vendor_access_packages_off == ()
    # The tenant stack's own switch (it has no vendors) cannot turn the checks off for every environment.
    quiet = tenant.model_copy(update={"identity": tenant.identity.model_copy(
        update={"vendor_access_packages_enabled": False})})
    assert context_from_environment(quiet, date(2026, 11, 22)).vendor_access_packages is True
