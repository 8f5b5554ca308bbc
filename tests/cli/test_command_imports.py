"""Light commands stay light: what `policy list`, `validate`, `envs` and `--help` import."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from cli.main import app
from tests.conftest import REPO

PROBE = """
import json, sys
from typer.testing import CliRunner
from cli.main import app
result = CliRunner().invoke(app, json.loads(sys.argv[1]))
tops = sorted({m.split('.')[0] for m in sys.modules} & {'email_validator', 'rich', 'pulumi', 'pulumi_aws',
              'pulumi_azure_native', 'pulumi_azuread', 'pulumi_policy', 'grpc'})
print(json.dumps({"code": result.exit_code, "imported": tops}))
"""


def imported(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], cwd=REPO, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("args", [
    ["policy", "list", "--format", "json"],
    ["policy", "list", "--format", "markdown"],
    ["validate", "--env", "dev"],
    ["validate", "--all"],
    ["envs"],
    ["envs", "--format", "json"],
], ids=" ".join)
def test_light_commands_import_neither_email_validator_nor_rich(args):
    assert imported(args) == {"code": 0, "imported": []}


def test_policy_list_table_prints_with_rich_and_still_no_email_validator():
    assert imported(["policy", "list"]) == {"code": 0, "imported": ["rich"]}


def test_invalid_email_is_still_refused_with_its_key(tmp_project, values):
    from tests.conftest import write_stack

    values["organization"]["owners"][0]["email"] = "two@@example.org"
    write_stack(tmp_project / "stacks", "dev", values)
    result = CliRunner().invoke(app, ["--cwd", str(tmp_project), "validate", "--env", "dev"])
    assert result.exit_code == 2
    assert "infra:organization.owners[0].email: is not a valid email address" in result.output


@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_fast_root_help_is_the_full_help(flag):
    env = {"PATH": "/usr/bin:/bin", "COLUMNS": "100"}

    def output(code: str) -> tuple[int, str]:
        done = subprocess.run([sys.executable, "-c", code, flag], cwd=REPO, capture_output=True, text=True, env=env)
        return done.returncode, done.stdout

    fast = output("from cli.main import run; run()")
    full = output("from cli.main import app; app(prog_name='infra')")
    assert fast == full
    assert fast[0] == 0 and "policy" in fast[1] and "compliance" in fast[1]


def test_console_script_help_uses_the_fast_path():
    probe = ("import sys; sys.argv = ['infra', '--help']\n"
             "import cli.main as m\n"
             "built = []\n"
             "import typer.main as t\n"
             "orig = t.get_command_from_info\n"
             "t.get_command_from_info = lambda *a, **k: built.append(1) or orig(*a, **k)\n"
             "try:\n    m.run()\nexcept SystemExit as e:\n    print('exit', e.code, 'built', len(built))\n")
    out = subprocess.run([sys.executable, "-c", probe], cwd=REPO, capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "exit 0 built 0"
