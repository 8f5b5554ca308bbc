"""Small, pure readers shared by policies: booleans, JSON policy documents, tags, ports, dates."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from datetime import date
from typing import Any

from policies.core import SECRET, UNKNOWN, ResourceView, StackView, is_unknown

REQUIRED_TAGS = ("owner", "environment", "cost-center", "data-classification")
ANYWHERE_V4 = ("0.0.0.0/0", "0.0.0.0")
ANYWHERE_V6 = ("::/0",)
ADMIN_PORTS = (22, 3389)
_DATE = re.compile(r"(\d{4}-\d{2}-\d{2})")


def as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, (list, tuple)):
        return list(value)
    return [value]


def is_true(value: Any) -> bool:
    return value is True or (isinstance(value, str) and value.lower() == "true")


def is_false(value: Any) -> bool:
    return value is False or (isinstance(value, str) and value.lower() == "false")


def show(value: Any) -> str:
    """A value for a message: never a secret, never long."""
    if value is None:
        return "nothing (not set)"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str):
        return repr(value) if len(value) <= 60 else repr(value[:57] + "...")
    text = json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."


def json_value(value: Any) -> Any:
    """A JSON document given as a string or already as a mapping; UNKNOWN or None otherwise."""
    if is_unknown(value):
        return UNKNOWN
    if isinstance(value, Mapping):
        return value
    if isinstance(value, str):
        if value == SECRET:
            return UNKNOWN
        try:
            return json.loads(value)
        except ValueError:
            return None
    return None


def statements(document: Any) -> list[Mapping[str, Any]]:
    """The statements of an IAM-style policy document."""
    if not isinstance(document, Mapping):
        return []
    return [s for s in as_list(document.get("Statement")) if isinstance(s, Mapping)]


def principals(statement: Mapping[str, Any], kind: str = "AWS") -> list[str]:
    """Principal entries of one kind; '*' for `"Principal": "*"`."""
    principal = statement.get("Principal")
    if principal == "*":
        return ["*"]
    if isinstance(principal, Mapping):
        return [str(p) for p in as_list(principal.get(kind))]
    return []


_ACCOUNT = re.compile(r"^(?:arn:aws[a-z-]*:iam::)?(\d{12})(?::.*)?$")


def account_of(principal: str) -> str | None:
    """The 12-digit account of an AWS principal (an account id or an IAM ARN)."""
    m = _ACCOUNT.match(principal)
    return m.group(1) if m else None


def condition_keys(statement: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Condition operator -> {lower-cased key: value}."""
    out: dict[str, dict[str, Any]] = {}
    cond = statement.get("Condition")
    if isinstance(cond, Mapping):
        for op, block in cond.items():
            if isinstance(block, Mapping):
                out[str(op)] = {str(k).lower(): v for k, v in block.items()}
    return out


def actions(statement: Mapping[str, Any]) -> list[str]:
    return [str(a) for a in as_list(statement.get("Action"))]


def provider_default_tags(view: ResourceView) -> dict[str, Any]:
    """AWS provider `defaultTags.tags`; explicit provider inputs arrive as JSON strings."""
    provider = view.provider
    if provider is None:
        return {}
    # every resource of the provider asks again (several policies each): decode its JSON once
    found = provider.__dict__.get("_default_tags")
    if found is None:
        raw = json_value(provider.props.get("defaultTags"))
        found = dict(raw["tags"]) if isinstance(raw, Mapping) and isinstance(raw.get("tags"), Mapping) else {}
        object.__setattr__(provider, "_default_tags", found)
    return dict(found)


def tags_of(view: ResourceView) -> dict[str, Any] | str | None:
    """The resource's effective tags (provider default tags under its own); UNKNOWN or None."""
    own = view.get("tags")
    if is_unknown(own):
        return UNKNOWN
    merged = provider_default_tags(view) if view.package == "aws" else {}
    if isinstance(own, Mapping):
        merged.update(own)
    elif own is not None:
        return None
    return merged if (own is not None or merged) else None


def classification(view: ResourceView) -> str | None:
    tags = tags_of(view)
    if isinstance(tags, Mapping):
        value = tags.get("data-classification")
        return value if isinstance(value, str) and not is_unknown(value) else None
    return None


def is_restricted(view: ResourceView) -> bool:
    """Tagged restricted: the level the CI identities' explicit denies protect (voter and donor data)."""
    return classification(view) == "restricted"


def is_sensitive(view: ResourceView, ctx: Any) -> bool:
    """Whether the resource's data-classification is one the policy config marks as sensitive."""
    return ctx.is_sensitive(classification(view))


def covers_port(spec: Any, port: int) -> bool | None:
    """Whether an Azure port spec ('*', '22', '20-30') covers `port`; None when unknown."""
    if is_unknown(spec):
        return None
    text = str(spec).strip()
    if text in ("*", "Any", "any"):
        return True
    if "-" in text:
        low, _, high = text.partition("-")
        try:
            return int(low) <= port <= int(high)
        except ValueError:
            return False
    try:
        return int(float(text)) == port
    except ValueError:
        return False


def is_all_ports(spec: Any) -> bool:
    text = str(spec).strip()
    return text in ("*", "Any", "any", "0-65535", "1-65535")


def parse_date(value: Any) -> date | None:
    """A date from an ISO date or RFC 3339 timestamp; None when there is none."""
    if isinstance(value, date):
        return value
    if isinstance(value, str) and not is_unknown(value):
        m = _DATE.search(value)
        if m:
            try:
                return date.fromisoformat(m.group(1))
            except ValueError:
                return None
    return None


def guard_unknown(view: ResourceView, *paths: tuple[str | int, ...]) -> str | None:
    """The first of `paths` whose value is unknown, dotted, or None."""
    for path in paths:
        if is_unknown(view.get(*path)):
            return ".".join(str(p) for p in path)
    return None


def resources_in_use(stack: StackView, ctx_clouds: Iterable[str] | None) -> set[str]:
    """The clouds the environment uses: its model's list, or what the stack registers."""
    if ctx_clouds is not None:
        return set(ctx_clouds)
    return stack.clouds_in_use()


def own_aws_accounts(ctx_accounts: Iterable[str], providers: Iterable[Any]) -> tuple[str, ...]:
    """The organisation's own AWS accounts: the environment's, plus every AWS provider's allowedAccountIds."""
    found = [str(a) for a in ctx_accounts]
    for props in providers:
        if not isinstance(props, Mapping):
            continue
        raw = props.get("allowedAccountIds")
        allowed = raw if isinstance(raw, (list, tuple)) else json_value(raw)
        if isinstance(allowed, str):
            allowed = [allowed]
        found += [str(a) for a in as_list(allowed) if isinstance(a, (str, int)) and not is_unknown(a)]
    return tuple(dict.fromkeys(found))


def aws_provider_props(stack: StackView) -> list[Mapping[str, Any]]:
    return [p.props for p in stack.of_type("pulumi:providers:aws")]
