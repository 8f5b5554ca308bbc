"""`infra --help` must not import Pulumi or any provider package."""

from __future__ import annotations

import json
import subprocess
import sys

from tests.conftest import REPO

PROBE = """
import json, sys
from typer.testing import CliRunner
from cli.main import app
result = CliRunner().invoke(app, {args!r})
heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('pulumi', 'pulumi_aws', 'pulumi_azure_native', 'pulumi_azuread', 'pulumi_policy', 'grpc'))
print(json.dumps({{"code": result.exit_code, "heavy": heavy}}))
"""


def probe(args: list[str]) -> dict:
    out = subprocess.run([sys.executable, "-c", PROBE.format(args=args)], cwd=REPO, capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def test_root_help_imports_no_pulumi():
    result = probe(["--help"])
    assert result == {"code": 0, "heavy": []}


def test_every_command_help_imports_no_pulumi():
    from typer.main import get_command

    from cli.main import app

    root = get_command(app)
    paths = []
    for name, cmd in root.commands.items():
        paths.append([name, "--help"])
        for sub in getattr(cmd, "commands", {}):
            paths.append([name, sub, "--help"])
    for args in paths:
        assert probe(args) == {"code": 0, "heavy": []}, args
