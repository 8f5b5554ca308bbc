"""Translation of Automation API failures into typed errors with actionable text and exit codes."""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.automation import CommandResult
from pulumi.automation.errors import create_command_error

from cli.engine import errors as E
from cli.engine.events import fold
from cli.engine.masking import Masker
from cli.errors import ExitCode
from tests.engine.conftest import load_events

LOCK_STDERR = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or "
    "delete the lock file with `pulumi cancel`.\n"
    "  file:///work/main/.infra/state/.pulumi/locks/organization/civic-infra/dev/0b1c.json: "
    "created by dana@laptop (pid 4242) at 2026-11-22T10:00:00Z"
)


def command_error(stderr: str = "", stdout: str = "", code: int = 1):
    """The exception class the Automation API itself picks for this CLI output."""
    return create_command_error(CommandResult(stdout=stdout, stderr=stderr, code=code))


def translate(err, **kw):
    kw.setdefault("environment", "dev")
    kw.setdefault("action", "preview")
    return E.translate(err, **kw)


def test_locked_stack_says_who_and_how_to_cancel():
    err = command_error(LOCK_STDERR, code=255)
    assert type(err).__name__ == "ConcurrentUpdateError"
    out = translate(err)
    assert isinstance(out, E.StackLockedError) and out.exit_code == ExitCode.ERROR
    assert out.lines[0] == "stack dev is locked by dana@laptop (pid 4242) since 2026-11-22T10:00:00Z"
    assert "`infra cancel --env dev`" in out.lines[-1]


def test_pulumi_cloud_conflict_is_a_lock_too():
    out = translate(command_error("error: [409] Conflict: Another update is currently in progress.", code=1))
    assert isinstance(out, E.StackLockedError)
    assert "Pulumi Cloud" in out.lines[0]


def test_missing_stack_is_exit_6_and_names_the_backend():
    err = command_error("error: no stack named 'dev' found", code=6)
    assert type(err).__name__ == "StackNotFoundError"
    out = translate(err, backend="s3://caf-state")
    assert isinstance(out, E.StackMissingError) and out.exit_code == 6
    assert out.lines[0] == "stack dev does not exist in the backend s3://caf-state"


def test_program_error_names_file_and_line_inside_the_project(tmp_path: Path):
    stdout = (
        "Diagnostics:\n  pulumi:pulumi:Stack (civic-infra-dev):\n"
        "    error: Program failed with an unhandled exception:\n"
        "    Traceback (most recent call last):\n"
        f'      File "{tmp_path}/components/platform/__main__.py", line 9, in <module>\n'
        f'      File "{tmp_path}/components/aws/data_lake.py", line 42, in __init__\n'
        '      File "/work/main/.venv/lib/python3.11/site-packages/pulumi/output.py", line 100, in apply\n'
        "    KeyError: 'retention_days'\n"
    )
    err = command_error("error: an unhandled error occurred: Program exited with non-zero exit code: 1", stdout, code=1)
    assert type(err).__name__ == "RuntimeError"
    out = translate(err, project_root=tmp_path)
    assert isinstance(out, E.ProgramFailedError)
    assert out.lines[0] == "the program failed for dev at components/aws/data_lake.py:42: KeyError: 'retention_days'"
    assert "infra plan --env dev" in out.lines[1]


def test_mandatory_policy_violation_from_events_is_exit_5():
    summary = fold(load_events("preview_policy_mandatory.jsonl"))
    out = translate(command_error("error: preview failed", code=1), summary=summary)
    assert isinstance(out, E.PolicyFailedError) and out.exit_code == 5
    assert "s3-public-access-block" in out.lines[1] and out.lines[1].strip().startswith("s3-public-access-block: urn:pulumi:dev")


def test_failed_resource_operation_is_exit_4_with_the_provider_message():
    summary = fold(load_events("up_failed.jsonl"))
    out = translate(command_error("error: update failed", code=1), action="deploy", summary=summary)
    assert isinstance(out, E.ResourceFailedError) and out.exit_code == 4
    assert "voter-db" in out.lines[1] and "InvalidParameterCombination" in out.lines[1]


def test_auth_failure_is_exit_3():
    stderr = "error: unable to validate AWS credentials: NoCredentialProviders: no valid providers in chain"
    out = translate(command_error(stderr, code=1))
    assert isinstance(out, E.AuthFailedError) and out.exit_code == 3
    assert "NoCredentialProviders" in out.lines[1]


@pytest.mark.parametrize(
    ("code", "cls"),
    [(2, E.EngineConfigError), (3, E.AuthFailedError), (7, E.ChangesDetectedError), (8, E.CancelledError), (9, E.EngineError)],
)
def test_cli_exit_codes_map_to_types(code, cls):
    out = translate(command_error(f"error: something (exit {code})", code=code))
    assert type(out) is cls
    assert out.exit_code == (code if code != 9 else ExitCode.ERROR)


def test_old_cli_text_for_no_changes_is_exit_7():
    out = translate(command_error("error: no changes were expected but changes occurred", code=255))
    assert isinstance(out, E.ChangesDetectedError) and out.exit_code == 7


def test_secrets_are_scrubbed_from_every_message():
    masker = Masker(environ={"PULUMI_CONFIG_PASSPHRASE": "fixture-passphrase-000"})
    out = translate(command_error("error: decrypting: passphrase fixture-passphrase-000 is wrong", code=1), masker=masker)
    assert all("fixture-passphrase-000" not in line for line in out.lines)
    assert "[secret]" in out.lines[0]


def test_missing_binary_and_plain_exceptions():
    assert isinstance(translate(FileNotFoundError(2, "No such file or directory", "pulumi")), E.PulumiMissingError)
    out = translate(ValueError("summary event never found"))
    assert type(out) is E.EngineError and out.exit_code == 1
    assert out.lines == ["preview for dev failed: summary event never found"]


def test_command_text_parses_the_automation_api_message():
    text = E.CommandText.of(command_error("the-stderr", "the-stdout", code=5))
    assert (text.code, text.stdout, text.stderr) == (5, "the-stdout", "the-stderr")


def test_an_unrecognised_failure_still_shows_the_clis_last_lines_scrubbed():
    masker = Masker(environ={"PULUMI_CONFIG_PASSPHRASE": "fixture-passphrase-not-real-0042"})
    stderr = "warning: something odd\nplugin crashed while loading\npassphrase was fixture-passphrase-not-real-0042\nexit status 3"
    out = translate(command_error(stderr, code=42), action="opening the stack", masker=masker)
    assert out.lines == [
        "opening the stack for dev failed (pulumi exited with 42): warning: something odd",
        "  plugin crashed while loading",
        "  passphrase was [secret]",
        "  exit status 3",
    ]
