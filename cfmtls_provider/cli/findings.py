"""The findings of an inventory: what is wrong or worth knowing, each with a severity and a sentence that
says what to do. Pure: computed from a :class:`~.survey.Survey` (no I/O)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from ..cloudflare.models import Rule
from ..custom_rules import parsed_expression, request_fields, rule_outcome
from ..hostnames import covers
from ..resources._certificate_inputs import carries_ownership_tag
from ..rules_language import Expression
from .coverage import deeper_sample, host_forms, host_literals, pinned_skis, sample_host
from .survey import MANAGED_CA_ID, CAInfo, Survey, ZoneSurvey

__all__ = ["CA_QUOTA", "EXPIRY_WARNING_DAYS", "Finding", "Severity", "find", "rule_label"]

Severity = Literal["error", "warning", "info"]

#: "at most 5 CAs per account" (Cloudflare, BYO CA for mTLS: https://developers.cloudflare.com/ssl/client-certificates/byo-ca/).
CA_QUOTA = 5
EXPIRY_WARNING_DAYS = 30
SEVERITY_ORDER: dict[str, int] = {"error": 0, "warning": 1, "info": 2}


@dataclass(frozen=True)
class Finding:
    severity: Severity
    code: str
    message: str
    zone_id: str = ""
    hostname: str = ""
    ca_id: str = ""
    rule_id: str = ""
    #: Facts a program may want beside the message (``--json``: numbers as numbers).
    extra: dict[str, str | int] = field(default_factory=dict)


def rule_label(rule: Rule) -> str:
    return f"'{rule.description or rule.ref or rule.id}' ({rule.id})"


def _ca_label(survey: Survey, ca_id: str) -> str:
    if ca_id == MANAGED_CA_ID:
        return "the Cloudflare Managed CA"
    ca = next((ca for ca in survey.cas if ca.id == ca_id), None)
    return f"CA '{ca.record.name}' ({ca_id})" if ca is not None and ca.record.name else f"CA {ca_id}"


def _zone_label(zone: ZoneSurvey) -> str:
    return f"{zone.zone.name} ({zone.zone.id})" if zone.zone.name else f"zone {zone.zone.id}"


def find(survey: Survey, now: datetime) -> list[Finding]:
    """Every finding, errors first."""
    findings: list[Finding] = []
    for zone in survey.zones:
        findings += _zone_findings(survey, zone)
    findings += _ca_findings(survey, now)
    return sorted(findings, key=lambda finding: SEVERITY_ORDER[finding.severity])


def _zone_findings(survey: Survey, zone: ZoneSurvey) -> list[Finding]:
    findings: list[Finding] = []
    rules = zone.client_certificate_rules()
    where = _zone_label(zone)
    for problem in zone.problems:
        findings.append(
            Finding(
                "error",
                "zone-unreadable",
                f"{where}: could not read {problem}; what this zone enforces is not known. Give the token read access "
                "(Zone: SSL and Certificates, Zone WAF) or leave the zone out (--zone).",
                zone_id=zone.zone.id,
            )
        )
    if not zone.rules_known:
        return findings
    for rule in rules:
        expression = parsed_expression(rule.expression)
        if isinstance(expression, Exception) and rule.enabled:
            findings.append(
                Finding(
                    "warning",
                    "rule-not-evaluated",
                    f"{where}: rule {rule_label(rule)} cannot be evaluated here ({expression}); what it enforces is "
                    "not checked.",
                    zone_id=zone.zone.id,
                    rule_id=rule.id,
                )
            )
    by_host: dict[str, list[str]] = {}
    for ca_id, hostnames in zone.associations.items():
        for hostname in hostnames:
            by_host.setdefault(hostname, []).append(ca_id)
    for hostname, ca_ids in sorted(by_host.items()):
        findings += _association_findings(survey, zone, rules, hostname, ca_ids)
    for rule in rules:
        expression = parsed_expression(rule.expression)
        if isinstance(expression, Expression) and rule.enabled:
            findings += _rule_findings(survey, zone, rule, expression, by_host)
    return findings


def _association_findings(
    survey: Survey, zone: ZoneSurvey, rules: Sequence[Rule], hostname: str, ca_ids: list[str]
) -> list[Finding]:
    fields = request_fields(sample_host(hostname))
    outcomes = [rule_outcome(rule, fields) for rule in rules]
    if any(item.blocks for item in outcomes):
        findings = _host_form_findings(zone, rules, hostname)
        uploaded = [ca_id for ca_id in ca_ids if ca_id != MANAGED_CA_ID]
        if len(uploaded) > 1:
            findings.append(
                Finding(
                    "info",
                    "several-cas",
                    f"{_zone_label(zone)}: {hostname} is associated with {len(uploaded)} uploaded CAs; Cloudflare "
                    "verifies client certificates against the most recently deployed one only (a rotation in "
                    "progress?).",
                    zone_id=zone.zone.id,
                    hostname=hostname,
                )
            )
        return findings
    unknown = [item for item in outcomes if item.matched is None and item.rule.enabled]
    disabled = [item.rule for item in outcomes if item.matched and not item.rule.enabled]
    cas = ", ".join(_ca_label(survey, ca_id) for ca_id in ca_ids)
    if unknown:
        return [
            Finding(
                "warning",
                "enforcement-unknown",
                f"{_zone_label(zone)}: {hostname} is associated with {cas}; no rule evaluated here enforces it, and "
                f"{len(unknown)} rule(s) could not be evaluated ({rule_label(unknown[0].rule)}).",
                zone_id=zone.zone.id,
                hostname=hostname,
            )
        ]
    why = f" Rule {rule_label(disabled[0])} would, but it is disabled." if disabled else ""
    return [
        Finding(
            "error",
            "associated-not-enforced",
            f"{_zone_label(zone)}: {hostname} is associated with {cas} but no enabled rule blocks requests "
            f"without a valid client certificate: clients without one get through.{why} Manage it "
            "with a HostnameAssociation (it keeps the rule that enforces its hostnames), or remove the association.",
            zone_id=zone.zone.id,
            hostname=hostname,
        )
    ]


def _blocked(rules: Sequence[Rule], host: str) -> bool:
    """Whether an enabled rule blocks a request with ``Host: host`` and no client certificate."""
    fields = request_fields(host)
    return any(rule_outcome(rule, fields).blocks for rule in rules)


def _host_form_findings(zone: ZoneSurvey, rules: Sequence[Rule], hostname: str) -> list[Finding]:
    """An association whose sample is blocked, but not in every form a client may send it (upper case, a trailing
    dot): a rule that compares the Host exactly, as the package's rules did before they compared lower(http.host)
    and allowed a trailing dot."""
    missed = [form for form in host_forms(hostname)[1:] if not _blocked(rules, form)]
    if not missed:
        return []
    forms = " or ".join(f"'{form}'" for form in missed)
    return [
        Finding(
            "warning",
            "associated-partly-enforced",
            f"{_zone_label(zone)}: requests to {hostname} without a valid client certificate are blocked, but not "
            f"when the client sends the Host as {forms}: the rule compares the Host as sent, exactly, and "
            "Cloudflare's http.host is the Host as sent (its case and a trailing dot are not documented to be "
            "normalised). Compare lower(http.host) and allow a trailing dot, as the package's rule does (a "
            "`pulumi up` with this version rewrites rules it made).",
            zone_id=zone.zone.id,
            hostname=hostname,
        )
    ]


def _rule_findings(
    survey: Survey, zone: ZoneSurvey, rule: Rule, expression: Expression, by_host: dict[str, list[str]]
) -> list[Finding]:
    findings: list[Finding] = []
    where = _zone_label(zone)
    for hostname in host_literals(expression):
        if hostname.startswith("*.") and any(covers(association, hostname) for association in by_host):
            findings += _deeper_than_associated(zone, rule, hostname)
        if any(covers(association, hostname) for association in by_host):
            continue
        if not rule_outcome(rule, request_fields(sample_host(hostname))).blocks:
            continue
        findings.append(
            Finding(
                "error",
                "enforced-without-ca",
                f"{where}: rule {rule_label(rule)} blocks {hostname} unless a client certificate verifies, but no CA "
                f"is associated with {hostname}: Cloudflare never asks for a certificate there, so every client is "
                "blocked. Associate the CA with it (HostnameAssociation), or take it out of the rule.",
                zone_id=zone.zone.id,
                hostname=hostname,
                rule_id=rule.id,
            )
        )
    associated_skis = {ca.ski for ca in survey.cas if ca.ski and any(ca.id in ids for ids in by_host.values())}
    for ski in pinned_skis(expression):
        if ski in associated_skis:
            continue
        owner = next((ca for ca in survey.cas if ca.ski == ski), None)
        state = (
            f"{_ca_label(survey, owner.id)} has it but is not associated with any hostname of this zone"
            if owner is not None
            else "no CA of the account has it"
        )
        findings.append(
            Finding(
                "error",
                "pinned-ski-not-associated",
                f"{where}: rule {rule_label(rule)} lets through only certificates issued by SKI {ski}, but {state}: "
                "every client of the hostnames it covers is blocked. Pin the rule to an associated CA's SKI "
                "(MTLSCertificate.subject_key_identifier).",
                zone_id=zone.zone.id,
                rule_id=rule.id,
                extra={"ski": ski},
            )
        )
    return findings


def _deeper_than_associated(zone: ZoneSurvey, rule: Rule, wildcard: str) -> list[Finding]:
    """A rule that blocks names more than one label below an associated ``*.`` wildcard (``ends_with``, as the
    package's rules did), where the association covers one label: no certificate is asked for there."""
    deeper = deeper_sample(wildcard)
    if not rule_outcome(rule, request_fields(deeper)).blocks:
        return []
    return [
        Finding(
            "error",
            "enforced-without-ca",
            f"{_zone_label(zone)}: rule {rule_label(rule)} blocks names more than one label below {wildcard} (such "
            f"as {deeper}) unless a client certificate verifies, but the association {wildcard} covers one label "
            "only: Cloudflare never asks for a certificate there, so every client is blocked. Make the rule match "
            "one label, as the package's rule does (a `pulumi up` with this version rewrites rules it made), or "
            "associate those names too.",
            zone_id=zone.zone.id,
            hostname=deeper,
            rule_id=rule.id,
        )
    ]


def _ca_findings(survey: Survey, now: datetime) -> list[Finding]:
    findings: list[Finding] = []
    associated = {ca_id for zone in survey.zones for ca_id in zone.associations}
    for ca in survey.cas:
        findings += _one_ca_findings(survey, ca, now, associated)
    used = len(survey.cas)
    full = used >= CA_QUOTA
    findings.append(
        Finding(
            "warning" if full else "info",
            "quota",
            f"{used} of {CA_QUOTA} CA slots used"
            + (
                ": no free slot, and a rotation uploads the new CA before deleting the old one; delete an unused CA "
                "first (or rotate with delete_before_replace, accepting a gap)."
                if full
                else "."
            ),
            extra={"used": used, "limit": CA_QUOTA},
        )
    )
    return findings


def _one_ca_findings(survey: Survey, ca: CAInfo, now: datetime, associated: set[str]) -> list[Finding]:
    findings: list[Finding] = []
    label = _ca_label(survey, ca.id)
    if ca.problem:
        findings.append(Finding("warning", "ca-unreadable", f"{label}: {ca.problem}", ca_id=ca.id))
    if ca.id not in associated:
        scope = "any zone of the account" if survey.all_zones else "the zones read"
        left_by_a_kill = (
            " Its name carries the ownership tag of a stack's MTLSCertificate: if no stack's state holds this id "
            "('pulumi stack export'), it is an upload a run killed with checkpoints skipped left behind (README "
            "'Large stacks'), and nothing depends on it."
            if carries_ownership_tag(ca.record.name)
            else ""
        )
        findings.append(
            Finding(
                "warning",
                "ca-unused",
                f"{label} is associated with no hostname in {scope}: it verifies no client. Associate it, or delete "
                f"it to free a slot.{left_by_a_kill}",
                ca_id=ca.id,
            )
        )
    days = ca.days_left(now)
    if days is not None and days < 0:
        findings.append(
            Finding(
                "error", "ca-expired", f"{label} has expired: no client certificate verifies against it.", ca_id=ca.id
            )
        )
    elif days is not None and days <= EXPIRY_WARNING_DAYS:
        findings.append(
            Finding(
                "warning",
                "ca-expiring",
                f"{label} expires in {days} day(s) ({ca.record.expires_on}): rotate it (a new CA, new client "
                "certificates) before then.",
                ca_id=ca.id,
            )
        )
    return findings
