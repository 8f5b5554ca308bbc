"""`infra envs`: the environments this project has."""

from __future__ import annotations

from typing import Annotated

import typer

from cli.output import Format, to_json


def register(app: typer.Typer) -> None:
    app.command("envs")(envs)


def envs(
    ctx: typer.Context,
    format: Annotated[Format, typer.Option("--format", "-f", help="table for people, json for scripts, markdown for documents.")] = Format.table,
) -> None:
    """List the environments found in the stack config directory, one line each.

    Each file is read on its own, within the loader's limits: a broken or hostile file shows
    as `unreadable` with its reason on its own line and never hides the others.
    """
    from cli.context import project_of
    from stacks.loader import (
        ConfigError,
        environment_names,
        infra_namespace,
        read_config,
        stack_file,
    )

    project = project_of(ctx)
    rows = []
    owners: dict[str, str] = {}
    for name in environment_names(project.stacks_dir):
        path = stack_file(project.stacks_dir, name)
        problem = None
        tenant: dict | None = None
        try:
            values = infra_namespace(read_config(path, project.display(path)))
            tier = values.get("tier")
            tier = tier if isinstance(tier, str) and tier.isprintable() and len(tier) <= 20 else "?"
            tenant = values.get("tenant") if isinstance(values.get("tenant"), dict) else None
        except ConfigError as err:
            tier, problem = "unreadable", err.lines[0]
        listed = (tenant or {}).get("environments")
        owned = [str(e) for e in listed if isinstance(e, str)] if isinstance(listed, list) else []
        owners.update({e: name for e in owned})
        rows.append({"name": name, "tier": tier, "file": project.display(path), "problem": problem,
                     "owns_tenant": tenant is not None, "owned_environments": owned})  # fmt: skip
    for row in rows:
        row["ci_identities_from"] = owners.get(row["name"])
        if row["owns_tenant"]:
            row["role"] = f"owns the tenant and repository; CI identities of {', '.join(row['owned_environments'])}"
        else:
            row["role"] = (f"CI identities from {row['ci_identities_from']}" if row["ci_identities_from"]
                           else "no tenant stack")
    if format is Format.json:
        typer.echo(to_json({"environments": rows}), nl=False)
        return
    if format is Format.markdown:
        lines = ["| environment | tier | file | tenant |", "|---|---|---|---|"]
        lines += [f"| `{r['name']}` | {r['tier']} | `{r['file']}` | {r['role']} |" for r in rows]
        problems = [f"- `{r['name']}`: {r['problem']}" for r in rows if r["problem"]]
        if problems:
            lines += ["", "Unreadable:", "", *problems]
        typer.echo("\n".join(lines))
        return
    for row in rows:
        typer.echo(f"{row['name']:<12} {row['tier']:<12} {row['file']:<28} {row['role']}")
    for row in rows:
        if row["problem"]:
            typer.echo(row["problem"], err=True)
