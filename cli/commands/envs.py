"""`infra envs`: the environments this project has."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.output import Format, to_json


def register(app: typer.Typer) -> None:
    app.command("envs")(envs)


def envs(
    ctx: typer.Context,
    format: Annotated[Format, typer.Option("--format", "-f", help="table for people, json for scripts.")] = Format.table,
) -> None:
    """List the environments found in the stack config directory, one line each."""
    from cli.context import project_of
    from stacks.loader import ConfigError, environment_names, infra_namespace, read_config, stack_file

    project = project_of(ctx)
    rows = []
    owners: dict[str, str] = {}
    for name in environment_names(project.stacks_dir):
        path = stack_file(project.stacks_dir, name)
        tenant: dict | None = None
        try:
            values = infra_namespace(read_config(path, project.display(path)))
            tier = str(values.get("tier", "?"))
            tenant = values.get("tenant") if isinstance(values.get("tenant"), dict) else None
        except ConfigError:
            tier = "unreadable"
        owned = [str(e) for e in (tenant or {}).get("environments") or []]
        owners.update({e: name for e in owned})
        rows.append({"name": name, "tier": tier, "file": project.display(path), "owns_tenant": tenant is not None,
                     "owned_environments": owned})  # fmt: skip
    for row in rows:
        row["ci_identities_from"] = owners.get(row["name"])
    if format is Format.json:
        typer.echo(to_json({"environments": rows}), nl=False)
        return
    for row in rows:
        if row["owns_tenant"]:
            role = f"owns the tenant and repository; CI identities of {', '.join(row['owned_environments'])}"
        else:
            role = f"CI identities from {row['ci_identities_from']}" if row["ci_identities_from"] else "no tenant stack"
        typer.echo(f"{row['name']:<12} {row['tier']:<12} {row['file']:<28} {role}")
