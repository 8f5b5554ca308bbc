"""The pull-request comment and the drift issue body, assembled from the JSON other commands write.

Pure functions over plain data: `load_pr_inputs` reads a folder of `plan-<env>.json`,
`policy-<env>.json` and `preview-<env>.json` (plus optional `<kind>-<env>.exit` files holding
the exit code of the step that wrote them), `render_pr_comment` turns them into ONE Markdown
comment that starts with `PR_MARKER`, so a workflow can find and update it in place.
`load_drift` / `render_drift_issue` do the same for one environment's drift report.

A missing input is "not run", never an error; a file that is not JSON is (exit 2, with its name).
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from cli.errors import UsageError

PR_MARKER = "<!-- civic-infra-pr-report -->"
KINDS = ("plan", "policy", "preview")
ENV_ORDER = ("dev", "staging", "prod")
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")
PREVIEW_OPS = ("create", "update", "replace", "delete", "same")
COMMENT_LIMIT = 60_000
"""GitHub rejects comments over 65,536 characters; stay well below."""

_FILE = re.compile(r"^(plan|policy|preview)-(?P<env>[a-z0-9][a-z0-9-]*)\.(?P<ext>json|exit)$")
_OP_ALIASES = {
    "created": "create", "create-replacement": "replace", "replaced": "replace",
    "delete-replaced": "replace", "updated": "update", "deleted": "delete", "unchanged": "same",
}


class ReportInputError(UsageError):
    """An input file exists but cannot be read as the JSON it should be."""


@dataclass(frozen=True)
class Input:
    """One step's output for one environment: its document, or why there is none."""

    kind: str
    path: Path | None
    document: Any = None
    exit_code: int | None = None

    @property
    def ran(self) -> bool:
        return self.document is not None

    @property
    def failed(self) -> bool:
        return self.document is None and self.exit_code not in (None, 0)


@dataclass
class EnvironmentInputs:
    """Everything found for one environment."""

    name: str
    inputs: dict[str, Input] = field(default_factory=dict)

    def get(self, kind: str) -> Input:
        return self.inputs.get(kind) or Input(kind, None)


# --- reading ---------------------------------------------------------------------------


def read_json(path: Path, display: str | None = None) -> Any:
    """The parsed file, or a ReportInputError (exit 2) naming it."""
    shown = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise ReportInputError(f"{shown}: cannot read ({err.strerror}); check the path") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise ReportInputError(
            f"{shown}: not valid JSON (line {err.lineno} column {err.colno}: {err.msg}); "
            "re-run the step that writes it with --format json"
        ) from None


def _read_exit(path: Path) -> int | None:
    text = path.read_text(encoding="utf-8").strip()
    return int(text) if re.fullmatch(r"-?\d+", text) else None


def load_pr_inputs(plan_dir: Path) -> list[EnvironmentInputs]:
    """Every environment with at least one input in `plan_dir` (searched recursively)."""
    if not plan_dir.is_dir():
        raise UsageError(f"--plan-dir {plan_dir}: not a directory; pass the folder the plan, policy and preview steps wrote to")
    found: dict[str, EnvironmentInputs] = {}
    documents: dict[tuple[str, str], Path] = {}
    exits: dict[tuple[str, str], int | None] = {}
    for path in sorted(plan_dir.rglob("*")):
        match = _FILE.match(path.name)
        if not match or not path.is_file():
            continue
        kind, env = path.name.split("-", 1)[0], match["env"]
        found.setdefault(env, EnvironmentInputs(env))
        if match["ext"] == "exit":
            exits.setdefault((kind, env), _read_exit(path))
        else:
            documents.setdefault((kind, env), path)
    for env, bundle in found.items():
        for kind in KINDS:
            path = documents.get((kind, env))
            document = None
            if path is not None:
                document = read_json(path, _display(path, plan_dir))
                _check_shape(kind, document, _display(path, plan_dir))
            if path is not None or (kind, env) in exits:
                bundle.inputs[kind] = Input(kind, path, document, exits.get((kind, env)))
    return sorted(found.values(), key=lambda e: _env_key(e.name))


def _display(path: Path, root: Path) -> str:
    try:
        return str(Path(root.name) / path.relative_to(root))
    except ValueError:
        return str(path)


def _env_key(name: str) -> tuple[int, str]:
    return (ENV_ORDER.index(name) if name in ENV_ORDER else len(ENV_ORDER), name)


def _check_shape(kind: str, document: Any, shown: str) -> None:
    """Plan and policy documents have fixed shapes; the preview is read tolerantly."""
    required = {"plan": ("resources", "infra plan"), "policy": ("findings", "infra policy check")}.get(kind)
    if required and not (isinstance(document, Mapping) and isinstance(document.get(required[0]), list)):
        raise ReportInputError(
            f"{shown}: not an `{required[1]} --format json` document (no {required[0]} list); re-run the {kind} step"
        )


# --- summaries -------------------------------------------------------------------------


def plan_summary(document: Mapping[str, Any]) -> dict[str, Any]:
    """Totals of a plan document: resources, components, protected, per cloud, per type."""
    resources = [r for r in document.get("resources", []) if isinstance(r, Mapping)]
    summary = document.get("summary") if isinstance(document.get("summary"), Mapping) else {}
    by_type = dict(summary.get("by_type") or Counter(str(r.get("type")) for r in resources))
    total = int(summary.get("total", len(resources)))
    components = sum(
        1 for r in resources
        if r.get("parent") is None and r.get("custom") is False and not str(r.get("type", "")).startswith("pulumi:providers:")
    )
    clouds: Counter[str] = Counter()
    for type_, count in by_type.items():
        if not type_.startswith("pulumi:providers:"):
            clouds[_cloud(type_)] += int(count)
    return {
        "total": total,
        "components": components,
        "protected": sum(1 for r in resources if r.get("protect")),
        "by_cloud": {k: clouds[k] for k in ("azure", "entra", "aws") if clouds[k]},
        "by_type": by_type,
    }


def _cloud(type_: str) -> str:
    package = type_.split(":")[0]
    if type_.startswith("pulumi:providers:"):
        package = type_.split(":")[2]
    return {"azure-native": "azure", "azuread": "entra", "aws": "aws"}.get(package, package)


def policy_summary(document: Mapping[str, Any]) -> dict[str, Any]:
    """Counts by severity (exempted apart), and the blocking findings: mandatory, not exempted."""
    findings = [f for f in document.get("findings", []) if isinstance(f, Mapping)]
    active = [f for f in findings if not f.get("exempted")]
    by_severity = Counter(str(f.get("severity", "unknown")).lower() for f in active)
    blocking = [f for f in active if str(f.get("enforcement", "")).lower() == "mandatory"]
    advisory = [f for f in active if str(f.get("enforcement", "")).lower() == "advisory"]
    order = {s: i for i, s in enumerate(SEVERITY_ORDER)}
    blocking.sort(key=lambda f: (order.get(str(f.get("severity", "")).lower(), 99), str(f.get("policy")), str(f.get("urn"))))
    return {
        "total": len(findings),
        "blocking": blocking,
        "advisory": len(advisory),
        "exempted": len(findings) - len(active),
        "by_severity": {s: by_severity[s] for s in _ordered(by_severity, SEVERITY_ORDER)},
    }


def _ordered(counts: Mapping[str, int], order: Iterable[str]) -> list[str]:
    known = [k for k in order if counts.get(k)]
    return known + sorted(k for k in counts if k not in known and counts[k])


def preview_summary(document: Any) -> dict[str, Any]:
    """Operation counts and the changed resources of an engine preview, read tolerantly."""
    doc = document if isinstance(document, Mapping) else {}
    raw = doc.get("summary")
    if not isinstance(raw, Mapping):
        raw = doc.get("resource_changes") or doc.get("resourceChanges") or {}
    counts: Counter[str] = Counter()
    for key, value in (raw.items() if isinstance(raw, Mapping) else []):
        if isinstance(value, int | float) and not isinstance(value, bool):
            counts[_OP_ALIASES.get(str(key), str(key))] += int(value)
    changes = []
    for change in doc.get("changes") or doc.get("steps") or []:
        if not isinstance(change, Mapping):
            continue
        op = _OP_ALIASES.get(str(change.get("op") or change.get("operation") or change.get("action") or "?"),
                             str(change.get("op") or change.get("operation") or change.get("action") or "?"))
        if op == "same":
            continue
        urn = str(change.get("urn") or "")
        changes.append({
            "op": op,
            "type": str(change.get("type") or (urn.split("::")[2].split("$")[-1] if urn.count("::") >= 3 else "")),
            "name": str(change.get("name") or urn.rsplit("::", 1)[-1] or "?"),
        })
    if not counts and changes:
        counts.update(c["op"] for c in changes)
    return {"counts": {k: counts[k] for k in [*PREVIEW_OPS, *sorted(set(counts) - set(PREVIEW_OPS))] if k in counts},
            "changes": changes}


# --- the PR comment --------------------------------------------------------------------


def _cell(text: Any) -> str:
    """Safe inside a Markdown table cell and inside <details>."""
    return str(text).replace("|", "\\|").replace("\n", " ").replace("<", "&lt;").replace(">", "&gt;")


def _status_text(item: Input, reason_not_run: str = "not run") -> str | None:
    if item.failed:
        return f"failed (exit {item.exit_code}); see the job log"
    if not item.ran:
        return reason_not_run
    return None


def _headline(env: EnvironmentInputs) -> dict[str, str]:
    plan, policy, preview = env.get("plan"), env.get("policy"), env.get("preview")
    row = {}
    row["plan"] = _status_text(plan) or f"{plan_summary(plan.document)['total']} resources"
    if (text := _status_text(policy)) is not None:
        row["policy"] = text
    else:
        p = policy_summary(policy.document)
        blocked = len(p["blocking"])
        row["policy"] = (f"❌ {blocked} blocking" if blocked else "✅ no blocking") + f", {p['advisory']} advisory"
    if (text := _status_text(preview)) is not None:
        row["preview"] = text
    else:
        counts = preview_summary(preview.document)["counts"]
        shown = [f"{counts[k]} to {k}" for k in ("create", "update", "replace", "delete") if counts.get(k)]
        row["preview"] = ", ".join(shown) if shown else "no changes"
    return row


def _plan_section(item: Input, limit: int) -> list[str]:
    if (text := _status_text(item)) is not None:
        return ["#### Resources", "", f"Plan: {text}.", ""]
    s = plan_summary(item.document)
    clouds = ", ".join(f"{n} {c}" for c, n in s["by_cloud"].items()) or "none"
    lines = [
        "#### Resources", "",
        f"**{s['total']}** resources in **{s['components']}** components ({clouds}); **{s['protected']}** protected.", "",
    ]
    if s["by_type"] and limit:
        lines += ["<details><summary>resources by type</summary>", "", "| type | count |", "|---|---:|"]
        ranked = sorted(s["by_type"].items(), key=lambda kv: (-int(kv[1]), kv[0]))
        lines += [f"| `{_cell(t)}` | {n} |" for t, n in ranked[:limit]]
        if len(ranked) > limit:
            lines.append(f"| … {len(ranked) - limit} more types | |")
        lines += ["", "</details>", ""]
    return lines


def _policy_section(item: Input, limit: int) -> list[str]:
    if (text := _status_text(item)) is not None:
        return ["#### Policy", "", f"Policy check: {text}.", ""]
    s = policy_summary(item.document)
    lines = ["#### Policy", ""]
    if not s["total"]:
        return [*lines, "No findings.", ""]
    lines += ["| severity | findings |", "|---|---:|"]
    lines += [f"| {sev} | {n} |" for sev, n in s["by_severity"].items()]
    lines += [f"| exempted | {s['exempted']} |", ""]
    lines.append(f"**{len(s['blocking'])}** blocking (mandatory, not exempted); {s['advisory']} advisory.")
    lines.append("")
    if s["blocking"] and limit:
        lines += ["| severity | policy | resource | message |", "|---|---|---|---|"]
        for f in s["blocking"][:limit]:
            lines.append(
                f"| {_cell(f.get('severity', ''))} | `{_cell(f.get('policy', ''))}` | "
                f"`{_cell(f.get('name', ''))}` ({_cell(f.get('type', ''))}) | {_cell(f.get('message', ''))} |"
            )
        if len(s["blocking"]) > limit:
            lines.append(f"| | … {len(s['blocking']) - limit} more | | |")
        lines.append("")
    return lines


def _preview_section(item: Input, limit: int) -> list[str]:
    if (text := _status_text(item)) is not None:
        return ["#### Preview", "", f"Engine preview: {text}.", ""]
    s = preview_summary(item.document)
    lines = ["#### Preview", ""]
    if s["counts"]:
        lines += ["| " + " | ".join(s["counts"]) + " |", "|" + "---:|" * len(s["counts"]),
                  "| " + " | ".join(str(v) for v in s["counts"].values()) + " |", ""]
    elif not s["changes"]:
        lines += ["No changes.", ""]
    if s["changes"] and limit:
        lines += ["| operation | type | name |", "|---|---|---|"]
        lines += [f"| {_cell(c['op'])} | `{_cell(c['type'])}` | `{_cell(c['name'])}` |" for c in s["changes"][:limit]]
        if len(s["changes"]) > limit:
            lines.append(f"| … {len(s['changes']) - limit} more | | |")
        lines.append("")
    return lines


def render_pr_comment(
    environments: list[EnvironmentInputs], *, run_url: str | None = None, commit: str | None = None,
    today: date | None = None,
) -> str:
    """The one PR comment: the marker, a table of environments, a <details> section per environment."""
    today = today or date.today()
    for limit in (25, 10, 0):
        text = _render_pr(environments, run_url=run_url, commit=commit, limit=limit, today=today)
        if len(text) <= COMMENT_LIMIT:
            return text
    return text[: COMMENT_LIMIT - 80] + "\n\n… truncated; the full report is in the workflow run.\n"


def _access_section(env: EnvironmentInputs, limit: int, today: date) -> list[str]:
    from cli.render.access import render_section

    plan, preview = env.get("plan"), env.get("preview")
    return render_section(preview.document, plan.document, today, preview_ran=preview.ran, plan_ran=plan.ran, limit=limit)


def _render_pr(environments: list[EnvironmentInputs], *, run_url: str | None, commit: str | None, limit: int,
               today: date) -> str:
    lines = [PR_MARKER, "## civic-infra: plan, policy and preview", ""]
    where = []
    if commit:
        where.append(f"commit `{commit[:12]}`")
    if run_url:
        where.append(f"[workflow run]({run_url})")
    if where:
        lines += ["For " + " · ".join(where) + ".", ""]
    if not environments:
        return "\n".join([*lines, "No plan, policy or preview output was found: nothing ran.", ""])
    lines += ["| environment | plan | policy | preview |", "|---|---|---|---|"]
    heads = {env.name: _headline(env) for env in environments}
    for env in environments:
        h = heads[env.name]
        lines.append(f"| **{_cell(env.name)}** | {_cell(h['plan'])} | {_cell(h['policy'])} | {_cell(h['preview'])} |")
    lines.append("")
    for env in environments:
        h = heads[env.name]
        lines += [
            "<details>",
            f"<summary><b>{_cell(env.name)}</b>: {_cell(h['plan'])} · policy: {_cell(h['policy'])} · "
            f"preview: {_cell(h['preview'])}</summary>",
            "",
            *_plan_section(env.get("plan"), limit),
            *_access_section(env, limit, today),
            *_policy_section(env.get("policy"), limit),
            *_preview_section(env.get("preview"), limit),
            "</details>",
            "",
        ]
    return "\n".join(lines)


# --- the drift issue -------------------------------------------------------------------

DRIFT_SEVERITIES = ("critical", "high", "low")


def drift_marker(environment: str) -> str:
    return f"<!-- civic-infra-drift:{environment} -->"


DRIFT_OUTCOMES = {
    "drifted": "cloud or code drift",
    "policy": "no drift, but the deployed state violates a mandatory policy",
    "clean": "no drift",
    "error": "drift check failed",
}
"""What each drift status means, in the issue's title and body (exit 7, 5, 0, other)."""


def drift_title(environment: str, status: str | None = None) -> str:
    """The issue title: says which outcome. The workflow finds the open issue by its marker."""
    what = DRIFT_OUTCOMES.get(status or "")
    return f"[drift] {environment}" + (f": {what}" if what else "")


@dataclass(frozen=True)
class DriftInputs:
    """One environment's drift run: its JSON documents, its Markdown, its exit code."""

    environment: str
    documents: list[tuple[str, Any]]
    markdown: str | None
    exit_code: int | None


def load_drift(drift_dir: Path, environment: str) -> DriftInputs:
    """Read `drift_dir`: every *.json (not our own issue.json), *.md, and an `exit-code` file.

    Refused (exit 2): a folder that does not exist, one holding no drift output at all, and one
    whose reports name other environments but not `environment`.
    """
    if not drift_dir.is_dir():
        raise UsageError(
            f"--drift-dir {drift_dir}: not a directory; pass the folder `infra drift --output-dir` wrote to"
        )
    documents = []
    for path in sorted(drift_dir.rglob("*.json")):
        if path.name == "issue.json":
            continue
        documents.append((_display(path, drift_dir), read_json(path, _display(path, drift_dir))))
    markdown = "\n\n".join(p.read_text(encoding="utf-8") for p in sorted(drift_dir.rglob("*.md")) if p.name != "issue.md")
    exit_file = drift_dir / "exit-code"
    exit_code = _read_exit(exit_file) if exit_file.is_file() else None
    if not documents and not markdown and exit_code is None:
        raise UsageError(
            f"--drift-dir {drift_dir}: holds no drift output (no *.json, *.md or exit-code); "
            "pass the folder `infra drift --output-dir` wrote to"
        )
    named = sorted({n for _, doc in documents for n in _environments_named(doc)})
    if named and environment not in named:
        raise UsageError(
            f"--env {environment}: the reports in {drift_dir} are for {', '.join(named)}; "
            "pass the matching --env or the right folder"
        )
    return DriftInputs(environment, documents, markdown or None, exit_code)


def _environments_named(document: Any) -> list[str]:
    """The environments a drift document says it covers (top level or `environments`)."""
    names: list[str] = []
    if isinstance(document, Mapping):
        if isinstance(document.get("environment"), str):
            names.append(document["environment"])
        envs = document.get("environments")
        if isinstance(envs, list):
            names += [str(e.get("environment", e.get("name"))) for e in envs if isinstance(e, Mapping) and e.get("environment", e.get("name"))]
        elif isinstance(envs, Mapping):
            names += [str(k) for k in envs]
    elif isinstance(document, list):
        for item in document:
            names += _environments_named(item)
    return names


def _for_environment(document: Any, environment: str) -> Any:
    """A multi-environment document (`--all`) narrowed to one environment, when it names them."""
    if isinstance(document, Mapping):
        envs = document.get("environments")
        if isinstance(envs, list):
            mine = [e for e in envs if isinstance(e, Mapping) and e.get("environment", e.get("name")) == environment]
            return mine or document
        if isinstance(envs, Mapping) and environment in envs:
            return envs[environment]
    return document


def drift_items(document: Any) -> list[dict[str, str]]:
    """Every object carrying a drift severity, wherever the engine's JSON nests it."""
    items: list[dict[str, str]] = []

    def walk(node: Any, urn: str) -> None:
        if isinstance(node, Mapping):
            here = str(node.get("urn") or urn)
            severity = str(node.get("severity", "")).lower()
            if severity in DRIFT_SEVERITIES:
                items.append({
                    "severity": severity,
                    "resource": str(node.get("name") or node.get("resource") or here.rsplit("::", 1)[-1] or "?"),
                    "type": str(node.get("type") or ""),
                    "property": str(node.get("property") or node.get("path") or node.get("policy") or node.get("key") or ""),
                    "detail": str(node.get("message") or node.get("reason") or node.get("kind") or node.get("op") or ""),
                })
            for value in node.values():
                if isinstance(value, Mapping | list):
                    walk(value, here)
        elif isinstance(node, list):
            for value in node:
                walk(value, urn)

    walk(document, "")
    order = {s: i for i, s in enumerate(DRIFT_SEVERITIES)}
    # The same drift may be listed twice (e.g. per resource and per severity): count it once.
    unique = {tuple(sorted(i.items())): i for i in items}.values()
    return sorted(unique, key=lambda i: (order[i["severity"]], i["resource"], i["property"], i["detail"]))


def drift_summary(inputs: DriftInputs) -> dict[str, Any]:
    """Status (drifted / clean / error / not run) and counts by severity.

    The engine's own `counts` (civic-infra/drift/v1) win over counting items here.
    """
    narrowed = [_for_environment(doc, inputs.environment) for _, doc in inputs.documents]
    items = [i for doc in narrowed for i in drift_items(doc)]
    counts = Counter(i["severity"] for i in items)
    engine = [d for d in (x[0] if isinstance(x, list) and len(x) == 1 else x for x in narrowed) if isinstance(d, Mapping)]
    for doc in engine:
        if isinstance(doc.get("counts"), Mapping) and all(isinstance(v, int) for v in doc["counts"].values()):
            counts = Counter({k: v for k, v in doc["counts"].items() if k in DRIFT_SEVERITIES})
    code = inputs.exit_code
    if code is None:
        code = next((d["exit_code"] for d in engine if isinstance(d.get("exit_code"), int)), None)
    if code == 7 or (code is None and items):
        status = "drifted"
    elif code == 5:
        status = "policy"
    elif code == 0 or (code is None and inputs.documents):
        status = "clean" if not items else "drifted"
    elif code is None:
        status = "not run"
    else:
        status = "error"
    return {"status": status, "counts": {s: counts[s] for s in DRIFT_SEVERITIES}, "items": items}


def render_drift_issue(inputs: DriftInputs, *, run_url: str | None = None, limit: int = 100) -> dict[str, Any]:
    """The issue for one environment: title, Markdown body (marker first), status and counts."""
    s = drift_summary(inputs)
    env = inputs.environment
    lines = [drift_marker(env), f"## Drift in `{env}`", ""]
    if run_url:
        lines += [f"Found by [this drift run]({run_url}).", ""]
    lines += [f"Status: **{s['status']}**" + (f" (exit {inputs.exit_code})" if inputs.exit_code not in (None, 0, 7) else ""), ""]
    if s["status"] in DRIFT_OUTCOMES:
        lines += [f"Outcome: {DRIFT_OUTCOMES[s['status']]}.", ""]
    lines += ["| severity | drifted properties |", "|---|---:|"]
    lines += [f"| {sev} | {n} |" for sev, n in s["counts"].items()]
    lines.append("")
    if s["items"]:
        lines += ["| severity | resource | property | detail |", "|---|---|---|---|"]
        for item in s["items"][:limit]:
            resource = f"`{_cell(item['resource'])}`" + (f" ({_cell(item['type'])})" if item["type"] else "")
            lines.append(f"| {item['severity']} | {resource} | `{_cell(item['property'])}` | {_cell(item['detail'])} |")
        if len(s["items"]) > limit:
            lines.append(f"| … {len(s['items']) - limit} more | | | |")
        lines.append("")
    lines += [
        "What to do, by severity: [docs/runbooks/drift-alert.md](../blob/main/docs/runbooks/drift-alert.md).",
        "",
        "This issue is updated by every drift run and closed by the first clean one.",
        "",
    ]
    if inputs.markdown:
        lines += ["<details><summary>full drift report</summary>", "", inputs.markdown.strip(), "", "</details>", ""]
    body = "\n".join(lines)
    if len(body) > COMMENT_LIMIT:
        body = body[: COMMENT_LIMIT - 80] + "\n\n… truncated; the full report is in the workflow run's artifacts.\n"
    return {
        "environment": env,
        "status": s["status"],
        "counts": s["counts"],
        "title": drift_title(env, s["status"]),
        "marker": drift_marker(env),
        "body": body,
    }
