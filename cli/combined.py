"""The cross-stack policies over the environments `infra policy check --all` checked.

Each environment runs in its own process (cli/fanout.py) and writes the capture it checked to
a private folder the parent made (`--capture-file`, the same document `infra plan --format
json` prints, secrets already `[secret]`). The parent reads those captures back, builds each
stack's view and context from the same environment model, and evaluates the cross-stack
policies over all of them at once (policies.evaluate.evaluate_together). No program runs twice.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

from cli.policycheck import PolicyReport

COMBINED = "combined"
"""The name the combined check reports under (`policy-combined.<ext>` with --output-dir)."""


def read_capture(path: Path) -> Any:
    """The capture a child wrote, or None when it wrote none (it failed before checking)."""
    from cli.capture import Capture

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Capture.from_json(data) if isinstance(data, dict) else None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def check_and_keep(project: Any, env: Any, path: Path, *, use_cache: bool) -> PolicyReport:
    """`policycheck.check_environment`, also writing the capture it checked to `path` (for the parent)."""
    from cli.cache import environment_capture
    from cli.policycheck import check_capture
    from stacks.loader import stack_file

    capture = environment_capture(project, env, use_cache=use_cache)
    path.write_text(json.dumps(capture.to_json(), separators=(",", ":")), encoding="utf-8")
    path.chmod(0o600)
    return check_capture(capture, env, location=project.display(stack_file(project.stacks_dir, env.name)))


def check_together(captures: Sequence[tuple[Any, Any]], *, today: date | None = None,
                   location: str | None = None) -> PolicyReport:
    """The cross-stack policies over (capture, Environment) pairs, as one report named `combined`."""
    from policies.context import context_from_environment
    from policies.evaluate import evaluate_together
    from policies.views import stack_from_capture

    when = today or date.today()
    pairs = [(stack_from_capture(capture), context_from_environment(env, when)) for capture, env in captures]
    evaluation = evaluate_together(pairs)
    project = captures[0][0].project if captures else ""
    names = ", ".join(env.name for _, env in captures)
    return PolicyReport(environment=COMBINED, project=project, source=f"the captures of {names}, checked together",
                        evaluation=evaluation, location=location, today=when)


def check_all(project: Any, format: str, output: Path | None, output_dir: Path | None, parallel: int,
              no_cache: bool) -> int:
    """`infra policy check --all`: every environment in its own process, then the cross-stack check.

    The combined report goes where the environments' do: `<output_dir>/policy-combined.<ext>`,
    or stdout. Its exit code joins theirs (an error before a policy failure).
    """
    import tempfile

    import typer

    from cli import fanout
    from cli.context import load
    from cli.errors import ExitCode, InfraError
    from cli.output import emit
    from cli.render import policy as render

    names = fanout.environments(project)
    with tempfile.TemporaryDirectory(prefix="infra-captures-") as folder:
        keep = Path(folder)

        def args(name: str) -> list[str]:
            return ["policy", "check", "--env", name, "--format", format,
                    *fanout.output_args("policy", name, format, output, output_dir),
                    *(["--no-cache"] if no_cache else []), "--capture-file", str(keep / f"{name}.json")]

        runs = fanout.run_each(project.root, names, args, parallel)
        code = fanout.relay(runs)
        pairs, missing = [], []
        for name in names:
            capture = read_capture(keep / f"{name}.json")
            if capture is None or not capture.complete:
                missing.append(name)
                continue
            try:
                pairs.append((capture, load(project, name)))
            except InfraError:
                missing.append(name)
    if missing:
        typer.echo(f"[{COMBINED}] not checked together (no complete capture): {', '.join(missing)}", err=True)
    if len(pairs) < 2:
        typer.echo(f"[{COMBINED}] the cross-stack policies need at least two environments' captures", err=True)
        return code if code != ExitCode.OK or not missing else ExitCode.ERROR
    report = check_together(pairs, location=project.display(project.stacks_dir))
    text = {"table": render.render_table, "json": render.render_json, "markdown": render.render_markdown,
            "sarif": render.render_sarif}[format](report)
    target = None
    if output_dir is not None:
        target = output_dir / f"policy-{COMBINED}.{fanout.EXTENSIONS[format]}"
    emit(text, target)
    worst = fanout.combined_exit([*runs, fanout.EnvironmentRun(COMBINED, report.exit_code, "", "")])
    typer.echo(f"[{COMBINED}] cross-stack policies over {', '.join(env.name for _, env in pairs)}: "
               f"exit {report.exit_code}", err=True)
    if missing and worst == ExitCode.OK:
        return ExitCode.ERROR
    return worst
