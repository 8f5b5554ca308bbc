"""Render a policy report (table, JSON, Markdown, SARIF 2.1.0) and the policy list."""

from __future__ import annotations

import json
from io import StringIO
from typing import Any

from cli import __version__

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3}
_SECURITY_SEVERITY = {"critical": "9.5", "high": "8.0", "medium": "5.5", "low": "3.0"}


def _sorted(findings: Any) -> list[Any]:
    return sorted(findings, key=lambda f: (f.exempted, f.enforcement != "mandatory",
                                           _SEVERITY_ORDER.get(f.severity, 9), f.policy, f.urn, f.message))


def _console(buf: StringIO, width: int) -> Any:
    from rich.console import Console

    return Console(file=buf, width=width, force_terminal=False, color_system=None)


def render_table(report: Any, width: int = 140) -> str:
    """Findings as a terminal table, then one summary line."""
    from rich.table import Table

    s = report.summary()
    buf = StringIO()
    console = _console(buf, width)
    if report.findings:
        table = Table(title=f"policy findings: {report.environment} ({report.source})", show_lines=False)
        for col in ("severity", "enforcement", "policy", "resource", "message"):
            table.add_column(col, overflow="fold")
        for f in _sorted(report.findings):
            enforcement = f"{f.enforcement} (exempted)" if f.exempted else f.enforcement
            table.add_row(f.severity, enforcement, f.policy, f.name, f.message)
        console.print(table)
    verdict = "BLOCKED" if s["blocking"] else "passed"
    if not s.get("complete", True):
        verdict = "INCOMPLETE (the program did not finish; findings cover what it registered)"
    console.print(
        f"{verdict}: {s['mandatory']} mandatory, {s['advisory']} advisory, {s['exempted']} exempted finding(s); "
        f"{s['policies_evaluated']} policies over {s['resources']} resources of {report.environment}"
    )
    return buf.getvalue()


def render_json(report: Any) -> str:
    return json.dumps(report.to_json(), indent=2) + "\n"


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Any) -> str:
    """A pull-request section: verdict, counts, then the findings table."""
    s = report.summary()
    icon = ":x:" if s["blocking"] or not s.get("complete", True) else ":white_check_mark:"
    lines = [
        f"### Policy check: `{report.environment}` {icon}",
        "",
    ]
    if not s.get("complete", True):
        lines += ["**Incomplete:** the program did not finish; the findings cover only what it registered.", ""]
    lines += [
        f"**{s['mandatory']}** mandatory, **{s['advisory']}** advisory and **{s['exempted']}** exempted finding(s) "
        f"from {s['policies_evaluated']} policies over {s['resources']} resources.",
        "",
    ]
    if report.findings:
        lines += ["| severity | enforcement | policy | resource | message |", "|---|---|---|---|---|"]
        for f in _sorted(report.findings):
            enforcement = f"{f.enforcement} (exempted)" if f.exempted else f.enforcement
            lines.append(f"| {f.severity} | {enforcement} | `{f.policy}` | `{_md(f.name)}` | {_md(f.message)} |")
        lines.append("")
    return "\n".join(lines)


def _level(finding: Any) -> str:
    if finding.exempted:
        return "note"
    return "error" if finding.enforcement == "mandatory" else "warning"


def render_sarif(report: Any) -> str:
    """SARIF 2.1.0 for GitHub code scanning: one rule per policy, one result per finding."""
    evaluation = report.evaluation
    policies = list(evaluation.policies)
    index = {p.name: i for i, p in enumerate(policies)}
    rules = [
        {
            "id": p.name,
            "name": "".join(w.capitalize() for w in p.name.split("-")),
            "shortDescription": {"text": p.description},
            "fullDescription": {"text": p.description},
            "help": {"text": p.remediation, "markdown": p.remediation},
            "defaultConfiguration": {
                "level": "error" if evaluation.enforcement[p.name].value == "mandatory" else "warning",
                "enabled": evaluation.enforcement[p.name].value != "disabled",
            },
            "properties": {
                "tags": ["security", p.group, *(c.short for c in p.controls)],
                "severity": p.severity.value,
                "security-severity": _SECURITY_SEVERITY[p.severity.value],
                "controls": [c.to_json() for c in p.controls],
                "locked": p.is_locked,
                **({"lock": p.lock} if p.lock else {}),
            },
        }
        for p in policies
    ]
    uri = report.location or "Pulumi.yaml"
    results = []
    for f in _sorted(report.findings):
        result: dict[str, Any] = {
            "ruleId": f.policy,
            "ruleIndex": index[f.policy],
            "level": _level(f),
            "message": {"text": f.message},
            "locations": [
                {
                    "physicalLocation": {"artifactLocation": {"uri": uri}, "region": {"startLine": 1}},
                    "logicalLocations": [{"fullyQualifiedName": f.urn, "name": f.name, "kind": "resource"}],
                }
            ],
            "partialFingerprints": {"policyResource/v1": f"{f.policy}:{f.urn}"},
            "properties": {"enforcement": f.enforcement, "severity": f.severity, "type": f.type,
                           "environment": report.environment},
        }
        if f.exempted:
            result["suppressions"] = [{"kind": "external", "status": "accepted",
                                       "justification": f.justification or "exempted"}]
        results.append(result)
    document = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "civic-infra-policy",
                        "version": __version__,
                        "informationUri": "https://www.pulumi.com/docs/iac/using-pulumi/crossguard/",
                        "rules": rules,
                    }
                },
                "automationDetails": {"id": f"policy/{report.environment}/"},
                # a program that did not finish is an unsuccessful run, whatever its partial results
                "invocations": [{"executionSuccessful": bool(getattr(report, "complete", True))}],
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2) + "\n"


# --- the policy list -----------------------------------------------------------------------


def enforcement_label(p: Any) -> str:
    """One wording of a policy's default enforcement, the same in every format (LOCK_NOTE explains it)."""
    return p.enforcement.value + (" (locked)" if p.is_locked else "")


def _lock_legend() -> str:
    from policies.core import LOCK_NOTE

    return f"(locked) = {LOCK_NOTE}"


def _controls(p: Any) -> str:
    return ", ".join(c.short for c in p.controls) or "-"


def terminal_width(default: int = 160) -> int:
    """$COLUMNS, else the terminal's width, else `default` (piped output)."""
    import shutil

    return shutil.get_terminal_size((default, 24)).columns


def render_policy_list_table(policies: Any, width: int | None = None) -> str:
    """Every policy with its remediation, folded to fit the terminal's width."""
    from rich.table import Table

    width = width or terminal_width()
    table = Table(title=f"{len(policies)} policies", caption=_lock_legend(), show_lines=True, expand=False)
    # names and enforcement stay whole (people search and copy them); prose columns fold
    table.add_column("name", no_wrap=True, min_width=max((len(p.name) for p in policies), default=4))
    table.add_column("severity", no_wrap=True)
    table.add_column("enforcement", no_wrap=True, min_width=len("mandatory (locked)"))
    table.add_column("kind", no_wrap=True)
    table.add_column("description", overflow="fold", ratio=3)
    table.add_column("remediation", overflow="fold", ratio=4)
    table.add_column("controls", overflow="fold", ratio=2)
    for p in policies:
        table.add_row(p.name, p.severity.value, enforcement_label(p), p.kind, p.description, p.remediation,
                      _controls(p))
    buf = StringIO()
    _console(buf, width).print(table)
    return buf.getvalue()


def render_policy_list_json(policies: Any) -> str:
    out = []
    for p in policies:
        item = p.describe()
        item["locked"] = p.is_locked
        item["enforcement_label"] = enforcement_label(p)
        out.append(item)
    return json.dumps({"policies": out}, indent=2) + "\n"


def render_policy_list_markdown(policies: Any) -> str:
    lines = ["| policy | severity | enforcement | description | remediation | controls |", "|---|---|---|---|---|---|"]
    for p in policies:
        lines.append(f"| `{p.name}` | {p.severity.value} | {enforcement_label(p)} | {_md(p.description)} | "
                     f"{_md(p.remediation)} | {_controls(p)} |")
    lines += ["", _lock_legend()]
    return "\n".join(lines) + "\n"


def render_policy_readme_table(policies: Any) -> str:
    """The README's policy table (tests/policies/test_readme_table.py keeps the README equal to it)."""
    lines = ["| policy | kind | severity | default | controls | checks |", "|---|---|---|---|---|---|"]
    for p in policies:
        lines.append(f"| `{p.name}` | {p.kind} | {p.severity.value} | {enforcement_label(p)} | {_controls(p)} | "
                     f"{_md(p.description)} |")
    return "\n".join(lines) + "\n"
