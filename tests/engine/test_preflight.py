"""Preflight gates in order, each over fake probes (which / env / run / home)."""

from __future__ import annotations

import json
import sys
import types
from pathlib import Path

import pytest

from cli.engine import errors as E
from cli.engine import preflight
from cli.errors import ExitCode, UsageError
from tests.engine.conftest import GOOD_ENV, FakeMachine


def backend(url="file:///tmp/state", source="default"):
    return preflight.Backend(url, source)


# --- gate 1 ---------------------------------------------------------------------------


def test_missing_cli_says_how_to_install(machine: FakeMachine):
    machine.binaries = {}
    with pytest.raises(E.PulumiMissingError) as err:
        preflight.check_cli(machine.probes())
    assert err.value.exit_code == ExitCode.ERROR
    text = "\n".join(err.value.lines)
    assert "get.pulumi.com" in text and "brew install pulumi/tap/pulumi" in text and "3.226.1" in text
    assert machine.runs == []


def test_missing_cli_with_a_real_empty_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(E.PulumiMissingError):
        preflight.check_cli(preflight.Probes())


@pytest.mark.parametrize(("output", "ok"), [("v3.230.0", True), ("v3.226.1", True), ("v3.226.0", False), ("v3.100.2-dev.0", False), ("v4.0.0", True)])
def test_minimum_version(machine: FakeMachine, output: str, ok: bool):
    machine.version = output
    if ok:
        info = preflight.check_cli(machine.probes())
        assert info.path == "/fake/bin/pulumi" and info.version_text == output.lstrip("v").split("-")[0]
    else:
        with pytest.raises(E.PulumiVersionError) as err:
            preflight.check_cli(machine.probes())
        assert "too old" in err.value.lines[0]


def test_unreadable_version(machine: FakeMachine):
    machine.version = "garbage"
    with pytest.raises(E.PulumiVersionError):
        preflight.check_cli(machine.probes())


# --- backend and secrets provider resolution ------------------------------------------


def test_backend_precedence(project):
    env = {"PULUMI_BACKEND_URL": "s3://from-env"}
    assert preflight.resolve_backend("azblob://flag", env, "s3://configured", project) == preflight.Backend("azblob://flag", "--backend")
    assert preflight.resolve_backend(None, env, "s3://configured", project) == preflight.Backend("s3://from-env", "PULUMI_BACKEND_URL")
    assert preflight.resolve_backend(None, {}, "s3://configured", project).source == "infra:deployment.backend_url"
    default = preflight.resolve_backend(None, {}, None, project)
    assert default == preflight.Backend(f"file://{(project.root / '.infra' / 'state').resolve()}", "default")
    assert default.local_path == (project.root / ".infra" / "state").resolve()
    assert preflight.Backend("https://api.pulumi.com", "x").kind == "cloud"


def test_unsupported_backend_and_secrets_provider_are_config_errors(project):
    with pytest.raises(E.EngineConfigError) as err:
        preflight.resolve_backend("ftp://nope", {}, None, project)
    assert err.value.exit_code == 2
    assert preflight.resolve_secrets_provider(None) == "passphrase"
    assert preflight.resolve_secrets_provider("awskms://alias/civic?region=us-east-1").startswith("awskms://")
    with pytest.raises(E.EngineConfigError):
        preflight.resolve_secrets_provider("vault-of-my-own://x")


# --- gate 2 ---------------------------------------------------------------------------


def test_backend_is_asked_with_its_url(machine: FakeMachine, tmp_path: Path):
    cli = preflight.check_cli(machine.probes())
    preflight.check_backend(backend(f"file://{tmp_path}"), machine.probes(), cli)
    args, extra = machine.runs[-1]
    assert args == ["/fake/bin/pulumi", "whoami", "--non-interactive"]
    assert extra == {"PULUMI_BACKEND_URL": f"file://{tmp_path}", "PULUMI_SKIP_UPDATE_CHECK": "true"}


def test_backend_login_missing_is_auth(machine: FakeMachine):
    machine.whoami = preflight.RunResult(255, "", "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions")
    cli = preflight.check_cli(machine.probes())
    with pytest.raises(E.BackendAuthError) as err:
        preflight.check_backend(backend("https://api.pulumi.com", "PULUMI_BACKEND_URL"), machine.probes(), cli)
    assert err.value.exit_code == 3
    assert "PULUMI_ACCESS_TOKEN" in err.value.lines[1]


def test_backend_unreachable_is_generic_and_hides_query(machine: FakeMachine):
    machine.whoami = preflight.RunResult(255, "", 'error: read ".pulumi/meta.yaml": dial tcp 127.0.0.1:9: connection refused')
    cli = preflight.check_cli(machine.probes())
    with pytest.raises(E.BackendUnreachableError) as err:
        preflight.check_backend(backend("s3://caf-state?endpoint=127.0.0.1:9&accessKey=x", "--backend"), machine.probes(), cli)
    assert err.value.exit_code == 1
    assert "s3://caf-state (from --backend)" in err.value.lines[0] and "accessKey" not in err.value.lines[0]


def test_locked_file_backend_says_who(tmp_path: Path):
    state = tmp_path / "state"
    locks = state / ".pulumi" / "locks" / "organization" / "civic-infra" / "prod"
    locks.mkdir(parents=True)
    (locks / "9f0c.json").write_text(json.dumps({"pid": 4242, "username": "dana", "hostname": "laptop", "timestamp": "2026-11-22T10:00:00Z"}))
    with pytest.raises(E.StackLockedError) as err:
        preflight.check_lock(backend(f"file://{state}"), "civic-infra", "prod")
    assert err.value.lines[0] == "stack prod is locked by dana@laptop (pid 4242) since 2026-11-22T10:00:00Z"
    assert "`infra cancel --env prod`" in err.value.lines[-1]
    preflight.check_lock(backend(f"file://{state}"), "civic-infra", "dev")  # another stack is free
    preflight.check_lock(backend("s3://caf-state"), "civic-infra", "prod")  # remote locks surface when the engine starts


# --- gate 3 ---------------------------------------------------------------------------


def test_clean_environment_reports_every_missing_item_at_once(machine: FakeMachine):
    machine.env = {}
    with pytest.raises(E.CredentialsMissingError) as err:
        preflight.check_credentials(("azure", "aws"), "passphrase", backend(), machine.probes())
    assert err.value.exit_code == 3
    items = err.value.lines[1:]
    assert len(items) == 3
    assert items[0].strip().startswith("secrets: PULUMI_CONFIG_PASSPHRASE or PULUMI_CONFIG_PASSPHRASE_FILE is not set")
    assert items[1].strip().startswith("azure: no credentials: the az CLI is not installed")
    assert items[2].strip().startswith("aws: no credentials: set AWS_PROFILE")


def test_partial_service_principal_lists_each_missing_variable(machine: FakeMachine):
    machine.env = {"PULUMI_CONFIG_PASSPHRASE": "x" * 8, "ARM_CLIENT_ID": "00000000-0000-0000-0000-00000000c001", "AWS_ACCESS_KEY_ID": "id"}
    with pytest.raises(E.CredentialsMissingError) as err:
        preflight.check_credentials(("azure", "aws"), "passphrase", backend(), machine.probes())
    assert [line.strip() for line in err.value.lines[1:]] == [
        "azure: ARM_TENANT_ID is not set",
        "azure: ARM_SUBSCRIPTION_ID is not set",
        "azure: ARM_CLIENT_SECRET is not set (or use OIDC: ARM_USE_OIDC=true in GitHub Actions)",
        "aws: AWS_SECRET_ACCESS_KEY is not set",
    ]


def test_github_oidc_is_accepted_and_its_missing_token_reported(machine: FakeMachine, tmp_path: Path):
    token = tmp_path / "token"
    token.write_text("jwt")
    oidc = {
        "PULUMI_CONFIG_PASSPHRASE_FILE": str(token),
        "ARM_USE_OIDC": "true", "ARM_CLIENT_ID": "c", "ARM_TENANT_ID": "t", "ARM_SUBSCRIPTION_ID": "s",
        "ACTIONS_ID_TOKEN_REQUEST_URL": "https://token.example.org", "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "r",
        "AWS_ROLE_ARN": "arn:aws:iam::000000000001:role/deploy", "AWS_WEB_IDENTITY_TOKEN_FILE": str(token),
    }
    machine.env = oidc
    preflight.check_credentials(("azure", "aws"), "passphrase", backend(), machine.probes())
    machine.env = {k: v for k, v in oidc.items() if not k.startswith("ACTIONS_")} | {"AWS_WEB_IDENTITY_TOKEN_FILE": str(tmp_path / "gone")}
    with pytest.raises(E.CredentialsMissingError) as err:
        preflight.check_credentials(("azure", "aws"), "passphrase", backend(), machine.probes())
    text = "\n".join(err.value.lines)
    assert "ARM_USE_OIDC=true but no OIDC token" in text and "id-token: write" in text
    assert f"AWS_WEB_IDENTITY_TOKEN_FILE {tmp_path / 'gone'} does not exist" in text


def test_az_login_and_aws_profiles_from_files(machine: FakeMachine, tmp_path: Path):
    aws = machine.home / ".aws"
    aws.mkdir(parents=True)
    (aws / "config").write_text("[profile caf-dev]\nsso_session = caf\n")
    machine.binaries["az"] = "/fake/bin/az"
    machine.env = {"PULUMI_CONFIG_PASSPHRASE": "x" * 8, "AWS_PROFILE": "caf-dev"}
    preflight.check_credentials(("azure", "aws"), "passphrase", backend(), machine.probes())
    assert ["az", "account", "show", "--output", "none"] in [r[0] for r in machine.runs]
    machine.az_account = preflight.RunResult(1, "", "Please run 'az login' to setup account.")
    machine.env["AWS_PROFILE"] = "caf-prod"
    with pytest.raises(E.CredentialsMissingError) as err:
        preflight.check_credentials(("azure", "aws"), "passphrase", backend(), machine.probes())
    text = "\n".join(err.value.lines)
    assert "azure: the az CLI is not signed in; run `az login`" in text
    assert "aws: AWS_PROFILE=caf-prod is not a profile" in text


def test_backend_and_secrets_provider_add_their_clouds(machine: FakeMachine):
    machine.env = {"AZURE_STORAGE_ACCOUNT": "cafstate"}
    with pytest.raises(E.CredentialsMissingError) as err:
        preflight.check_credentials((), "awskms://alias/civic?region=us-east-1", backend("s3://caf-state", "--backend"), machine.probes())
    assert [line.strip()[:4] for line in err.value.lines[1:]] == ["aws:"]  # no passphrase needed with KMS
    machine.env = {"PULUMI_CONFIG_PASSPHRASE": "x" * 8}
    with pytest.raises(E.CredentialsMissingError) as err:
        preflight.check_credentials((), "passphrase", backend("azblob://state", "--backend"), machine.probes())
    assert [line.strip() for line in err.value.lines[1:]] == [
        "backend: AZURE_STORAGE_ACCOUNT is not set (the azblob:// backend needs the storage account name)"
    ]
    preflight.check_credentials((), "passphrase", backend("azblob://state?storage_account=cafstate", "--backend"), machine.probes())


def test_empty_passphrase_is_refused(machine: FakeMachine):
    machine.env = {"PULUMI_CONFIG_PASSPHRASE": ""}
    with pytest.raises(E.CredentialsMissingError) as err:
        preflight.check_credentials((), "passphrase", backend(), machine.probes())
    assert "is empty" in err.value.lines[1]


# --- gates 4, 5 and the order ---------------------------------------------------------


def test_gates_run_in_order_and_stop_at_the_first_failure(project, machine: FakeMachine):
    stack = project.stacks_dir / "Pulumi.dev.yaml"
    stack.write_text(stack.read_text().replace("tier: development", "tier: developmnt"))
    machine.env = {}
    with pytest.raises(E.CredentialsMissingError):  # gate 3 fails before gate 4 (config) is reached
        preflight.run(project, "dev", probes=machine.probes(), gates=preflight.ALL_GATES)
    machine.env = dict(GOOD_ENV)
    with pytest.raises(UsageError) as err:
        preflight.run(project, "dev", probes=machine.probes(), gates=preflight.ALL_GATES)
    assert err.value.exit_code == 2 and "infra:tier" in err.value.lines[0]
    machine.binaries = {}
    with pytest.raises(E.PulumiMissingError):
        preflight.run(project, "dev", probes=machine.probes())


def test_all_gates_pass_and_the_local_state_dir_is_created(project, machine: FakeMachine, policy_calls):
    pf = preflight.run(project, "dev", probes=machine.probes())
    assert pf.environment.name == "dev" and pf.secrets_provider == "passphrase"
    assert pf.backend.source == "default" and (project.root / ".infra" / "state").is_dir()
    assert policy_calls == [("check_policy", "dev")]
    assert [args for args, _ in machine.runs] == [["/fake/bin/pulumi", "version"], ["/fake/bin/pulumi", "whoami", "--non-interactive"]]


def test_offline_policy_gate_blocks_with_exit_5(project, monkeypatch: pytest.MonkeyPatch):
    from cli.context import load

    env = load(project, "dev")
    finding = types.SimpleNamespace(policy="rds-encrypted", severity="high", enforcement="mandatory", urn="urn:x",
                                    message="not encrypted", exempted=False, blocking=True)
    advisory = types.SimpleNamespace(policy="required-tags", severity="low", enforcement="advisory", urn="urn:y",
                                     message="tags", exempted=False, blocking=False)
    fake = types.ModuleType("cli.policycheck")
    seen = []
    fake.check_environment = lambda p, e: seen.append((p.root, e.name)) or types.SimpleNamespace(findings=[finding, advisory], blocking=True)
    monkeypatch.setitem(sys.modules, "cli.policycheck", fake)
    with pytest.raises(E.PolicyFailedError) as err:
        preflight.check_policy(project, env)
    assert seen == [(project.root, "dev")]
    assert err.value.exit_code == 5
    assert err.value.lines[1] == "  rds-encrypted: urn:x: not encrypted"
    assert "nothing was started" in err.value.lines[-1]
    fake.check_environment = lambda p, e: types.SimpleNamespace(findings=[advisory], blocking=False)
    preflight.check_policy(project, env)
