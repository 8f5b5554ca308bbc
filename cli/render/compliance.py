"""Render a compliance report as Markdown and as one self-contained HTML page (no external assets)."""

from __future__ import annotations

from html import escape
from typing import Any

_LABEL = {"pass": "pass", "fail": "FAIL", "exempt": "exempt", "not-applicable": "n/a", "disabled": "disabled"}


def _md(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(report: Any) -> str:
    s = report.summary
    lines = [
        f"# Compliance report: `{report.environment}`",
        "",
        f"- Project: `{report.project}`",
        f"- Date: {report.date}",
        f"- Git revision: `{report.revision}`",
        f"- Policies: {s['policies']} ({s['policies_failing']} failing, {s['policies_disabled']} disabled)",
        f"- Resource decisions: {s['pass']} pass, {s['fail']} fail, {s['exempt']} exempt, "
        f"{s['not-applicable']} not applicable",
        "",
    ]
    for control in report.controls:
        lines += [f"## {control.control}", ""]
        for ps in control.policies:
            p = ps.policy
            lines += [
                f"### `{p.name}`: {_LABEL[ps.status]}",
                "",
                f"{p.description}. Severity {p.severity.value}, enforcement {ps.enforcement}.",
                "",
                f"Remediation: {p.remediation}",
                "",
            ]
            if ps.resources:
                lines += ["| resource | type | status | detail |", "|---|---|---|---|"]
                for r in ps.resources:
                    lines.append(f"| `{_md(r.name)}` | `{r.type}` | {_LABEL[r.status]} | {_md(r.detail)} |")
                lines.append("")
            if ps.hidden_not_applicable:
                lines += [f"{ps.hidden_not_applicable} other resource(s): not applicable.", ""]
            if not ps.resources and not ps.hidden_not_applicable:
                lines += ["No resource in scope.", ""]
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1f2328;line-height:1.4}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin-top:2rem;border-bottom:1px solid #d0d7de}
h3{font-size:1rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem;font-size:.9rem}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code{font-size:.85em}
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:700}.exempt{color:#9a6700;font-weight:600}
.not-applicable,.disabled{color:#6e7781}
.meta td{border:none;padding:.1rem .6rem .1rem 0}
details>summary{cursor:pointer}
"""


def _badge(status: str) -> str:
    return f'<span class="{escape(status)}">{escape(_LABEL[status])}</span>'


def render_html(report: Any) -> str:
    s = report.summary
    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Compliance report: {escape(report.environment)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Compliance report: {escape(report.environment)}</h1>",
        '<table class="meta">',
        f"<tr><td>Project</td><td><code>{escape(report.project)}</code></td></tr>",
        f"<tr><td>Date</td><td>{escape(report.date)}</td></tr>",
        f"<tr><td>Git revision</td><td><code>{escape(report.revision)}</code></td></tr>",
        f"<tr><td>Policies</td><td>{s['policies']} ({s['policies_failing']} failing, "
        f"{s['policies_disabled']} disabled)</td></tr>",
        f"<tr><td>Resource decisions</td><td>{_badge('pass')} {s['pass']} &middot; {_badge('fail')} {s['fail']} "
        f"&middot; {_badge('exempt')} {s['exempt']} &middot; {_badge('not-applicable')} {s['not-applicable']}</td></tr>",
        "</table>",
    ]
    for control in report.controls:
        out.append(f"<h2>{escape(control.control)}</h2>")
        for ps in control.policies:
            p = ps.policy
            out += [
                f"<h3><code>{escape(p.name)}</code> {_badge(ps.status)}</h3>",
                f"<p>{escape(p.description)}. Severity {escape(p.severity.value)}, enforcement "
                f"{escape(ps.enforcement)}.<br><small>Remediation: {escape(p.remediation)}</small></p>",
            ]
            if ps.resources:
                failing = any(r.status == "fail" for r in ps.resources)
                out.append(f"<details{' open' if failing else ''}><summary>{len(ps.resources)} resource(s)</summary>")
                out.append("<table><tr><th>resource</th><th>type</th><th>status</th><th>detail</th></tr>")
                for r in ps.resources:
                    out.append(
                        f"<tr><td><code>{escape(r.name)}</code></td><td><code>{escape(r.type)}</code></td>"
                        f"<td>{_badge(r.status)}</td><td>{escape(r.detail)}</td></tr>"
                    )
                out.append("</table></details>")
            if ps.hidden_not_applicable:
                out.append(f"<p><small>{ps.hidden_not_applicable} other resource(s): not applicable.</small></p>")
            if not ps.resources and not ps.hidden_not_applicable:
                out.append("<p><small>No resource in scope.</small></p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"
