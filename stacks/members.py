"""The environments a tenant stack owns (`tenant.environments`), read from their own stack files.

One reader for the tenant program (components/platform/tenant.py) and the policy context
(policies/context.py), so both see the same models. No Pulumi import: the context is built
before any engine starts.
"""

from __future__ import annotations

from pathlib import Path

from stacks.model import Environment

STACKS_DIR = Path(__file__).resolve().parent


def read_members(env: Environment, stacks_dir: Path | None = None) -> tuple[dict[str, Environment], list[str]]:
    """The validated models of `env.tenant.environments` (from `stacks_dir`, this folder when omitted),
    and one `file: problem` line per one that is not."""
    from stacks.loader import ConfigError, infra_namespace, read_config, stack_file, validate_values

    stacks_dir = stacks_dir or STACKS_DIR
    out: dict[str, Environment] = {}
    problems: list[str] = []
    for name in env.tenant.environments if env.tenant is not None else ():
        path = stack_file(stacks_dir, name)
        try:
            values = infra_namespace(read_config(path, f"stacks/{path.name}"))
        except ConfigError as err:
            problems.extend(err.lines)
            continue
        model, found = validate_values(name, values)
        if model is None:
            problems.extend(p.render(f"stacks/{path.name}") for p in found)
            continue
        out[name] = model
    return out, problems
