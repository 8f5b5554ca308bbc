"""Vendor groups in Entra ID: membership that Entra itself ends on the vendor's date, reviewed quarterly.

A vendor group is an azuread group named `<org>-<env>-vendor-<name>` (components/azure/vendors.py).
Its members must get in only through something Entra expires without a deploy:

- an access package (entitlement management) whose catalog holds the group, with assignment
  policies that carry an `expirationDate` inside identity.access_max_days, no self-service
  extension, and a quarterly (or more frequent) assignment review by named reviewers that
  removes access when nobody answers;
- or a PIM for Groups assignment schedule with an `expirationDate` (azuread 6 has no access
  review for those, so they satisfy the expiry check only).

The tenant stack declares the groups of every environment it owns; a group whose environment
switches packages off (`Context.vendor_access_packages_off`, from that environment's own
identity.vendor_access_packages_enabled, matched on the `-<env>-vendor-` display name) is not
judged, every other one is, so no environment can relax another's.

A permanent `GroupMember` or an inline `members` list on a vendor group is the finding these
checks exist for. A third check keeps the packages administrator-assigned: no population of
users (all guests, all members, a whole connected organisation) may request one. Groups are tied to packages and schedules by propertyDependencies (their
object ids are unknown in a first preview), or by equal literal ids in a state export.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import timedelta

from policies.context import Context
from policies.core import (
    ResourceView,
    Severity,
    StackView,
    Verdict,
    compliant,
    is_unknown,
    not_applicable,
    stack_policy,
    unknown_until_apply,
    violation,
)
from policies.helpers import as_list, is_true, parse_date, show

GROUP = "azuread:index/group:Group"
MEMBER = "azuread:index/groupMember:GroupMember"
CATALOG_GROUP = "azuread:index/accessPackageResourceCatalogAssociation:AccessPackageResourceCatalogAssociation"
PACKAGE_GROUP = "azuread:index/accessPackageResourcePackageAssociation:AccessPackageResourcePackageAssociation"
PACKAGE = "azuread:index/accessPackage:AccessPackage"
ASSIGNMENT_POLICY = "azuread:index/accessPackageAssignmentPolicy:AccessPackageAssignmentPolicy"
PIM_ASSIGNMENT = "azuread:index/privilegedAccessGroupAssignmentSchedule:PrivilegedAccessGroupAssignmentSchedule"
REVIEW_FREQUENCIES = ("weekly", "monthly", "quarterly")
"""At least quarterly."""
_VENDOR_GROUP = re.compile(r"(^|-)vendor-[a-z0-9]")
SWITCH = "identity.vendor_access_packages_enabled"


def _label(view: ResourceView) -> str:
    display = view.get("displayName")
    return display if isinstance(display, str) and display else view.name


def _who(view: ResourceView) -> str:
    """The resource name, and the display name when it differs (messages name both)."""
    label = _label(view)
    return view.name if label == view.name else f"{view.name} ({label})"


def vendor_groups(stack: StackView) -> list[ResourceView]:
    """The per-vendor groups: display name (or resource name) `...-vendor-<name>`."""
    return [g for g in stack.of_type(GROUP) if _VENDOR_GROUP.search(_label(g).lower()) or "-vendor-" in g.name]


def _tied(stack: StackView, target: ResourceView, types: str, prop: str, id_prop: str) -> list[ResourceView]:
    """Resources of `types` whose input `prop` is `target`: by dependency, or by an equal known id."""
    found = {r.urn: r for r in stack.dependents(target.urn, types=[types], prop=prop)}
    own = target.get(id_prop)
    if isinstance(own, str) and own and not is_unknown(own):
        for r in stack.of_type(types):
            if r.get(prop) == own:
                found.setdefault(r.urn, r)
    return list(found.values())


def assignment_policies(stack: StackView, group: ResourceView) -> list[ResourceView]:
    """Assignment policies of every access package that hands out membership of `group`."""
    packages: dict[str, ResourceView] = {}
    for in_catalog in _tied(stack, group, CATALOG_GROUP, "resourceOriginId", "objectId"):
        for in_package in _tied(stack, in_catalog, PACKAGE_GROUP, "catalogResourceAssociationId", "id"):
            targets = stack.targets(in_package, "accessPackageId")
            if not targets:
                wanted = in_package.get("accessPackageId")
                targets = [p for p in stack.of_type(PACKAGE) if isinstance(wanted, str) and p.get("id") == wanted]
            packages.update({p.urn: p for p in targets})
    found: dict[str, ResourceView] = {}
    for package in packages.values():
        found.update({p.urn: p for p in _tied(stack, package, ASSIGNMENT_POLICY, "accessPackageId", "id")})
    return list(found.values())


def _window(what: str, value: object, ctx: Context, subject: ResourceView) -> Verdict | None:
    """A violation when the expiry is missing, past or beyond identity.access_max_days; None when fine."""
    limit = ctx.today + timedelta(days=ctx.access_max_days)
    expires = parse_date(value)
    if expires is None:
        return violation(f"{what}: expirationDate is {show(value)}, so Entra never ends the access; set it to the "
                         "vendor's expires (vendors[].expires)", subject)
    if expires <= ctx.today:
        return violation(f"{what}: expirationDate {expires.isoformat()} has passed; renew vendors[].expires or "
                         "remove the vendor", subject)
    if expires > limit:
        return violation(f"{what}: expirationDate {expires.isoformat()} is more than identity.access_max_days "
                         f"({ctx.access_max_days}) away; choose a date on or before {limit.isoformat()}", subject)
    return None


def _switched_off(group: ResourceView, ctx: Context) -> bool:
    """Whether the group belongs to an environment of the tenant stack whose packages are switched off."""
    label = _label(group).lower()
    return any(label.startswith(f"{e}-vendor-") or f"-{e}-vendor-" in label for e in ctx.vendor_access_packages_off)


def judged_groups(stack: StackView, ctx: Context) -> list[ResourceView]:
    """The vendor groups whose environment keeps access packages on."""
    return [g for g in vendor_groups(stack) if not _switched_off(g, ctx)]


def _skip(stack: StackView, ctx: Context) -> Verdict | None:
    if not ctx.vendor_access_packages:
        return not_applicable(f"{SWITCH} is off: Azure vendor access ends only at the first deploy after its date "
                              "(no Entra ID P2 or ID Governance licence)")
    if not vendor_groups(stack):
        return not_applicable("no vendor groups in this stack")
    if not judged_groups(stack, ctx):
        return not_applicable(f"{SWITCH} is off in every environment with vendor groups here "
                              f"({', '.join(ctx.vendor_access_packages_off)})")
    return None


def _check_expiry(stack: StackView, group: ResourceView, ctx: Context) -> Iterator[Verdict]:
    label = _who(group)
    inline = group.get("members")
    if is_unknown(inline):
        yield unknown_until_apply("members", group)
    elif as_list(inline):
        yield violation(f"vendor group {label}: members {show(inline)} are permanent; remove members and assign "
                        "vendor people through the vendor's access package, which Entra ends on the vendor's date",
                        group)
    for m in _tied(stack, group, MEMBER, "groupObjectId", "objectId"):
        yield violation(f"group member {m.name}: adds {show(m.get('memberObjectId'))} to vendor group {label} with no "
                        "end; remove it and assign the person through the vendor's access package", m)
    policies = assignment_policies(stack, group)
    schedules = _tied(stack, group, PIM_ASSIGNMENT, "groupId", "objectId")
    if not policies and not schedules:
        yield violation(f"vendor group {label}: no access package assignment policy or PIM assignment schedule "
                        f"gives its membership an end Entra enforces; keep {SWITCH} (AzureVendorsArgs."
                        "access_packages_enabled) on so the vendor's access package expires on its date", group)
        return
    for p in policies:
        what = f"access package policy {_who(p)} (vendor group {label})"
        expiry, extension = p.get("expirationDate"), p.get("extensionEnabled")
        if is_unknown(expiry) or is_unknown(extension):
            yield unknown_until_apply("expirationDate", p)
        elif (bad := _window(what, expiry, ctx, p)) is not None:
            yield bad
        elif is_true(extension):
            yield violation(f"{what}: extensionEnabled is true, so assignees can stretch access past the vendor's "
                            "date; set extension_enabled=False and renew through vendors[].expires", p)
        else:
            yield compliant(subject=p)
    for s in schedules:
        what = f"PIM assignment schedule {s.name} (vendor group {label})"
        expiry, permanent = s.get("expirationDate"), s.get("permanentAssignment")
        if is_unknown(expiry) or is_unknown(permanent):
            yield unknown_until_apply("expirationDate", s)
        elif is_true(permanent):
            yield violation(f"{what}: permanentAssignment is true; set expiration_date to the vendor's expires", s)
        elif (bad := _window(what, expiry, ctx, s)) is not None:
            yield bad
        else:
            yield compliant(subject=s)


@stack_policy(
    name="azure-vendor-access-expires-in-entra",
    description="Grant vendor group membership only through an assignment that Entra ID ends on the vendor's date",
    severity=Severity.high,
    remediation="Keep identity.vendor_access_packages_enabled (AzureVendorsArgs.access_packages_enabled) on: the "
    "vendor's access package policy carries expiration_date = vendors[].expires, within identity.access_max_days, "
    "with extension_enabled=False; never add vendor people with a GroupMember or the group's members list.",
)
def vendor_access_expires(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    if (skip := _skip(stack, ctx)) is not None:
        yield skip
        return
    for group in judged_groups(stack, ctx):
        yield from _check_expiry(stack, group, ctx)


def _review_problem(p: ResourceView) -> str | None:
    """Why the policy's assignment review is not a quarterly review by named people that removes access."""
    review = p.get("assignmentReviewSettings")
    if not isinstance(review, Mapping) or not is_true(review.get("enabled")):
        return "assignmentReviewSettings.enabled is not true; turn the assignment review on"
    frequency = str(review.get("reviewFrequency") or "")
    if frequency not in REVIEW_FREQUENCIES:
        return f"reviewFrequency is {show(review.get('reviewFrequency'))}; set it to 'quarterly'"
    if review.get("reviewType") != "Reviewers":
        return (f"reviewType is {show(review.get('reviewType'))}; guests have no manager and must not review "
                "themselves: set 'Reviewers' with the vendor's contact")
    reviewers = [r for r in as_list(review.get("reviewers")) if isinstance(r, Mapping) and r.get("objectId")]
    if not reviewers:
        return "reviewers is empty; name the vendor's contact (vendors[].contact_object_id)"
    if review.get("accessReviewTimeoutBehavior") != "removeAccess":
        return (f"accessReviewTimeoutBehavior is {show(review.get('accessReviewTimeoutBehavior'))}; set "
                "'removeAccess' so an unanswered review ends the access")
    return None


@stack_policy(
    name="azure-vendor-access-reviewed-quarterly",
    description="Require a review of every vendor group's members at least quarterly, by named reviewers, that removes unreviewed access",
    severity=Severity.high,
    remediation="Keep identity.vendor_access_packages_enabled on and set vendors[].contact_object_id: the vendor's "
    "access package policy then has assignment_review_settings enabled, review_frequency 'quarterly', review_type "
    "'Reviewers' (the contact) and access_review_timeout_behavior 'removeAccess'.",
)
def vendor_access_reviewed(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    if (skip := _skip(stack, ctx)) is not None:
        yield skip
        return
    for group in judged_groups(stack, ctx):
        policies = assignment_policies(stack, group)
        if not policies:
            yield violation(f"vendor group {_who(group)}: no access package assignment policy, so no access review "
                            f"covers its members; keep {SWITCH} on (a PIM schedule or a GroupMember is never "
                            "reviewed)", group)
            continue
        for p in policies:
            if is_unknown(p.get("assignmentReviewSettings")):
                yield unknown_until_apply("assignmentReviewSettings", p)
            elif (problem := _review_problem(p)) is not None:
                yield violation(f"access package policy {_who(p)} (vendor group {_who(group)}): {problem}", p)
            else:
                yield compliant(subject=p)


NAMED_SCOPES = ("SpecificDirectorySubjects", "SpecificConnectedOrganizationSubjects")
"""Requestor scopes that list who may ask; every other scope lets a whole population ask."""


def _request_problem(p: ResourceView) -> str | None:
    """Why the policy lets people ask for vendor access without a named list and an approver."""
    settings = p.get("requestorSettings")
    if not isinstance(settings, Mapping) or "requestsAccepted" not in settings:
        # The provider documents no default: only an explicit "no requests" is safe to assume.
        return "requestorSettings.requestsAccepted is not set; set requests_accepted=False (administrators assign)"
    if not is_true(settings.get("requestsAccepted")):
        return None
    scope = settings.get("scopeType")
    if scope not in NAMED_SCOPES:
        return (f"requests are accepted from scope {show(scope)}, so anyone in it can ask for a vendor's access; "
                "set requests_accepted=False")
    if not is_true(p.get("approvalSettings", "approvalRequired")):
        return "requests are accepted without approval; set requests_accepted=False or approval_required=True"
    return None


@stack_policy(
    name="azure-vendor-access-no-self-service",
    description="Allow requests for a vendor's access package only from named requestors with an approver",
    severity=Severity.high,
    remediation="Keep the vendor access package policy as AzureVendors makes it: requestor_settings "
    "requests_accepted=False (scope 'NoSubjects'), so only administrators assign the vendor's people.",
)
def vendor_access_no_self_service(stack: StackView, ctx: Context) -> Iterator[Verdict]:
    if (skip := _skip(stack, ctx)) is not None:
        yield skip
        return
    for group in judged_groups(stack, ctx):
        for p in assignment_policies(stack, group):
            if is_unknown(p.get("requestorSettings")) or is_unknown(p.get("approvalSettings")):
                yield unknown_until_apply("requestorSettings", p)
            elif (problem := _request_problem(p)) is not None:
                yield violation(f"access package policy {_who(p)} (vendor group {_who(group)}): {problem}", p)
            else:
                yield compliant(subject=p)


POLICIES = (vendor_access_expires, vendor_access_reviewed, vendor_access_no_self_service)
