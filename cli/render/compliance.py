"""Render a compliance report as Markdown, as one self-contained HTML page (no external assets), and as JSON.

All three carry the same evidence: benchmark editions in full, tool and policy-set version with
its content hash, git commit (marked when the tree has uncommitted changes), time, whether a
plan or a deployed state was evaluated, coverage per benchmark, and per control and resource
the verdict, the observed values and any exemption.
"""

from __future__ import annotations

import json
from dataclasses import is_dataclass
from html import escape
from typing import Any

_LABEL = {"pass": "pass", "fail": "FAIL", "exempt": "exempt", "not-applicable": "n/a", "disabled": "disabled"}


def _md(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")


def _lock(p: Any) -> str:
    return " (locked)" if getattr(p, "is_locked", False) else ""


def _observed(r: Any) -> str:
    return "; ".join(f"{k} = {v}" for k, v in r.observed) if r.observed else ""


def _exemption(r: Any) -> str:
    ex = r.exemption
    if not ex:
        return ""
    return (f"exempted until {ex.get('expires') or '?'}; approver {ex.get('approver') or 'not recorded'}; "
            f"justification: {ex.get('justification') or ''}")


def _provenance(report: Any) -> list[tuple[str, str]]:
    rows = [
        ("Benchmarks", "; ".join(report.benchmarks)),
        ("Tool", report.tool),
        ("Policy set", f"version {report.policy_set_version}, {report.policy_set_hash}"),
        ("Git commit", report.revision),
        ("Generated", report.generated_at),
    ]
    for e in report.environments:
        rows.append((f"Evaluated ({e.environment})", f"{e.evaluated_label} [{e.source}]"))
    return rows


def _coverage_line(c: Any) -> str:
    return (f"{c.title}: {len(c.full)} of {c.total} controls evaluated fully, {len(c.partial)} partly, "
            f"{len(c.not_evaluated)} not evaluated")


def render_markdown(report: Any) -> str:
    from cli.policycheck import COVERAGE_NOTE
    from policies.core import LOCK_NOTE

    lines = [f"# Compliance report: `{report.environment}`", ""]
    lines += [f"- {k}: {v if k != 'Git commit' else f'`{v}`'}" for k, v in _provenance(report)]
    lines += ["", f"> {COVERAGE_NOTE}", "", f"(locked) = {LOCK_NOTE}.", ""]
    if len(report.environments) > 1:
        lines += ["## Summary", "", "| environment | evaluated | resources | policies failing | pass | fail | exempt | n/a | blocking |",
                  "|---|---|---|---|---|---|---|---|---|"]
        for e in report.environments:
            s = e.summary
            lines.append(f"| `{e.environment}` | {e.evaluated} | {s['resources']} | {s['policies_failing']} of {s['policies']} | "
                         f"{s['pass']} | {s['fail']} | {s['exempt']} | {s['not-applicable']} | {'yes' if s['blocking'] else 'no'} |")
        lines.append("")
    level = "##" if len(report.environments) == 1 else "###"
    for e in report.environments:
        s = e.summary
        if len(report.environments) > 1:
            lines += [f"## Environment `{e.environment}`", ""]
        lines += [
            f"- Evaluated: {e.evaluated_label} (`{_md(e.source)}`)",
            f"- Policies: {s['policies']} ({s['policies_failing']} failing, {s['policies_disabled']} disabled)",
            f"- Resource decisions: {s['pass']} pass, {s['fail']} fail, {s['exempt']} exempt, {s['not-applicable']} not applicable",
            "",
            f"{level} Coverage", "",
        ]
        for c in e.coverage:
            lines += [f"**{_coverage_line(c)}.** Source: {c.source}.", ""]
            if c.partial:
                lines += ["Partly evaluated:", ""] + [f"- {i} {_md(t)}: {_md(why)}" for i, t, why in c.partial] + [""]
            lines += ["<details><summary>Not evaluated by this policy set</summary>", ""]
            lines += [f"- {i} {_md(t)}" for i, t in c.not_evaluated] + ["", "</details>", ""]
        lines += [f"{level} Exemptions", ""]
        if e.exemptions:
            lines += ["| policy | resource | justification | approver | expires | covers | problem |", "|---|---|---|---|---|---|---|"]
            for x in e.exemptions:
                lines.append(f"| `{x['policy']}` | `{_md(x['resource'])}` | {_md(x['justification'])} | {_md(x['approver'] or 'not recorded')} | "
                             f"{x['expires'] or '-'} | {_md(', '.join(x['covers']) or '-')} | {_md(x['problem'] or '-')} |")
        else:
            lines.append("None.")
        lines.append("")
        for control in e.controls:
            note = f" (partly evaluated: {'; '.join(control.partial)})" if control.partial else ""
            lines += [f"{level} {control.control}: {_LABEL[control.status]}{note}", ""]
            for ps in control.policies:
                p = ps.policy
                lines += [
                    f"{level}# `{p.name}`: {_LABEL[ps.status]}",
                    "",
                    f"{p.description}. Severity {p.severity.value}, enforcement {ps.enforcement}{_lock(p)}. "
                    f"Controls: {', '.join(c.short for c in p.controls) or 'organisation rule'}.",
                    "",
                    f"Remediation: {p.remediation}",
                    "",
                ]
                if ps.resources:
                    lines += ["| resource | type | verdict | observed | detail |", "|---|---|---|---|---|"]
                    for r in ps.resources:
                        detail = "; ".join(x for x in (r.detail, _exemption(r)) if x)
                        lines.append(f"| `{_md(r.name)}` | `{r.type}` | {_LABEL[r.status]} | {_md(_observed(r))} | {_md(detail)} |")
                    lines.append("")
                if ps.hidden_not_applicable:
                    lines += [f"{ps.hidden_not_applicable} other resource(s): not applicable.", ""]
                if not ps.resources and not ps.hidden_not_applicable:
                    lines += ["No resource in scope.", ""]
    return "\n".join(lines)


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2rem;color:#1f2328;line-height:1.4;max-width:1400px}
h1{font-size:1.6rem}h2{font-size:1.3rem;margin-top:2.2rem;border-bottom:2px solid #d0d7de}
h3{font-size:1.1rem;margin-top:1.6rem;border-bottom:1px solid #d0d7de}h4{font-size:1rem;margin:1rem 0 .3rem}
table{border-collapse:collapse;width:100%;margin:.4rem 0 1rem;font-size:.88rem}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code{font-size:.85em}
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:700}.exempt{color:#9a6700;font-weight:600}
.not-applicable,.disabled{color:#6e7781}
.meta td{border:none;padding:.1rem .8rem .1rem 0}.meta td:first-child{font-weight:600;white-space:nowrap}
.note{background:#fff8c5;border:1px solid #d4a72c;padding:.5rem .8rem;border-radius:6px}
.partial{color:#9a6700;font-size:.9rem}.obs{font-family:ui-monospace,monospace;font-size:.8rem;color:#57606a}
details>summary{cursor:pointer}
"""


def _badge(status: str) -> str:
    return f'<span class="{escape(status)}">{escape(_LABEL[status])}</span>'


def render_html(report: Any) -> str:
    from cli.policycheck import COVERAGE_NOTE
    from policies.core import LOCK_NOTE

    out = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Compliance report: {escape(report.environment)}</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Compliance report: {escape(report.environment)}</h1>",
        '<table class="meta">',
        *(f"<tr><td>{escape(k)}</td><td>{f'<code>{escape(v)}</code>' if k in ('Git commit', 'Policy set') else escape(v)}</td></tr>"
          for k, v in _provenance(report)),
        "</table>",
        f'<p class="note">{escape(COVERAGE_NOTE)}</p>',
        f"<p><small>(locked) = {escape(LOCK_NOTE)}.</small></p>",
    ]
    multi = len(report.environments) > 1
    if multi:
        out += ["<h2>Summary</h2>", "<table><tr><th>environment</th><th>evaluated</th><th>resources</th><th>policies failing</th>"
                "<th>pass</th><th>fail</th><th>exempt</th><th>n/a</th><th>blocking</th></tr>"]
        for e in report.environments:
            s = e.summary
            out.append(f"<tr><td><code>{escape(e.environment)}</code></td><td>{escape(e.evaluated)}</td><td>{s['resources']}</td>"
                       f"<td>{s['policies_failing']} of {s['policies']}</td><td>{s['pass']}</td><td>{s['fail']}</td>"
                       f"<td>{s['exempt']}</td><td>{s['not-applicable']}</td><td>{'yes' if s['blocking'] else 'no'}</td></tr>")
        out.append("</table>")
    h, h2 = ("h3", "h4") if multi else ("h2", "h3")
    for e in report.environments:
        s = e.summary
        if multi:
            out.append(f"<h2>Environment {escape(e.environment)}</h2>")
        out += [
            f"<p>Evaluated: <b>{escape(e.evaluated_label)}</b> (<code>{escape(e.source)}</code>). "
            f"Policies: {s['policies']} ({s['policies_failing']} failing, {s['policies_disabled']} disabled). "
            f"Resource decisions: {_badge('pass')} {s['pass']} &middot; {_badge('fail')} {s['fail']} &middot; "
            f"{_badge('exempt')} {s['exempt']} &middot; {_badge('not-applicable')} {s['not-applicable']}</p>",
            f"<{h}>Coverage</{h}>",
        ]
        for c in e.coverage:
            out.append(f"<p><b>{escape(_coverage_line(c))}.</b> <small>Source: {escape(c.source)}.</small></p>")
            if c.partial:
                out.append("<p class=\"partial\">Partly evaluated: " + "; ".join(
                    f"{escape(i)} ({escape(why)})" for i, _, why in c.partial) + "</p>")
            out.append(f"<details><summary>{len(c.not_evaluated)} controls not evaluated by this policy set</summary><ul>")
            out += [f"<li>{escape(i)} {escape(t)}</li>" for i, t in c.not_evaluated]
            out.append("</ul></details>")
        out.append(f"<{h}>Exemptions</{h}>")
        if e.exemptions:
            out.append("<table><tr><th>policy</th><th>resource</th><th>justification</th><th>approver</th><th>expires</th>"
                       "<th>covers</th><th>problem</th></tr>")
            for x in e.exemptions:
                out.append(f"<tr><td><code>{escape(x['policy'])}</code></td><td><code>{escape(x['resource'])}</code></td>"
                           f"<td>{escape(x['justification'])}</td><td>{escape(x['approver'] or 'not recorded')}</td>"
                           f"<td>{escape(x['expires'] or '-')}</td><td>{escape(', '.join(x['covers']) or '-')}</td>"
                           f"<td>{escape(x['problem'] or '-')}</td></tr>")
            out.append("</table>")
        else:
            out.append("<p>None.</p>")
        for control in e.controls:
            note = (f' <span class="partial">(partly evaluated: {escape("; ".join(control.partial))})</span>'
                    if control.partial else "")
            out.append(f"<{h}>{escape(control.control)} {_badge(control.status)}{note}</{h}>")
            for ps in control.policies:
                p = ps.policy
                controls = ", ".join(c.short for c in p.controls) or "organisation rule"
                out += [
                    f"<{h2}><code>{escape(p.name)}</code> {_badge(ps.status)}</{h2}>",
                    f"<p>{escape(p.description)}. Severity {escape(p.severity.value)}, enforcement "
                    f"{escape(ps.enforcement)}{escape(_lock(p))}. Controls: {escape(controls)}."
                    f"<br><small>Remediation: {escape(p.remediation)}</small></p>",
                ]
                if ps.resources:
                    failing = any(r.status == "fail" for r in ps.resources)
                    out.append(f"<details{' open' if failing else ''}><summary>{len(ps.resources)} resource(s)</summary>")
                    out.append("<table><tr><th>resource</th><th>type</th><th>verdict</th><th>observed</th><th>detail</th></tr>")
                    for r in ps.resources:
                        detail = "; ".join(x for x in (r.detail, _exemption(r)) if x)
                        out.append(
                            f"<tr><td><code>{escape(r.name)}</code></td><td><code>{escape(r.type)}</code></td>"
                            f"<td>{_badge(r.status)}</td><td class=\"obs\">{escape(_observed(r))}</td><td>{escape(detail)}</td></tr>"
                        )
                    out.append("</table></details>")
                if ps.hidden_not_applicable:
                    out.append(f"<p><small>{ps.hidden_not_applicable} other resource(s): not applicable.</small></p>")
                if not ps.resources and not ps.hidden_not_applicable:
                    out.append("<p><small>No resource in scope.</small></p>")
    out.append("</body></html>")
    return "\n".join(out) + "\n"


def _plain(value: Any) -> Any:
    if hasattr(value, "describe") and hasattr(value, "controls"):
        return value.name  # a Policy: its metadata is listed once, under "policies"
    if is_dataclass(value) and not isinstance(value, type):
        return {k: _plain(v) for k, v in ((f, getattr(value, f)) for f in value.__dataclass_fields__)}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def render_json(report: Any) -> str:
    """The report for tools: the same fields, with each policy's metadata (controls, lock) listed once."""
    from cli.policycheck import COVERAGE_NOTE

    policies = {ps.policy.name: ps.policy.describe() for e in report.environments for c in e.controls for ps in c.policies}
    data = _plain(report)
    data["coverage_note"] = COVERAGE_NOTE
    data["policies"] = [policies[k] for k in sorted(policies)]
    for env, e in zip(data["environments"], report.environments, strict=True):
        env["evaluated_label"] = e.evaluated_label
        for control, c in zip(env["controls"], e.controls, strict=True):
            control["status"] = c.status
            for ps_json, ps in zip(control["policies"], c.policies, strict=True):
                ps_json["status"] = ps.status
    return json.dumps(data, indent=2, default=str) + "\n"

